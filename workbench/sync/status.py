"""Sync figures for the header and the Sync screen, read from the local cache only (never the network).

The header calls :func:`read` every few seconds, so everything here is one or two indexed queries.
"""

from __future__ import annotations

import json
import os
from typing import Any

from workbench import i18n
from workbench.context import Context
from workbench.sync import redact

ENV_URL = "WORKBENCH_HUB_URL"
LIST_LIMIT = 200


def configured_url(ctx: Context) -> str:
    """The hub URL this cache syncs with (env first, then the config file); '' when none."""
    return os.environ.get(ENV_URL) or ctx.settings.hub.url or ""


def _state(ctx: Context) -> dict[str, str]:
    return {r[0]: r[1] for r in ctx.store.query(
        "SELECT key, value FROM sync_state WHERE key IN ('online', 'last_sync_at', 'last_error', 'hub')")}


def read(ctx: Context) -> dict[str, Any]:
    """``online`` (None = never tried or no hub), ``last_sync_at``, ``last_error``, ``hub`` (redacted), ``pending``."""
    state = _state(ctx)
    url = configured_url(ctx)
    online: bool | None = None
    if url and "online" in state:
        online = state["online"] == "1"
    pending = int(ctx.store.scalar("SELECT count(*) FROM outbox WHERE status = 'pending'") or 0)
    return {
        "online": online,
        "last_sync_at": state.get("last_sync_at") or None,
        "last_error": state.get("last_error") or None,
        "hub": redact.url(url) if url else "",
        "pending": pending,
    }


def _response(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {"reason": text}
    return value if isinstance(value, dict) else {}


def pending_entries(ctx: Context, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """Entries still waiting for the hub, oldest first."""
    rows = ctx.store.query(
        "SELECT seq, key, entity, entity_id, op, created_at, attempts, last_error FROM outbox "
        "WHERE status = 'pending' ORDER BY seq LIMIT ?", (limit,))
    return [dict(r) for r in rows]


def answered(ctx: Context, status: str, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """Entries the hub rejected (``status='rejected'``) or merged differently (``'conflict'``), newest first.

    Each carries both versions: ``local`` (what this cache sent) and ``hub`` (the hub's row, if sent).
    """
    rows = ctx.store.query(
        "SELECT seq, key, entity, entity_id, op, payload, response, sent_at FROM outbox "
        "WHERE status = ? ORDER BY seq DESC LIMIT ?", (status, limit))
    out = []
    for row in rows:
        response = _response(row["response"])
        reason = str(response.get("reason") or "")
        out.append({
            "seq": row["seq"], "key": row["key"], "entity": row["entity"], "entity_id": row["entity_id"],
            "op": row["op"], "sent_at": row["sent_at"], "reason": reason, "code": reason_code(reason),
            "local": json.loads(row["payload"]), "hub": response.get("row"),
            "hub_version": response.get("hub_version"),
        })
    return out


def errors(ctx: Context, limit: int = 20) -> list[dict[str, Any]]:
    """The last sync errors, newest first (messages were redacted before they were stored)."""
    return [dict(r) for r in ctx.store.query(
        "SELECT at, message FROM sync_errors ORDER BY id DESC LIMIT ?", (limit,))]


def reason_code(reason: str) -> str:
    """``'daily_budget: used=...'`` → ``'daily_budget'``."""
    return reason.split(":", 1)[0].strip() if reason else ""


def next_step_key(code: str) -> str:
    """The i18n key of the suggested next step for a rejection reason code.

    Looked up in the catalog itself (``[next]`` in ``locale/*/sync.toml``), so a code without its own
    advice falls back to the general one instead of showing a raw key.
    """
    key = f"sync.next.{code}"
    return key if code and i18n.t_or(key, "") != "" else "sync.next.other"


def case_rejections(ctx: Context, case_id: str) -> list[dict[str, Any]]:
    """Compensations on this case the hub refused: what the case view shows prominently.

    Each: ``id, action, amount_fen, reason, code, next_step_key``. Empty when nothing was refused.
    """
    rows = ctx.store.query(
        "SELECT id, action, amount_fen, hub_reason FROM compensations "
        "WHERE case_id = ? AND hub_status = 'rejected' ORDER BY created_at DESC LIMIT 20", (case_id,))
    out = []
    for row in rows:
        code = reason_code(row["hub_reason"] or "")
        out.append({"id": row["id"], "action": row["action"], "amount_fen": row["amount_fen"],
                    "reason": row["hub_reason"] or "", "code": code, "next_step_key": next_step_key(code)})
    return out

