"""KB search: Chinese 2-character terms, English, intent as a ranking signal, highlight spans, import,
the bounded candidate passes for large match sets, and the packaged KB (every intent, statutes)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from workbench import i18n, kbdata, textindex
from workbench.services import kb, kb_import
from workbench.store import Store
from workbench.store.migrate import migrate
from workbench.triage.model import INTENTS

NOW = "2026-11-23T02:00:00Z"


def article(aid: str, title: str, body: str, tags: str = "", intents: str = "", source: str = "kb") -> dict[str, str]:
    return {"id": aid, "title": title, "body": body, "tags": tags, "intents": intents, "lang": "zh", "source": source}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "kb.db")
    migrate(s)
    return s


@pytest.fixture
def small(store: Store) -> Store:
    rows = [
        article("a-return", "七天无理由退货规则", "签收后七天内可以无理由退货，商品需完好。退货运费由顾客承担。", "退货 七天无理由",
                "return_refund_request"),
        article("a-invoice", "发票开具说明", "电子发票在订单详情页下载，专票需要税号和开户行。", "发票 开票", "invoice"),
        article("a-warranty", "保修政策", "整机保修一年，保修期内免费维修。", "保修 维修", "warranty_repair"),
        article("a-shipping", "退换货运费", "质量问题退货的运费由店铺承担。", "运费", "size_or_exchange,return_refund_request"),
        article("a-en", "Invoices for companies", "We issue VAT invoices; send the company name and tax number.", "invoice",
                "invoice"),
        article("a-hostile", "[@click=app.quit]退货[/] 说明", "\x1b]52;c;ZWNobw==\x07退货 [link=https://evil.example]点我[/link]",
                "", "other"),
    ]
    with store.write() as conn:
        for row in rows:
            kb_import.upsert(conn, kb_import.parse_article(row), NOW)
    return store


@pytest.mark.parametrize("query, expected", [("退货", "a-return"), ("发票", "a-invoice"), ("保修", "a-warranty")])
def test_two_character_terms_match_and_rank_the_right_article_first(small: Store, query: str, expected: str) -> None:
    hits = kb.search(small.conn, query)
    assert hits and hits[0].id == expected
    assert all(query in h.title or query in h.snippet for h in hits)


def test_english_words_match_whole_words_case_insensitively(small: Store) -> None:
    hits = kb.search(small.conn, "INVOICE")
    assert [h.id for h in hits] == ["a-en"]
    assert kb.search(small.conn, "invoic") == []  # whole words only, like the index


def test_sentence_queries_are_split_into_terms(small: Store) -> None:
    assert textindex.query_terms("我想退货运费谁出") == ["退货", "运费", "谁出"]
    assert textindex.query_terms("在吗？请问发票怎么开") == ["发票"]
    assert textindex.query_terms("收到的水壶外壳裂了") == ["水壶", "外壳", "裂了"]
    assert textindex.query_terms("How do I return the item?") == ["return", "item"]
    hits = kb.search(small.conn, "我想退货运费谁出")
    assert hits[0].id in ("a-return", "a-shipping")
    assert set(hits[0].matched) == {"退货", "运费"}


def test_intent_is_a_ranking_signal(small: Store) -> None:
    plain = [h.id for h in kb.search(small.conn, "运费")]
    assert plain[0] == "a-shipping"  # the title-less article that says 运费 most directly
    boosted = [h.id for h in kb.search(small.conn, "运费", intent="return_refund_request")]
    assert set(boosted[:2]) == {"a-return", "a-shipping"}
    exchange = [h.id for h in kb.search(small.conn, "运费 退货", intent="size_or_exchange")]
    assert exchange[0] == "a-shipping"


def test_suggestions_offer_intent_articles_even_without_matching_words(small: Store) -> None:
    assert kb.search(small.conn, "你好在吗", intent="invoice") == []
    hits = kb.suggest(small.conn, "你好在吗", "invoice")
    assert {h.id for h in hits} == {"a-invoice", "a-en"}


def test_highlight_spans_point_at_the_matched_words(small: Store) -> None:
    hit = kb.search(small.conn, "退货 运费")[0]
    assert hit.title_spans or hit.snippet_spans
    for text, spans in ((hit.title, hit.title_spans), (hit.snippet, hit.snippet_spans)):
        for start, end in spans:
            assert text[start:end] in ("退货", "运费")


def test_hostile_article_text_is_cleaned_and_kept_literal(small: Store) -> None:
    hit = next(h for h in kb.search(small.conn, "退货") if h.id == "a-hostile")
    assert "\x1b" not in hit.title + hit.snippet and "\x07" not in hit.snippet
    assert hit.title.startswith("[@click=app.quit]")  # stays text; the UI never parses it as markup
    assert "[link=https://evil.example]" in hit.snippet


def test_snippet_window_keeps_spans_inside_and_marks_cuts() -> None:
    body = "开头" + "无关内容" * 40 + "这里讲退货运费" + "无关内容" * 40
    text, spans = textindex.snippet(body, ["退货", "运费"], width=40)
    assert len(text) == 40 and text.startswith("…") and text.endswith("…")
    assert [text[s:e] for s, e in spans] == ["退货运费"]


@pytest.mark.parametrize("query", ["", "   ", "的了吗", "\x00\x1b[2J", "[/]", "🙂🙂", "a" * 5000, "\"*OR AND NEAR("])
def test_odd_queries_do_not_crash(small: Store, query: str) -> None:
    assert isinstance(kb.search(small.conn, query), list)


def test_get_and_reply_snippet(small: Store) -> None:
    got = kb.get(small.conn, "a-shipping")
    assert got is not None and got.intents == ("size_or_exchange", "return_refund_request")
    assert kb.get(small.conn, "missing") is None
    assert kb.reply_snippet(small.conn, "a-return").startswith("签收后七天内")
    assert kb.reply_snippet(small.conn, "missing") == ""


def test_reply_snippet_prefers_the_suggested_phrasing(store: Store) -> None:
    with store.write() as conn:
        kb_import.upsert(conn, kb_import.parse_article(article(
            "p", "破损补发", "【步骤】拍照。\n【怎么跟顾客说】\"东西坏了确实糟心，我马上给您补发。\"（给具体时间）\n【注意】无", "", "damaged_item")), NOW)
    assert kb.reply_snippet(store.conn, "p") == "东西坏了确实糟心，我马上给您补发。"


def test_import_reports_bad_lines_by_number_and_keeps_the_rest(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(i18n._current, "lang", "en")
    lines = [
        json.dumps(article("ok-1", "发票", "正文", "发票", "invoice"), ensure_ascii=False),
        "",
        "{not json",
        json.dumps({"id": "x", "title": "缺正文"}, ensure_ascii=False),
        json.dumps(article("bad-intent", "t", "b", "", "refunds"), ensure_ascii=False),
        "[1, 2]",
        json.dumps(article("ok-2", "保修", "正文", ["保修", "维修"], ["warranty_repair"]), ensure_ascii=False),  # type: ignore[arg-type]
    ]
    raw = ("\n".join(lines) + "\n").encode() + b"\xff\xfe\n"
    with store.write() as conn:
        report = kb_import.import_lines(conn, kb_import.read_lines(io.BytesIO(raw)), "arts.jsonl", NOW)
    assert (report.added, report.updated) == (2, 0)
    assert [e.split(":")[1] for e in report.errors] == ["3", "4", "5", "6", "8"]
    assert "invalid JSON" in report.errors[0] and "'body'" in report.errors[1] and "refunds" in report.errors[2]
    assert kb.search(store.conn, "维修")[0].id == "ok-2"


def test_reimport_updates_in_place_and_reindexes(store: Store) -> None:
    with store.write() as conn:
        kb_import.upsert(conn, kb_import.parse_article(article("a", "旧标题发票", "正文", "", "invoice")), NOW)
        assert not kb_import.upsert(conn, kb_import.parse_article(article("a", "新标题保修", "正文", "", "warranty_repair")), NOW)
    assert kb.search(store.conn, "发票") == []
    assert [h.id for h in kb.search(store.conn, "保修")] == ["a"]
    assert store.scalar("SELECT count(*) FROM kb_fts") == 1


def test_index_article_keeps_the_old_signature_and_reads_intents_from_the_row(store: Store) -> None:
    with store.write() as conn:
        rowid = conn.execute("INSERT INTO kb_articles (id, title, body, tags, intents, updated_at) "
                             "VALUES ('legacy', '价保', '降价退差价', '', 'price_promo', ?)", (NOW,)).lastrowid
        kb.index_article(conn, rowid, "价保", "降价退差价", "")
    assert [h.id for h in kb.suggest(store.conn, "在吗", "price_promo")] == ["legacy"]


def _many(store: Store, n: int) -> None:
    """n near-identical articles about 退货 (a large match set), and one that is clearly best."""
    with store.write() as conn:
        for i in range(n):
            kb_import.upsert(conn, kb_import.parse_article(article(
                f"bulk-{i:04d}", f"商品{i}说明", "顾客可以申请退货，退货前核对订单。" + "其他说明。" * 20, "", "other")), NOW)
        kb_import.upsert(conn, kb_import.parse_article(article(
            "best", "退货运费规则", "退货运费：质量问题由店铺承担。退货运费险可以抵扣。", "退货 运费", "return_refund_request")), NOW)
        for i in range(n, 2 * n):  # newer articles after the best one, so it is outside the newest window
            kb_import.upsert(conn, kb_import.parse_article(article(
                f"bulk-{i:04d}", f"商品{i}说明", "顾客可以申请退货。" + "其他说明。" * 20, "", "other")), NOW)


def test_large_match_sets_use_bounded_passes_and_still_find_the_best_article(store: Store,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _many(store, 60)
    monkeypatch.setattr(kb, "WINDOW", 20)
    monkeypatch.setattr(kb, "PASS_LIMIT", 10)
    calls: list[str] = []
    real = kb._rowids
    monkeypatch.setattr(kb, "_rowids", lambda conn, expr, limit: calls.append(expr) or real(conn, expr, limit))
    hits = kb.search(store.conn, "退货 运费", limit=5)
    assert hits[0].id == "best"  # found by the title/AND passes, not the newest-matches window
    assert len(calls) > 1 and any(c.startswith("{title tags}") for c in calls)
    monkeypatch.setattr(kb, "WINDOW", 10**6)
    assert kb.search(store.conn, "退货 运费", limit=1)[0].id == "best"  # same answer scoring every match


def test_packaged_kb_covers_every_intent_and_statutes_are_verbatim(shared_data: Path) -> None:
    articles = kbdata.load_articles()
    covered = {i for a in articles for i in a["intents"].split(",")}
    assert covered >= set(INTENTS)
    statutes = [a for a in articles if a["source"] == "statute"]
    assert len(statutes) >= 30
    laws = {}
    for path in (shared_data / "kb" / "zh" / "laws").glob("*.articles.jsonl"):
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            laws[f"law-{path.name.split('.')[0]}-{row['article']}"] = row["body"]
    for statute in statutes:
        assert statute["body"] == laws[statute["id"]], statute["id"]
    ids = {a["id"] for a in statutes}
    assert {"law-consumer_rights_protection_law_2013-第二十四条", "law-consumer_rights_protection_law_2013-第二十五条",
            "law-product_quality_law_2018-第四十条", "law-ecommerce_law_2018-第二十条",
            "law-express_delivery_interim_regulations_2019-第二十七条"} <= ids


def test_install_packaged_is_idempotent(store: Store) -> None:
    first = kb_import.install_packaged(store, NOW)
    second = kb_import.install_packaged(store, NOW)
    assert first.added > 100 and first.errors == [] and (second.added, second.updated) == (0, first.added)
    assert store.scalar("SELECT count(*) FROM kb_fts") == first.added
    hit = kb.search(store.conn, "七天无理由 退货")[0]
    assert "return_refund_request" in hit.intents
