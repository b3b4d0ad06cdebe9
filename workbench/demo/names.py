"""People and places for the demo: Chinese names, shop nicknames, masked phones, regions and addresses.

Frequencies follow the real surname ranking (王/李/张/刘/陈 first) so queue lists look like a real
shop's. Phones are always stored masked (138****1234): the cache never holds a full number it does
not need, and demos and screenshots carry no personal data.
"""

from __future__ import annotations

import random

# Surnames weighted roughly by population share (top of the 2020 census ranking).
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72), ("李", 70), ("张", 68), ("刘", 53), ("陈", 46), ("杨", 33), ("黄", 25), ("赵", 20),
    ("吴", 20), ("周", 19), ("徐", 15), ("孙", 15), ("马", 12), ("朱", 12), ("胡", 11), ("郭", 11),
    ("何", 10), ("林", 10), ("高", 10), ("罗", 9), ("郑", 9), ("梁", 8), ("谢", 7), ("宋", 6),
    ("唐", 6), ("许", 5), ("韩", 5), ("冯", 5), ("邓", 5), ("曹", 5), ("彭", 4), ("曾", 4),
    ("肖", 4), ("田", 4), ("董", 4), ("潘", 3), ("袁", 3), ("蒋", 3), ("蔡", 3), ("余", 3),
    ("杜", 3), ("叶", 3), ("程", 3), ("魏", 3), ("苏", 3), ("吕", 3), ("丁", 3), ("沈", 3),
    ("欧阳", 1), ("上官", 1),
)
MALE_GIVEN: tuple[str, ...] = (
    "磊", "伟", "强", "军", "勇", "杰", "涛", "斌", "超", "明", "鹏", "辉", "浩", "宇", "帆",
    "建国", "志强", "俊杰", "子轩", "浩然", "宇航", "文博", "海涛", "晓东", "国栋", "振华", "家豪",
    "一鸣", "思远", "天佑", "嘉伟", "明轩", "立伟", "少华", "博文",
)
FEMALE_GIVEN: tuple[str, ...] = (
    "静", "敏", "丽", "娟", "艳", "芳", "婷", "雪", "琳", "颖", "洁", "慧", "倩", "薇", "璐",
    "晓燕", "秀英", "梦瑶", "雨桐", "欣怡", "诗涵", "佳怡", "思琪", "婉清", "若曦", "晓彤", "雅婷",
    "美玲", "春梅", "丹丹", "一诺", "子涵", "可欣", "梓萱", "安琪",
)
NICK_PARTS_A: tuple[str, ...] = (
    "小", "爱吃", "快乐的", "追风的", "不吃香菜的", "喜欢猫的", "认真的", "佛系", "元气", "夏天的",
    "路过的", "早睡早起的", "会飞的", "",
)
NICK_PARTS_B: tuple[str, ...] = (
    "橘子", "土豆", "兔子", "鱼", "星星", "糯米团", "奶茶", "熊猫", "柠檬", "饭团", "芒果", "布丁",
    "小鹿", "大白", "可乐", "汤圆", "番茄", "栗子",
)
# Province, city, districts (a few per city) and their usual transfer hub.
REGIONS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("浙江省", "杭州市", ("西湖区", "余杭区", "滨江区", "拱墅区"), "杭州转运中心"),
    ("浙江省", "宁波市", ("鄞州区", "海曙区"), "宁波转运中心"),
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区"), "深圳转运中心"),
    ("广东省", "广州市", ("天河区", "海珠区", "白云区", "番禺区"), "广州转运中心"),
    ("上海市", "上海市", ("浦东新区", "闵行区", "徐汇区", "静安区"), "上海转运中心"),
    ("北京市", "北京市", ("朝阳区", "海淀区", "丰台区", "通州区"), "北京转运中心"),
    ("江苏省", "南京市", ("鼓楼区", "江宁区", "秦淮区"), "南京转运中心"),
    ("江苏省", "苏州市", ("工业园区", "姑苏区", "吴中区"), "苏州转运中心"),
    ("四川省", "成都市", ("武侯区", "锦江区", "高新区", "双流区"), "成都转运中心"),
    ("湖北省", "武汉市", ("洪山区", "江汉区", "武昌区"), "武汉转运中心"),
    ("陕西省", "西安市", ("雁塔区", "未央区", "碑林区"), "西安转运中心"),
    ("山东省", "济南市", ("历下区", "槐荫区"), "济南转运中心"),
    ("山东省", "青岛市", ("市南区", "黄岛区", "崂山区"), "青岛转运中心"),
    ("河南省", "郑州市", ("金水区", "二七区", "郑东新区"), "郑州转运中心"),
    ("湖南省", "长沙市", ("岳麓区", "天心区", "雨花区"), "长沙转运中心"),
    ("福建省", "厦门市", ("思明区", "湖里区"), "厦门转运中心"),
    ("重庆市", "重庆市", ("渝北区", "江北区", "九龙坡区"), "重庆转运中心"),
    ("天津市", "天津市", ("南开区", "和平区", "滨海新区"), "天津转运中心"),
    ("辽宁省", "沈阳市", ("和平区", "浑南区"), "沈阳转运中心"),
    ("安徽省", "合肥市", ("蜀山区", "包河区"), "合肥转运中心"),
    ("云南省", "昆明市", ("五华区", "官渡区"), "昆明转运中心"),
    ("黑龙江省", "哈尔滨市", ("南岗区", "道里区"), "哈尔滨转运中心"),
    ("新疆维吾尔自治区", "乌鲁木齐市", ("天山区", "沙依巴克区"), "乌鲁木齐转运中心"),
)
REGION_WEIGHTS: tuple[int, ...] = (9, 4, 8, 8, 9, 8, 5, 5, 5, 4, 3, 2, 3, 3, 3, 2, 3, 2, 2, 2, 1, 1, 1)
STREETS: tuple[str, ...] = (
    "文一西路", "学院路", "建设路", "人民路", "解放路", "中山路", "科技园南路", "长江路", "青年路",
    "幸福路", "和平大街", "新华路", "滨江大道", "东方路", "天府大道", "光谷大道",
)
ESTATES: tuple[str, ...] = (
    "阳光花园", "绿城桂花苑", "万科城", "碧桂园", "翡翠湾", "锦绣家园", "金地格林小镇", "龙湖春江郦城",
    "保利天悦", "华润城", "世纪新城", "和谐家园", "梧桐苑",
)
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158",
    "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191",
    "195", "198", "199",
)
EN_NAMES: tuple[tuple[str, str, str], ...] = (  # (name, handle, gender)
    ("Emily Carter", "emily.c", "f"), ("James Wilson", "jwilson", "m"), ("Sophie Martin", "sophiem", "f"),
    ("Daniel Kim", "dankim", "m"), ("Olivia Brown", "liv.b", "f"), ("Lucas Müller", "lucas_m", "m"),
)

_SURNAME_LIST = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]


def person(rng: random.Random) -> tuple[str, str]:
    """A (full name, gender) pair, gender 'm' or 'f'."""
    surname = rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]
    if rng.random() < 0.5:
        return surname + rng.choice(MALE_GIVEN), "m"
    return surname + rng.choice(FEMALE_GIVEN), "f"


def nickname(rng: random.Random, name: str, gender: str = "f") -> str:
    """A shop nickname as platforms show it (tb/jd handles, cute phrases, or 王先生12-style names)."""
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(NICK_PARTS_A) + rng.choice(NICK_PARTS_B) + (str(rng.randint(1, 999)) if rng.random() < 0.4 else "")
    if roll < 0.7:
        return f"tb{rng.randint(10000000, 99999999)}"
    if roll < 0.85:
        return f"jd_{rng.randint(100000, 999999)}{rng.choice('abcdefghjkmnpqrstuvwxyz')}"
    titles = ("先生", "同学", "哥") if gender == "m" else ("女士", "同学", "宝妈")
    return name[0] + rng.choice(titles) + str(rng.randint(1, 99))


def masked_phone(rng: random.Random) -> str:
    """A mainland mobile number with the middle four digits masked, as order exports show it."""
    return f"{rng.choice(MOBILE_PREFIXES)}****{rng.randint(0, 9999):04d}"


def region(rng: random.Random) -> tuple[str, str, str, str]:
    """(province, city, district, transfer hub), weighted toward the big east-coast cities."""
    province, city, districts, hub = rng.choices(REGIONS, REGION_WEIGHTS)[0]
    return province, city, rng.choice(districts), hub


def region_label(province: str, city: str) -> str:
    """The customers.region / orders.region text: '浙江省 杭州市' (municipalities once: '上海市')."""
    return province if province == city else f"{province} {city}"


def address(rng: random.Random, province: str, city: str, district: str) -> str:
    """A plausible delivery address (street, estate, building and unit)."""
    head = province if province == city else province + city
    return (f"{head}{district}{rng.choice(STREETS)}{rng.randint(1, 999)}号{rng.choice(ESTATES)}"
            f"{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室")


def courtesy(name: str, gender: str) -> str:
    """How an agent addresses the customer: 王先生 / 陈女士 (compound surnames kept whole)."""
    surname = name[:2] if name[:2] in ("欧阳", "上官") else name[0]
    return surname + ("先生" if gender == "m" else "女士")
