"""Reading one export file and its cells the way platforms and spreadsheet tools write them.

Platform exports are GBK/GB18030 (淘宝 订单报表, older 京东) or UTF-8 with a BOM (抖店, re-saved files);
numbers are protected from Excel with ``="…"``, a leading tab or apostrophe; tracking numbers come as
``No:YT…``; phones are masked (``138****1234``) or encrypted (``##…``/``$$…``). Each parser returns a
clean value or raises :class:`CellError` with a message the shop owner can act on.
"""

from __future__ import annotations

import codecs
import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from workbench.i18n import t
from workbench.money import MoneyError, parse_yuan


class CellError(ValueError):
    """A cell that cannot be read; ``str()`` is the user-facing reason."""


class EncodingProblem(ValueError):
    """The file is in none of the encodings tried; ``line`` is where decoding first failed."""

    def __init__(self, tried: str, line: int, detail: str):
        self.tried, self.line, self.detail = tried, line, detail
        super().__init__(f"{tried} failed at line {line}: {detail}")


ENCODING_LABELS = {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "gb18030": "GBK/GB18030", "utf-16": "UTF-16"}


def decode(data: bytes, forced: str | None = None) -> tuple[str, str]:
    """Decode the whole file; returns (text, encoding name). BOM first, then UTF-8, then GB18030."""
    if forced:
        try:
            return data.decode(forced), forced
        except (UnicodeDecodeError, LookupError) as exc:
            start = getattr(exc, "start", 0)
            raise EncodingProblem(forced, data.count(b"\n", 0, start) + 1, str(exc)) from exc
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", "utf-16")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as first:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as second:
            # The decoder that got further is the file's likely encoding: point at where it broke.
            worst = max(first, second, key=lambda e: e.start)
            raise EncodingProblem("UTF-8, GBK/GB18030", data.count(b"\n", 0, worst.start) + 1, str(worst)) from second


def _strict(data: bytes, codec: str, label: str) -> tuple[str, str]:
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as exc:
        raise EncodingProblem(ENCODING_LABELS.get(label, label), data.count(b"\n", 0, exc.start) + 1, str(exc)) from exc


def delimiter(first_line: str) -> str:
    """Comma, tab or semicolon, whichever the header line uses most."""
    counts = {sep: first_line.count(sep) for sep in (",", "\t", ";")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


_FORMULA = re.compile(r'^="(.*)"$', re.S)


def clean(cell: str | None) -> str:
    """A cell without Excel guards (``="…"``, leading tab/apostrophe) and surrounding whitespace."""
    if not cell:
        return ""
    text = cell.strip()
    if not text or text[0] not in "='":  # the common case: nothing to unwrap
        return text
    match = _FORMULA.match(text)
    if match:
        text = match.group(1)
    if text.startswith("'"):
        text = text[1:]
    return text.strip()


def is_cipher(text: str) -> bool:
    """Encrypted or redacted cells (抖店 ``##…``/``$$…``, ``***``): known to be hidden, not wrong."""
    return text.startswith(("##", "$$", "***")) or "密文" in text or "加密" in text


_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def order_no(text: str) -> str:
    if not text:
        raise CellError(t("data.csv.empty"))
    if _SCIENTIFIC.match(text):
        raise CellError(t("data.csv.scientific", value=text))
    return text


@lru_cache(maxsize=4096)
def amount(text: str) -> int:
    """Yuan text (``¥1,299.00``, ``1299元``) in fen (remembered: an export repeats a few prices)."""
    if not text or text in ("-", "--", "—"):
        raise CellError(t("data.csv.empty"))
    try:
        return parse_yuan(text.replace("元", "").replace(" ", ""))
    except MoneyError as exc:
        raise CellError(t("data.csv.bad_amount", value=text, detail=str(exc))) from exc


def quantity(text: str) -> int:
    digits = text.replace("件", "").replace(",", "").strip()
    if not digits.isdigit() or int(digits) < 1 or int(digits) > 100000:
        raise CellError(t("data.csv.bad_qty", value=text))
    return int(digits)


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日",
                 "%Y%m%d%H%M%S")


_ISOISH = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def moment(text: str, tz: str, extra_formats: tuple[str, ...] = ()) -> datetime | None:
    """A date/time cell in the shop's timezone (unless it carries an offset) as aware UTC; '' -> None."""
    if not text or text in ("-", "--", "null", "NULL"):
        return None
    zone = ZoneInfo(tz)
    for fmt in extra_formats:  # the mapping's own formats win over the guesses below
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    if len(text) == 19 and text[4] == "-" and text[10] == " ":  # "2024-11-11 10:30:00", the platforms' own
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = None  # not quite ISO after all: the slower readers below decide
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    match = _ISOISH.fullmatch(text)  # the usual "2024-11-11 10:30:00" / "2024/1/5 9:03", without strptime's cost
    if match:
        try:
            return datetime(*(int(g) for g in match.groups() if g is not None), tzinfo=zone)  # type: ignore[misc]
        except ValueError:
            raise CellError(t("data.csv.bad_date", value=text)) from None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CellError(t("data.csv.bad_date", value=text)) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


_MOBILE = re.compile(r"^(?:\+?86[- ]?)?1\d{2}(?:\d{4}|\*{4})\d{4}$")
_LANDLINE = re.compile(r"^(?:\+?86[- ]?)?0\d{2,3}-?\d{7,8}(?:-\d{1,5})?$")
_FOREIGN = re.compile(r"^\+\d[\d ()-]{6,18}$")


@lru_cache(maxsize=4096)
def phone(text: str) -> str | None:
    """A mobile (full or masked 138****1234), a landline or an international number; hidden -> None."""
    if not text or is_cipher(text):
        return None
    compact = text.replace(" ", "")
    if _MOBILE.match(compact) or _LANDLINE.match(compact):
        return compact
    if _FOREIGN.match(text):
        return text.strip()
    raise CellError(t("data.csv.bad_phone", value=text))  # raised, so never remembered by the cache


_NO_PREFIX = re.compile(r"^(No|NO|no)[:：]\s*")
_SEPARATORS = re.compile(r"[,，;；\s]+")


def tracking(text: str) -> str:
    """A tracking number without the ``No:`` prefix 淘宝 adds; several numbers keep the first."""
    value = _NO_PREFIX.sub("", text).strip()
    return _SEPARATORS.split(value)[0] if value else ""


def shipping_info(text: str) -> tuple[str, str]:
    """(carrier, tracking no) from a combined cell: ``中通快递,7351…``, ``7351…-中通快递``, ``中通:7351…``."""
    parts = [p for p in re.split(r"[,，:：\-\s]+", text) if p]
    number = next((p for p in parts if re.fullmatch(r"[A-Za-z]{0,4}\d{8,}", p)), "")
    carrier = next((p for p in parts if p != number and not p.isdigit()), "")
    return carrier, number
