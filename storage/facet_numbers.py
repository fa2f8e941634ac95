"""Numbers for facet values in the search index (``storage.search_index``), kept beside it.

The index counts collapsed facets over one integer per (story, facet value) of a clustered
article, which a histogram aggregation returns several times faster than a word per pair;
this list turns the numbers back into values. It only grows: a number never changes meaning
(until the index directory itself is replaced), so a reader whose list is at least as new as
the documents it sees decodes them right. Writers save the list before they commit documents
that use a new number; a reader meeting a number it does not know reads the list again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FILE = "facet-values.json"


class FacetNumbers:
    """(facet field number, value) <-> number, persisted in ``directory``/facet-values.json."""

    def __init__(self, directory: Path, limit: int) -> None:
        self.path = Path(directory) / FILE
        self.limit = limit  # numbers must stay below this (they share an integer with the story)
        self._names: list[tuple[int, str]] = []
        self._numbers: dict[tuple[int, str], int] = {}
        self._seen: tuple | None = None  # (inode, size, mtime) of the file last read
        self._unsaved = False

    def load(self) -> None:
        """Read the list again if the file changed since it was last read (a stat otherwise)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            if self._seen is not None or self._names:  # the directory was replaced: start over
                self._names, self._numbers, self._seen = [], {}, None
            return
        seen = (st.st_ino, st.st_size, st.st_mtime_ns)
        if seen == self._seen:
            return
        self._names = [(int(f), str(v)) for f, v in json.loads(self.path.read_text(encoding="utf-8"))]
        self._numbers = {name: i for i, name in enumerate(self._names)}
        self._seen = seen
        self._unsaved = False

    def number(self, field: int, value: str) -> int:
        """The number of ``value`` of facet field ``field``, given a new one if it has none."""
        key = (field, value)
        n = self._numbers.get(key)
        if n is None:
            n = len(self._names)
            if n >= self.limit:
                raise RuntimeError(f"more than {self.limit:,} distinct facet values: the search index "
                                   "cannot number them (storage.search_index.VALUE_BITS)")
            self._names.append(key)
            self._numbers[key] = n
            self._unsaved = True
        return n

    def name(self, number: int) -> tuple[int, str]:
        """(field number, value) of ``number``; KeyError if this list does not have it yet."""
        if number >= len(self._names):
            raise KeyError(number)
        return self._names[number]

    def save(self) -> None:
        """Write the list if numbers were added (atomically: readers see the old or the new)."""
        if not self._unsaved:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._names, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)
        st = self.path.stat()
        self._seen = (st.st_ino, st.st_size, st.st_mtime_ns)
        self._unsaved = False
