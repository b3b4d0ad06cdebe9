"""Money is integer fen everywhere. This module is the one place text becomes fen and fen becomes text."""

from __future__ import annotations

import re

_AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
MAX_FEN = 100_000_000 * 100  # ¥100,000,000: anything above is a typo, not a compensation


class MoneyError(ValueError):
    """An amount that cannot be money: the message says what was wrong and what is accepted."""


def parse_yuan(text: str | int | float) -> int:
    """Parse an amount in yuan ("50", "49.90", "¥1,299.00") into fen.

    Refuses negatives, more than two decimals, exponents, NaN/inf and words, with a message an agent
    understands, because a silently rounded or misread amount is real money lost.
    """
    if isinstance(text, bool):
        raise MoneyError("金额格式不对 / invalid amount: a yes/no value is not money")
    raw = repr(text) if isinstance(text, float) else str(text)
    cleaned = raw.strip().replace("¥", "").replace("￥", "").replace(",", "").replace("，", "").strip()
    if cleaned.startswith("-"):
        raise MoneyError(f"金额不能为负数 / amount cannot be negative: {raw!r}")
    if not _AMOUNT.match(cleaned):
        raise MoneyError(
            f"金额格式不对:{raw!r},请写成 50 或 49.90(最多两位小数)/ "
            f"invalid amount {raw!r}: write it like 50 or 49.90 (at most two decimals)"
        )
    whole, _, frac = cleaned.partition(".")
    fen = int(whole) * 100 + int((frac + "00")[:2])
    if fen > MAX_FEN:
        raise MoneyError(f"金额过大 / amount too large: {raw!r}")
    return fen


def format_fen(fen: int, symbol: str = "¥") -> str:
    """Render fen for display: ¥1,299 or ¥49.90 (no trailing .00 for whole yuan)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    if cents:
        return f"{sign}{symbol}{yuan:,}.{cents:02d}"
    return f"{sign}{symbol}{yuan:,}"
