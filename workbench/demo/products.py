"""The demo shop's catalogue: a small-appliance and family-goods store, priced in fen.

``short`` is how customers name the thing in chat (水壶, 耳机); scenario messages use it. Products
with ``needs_guide`` are the ones customers ask "how do I use it" about; the KB has a usage guide for
each (see ``kbdata/builtin.jsonl``), and proactive care sends it after delivery.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    key: str
    sku: str
    title: str
    short: str
    category: str
    price_fen: int
    needs_guide: bool = False
    variants: tuple[str, ...] = ()


CATALOG: tuple[Product, ...] = (
    Product("kettle", "KT-1517", "家用电热水壶 1.7L 304不锈钢 自动断电", "水壶", "小家电", 19900, True),
    Product("airfryer", "AF-5502", "空气炸锅 5.5L 大容量 可视窗 家用无油", "空气炸锅", "小家电", 32900, True),
    Product("ricecooker", "RC-4010", "智能电饭煲 4L 家用多功能 预约定时", "电饭煲", "小家电", 27900, True),
    Product("blender", "BL-0806", "破壁机 家用加热 静音 多功能料理机", "破壁机", "小家电", 45900, True),
    Product("hairdryer", "HD-1800", "负离子吹风机 1800W 大功率 速干护发", "吹风机", "个护电器", 15900, True),
    Product("shaver", "SV-3030", "电动剃须刀 三刀头 全身水洗", "剃须刀", "个护电器", 23900, True),
    Product("toothbrush", "TB-0520", "声波电动牙刷 成人款 附2支刷头", "电动牙刷", "个护电器", 12900, True),
    Product("earbuds", "EB-0702", "真无线蓝牙耳机 主动降噪 长续航", "蓝牙耳机", "数码配件", 29900, True),
    Product("powerbank", "PB-2001", "充电宝 20000mAh 22.5W快充 双向", "充电宝", "数码配件", 12900),
    Product("watch", "SW-0901", "智能手表 心率血氧监测 运动防水", "手表", "数码配件", 59900, True),
    Product("downjacket", "DJ-2311", "羽绒服 女 中长款 90白鸭绒 连帽", "羽绒服", "服饰", 69900, False,
            ("S码", "M码", "L码", "XL码")),
    Product("mensjacket", "MJ-2302", "男士冲锋衣 三合一 防风防水 可拆卸内胆", "冲锋衣", "服饰", 49900, False,
            ("M码", "L码", "XL码", "2XL码")),
    Product("sneakers", "SN-0421", "男女款 轻便跑步鞋 透气缓震运动鞋", "运动鞋", "鞋靴", 35900, False,
            ("37码", "38码", "39码", "40码", "41码", "42码", "43码")),
    Product("kidscup", "KC-0350", "儿童保温杯 带吸管 316不锈钢 350ml", "保温杯", "母婴", 8900, True),
    Product("stroller", "ST-0707", "婴儿推车 轻便折叠 可坐可躺 高景观", "推车", "母婴", 129900, True),
    Product("diapers", "DP-0036", "婴儿纸尿裤 L码 36片 超薄透气", "纸尿裤", "母婴", 9900),
    Product("pillow", "PL-0065", "记忆棉枕头 慢回弹 护颈枕 单只装", "枕头", "家居", 12900),
    Product("bedding", "BD-0418", "纯棉四件套 1.8m床 全棉磨毛 被套床单", "四件套", "家居", 29900, False,
            ("1.5m床", "1.8m床")),
    Product("vacuum", "VC-0125", "无线手持吸尘器 大吸力 家用除螨", "吸尘器", "小家电", 89900, True),
    Product("humidifier", "HM-0040", "加湿器 4L 大雾量 卧室静音 上加水", "加湿器", "小家电", 15900, True),
    Product("tea", "TE-0250", "西湖龙井 2024新茶 明前 250g 礼盒装", "茶叶", "食品", 36800),
    Product("nuts", "NT-0750", "每日坚果 750g 30小包 混合果仁", "坚果", "食品", 8990),
    Product("lipstick", "LP-0303", "丝绒雾面口红 #303 豆沙色", "口红", "美妆", 16900),
    Product("serum", "SR-0030", "修护精华液 30ml 保湿补水", "精华液", "美妆", 39900),
    Product("phonecase", "PC-1515", "手机壳 磁吸 防摔 透明", "手机壳", "数码配件", 3900),
)
BY_KEY: dict[str, Product] = {p.key: p for p in CATALOG}
# Popularity weights (how often each product shows up in ordinary orders).
WEIGHTS: tuple[int, ...] = (9, 7, 5, 3, 6, 4, 6, 8, 6, 3, 6, 4, 5, 6, 2, 6, 4, 4, 2, 4, 3, 7, 4, 3, 8)


def pick(rng: random.Random) -> Product:
    """One product, weighted by popularity."""
    return rng.choices(CATALOG, WEIGHTS)[0]


def item_title(rng: random.Random, product: Product, variant: str | None = None) -> str:
    """The order-line title: the product title plus a size/spec when the product has variants."""
    if product.variants:
        return f"{product.title} {variant or rng.choice(product.variants)}"
    return product.title


def price(rng: random.Random, product: Product) -> int:
    """The paid unit price: list price, sometimes with a promotion discount (whole yuan)."""
    if rng.random() >= 0.35:
        return product.price_fen
    discount = rng.choice((1000, 2000, 3000, 5000)) if product.price_fen > 10000 else 1000
    return max(100, product.price_fen - discount)
