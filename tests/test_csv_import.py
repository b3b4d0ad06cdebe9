"""Platform order exports (淘宝/天猫 GBK, 京东 GBK item rows, 抖店 UTF-8 BOM, generic, a TOML mapping)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from adapters.csv_import import CsvImportError, import_file
from workbench.cli import main
from workbench.config import ConfigError

DATA = Path(__file__).parent / "data" / "csv"
TAOBAO, JD, DOUYIN = DATA / "taobao_orders_gbk.csv", DATA / "jd_orders_gbk.csv", DATA / "douyin_orders_utf8bom.csv"


def outbox(ctx) -> int:
    return ctx.store.scalar("SELECT count(*) FROM outbox")


def order(ctx, platform: str, number: str):
    return ctx.store.one("SELECT * FROM orders WHERE platform = ? AND order_no = ?", (platform, number))


def test_taobao_gbk_export(ctx):
    report = import_file(ctx, TAOBAO, platform="taobao")
    assert (report.encoding, report.rows, report.orders, report.created) == ("GBK/GB18030", 12, 7, 7)
    rejected = {(r.row, r.column) for r in report.rejects if not r.kept}
    assert rejected == {(7, "买家实际支付金额"), (8, "订单编号"), (9, "订单编号"), (10, "订单创建时间"), (12, "订单状态")}
    assert [(r.row, r.column) for r in report.rejects if r.kept] == [(11, "联系手机")]
    assert report.duplicates == 1 and report.rejected_rows == 5
    reasons = {r.row: r.reason for r in report.rejects}
    assert "第 2 行" in reasons[8] and "科学计数法" in reasons[9] and "交易异常待处理" in reasons[12]
    first = order(ctx, "taobao", "3725148880193652871")  # ="…" guard removed
    assert (first["status"], first["paid_fen"], first["phone"]) == ("completed", 19900, "13857146612")
    assert first["created_at"] == "2026-11-10T16:03:12Z"  # 00:03:12 shop time (Asia/Shanghai)
    big = order(ctx, "taobao", "3725160023318877402")
    assert (big["total_fen"], big["phone"], big["status"]) == (132900, "138****0021", "shipped")  # ¥1,329.00
    refunded = order(ctx, "taobao", "3725133344556677889")
    assert (refunded["status"], refunded["refunded_fen"]) == ("refunded", 19900)
    ship = ctx.store.one("SELECT * FROM shipments WHERE order_id = ?", (first["id"],))
    assert (ship["tracking_no"], ship["carrier_code"], ship["status"]) == ("YT7384920183746", "yuantong", "pending")
    buyer = ctx.store.one("SELECT * FROM customers WHERE id = ?", (first["customer_id"],))
    assert (buyer["name"], buyer["nick"], buyer["external_id"], buyer["source"]) == \
        ("王磊", "wangxiaoer2018", "wangxiaoer2018", "taobao")
    hostile = order(ctx, "taobao", "3725188899900011122")  # stored verbatim, cleaned only on display
    assert hostile["receiver"] == "黄\u202e丽"
    assert ctx.store.scalar("SELECT title FROM order_items WHERE order_id = ?", (hostile["id"],)).startswith("[bold red]")


def test_reimport_updates_and_never_duplicates(ctx, tmp_path):
    import_file(ctx, TAOBAO, platform="taobao")
    before = outbox(ctx), ctx.store.scalar("SELECT count(*) FROM customers"), ctx.store.scalar("SELECT count(*) FROM orders")
    again = import_file(ctx, TAOBAO, platform="taobao")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert (outbox(ctx), ctx.store.scalar("SELECT count(*) FROM customers"),
            ctx.store.scalar("SELECT count(*) FROM orders")) == before
    changed = tmp_path / "changed.csv"
    changed.write_bytes(TAOBAO.read_bytes().replace("买家已付款，等待卖家发货".encode("gb18030"),
                                                    "卖家已发货，等待买家确认".encode("gb18030")))
    third = import_file(ctx, changed, platform="taobao")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 6)
    assert order(ctx, "taobao", "3725166677788899900")["status"] == "shipped"
    assert outbox(ctx) == before[0] + 1  # exactly the one changed order


def test_jd_item_rows_group_into_orders(ctx):
    report = import_file(ctx, JD, platform="jd")
    assert (report.orders, report.created) == (3, 3)
    assert [(r.row, r.column) for r in report.rejects] == [(6, "订单号"), (7, "应付金额")]
    assert "第 5 行" in report.rejects[0].reason
    two = order(ctx, "jd", "301234567890")
    assert two["total_fen"] == 48800  # order amount is repeated on each line, not summed
    skus = [r[0] for r in ctx.store.query("SELECT sku FROM order_items WHERE order_id = ? ORDER BY sku", (two["id"],))]
    assert skus == ["BL-0806", "KC-0350"]
    assert ctx.store.scalar("SELECT qty FROM order_items WHERE sku = 'PB-2001'") == 2  # duplicate line not added


def test_douyin_bom_export_with_encrypted_receivers(ctx):
    report = import_file(ctx, DOUYIN, platform="douyin")
    assert report.encoding == "UTF-8 (BOM)" and report.orders == 3
    assert {(r.row, r.kept) for r in report.rejects} == {(4, False), (5, True), (7, False)}
    kettle = order(ctx, "douyin", "6921834412345678901")  # tab-guarded id
    assert (kettle["paid_fen"], kettle["phone"], kettle["receiver"]) == (26800, "177****1234", "张*")  # summed lines
    ship = ctx.store.one("SELECT * FROM shipments WHERE order_id = ?", (kettle["id"],))
    assert (ship["carrier"], ship["tracking_no"], ship["shipped_at"]) == ("中通快递", "78612345678901",
                                                                         "2026-11-18T01:30:00Z")
    hidden = order(ctx, "douyin", "6921834498765432101")
    assert hidden["receiver"] is None and hidden["phone"] is None and hidden["address"] == "江苏省 苏州市 工业园区 娄葑街道"
    buyer = ctx.store.one("SELECT * FROM customers WHERE id = ?", (hidden["customer_id"],))
    assert buyer["external_id"] == "order:6921834498765432101" and buyer["name"] == "匿名买家"
    assert order(ctx, "douyin", "6921834455555555501")["status"] == "refunded"  # 售后状态 退款成功


def test_generic_layout_and_customer_totals(ctx):
    report = import_file(ctx, DATA / "generic_orders.csv")
    assert report.created == 2 and [(r.row, r.column) for r in report.rejects] == [(4, "paid")]
    buyer = ctx.store.one("SELECT * FROM customers WHERE external_id = 'wx_oA1b2c'")
    assert (buyer["order_count"], buyer["lifetime_value_fen"], buyer["email"]) == (2, 138890, "hexiao@example.com")


def test_masked_phone_never_replaces_a_full_one(ctx, tmp_path):
    import_file(ctx, DATA / "generic_orders.csv")
    masked = tmp_path / "masked.csv"
    masked.write_text((DATA / "generic_orders.csv").read_text("utf-8").replace("13812340000", "138****0000"), "utf-8")
    import_file(ctx, masked)
    assert ctx.store.scalar("SELECT phone FROM customers WHERE external_id = 'wx_oA1b2c'") == "13812340000"
    assert ctx.store.scalar("SELECT phone FROM orders WHERE order_no = 'WB-2026-0001'") == "13812340000"


def test_mapping_file_for_another_layout(ctx):
    report = import_file(ctx, DATA / "youzan_orders.csv", mapping_file=DATA / "youzan_mapping.toml")
    assert report.created == 2 and report.rejects == []
    row = order(ctx, "youzan", "E20261121123456789012345")
    assert (row["status"], row["paid_fen"], row["created_at"]) == ("shipped", 32900, "2026-11-21T06:30:00Z")


def test_bad_mapping_file_names_file_line_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('platform = "x"\n[columns]\norder_no = "单号"\nbuyer_age = "年龄"\n', "utf-8")
    with pytest.raises(ConfigError) as raised:
        import_file(None, DATA / "generic_orders.csv", mapping_file=bad)  # type: ignore[arg-type]
    assert raised.value.line == 4 and raised.value.key == "columns.buyer_age" and "bad.toml" in str(raised.value)


BAD_MAPPINGS = [
    # (file text, line, key, Chinese words that say what to do, English words that say what to do)
    ('platform = "x"\ncolumn = {}\n', 2, "column",
     "不认识的设置项 column。请检查拼写", "Unknown setting column. Check the spelling"),
    ('extends = "youzan"\n', 1, "extends",
     "请改为其中之一：taobao, jd, douyin, generic", "Use one of taobao, jd, douyin, generic"),
    ('[columns]\norder_no = 7\n', 2, "order_no", "非空的文字列表", "a non-empty list of texts"),
    ('columns = "订单号"\n', 1, "columns", "单独一行写 [columns]", "a line [columns] followed by"),
    ('[status]\n"已发货" = "sent"\n', 2, "status.已发货",
     "「已发货」对应的状态 sent 不存在", '"已发货" is mapped to the status sent'),
    ('row_per = "line"\n', 1, "row_per",
     '只能是 "order"（一行一个订单）或 "item"', 'use "order" (one row per order) or "item"'),
    ('required = ["order_no", "item_sku"]\n[columns]\norder_no = "单号"\n', 1, "required",
     "[columns] 里加上 item_sku", 'Add item_sku = "<header>" under [columns]'),
    ('required = ["order_no", "buyer_age"]\n', 1, "required", "不认识的字段 buyer_age", "Unknown field buyer_age"),
    ('[columns\norder_no = "x"\n', 1, None, "TOML 格式有误", "TOML syntax error"),
]


@pytest.mark.parametrize(("text", "line", "key", "zh", "en"), BAD_MAPPINGS)
def test_each_mapping_mistake_names_line_key_and_what_to_do(tmp_path, text, line, key, zh, en):
    from workbench import i18n

    bad = tmp_path / "shop.toml"
    bad.write_text(text, "utf-8")
    try:
        for lang, words in (("zh", zh), ("en", en)):
            i18n.set_language(lang)
            with pytest.raises(ConfigError) as raised:
                import_file(None, DATA / "generic_orders.csv", mapping_file=bad)  # type: ignore[arg-type]
            assert (raised.value.line, raised.value.key) == (line, key)
            assert str(raised.value).startswith(f"{bad}:{line}") and words in str(raised.value)
    finally:
        i18n.set_language("zh")


def test_unreadable_or_non_utf8_mapping_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError) as missing:
        import_file(None, DATA / "generic_orders.csv", mapping_file=tmp_path / "nope.toml")  # type: ignore[arg-type]
    assert "读不了映射文件" in str(missing.value) and "--mapping" in str(missing.value)
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('name = "有赞"\n'.encode("gbk"))
    with pytest.raises(ConfigError) as encoded:
        import_file(None, DATA / "generic_orders.csv", mapping_file=gbk)  # type: ignore[arg-type]
    assert "另存为 UTF-8" in str(encoded.value)


def test_cli_reports_a_bad_mapping_as_the_mapping_file_in_both_languages(ctx, tmp_path, capsys):
    from workbench import i18n

    bad = tmp_path / "bad.toml"
    bad.write_text('platform = "x"\n[columns]\norder_no = "单号"\nbuyer_age = "年龄"\n', "utf-8")
    argv = ["--db", str(ctx.store.path), "import", "csv", str(DATA / "generic_orders.csv"), "--mapping", str(bad)]
    try:
        assert main([*argv, "--lang", "zh"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("映射文件有误，没有导入任何数据：") and f"{bad}:4 [columns.buyer_age]" in err
        assert "不认识的字段 buyer_age" in err and "配置文件" not in err
        assert main([*argv, "--lang", "en"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("The mapping file has a problem, so nothing was imported:")
        assert "Unknown field buyer_age. Check the spelling" in err and "config file" not in err
        assert main([*argv, "--lang", "en", "--json"]) == 2
        report = json.loads(capsys.readouterr().out)
        assert (report["ok"], report["error"], report["line"]) == (False, "mapping", 4)
        assert report["key"] == "columns.buyer_age" and report["file"] == str(bad)
    finally:
        i18n.set_language("zh")
    assert ctx.store.scalar("SELECT count(*) FROM orders") == 0


def test_missing_columns_describe_the_fields_in_the_users_language(ctx):
    from workbench import i18n

    try:
        for lang, words in (("zh", "实付金额 paid（表头：买家实际支付金额 / 实付款）"),
                            ("en", "amount paid paid (header: 买家实际支付金额 / 实付款)")):
            i18n.set_language(lang)
            with pytest.raises(CsvImportError) as raised:
                import_file(ctx, DOUYIN, platform="taobao")
            assert words in str(raised.value)
    finally:
        i18n.set_language("zh")


def test_missing_columns_name_them_and_the_mapping_to_use(ctx):
    with pytest.raises(CsvImportError) as raised:
        import_file(ctx, DOUYIN, platform="taobao")
    message = str(raised.value)
    assert raised.value.kind == "missing_columns" and "订单编号" in message and "买家实际支付金额" in message
    assert "--platform douyin" in message
    assert ctx.store.scalar("SELECT count(*) FROM orders") == 0


def test_undecodable_file_is_refused_with_the_line(ctx, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_bytes("订单号,金额\n1,2\n".encode("utf-8") + b"\x80\xff\xfe,3\n")
    with pytest.raises(CsvImportError) as raised:
        import_file(ctx, broken)
    assert raised.value.kind == "encoding" and "第 3 行" in str(raised.value)
    with pytest.raises(CsvImportError) as forced:
        import_file(ctx, TAOBAO, platform="taobao", encoding="utf-8")
    assert forced.value.kind == "encoding"


def test_bad_file_keeps_what_is_stored(ctx, tmp_path):
    import_file(ctx, TAOBAO, platform="taobao")
    before = ctx.store.scalar("SELECT count(*) FROM orders"), outbox(ctx)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CsvImportError):
        import_file(ctx, empty, platform="taobao")
    assert (ctx.store.scalar("SELECT count(*) FROM orders"), outbox(ctx)) == before


def test_progress_callback(ctx):
    calls: list[tuple[int, int]] = []
    import_file(ctx, TAOBAO, platform="taobao", progress=lambda done, total: calls.append((done, total)), batch=3)
    assert calls == [(0, 7), (3, 7), (6, 7), (7, 7)]


def test_cli_json_text_and_rejects_file(ctx, tmp_path, capsys):
    db = str(ctx.store.path)
    code = main(["--db", db, "import", "csv", str(TAOBAO), "--platform", "taobao", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["created"] == 7 and report["rejected_rows"] == 5
    rejects = tmp_path / "rejects.csv"
    code = main(["--db", db, "import", "csv", str(TAOBAO), "--platform", "taobao", "--rejects", str(rejects)])
    out = capsys.readouterr().out
    assert code == 1 and "无变化 7" in out and "第 7 行" in out
    assert "\x1b" not in out
    with open(rejects, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6 and rows[0]["row"] == "7"
    assert main(["--db", db, "import", "csv", str(DOUYIN), "--platform", "taobao"]) == 2
    assert "--platform douyin" in capsys.readouterr().err


def test_a_refused_record_is_rolled_back_alone(ctx):
    """Shared ingest: a record the database refuses leaves no half-written rows and spoils no neighbour."""
    from datetime import datetime, timezone

    from workbench.services import ingest

    ctx.store.conn.execute("CREATE TEMP TRIGGER refuse BEFORE INSERT ON orders WHEN NEW.order_no = 'BAD' "
                           "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END")
    at = datetime(2026, 11, 20, tzinfo=timezone.utc)

    def rec(number: str, buyer: str) -> ingest.OrderIn:
        return ingest.OrderIn("taobao", number, ingest.CustomerIn("taobao", buyer, buyer), "paid", at, 100, 100,
                              shipments=[ingest.ShipmentIn(f"YT{number}", "圆通速递", events=[
                                  ingest.EventIn(at, "快件已揽收")])], ref=number)

    result = ingest.upsert_orders(ctx, [rec("A1", "a"), rec("BAD", "b"), rec("B1", "b")])
    assert (result.created, [p.ref for p in result.problems]) == (2, ["BAD"])
    assert "refused by test trigger" in result.problems[0].reason
    assert {r[0] for r in ctx.store.query("SELECT order_no FROM orders")} == {"A1", "B1"}
    assert ctx.store.scalar("SELECT count(*) FROM customers WHERE external_id = 'b'") == 1
    # By the payload's order number, not a text match: a random id may contain "bad" (LIKE ignores case).
    assert ctx.store.scalar("SELECT count(*) FROM outbox WHERE entity = 'orders' "
                            "AND json_extract(payload, '$.order_no') = 'BAD'") == 0
    assert len(result.shipments_with_events) == 2


GENERIC_HEADER = "order_no,buyer_id,buyer_name,phone,status,paid,created_at,item_title,item_sku,item_qty,carrier,tracking_no\n"


def generic_file(path, rows: list[tuple[str, str, str, str]]):
    """A generic-layout export: (order number, buyer id, status, paid yuan) per row, one line each."""
    lines = [f"{no},{buyer},{buyer}的名字,1380000{i:04d},{status},{paid},2026-11-{10 + i:02d} 09:00:00,"
             f"保温杯 {no},SKU-{no},1,圆通速递,YT{9000000000 + i}" for i, (no, buyer, status, paid) in enumerate(rows)]
    path.write_text(GENERIC_HEADER + "\n".join(lines) + "\n", "utf-8")
    return path


SIX = [("W-1", "buyer-a", "paid", "10.00"), ("W-BAD", "buyer-a", "paid", "20.00"), ("W-2", "buyer-b", "paid", "30.00"),
       ("W-3", "buyer-a", "shipped", "40.00"), ("W-4", "buyer-c", "paid", "50.00"), ("W-5", "buyer-b", "completed", "60.00")]


def orphans(ctx) -> dict[str, int]:
    """Per table: rows without their create entry, plus entries whose row does not exist."""
    found = {}
    for table in ("customers", "orders", "order_items", "shipments"):
        found[table] = ctx.store.scalar(
            f"SELECT count(*) FROM {table} WHERE id NOT IN (SELECT entity_id FROM outbox WHERE entity = ? "
            "AND op = 'create')", (table,)) + ctx.store.scalar(
            f"SELECT count(*) FROM outbox WHERE entity = ? AND entity_id NOT IN (SELECT id FROM {table})", (table,))
    return found


def figures_match_orders(ctx) -> bool:
    stored = {r[0]: (r[1], r[2]) for r in ctx.store.query("SELECT id, order_count, lifetime_value_fen FROM customers")}
    counted = {r[0]: (r[1], r[2]) for r in ctx.store.query(
        "SELECT customer_id, count(*), sum(paid_fen - refunded_fen) FROM orders GROUP BY customer_id")}
    return stored == counted


@pytest.mark.parametrize("batch", [100, 2])
def test_a_refused_row_in_a_batch_keeps_every_good_row(ctx, tmp_path, batch):
    """The batch is written whole first; a refusal redoes it row by row, so only the bad row is dropped
    and nothing of the first attempt (rows, outbox entries, customer figures) survives twice."""
    ctx.store.conn.execute("CREATE TEMP TRIGGER refuse BEFORE INSERT ON orders WHEN NEW.order_no = 'W-BAD' "
                           "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END")
    source = generic_file(tmp_path / "six.csv", SIX)
    report = import_file(ctx, source, batch=batch)
    assert (report.orders, report.created, report.updated) == (6, 5, 0)
    assert [(r.row, r.kept) for r in report.rejects] == [(3, False)] and "refused by test trigger" in report.rejects[0].reason
    assert {r[0] for r in ctx.store.query("SELECT order_no FROM orders")} == {"W-1", "W-2", "W-3", "W-4", "W-5"}
    assert ctx.store.scalar("SELECT count(*) FROM customers") == 3
    assert ctx.store.scalar("SELECT count(*) FROM order_items") == ctx.store.scalar("SELECT count(*) FROM shipments") == 5
    assert orphans(ctx) == {"customers": 0, "orders": 0, "order_items": 0, "shipments": 0}
    assert figures_match_orders(ctx)
    assert ctx.store.scalar("SELECT order_count FROM customers WHERE external_id = 'buyer-a'") == 2
    assert ctx.store.scalar("SELECT phone FROM customers WHERE external_id = 'buyer-a'") == "13800000003"  # latest row
    before = outbox(ctx)
    again = import_file(ctx, source, batch=batch)  # idempotent: nothing written, the bad row refused again
    assert (again.created, again.updated, again.unchanged, again.rejected_rows) == (0, 0, 5, 1)
    assert outbox(ctx) == before


def test_a_refused_change_keeps_what_was_stored(ctx, tmp_path):
    import_file(ctx, generic_file(tmp_path / "first.csv", [r for r in SIX if r[0] != "W-BAD"]))
    stored = dict(order(ctx, "generic", "W-2"))
    before = outbox(ctx)
    ctx.store.conn.execute("CREATE TEMP TRIGGER refuse BEFORE UPDATE ON orders WHEN NEW.order_no = 'W-2' "
                           "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END")
    changed = [(no, buyer, "completed" if no in ("W-2", "W-4") else status, paid)
               for no, buyer, status, paid in SIX if no != "W-BAD"]
    report = import_file(ctx, generic_file(tmp_path / "second.csv", changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert [r.row for r in report.rejects] == [3]
    assert dict(order(ctx, "generic", "W-2")) == stored  # the refused change left the stored order as it was
    assert order(ctx, "generic", "W-4")["status"] == "completed"
    assert outbox(ctx) == before + 1  # exactly the one order update that was kept
    assert figures_match_orders(ctx)


def test_same_order_twice_in_one_batch_updates_the_row_it_just_wrote(ctx):
    """Rows matched for the whole batch up front are re-read once the batch itself wrote them."""
    from datetime import datetime, timezone

    from workbench.services import ingest

    at = datetime(2026, 11, 20, tzinfo=timezone.utc)

    def rec(status: str, items: list[str]) -> ingest.OrderIn:
        return ingest.OrderIn("shopify", "1001", ingest.CustomerIn("shopify", "Amy", "c-1"), status, at, 500, 500,
                              items=[ingest.ItemIn(t, 1, 250, t) for t in items],
                              shipments=[ingest.ShipmentIn("YT1", "圆通速递")], ref="#1001")

    result = ingest.upsert_orders(ctx, [rec("paid", ["A"]), rec("shipped", ["A", "B"]), rec("shipped", ["A", "B"])])
    assert (result.created, result.updated, result.unchanged, result.problems) == (1, 1, 1, [])
    stored = order(ctx, "shopify", "1001")
    assert stored["status"] == "shipped"
    assert ctx.store.scalar("SELECT count(*) FROM order_items WHERE order_id = ?", (stored["id"],)) == 2
    assert ctx.store.scalar("SELECT count(*) FROM shipments") == ctx.store.scalar("SELECT count(*) FROM customers") == 1
    assert ctx.store.scalar("SELECT count(*) FROM outbox WHERE entity = 'orders'") == 2  # create + one update
    assert figures_match_orders(ctx)


def test_batch_size_does_not_change_what_is_stored(ctx, tmp_path):
    """Repeat buyers whose rows differ (receiver phone) end up the same however the batches split,
    and a re-import in other batch sizes writes nothing."""
    from workbench.context import open_context

    source = generic_file(tmp_path / "five.csv", [r for r in SIX if r[0] != "W-BAD"])
    other = open_context(db=tmp_path / "other.db", clock=ctx.clock)
    import_file(ctx, source)
    import_file(other, source, batch=2)
    columns = "o.order_no, o.status, o.paid_fen, o.phone, c.external_id, c.order_count, c.lifetime_value_fen, c.phone"
    query = f"SELECT {columns} FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.order_no"
    assert [tuple(r) for r in ctx.store.query(query)] == [tuple(r) for r in other.store.query(query)]
    assert ctx.store.scalar("SELECT phone FROM customers WHERE external_id = 'buyer-a'") == "13800000002"  # latest
    for batch in (1, 3):
        before = outbox(ctx), outbox(other)
        for target in (ctx, other):
            again = import_file(target, source, batch=batch)
            assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
        assert (outbox(ctx), outbox(other)) == before


def test_customer_written_earlier_in_the_batch_is_matched_as_it_is_now(ctx):
    """A buyer matched by name + phone and then by buyer id in the same batch: the second record sees
    the first one's write (records apply in order, as if each had its own transaction)."""
    from workbench.services import ingest

    ingest.upsert_customers(ctx, [ingest.CustomerIn("shopify", "Amy", "c-9", phone="13800000009", email="old@x.cn")])
    result = ingest.upsert_customers(ctx, [
        ingest.CustomerIn("shopify", "Amy", None, phone="13800000009", email="new@x.cn"),
        ingest.CustomerIn("shopify", "Amy", "c-9", phone="13800000009", email="old@x.cn")])
    assert (result.created, result.updated, result.problems) == (0, 2, [])
    assert ctx.store.scalar("SELECT email FROM customers") == "old@x.cn"
    assert ctx.store.scalar("SELECT count(*) FROM outbox WHERE entity = 'customers'") == 3
