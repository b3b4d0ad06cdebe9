"""The stories behind the demo's open cases: what the customer bought, where the parcel is, what they wrote.

Each scenario fixes the product, the shipment state that makes the story true (the stalled-parcel
case's order really has a parcel with no scan for more than 48 hours), and 1–3 customer messages in
the customer's own words. Intent and emotion are the labels a good agent would give; cues are found
in the text by :func:`cues_for`, so the "why" shown in the UI is always something the customer wrote.

Message fields: {short} (水壶), {title}, {variant} (L码), {order_no}, {tracking}, {carrier}.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    intent: str
    emotion: str
    product: str
    ship: str  # shipments.build kind
    age_h: tuple[float, float]  # hours since the last scan (or since ordering when ship == "pending")
    subject: str
    messages: tuple[str, ...]
    lang: str = "zh"
    vip: int | None = None  # minimum VIP level of the customer, None = anyone
    flags: tuple[str, ...] = field(default=())
    refund: bool = False  # the order has a refund under way
    variant: str | None = None  # the size/spec bought when the story depends on it


S = Scenario
OPEN_SCENARIOS: tuple[Scenario, ...] = (
    S("damaged_item", "angry", "kettle", "delivered", (3, 20), "水壶到货外壳开裂",
      ("收到的水壶外壳裂了！！刚拆开就这样，你们发货前不检查的吗", "照片我拍好了，要么给我换新的要么退款，别让我等")),
    S("damaged_item", "anxious", "airfryer", "delivered", (5, 30), "空气炸锅内胆有划痕、磕瘪",
      ("你好，空气炸锅今天到了，内胆有好几道划痕，侧面还磕瘪了一块", "这个还能正常用吗？用了会不会有问题，我有点担心")),
    S("damaged_item", "calm", "kidscup", "delivered", (10, 40), "保温杯吸管配件破损",
      ("您好，儿童保温杯收到了，吸管那个软胶嘴是破的，能单独补发一个配件吗？",)),
    S("damaged_item", "angry", "tea", "delivered", (2, 12), "龙井礼盒压坏，送礼用",
      ("买来送人的茶叶礼盒整个压扁了！！！盒子都烂了还怎么送人", "后天就要用，你们说怎么办，不行我就投诉")),
    S("delivery_problem", "anxious", "downjacket", "stalled", (50, 80), "包裹停在中转站两天多没动",
      ("物流两天多没更新了，一直显示在转运中心，是不是丢件了？", "这件羽绒服是买给我妈的，降温了着急穿，麻烦帮我催一下")),
    S("delivery_problem", "angry", "earbuds", "stalled", (60, 120), "物流停滞3天，催了两次",
      ("我都问第三遍了，物流三天没动！！！", "每次都说帮我催，催了个寂寞，今天再没消息我直接申请退款"), vip=3),
    S("delivery_problem", "anxious", "blender", "signed_other", (20, 48), "显示已签收但没收到",
      ("物流显示已经签收了，可我根本没收到东西啊", "问了家里人和门卫都说没见到，这怎么办")),
    S("delivery_problem", "angry", "vacuum", "signed_other", (10, 30), "签收未收到，怀疑被冒签",
      ("快递员根本没打电话就显示签收了！东西呢？", "九百块的吸尘器，找不到我就报警，还要去12315投诉你们")),
    S("delivery_problem", "calm", "nuts", "locker_uncollected", (50, 70), "驿站/快递柜找不到包裹",
      ("你好，物流显示放到{station}了，但我去取的时候没找到，取件码也查不到，麻烦帮看下",)),
    S("delivery_problem", "anxious", "stroller", "returned", (4, 30), "没拒收却被退回",
      ("我没有拒收啊，怎么物流显示退回了？？", "这边等着推车出门用的，能不能重新给我发一次")),
    S("delivery_problem", "calm", "sneakers", "exception", (5, 24), "物流显示问题件",
      ("你好，我的快递显示问题件，是什么意思？还会送过来吗", "不着急，就是想知道大概什么时候能到")),
    S("order_change", "anxious", "bedding", "address", (3, 20), "快递称地址不详，需改地址",
      ("快递打电话说我地址不详派不了，我填的是对的啊", "能不能帮我改一下，加上楼栋号：{address_fix}，尽快帮我处理下谢谢")),
    S("order_change", "calm", "hairdryer", "pending", (1, 6), "未发货想改收货地址",
      ("你好，刚下的单，地址填成公司了，能帮我改成家里的吗？还没发货吧",)),
    S("order_change", "calm", "downjacket", "pending", (2, 10), "未发货想换尺码颜色",
      ("刚拍的羽绒服{variant}想换成大一码的，还没发货的话麻烦改一下，谢谢",), variant="S码"),
    S("where_is_order", "calm", "powerbank", "in_transit", (2, 16), "询问物流进度",
      ("您好，想问下我的充电宝到哪了，大概什么时候能到？",)),
    S("where_is_order", "anxious", "watch", "pending", (40, 70), "下单两天还没发货",
      ("下单两天了怎么还没发货？", "说好48小时内发的，下周要出差，到底什么时候能发")),
    S("where_is_order", "calm", "diapers", "out_for_delivery", (0.5, 3), "询问今天能否送达",
      ("显示派送中了，今天能送到吗？家里下午没人，能放驿站吗",)),
    S("wrong_or_missing_item", "anxious", "toothbrush", "delivered", (6, 30), "少发了刷头",
      ("电动牙刷收到了，页面写的附2支刷头，盒子里只有一支，是不是漏发了？",)),
    S("wrong_or_missing_item", "angry", "mensjacket", "delivered", (8, 40), "冲锋衣发错尺码",
      ("我买的是{variant}，发来的是M码！！", "明天就要去爬山了，你们赶紧给我处理"), vip=1, variant="XL码"),
    S("size_or_exchange", "calm", "downjacket", "delivered", (20, 60), "羽绒服尺码偏小想换大一码",
      ("羽绒服收到了，{variant}穿着有点紧，想换大一码，怎么操作？", "吊牌都在没洗过"), variant="M码"),
    S("size_or_exchange", "anxious", "sneakers", "delivered", (30, 80), "运动鞋偏码换货",
      ("鞋子偏小，按平时尺码买的结果挤脚，能换吗？换货运费谁出？",)),
    S("product_usage", "calm", "ricecooker", "delivered", (20, 60), "电饭煲预约功能不会用",
      ("电饭煲的预约怎么设置？说明书看了半天没看懂", "我想早上7点吃上粥")),
    S("product_usage", "anxious", "earbuds", "delivered", (10, 40), "耳机一只不出声/配对失败",
      ("蓝牙耳机右耳没声音，重新连了好几次还是不行", "是不是坏了？才用了两天")),
    S("return_refund_request", "calm", "serum", "delivered", (30, 100), "七天无理由退货",
      ("精华液没拆封，不太想要了，可以七天无理由退吗？", "运费是我出还是你们出")),
    S("return_refund_request", "angry", "shaver", "delivered", (20, 70), "剃须刀质量问题要求退货",
      ("剃须刀用一次就充不进电了，这质量也太差了！", "我要退货退款，不要换，运费你们出")),
    S("refund_status", "anxious", "pillow", "delivered", (150, 260), "退货已寄回，退款未到账",
      ("退货寄回去好几天了，退款怎么还没到账？", "查了物流你们那边已经收到了吧"), refund=True),
    S("refund_status", "angry", "airfryer", "delivered", (100, 200), "退款超时未到账",
      ("说好的三天退款，现在都一周了还没到账！！！", "再不退我就去平台投诉你们，还要给差评"), refund=True),
    S("warranty_repair", "calm", "vacuum", "delivered", (2400, 4000), "吸尘器半年后不充电，申请保修",
      ("吸尘器买了半年多，现在充不进电了，还在保修期吧？怎么保修",)),
    S("warranty_repair", "anxious", "blender", "delivered", (1500, 3000), "破壁机异响，是否保修",
      ("破壁机最近打东西有很大的异响，有点焦糊味，还能保修吗？不敢用了",)),
    S("invoice", "calm", "ricecooker", "delivered", (40, 150), "开具电子发票",
      ("你好，麻烦开一张电子发票，抬头是公司的，税号我发给你",)),
    S("invoice", "calm", "watch", "delivered", (100, 300), "需要增值税专用发票",
      ("公司采购需要开增值税专用发票，需要提供哪些资料？",), vip=2),
    S("price_promo", "angry", "airfryer", "delivered", (30, 90), "刚买就降价，要求价保",
      ("我前天买的空气炸锅，今天就便宜了50块！", "这不是坑老顾客吗？差价必须退给我")),
    S("price_promo", "calm", "kettle", "in_transit", (2, 20), "优惠券没用上",
      ("下单的时候忘了用那张满199减20的券，还能补吗？",)),
    S("complaint", "angry", "stroller", "delivered", (20, 60), "推车质量问题，威胁12315投诉",
      ("推车用了三天轮子就掉了！！孩子差点摔了，你们知道有多危险吗", "今天不给我一个说法我就打12315投诉，再去小红书曝光",
       "别再让我等了！"), vip=2),
    S("complaint", "angry", "downjacket", "delivered", (40, 120), "羽绒服跑毛严重，差评威胁",
      ("羽绒服跑毛跑得满身都是，这就是你们说的90白鸭绒？", "客服态度还很差，不解决我就给差评")),
    S("damaged_item", "calm", "toothbrush", "delivered", (4, 24), "Electric toothbrush arrived broken",
      ("Hi, my electric toothbrush arrived with a cracked handle. Could you send a replacement?",), lang="en"),
    S("where_is_order", "anxious", "earbuds", "stalled", (55, 90), "Parcel tracking not updated for days",
      ("Hello, my tracking hasn't updated in three days. Is my parcel lost?", "I need the earbuds before my trip on Friday."),
      lang="en"),
    S("refund_status", "angry", "watch", "delivered", (200, 320), "Refund not received after return",
      ("I returned the watch over a week ago and still no refund!!", "This is unacceptable. I will file a complaint."),
      lang="en", refund=True),
    S("invoice", "calm", "vacuum", "delivered", (50, 200), "Invoice request for company purchase",
      ("Could you issue an invoice for my order? I need it for my company's expense report.",), lang="en"),
    S("product_usage", "calm", "airfryer", "delivered", (10, 60), "How to clean the air fryer basket",
      ("Hi! What's the best way to clean the air fryer basket? The manual is only in Chinese.",), lang="en"),
)

# Words customers use that a triage rule (and an agent) picks up; shown as the case's cues.
CUE_WORDS: tuple[str, ...] = (
    "12315", "投诉", "差评", "曝光", "报警", "平台", "退款", "退货", "换货", "破损", "裂", "坏了", "没收到",
    "签收", "停", "没动", "没更新", "第三遍", "催", "保修", "发票", "价保", "便宜", "改地址", "地址",
    "危险", "着急", "尽快", "送人", "七天无理由", "complaint", "refund", "lost", "replacement", "invoice",
    "unacceptable",
)


def cues_for(text: str, vip_level: int) -> list[str]:
    """Short cue strings found in the customer's words (order kept, at most six), plus "!!" and VIP."""
    lowered = text.lower()
    found = [w for w in CUE_WORDS if w in lowered]
    if "!!" in text or "\uff01\uff01" in text or text.count("!") + text.count("\uff01") >= 3:
        found.insert(0, "!!")
    if vip_level >= 2:
        found.append(f"VIP{vip_level}")
    return found[:6]


AFTER_SALES = {"damaged_item", "wrong_or_missing_item", "size_or_exchange", "return_refund_request",
               "refund_status", "warranty_repair", "delivery_problem"}
THREATS = ("12315", "投诉", "差评", "曝光", "报警", "complaint")
INTENT_WEIGHT = {"complaint": 20, "damaged_item": 12, "delivery_problem": 10, "refund_status": 10,
                 "return_refund_request": 8, "wrong_or_missing_item": 10, "warranty_repair": 6,
                 "size_or_exchange": 5, "where_is_order": 5, "order_change": 8, "price_promo": 4,
                 "invoice": 2, "product_usage": 3, "other": 0}
