"""``workbench triage`` and ``workbench kb``: streaming JSON lines, per-line errors with line numbers,
binary garbage, huge lines, KB top 3, the --eval report, and safe output of hostile text."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from workbench import cli, i18n

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _restore_language() -> None:
    yield
    i18n.set_language("zh")


def main(argv: list[str]) -> int:
    """The CLI in English (messages are asserted on); --lang is accepted after any sub-command."""
    return cli.main([*argv, "--lang", "en"])


def run(argv: list[str], stdin: bytes, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> tuple[int, list[dict], str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")], err


def test_json_and_plain_lines_give_one_object_each_with_kb_top3(tmp_path: Path, monkeypatch, capsys) -> None:
    data = "\n".join([
        json.dumps({"id": "c1", "text": "收到的杯子碎了 能补发吗", "vip_level": 2, "waited_minutes": 12}, ensure_ascii=False),
        "退款什么时候到账",
        json.dumps({"id": 7, "text": "where is my package?"}),
    ]).encode()
    code, rows, err = run(["triage", "--db", str(tmp_path / "c.db")], data, monkeypatch, capsys)
    assert code == 0
    assert [r["id"] for r in rows] == ["c1", "line-2", 7]
    assert [r["intent"] for r in rows] == ["damaged_item", "refund_status", "where_is_order"]
    first = rows[0]
    assert set(first) >= {"id", "intent", "emotion", "urgent", "priority", "cues", "playbook", "kb"}
    assert first["playbook"] == "damaged_item" and first["cues"]
    assert len(first["kb"]) == 3 and set(first["kb"][0]) == {"id", "title", "score"}
    assert "damaged" in json.dumps(first["kb"]) or any("破损" in k["title"] for k in first["kb"])
    assert "built-in KB" in err  # the empty cache fell back to the packaged articles, and said so


def test_bad_lines_are_reported_with_their_number_and_processing_continues(monkeypatch, capsys) -> None:
    stdin = b"\n".join([
        "发票怎么开".encode(),
        b"",
        b'{"id": "x", "text": ',
        b"\xff\xfe\x00garbage\x80",
        b'{"id": "no-text"}',
        b'{"text": "ok", "vip_level": "gold"}',
        b'"just a string"',
        "鞋子小了能换吗".encode(),
    ]) + b"\n"
    code, rows, err = run(["triage", "--no-kb"], stdin, monkeypatch, capsys)
    assert code == 1
    assert [r["intent"] for r in rows] == ["invoice", "other", "size_or_exchange"]
    assert "line 3: not valid JSON" in err
    assert "line 4: not UTF-8" in err
    assert 'line 5: missing "text"' in err
    assert "line 6: vip_level must be a number" in err
    assert "triaged 3 messages, skipped 4 bad lines" in err
    assert all("kb" not in r for r in rows)


def test_huge_lines_are_skipped_without_loading_them_and_the_stream_goes_on(monkeypatch, capsys) -> None:
    huge = b'{"id": "big", "text": "' + b"a" * (3 << 20) + b'"}'
    code, rows, err = run(["triage", "--no-kb"], huge + b"\n" + "在吗 发票".encode() + b"\n", monkeypatch, capsys)
    assert code == 1 and "line 1: the line is longer than 1024 KiB" in err
    assert [r["id"] for r in rows] == ["line-2"]


def test_many_lines_stream(monkeypatch, capsys) -> None:
    lines = "\n".join(json.dumps({"id": i, "text": "快递到哪了"}) for i in range(2000)).encode()
    code, rows, _ = run(["triage", "--no-kb"], lines, monkeypatch, capsys)
    assert code == 0 and len(rows) == 2000 and rows[-1]["id"] == 1999


def test_hostile_text_never_reaches_the_terminal_raw(shared_data: Path, monkeypatch, capsys) -> None:
    rows = [json.loads(line) for line in (shared_data / "hostile" / "strings.jsonl").read_text("utf-8").splitlines()]
    stdin = "\n".join(json.dumps({"id": r["id"] + "\x9b31m\u202e", "text": r["text"][:5000]}) for r in rows).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    main(["triage", "--no-kb"])
    out = capsys.readouterr().out
    assert out.count("\n") == len(rows)
    assert not any(ch in out for ch in "\x1b\x07\x9b\x9d\u202e\u2066")
    assert "\\u009b31m\\u202e" in out  # escaped inside the JSON string, still round-trips
    assert json.loads(out.splitlines()[0])["id"].endswith("\x9b31m\u202e")


def test_eval_report_content(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8"))
    assert main(["triage", "--db", str(tmp_path / "c.db"), "--eval", str(DATA / "triage_dev.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "intent accuracy" in out and "confusion (rows = labelled" in out
    assert "angry recall" in out and "angry precision" in out and "urgent accuracy" in out
    assert "KB top-3 relevant" in out and "messages/s" in out
    for intent in ("where_is_order", "complaint", "other"):
        assert intent in out


def test_eval_json_figures_and_label_errors(tmp_path: Path, monkeypatch, capsys) -> None:
    labelled = tmp_path / "labels.jsonl"
    labelled.write_text("\n".join([
        json.dumps({"text": "发票怎么开", "intent": "invoice", "emotion": "calm", "urgent": False}, ensure_ascii=False),
        json.dumps({"text": "垃圾 骗子 退钱", "intent": "return_refund_request", "emotion": "angry", "urgent": True,
                    "kb_intent": "return_refund_request"}, ensure_ascii=False),
        json.dumps({"text": "x", "intent": "refunds", "emotion": "calm", "urgent": False}),
        json.dumps({"text": "x", "intent": "other", "urgent": False}),
        json.dumps({"text": "x", "intent": "other", "emotion": "calm"}),
        "plain text is not a label",
    ]), encoding="utf-8")
    assert main(["triage", "--db", str(tmp_path / "c.db"), "--eval", str(labelled), "--json"]) == 0
    out, err = capsys.readouterr()
    assert "line 3: unknown intent 'refunds'" in err and "line 4: missing label emotion" in err
    assert "line 5: missing label urgent" in err and "line 6: expected a JSON object" in err
    figures = json.loads(out)
    assert figures["messages"] == 2 and figures["intent_accuracy"] == 1.0
    assert figures["angry_recall"] == 1.0 and figures["kb_checked"] == 1


def test_eval_missing_file_and_empty_file(tmp_path: Path, monkeypatch, capsys) -> None:
    code, _, err = run(["triage", "--no-kb", "--eval", str(tmp_path / "nope.jsonl")], b"", monkeypatch, capsys)
    assert code == 2 and "cannot open" in err
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n\n")
    code, _, err = run(["triage", "--no-kb", "--eval", str(empty)], b"", monkeypatch, capsys)
    assert code == 1 and "no labelled lines" in err


def test_kb_commands(tmp_path: Path, monkeypatch, capsys) -> None:
    db = str(tmp_path / "c.db")
    code, _, err = run(["kb", "search", "退货", "--db", db], b"", monkeypatch, capsys)
    assert code == 0 and "workbench kb install" in err  # empty cache: say what to do
    assert main(["kb", "install", "--db", db]) == 0
    assert "added" in capsys.readouterr().out
    assert main(["kb", "search", "退货", "运费", "--intent", "return_refund_request", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith(" 1. ") and "退" in out
    code, rows, _ = run(["kb", "search", "invoice", "--json", "--db", db], b"", monkeypatch, capsys)
    assert rows and rows[0]["matched"] == ["invoice"] and set(rows[0]) >= {"id", "title", "score", "snippet"}
    assert main(["kb", "search", "x", "--intent", "refunds", "--db", db]) == 2
    capsys.readouterr()
    assert main(["kb", "show", rows[0]["id"], "--db", db]) == 0
    assert "Invoice" in capsys.readouterr().out
    assert main(["kb", "show", "no-such", "--db", db]) == 1
    capsys.readouterr()
    bad = tmp_path / "arts.jsonl"
    bad.write_bytes(json.dumps({"id": "n1", "title": "测试", "body": "正文 保修", "tags": "", "intents": "warranty_repair"},
                               ensure_ascii=False).encode() + b"\n{oops\n")
    assert main(["kb", "import", str(bad), "--db", db]) == 1
    out, err = capsys.readouterr()
    assert "1 added" in out and f"{bad}:2: invalid JSON" in err
