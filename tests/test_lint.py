"""Phrasing lint with real agent phrasings (zh and en): what is flagged, what is not, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbooks import fill, loader, quick_replies
from workbench.lint import LintRuleError, builtin_rules, lint, load_rules, parse_rules

FLAGGED = [
    ("亲,不好意思哦,我们这边会尽快给您处理的~", {"zh.cliche.qin", "zh.promise.no_time"}),
    ("亲亲~在的呢", {"zh.cliche.qin"}),
    ("非常抱歉给您带来不便,请您理解。", {"zh.cliche.sorry_inconvenience"}),
    ("好的,马上帮您看。", {"zh.promise.no_time"}),
    ("已经在催了,请您耐心等待。", {"zh.promise.no_time"}),
    ("这个您自己没看清楚详情页,尺码表上写得很清楚。", {"zh.blame.customer"}),
    ("这不是我们的问题,是快递弄坏的。", {"zh.blame.customer"}),
    ("物流的事您自己联系快递吧。", {"zh.blame.deflect"}),
    ("Sorry for the inconvenience.", {"en.cliche.sorry_inconvenience"}),
    ("We apologize for any inconvenience caused and thank you for your understanding.", {"en.cliche.sorry_inconvenience"}),
    ("We'll get back to you ASAP.", {"en.promise.no_time"}),
    ("Your refund will be processed shortly.", {"en.promise.no_time"}),
    ("We'll look into it soon.", {"en.promise.no_time"}),
    ("You should have read the size chart before ordering.", {"en.blame.customer"}),
    ("That's not our fault, please contact the courier yourself.", {"en.blame.customer"}),
]

CLEAN = [
    "看到您购买的电风扇不转了,天气这么热,肯定特别着急,非常理解您的心情。",  # the seeds' 共情 example
    "为了最快帮您解决,方便拍一下插电后开关指示灯的显示状态吗?",
    "我们可以为您安排即刻补发新电机,今天寄出;或者为您办理全额退款,您看哪种方式更合适?",
    "您好,之前为您补发的电机应该收到了,使用起来都正常了吗?",
    "非常抱歉给您带来不便,已为您补发一台新的,48 小时内发出。",
    "我马上联系快递网点核实,30 分钟内回复您。",
    "王先生,您刚才说的商品破损问题,我来帮您处理。",
    "Sorry for the inconvenience: a replacement ships today and I'll send the tracking number.",
    "I'll chase the carrier and update you within 2 hours, as soon as I hear back.",
    "Your refund of ¥199 will reach your card in 1-3 business days.",
    "I'll send you the tracking number as soon as it leaves.",
]


@pytest.mark.parametrize("text, rules", FLAGGED, ids=[f[0][:18] for f in FLAGGED])
def test_real_bad_phrasings_are_flagged_with_a_reason(text: str, rules: set[str]) -> None:
    findings = lint(text)
    assert {f.rule_id for f in findings} == rules
    for finding in findings:
        assert text[finding.start:finding.end] == finding.text and finding.text
        assert finding.reason("zh") and finding.reason("en") and finding.reason("zh") != finding.reason("en")
        assert finding.hint("zh") and finding.severity == "warning"


@pytest.mark.parametrize("text", CLEAN, ids=[c[:18] for c in CLEAN])
def test_good_phrasings_pass(text: str) -> None:
    assert lint(text) == []


def full_width(text: str) -> str:
    """The same phrasing typed with Chinese punctuation (what the playbooks use), times like 18:00 kept."""
    table = {",": "，", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
    out = [table.get(ch, ch) for ch in text]
    for i, ch in enumerate(text):
        if ch == ":" and not (0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()):
            out[i] = "："
    return "".join(out)


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


ZH_FLAGGED = [f for f in FLAGGED if chinese(f[0]) and f[0] != full_width(f[0])]
ZH_CLEAN = [c for c in CLEAN if chinese(c) and c != full_width(c)]


@pytest.mark.parametrize("text, rules", ZH_FLAGGED, ids=[f[0][:18] for f in ZH_FLAGGED])
def test_full_width_punctuation_is_flagged_the_same(text: str, rules: set[str]) -> None:
    wide = full_width(text)
    assert {f.rule_id for f in lint(wide)} == rules
    assert [(f.rule_id, f.text) for f in lint(wide)] == [(f.rule_id, full_width(f.text)) for f in lint(text)]


@pytest.mark.parametrize("text", ZH_CLEAN, ids=[c[:18] for c in ZH_CLEAN])
def test_full_width_punctuation_passes_the_same(text: str) -> None:
    assert lint(full_width(text)) == []


def test_vague_promise_is_judged_per_sentence() -> None:
    text = "补发今天 18:00 前发出。退款我们会尽快处理。"
    findings = lint(text)
    assert [(f.rule_id, f.text) for f in findings] == [("zh.promise.no_time", "尽快")]
    assert findings[0].start == text.index("尽快")


def test_findings_are_in_reading_order_and_spans_do_not_repeat() -> None:
    findings = lint("亲亲,马上处理。亲亲,尽快给您答复。")
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    assert len({(f.rule_id, f.start) for f in findings}) == len(findings) == 4


def test_only_requested_languages() -> None:
    assert lint("Sorry for the inconvenience. 尽快处理。", langs=("zh",))[0].rule_id == "zh.promise.no_time"
    assert len(lint("Sorry for the inconvenience. 尽快处理。", langs=("zh",))) == 1


def test_rules_are_data_a_team_file_adds_and_replaces(tmp_path: Path) -> None:
    team = tmp_path / "lint_rules.toml"
    team.write_text(
        '[[rule]]\nid = "team.no_bro"\nlang = "en"\nkind = "cliche"\npatterns = ["\\\\bbro\\\\b"]\n'
        'reason_zh = "不要称呼顾客 bro"\nreason_en = "Do not call the customer bro"\n\n'
        '[[rule]]\nid = "zh.promise.no_time"\nlang = "zh"\nkind = "vague_promise"\npatterns = ["火速"]\n'
        'reason_zh = "火速不是时间"\nreason_en = "not a time"\n', "utf-8")
    rules, warnings = load_rules(team)
    assert warnings == []
    assert [f.rule_id for f in lint("ok bro, 火速处理", rules)] == ["team.no_bro", "zh.promise.no_time"]
    assert lint("尽快处理", rules) == []  # the team replaced the rule by id
    assert len(rules) == len(builtin_rules()) + 1


BROKEN_RULES = [
    ('[[rule]]\nid = "a"\nlang = "zh"\nkind = "cliche"\npatterns = ["x"]\nreason_zh = "r"\nreason_en = "r"\ncolor = 1\n',
     2, "color", "unknown field"),
    ('[[rule]]\nid = "a"\nlang = "zh"\nkind = "cliche"\npatterns = ["(x"]\nreason_zh = "r"\nreason_en = "r"\n',
     2, "patterns", "bad regular expression"),
    ('[[rule]]\nid = "a"\nlang = "zh"\nkind = "nagging"\npatterns = ["x"]\nreason_zh = "r"\nreason_en = "r"\n',
     2, "kind", "invalid"),
    ('[[rule]]\nid = "a"\nlang = "zh"\nkind = "cliche"\npatterns = ["x"]\n', 2, "reason_en", "missing"),
    ('[[rule]]\nid = "a"\nlang = "zh"\nkind = "cliche"\npatterns = ["x"]\nreason_zh = "r"\nreason_en = "r"\n'
     '[[rule]]\nid = "a"\nlang = "zh"\nkind = "cliche"\npatterns = ["y"]\nreason_zh = "r"\nreason_en = "r"\n',
     2, "id", "duplicate rule id"),
    ("[[rule]\n", 1, "", "TOML syntax error"),
]


@pytest.mark.parametrize("text, line, field, message", BROKEN_RULES, ids=[b[3] for b in BROKEN_RULES])
def test_broken_rule_files_name_file_line_and_field(text: str, line: int, field: str, message: str) -> None:
    with pytest.raises(LintRuleError) as raised:
        parse_rules("team/lint_rules.toml", text)
    error = raised.value
    assert error.file == "team/lint_rules.toml" and error.line == line and error.field == field
    assert message in str(error)


def test_broken_team_rules_keep_the_builtin_set(tmp_path: Path) -> None:
    team = tmp_path / "lint_rules.toml"
    team.write_text("[[rule]]\nid = 3\n", "utf-8")
    rules, warnings = load_rules(team)
    assert len(warnings) == 1 and str(team) in warnings[0]
    assert [f.rule_id for f in lint("尽快", rules)] == ["zh.promise.no_time"]


def test_huge_hostile_text_is_linted_in_bounds() -> None:
    findings = lint("退款" * 500_000 + "尽快")
    assert findings == []  # beyond MAX_TEXT: the box never freezes on a pasted novel
    assert [f.rule_id for f in lint("[@click=app.quit]尽快[/]")] == ["zh.promise.no_time"]


SAMPLE = {"name": "王磊", "order_no": "J231120884512", "product": "电热水壶", "carrier": "圆通速递",
          "tracking_no": "YT7362632198043", "eta": "明天 18:00 前", "status": "运输中", "amount": "¥20",
          "paid": "¥199", "agent": "李娜", "shop": "示例旗舰店", "delivered": "11月20日"}


def test_every_shipped_phrasing_passes_its_own_lint() -> None:
    """Our playbooks and quick replies must model the phrasing the lint asks for."""
    problems = []
    for playbook in loader.load(None).playbooks.values():
        for lang in ("zh", "en"):
            options = fill.options_text(playbook, lang)
            for stage in playbook.stages.values():
                text = fill.fill(stage.say.get(lang), SAMPLE, options=options).text
                problems += [(playbook.id, stage.key, f.rule_id, f.text) for f in lint(text)]
            for option in playbook.stage("resolve").options:
                text = fill.fill(option.say.get(lang), SAMPLE, time=option.time.get(lang)).text
                problems += [(playbook.id, option.id, f.rule_id, f.text) for f in lint(text)]
    for reply in quick_replies.load(None).replies.values():
        for lang in ("zh", "en"):
            problems += [("quick", reply.code, f.rule_id, f.text) for f in lint(fill.fill(reply.text.get(lang), SAMPLE).text)]
    assert problems == []
