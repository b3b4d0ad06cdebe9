"""KB search and article modals: keyboard flow, highlight spans (never markup), literal hostile text,
long bodies truncated with a note, dismissal results, and snapshots."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.widgets import OptionList, Static

from screens.kb_article_modal import KbArticleModal
from screens.kb_search_modal import HIGHLIGHT, KbSearchModal
from workbench.context import Context
from workbench.services import kb_import

NOW = "2026-11-23T02:00:00Z"
HOSTILE_TITLE = "[@click=app.quit]退货须知[/] [link=https://evil.example]点我[/link]"


class Host(App[None]):
    """A bare app that opens one modal and keeps what it was dismissed with."""

    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.modal = screen
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.modal, self.results.append)


@pytest.fixture
def kb_ctx(ctx: Context) -> Context:
    kb_import.install_packaged(ctx.store, NOW)
    with ctx.store.write() as conn:
        kb_import.upsert(conn, kb_import.parse_article({
            "id": "evil", "title": HOSTILE_TITLE, "intents": "other",
            "body": "\x1b]52;c;ZWNobw==\x07退货前请看 [b]这里[/b]\n" + "很长的正文。" * 5000}), NOW)
    return ctx


FIXED = [
    ("s-return", "七天无理由退货规则", "签收后七天内可以无理由退货，商品需完好、不影响二次销售。退货运费由顾客承担，有运费险可抵扣。",
     "退货 七天无理由", "return_refund_request"),
    ("s-shipping", "退换货运费由谁承担", "质量问题、发错货：往返运费由店铺承担。七天无理由退货：退回运费由顾客承担。", "运费 退货",
     "return_refund_request,size_or_exchange"),
    ("s-safety", "安全问题紧急处理", "【原则】涉及人身安全的一律紧急处理。\n【步骤】1. 确认人员是否受伤，提醒立即断电。2. 升级组长。\n"
     "【话术】\"请您先拔掉电源，人没事吧？这个问题我马上上报主管，半小时内给您回电。\"", "冒烟 漏电", "warranty_repair"),
    ("s-invoice", "发票开具说明", "电子发票在订单详情页下载。", "发票", "invoice"),
]


@pytest.fixture
def snap_ctx(ctx: Context) -> Context:
    """Only the articles above, so the snapshots do not change when the shipped KB is edited."""
    with ctx.store.write() as conn:
        for aid, title, body, tags, intents in FIXED:
            kb_import.upsert(conn, kb_import.parse_article(
                {"id": aid, "title": title, "body": body, "tags": tags, "intents": intents}), NOW)
    return ctx


async def settle(app: App[Any], pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def option_texts(app: App[Any]) -> list[str]:
    listing = app.screen.query_one("#kbs-results", OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_typing_searches_and_highlights_matches_with_spans(kb_ctx: Context) -> None:
    app = Host(KbSearchModal(kb_ctx))
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press(*"发票")
        await settle(app, pilot)
        listing = app.screen.query_one("#kbs-results", OptionList)
        assert listing.option_count >= 3
        prompt = listing.get_option_at_index(0).prompt
        highlighted = [prompt.plain[s.start:s.end] for s in prompt.spans if s.style == HIGHLIGHT]
        assert highlighted and set(highlighted) == {"发票"}
        status = str(app.screen.query_one("#kbs-status", Static).render())
        assert "found" in status or "找到" in status


async def test_intent_puts_related_articles_first(kb_ctx: Context) -> None:
    app = Host(KbSearchModal(kb_ctx, query="运费", intent="size_or_exchange"))
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(app, pilot)
        assert app.screen.hits and "size_or_exchange" in app.screen.hits[0].intents


async def test_ctrl_y_inserts_the_reply_snippet(kb_ctx: Context) -> None:
    app = Host(KbSearchModal(kb_ctx, query="催发货"))
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+y")
        await pilot.pause()
    assert len(app.results) == 1 and isinstance(app.results[0], str) and app.results[0]
    assert app.results[0] != "kbi-order-ship-time"  # text to insert, not the id


async def test_enter_reads_the_article_and_insert_from_there_closes_both(kb_ctx: Context) -> None:
    app = Host(KbSearchModal(kb_ctx, query="七天无理由"))
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, KbArticleModal)
        body = str(app.screen.query_one("#kba-body", Static).render())
        assert "七天" in body
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert not isinstance(app.screen, (KbArticleModal, KbSearchModal))
    assert len(app.results) == 1 and app.results[0]


async def test_escape_dismisses_with_none(kb_ctx: Context) -> None:
    app = Host(KbSearchModal(kb_ctx, query="保修"))
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_hostile_article_is_shown_literally_and_cut(kb_ctx: Context) -> None:
    app = Host(KbSearchModal(kb_ctx, query="须知"))
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(app, pilot)
        assert any("[@click=app.quit]" in text for text in option_texts(app))
        app.screen.query_one("#kbs-results", OptionList).highlighted = next(
            i for i, hit in enumerate(app.screen.hits) if hit.id == "evil")
        await pilot.press("enter")
        await settle(app, pilot)
        article = app.screen
        assert isinstance(article, KbArticleModal)
        title = str(article.query_one("#kba-title", Static).render())
        body = str(article.query_one("#kba-body", Static).render())
        note = str(article.query_one("#kba-note", Static).render())
        assert "[@click=app.quit]" in title and "[link=https://evil.example]" in title
        assert "[b]这里[/b]" in body and "\x1b" not in body and "\x07" not in body
        assert len(body) <= 20_000 and ("30" in note or "showing" in note or "共" in note)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, KbSearchModal)  # back to the results, app still running
    assert app.results == []


async def test_missing_article_says_so(kb_ctx: Context) -> None:
    app = Host(KbArticleModal(kb_ctx, "gone"))
    async with app.run_test(size=(90, 24)) as pilot:
        await settle(app, pilot)
        assert "gone" in str(app.screen.query_one("#kba-title", Static).render())
        await pilot.press("ctrl+y")
        await pilot.press("q")
        await pilot.pause()
    assert app.results == [None]


def test_search_modal_snapshot(snap_ctx: Context, snap_compare: Any) -> None:
    async def type_query(pilot: Any) -> None:
        await pilot.press(*"退货 运费")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(Host(KbSearchModal(snap_ctx, intent="return_refund_request")), terminal_size=(100, 30),
                        run_before=type_query)


def test_article_modal_snapshot(snap_ctx: Context, snap_compare: Any) -> None:
    async def loaded(pilot: Any) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(Host(KbArticleModal(snap_ctx, "s-safety", terms=["断电", "主管"])),
                        terminal_size=(80, 24), run_before=loaded)
