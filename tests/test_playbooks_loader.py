"""Playbook files: the built-in set, validation errors with file/line/field, team overrides, the CLI,
quick replies, and placeholder filling (including hostile customer text that must stay literal)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playbooks import fill, loader, quick_replies
from playbooks.schema import ACTIONS, FOLLOWUP_KINDS, INTENTS, NO_ACTION, STAGES
from playbooks.validate import check_text, positions
from tests.playbook_fixtures import CUSTOMER_NAME, ORDER_NO, make_case
from workbench.cli import main as cli_main
from workbench.context import Context
from workbench.services import cases

SCENARIOS = {"not_working", "damaged_item", "wrong_or_missing", "size_exchange", "return_request", "refund_status",
             "logistics", "warranty_repair", "invoice", "price_protection", "complaint"}

GOOD = (Path(__file__).resolve().parents[1] / "playbooks" / "invoice.toml").read_text("utf-8")


def test_builtin_set_loads_clean_and_covers_every_intent() -> None:
    registry = loader.load(None)
    assert registry.warnings == []
    assert SCENARIOS <= set(registry.playbooks) and len(registry.playbooks) >= 11
    assert loader.intent_issues(list(registry.playbooks.values())) == []
    for intent in INTENTS:
        assert registry.for_intent(intent).id == registry.by_intent[intent]
    assert registry.for_intent("other").id == "general"
    assert registry.for_intent("not_an_intent").id == "general"


def test_every_playbook_is_complete() -> None:
    for playbook in loader.load(None).playbooks.values():
        assert tuple(playbook.stages) == STAGES
        for stage in playbook.stages.values():
            assert stage.say.zh and stage.say.en
        options = playbook.stage("resolve").options
        assert 1 <= len(options) <= 4
        for option in options:
            assert option.action in ACTIONS or option.action == NO_ACTION
            assert option.time.zh and option.time.en
        follow = playbook.stage("close").followup
        assert follow is not None and follow.kind in FOLLOWUP_KINDS


def test_return_playbook_cites_the_law_and_its_exclusions() -> None:
    playbook = loader.load(None).playbooks["return_request"]
    assert playbook.notes is not None
    for word in ("第二十五条", "7 日", "定作", "鲜活易腐", "报纸期刊"):
        assert word in playbook.notes.zh
    assert "art. 25" in playbook.notes.en


BROKEN = [
    ("unknown field", GOOD.replace('id = "invoice"', 'id = "invoice"\ncolour = "red"'), 3, "colour", "unknown field"),
    ("missing stage", GOOD.replace("[stages.locate]", "[stages.locate_x]"), 13, "stages.locate_x", "unknown stage"),
    ("unknown placeholder", GOOD.replace("{order_no}", "{order_number}", 1), 14, "stages.locate.say.zh",
     "unknown placeholder {order_number}"),
    ("unknown action", GOOD.replace('action = "none"', 'action = "bribe"', 1), 29, "stages.resolve.options[0].action",
     "unknown action 'bribe'"),
    ("unknown intent", GOOD.replace('intents = ["invoice"]', 'intents = ["invoice", "weather"]'), 3, "intents[1]",
     "unknown intent 'weather'"),
    ("unknown follow-up kind", GOOD.replace('kind = "promised_action"', 'kind = "pray"'), 48, "stages.close.followup.kind",
     "unknown follow-up kind 'pray'"),
    ("bad when", GOOD.replace('when = "+1d"', 'when = "someday"'), 48, "stages.close.followup.when", "bad when"),
    ("unknown option field", GOOD.replace('action = "none"', 'action = "none"\nprice = 3', 1), 30,
     "stages.resolve.options[0].price", "unknown field"),
    ("checklist item field", GOOD.replace('{ id = "title",', '{ id = "title", colour = 1,'), 18,
     "stages.locate.checklist[1].colour", "unknown field"),
    ("toml syntax", GOOD.replace('title = { zh', 'title = { zh =', 1), 4, "", "TOML syntax error"),
]


@pytest.mark.parametrize("name, text, line, field, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_name_file_line_and_field(name: str, text: str, line: int, field: str, message: str) -> None:
    playbook, issues = check_text("team/invoice.toml", text, builtin=False)
    assert playbook is None and issues
    match = [i for i in issues if message in i.message]
    assert match, issues
    assert match[0].file == "team/invoice.toml" and match[0].field == field and match[0].line == line
    assert f"team/invoice.toml:{line}" in str(match[0])


def test_missing_stage_is_reported() -> None:
    text = GOOD[: GOOD.index("[stages.close]")]
    _, issues = check_text("x.toml", text)
    assert any("missing stage 'close'" in i.message and i.field == "stages" for i in issues)


def test_positions_follow_tables_arrays_and_inline_items() -> None:
    where = positions(GOOD)
    assert where[("stages", "resolve", "options", 1, "action")] == 37
    assert where[("stages", "locate", "checklist", 2, "en")] == 19
    assert GOOD.splitlines()[37 - 1].startswith("action")


def test_duplicate_id_in_team_folder(tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "a.toml").write_text(GOOD.replace('id = "invoice"', 'id = "team_invoice"'), "utf-8")
    (team / "b.toml").write_text(GOOD.replace('id = "invoice"', 'id = "team_invoice"'), "utf-8")
    registry = loader.load(team)
    dup = [w for w in registry.warnings if "duplicate id" in w.message]
    assert dup and dup[0].file.endswith("b.toml") and dup[0].line == 2 and dup[0].field == "id"
    assert registry.playbooks["team_invoice"].source.endswith("a.toml")


def test_team_files_override_add_and_bad_ones_are_skipped(tmp_path: Path) -> None:
    team = tmp_path / "playbooks"
    team.mkdir()
    (team / "invoice.toml").write_text(GOOD.replace('zh = "发票"', 'zh = "发票(团队版)"'), "utf-8")
    (team / "vip.toml").write_text(GOOD.replace('id = "invoice"', 'id = "vip_care"')
                                   .replace('intents = ["invoice"]', 'intents = ["complaint"]'), "utf-8")
    (team / "broken.toml").write_text(GOOD.replace("{order_no}", "{ordr}"), "utf-8")
    (team / "latin1.toml").write_bytes("id = 'x' # caf\xe9".encode("latin-1"))
    registry = loader.load(team)
    assert registry.playbooks["invoice"].title.zh == "发票(团队版)" and not registry.playbooks["invoice"].builtin
    assert registry.for_intent("complaint").id == "vip_care"
    assert registry.for_intent("damaged_item").id == "damaged_item"
    files = {Path(w.file).name for w in registry.warnings}
    assert files == {"broken.toml", "latin1.toml"}
    assert any("not UTF-8" in w.message for w in registry.warnings)


def test_registry_is_cached_on_the_context_and_uses_the_team_dir(ctx: Context) -> None:
    team = ctx.paths.playbooks_dir
    team.mkdir(parents=True)
    (team / "bad.toml").write_text("id = [", "utf-8")
    registry = loader.registry(ctx)
    assert registry is loader.registry(ctx)
    assert [Path(w.file).name for w in registry.warnings] == ["bad.toml"]
    assert len(registry.playbooks) >= 11


def test_cli_check_reports_problems_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["playbooks", "check"]) == 0
    assert "13" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('action = "none"', 'action = "bribe"', 1), "utf-8")
    assert cli_main(["playbooks", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:29: [stages.resolve.options[0].action]" in out
    assert cli_main(["playbooks", "check", str(tmp_path / "nope.toml")]) == 2
    capsys.readouterr()
    assert cli_main(["playbooks", "check", str(bad), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["issues"][0]["line"] == 29


def test_cli_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["playbooks", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["playbooks"]
    assert {r["id"] for r in rows} >= SCENARIOS and all(r["source"] == "builtin" for r in rows)


# ----- quick replies --------------------------------------------------------------------------------

def test_quick_replies_load_and_search_by_code_words_and_pinyin() -> None:
    library = quick_replies.load(None)
    assert library.warnings == [] and len(library.replies) >= 15
    assert library.search("/bf")[0].code == "bf"
    assert library.search("补发")[0].code == "bf"
    assert library.search("bfap")[0].code == "bf"  # 补发安排 by pinyin initials
    assert library.search("tkyb")[0].code == "tk"  # 退款已办理
    assert library.search("refund")[0].code in {"tk", "jb"}
    assert library.search("退款 到账")[0].code == "tk"
    assert library.search("zzzz") == []


def test_broken_team_quick_replies_are_skipped_with_a_warning(tmp_path: Path) -> None:
    team = tmp_path / "quick_replies.toml"
    team.write_text('[[reply]]\ncode = "bf"\ntitle = { zh = "x", en = "y" }\nzh = "{nope}"\nen = "z"\n', "utf-8")
    library = quick_replies.load(team)
    assert library.get("bf") is not None and "补发" in library.get("bf").title.zh
    assert library.warnings and library.warnings[0].line == 4 and "unknown placeholder {nope}" in library.warnings[0].message
    team.write_text('[[reply]]\ncode = "zz"\ntitle = { zh = "团队", en = "Team" }\nzh = "好的"\nen = "OK"\n'
                    '[[reply]]\ncode = "zz"\ntitle = { zh = "a", en = "b" }\nzh = "c"\nen = "d"\n', "utf-8")
    library = quick_replies.load(team)
    assert any("duplicate code" in w.message and w.line == 7 for w in library.warnings)


# ----- filling ---------------------------------------------------------------------------------------

def test_fill_from_case_and_missing_fields_are_reported(ctx: Context) -> None:
    view = cases.load(ctx, make_case(ctx, shipment_status="in_transit"), with_kb=False)
    playbook = loader.load(None).playbooks["logistics"]
    filled = fill.fill_stage(ctx, view, playbook, "locate", "zh")
    assert "圆通速递" in filled.text and "YT7362632198043" in filled.text and filled.missing == []
    chase = playbook.stage("resolve").option("chase")
    filled = fill.fill_option(ctx, view, chase, "zh")
    assert filled.missing == ["eta"] and "{eta}" in filled.text
    damaged = loader.load(None).playbooks["damaged_item"]
    filled = fill.fill_stage(ctx, view, damaged, "empathize", "zh")
    assert filled.text.startswith(f"{CUSTOMER_NAME}您好，我是李娜。") and filled.missing == []
    refund = damaged.stage("resolve").option("refund")
    assert "¥199" in fill.fill_option(ctx, view, refund, "zh").text
    assert ORDER_NO in fill.fill_stage(ctx, view, damaged, "locate", "en").text


def test_customer_language_follows_what_they_wrote(ctx: Context) -> None:
    view = cases.load(ctx, make_case(ctx, lang_message="en"), with_kb=False)
    assert fill.customer_lang(view, "zh") == "en"
    view.messages[0]["body"] = "水壶坏了"
    assert fill.customer_lang(view, "en") == "zh"


def test_hostile_values_stay_literal_and_bounded(ctx: Context, shared_data: Path) -> None:
    hostile = [json.loads(line) for line in (shared_data / "hostile" / "strings.jsonl").read_text("utf-8").splitlines()]
    template = "{name}您好,您的{product}订单 {order_no} 预计 {eta} 送达。"
    for entry in hostile:
        text = entry["text"] * entry.get("repeat", 1)
        filled = fill.fill(template, {"name": fill.one_line(text, fill.MAX_VALUE), "order_no": "J1", "product": "壶"})
        assert filled.missing == ["eta"]
        assert "\x1b" not in filled.text and "\x9b" not in filled.text and "\x07" not in filled.text
        assert len(filled.text) < 200
    markup = "[@click=app.quit]查看物流[/]"
    filled = fill.fill(template, {"name": markup, "product": "{eta}", "order_no": "{order_no}", "eta": "明天"})
    assert filled.text == f"{markup}您好,您的{{eta}}订单 {{order_no}} 预计 明天 送达。" and filled.missing == []


def test_hostile_customer_row_fills_literally(ctx: Context) -> None:
    name = "[bold]王[/bold]\x1b]52;c;ZWNobw==\x07{amount}"
    view = cases.load(ctx, make_case(ctx, customer_name=name, product="壶" * 1_000_000), with_kb=False)
    filled = fill.fill_stage(ctx, view, loader.load(None).playbooks["damaged_item"], "empathize", "zh")
    assert filled.text.startswith("[bold]王[/bold]{amount}您好") and filled.missing == []
    assert len(filled.text) < 300


def test_cli_check_covers_team_playbooks_quick_replies_and_lint_rules(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config"  # WORKBENCH_CONFIG_DIR of every test (conftest)
    (config / "playbooks").mkdir(parents=True)
    (config / "playbooks" / "vip.toml").write_text(GOOD.replace('id = "invoice"', 'id = "vip"'), "utf-8")
    assert cli_main(["playbooks", "check"]) == 0
    assert "14" in capsys.readouterr().out
    (config / "quick_replies.toml").write_text('[[reply]]\ncode = "BF"\n', "utf-8")
    (config / "lint_rules.toml").write_text('[[rule]]\nid = "x"\nlang = "fr"\n', "utf-8")
    assert cli_main(["playbooks", "check"]) == 1
    out = capsys.readouterr().out
    assert f"{config / 'quick_replies.toml'}:2: [reply[0].code]" in out
    assert f"{config / 'lint_rules.toml'}:2:" in out
