"""The team lead's figures for a shop-timezone day or a range of days (SLA, FCR, spend, top reasons).

Read-only: nothing here writes, so the report can run in a thread worker beside an agent's work.
Every query is bounded by the period (a half-open UTC interval ``[start, end)`` made from shop-local
midnights, the same windows :mod:`workbench.authority.figures` uses for the daily budget), grouped in
SQL, and returns at most one row per agent, action or intent. Migration ``0070_report_indexes`` creates
:data:`WANTED_INDEXES` (cases by ``opened_at``/``closed_at``, done follow-ups by ``done_at``, approved
compensations by ``decided_at``), so each read costs its period, not the table.

Definitions (what a lead means by each figure, written down so the CLI, the screen and the tests agree):

* Case figures (opened, closed, SLA, FCR, first-response time, reasons) count customer cases only
  (``proactive = 0``); proactive contacts are counted on their own.
* **First-response SLA**: of the cases opened in the period with a due time, *met* when
  ``first_response_at <= sla_due_at``; *breached* when the reply came later, or has not come and the
  due time has passed (as of now); *pending* while unanswered and not yet due. The met share counts
  decided cases only. Breaches are charged to the case's assignee.
* **FCR** (一次解决率): the share of cases closed in the period that were never escalated
  (``escalated_to`` null), never reopened (no ``reopened_after_close`` flag from sync) and handled by
  at most one agent (the assignee plus every agent who wrote in the case).
* **Spend**: compensations that took effect in the period — ``issued`` at ``created_at``, ``approved``
  at ``decided_at`` — in integer fen, by action and by the agent who gave it.
* **Approval requests**: requests raised in the period, by their current status; plus all pending now.
* **Follow-ups**: done in the period (and how many of those after due time + grace), and overdue now.
* **Proactive**: proactive cases opened in the period, and how many of those the customer answered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workbench.context import Context
from workbench.i18n import t
from workbench.timefmt import to_db

MAX_DAYS = 366
TOP_INTENTS = 10
UNASSIGNED = ""
REOPENED_FLAG = "reopened_after_close"  # set by workbench.sync.conflicts when a hub close is undone
# What a migration should add for the report to cost the period, not the history (measured: 300k cases
# over a year, one-day report 600 ms without, 4 ms with).
WANTED_INDEXES = (
    "CREATE INDEX IF NOT EXISTS cases_opened_at ON cases (opened_at)",
    "CREATE INDEX IF NOT EXISTS cases_status_closed_at ON cases (status, closed_at)",
    "CREATE INDEX IF NOT EXISTS follow_ups_status_done_at ON follow_ups (status, done_at)",
    "CREATE INDEX IF NOT EXISTS compensations_status_decided_at ON compensations (status, decided_at)",
)
APPROVAL_STATUSES = ("requested", "approved", "rejected")


class ReportError(ValueError):
    """A period that cannot be reported (bad date, too many days); the message says what to use."""


@dataclass(frozen=True)
class Period:
    """Shop-local days ``first``..``last`` (inclusive) as the UTC interval ``[start, end)``."""

    first: date
    last: date
    days: int
    tz: str
    start: str
    end: str


@dataclass
class AgentFigures:
    """One row of the per-agent table; ``agent_id`` is ``""`` for cases nobody was assigned."""

    agent_id: str
    name: str
    opened: int = 0
    closed: int = 0
    sla_met: int = 0
    sla_breached: int = 0
    sla_pending: int = 0
    fcr: int = 0
    responded: int = 0
    response_seconds: int = 0
    spend_fen: int = 0
    spend_count: int = 0
    followups_done: int = 0
    followups_late: int = 0
    followups_overdue: int = 0

    @property
    def sla_pct(self) -> float | None:
        return pct(self.sla_met, self.sla_met + self.sla_breached)

    @property
    def fcr_pct(self) -> float | None:
        return pct(self.fcr, self.closed)

    @property
    def avg_response_seconds(self) -> int | None:
        return round(self.response_seconds / self.responded) if self.responded else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sla_met_pct": self.sla_pct, "fcr_pct": self.fcr_pct,
                "avg_first_response_seconds": self.avg_response_seconds}


@dataclass
class Report:
    """Everything the lead's dashboard and ``workbench report`` show for one period."""

    period: Period
    generated_at: str
    agent_filter: str | None
    agents: list[AgentFigures]
    intents: list[tuple[str, int]]
    spend_by_action: list[tuple[str, int, int]]  # (action, count, fen)
    approvals: dict[str, int]
    approvals_pending_now: int
    proactive_opened: int
    proactive_replied: int
    still_open: int
    totals: AgentFigures = field(init=False)

    def __post_init__(self) -> None:
        total = AgentFigures("*", "")
        for row in self.agents:
            for name in _SUMMED:
                setattr(total, name, getattr(total, name) + getattr(row, name))
        self.totals = total

    @property
    def spend_fen(self) -> int:
        return sum(fen for _, _, fen in self.spend_by_action)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, money in fen, percentages 0–100 with one decimal or null."""
        period = asdict(self.period)
        period["first"], period["last"] = self.period.first.isoformat(), self.period.last.isoformat()
        totals = self.totals.as_dict()
        for key in ("agent_id", "name"):
            totals.pop(key)
        return {
            "period": period, "generated_at": self.generated_at, "agent": self.agent_filter,
            "totals": totals, "still_open": self.still_open,
            "spend": {"total_fen": self.spend_fen,
                      "by_action": [{"action": a, "count": n, "fen": f} for a, n, f in self.spend_by_action],
                      "by_agent": [{"agent_id": r.agent_id, "count": r.spend_count, "fen": r.spend_fen}
                                   for r in self.agents if r.spend_count]},
            "approvals": {**self.approvals, "pending_now": self.approvals_pending_now},
            "intents": [{"intent": i, "count": n} for i, n in self.intents],
            "proactive": {"opened": self.proactive_opened, "replied": self.proactive_replied},
            "agents": [r.as_dict() for r in self.agents],
        }


_SUMMED = ("opened", "closed", "sla_met", "sla_breached", "sla_pending", "fcr", "responded", "response_seconds",
           "spend_fen", "spend_count", "followups_done", "followups_late", "followups_overdue")


def pct(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide (shown as "–")."""
    return round(100.0 * part / whole, 1) if whole else None


# ----- the period ----------------------------------------------------------------------------------
def today(ctx: Context) -> date:
    """Today in the shop's timezone (by the context's clock)."""
    return ctx.clock.now().astimezone(ZoneInfo(ctx.tz)).date()


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` into a date, or a ReportError saying which format is expected."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ReportError(t("reports.error.bad_date", text=text)) from exc


def period(ctx: Context, last: date | None = None, days: int = 1) -> Period:
    """The ``days`` shop-local days ending with ``last`` (default today), as a UTC interval.

    Midnights are taken in the shop's timezone, so a day is 23 or 25 hours long across a DST change
    rather than shifted by an hour.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ReportError(t("reports.error.bad_days", max=MAX_DAYS, days=days))
    last = last or today(ctx)
    first = last - timedelta(days=days - 1)
    zone = ZoneInfo(ctx.tz)
    end_day = last + timedelta(days=1)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)
    return Period(first, last, days, ctx.tz, to_db(start), to_db(end))


# ----- queries -------------------------------------------------------------------------------------
_EPOCH = "CAST(strftime('%s', {}) AS INTEGER)"
_OPENED_SQL = f"""
SELECT coalesce(c.assignee_id, '') AS agent_id, c.intent,
  coalesce(sum(c.proactive = 0), 0) AS opened,
  coalesce(sum(c.proactive = 0 AND c.status != 'closed'), 0) AS still_open,
  coalesce(sum(c.proactive = 0 AND c.sla_due_at IS NOT NULL AND c.first_response_at IS NOT NULL
               AND c.first_response_at <= c.sla_due_at), 0) AS sla_met,
  coalesce(sum(c.proactive = 0 AND c.sla_due_at IS NOT NULL AND (c.first_response_at > c.sla_due_at
               OR (c.first_response_at IS NULL AND c.sla_due_at < :now))), 0) AS sla_breached,
  coalesce(sum(c.proactive = 0 AND c.sla_due_at IS NOT NULL AND c.first_response_at IS NULL
               AND c.sla_due_at >= :now), 0) AS sla_pending,
  coalesce(sum(c.proactive = 0 AND c.first_response_at IS NOT NULL), 0) AS responded,
  coalesce(sum(CASE WHEN c.proactive = 0 AND c.first_response_at IS NOT NULL
               THEN max(0, {_EPOCH.format('c.first_response_at')} - {_EPOCH.format('c.opened_at')}) END), 0)
               AS response_seconds,
  coalesce(sum(c.proactive = 1), 0) AS proactive,
  coalesce(sum(c.proactive = 1 AND EXISTS (SELECT 1 FROM messages m WHERE m.case_id = c.id
               AND m.author = 'customer')), 0) AS replied
FROM cases c WHERE c.opened_at >= :start AND c.opened_at < :end {{agent}}
GROUP BY c.assignee_id, c.intent
"""
# "At most one agent": nobody but the assignee wrote in the case (with no assignee: at most one writer).
# min/max instead of count(DISTINCT) so no temporary b-tree is built per case; messages are read through
# messages_case_at, so the cost is the case's own messages.
_CLOSED_SQL = """
SELECT coalesce(c.assignee_id, '') AS agent_id, count(*) AS closed,
  coalesce(sum(c.escalated_to IS NULL AND coalesce(c.flag, '') != :reopened AND (
      SELECT CASE WHEN c.assignee_id IS NULL THEN coalesce(min(m.agent_id) = max(m.agent_id), 1)
                  ELSE count(*) = 0 END
      FROM messages m WHERE m.case_id = c.id AND m.author = 'agent' AND m.agent_id IS NOT NULL
                            AND m.agent_id IS NOT c.assignee_id)), 0) AS fcr
FROM cases c WHERE c.status = 'closed' AND c.proactive = 0 AND c.closed_at >= :start AND c.closed_at < :end {agent}
GROUP BY c.assignee_id
"""
# Issued rows take effect when created (a range on compensations_status), approved ones when the lead
# decided (a range once compensations (status, decided_at) exists; the approved slice until then).
_SPEND_SQL = """
SELECT agent_id, action, count(*) AS n, sum(amount_fen) AS fen FROM (
  SELECT agent_id, action, amount_fen FROM compensations
    WHERE status = 'issued' AND created_at >= :start AND created_at < :end {agent}
  UNION ALL
  SELECT agent_id, action, amount_fen FROM compensations
    WHERE status = 'approved' AND decided_at >= :start AND decided_at < :end {agent}
) GROUP BY agent_id, action
"""
_APPROVALS_SQL = """
SELECT status, count(*) AS n FROM compensations
WHERE status IN ('requested', 'approved', 'rejected') AND created_at >= :start AND created_at < :end {agent}
GROUP BY status
"""
_DONE_SQL = """
SELECT owner_id AS agent_id, count(*) AS done,
  coalesce(sum(due_at IS NOT NULL AND done_at > strftime('%Y-%m-%dT%H:%M:%SZ', due_at, :grace)), 0) AS late
FROM follow_ups WHERE status = 'done' AND done_at >= :start AND done_at < :end {owner}
GROUP BY owner_id
"""
# A range on follow_ups_status_due per open status.
_OVERDUE_SQL = """
SELECT owner_id AS agent_id, count(*) AS overdue FROM follow_ups
WHERE status IN ('scheduled', 'due') AND due_at < :cutoff {owner}
GROUP BY owner_id
"""


def _filter(column: str, agent_id: str | None) -> str:
    return f"AND {column} = :agent" if agent_id is not None else ""


def build(ctx: Context, last: date | None = None, days: int = 1, agent_id: str | None = None) -> Report:
    """Compute the report for ``days`` shop-local days ending with ``last`` (default today).

    ``agent_id`` narrows every figure to one agent (their assigned cases, the compensations they gave,
    the follow-ups they own); None means the whole team. Raises ReportError for a bad period.
    """
    from workbench.services.followup_model import grace

    span = period(ctx, last, days)
    now = ctx.clock.now()
    grace_period = grace(ctx)
    params: dict[str, Any] = {"start": span.start, "end": span.end, "now": to_db(now), "agent": agent_id,
                              "reopened": REOPENED_FLAG,
                              "grace": f"+{int(grace_period.total_seconds())} seconds",
                              "cutoff": to_db(now - grace_period)}
    store = ctx.store
    rows: dict[str, AgentFigures] = {}

    def row(agent: str | None) -> AgentFigures:
        key = agent or UNASSIGNED
        if key not in rows:
            rows[key] = AgentFigures(key, "")
        return rows[key]

    still_open = proactive_opened = proactive_replied = 0
    intents: dict[str, int] = {}
    # One pass over the period's cases, by agent and intent (reading those rows twice cost twice as much).
    for r in store.query(_OPENED_SQL.format(agent=_filter("c.assignee_id", agent_id)), params):
        target = row(r["agent_id"])
        for name in ("opened", "sla_met", "sla_breached", "sla_pending", "responded", "response_seconds"):
            setattr(target, name, getattr(target, name) + int(r[name]))
        if r["opened"]:
            intents[r["intent"]] = intents.get(r["intent"], 0) + int(r["opened"])
        still_open += int(r["still_open"])
        proactive_opened += int(r["proactive"])
        proactive_replied += int(r["replied"])
    for r in store.query(_CLOSED_SQL.format(agent=_filter("c.assignee_id", agent_id)), params):
        target = row(r["agent_id"])
        target.closed, target.fcr = int(r["closed"]), int(r["fcr"])
    by_action: dict[str, list[int]] = {}
    for r in store.query(_SPEND_SQL.format(agent=_filter("agent_id", agent_id)), params):
        target = row(r["agent_id"])
        target.spend_count += int(r["n"])
        target.spend_fen += int(r["fen"])
        totals = by_action.setdefault(r["action"], [0, 0])
        totals[0] += int(r["n"])
        totals[1] += int(r["fen"])
    for r in store.query(_DONE_SQL.format(owner=_filter("owner_id", agent_id)), params):
        target = row(r["agent_id"])
        target.followups_done, target.followups_late = int(r["done"]), int(r["late"])
    for r in store.query(_OVERDUE_SQL.format(owner=_filter("owner_id", agent_id)), params):
        row(r["agent_id"]).followups_overdue = int(r["overdue"])
    approvals = {status: 0 for status in APPROVAL_STATUSES}
    for r in store.query(_APPROVALS_SQL.format(agent=_filter("agent_id", agent_id)), params):
        approvals[r["status"]] = int(r["n"])
    pending_now = int(store.scalar(
        "SELECT count(*) FROM compensations WHERE status = 'requested' " + _filter("agent_id", agent_id), params))
    return Report(
        period=span, generated_at=to_db(now), agent_filter=agent_id,
        agents=_named(ctx, rows, agent_id),
        intents=sorted(intents.items(), key=lambda item: (-item[1], item[0]))[:TOP_INTENTS],
        spend_by_action=sorted(((a, n, f) for a, (n, f) in by_action.items()), key=lambda x: (-x[2], x[0])),
        approvals=approvals, approvals_pending_now=pending_now,
        proactive_opened=proactive_opened, proactive_replied=proactive_replied, still_open=still_open,
    )


def _named(ctx: Context, rows: dict[str, AgentFigures], agent_id: str | None) -> list[AgentFigures]:
    """Every active agent (zeros included, so an idle colleague is visible), then anyone else with
    figures (inactive, or known only from synced rows), then unassigned work last."""
    if agent_id is not None:
        team = ctx.store.query("SELECT id, name FROM agents WHERE id = ?", (agent_id,))
        rows.setdefault(agent_id, AgentFigures(agent_id, ""))
    else:
        team = ctx.store.query("SELECT id, name FROM agents WHERE active = 1 OR id IN (%s) ORDER BY id"
                               % ",".join("?" for _ in rows), tuple(rows))
    names = {r["id"]: r["name"] for r in team}
    for agent in names:
        rows.setdefault(agent, AgentFigures(agent, ""))
    out: list[AgentFigures] = []
    for key in sorted(rows, key=lambda k: (k == UNASSIGNED, k)):
        figures = rows[key]
        figures.name = names.get(key, key)
        out.append(figures)
    return out
