"""Blocks that most screens never show, mounted the first time they have something to say.

A hidden widget still costs the first frame its compose, mount and styling (about a millisecond and a
half each); a source-failure banner or a hub alert is rare, so it is created when first needed and
then only shown and hidden.
"""

from __future__ import annotations

from typing import Any

from textual.widget import Widget
from textual.widgets import Static


def show_block(parent: Widget, block_id: str, content: Any, *, before: Widget | None = None,
               after: Widget | None = None) -> Static | None:
    """Show ``content`` in ``parent``'s Static ``#block_id`` (mounted on first use); hide it if None.

    ``content`` is any Static content (Rich ``Text`` for customer data: never read as markup).
    """
    found = parent.query(f"#{block_id}")
    block = found.first(Static) if found else None
    if content is None:
        if block is not None:
            block.display = False
        return block
    if block is None:
        block = Static(content, id=block_id, markup=False)
        parent.mount(block, before=before, after=after)
    else:
        block.update(content)
    block.display = True
    return block
