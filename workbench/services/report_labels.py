"""Words and numbers of the report as a lead reads them, shared by ``workbench report`` and the screen.

The figures come from :mod:`workbench.services.reports`; this module only turns them into catalog text
(zh-CN first), so the CLI table and the dashboard cards can never say different things. Agent names and
unknown intents/actions come from synced rows: they are cleaned to one line here, and the screen still
renders them as ``Text``, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.authority.policy import ACTIONS
from workbench.i18n import t
from workbench.money import format_fen
from workbench.sanitize import one_line
from workbench.services.reports import UNASSIGNED, AgentFigures, Period, Report, pct
from workbench.triage.model import INTENTS


def pct_text(value: float | None) -> str:
    return t("reports.none") if value is None else f"{value:.1f}%"


def duration_text(seconds: int | None) -> str:
    """3分12秒 / 1小时5分: how long customers waited for a first reply."""
    if seconds is None:
        return t("reports.none")
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return t("reports.duration.hours", h=hours, m=minutes)
    if minutes:
        return t("reports.duration.minutes", m=minutes, s=secs)
    return t("reports.duration.seconds", s=secs)


def period_text(span: Period) -> str:
    if span.days == 1:
        return t("reports.title_day", date=span.first.isoformat(), weekday=t(f"reports.weekday.{span.first.weekday()}"))
    return t("reports.title_range", first=span.first.isoformat(), last=span.last.isoformat(), days=span.days)


def agent_text(row: AgentFigures) -> str:
    """The agent's name cleaned for one line (names arrive by sync: untrusted text)."""
    return t("reports.unassigned") if row.agent_id == UNASSIGNED else one_line(row.name, 12)


def intent_text(intent: str) -> str:
    return t(f"reports.intent.{intent}") if intent in INTENTS else one_line(intent, 24)


def action_text(action: str) -> str:
    """The compensation kind in the same words the modal and the approvals screen use."""
    return t(f"authority.action.{action}") if action in ACTIONS else one_line(action, 24)


@dataclass(frozen=True)
class Headline:
    """One headline figure: ``name`` (card id), its label, the big value and the small print under it."""

    name: str
    label: str
    value: str
    sub: str


def headlines(report: Report) -> list[Headline]:
    """The eight headline figures in the order a lead reads them."""
    total = report.totals
    reply_rate = pct_text(pct(report.proactive_replied, report.proactive_opened))

    def card(name: str, value: str, **sub: object) -> Headline:
        return Headline(name, t(f"reports.card.{name}"), value, t(f"reports.card.{name}_sub", **sub))

    return [
        card("cases", t("reports.card.cases_value", opened=total.opened, closed=total.closed), open=report.still_open),
        card("sla", pct_text(total.sla_pct), breached=total.sla_breached, pending=total.sla_pending),
        card("fcr", pct_text(total.fcr_pct), fcr=total.fcr, closed=total.closed),
        card("response", duration_text(total.avg_response_seconds), count=total.responded),
        card("spend", format_fen(report.spend_fen), count=total.spend_count),
        card("approvals", t("reports.card.approvals_value", **report.approvals),
             pending_now=report.approvals_pending_now),
        card("followups", t("reports.card.followups_value", done=total.followups_done,
                            overdue=total.followups_overdue), late=total.followups_late),
        card("proactive", t("reports.card.proactive_value", opened=report.proactive_opened,
                            replied=report.proactive_replied), pct=reply_rate),
    ]


def agent_cells(row: AgentFigures) -> list[str]:
    """One row of the per-agent table, in ``COLUMNS`` order."""
    return [agent_text(row), str(row.opened), str(row.closed), pct_text(row.sla_pct), str(row.sla_breached),
            pct_text(row.fcr_pct), duration_text(row.avg_response_seconds), format_fen(row.spend_fen),
            str(row.followups_done), str(row.followups_overdue)]


COLUMNS = ("agent", "opened", "closed", "sla", "breached", "fcr", "response", "spend", "done", "overdue")
