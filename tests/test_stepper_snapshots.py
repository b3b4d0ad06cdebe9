"""SVG snapshots of the stepper (and the composer's lint line) with Chinese data at 80×24 and 120×40.

Deterministic: the frozen clock, a hand-made case (tests/playbook_fixtures.py), no cursor blink.
Update with ``pytest tests/test_stepper_snapshots.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from playbooks import progress
from tests.playbook_fixtures import make_case
from widgets.composer import Composer
from widgets.stepper import Stepper
from workbench.context import Context
from workbench.services import cases


class CentreColumn(App[None]):
    """The main screen's centre column in miniature: conversation stand-in, stepper, composer."""

    CSS = "#conversation { height: 1fr; border: round $primary-darken-3; }"

    def __init__(self, ctx: Context, case_id: str, draft: str = "") -> None:
        super().__init__()
        self.ctx, self.case_id, self.draft = ctx, case_id, draft
        self.blink = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("王磊: 收到的水壶外壳裂了,刚拆开就这样,你们怎么发货的?", id="conversation", markup=False)
            yield Stepper(self.ctx, id="stepper")
            yield Composer(self.ctx, id="composer")

    def on_mount(self) -> None:
        view = cases.load(self.ctx, self.case_id, with_kb=False)
        self.query_one(Stepper).show_case(view)
        self.query_one(Composer).set_case(view)
        if self.draft:
            self.query_one(Composer).set_draft(self.draft)
        self.query_one(Stepper).focus()


async def _settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_stepper_locate_stage_80x24(ctx: Context, snap_compare: Any) -> None:
    case_id = make_case(ctx)
    progress.toggle_item(ctx, case_id, "ack")
    progress.advance(ctx, case_id, reason="顾客情绪已稳定")
    progress.toggle_item(ctx, case_id, "order")
    assert snap_compare(CentreColumn(ctx, case_id), terminal_size=(80, 24), run_before=_settle)


def test_stepper_resolve_options_and_lint_120x40(ctx: Context, snap_compare: Any) -> None:
    case_id = make_case(ctx)
    progress.skip(ctx, case_id, "已共情")
    progress.skip(ctx, case_id, "照片已收到")
    progress.choose_resolution(ctx, case_id, "reship")
    app = CentreColumn(ctx, case_id, draft="亲,不好意思哦,我们会尽快给您补发的")
    assert snap_compare(app, terminal_size=(120, 40), run_before=_settle)


def test_stepper_close_stage_120x40(ctx: Context, snap_compare: Any) -> None:
    case_id = make_case(ctx)
    for _ in range(3):
        progress.skip(ctx, case_id, "快速推进")
    progress.record_followup(ctx, case_id, "check_satisfaction", "3d_after_delivery")
    assert snap_compare(CentreColumn(ctx, case_id), terminal_size=(120, 40), run_before=_settle)
