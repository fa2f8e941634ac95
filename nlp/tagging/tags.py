"""The tags a document carries (what the store saves and search facets on)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PlatformTag:
    name: str  # canonical platform name (platforms.toml)
    count: int  # mentions in title + body
    first_pos: int  # first mention: offset in the non-whitespace characters of title + body
    in_title: bool
    score: float  # 0..1: salience from count, title and position


@dataclass
class TopicTag:
    name: str
    score: float  # 0..1


@dataclass
class EntityTag:
    name: str
    kind: str  # 'person' | 'brand' | 'mcn' | 'company' | 'place'
    confidence: float
    count: int
    confirmed: bool  # in the editor-confirmed lexicon
    #: why it is trusted: 'lexicon', or strong evidence in the text ('role': a role word next to
    #: a name, 'suffix': a company suffix, 'latin': a repeated capitalised Latin name); 'pos':
    #: a POS-tag guess only (kept in Tags.candidates, never in Tags.entities)
    evidence: str = "lexicon"


@dataclass
class Tags:
    platforms: list[PlatformTag] = field(default_factory=list)
    topics: list[TopicTag] = field(default_factory=list)
    keywords: list[tuple[str, float]] = field(default_factory=list)
    entities: list[EntityTag] = field(default_factory=list)  # what analysts see: trusted only
    lexicon_version: str = ""
    #: POS-only guesses: stored for `daihuo lexicon review`, never tags, facets or the API
    candidates: list[EntityTag] = field(default_factory=list)

    def platform_names(self) -> list[str]:
        return [p.name for p in self.platforms]

    def topic_names(self) -> list[str]:
        return [t.name for t in self.topics]

    def confirmed_entities(self) -> list[EntityTag]:
        return [e for e in self.entities if e.confirmed]
