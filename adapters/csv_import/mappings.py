"""Which column of a platform's order export means what.

Built-in layouts for the exports shops actually download (淘宝/天猫 订单报表, 京东 商家后台订单导出,
抖店 订单管理导出) and a neutral ``generic`` one; any other layout is described in a small TOML
file (``--mapping FILE``), optionally starting from a built-in one (``extends = "taobao"``).

Each field lists every header spelling seen in the wild (platforms rename columns between export
versions and spreadsheet tools append spaces), so a mapping survives small drifts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbench import tomlread
from workbench.config import ConfigError
from workbench.i18n import t
from workbench.services.ingest import ORDER_STATUSES

#: Every field a mapping may name; what each holds is ``data.csv.field.<name>`` in the catalog.
FIELDS: tuple[str, ...] = (
    "order_no", "sub_order_no", "buyer_id", "buyer_name", "receiver", "phone", "email", "address", "province",
    "city", "district", "street", "address_detail", "status", "after_sale", "total", "paid", "refunded",
    "created_at", "paid_at", "shipped_at", "item_title", "item_sku", "item_qty", "item_price", "carrier",
    "tracking_no", "shipping_info",
)


def field_label(name: str) -> str:
    """What a field holds, in the user's language (shown when a required column is missing)."""
    return t(f"data.csv.field.{name}")


@dataclass(frozen=True)
class Mapping:
    """One export layout: header aliases per field, status words, and how rows relate to orders."""

    name: str
    platform: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    statuses: tuple[tuple[str, str], ...]  # (word in the status cell, our status), first match wins
    row_per: str = "order"  # "order": one row per order; "item": one row per order line
    sum_amounts: bool = False  # item rows carry their own amounts (抖店) instead of repeating the order's
    date_formats: tuple[str, ...] = ()
    source_file: str = ""

    def resolve(self, headers: list[str]) -> tuple[dict[str, int], list[str]]:
        """Map fields to column indexes; returns (found, missing required fields)."""
        index = {normalize_header(h): i for i, h in enumerate(headers)}
        found: dict[str, int] = {}
        for name, aliases in self.columns.items():
            for alias in aliases:
                column = index.get(normalize_header(alias))
                if column is not None:
                    found[name] = column
                    break
        missing = [f for f in self.required if f not in found]
        if "paid" in missing and "total" in found:
            missing.remove("paid")
        return found, missing


def normalize_header(text: str) -> str:
    """Headers compared without BOM, quotes, spaces or a trailing colon (``'收货地址 '`` = ``收货地址``)."""
    return re.sub(r"[\s\ufeff\"'：:]+", "", text).lower()


_TAOBAO_STATUS = (("退款成功", "refunded"), ("退款中", "refunding"), ("等待买家付款", "unpaid"),
                  ("等待卖家发货", "paid"), ("买家已付款", "paid"), ("卖家已发货", "shipped"),
                  ("等待买家确认", "shipped"), ("部分发货", "shipped"), ("交易成功", "completed"),
                  ("交易关闭", "closed"))
_JD_STATUS = (("等待付款", "unpaid"), ("等待出库", "paid"), ("等待发货", "paid"), ("暂停", "paid"),
              ("等待确认收货", "shipped"), ("已发货", "shipped"), ("锁定", "refunding"), ("完成", "completed"),
              ("取消", "closed"), ("删除", "closed"))
_DOUYIN_STATUS = (("待支付", "unpaid"), ("待发货", "paid"), ("备货中", "paid"), ("部分发货", "shipped"),
                  ("已发货", "shipped"), ("已完成", "completed"), ("已关闭", "closed"))
_AFTER_SALE = (("退款成功", "refunded"), ("退货退款成功", "refunded"), ("售后完成", "refunded"),
               ("退款中", "refunding"), ("售后中", "refunding"), ("待商家", "refunding"), ("待买家", "refunding"))
_GENERIC_STATUS = tuple((s, s) for s in ORDER_STATUSES) + (
    ("待付款", "unpaid"), ("未付款", "unpaid"), ("待发货", "paid"), ("已付款", "paid"), ("已发货", "shipped"),
    ("运输中", "shipped"), ("已签收", "delivered"), ("已完成", "completed"), ("交易成功", "completed"),
    ("已关闭", "closed"), ("已取消", "closed"), ("退款中", "refunding"), ("已退款", "refunded"))

BUILTIN: dict[str, Mapping] = {
    "taobao": Mapping(
        "taobao", "taobao",
        {"order_no": ("订单编号", "订单号"), "buyer_id": ("买家会员名", "买家昵称"), "receiver": ("收货人姓名",),
         "phone": ("联系手机", "联系电话"), "address": ("收货地址",), "status": ("订单状态",),
         "total": ("总金额",), "paid": ("买家实际支付金额", "实付款"), "refunded": ("退款金额",),
         "created_at": ("订单创建时间",), "paid_at": ("订单付款时间",), "item_title": ("宝贝标题",),
         "item_qty": ("宝贝总数量",), "item_sku": ("商家编码", "商品编码"), "carrier": ("物流公司",),
         "tracking_no": ("物流单号",), "shipped_at": ("发货时间",)},
        ("order_no", "buyer_id", "status", "paid", "created_at"), _TAOBAO_STATUS + _AFTER_SALE),
    "jd": Mapping(
        "jd", "jd",
        {"order_no": ("订单号", "订单编号"), "buyer_id": ("下单帐号", "下单账号", "客户账号"),
         "receiver": ("客户姓名", "收货人"), "phone": ("联系电话", "收货人手机"), "address": ("客户地址", "收货地址"),
         "status": ("订单状态",), "total": ("订单金额",), "paid": ("应付金额", "结算金额"),
         "created_at": ("下单时间",), "paid_at": ("付款确认时间",), "item_title": ("商品名称",),
         "item_sku": ("商家SKUID", "商品ID", "商品编号"), "item_qty": ("订购数量", "商品数量"),
         "item_price": ("京东价", "商品单价"), "carrier": ("承运商", "快递公司", "物流公司"),
         "tracking_no": ("运单号", "快递单号", "物流单号"), "shipped_at": ("出库时间", "发货时间")},
        ("order_no", "status", "paid", "created_at", "item_title"), _JD_STATUS + _AFTER_SALE, row_per="item"),
    "douyin": Mapping(
        "douyin", "douyin",
        {"order_no": ("主订单编号",), "sub_order_no": ("子订单编号",), "buyer_id": ("买家昵称", "用户昵称"),
         "receiver": ("收件人",), "phone": ("收件人手机号", "收件人电话"), "province": ("省",), "city": ("市",),
         "district": ("区",), "street": ("街道",), "address_detail": ("详细地址",), "status": ("订单状态",),
         "after_sale": ("售后状态",), "paid": ("订单应付金额", "商品金额"), "created_at": ("订单提交时间",),
         "paid_at": ("支付完成时间",), "shipped_at": ("发货时间",), "item_title": ("选购商品",),
         "item_sku": ("商家编码", "商品ID"), "item_qty": ("商品数量",), "item_price": ("商品单价",),
         "carrier": ("快递公司", "物流公司"), "tracking_no": ("快递单号", "物流单号"), "shipping_info": ("快递信息",)},
        ("order_no", "status", "paid", "created_at", "item_title"), _DOUYIN_STATUS + _AFTER_SALE,
        row_per="item", sum_amounts=True),
    "generic": Mapping(
        "generic", "generic",
        {"order_no": ("order_no", "订单号", "订单编号"), "buyer_id": ("buyer_id", "买家ID", "买家账号"),
         "buyer_name": ("buyer_name", "买家姓名", "客户姓名"), "receiver": ("receiver", "收货人"),
         "phone": ("phone", "手机", "手机号"), "email": ("email", "邮箱"), "address": ("address", "收货地址"),
         "status": ("status", "订单状态"), "total": ("total", "订单金额"), "paid": ("paid", "实付金额"),
         "refunded": ("refunded", "退款金额"), "created_at": ("created_at", "下单时间"),
         "paid_at": ("paid_at", "付款时间"), "shipped_at": ("shipped_at", "发货时间"),
         "item_title": ("item_title", "商品名称"), "item_sku": ("item_sku", "SKU", "商品编码"),
         "item_qty": ("item_qty", "数量"), "item_price": ("item_price", "单价"),
         "carrier": ("carrier", "快递公司"), "tracking_no": ("tracking_no", "快递单号")},
        ("order_no", "status", "paid", "created_at"), _GENERIC_STATUS, row_per="item"),
}


def builtin(name: str) -> Mapping:
    """A built-in layout by platform name (taobao also covers 天猫 exports, which share it)."""
    key = {"tmall": "taobao"}.get(name, name)
    if key not in BUILTIN:
        raise KeyError(name)
    return BUILTIN[key]


def _line(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
            return number
    return None


def _strings(path: Path, text: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(path, t("data.mapping.expected_names", setting=key), _line(text, key), key)


def _table(path: Path, text: str, data: dict[str, Any], key: str) -> dict[str, Any]:
    """``[columns]`` / ``[status]`` as a dict; written as a plain value (``columns = "订单号"``) it is refused
    with the line, not left to fail later as an AttributeError with a traceback."""
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(path, t("data.mapping.not_a_table", setting=key), _line(text, key), key)
    return value


def load(path: Path) -> Mapping:
    """Load a TOML mapping file; every problem names the file, line and key. Raises ConfigError."""
    try:
        text = path.read_text("utf-8")
        data = tomlread.loads(text)
    except OSError as exc:
        raise ConfigError(path, t("data.mapping.unreadable", detail=exc.strerror or exc)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(path, t("data.mapping.not_utf8")) from exc
    except tomlread.TomlError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, t("data.mapping.syntax", detail=exc),
                          int(match.group(1)) if match else None) from exc
    known = {"name", "platform", "extends", "row_per", "sum_amounts", "date_formats", "required", "columns", "status"}
    for key in data:
        if key not in known:
            raise ConfigError(path, t("data.mapping.unknown_key", setting=key, known=", ".join(sorted(known))),
                              _line(text, key), key)
    base = Mapping(path.stem, "", {}, ("order_no", "status", "paid", "created_at"), ())
    if "extends" in data:
        try:
            base = builtin(str(data["extends"]))
        except KeyError:
            raise ConfigError(path, t("data.mapping.bad_extends", value=data["extends"], known=", ".join(BUILTIN)),
                              _line(text, "extends"), "extends") from None
    columns = dict(base.columns)
    for name, value in _table(path, text, data, "columns").items():
        if name not in FIELDS:
            raise ConfigError(path, t("data.mapping.unknown_field", field=name, known=", ".join(FIELDS)),
                              _line(text, name), f"columns.{name}")
        columns[name] = _strings(path, text, name, value)
    statuses = list(base.statuses)
    for word, status in _table(path, text, data, "status").items():
        if status not in ORDER_STATUSES:
            raise ConfigError(path, t("data.mapping.bad_status", word=word, value=status,
                                      known=", ".join(ORDER_STATUSES)), _line(text, word), f"status.{word}")
        statuses.insert(0, (word, status))
    row_per = data.get("row_per", base.row_per)
    if row_per not in ("order", "item"):
        raise ConfigError(path, t("data.mapping.bad_row_per", value=row_per), _line(text, "row_per"), "row_per")
    required = _strings(path, text, "required", data["required"]) if "required" in data else base.required
    for name in required:  # a misspelt name first: "no header for buyer_age" would send the user the wrong way
        if name not in FIELDS:
            raise ConfigError(path, t("data.mapping.unknown_field", field=name, known=", ".join(FIELDS)),
                              _line(text, "required"), "required")
    for name in required:
        if name not in columns:
            raise ConfigError(path, t("data.mapping.required_without_column", field=name),
                              _line(text, "required"), "required")
    return replace(
        base, name=str(data.get("name", path.stem)), platform=str(data.get("platform") or base.platform or path.stem),
        columns=columns, required=required, statuses=tuple(statuses), row_per=row_per,
        sum_amounts=bool(data.get("sum_amounts", base.sum_amounts)),
        date_formats=_strings(path, text, "date_formats", data["date_formats"]) if "date_formats" in data
        else base.date_formats, source_file=str(path))


def best_builtin(headers: list[str]) -> tuple[str, int]:
    """The built-in layout whose required columns this header matches best (for the hint)."""
    scores = []
    for name, mapping in BUILTIN.items():
        found, missing = mapping.resolve(headers)
        scores.append((len(mapping.required) - len(missing), len(found), name))
    scores.sort(reverse=True)
    return scores[0][2], scores[0][0]


__all__ = ["BUILTIN", "FIELDS", "Mapping", "best_builtin", "builtin", "field_label", "load", "normalize_header"]
