"""Pilot tests of the main screen on the small demo data: select a case, open a KB article, reply."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static

from widgets.queue_list import QueueList
from workbench.context import Context
from tests.ui_helpers import main_ready, make_app, settle


async def test_queue_loads_and_selecting_a_case_loads_its_360(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        queue = main.query_one(QueueList)
        assert len(queue.rows) >= 20
        first = main.view.case["id"]
        assert first == queue.rows[0]["id"]
        await pilot.press("down")
        await settle(pilot)
        assert main.view.case["id"] == queue.rows[1]["id"] != first
        assert main.view.customer["id"] == main.view.case["customer_id"]
        assert main.view.messages and main.view.messages[0]["author"] == "customer"


async def test_queue_is_sorted_by_urgency(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        rows = [r for r in main.query_one(QueueList).rows if r["status"] != "closed"]
        keys = [(-r["urgent"], r["sla_due_at"] or "9999") for r in rows]
        assert keys == sorted(keys)


async def test_send_reply_stores_row_and_outbox_entry(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        case_id = main.view.case["id"]
        before = demo_ctx.store.scalar("SELECT count(*) FROM outbox")
        await pilot.press("enter")  # from the queue into the reply box
        await pilot.press(*"OK")
        main.query_one("#reply").insert("王先生您好,已为您登记补发,48小时内发出。")
        await pilot.press("ctrl+s")
        await settle(pilot)
        row = demo_ctx.store.one(
            "SELECT body, agent_id FROM messages WHERE case_id = ? AND author = 'agent' ORDER BY at DESC LIMIT 1",
            (case_id,))
        assert row is not None and "48小时内发出" in row["body"] and row["agent_id"] == "a-lina"
        assert demo_ctx.store.scalar("SELECT count(*) FROM outbox") > before
        assert demo_ctx.store.scalar("SELECT first_response_at FROM cases WHERE id = ?", (case_id,))
        assert main.query_one("#reply").text == ""


async def test_open_kb_article_from_suggestions(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        suggestions = main.query_one("#kb-suggestions")
        assert suggestions.option_count >= 1
        suggestions.focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "KbArticleModal"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is main


async def test_help_lists_bindings_with_ids(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await main_ready(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpModal"
        ids = {row[2] for row in app.screen.rows}
        assert {"case.compensate", "app.help", "queue.open"} <= ids


async def test_hostile_customer_text_is_shown_literally(demo_ctx: Context) -> None:
    hostile = "[@click=app.quit]查看物流[/] \x1b]52;c;ZXZpbA==\x07 [link=https://evil.example]退款[/link] \u202e反转"
    case_id = demo_ctx.store.scalar("SELECT id FROM cases WHERE status = 'open' ORDER BY urgent DESC, sla_due_at LIMIT 1")
    with demo_ctx.store.write() as conn:
        conn.execute("INSERT INTO messages (id, case_id, author, body, at) VALUES ('m-hostile', ?, 'customer', ?, "
                     "'2026-11-23T01:59:00Z')", (case_id, hostile))
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        main.select_case(case_id)
        await settle(pilot)
        transcript = main.query_one("#transcript").render()
        plain = str(transcript)
        assert "[@click=app.quit]查看物流[/]" in plain and "[link=https://evil.example]" in plain
        assert "\x1b" not in plain and "⟨U+202E⟩" in plain
        assert app.is_running


async def test_palette_lists_our_actions_only(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        commands = list(app.get_system_commands(main))
        helps = {c.help for c in commands}
        assert {"case.compensate", "case.follow_up", "kb.search", "app.help", "app.quit"} <= helps
        assert all(c.help for c in commands)  # Textual's id-less editing keys are not offered


async def test_customer_pane_toggle_only_in_narrow_layout(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        main = await main_ready(pilot)
        assert main.has_class("narrow") and main.check_action("toggle_customer", ()) is True
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert main.has_class("show-customer") and main.query_one("#customer").display
    app = make_app(demo_ctx)
    async with app.run_test(size=(140, 40)) as pilot:
        main = await main_ready(pilot)
        assert not main.has_class("narrow") and main.check_action("toggle_customer", ()) is False


async def test_orders_list_highlights_the_case_order_and_loads_another_on_move(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        queue = main.query_one(QueueList)
        for _ in range(len(queue.rows)):  # a case with an order whose customer has other orders too
            if len(main.view.orders) >= 2 and main.view.case["order_id"]:
                break
            queue.focus()
            await pilot.press("down")
            await settle(pilot)
        view = main.view
        ids = [order["id"] for order in view.orders]
        orders = main.query_one("#orders", OptionList)
        assert orders.option_count == len(ids) >= 2
        assert orders.get_option_at_index(orders.highlighted or 0).id == view.case["order_id"]
        # One line per order (number, status, amount side by side), up to the list's seven lines.
        assert orders.region.height == min(len(ids), 7)
        first_row = str(orders.get_option_at_index(0).prompt)
        assert view.orders[0]["order_no"] in first_row and "¥" in first_row
        other = next(index for index, order_id in enumerate(ids) if order_id != view.case["order_id"])
        orders.highlighted = other
        await settle(pilot)
        titles = [row[0] for row in demo_ctx.store.query(
            "SELECT title FROM order_items WHERE order_id = ? ORDER BY rowid LIMIT 6", (ids[other],))]
        items_text = main.query_one("#timeline", Static).render().plain
        assert titles and all(title[:10] in items_text for title in titles)
        assert main.view.case["order_id"] != ids[other]  # the case keeps its own order
        orders.highlighted = ids.index(view.case["order_id"])  # back to the case's order
        await settle(pilot)
        titles = [row[0] for row in demo_ctx.store.query(
            "SELECT title FROM order_items WHERE order_id = ? ORDER BY rowid LIMIT 6", (view.case["order_id"],))]
        assert all(title[:10] in main.query_one("#timeline", Static).render().plain for title in titles)


async def test_hub_flag_shows_an_alert_above_the_transcript_only_on_that_case(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        assert not main.query("#alerts")  # nothing to warn about: no alerts block at all
        rows = main.query_one(QueueList).rows
        flagged, plain = rows[1]["id"], rows[0]["id"]
        with demo_ctx.store.conn:
            demo_ctx.store.conn.execute("UPDATE cases SET flag = 'reopened_after_close' WHERE id = ?", (flagged,))
        main.select_case(flagged)
        await settle(pilot)
        alerts = main.query_one("#alerts", Static)
        assert alerts.display and "重新打开" in alerts.render().plain
        assert alerts.region.y < main.query_one("#transcript").region.y
        main.select_case(plain)
        await settle(pilot)
        assert not main.query_one("#alerts").display


async def test_kb_list_shows_loading_while_ranking_and_says_when_nothing_matches(demo_ctx: Context) -> None:
    from workbench.i18n import t

    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        panel = main.query_one("#customer")
        suggestions = main.query_one("#kb-suggestions", OptionList)
        shown = main.view.kb_hits
        assert shown and suggestions.get_option_at_index(0).id == shown[0].id
        main.view.kb_hits = []
        panel.show(main.view, demo_ctx.clock.now(), demo_ctx.tz)  # a case shown before its articles
        await pilot.pause()
        first = suggestions.get_option_at_index(0)
        assert suggestions.option_count == 1 and first.disabled and str(first.prompt) == t("common.loading")
        panel.show_suggestions([])
        await pilot.pause()
        assert str(suggestions.get_option_at_index(0).prompt) == t("main.no_kb")
        assert len(main.query("#kb-suggestions")) == 1  # reused, never mounted twice


def _needed(block: Static) -> int:
    """Lines ``block`` needs for all of its text at its current width."""
    return block.get_content_height(block.size, block.app.size, block.content_size.width)


async def _resolve_options_fit(demo_ctx: Context, size: tuple[int, int], focused: bool = False) -> None:
    from playbooks import progress

    app = make_app(demo_ctx)
    async with app.run_test(size=size) as pilot:
        main = await main_ready(pilot)
        case_id = main.view.case["id"]
        progress.skip(demo_ctx, case_id, "已共情")
        progress.skip(demo_ctx, case_id, "已核实")
        main.reload_case()
        await settle(pilot)
        if focused:
            await pilot.press("ctrl+t")
            await settle(pilot)
        options = main.query_one("#stepper-extra", Static)
        assert options.display and "1" in options.render().plain
        needed = options.get_content_height(options.size, app.size, options.content_size.width)
        # Every option and its promised time is on screen, not cut by the block's height.
        assert needed >= 3 and options.content_size.height >= needed


async def test_resolve_options_fit_in_full_at_120x40(demo_ctx: Context) -> None:
    await _resolve_options_fit(demo_ctx, (120, 40))


async def test_resolve_options_fit_in_full_at_80x24(demo_ctx: Context) -> None:
    await _resolve_options_fit(demo_ctx, (80, 24))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_resolve_options_still_fit_with_the_stepper_focused(demo_ctx: Context, size: tuple[int, int]) -> None:
    await _resolve_options_fit(demo_ctx, size, focused=True)


async def test_focusing_the_stepper_shows_the_whole_phrasing_on_a_short_terminal(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        main = await main_ready(pilot)
        say = main.query_one("#stepper-say", Static)
        assert _needed(say) > say.content_size.height == 2  # a short terminal shows two lines of it
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert main.query_one("#stepper").has_focus
        assert say.content_size.height == _needed(say) > 2
        await pilot.press("escape")  # back to the queue: the conversation gets its room back
        await settle(pilot)
        assert say.content_size.height == 2


async def test_header_rewords_when_the_terminal_narrows(demo_ctx: Context) -> None:
    app = make_app(demo_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await main_ready(pilot)
        header = main.query_one("#status", Static)
        wide = header.render().plain
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        narrow = header.render().plain
        assert narrow != wide and len(narrow) < len(wide)
        assert narrow.split("│")[0].strip() == wide.split("│")[0].split("·")[0].strip()  # name and tier stay
