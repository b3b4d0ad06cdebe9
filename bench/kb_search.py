"""KB search at 50k articles: p50/p99 of workbench.services.kb.search vs raw baselines in the same run.

Builds 50,000 synthetic Chinese after-sales articles (~215 characters each, a few shared sentences so the
common terms match thousands or all articles — the case DESIGN.md section 6 warns about) into a temporary
cache, then times realistic queries: single common terms, two-term queries, sentences as people type
them, English/mixed terms, with and without an intent, and long customer messages (suggestions).

Baselines, same data, same queries:
  * ``fts5 bm25 all``: FTS5 MATCH ranking every match with bm25 (what the code did before);
  * ``instr scan``: plain SQL scanning kb_articles with instr() and ranking by occurrences.
It also reports how close the bounded candidate passes' top-5 is to scoring every match.

Run: .venv/bin/python bench/kb_search.py [--articles 50000] [--reps 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench import textindex  # noqa: E402
from workbench.services import kb  # noqa: E402
from workbench.store import Store  # noqa: E402
from workbench.store.migrate import migrate  # noqa: E402

PRODUCTS = ("电热水壶 空气炸锅 扫地机器人 羽绒服 运动鞋 面霜 蓝牙耳机 手机壳 洗衣机 冰箱 空调 电饭煲 吹风机 净水器 "
            "咖啡机 床垫 婴儿推车 儿童积木 陶瓷餐具 行李箱 台灯 智能手表 路由器 投影仪 电动牙刷 充电宝 显示器 机械键盘 "
            "油烟机 洗碗机 加湿器 羊毛衫 连衣裙 牛仔裤 奶粉 猫粮 茶叶 坚果礼盒 保温杯 瑜伽垫 电热毯 热水器 剃须刀 口红 "
            "洗发水 面膜 精华液 窗帘 四件套").split()
TOPICS = {
    "where_is_order": (["发货时间说明", "物流查询方法", "预售发货规则"], ["物流", "发货"],
                       ["付款后48小时内发货，预售商品按页面约定时间发出。", "顾客询问物流时，先核对订单号再查询快递单号。",
                        "物流信息通常在揽收后6小时内更新。"]),
    "delivery_problem": (["物流停滞处理", "签收未收到处理", "快递丢件理赔"], ["签收", "丢件"],
                         ["物流超过48小时未更新，联系快递公司核实并登记停滞工单。", "显示签收但顾客没收到，先核实代收点再发起调查。",
                          "确认丢件后优先补发，运费由店铺承担。"]),
    "damaged_item": (["破损补发流程", "运输破损处理", "开箱验货指引"], ["破损", "补发"],
                     ["请顾客提供外包装和商品破损照片。", "运输破损核实后可补发或退款，无需顾客寄回。", "易碎品补发时加固包装。"]),
    "wrong_or_missing_item": (["错发漏发处理", "少件补寄流程", "配件缺失补发"], ["错发", "漏发"],
                              ["错发商品核实后补发正确商品，并安排上门取回错发件。", "漏发配件当天补寄，告知顾客补寄单号。"]),
    "size_or_exchange": (["尺码换货流程", "换货运费规则", "尺码对照表"], ["换货", "尺码"],
                         ["尺码不合适可在签收后七天内申请换货。", "非质量问题换货运费由顾客承担，有运费险可抵扣。"]),
    "return_refund_request": (["七天无理由退货", "退货申请流程", "退货运费说明"], ["退货", "七天无理由"],
                              ["支持七天无理由退货，商品需完好且不影响二次销售。", "退货运费：质量问题由店铺承担，非质量问题由顾客承担。"]),
    "refund_status": (["退款到账时间", "退款进度查询", "原路退回说明"], ["退款", "到账"],
                      ["退款审核通过后原路退回，银行卡1到3个工作日到账。", "退货签收后48小时内完成退款审核。"]),
    "warranty_repair": (["保修政策", "上门维修预约", "寄修流程"], ["保修", "维修"],
                        ["整机保修一年，主要部件保修三年。", "大件商品可预约上门维修，小件商品寄修。"]),
    "product_usage": (["使用说明", "安装指引", "清洁保养方法"], ["使用", "安装"],
                      ["首次使用前请阅读说明书。", "设备连接WiFi时请使用2.4G网络。", "出现故障代码时先断电重启。"]),
    "invoice": (["发票开具说明", "电子发票下载", "专票资料要求"], ["发票", "税号"],
                ["支持开具电子普通发票和增值税专用发票。", "开票需提供抬头和税号。", "电子发票在订单详情页下载。"]),
    "price_promo": (["价保规则", "优惠券使用说明", "满减活动规则"], ["价保", "优惠券"],
                    ["签收后七天内降价可申请价保，退还差价。", "优惠券不可叠加使用，以结算页为准。"]),
    "order_change": (["修改地址流程", "取消订单说明", "拦截快递方法"], ["改地址", "取消"],
                     ["未发货订单可直接修改地址，已发货订单需联系快递改派。", "取消订单后款项原路退回。"]),
    "complaint": (["投诉升级处理", "安抚话术", "差评回访流程"], ["投诉", "升级"],
                  ["顾客情绪激动时先共情，不推诿、不争辩。", "涉及12315或平台介入的投诉立即升级组长。"]),
}
GENERAL = ["处理时请核对订单号、商品和收货信息。", "回复顾客时说明具体时间，不说尽快。", "记录处理结果并设置跟进提醒。",
           "如超出权限请提交组长审批。", "所有补偿须在权限范围内并登记原因。", "与顾客确认方案后再执行。"]
QUERIES = [
    # (label, query, intent)
    ("common", "退货", None), ("common", "退款", None), ("common", "发票", None), ("common", "保修", None),
    ("common", "快递", None), ("most common", "订单", None), ("most common", "顾客", None),
    ("most common", "顾客 订单 处理", None),
    ("two terms", "退货 运费", None), ("two terms", "签收 没收到", None), ("two terms", "破损 补发", None),
    ("two terms", "发票 税号", None), ("two terms", "保修 上门维修", None),
    ("sentence", "我想退货运费谁出", None), ("sentence", "退款什么时候到账", None),
    ("sentence", "收到的水壶外壳裂了能换吗", None), ("sentence", "快递显示签收了但是没收到", None),
    ("en/mixed", "wifi", None), ("en/mixed", "WiFi 连接", None), ("en/mixed", "refund 退款", None),
    ("intent", "退货", "return_refund_request"), ("intent", "顾客 订单", "complaint"),
    ("intent", "物流 停滞", "delivery_problem"), ("intent", "发票", "invoice"),
    ("suggest", "在吗？我昨天收到的电热水壶外壳裂了，订单号 JD2311209987，能换一个吗？很急，明天要用", "damaged_item"),
    ("suggest", "退款说好三天到 现在都十天了 钱呢？？我要投诉 订单 顾客 处理", "refund_status"),
]


def articles(n: int, seed: int = 7):
    """Deterministic synthetic articles: (id, title, body, tags, intents)."""
    rng = random.Random(seed)
    intents = list(TOPICS)
    for i in range(n):
        intent = rng.choice(intents)
        titles, tags, sentences = TOPICS[intent]
        product = rng.choice(PRODUCTS)
        other = TOPICS[rng.choice(intents)][2]
        pool = sentences + rng.sample(other, min(2, len(other))) + GENERAL
        rng.shuffle(pool)
        parts, target = [f"【{product}】"], rng.randint(180, 250)
        while sum(len(p) for p in parts) < target:
            parts.append(pool[len(parts) % len(pool)])
        yield f"syn-{i:06d}", f"{product}{rng.choice(titles)}", "".join(parts), " ".join(tags), intent


def build(path: Path, n: int) -> float:
    store = Store(path)
    migrate(store)
    conn = store.conn
    started = time.perf_counter()
    conn.execute("BEGIN")
    for aid, title, body, tags, intent in articles(n):
        rowid = conn.execute(
            "INSERT INTO kb_articles (id, title, body, tags, intents, lang, source, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'zh', 'bench', '2026-11-23T02:00:00Z')", (aid, title, body, tags, intent),
        ).lastrowid
        kb.index_article(conn, rowid, title, body, tags, intent)
    conn.execute("COMMIT")
    conn.execute("INSERT INTO kb_fts (kb_fts) VALUES ('optimize')")
    return time.perf_counter() - started


def fts_all(conn, query, intent):
    expression = textindex.match_expression(query)
    return conn.execute(
        "SELECT a.id, bm25(kb_fts, 8.0, 1.0, 4.0) AS s FROM kb_fts JOIN kb_articles a ON a.rowid = kb_fts.rowid "
        "WHERE kb_fts MATCH ? ORDER BY s LIMIT 10", (expression,)).fetchall()


def instr_scan(conn, query, intent):
    terms = textindex.query_terms(query) or [query]
    score = " + ".join("(instr(title, ?) > 0) * 8 + (instr(body, ?) > 0)" for _ in terms)
    where = " OR ".join("instr(title, ?) > 0 OR instr(body, ?) > 0" for _ in terms)
    params = [t for t in terms for _ in (0, 1)] * 2
    return conn.execute(f"SELECT id, {score} AS s FROM kb_articles WHERE {where} ORDER BY s DESC LIMIT 10",
                        params).fetchall()


def ours(conn, query, intent):
    if intent and len(query) > 30:
        return kb.suggest(conn, query, intent, 10)
    return kb.search(conn, query, intent, 10)


def timings(conn, fn, reps):
    out = {}
    for label, query, intent in QUERIES:
        fn(conn, query, intent)  # warm the page cache
        for _ in range(reps):
            started = time.perf_counter()
            fn(conn, query, intent)
            out.setdefault(label, []).append((time.perf_counter() - started) * 1000)
    return out


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def quality(conn) -> float:
    """How good the bounded passes' top-5 is: its summed score under exhaustive scoring (every match
    scored, exact IDF) divided by the exhaustive top-5's summed score; 100 % = as good as scoring all."""
    got = best = 0.0
    saved = kb.WINDOW
    for _, query, intent in QUERIES:
        bounded = [h.id for h in ours(conn, query, intent)[:5]]
        kb.WINDOW = 10**9
        try:
            every = {h.id: h.score for h in kb.search(conn, query[:4000], intent, 10**6, fill_intent=len(query) > 30)}
        finally:
            kb.WINDOW = saved
        top = sorted(every.values(), reverse=True)[:5]
        got += sum(every.get(i, 0.0) for i in bounded)
        best += sum(top)
    return 100.0 * got / best if best else 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        seconds = build(path, args.articles)
        conn = Store(path).conn
        size_mb = path.stat().st_size / 2**20
        print(f"built {args.articles} articles in {seconds:.1f} s, cache {size_mb:.0f} MiB")
        results = {name: timings(conn, fn, args.reps)
                   for name, fn in (("kb.search", ours), ("fts5 bm25 all", fts_all), ("instr scan", instr_scan))}
        labels = list(dict.fromkeys(label for label, _, _ in QUERIES))
        print(f"\n{'query kind':<12} " + " ".join(f"{n + ' p50/p99 ms':>26}" for n in results))
        for label in labels:
            cells = [f"{pct(r[label], 50):11.2f} /{pct(r[label], 99):8.2f}" for r in results.values()]
            print(f"{label:<12} " + " ".join(f"{c:>26}" for c in cells))
        every = {name: [v for vs in r.values() for v in vs] for name, r in results.items()}
        print(f"{'ALL':<12} " + " ".join(f"{pct(v, 50):11.2f} /{pct(v, 99):8.2f}".rjust(26) for v in every.values()))
        base = every["kb.search"]
        for name in ("fts5 bm25 all", "instr scan"):
            print(f"ratio {name} / kb.search: p50 x{pct(every[name], 50) / pct(base, 50):.1f}, "
                  f"p99 x{pct(every[name], 99) / pct(base, 99):.1f}")
        print(f"ranking quality of the bounded passes vs scoring every match (top-5 score): {quality(conn):.1f} %")


if __name__ == "__main__":
    main()
