-- Hub functions. Every SECURITY DEFINER function pins search_path to (hub, pg_temp): without it, one
-- wrote into the caller's temporary table of the same name on this machine. EXECUTE is revoked from
-- PUBLIC and granted to the team's group roles. The agent is always taken from session_user.

-- Who is calling: the agent of the login role (session_user survives SECURITY DEFINER and SET ROLE
-- needs membership). Plain SQL, schema-qualified and without SET, so the planner inlines it into the
-- row-level security checks and evaluates it once per statement instead of once per row.
CREATE OR REPLACE FUNCTION hub.me() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT a.agent_id FROM hub.agents a WHERE a.login = session_user AND a.active
$$;

CREATE OR REPLACE FUNCTION hub.is_lead() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT a.role = 'lead' FROM hub.agents a WHERE a.login = session_user AND a.active), false)
$$;

-- The owner column of a row (mirrors workbench.sync.conflicts.OWNER_COLUMN).
CREATE OR REPLACE FUNCTION hub.owner_of(p_entity text, p_data jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = hub, pg_temp AS $$
    SELECT nullif(p_data ->> CASE p_entity
        WHEN 'cases' THEN 'assignee_id' WHEN 'follow_ups' THEN 'owner_id' WHEN 'messages' THEN 'agent_id'
        WHEN 'case_notes' THEN 'agent_id' WHEN 'follow_up_history' THEN 'actor'
        WHEN 'compensations' THEN 'agent_id' ELSE NULL END, '')
$$;

-- Who may create / change a row (mirrors workbench.sync.permissions).
CREATE OR REPLACE FUNCTION hub.may_insert(p_entity text, p_owner text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT hub.me() IS NOT NULL AND p_entity <> 'compensations'
       AND (p_entity <> 'agents' OR hub.is_lead())
       AND (hub.is_lead()
            OR p_entity NOT IN ('cases', 'follow_ups', 'messages', 'case_notes', 'follow_up_history')
            OR p_owner IS NULL OR p_owner = hub.me())
$$;

CREATE OR REPLACE FUNCTION hub.may_touch(p_entity text, p_owner text, p_prev_owner text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT hub.me() IS NOT NULL AND p_entity <> 'compensations'
       AND (p_entity <> 'agents' OR hub.is_lead())
       AND (hub.is_lead()
            OR p_entity NOT IN ('cases', 'follow_ups', 'messages', 'case_notes', 'follow_up_history')
            OR p_owner IS NULL OR p_owner = hub.me() OR p_prev_owner = hub.me())
$$;

-- Every write stamps its transaction id (the pull cursor), the version, the owner and the writer.
-- A trigger, so no client can forge them.
CREATE OR REPLACE FUNCTION hub.stamp_row() RETURNS trigger
LANGUAGE plpgsql SET search_path = hub, pg_temp AS $$
BEGIN
    NEW.txid := pg_current_xact_id();
    NEW.updated_at := now();
    NEW.updated_by := coalesce(hub.me(), NEW.updated_by, '');
    NEW.owner := hub.owner_of(NEW.entity, NEW.data);
    IF TG_OP = 'UPDATE' THEN
        NEW.version := OLD.version + 1;
        NEW.prev_owner := CASE WHEN NEW.owner IS DISTINCT FROM OLD.owner THEN OLD.owner ELSE OLD.prev_owner END;
    ELSE
        NEW.version := 1;
        NEW.prev_owner := NULL;
    END IF;
    IF NEW.entity IN ('cases', 'follow_ups') THEN
        NEW.data := NEW.data || jsonb_build_object('version', NEW.version);
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS rows_stamp ON hub.rows;
CREATE TRIGGER rows_stamp BEFORE INSERT OR UPDATE ON hub.rows FOR EACH ROW EXECUTE FUNCTION hub.stamp_row();

-- Answer an entry and remember the answer under its key (the idempotency record).
CREATE OR REPLACE FUNCTION hub.answer(p_key text, p_id text, p_op text, p_status text, p_reason text,
                                      p_version integer, p_row jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = hub, pg_temp AS $$
BEGIN
    INSERT INTO hub.entries (key, agent_id, entity, entity_id, op, status, reason, hub_version, row)
    VALUES (p_key, hub.me(), 'compensations', p_id, p_op, p_status, coalesce(p_reason, ''), p_version, p_row);
    RETURN jsonb_build_object('status', p_status, 'reason', coalesce(p_reason, ''), 'hub_version', p_version,
                              'row', p_row);
END $$;

-- Write a row as the hub (money and flags); returns the new version.
CREATE OR REPLACE FUNCTION hub.put_row(p_entity text, p_id text, p_data jsonb, p_key text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = hub, pg_temp AS $$
DECLARE v integer;
BEGIN
    INSERT INTO hub.rows AS r (entity, entity_id, data, last_key) VALUES (p_entity, p_id, p_data, p_key)
    ON CONFLICT (entity, entity_id) DO UPDATE SET data = excluded.data, last_key = excluded.last_key
    RETURNING r.version INTO v;
    RETURN v;
END $$;

CREATE OR REPLACE FUNCTION hub.flag_case(p_case_id text, p_key text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = hub, pg_temp AS $$
BEGIN
    UPDATE hub.rows SET data = data || '{"flag": "compensation_rejected"}'::jsonb, last_key = p_key
    WHERE entity = 'cases' AND entity_id = p_case_id;
END $$;

-- The shop-timezone day of the hub's clock, as [start, end).
CREATE OR REPLACE FUNCTION hub.day_bounds(OUT day date, OUT day_start timestamptz, OUT day_end timestamptz)
LANGUAGE plpgsql STABLE SET search_path = hub, pg_temp AS $$
DECLARE tz text := coalesce((SELECT value #>> '{}' FROM hub.settings WHERE key = 'timezone'), 'Asia/Shanghai');
BEGIN
    day := (now() AT TIME ZONE tz)::date;
    day_start := day::timestamp AT TIME ZONE tz;
    day_end := (day + 1)::timestamp AT TIME ZONE tz;
END $$;

-- Actions of the policy with a given flag set ('budget' or 'customer_cap').
CREATE OR REPLACE FUNCTION hub.actions_with(p_limits jsonb, p_flag text) RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = hub, pg_temp AS $$
    SELECT coalesce(array_agg(key ORDER BY key), '{}') FROM jsonb_each(p_limits -> 'actions')
    WHERE (value ->> p_flag)::boolean
$$;

CREATE OR REPLACE FUNCTION hub.tier_of(p_limits jsonb, p_agent hub.agents) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = hub, pg_temp AS $$
    SELECT CASE WHEN p_agent.role = 'lead' AND (p_limits -> 'tiers') ? 'lead' THEN 'lead' ELSE p_agent.tier END
$$;
