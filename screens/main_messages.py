"""Messages the main screen's thread workers post back to it (results and failures).

Workers never touch widgets: they post one of these, and the handler on the UI thread renders it.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from workbench.services import cases
from workbench.services.status import HeaderStatus


class CaseLoaded(Message):
    def __init__(self, view: cases.CaseView) -> None:
        self.view = view
        super().__init__()


class QueueLoaded(Message):
    def __init__(self, rows: list[dict[str, Any]], due: set[str], first: cases.CaseView | None = None) -> None:
        self.rows, self.due, self.first = rows, due, first
        super().__init__()


class SuggestionsLoaded(Message):
    def __init__(self, case_id: str, hits: list[Any]) -> None:
        self.case_id, self.hits = case_id, hits
        super().__init__()


class StatusLoaded(Message):
    def __init__(self, status: HeaderStatus) -> None:
        self.status = status
        super().__init__()


class OrderLoaded(Message):
    def __init__(self, detail: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        self.detail = detail
        super().__init__()


class Notices(Message):
    """Decisions on my approval requests and follow-ups that just became due."""

    def __init__(self, decisions: list[dict[str, Any]], due: list[dict[str, Any]]) -> None:
        self.decisions, self.due = decisions, due
        super().__init__()


class WorkFailed(Message):
    def __init__(self, key: str, error: str) -> None:
        self.key, self.error = key, error
        super().__init__()
