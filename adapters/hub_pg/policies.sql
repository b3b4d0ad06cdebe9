-- Row-level security, keyed on the login role (session_user → hub.agents), never on a setting the
-- client can SET (that let one agent read another's rows on this machine). FORCE so that even the
-- tables' owner goes through the policies unless a policy below lets it.

ALTER TABLE hub.settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub.settings FORCE ROW LEVEL SECURITY;
ALTER TABLE hub.agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub.agents FORCE ROW LEVEL SECURITY;
ALTER TABLE hub.rows ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub.rows FORCE ROW LEVEL SECURITY;
ALTER TABLE hub.entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub.entries FORCE ROW LEVEL SECURITY;
ALTER TABLE hub.budget_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub.budget_days FORCE ROW LEVEL SECURITY;
ALTER TABLE hub.customer_caps ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub.customer_caps FORCE ROW LEVEL SECURITY;
ALTER TABLE hub.money ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub.money FORCE ROW LEVEL SECURITY;
ALTER TABLE hub.allowances ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub.allowances FORCE ROW LEVEL SECURITY;

-- The owner (who ran init; also the identity of the SECURITY DEFINER functions) sees and writes all.
DROP POLICY IF EXISTS owner_all ON hub.settings;
CREATE POLICY owner_all ON hub.settings TO {{OWNER}} USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS owner_all ON hub.agents;
CREATE POLICY owner_all ON hub.agents TO {{OWNER}} USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS owner_all ON hub.rows;
CREATE POLICY owner_all ON hub.rows TO {{OWNER}} USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS owner_all ON hub.entries;
CREATE POLICY owner_all ON hub.entries TO {{OWNER}} USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS owner_all ON hub.budget_days;
CREATE POLICY owner_all ON hub.budget_days TO {{OWNER}} USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS owner_all ON hub.customer_caps;
CREATE POLICY owner_all ON hub.customer_caps TO {{OWNER}} USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS owner_all ON hub.money;
CREATE POLICY owner_all ON hub.money TO {{OWNER}} USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS owner_all ON hub.allowances;
CREATE POLICY owner_all ON hub.allowances TO {{OWNER}} USING (true) WITH CHECK (true);

-- Team members read the settings, the team list and every shared row.
DROP POLICY IF EXISTS team_read ON hub.settings;
CREATE POLICY team_read ON hub.settings FOR SELECT TO {{AGENT_ROLE}}, {{LEAD_ROLE}} USING (hub.me() IS NOT NULL);
DROP POLICY IF EXISTS team_read ON hub.agents;
-- The team list is readable by every member (hub.me() itself reads it, so it cannot depend on hub.me()).
CREATE POLICY team_read ON hub.agents FOR SELECT TO {{AGENT_ROLE}}, {{LEAD_ROLE}} USING (true);
DROP POLICY IF EXISTS team_read ON hub.rows;
CREATE POLICY team_read ON hub.rows FOR SELECT TO {{AGENT_ROLE}}, {{LEAD_ROLE}} USING (hub.me() IS NOT NULL);

-- ... and change rows only as workbench.sync.permissions says (compensations: never directly).
DROP POLICY IF EXISTS member_insert ON hub.rows;
CREATE POLICY member_insert ON hub.rows FOR INSERT TO {{AGENT_ROLE}}, {{LEAD_ROLE}}
    WITH CHECK (hub.may_insert(entity, owner));
DROP POLICY IF EXISTS member_update ON hub.rows;
CREATE POLICY member_update ON hub.rows FOR UPDATE TO {{AGENT_ROLE}}, {{LEAD_ROLE}}
    USING (hub.may_touch(entity, owner, prev_owner)) WITH CHECK (hub.may_touch(entity, owner, prev_owner));

-- Push answers, money and allowances: one's own; leads see the team's.
DROP POLICY IF EXISTS own_entries ON hub.entries;
CREATE POLICY own_entries ON hub.entries TO {{AGENT_ROLE}}, {{LEAD_ROLE}}
    USING (agent_id = hub.me()) WITH CHECK (agent_id = hub.me());
DROP POLICY IF EXISTS own_money ON hub.money;
CREATE POLICY own_money ON hub.money FOR SELECT TO {{AGENT_ROLE}}, {{LEAD_ROLE}}
    USING (agent_id = hub.me() OR hub.is_lead());
DROP POLICY IF EXISTS own_allowances ON hub.allowances;
CREATE POLICY own_allowances ON hub.allowances FOR SELECT TO {{AGENT_ROLE}}, {{LEAD_ROLE}}
    USING (agent_id = hub.me() OR hub.is_lead());
