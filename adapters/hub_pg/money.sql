-- Money on the PostgreSQL hub: the same plan and checks as workbench.sync.hubmoney + the pure
-- workbench.authority.decide, in SQL, inside the pushing agent's own transaction, with row locks.
-- Reasons read 'code: key=value, ...' (keys sorted), exactly as the SQLite hub words them.

CREATE OR REPLACE FUNCTION hub.money_check(p_kind text, p_requester hub.agents, p_approver hub.agents, p_data jsonb)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = hub, pg_temp AS $$
DECLARE
    limits jsonb := (SELECT value FROM hub.settings WHERE key = 'limits');
    v_action text := p_data ->> 'action';
    rule jsonb;
    tier jsonb;
    tier_name text;
    v_amount bigint;
    b record;
    cap_fen bigint;
    v_used bigint;
    v_lim bigint;
    lock_agent text;
BEGIN
    IF limits IS NULL THEN
        RETURN 'policy_missing: the hub has no policy; the lead runs: workbench hub init --policy FILE';
    END IF;
    rule := limits -> 'actions' -> v_action;
    IF rule IS NULL THEN RETURN format('unknown_action: action=%s', v_action); END IF;
    IF jsonb_typeof(p_data -> 'amount_fen') <> 'number' OR (p_data ->> 'amount_fen') !~ '^[0-9]+$'
       OR (p_data ->> 'amount_fen')::numeric <= 0 OR (p_data ->> 'amount_fen')::numeric > 10000000000 THEN
        RETURN format('invalid_amount: amount=%s', coalesce(p_data ->> 'amount_fen', '-1'));
    END IF;
    v_amount := (p_data ->> 'amount_fen')::bigint;
    tier_name := hub.tier_of(limits, p_requester);
    tier := limits -> 'tiers' -> tier_name;
    IF tier IS NULL THEN
        RETURN format('unknown_tier: agent=%s, tier=%s', p_requester.agent_id, coalesce(p_requester.tier, '-'));
    END IF;
    b := hub.day_bounds();
    -- Locks, always in this order: the spender's budget-day row, then the customer's cap row.
    lock_agent := CASE WHEN p_kind = 'issue' THEN p_requester.agent_id ELSE p_approver.agent_id END;
    INSERT INTO hub.budget_days VALUES (lock_agent, b.day) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM hub.budget_days WHERE agent_id = lock_agent AND day = b.day FOR UPDATE;
    INSERT INTO hub.customer_caps VALUES (coalesce(p_data ->> 'customer_id', '')) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM hub.customer_caps WHERE customer_id = coalesce(p_data ->> 'customer_id', '') FOR UPDATE;

    -- Denials first (nobody may), in decide()'s order.
    IF p_kind = 'issue' AND NOT p_requester.active THEN
        RETURN format('agent_active: agent=%s', p_requester.agent_id);
    END IF;
    IF (rule ->> 'needs_order')::boolean AND coalesce(p_data ->> 'order_id', '') = '' THEN
        RETURN 'needs_order';
    END IF;
    IF (rule ->> 'customer_cap')::boolean THEN
        cap_fen := (limits ->> 'customer_cap_fen')::bigint;
        SELECT coalesce(sum(amount_fen), 0) INTO v_used FROM hub.money
        WHERE customer_id = p_data ->> 'customer_id' AND action = ANY (hub.actions_with(limits, 'customer_cap'))
          AND counted_at >= now() - make_interval(days => (limits ->> 'customer_cap_days')::int);
        IF v_used + v_amount > cap_fen THEN
            RETURN format('customer_cap: cap_fen=%s, days=%s, left_fen=%s, used_fen=%s', cap_fen,
                          limits ->> 'customer_cap_days', greatest(cap_fen - v_used, 0), v_used);
        END IF;
    END IF;
    IF p_kind = 'approve' THEN
        IF p_approver.role <> 'lead' OR NOT coalesce((limits -> 'tiers' -> hub.tier_of(limits, p_approver) ->> 'can_approve')::boolean, false) THEN
            RETURN format('approver_is_lead: approver=%s', p_approver.agent_id);
        END IF;
        IF NOT p_approver.active THEN RETURN 'approver_active'; END IF;
        IF p_approver.agent_id = p_requester.agent_id THEN RETURN 'not_self'; END IF;
        IF (rule ->> 'budget')::boolean THEN
            v_lim := (limits -> 'tiers' -> hub.tier_of(limits, p_approver) ->> 'approval_budget_fen')::bigint;
            SELECT coalesce(sum(amount_fen), 0) INTO v_used FROM hub.money
            WHERE approver = p_approver.agent_id AND status = 'approved'
              AND action = ANY (hub.actions_with(limits, 'budget')) AND counted_at >= b.day_start AND counted_at < b.day_end;
            IF v_used + v_amount > v_lim THEN
                RETURN format('approval_budget: budget_fen=%s, left_fen=%s, used_fen=%s', v_lim, greatest(v_lim - v_used, 0), v_used);
            END IF;
        END IF;
        RETURN '';
    END IF;

    -- Issuing on one's own authority.
    IF tier -> 'always_approve' ? v_action THEN RETURN format('always_approval: tier=%s', tier_name); END IF;
    v_lim := (tier -> 'limits_fen' ->> v_action)::bigint;
    IF v_lim = 0 THEN RETURN format('no_authority: tier=%s', tier_name); END IF;
    IF v_amount > v_lim THEN RETURN format('case_limit: limit_fen=%s', v_lim); END IF;
    SELECT coalesce(sum(amount_fen), 0) INTO v_used FROM hub.money
    WHERE case_id = p_data ->> 'case_id' AND action = p_data ->> 'action';
    IF v_used + v_amount > v_lim THEN
        RETURN format('split_sum: limit_fen=%s, total_fen=%s, used_fen=%s', v_lim, v_used + v_amount, v_used);
    END IF;
    IF (rule ->> 'budget')::boolean THEN
        v_lim := (tier ->> 'daily_budget_fen')::bigint;
        SELECT coalesce(sum(amount_fen), 0) INTO v_used FROM hub.money
        WHERE agent_id = p_requester.agent_id AND status = 'issued'
          AND action = ANY (hub.actions_with(limits, 'budget')) AND counted_at >= b.day_start AND counted_at < b.day_end;
        IF v_used + v_amount > v_lim THEN
            RETURN format('daily_budget: budget_fen=%s, left_fen=%s, used_fen=%s', v_lim, greatest(v_lim - v_used, 0), v_used);
        END IF;
    END IF;
    RETURN '';
END $$;

-- One pushed compensation entry: never merged, re-checked here whatever the client claims.
CREATE OR REPLACE FUNCTION hub.apply_compensation(p_key text, p_op text, p_id text, p_payload jsonb, p_snapshot jsonb)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = hub, pg_temp AS $$
DECLARE
    me hub.agents;
    requester hub.agents;
    prior hub.entries;
    cur hub.rows;
    has_row boolean;
    payload jsonb := p_payload - 'hub_status' - 'hub_reason' - 'version';
    data jsonb;
    cur_status text;
    new_status text;
    kind text;
    reason text := '';
    changed text;
    ver integer;
BEGIN
    SELECT * INTO me FROM hub.agents WHERE login = session_user AND active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'login % is not an active hub agent', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO prior FROM hub.entries WHERE key = p_key;
    IF FOUND THEN
        IF prior.agent_id <> me.agent_id THEN
            RETURN jsonb_build_object('status', 'rejected', 'reason', 'invalid: key belongs to another agent');
        END IF;
        RETURN jsonb_build_object('status', prior.status, 'reason', prior.reason, 'hub_version', prior.hub_version,
                                  'row', prior.row);
    END IF;
    IF coalesce(p_id, '') = '' OR (payload ? 'id' AND payload ->> 'id' <> p_id) THEN
        RETURN hub.answer(p_key, p_id, p_op, 'rejected', 'invalid: missing id or payload id does not match', NULL, NULL);
    END IF;
    SELECT * INTO cur FROM hub.rows WHERE entity = 'compensations' AND entity_id = p_id FOR UPDATE;
    has_row := FOUND;
    IF NOT has_row AND p_op <> 'create' THEN
        IF p_snapshot IS NULL OR coalesce(payload ->> 'status', '') NOT IN ('approved', 'rejected') THEN
            RETURN hub.answer(p_key, p_id, p_op, 'rejected', 'invalid: the hub has no such compensation', NULL, NULL);
        END IF;
        cur.data := (p_snapshot - 'version') || '{"status": "requested", "decided_by": null, "decided_at": null}'::jsonb;
        cur.version := 0;
    END IF;
    IF NOT has_row AND p_op = 'create' THEN
        data := payload || jsonb_build_object('id', p_id, 'agent_id', me.agent_id);
        IF data ->> 'status' = 'issued' THEN
            kind := 'issue';
        ELSIF data ->> 'status' = 'requested' THEN
            kind := 'request';
            data := data || '{"hub_status": "pending", "hub_reason": null}'::jsonb;
        ELSE
            RETURN hub.answer(p_key, p_id, p_op, 'rejected',
                              'invalid: a new compensation is issued or requested, not ' || coalesce(data ->> 'status', 'None'), NULL, NULL);
        END IF;
    ELSE
        cur_status := cur.data ->> 'status';
        IF p_op = 'create' THEN
            IF EXISTS (SELECT 1 FROM unnest(ARRAY['amount_fen', 'action', 'customer_id', 'case_id', 'order_id', 'status']) f
                       WHERE coalesce(payload -> f, 'null') IS DISTINCT FROM coalesce(cur.data -> f, 'null')) THEN
                RETURN hub.answer(p_key, p_id, p_op, 'conflict', 'duplicate_id', cur.version, cur.data);
            END IF;
            RETURN hub.answer(p_key, p_id, p_op, 'accepted', '', cur.version, cur.data);
        END IF;
        SELECT string_agg(f, ', ' ORDER BY o) INTO changed
        FROM unnest(ARRAY['amount_fen', 'action', 'customer_id', 'agent_id', 'case_id', 'order_id']) WITH ORDINALITY AS t(f, o)
        WHERE payload ? f AND (payload -> f) IS DISTINCT FROM coalesce(cur.data -> f, 'null');
        IF changed IS NOT NULL THEN
            RETURN hub.answer(p_key, p_id, p_op, 'rejected', 'immutable: ' || changed, nullif(cur.version, 0), cur.data);
        END IF;
        new_status := coalesce(payload ->> 'status', cur_status);
        data := cur.data || payload;
        IF new_status = cur_status THEN
            IF me.agent_id <> cur.data ->> 'agent_id' AND me.role <> 'lead' THEN
                RETURN hub.answer(p_key, p_id, p_op, 'rejected', 'not_permitted', cur.version, cur.data);
            END IF;
            kind := 'edit';
        ELSIF new_status IN ('approved', 'rejected') THEN
            IF me.role <> 'lead' THEN
                RETURN hub.answer(p_key, p_id, p_op, 'rejected', 'not_permitted: only a lead decides a request',
                                  nullif(cur.version, 0), cur.data);
            END IF;
            IF cur_status <> 'requested' THEN
                RETURN hub.answer(p_key, p_id, p_op, 'conflict', 'already_decided: ' || cur_status, cur.version, cur.data);
            END IF;
            kind := CASE WHEN new_status = 'approved' THEN 'approve' ELSE 'decline' END;
            data := data || jsonb_build_object('decided_by', me.agent_id);
        ELSIF new_status IN ('cancelled', 'revoked') THEN
            IF me.agent_id <> cur.data ->> 'agent_id' AND me.role <> 'lead' THEN
                RETURN hub.answer(p_key, p_id, p_op, 'rejected', 'not_permitted', cur.version, cur.data);
            END IF;
            IF cur_status IN ('cancelled', 'revoked', 'rejected') THEN
                RETURN hub.answer(p_key, p_id, p_op, 'conflict', 'already_decided: ' || cur_status, cur.version, cur.data);
            END IF;
            kind := 'cancel';
        ELSE
            RETURN hub.answer(p_key, p_id, p_op, 'rejected', format('not_permitted: %s -> %s', cur_status, new_status),
                              cur.version, cur.data);
        END IF;
    END IF;

    IF kind IN ('issue', 'approve') THEN
        IF kind = 'issue' THEN
            requester := me;
        ELSE
            SELECT * INTO requester FROM hub.agents WHERE agent_id = data ->> 'agent_id';
            IF NOT FOUND THEN
                requester := ROW(data ->> 'agent_id', '', '', 'agent', '', true)::hub.agents;
            END IF;
        END IF;
        reason := hub.money_check(kind, requester, me, data);
        IF reason <> '' THEN
            data := data || jsonb_build_object('status', 'rejected', 'hub_status', 'rejected', 'hub_reason', reason);
            PERFORM hub.flag_case(data ->> 'case_id', p_key);
        ELSE
            data := data || '{"hub_status": "accepted", "hub_reason": null}'::jsonb;
            INSERT INTO hub.money (comp_id, agent_id, customer_id, case_id, action, amount_fen, status, approver)
            VALUES (p_id, data ->> 'agent_id', coalesce(data ->> 'customer_id', ''), data ->> 'case_id', data ->> 'action',
                    (data ->> 'amount_fen')::bigint, CASE WHEN kind = 'issue' THEN 'issued' ELSE 'approved' END,
                    CASE WHEN kind = 'approve' THEN me.agent_id END)
            ON CONFLICT (comp_id) DO NOTHING;
        END IF;
    ELSIF kind = 'decline' THEN
        data := data || '{"hub_status": "accepted", "hub_reason": null}'::jsonb;
    END IF;
    ver := hub.put_row('compensations', p_id, data, p_key);
    RETURN hub.answer(p_key, p_id, p_op, CASE WHEN reason <> '' THEN 'rejected' ELSE 'accepted' END, reason, ver, data);
END $$;

-- The offline allowance: a share of what is left of the agent's budget today, valid a few hours.
CREATE OR REPLACE FUNCTION hub.grant_allowance() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = hub, pg_temp AS $$
DECLARE
    me hub.agents;
    limits jsonb := (SELECT value FROM hub.settings WHERE key = 'limits');
    share numeric := coalesce((SELECT (value #>> '{}')::numeric FROM hub.settings WHERE key = 'offline_share'), 0.5);
    hours int := coalesce((SELECT (value #>> '{}')::int FROM hub.settings WHERE key = 'offline_hours'), 4);
    b record;
    budget bigint := 0;
    used bigint := 0;
    granted bigint;
    expires timestamptz;
BEGIN
    SELECT * INTO me FROM hub.agents WHERE login = session_user AND active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'login % is not an active hub agent', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    b := hub.day_bounds();
    IF limits IS NOT NULL AND (limits -> 'tiers' -> hub.tier_of(limits, me)) IS NOT NULL THEN
        budget := (limits -> 'tiers' -> hub.tier_of(limits, me) ->> 'daily_budget_fen')::bigint;
        SELECT coalesce(sum(amount_fen), 0) INTO used FROM hub.money
        WHERE agent_id = me.agent_id AND status = 'issued' AND action = ANY (hub.actions_with(limits, 'budget'))
          AND counted_at >= b.day_start AND counted_at < b.day_end;
    END IF;
    granted := floor(greatest(budget - used, 0) * share);
    expires := least(now() + make_interval(hours => hours), b.day_end);
    INSERT INTO hub.allowances (agent_id, granted_fen, granted_at, expires_at) VALUES (me.agent_id, granted, now(), expires);
    RETURN jsonb_build_object('agent_id', me.agent_id, 'granted_fen', granted,
        'granted_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'expires_at', to_char(expires AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'hub_now', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'daily_budget_fen', budget, 'used_fen', used);
END $$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA hub FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub.me(), hub.is_lead(), hub.owner_of(text, jsonb), hub.may_insert(text, text),
    hub.may_touch(text, text, text), hub.stamp_row(), hub.apply_compensation(text, text, text, jsonb, jsonb),
    hub.grant_allowance() TO {{AGENT_ROLE}}, {{LEAD_ROLE}};
