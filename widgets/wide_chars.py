"""Keep Chinese characters whole where a toast or a dropdown lies over the edge of a pane below it.

Textual draws each screen line in pieces cut at every widget edge on that line, front to back, and the
front-most widget wins each piece. A widget floating over others (a notification, a Select's list) is
cut at the edges of the panes beneath it too, and a double-width character that straddles such an edge
is replaced by two spaces: 「只有组长可以打开这个页面」 reached the agent as 「只有组长可以打    个页面」.
(Textual issue #6357, open at the version we pin.)

The fix here: when the widget being drawn wins several neighbouring pieces of a line, it is cut once
around all of them, not at every edge in between; the pieces it swallowed get an empty strip, so no
widget further back claims them. Where a widget in front really does cover half of a character, the
cut stays (nothing better exists). Nothing else about drawing changes, so lines without floating
widgets come out exactly as before.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip

_EMPTY = Strip([], 0)
_state = {"installed": False}


def _render_chops(self: Compositor, crop: Region,
                  is_rendered_line: Callable[[int], bool]) -> Sequence[Mapping[int, Strip]]:
    """Textual's ``Compositor._render_chops`` with runs of won pieces cut once (see the module)."""
    cuts = self.cuts
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    for region, clip, strips in self._get_renders(crop):
        render_region = region.intersection(clip)
        render_x = render_region.x
        first_cut, last_cut = render_region.column_span
        for y, strip in zip(render_region.line_range, strips):
            if not is_rendered_line(y):
                continue
            line = chops[y]
            edges = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            buckets = edges[:-1]
            free = [line.get(cut) is None for cut in buckets]
            # A run of pieces ends where the next piece is taken, or this one is (taken ones stay single).
            ends = [index for index in range(len(buckets))
                    if index == len(buckets) - 1 or not (free[index] and free[index + 1])]
            pieces = strip.divide([edges[index + 1] - render_x for index in ends])
            start = 0
            for end, piece in zip(ends, pieces):
                if free[start]:
                    line[buckets[start]] = piece
                    for swallowed in buckets[start + 1:end + 1]:
                        line[swallowed] = _EMPTY
                start = end + 1
    return chops  # type: ignore[return-value]


def _compatible() -> bool:
    """Only replace the method this module was written against (same parameters, same helpers)."""
    original = Compositor.__dict__.get("_render_chops")
    if original is None or not hasattr(Compositor, "_get_renders") or not hasattr(Strip, "divide"):
        return False
    return list(inspect.signature(original).parameters) == ["self", "crop", "is_rendered_line"]


def install() -> bool:
    """Use the whole-character drawing from now on (idempotent). False if this Textual differs."""
    if _state["installed"]:
        return True
    if not _compatible():
        return False
    Compositor._render_chops = _render_chops  # type: ignore[method-assign]
    _state["installed"] = True
    return True


def installed() -> bool:
    return bool(_state["installed"])

