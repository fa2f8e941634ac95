"""Small lxml helpers shared by the text layer and extraction."""

from __future__ import annotations

from typing import Any


def remove_keep_tail(el: Any) -> None:
    """Remove ``el`` from its tree but keep its tail text, which belongs to the parent's flow
    (``<p>a<rt>x</rt>b</p>`` loses ``x``, not ``b``)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
