"""The figures in the header bar, gathered in one call so a thread worker can refresh them cheaply."""

# No ``from __future__ import annotations`` in this module: its NamedTuple fields would then be strings,
# and typing compiles each one at import (about 3 ms over the modules on the way to the first frame).

from typing import Any, NamedTuple

from workbench.context import Context
from workbench.outbox import pending_count
from workbench.timefmt import to_db


class HeaderStatus(NamedTuple):
    """The header's figures, read in one go (a NamedTuple: built once per refresh, never changed)."""

    agent: dict[str, Any]
    pending: int
    sla_breaches: int
    overdue_followups: int
    authority: dict[str, Any]
    sync: dict[str, Any]


def sla_breaches(ctx: Context, agent_id: str) -> int:
    """Open cases of this agent still waiting for a first reply past their SLA due time."""
    return int(ctx.store.scalar(
        "SELECT count(*) FROM cases WHERE status IN ('open', 'pending') AND assignee_id = ? "
        "AND first_response_at IS NULL AND sla_due_at < ?",
        (agent_id, to_db(ctx.clock.now())),
    ))


def header_status(ctx: Context) -> HeaderStatus:
    """Everything the header shows; extra figures come from the authority and sync services."""
    # The read-side modules only: the header does not need the compensation or follow-up write paths.
    from workbench.services.compensation_views import authority_summary
    from workbench.services.followup_model import overdue_count
    from workbench.sync import status as sync_status

    agent = ctx.agent()
    return HeaderStatus(
        agent=agent,
        pending=pending_count(ctx.store.conn),
        sla_breaches=sla_breaches(ctx, ctx.agent_id),
        overdue_followups=overdue_count(ctx, ctx.agent_id),
        authority=authority_summary(ctx),
        sync=sync_status.read(ctx),
    )
