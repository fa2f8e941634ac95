"""Filter values resolved against the lexicons: aliases to canonical names, typos to help.

A platform, topic, entity or source filter names a value of the store's vocabulary. Users type
aliases (xiaohongshu, Little Red Book, 小红书直播), Traditional script (小紅書), or near misses
(小红薯); a silent zero-hit filter helps nobody. :class:`FilterVocabulary` maps every
unambiguous alias (``nlp/data/*.toml``: names, English, pinyin, abbreviations, old names; never
``weak`` aliases, which are ambiguous by definition) to its canonical name and, for anything
else, raises :class:`UnknownFilterValue` naming the closest known values.

Pure: the caller adds the values its store holds (tags written under an older lexicon, source
names) with ``extra``; nothing here touches a database.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

KINDS = ("platform", "topic", "entity", "source")
KIND_ZH = {"platform": "平台", "topic": "话题", "entity": "实体", "source": "来源"}
SUGGESTIONS = 3
_SPACES = re.compile(r"[\s\-_.·]+")


def _key(value: str) -> str:
    """The comparison form of a value: NFKC-ish lower case without spaces or separators."""
    return _SPACES.sub("", value.strip().lower())


class UnknownFilterValue(ValueError):
    """A filter value matching nothing known; ``suggestions``: the closest known values."""

    def __init__(self, kind: str, value: str, suggestions: list[str]) -> None:
        self.kind, self.value, self.suggestions = kind, value, suggestions
        super().__init__(self.message_en())

    def message_en(self) -> str:
        hint = f"; did you mean {' or '.join(self.suggestions)}?" if self.suggestions else \
            f"; no known {self.kind} is close (see the facet counts for the values in use)"
        return f"unknown {self.kind} {self.value!r}{hint}"

    def message_zh(self) -> str:
        hint = f"，您是否要找：{'、'.join(self.suggestions)}？" if self.suggestions else \
            "，没有相近的已知值（可参考分面计数中的取值）"
        return f"未知的{KIND_ZH.get(self.kind, self.kind)}“{self.value}”{hint}"


@dataclass
class FilterVocabulary:
    """Known values per kind: canonical names and the alias keys that stand for them."""

    canonical: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    aliases: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})
    #: a canonical name's own key wins over another value's alias (TikTok vs 抖音's "Tik Tok")
    names: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def add(self, kind: str, name: str, aliases: Iterable[str] = ()) -> None:
        self.canonical[kind].add(name)
        self.names[kind].setdefault(_key(name), name)
        table = self.aliases[kind]
        table.setdefault(_key(name), name)
        for alias in aliases:
            if alias and alias.strip():
                table.setdefault(_key(alias), name)

    def resolve(self, kind: str, value: str, *, simplify=None) -> str:  # noqa: ANN001
        """The canonical name ``value`` stands for; UnknownFilterValue (with the closest
        known values) otherwise. ``simplify``: a Traditional → Simplified converter."""
        if kind not in KINDS:
            raise ValueError(f"unknown filter kind {kind!r}: one of {', '.join(KINDS)}")
        value = (value or "").strip()
        if value in self.canonical[kind]:
            return value
        table = self.aliases[kind]
        for candidate in (value, simplify(value) if simplify else value):
            hit = self.names[kind].get(_key(candidate)) or table.get(_key(candidate))
            if hit is not None:
                return hit
        raise UnknownFilterValue(kind, value, self.closest(kind, value))

    def closest(self, kind: str, value: str, n: int = SUGGESTIONS) -> list[str]:
        """Up to ``n`` canonical names closest to ``value`` (by their names and aliases)."""
        table = self.aliases[kind]
        key = _key(value)
        scored: dict[str, float] = {}
        for alias, name in table.items():
            ratio = difflib.SequenceMatcher(None, key, alias).ratio()
            if ratio > scored.get(name, 0.0):
                scored[name] = ratio
        ranked = sorted((r, name) for name, r in scored.items() if r >= 0.5)
        return [name for _, name in sorted(ranked, key=lambda t: (-t[0], t[1]))[:n]]


def lexicon_vocabulary(extra: Mapping[str, Iterable[str]] | None = None) -> FilterVocabulary:
    """The vocabulary of the loaded lexicons (nlp.tagging.lexicon), plus ``extra`` values per
    kind (what the store holds: sources, tags written under another lexicon)."""
    from nlp.tagging import lexicon

    lx = lexicon.get()
    vocab = FilterVocabulary()
    for p in lx.platforms.values():
        vocab.add("platform", p.name, (a for kind in p.aliases.values() for a in kind))
    for e in lx.entities.values():
        vocab.add("entity", e.name, e.aliases)
    for t in lx.topics.values():
        vocab.add("topic", t.name)
    for kind, values in (extra or {}).items():
        for v in values:
            if v:
                vocab.add(kind, v)
    return vocab
