"""Column layout for the follow-up tables (the board and the shift hand-off), kept apart to keep them small.

Widths are terminal cells: Chinese is double width, so cells are cut by ``rich`` cell length with an
ellipsis, and the status/kind columns grow to their longest label in the current language.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from screens.followup_format import STATUS_STYLE
from widgets.sizes import NARROW_BELOW  # both tables use their narrow layout below it, as the main screen does
from workbench.i18n import t
from workbench.services.followup_model import KINDS

# (column, width below NARROW_BELOW, width above; 0 = hidden, None = the rest). The status and kind columns
# also grow to their longest label in the current language (capped), and every header fits.
COLUMNS = (("sel", 2, 2), ("status", 6, 6), ("due", 11, 11), ("kind", 8, 10), ("owner", 6, 6), ("case", 0, 24),
           ("customer", 8, 10), ("note", None, None))
KIND_CAP = (14, 18)  # narrow, wide


def fit(text: Text, width: int | None) -> Text:
    """Cut a cell to its column by terminal cells (CJK is double width) with an ellipsis."""
    if width:
        text.truncate(width, overflow="ellipsis")
    return text


def label_width(key: str, narrow: bool) -> int:
    """The longest status/kind label in the current language (so 「确认退款到账」 is not cut)."""
    if key == "status":
        return max(cell_len(t(f"followups.status.{s}")) for s in STATUS_STYLE)
    if key == "kind":
        return min(max(cell_len(t(f"followups.kind.{k}")) for k in KINDS), KIND_CAP[0 if narrow else 1])
    return 0
