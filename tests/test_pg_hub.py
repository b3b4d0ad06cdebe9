"""PostgreSQL hub specifics: RLS as real agent roles, locked money checks under races, the xid8 pull cursor.

Every connection here logs in as an agent's own role (never the superuser); the first test proves it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors

from adapters.hub_pg.hub import PgHub
from workbench.authority.policy import builtin_text
from workbench.sync.protocol import Entry, HubRefused
from tests.sync_support import NOW, SMALL_POLICY, PgTeam, follow_up, pg_team  # noqa: F401


@pytest.fixture
def team(require_pg: None, pg_team: PgTeam) -> Iterator[PgTeam]:  # noqa: F811
    pg_team.reset()
    pg_team.set_policy(builtin_text())
    yield pg_team
    pg_team.reset()
    pg_team.set_policy(builtin_text())


def connect_as(team: PgTeam, agent: str) -> psycopg.Connection[Any]:
    return psycopg.connect(team.dsn(agent), autocommit=True)


def create(entity: str, row: dict[str, Any]) -> Entry:
    return Entry(uuid.uuid4().hex, entity, row["id"], "create", row)


def coupon(comp_id: str, agent: str, amount: int, customer: str = "cu-1", case_id: str | None = None) -> Entry:
    return create("compensations", {"id": comp_id, "case_id": case_id or f"c-{comp_id}", "customer_id": customer,
                                    "agent_id": agent, "action": "coupon", "amount_fen": amount, "status": "issued"})


def test_agents_are_real_login_roles_not_superusers(team: PgTeam) -> None:
    with connect_as(team, "a-lina") as conn:
        assert conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone() \
            == (False, False)
        assert conn.execute("SELECT hub.me(), hub.is_lead()").fetchone() == ("a-lina", False)
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone()[0] == "30s"
    hub = PgHub(team.dsn("a-zhaomin"))
    hub.connect()
    assert (hub.agent_id, hub.is_lead) == ("a-zhaomin", True)
    hub.close()


def test_rls_reads_team_data_but_changes_only_own(team: PgTeam) -> None:
    lina = PgHub(team.dsn("a-lina"))
    lina.push([create("follow_ups", follow_up("fu-1", "a-lina")),
               create("customers", {"id": "cu-1", "name": "王磊", "created_at": NOW, "updated_at": NOW})])
    with connect_as(team, "a-chenjie") as chen:
        assert chen.execute("SELECT count(*) FROM hub.rows").fetchone()[0] == 2  # shared data is readable
        assert chen.execute("UPDATE hub.rows SET data = data || '{\"note\": \"x\"}' WHERE entity_id = 'fu-1'").rowcount == 0
        assert chen.execute("SELECT count(*) FROM hub.entries").fetchone()[0] == 0  # lina's answers are hers
        assert chen.execute("UPDATE hub.rows SET data = data || '{\"phone\": \"1\"}' WHERE entity_id = 'cu-1'").rowcount == 1
        with pytest.raises(pg_errors.InsufficientPrivilege):
            chen.execute("INSERT INTO hub.rows (entity, entity_id, data) VALUES ('compensations', 'k', '{}')")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            chen.execute("INSERT INTO hub.money (comp_id, agent_id, customer_id, action, amount_fen, status) "
                         "VALUES ('k', 'a-chenjie', 'cu', 'coupon', 1, 'issued')")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            chen.execute("SELECT hub.money_check('issue', NULL, NULL, '{}')")
        # A setting the client controls does not make it someone else; nor can it become another role.
        chen.execute("SET application_name = 'a-lina'")
        chen.execute("CREATE TEMP TABLE agents (agent_id text, login name, role text, tier text, active boolean)")
        chen.execute("INSERT INTO pg_temp.agents VALUES ('a-zhaomin', current_user, 'lead', 'L3', true)")
        chen.execute("SET search_path = pg_temp, hub, public")
        assert chen.execute("SELECT hub.me(), hub.is_lead()").fetchone() == ("a-chenjie", False)
        with pytest.raises(pg_errors.InsufficientPrivilege):
            chen.execute(f'SET ROLE "{team.logins["a-lina"]}"')
    with connect_as(team, "a-lina") as conn:
        assert conn.execute("SELECT count(*) FROM hub.entries").fetchone()[0] == 2
        assert conn.execute("SELECT data ->> 'updated_by', updated_by FROM hub.rows WHERE entity_id = 'cu-1'").fetchone()[1] \
            == "a-chenjie"  # stamped from the login role by the trigger
    with connect_as(team, "a-zhaomin") as lead:  # leads change anyone's follow-ups
        assert lead.execute("UPDATE hub.rows SET data = data || '{\"owner_id\": \"a-chenjie\"}' "
                            "WHERE entity_id = 'fu-1'").rowcount == 1
        assert lead.execute("SELECT owner, prev_owner, version FROM hub.rows WHERE entity_id = 'fu-1'").fetchone() \
            == ("a-chenjie", "a-lina", 2)


def test_security_definer_functions_pin_search_path_and_are_not_public(team: PgTeam) -> None:
    rows = team._sql("SELECT p.proname, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE') "
                     "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                     "WHERE n.nspname = 'hub' AND p.prosecdef")
    assert {r[0] for r in rows} >= {"apply_compensation", "grant_allowance", "money_check", "answer", "put_row"}
    for name, config, public in rows:
        assert config == ["search_path=hub, pg_temp"], name
        assert public is False, name


def test_a_temp_table_cannot_hijack_the_money_function(team: PgTeam) -> None:
    lina = PgHub(team.dsn("a-lina"))
    conn = lina.connect()
    conn.execute("CREATE TEMP TABLE money (comp_id text, agent_id text, customer_id text, case_id text, action text, "
                 "amount_fen bigint, status text, approver text, counted_at timestamptz)")
    conn.execute("CREATE TEMP TABLE rows (entity text, entity_id text, data jsonb)")
    (result,) = lina.push([coupon("k-1", "a-lina", 3000)])
    assert result.status == "accepted"
    assert conn.execute("SELECT count(*) FROM pg_temp.money").fetchone()[0] == 0
    assert team._sql("SELECT count(*) FROM hub.money")[0][0] == 1
    lina.close()


def test_unknown_login_is_refused_clearly(team: PgTeam) -> None:
    stranger = team.tag + "_stranger"
    team._sql(f'CREATE ROLE "{stranger}" LOGIN')
    team._sql(f'GRANT "{team.tag}_agent" TO "{stranger}"')
    hub = PgHub(f"postgresql://{stranger}@127.0.0.1:5432/{team.db}")
    with pytest.raises(HubRefused, match="add-agent"):
        hub.pull("", 1)


def _race(team: PgTeam, pushes: list[tuple[str, Entry]]) -> list[Any]:
    """Push each entry from its own connection at the same moment; returns the results in order."""
    hubs = [PgHub(team.dsn(agent)) for agent, _ in pushes]
    for hub in hubs:
        hub.connect()
    barrier = threading.Barrier(len(pushes))
    results: list[Any] = [None] * len(pushes)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = hubs[i].push([pushes[i][1]])[0]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(pushes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for hub in hubs:
        hub.close()
    return results


def test_two_agents_racing_on_one_customers_cap_cannot_both_pass(team: PgTeam) -> None:
    team.set_policy(SMALL_POLICY)  # customer cap ¥200
    for round_no in range(8):
        team.reset()
        customer = f"cu-race-{round_no}"
        warmup = PgHub(team.dsn("a-wangqiang"))  # ¥160 already given by a third agent
        assert [r.status for r in warmup.push([coupon(f"w{i}-{round_no}", "a-wangqiang", 8000, customer)
                                               for i in range(2)])] == ["accepted", "accepted"]
        warmup.close()
        results = _race(team, [("a-lina", coupon(f"l-{round_no}", "a-lina", 3000, customer)),
                               ("a-chenjie", coupon(f"c-{round_no}", "a-chenjie", 3000, customer))])
        assert sorted(r.status for r in results) == ["accepted", "rejected"], round_no
        assert [r.code for r in results if r.status == "rejected"] == ["customer_cap"]
        total = team._sql("SELECT sum(amount_fen) FROM hub.money WHERE customer_id = %s", (customer,))[0][0]
        assert total == 19000


def test_forty_concurrent_coupons_never_overspend_one_budget(team: PgTeam) -> None:
    team.set_policy(SMALL_POLICY.replace("[tiers.L1]\ndaily_budget = 100", "[tiers.L1]\ndaily_budget = 50"))
    results = _race(team, [("a-lina", coupon(f"b-{i}", "a-lina", 1000, f"cu-{i}")) for i in range(40)])
    assert sum(r.status == "accepted" for r in results) == 5
    assert {r.code for r in results if r.status == "rejected"} == {"daily_budget"}
    assert team._sql("SELECT sum(amount_fen) FROM hub.money WHERE agent_id = 'a-lina'")[0][0] == 5000


def test_pull_cursor_does_not_skip_transactions_committing_out_of_order(team: PgTeam) -> None:
    reader = PgHub(team.dsn("a-zhaomin"))
    _, cursor = reader.pull("", 100)
    first, second = connect_as(team, "a-lina"), connect_as(team, "a-chenjie")
    insert = "INSERT INTO hub.rows (entity, entity_id, data) VALUES ('customers', %s, '{\"name\": \"x\"}')"
    with first.transaction():
        first.execute(insert, ("cu-early",))  # the older transaction id ...
        with second.transaction():
            second.execute(insert, ("cu-late",))
        # ... commits after the younger one. A sequence cursor would now deliver cu-late and skip cu-early.
        changes, cursor = reader.pull(cursor, 100)
        assert changes == []
    seen = []
    for _ in range(3):
        changes, cursor = reader.pull(cursor, 100)
        seen += [c.entity_id for c in changes]
    assert sorted(seen) == ["cu-early", "cu-late"]
    first.close()
    second.close()
    reader.close()


def test_concurrent_writers_every_row_delivered_exactly_once(team: PgTeam) -> None:
    reader = PgHub(team.dsn("a-zhaomin"))
    cursor, seen = "", []

    def writer(agent: str) -> None:
        hub = PgHub(team.dsn(agent))
        for i in range(60):
            hub.push([create("customers", {"id": f"{agent}-{i}", "name": "x", "created_at": NOW, "updated_at": NOW})])
        hub.close()

    threads = [threading.Thread(target=writer, args=(a,)) for a in ("a-lina", "a-chenjie", "a-wangqiang")]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):  # pull while the three writers commit in any order
        changes, cursor = reader.pull(cursor, 7)
        seen += [c.entity_id for c in changes]
    for thread in threads:
        thread.join()
    for _ in range(200):
        changes, cursor = reader.pull(cursor, 7)
        seen += [c.entity_id for c in changes]
        if not changes and len(set(seen)) >= 180:
            break
    assert len(seen) == len(set(seen)) == 180
    reader.close()


def test_cli_sets_up_a_team_hub_and_an_agent_syncs_through_it(require_pg: None, tmp_path: Any,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.cli import main as cli_main
    from workbench.clock import FrozenClock
    from tests.sync_support import insert, make_cache, seed_world

    tag = "wbcli" + uuid.uuid4().hex[:8]
    server = "postgresql://postgres@127.0.0.1:5432"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{tag}"')
    try:
        assert cli_main(["hub", "init", f"{server}/{tag}", "--role-prefix", tag]) == 0
        monkeypatch.setenv("LINA_PW", "s3cret-Pw!")
        assert cli_main(["hub", "add-agent", "a-lina", "--hub", f"{server}/{tag}", "--role", "agent", "--tier", "L1",
                         "--display-name", "李娜", "--password-env", "LINA_PW"]) == 0
        out = capsys.readouterr().out
        assert f"{tag}_a_lina" in out and "s3cret" not in out
        db = tmp_path / "cli.db"
        ctx = make_cache(db, "a-lina", FrozenClock())
        seed_world(ctx)
        insert(ctx, "follow_ups", follow_up("fu-cli", "a-lina"))
        ctx.store.close()
        monkeypatch.setenv("WORKBENCH_HUB_URL", f"postgresql://{tag}_a_lina:s3cret-Pw!@127.0.0.1:5432/{tag}")
        assert cli_main(["sync", "--db", str(db), "--agent", "a-lina"]) == 0
        captured = capsys.readouterr()
        assert "s3cret" not in captured.out + captured.err and "1" in captured.out
        with psycopg.connect(f"{server}/{tag}", autocommit=True) as conn:
            assert conn.execute("SELECT updated_by FROM hub.rows WHERE entity_id = 'fu-cli'").fetchone() == ("a-lina",)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{tag}" WITH (FORCE)')
            for (role,) in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (tag + "%",)).fetchall():
                conn.execute(f'DROP ROLE "{role}"')


def test_pull_pages_in_numeric_transaction_order(team: PgTeam) -> None:
    """Transaction ids 9, 10, 11 must page as numbers: as text, '10' < '11' < '9' and 9 would be skipped."""
    team._sql("ALTER TABLE hub.rows DISABLE TRIGGER rows_stamp")
    try:
        for txid in (9, 10, 11, 100):
            team._sql("INSERT INTO hub.rows (entity, entity_id, data, txid) VALUES ('customers', %s, '{}', %s::xid8)",
                      (f"cu-{txid}", str(txid)))
    finally:
        team._sql("ALTER TABLE hub.rows ENABLE TRIGGER rows_stamp")
    for limit in (1, 2, 3):
        reader, cursor, seen = PgHub(team.dsn("a-lina")), "", []
        for _ in range(10):
            changes, cursor = reader.pull(cursor, limit)
            seen += [c.entity_id for c in changes]
        reader.close()
        assert seen == ["cu-9", "cu-10", "cu-11", "cu-100"], limit
