"""Lines drawn from plain pieces must cut as Rich's ellipsis does: the queue's ``fit`` and the orders
list's column cells (``widgets.customer_panel._cells``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text

from widgets.customer_panel import _cells
from widgets.queue_list import fit

STYLES = [None, Style(bold=True), Style(color="cyan"), Style(dim=True)]
TEXTS = st.text(alphabet=st.sampled_from(list("ab 顾客退货⏰…·!V2") + ["主", "１"]), max_size=12)
PIECES = st.lists(st.tuples(TEXTS, st.sampled_from(STYLES)), max_size=6)


def cells_of(pieces: list[tuple[str, Style | None]]) -> list[tuple[str, Style | None]]:
    """Character by character, with the style each one is drawn in (None for plain)."""
    return [(char, style or None) for text, style in pieces for char in text]


def rich_cut(pieces: list[tuple[str, Style | None]], width: int) -> list[tuple[str, Style | None]]:
    text = Text(no_wrap=True, overflow="ellipsis")
    for part, style in pieces:
        text.append(part, style)
    text.truncate(width, overflow="ellipsis", pad=True)
    return [(s.text, s.style) for s in text.render(Console(width=200))]


@settings(max_examples=300, deadline=None)
@given(PIECES, st.integers(min_value=1, max_value=30))
def test_fit_cuts_and_pads_exactly_as_rich_does(pieces: list[tuple[str, Style | None]], width: int) -> None:
    ours, rich = cells_of(fit(pieces, width)), cells_of(rich_cut(pieces, width))
    assert sum(cell_len(char) for char, _ in ours) == width
    assert "".join(c for c, _ in ours) == "".join(c for c, _ in rich)
    # Same styles everywhere but on a final "…": Rich styles it by character index, which after a
    # wide character split at the edge lands on the next piece; ours keeps the style of the piece cut.
    cut = bool(ours) and ours[-1][0] == "…" and sum(cell_len(t) for t, _ in pieces) > width
    assert ours[:-1] == rich[:-1] if cut else ours == rich


def test_a_long_chinese_subject_ends_in_an_ellipsis_in_its_own_style() -> None:
    dim = Style(dim=True)
    out = fit([("   ", None), ("退货退款", Style(color="cyan")), (" · ", None), ("收到的羽绒服跑毛严重", dim)], 17)
    assert "".join(text for text, _ in out) == "   退货退款 · 收…"
    assert out[-1] == ("收…", dim)


def test_nothing_fits_in_no_room() -> None:
    assert fit([("abc", None)], 0) == []


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=1, max_value=20), st.sampled_from(["left", "right"]))
def test_order_columns_cut_and_pad_exactly_as_rich_does(text: str, width: int, justify: str) -> None:
    cell = Text(text, no_wrap=True)
    cell.truncate(width, overflow="ellipsis")
    cell.align(justify, width)  # type: ignore[arg-type]
    ours = _cells(text, width, justify)
    assert ours == cell.plain
    assert cell_len(ours) == width
