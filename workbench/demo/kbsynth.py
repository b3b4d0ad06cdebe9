"""Synthetic knowledge base for the scale test: ~50k realistic variants of the built-in articles.

A real shop's KB is many near-duplicates: the same procedure per product line, per sales channel and
per campaign (双11 rules differ from everyday ones). Each variant keeps a coherent slice of its base
article's steps (~200 characters, as measured in DESIGN.md §6) and adds the product, channel and
campaign context, so search has realistic overlap to rank, not random noise.

Articles are inserted with one ``executemany``; each is then indexed with the KB service's
``index_article`` (measured: ~50k articles in a few seconds, so a private bulk path is not worth the
risk of indexing differently from the service).
"""

from __future__ import annotations

import random
import re
import sqlite3
from datetime import datetime, timedelta

from workbench import kbdata
from workbench.demo import products
from workbench.services.kb import index_article
from workbench.timefmt import to_db

CHANNELS = ("淘宝店", "天猫旗舰店", "京东自营店", "抖音小店", "全渠道")
CAMPAIGNS = ("", "", "", "双11期间", "618期间", "年货节期间", "会员日")
CAMPAIGN_NOTES = {
    "双11期间": "双11期间物流压力大，承诺时效时统一顺延1至2天，并提前告知顾客。",
    "618期间": "618活动订单较多，退款审核可能延长至48小时，请如实告知顾客。",
    "年货节期间": "年货节临近春节，部分快递停运，发货和补发前先确认快递是否正常揽收。",
    "会员日": "会员日订单优先处理，VIP顾客按绿色通道时效响应。",
}
CHANNEL_NOTES = {
    "淘宝店": "淘宝订单的售后申请在千牛后台处理，操作完成后在旺旺里告知顾客。",
    "天猫旗舰店": "天猫订单如顾客已申请平台介入，按小二要求上传凭证，不要私下要求顾客撤销。",
    "京东自营店": "京东订单的退换货可以预约京东物流上门取件，运费按规则结算。",
    "抖音小店": "抖店订单需在飞鸽中回复，超时未回复会影响店铺体验分。",
    "全渠道": "各平台操作入口不同，但时效承诺和补偿标准一致。",
}
ALL_PRODUCTS = tuple(p.key for p in products.CATALOG)
CLOTHES = ("downjacket", "mensjacket", "sneakers", "bedding")
APPLIANCES = ("kettle", "airfryer", "ricecooker", "blender", "hairdryer", "shaver", "toothbrush", "earbuds",
              "powerbank", "watch", "vacuum", "humidifier", "stroller")
# Articles that only make sense for some products (usage guides: exactly their product).
PRODUCTS_FOR: dict[str, tuple[str, ...]] = {
    **{f"kb-guide-{key}": (key,) for key in ALL_PRODUCTS},
    "kb-en-airfryer-care": ("airfryer",),
    "kb-exchange-size": CLOTHES, "kb-size-guide": CLOTHES,
    "kb-warranty-sanbao": APPLIANCES, "kb-warranty-claim": APPLIANCES, "kb-repair-visit": ("vacuum", "stroller"),
    "kb-food-return": ("tea", "nuts"), "kb-cosmetics-return": ("lipstick", "serum"),
    "kb-baby-products": ("kidscup", "stroller", "diapers"),
}
EN_CHANNELS = ("Shopify store", "WooCommerce store", "all channels")
_SENTENCE = re.compile(r"[^。\n]+(?:。”|。)?")  # a quoted sentence keeps its closing quote


def _sentences(body: str) -> list[str]:
    """Sentences of ``body``; a quotation spanning several sentences stays one piece."""
    out: list[str] = []
    pending = ""
    for part in _SENTENCE.findall(body):
        pending += part.strip()
        if pending.count("\u201c") <= pending.count("\u201d"):
            if len(pending) > 4:
                out.append(pending)
            pending = ""
    if len(pending) > 4:
        out.append(pending)
    return out


def _zh_variant(rng: random.Random, base: dict[str, str], product: products.Product) -> tuple[str, str, str]:
    channel, campaign = rng.choice(CHANNELS), rng.choice(CAMPAIGNS)
    suffix = f"{channel}·{campaign}" if campaign else channel
    title = f"{product.short}·{base['title']}\uff08{suffix}\uff09"
    parts = _sentences(base["body"])
    start = rng.randrange(max(1, len(parts) - 2))
    picked = parts[start:start + rng.randint(2, 3)]
    note = CAMPAIGN_NOTES.get(campaign, CHANNEL_NOTES[channel])
    while True:  # whole sentences only (a cut quotation would read as broken text)
        body = f"适用于{channel}的{product.title}订单。" + "".join(p if p[-1] in "。”" else p + "。" for p in picked)
        if len(body) + len(note) <= 300 or len(picked) == 1:
            break
        picked.pop()
    body += note
    tags = f"{base['tags']} {product.short} {product.category} {channel}"
    return title, body, tags


def _en_variant(rng: random.Random, base: dict[str, str], product: products.Product) -> tuple[str, str, str]:
    channel = rng.choice(EN_CHANNELS)
    title = f"{base['title']} ({product.sku}, {channel})"
    parts = re.findall(r"[^.]+\.", base["body"])
    start = rng.randrange(max(1, len(parts) - 2))
    body = f"Applies to {product.sku} orders from the {channel}. " + " ".join(p.strip() for p in parts[start:start + 3])
    return title, body, f"{base['tags']} {product.sku.lower()}"


def write(conn: sqlite3.Connection, rng: random.Random, now: datetime, count: int) -> int:
    """Insert the built-in articles plus synthetic variants up to ``count`` and index all of them."""
    base = kbdata.load_articles()
    rows = [(a["id"], a["title"], a["body"], a["tags"], a["intents"], a["lang"], a.get("source", "builtin"),
             to_db(now - timedelta(days=30))) for a in base]
    # Variants of procedures only: a statute reworded per channel and product would be nonsense.
    procedures = [a for a in base if not a.get("source", "").startswith("statute")]
    zh = [a for a in procedures if a["lang"] == "zh"]
    en = [a for a in procedures if a["lang"] == "en"]
    for n in range(1, max(0, count - len(base)) + 1):
        english = en and n % 40 == 0
        art = rng.choice(en if english else zh)
        product = products.BY_KEY[rng.choice(PRODUCTS_FOR.get(art["id"], ALL_PRODUCTS))]
        title, body, tags = (_en_variant if english else _zh_variant)(rng, art, product)
        stamp = to_db(now - timedelta(days=rng.randint(1, 720), seconds=rng.randint(0, 86399)))
        rows.append((f"kb-{n:06d}", title, body, tags, art["intents"], art["lang"], "synthetic", stamp))
    conn.executemany("INSERT INTO kb_articles (id, title, body, tags, intents, lang, source, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    # Indexed through the KB service's own function, so the FTS rows are exactly what a live edit
    # would write (its tokens and facets may evolve; a private bulk copy here would drift).
    for rowid, title, body, tags in conn.execute("SELECT rowid, title, body, tags FROM kb_articles ORDER BY rowid").fetchall():
        index_article(conn, rowid, title, body, tags)
    return len(rows)
