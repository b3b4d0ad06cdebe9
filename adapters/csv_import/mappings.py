"""Which column of a platform's order export means what.

Built-in layouts for the exports shops actually download (淘宝/天猫 订单报表, 京东 商家后台订单导出,
抖店 订单管理导出) and a neutral ``generic`` one; any other layout is described in a small TOML
file (``--mapping FILE``), optionally starting from a built-in one (``extends = "taobao"``).

Each field lists every header spelling seen in the wild (platforms rename columns between export
versions and spreadsheet tools append spaces), so a mapping survives small drifts.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbench.config import ConfigError
from workbench.services.ingest import ORDER_STATUSES

#: Every field a mapping may name, and what it holds.
FIELDS: dict[str, str] = {
    "order_no": "order number", "sub_order_no": "sub-order / line number (item-per-row layouts)",
    "buyer_id": "platform buyer id or member name", "buyer_name": "buyer's name",
    "receiver": "receiver name", "phone": "receiver mobile (masked ones are fine)", "email": "email",
    "address": "full address", "province": "province", "city": "city", "district": "district",
    "street": "street", "address_detail": "detailed address", "status": "order status",
    "after_sale": "after-sale / refund status", "total": "order total", "paid": "amount paid",
    "refunded": "amount refunded", "created_at": "order time", "paid_at": "payment time",
    "shipped_at": "shipping time", "item_title": "product title", "item_sku": "SKU / merchant code",
    "item_qty": "quantity", "item_price": "unit price", "carrier": "courier company",
    "tracking_no": "tracking number", "shipping_info": "courier + tracking number in one cell",
}


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
    raise ConfigError(path, "应为列名或列名列表 / expected a header name or a list of names", _line(text, key), key)


def load(path: Path) -> Mapping:
    """Load a TOML mapping file; every problem names the file, line and key. Raises ConfigError."""
    try:
        text = path.read_text("utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(path, f"无法读取映射文件 / cannot read the mapping file: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "映射文件须为 UTF-8 编码 / the mapping file must be UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, f"TOML 语法错误 / TOML syntax error: {exc}",
                          int(match.group(1)) if match else None) from exc
    known = {"name", "platform", "extends", "row_per", "sum_amounts", "date_formats", "required", "columns", "status"}
    for key in data:
        if key not in known:
            raise ConfigError(path, f"未知的键 / unknown key; 可用 / known: {', '.join(sorted(known))}",
                              _line(text, key), key)
    base = Mapping(path.stem, "", {}, ("order_no", "status", "paid", "created_at"), ())
    if "extends" in data:
        try:
            base = builtin(str(data["extends"]))
        except KeyError:
            raise ConfigError(path, f"extends 只能是 / must be one of: {', '.join(BUILTIN)}",
                              _line(text, "extends"), "extends") from None
    columns = dict(base.columns)
    for name, value in (data.get("columns") or {}).items():
        if name not in FIELDS:
            raise ConfigError(path, f"未知字段 / unknown field; 可用 / known: {', '.join(FIELDS)}",
                              _line(text, name), f"columns.{name}")
        columns[name] = _strings(path, text, name, value)
    statuses = list(base.statuses)
    for word, status in (data.get("status") or {}).items():
        if status not in ORDER_STATUSES:
            raise ConfigError(path, f"状态只能是 / status must be one of: {', '.join(ORDER_STATUSES)}",
                              _line(text, word), f"status.{word}")
        statuses.insert(0, (word, status))
    row_per = data.get("row_per", base.row_per)
    if row_per not in ("order", "item"):
        raise ConfigError(path, 'row_per 只能是 "order" 或 "item" / must be "order" or "item"',
                          _line(text, "row_per"), "row_per")
    required = _strings(path, text, "required", data["required"]) if "required" in data else base.required
    for name in required:
        if name not in columns:
            raise ConfigError(path, f"必填字段 {name} 没有列名 / required field {name} has no column",
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


__all__ = ["BUILTIN", "FIELDS", "Mapping", "best_builtin", "builtin", "load", "normalize_header"]
