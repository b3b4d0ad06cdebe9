"""Setting up a PostgreSQL team hub: ``workbench hub init`` and ``workbench hub add-agent``.

Run with an admin DSN (the database owner). ``init_hub`` creates the group roles ``<prefix>_agent`` and
``<prefix>_lead``, the ``hub`` schema, the functions and the row-level security policies, and stores
the team's policy limits for the money checks. ``add_agent`` creates a login role for one agent (member
of the agent or lead group) and registers it; the agent then connects as that role and nothing else.
Every step is idempotent, so re-running init after an upgrade is safe.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from workbench.authority import parse_policy
from workbench.sync import hubmoney, redact
from workbench.sync.protocol import HubError, HubRefused, HubUnavailable

SQL_FILES = ("schema.sql", "functions.sql", "money.sql", "policies.sql")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def _sql_text(name: str) -> str:
    return resources.files("adapters.hub_pg").joinpath(name).read_text("utf-8")


def group_roles(prefix: str) -> tuple[str, str]:
    return f"{prefix}_agent", f"{prefix}_lead"


def login_for(prefix: str, agent_id: str) -> str:
    """The default login role of an agent: ``<prefix>_<agent id>`` with only [a-z0-9_]."""
    return (prefix + "_" + re.sub(r"[^a-z0-9_]", "_", agent_id.lower()))[:63]


def _scrubbed(dsn: str, exc: Exception, *secrets: str) -> str:
    """The driver's message with the DSN's password (and any other secret) masked."""
    return redact.text(str(exc), (redact.password_of(dsn), *secrets))


def _connect(dsn: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=5, application_name="workbench-hub-admin")
    except psycopg.Error as exc:
        raise HubUnavailable(f"{redact.url(dsn)}: {_scrubbed(dsn, exc)}") from None


def _put_settings(conn: psycopg.Connection[Any], settings: dict[str, Any]) -> None:
    for key, value in settings.items():
        conn.execute("INSERT INTO hub.settings (key, value) VALUES (%s, %s) ON CONFLICT (key) "
                     "DO UPDATE SET value = excluded.value", (key, Jsonb(value)))


def _create_role(conn: psycopg.Connection[Any], name: str, login: bool, password: str | None = None) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(sql.Identifier(name)))
    if password is not None:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))


def init_hub(dsn: str, policy_text: str | None = None, *, prefix: str = "wb", timezone: str = "Asia/Shanghai",
             offline_share: float = hubmoney.DEFAULT_OFFLINE_SHARE,
             offline_hours: int = hubmoney.DEFAULT_OFFLINE_HOURS) -> dict[str, Any]:
    """Create or upgrade the hub in the database of ``dsn``; returns what was set up."""
    if not _ROLE.match(prefix):
        raise HubRefused(f"role prefix {prefix!r} must be lower-case letters, digits or _ (at most 40)")
    policy = parse_policy(policy_text, "policy") if policy_text is not None else None
    agent_role, lead_role = group_roles(prefix)
    with _connect(dsn) as conn:
        try:
            owner = str(conn.execute("SELECT current_user").fetchone()[0])  # type: ignore[index]
            _create_role(conn, agent_role, login=False)
            _create_role(conn, lead_role, login=False)
            tokens = {"{{AGENT_ROLE}}": sql.Identifier(agent_role).as_string(conn),
                      "{{LEAD_ROLE}}": sql.Identifier(lead_role).as_string(conn),
                      "{{OWNER}}": sql.Identifier(owner).as_string(conn)}
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('workbench-hub-init'))")
                for name in SQL_FILES:
                    text = _sql_text(name)
                    for token, value in tokens.items():
                        text = text.replace(token, value)
                    conn.execute(text.encode("utf-8"))
                settings: dict[str, Any] = {"role_prefix": prefix, "timezone": timezone,
                                            "offline_share": offline_share, "offline_hours": offline_hours}
                if policy is not None:
                    settings["limits"] = hubmoney.limits_json(policy)
                    settings["policy_toml"] = policy_text
                _put_settings(conn, settings)
        except psycopg.Error as exc:
            raise HubError(f"{redact.url(dsn)}: hub init failed: {_scrubbed(dsn, exc)}") from None
    return {"hub": redact.url(dsn), "agent_role": agent_role, "lead_role": lead_role, "owner": owner,
            "policy_version": policy.version if policy else None}


def add_agent(dsn: str, agent_id: str, role: str = "agent", tier: str = "L1", *, name: str = "",
              login: str | None = None, password: str | None = None) -> dict[str, Any]:
    """Create (or update) an agent and their login role; the password, if any, is never echoed."""
    if role not in ("agent", "lead"):
        raise HubRefused(f"role must be agent or lead, not {role!r}")
    with _connect(dsn) as conn:
        try:
            found = conn.execute("SELECT value #>> '{}' FROM hub.settings WHERE key = 'role_prefix'").fetchone()
            if found is None:
                raise HubRefused(f"{redact.url(dsn)} has no hub yet; run: workbench hub init DSN")
            prefix = str(found[0])
            login = login or login_for(prefix, agent_id)
            agent_role, lead_role = group_roles(prefix)
            _create_role(conn, login, login=True, password=password)
            group, other = (lead_role, agent_role) if role == "lead" else (agent_role, lead_role)
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(login)))
            conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), sql.Identifier(login)))
            conn.execute(sql.SQL("ALTER ROLE {} SET idle_in_transaction_session_timeout = '30s'")
                         .format(sql.Identifier(login)))
            conn.execute(
                "INSERT INTO hub.agents (agent_id, login, name, role, tier, active) VALUES (%s, %s, %s, %s, %s, true) "
                "ON CONFLICT (agent_id) DO UPDATE SET login = excluded.login, name = excluded.name, "
                "role = excluded.role, tier = excluded.tier, active = true",
                (agent_id, login, name or agent_id, role, tier),
            )
        except psycopg.Error as exc:
            raise HubError(f"{redact.url(dsn)}: add-agent failed: {_scrubbed(dsn, exc, password or '')}") from None
    return {"agent_id": agent_id, "login": login, "role": role, "tier": tier}


def set_policy(dsn: str, policy_text: str) -> int:
    """Upload a new policy (validated first); returns its version."""
    policy = parse_policy(policy_text, "policy")
    with _connect(dsn) as conn:
        try:
            _put_settings(conn, {"limits": hubmoney.limits_json(policy), "policy_toml": policy_text})
        except psycopg.Error as exc:
            raise HubError(f"{redact.url(dsn)}: policy upload failed: {_scrubbed(dsn, exc)}") from None
    return policy.version
