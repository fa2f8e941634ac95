"""Loading the tagging lexicons (TOML data files) into fast lookup structures.

The lexicons live in ``nlp/data/{platforms,topics,entities}.toml`` and
``nlp/data/stopwords.txt``; an editor's additions go to a user lexicon directory (the
``DAIHUO_LEXICON_DIR`` environment variable, or :func:`set_user_dir`) holding files of the same
names, merged over the packaged ones. Everything is loaded once per process; :func:`reload`
drops the cache after an edit and :func:`lexicon_version` fingerprints the files so
``daihuo reprocess`` knows when stored tags are stale.

Platform and entity aliases compile into ONE regular expression (longest alias first at each
position) so a document is scanned once for all of them.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

FILES = ("platforms.toml", "topics.toml", "entities.toml", "stopwords.txt")

#: alias kinds of a platform entry (all are matched the same way; kinds document provenance)
ALIAS_KINDS = ("names", "english", "pinyin", "abbreviations", "old_names", "mt_forms", "nicknames")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_COMPACT = re.compile(r"[\s\-_.]+")

_lock = threading.Lock()
_cache: Lexicon | None = None
_user_dir: Path | None = None


@dataclass(frozen=True)
class Target:
    """What an alias stands for. ``kind`` is ``platform`` or ``entity``."""

    kind: str
    name: str
    entity_kind: str = ""
    weak: bool = False
    #: platform this alias means instead when international cues stand nearby (Tik Tok)
    switch: str = ""


@dataclass
class Platform:
    name: str
    owner: str
    parent: str
    aliases: dict[str, list[str]]  # alias kind -> aliases
    weak: list[str]


@dataclass
class Entity:
    name: str
    kind: str
    aliases: list[str]
    weak: list[str]
    role: str = ""


@dataclass
class Topic:
    name: str
    description: str
    terms: dict[str, float]
    platforms: dict[str, float]
    #: entity kind or role -> weight (anchor, mcn ...)
    entities: dict[str, float] = field(default_factory=dict)


@dataclass
class Lexicon:
    platforms: dict[str, Platform]
    entities: dict[str, Entity]
    topics: dict[str, Topic]
    stopwords: frozenset[str]
    rejected: frozenset[str]
    #: lower-cased alias -> targets; an empty tuple is a blocker (a longer word that wins)
    table: dict[str, tuple[Target, ...]]
    #: alias keys that must start on a token boundary (short CJK aliases)
    short_keys: frozenset[str]
    pattern: re.Pattern[str]
    short_cjk: int
    window: int
    commerce_cues: re.Pattern[str]
    intl_cues: re.Pattern[str]
    entity_cues: re.Pattern[str]
    # topics
    topic_meta: dict[str, float]
    #: single-token term -> [(topic, weight)]
    topic_terms: dict[str, list[tuple[str, float]]]
    #: terms jieba splits, by first piece: [(term, pieces, [(topic, weight)])]
    topic_phrases: dict[str, list[tuple[str, tuple[str, ...], list[tuple[str, float]]]]]
    version: str
    sources: list[str] = field(default_factory=list)
    #: what right after a platform alias makes it the company (its staff, team, shares):
    #: 快手电商团队, 蘑菇街CEO陈琪, 淘宝网产品的经理 (platforms.toml [meta] staff_words)
    staff_after: re.Pattern[str] | None = None
    #: what right before a platform alias makes it the company in a deal: 卖身苏宁, 收购土豆
    #: (platforms.toml [meta] deal_words)
    deal_before: re.Pattern[str] | None = None

    def parent_of(self, platform: str) -> str:
        p = self.platforms.get(platform)
        return p.parent if p else ""

    def owner_of(self, platform: str) -> str:
        p = self.platforms.get(platform)
        return p.owner if p else ""


def _staff_pattern(words: list[str]) -> re.Pattern[str] | None:
    """Right context of an alias that names the company's people: between alias and staff
    word only a 的 or a comma, a unit word (电商, 产品 ...), a name set off by commas
    (蘑菇街, 陈琪, CEO) or, after a 的, one short noun of a department (京东的采销团队,
    拼多多的商家运营负责人). A verb in between (拼多多都公布了财报) keeps the platform."""
    if not words:
        return None
    alt = "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
    unit = "|".join(_STAFF_UNITS)
    return re.compile(r"^(?:[的,，、 ]*(?:(?:" + unit + r")[的,，、 ]*)?(?:[\u4e00-\u9fff]{2,3}[,，、 ]+)?"
                      r"|的(?!.{0,4}[了在是把被将和与跟])[\u4e00-\u9fff]{2,4}?)(?:" + alt + ")")


def _deal_pattern(words: list[str]) -> re.Pattern[str] | None:
    """Left context of an alias that makes it a party to a company deal (卖身苏宁, 收购土豆网):
    the deal word ends right before the alias, at most a 给/于/了 between."""
    if not words:
        return None
    alt = "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
    return re.compile(r"(?:" + alt + r")[给于了]?$")


#: a unit of the company that may stand between its name and its people (快手电商团队)
_STAFF_UNITS = ("电商", "直播", "产品", "平台", "官方", "技术", "市场", "运营", "商业化", "国际", "中国",
                "海外", "网", "公司", "集团", "总部")


# ---------------------------------------------------------------- user directory


def set_user_dir(path: str | os.PathLike[str] | None) -> None:
    """Use ``path`` as the editor's lexicon directory (overrides DAIHUO_LEXICON_DIR)."""
    global _user_dir
    _user_dir = Path(path) if path is not None else None
    reload()


def user_dir() -> Path | None:
    if _user_dir is not None:
        return _user_dir
    env = os.environ.get("DAIHUO_LEXICON_DIR")
    return Path(env) if env else None


def reload() -> None:
    """Forget the loaded lexicon; the next call to :func:`get` reads the files again."""
    global _cache
    with _lock:
        _cache = None


def get() -> Lexicon:
    """The process-wide lexicon (loaded on first use)."""
    global _cache
    lex = _cache
    if lex is None:
        with _lock:
            if _cache is None:
                _cache = _load()
            lex = _cache
    return lex


def lexicon_version() -> str:
    """Fingerprint of every lexicon file in use: stored tags with another version are stale."""
    return get().version


# ---------------------------------------------------------------- loading


def _read_sources() -> list[tuple[str, str, str]]:
    """(file name, origin, text) for packaged files then user files."""
    out = []
    base = resources.files("nlp").joinpath("data")
    for name in FILES:
        out.append((name, "package", base.joinpath(name).read_text("utf-8")))
    udir = user_dir()
    if udir is not None:
        for name in FILES:
            p = udir / name
            if p.is_file():
                out.append((name, str(p), p.read_text("utf-8")))
    return out


def _load() -> Lexicon:
    sources = _read_sources()
    digest = hashlib.sha1()
    platforms: dict[str, Platform] = {}
    entities: dict[str, Entity] = {}
    topics: dict[str, Topic] = {}
    stop: set[str] = set()
    rejected: set[str] = set()
    blockers: set[str] = set()
    platform_blockers: set[str] = set()
    meta: dict[str, Any] = {}
    ent_meta: dict[str, Any] = {}
    topic_meta: dict[str, float] = {}
    for name, _origin, text in sources:
        digest.update(name.encode())
        digest.update(text.encode("utf-8"))
        if name == "stopwords.txt":
            stop.update(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))
            continue
        data = tomllib.loads(text)
        if name == "platforms.toml":
            meta.update(data.get("meta", {}))
            platform_blockers.update(data.get("blockers", {}).get("words", []))
            for entry in data.get("platform", []):
                _merge_platform(platforms, entry)
        elif name == "entities.toml":
            ent_meta.update(data.get("meta", {}))
            blockers.update(data.get("blockers", {}).get("words", []))
            rejected.update(data.get("rejected", {}).get("names", []))
            for batch in data.get("rejected_batch", []):  # appended by the review command
                rejected.update(batch.get("names", []))
            for entry in data.get("entity", []):
                _merge_entity(entities, entry)
            for name in data.get("places", {}).get("names", []):  # a bare list: no aliases
                _merge_entity(entities, {"name": name, "kind": "place"})
        elif name == "topics.toml":
            topic_meta.update({k: float(v) for k, v in data.get("meta", {}).items()})
            for tname, entry in data.get("topic", {}).items():
                _merge_topic(topics, tname, entry)
    # an entity an editor confirmed is not rejected any more
    rejected -= set(entities)
    table = _build_table(platforms, entities, blockers | platform_blockers, platform_blockers)
    topic_terms, topic_phrases = _topic_index(topics)
    return Lexicon(
        platforms=platforms,
        entities=entities,
        topics=topics,
        stopwords=frozenset(stop),
        rejected=frozenset(rejected),
        table=table,
        short_keys=frozenset(k for k in table if needs_token_start(k, int(meta.get("short_cjk", 2)))),
        pattern=_alternation(table),
        short_cjk=int(meta.get("short_cjk", 2)),
        window=int(meta.get("window", 30)),
        commerce_cues=_cue_pattern(meta.get("commerce_cues", [])),
        intl_cues=_cue_pattern(meta.get("international_cues", [])),
        entity_cues=_cue_pattern(ent_meta.get("cues", [])),
        topic_meta=topic_meta,
        topic_terms=topic_terms,
        topic_phrases=topic_phrases,
        version=digest.hexdigest()[:16],
        sources=[origin for _n, origin, _t in sources],
        staff_after=_staff_pattern(meta.get("staff_words", [])),
        deal_before=_deal_pattern(meta.get("deal_words", [])),
    )


def _merge_platform(platforms: dict[str, Platform], entry: dict[str, Any]) -> None:
    name = entry["name"]
    p = platforms.get(name)
    if p is None:
        p = platforms[name] = Platform(
            name=name,
            owner=entry.get("owner", ""),
            parent=entry.get("parent", ""),
            aliases={},
            weak=[],
        )
    else:  # a user file extends a packaged entry
        p.owner = entry.get("owner", p.owner)
        p.parent = entry.get("parent", p.parent)
    for kind in ALIAS_KINDS:
        p.aliases.setdefault(kind, []).extend(entry.get(kind, []))
    p.weak.extend(entry.get("weak", []))


def _merge_entity(entities: dict[str, Entity], entry: dict[str, Any]) -> None:
    name = entry["name"]
    e = entities.get(name)
    if e is None:
        entities[name] = Entity(
            name=name,
            kind=entry.get("kind", "person"),
            aliases=list(entry.get("aliases", [])),
            weak=list(entry.get("weak", [])),
            role=entry.get("role", ""),
        )
    else:
        e.aliases.extend(entry.get("aliases", []))
        e.weak.extend(entry.get("weak", []))


def _merge_topic(topics: dict[str, Topic], name: str, entry: dict[str, Any]) -> None:
    t = topics.setdefault(name, Topic(name, entry.get("description", ""), {}, {}))
    t.terms.update({k: float(v) for k, v in entry.get("terms", {}).items()})
    t.platforms.update({k: float(v) for k, v in entry.get("platform", {}).items()})
    t.entities.update({k: float(v) for k, v in entry.get("entity", {}).items()})


def _is_latin(s: str) -> bool:
    return not _CJK.search(s)


def _build_table(
    platforms: dict[str, Platform],
    entities: dict[str, Entity],
    blockers: set[str],
    platform_blockers: set[str],
) -> dict[str, tuple[Target, ...]]:
    table: dict[str, list[Target]] = {}

    def add(alias: str, target: Target) -> None:
        key = alias_key(alias)
        if key:
            targets = table.setdefault(key, [])
            if target not in targets:
                targets.append(target)

    # Latin alias (compact form) -> platform, to find MT forms that collide with another
    # platform's name: "Tik Tok" (抖音, machine-translated) vs "TikTok" (the international app)
    latin_owner: dict[str, str] = {}
    for p in platforms.values():
        for kind in ("english", "pinyin"):
            for a in p.aliases.get(kind, []):
                latin_owner.setdefault(_COMPACT.sub("", a.lower()), p.name)
    for p in platforms.values():
        weak = {alias_key(w) for w in p.weak}
        for kind, aliases in p.aliases.items():
            for a in aliases:
                switch = ""
                if kind == "mt_forms" and _is_latin(a):
                    other = latin_owner.get(_COMPACT.sub("", a.lower()), p.name)
                    switch = other if other != p.name else ""
                add(a, Target("platform", p.name, weak=alias_key(a) in weak, switch=switch))
        for w in p.weak:
            add(w, Target("platform", p.name, weak=True))
    platform_keys = [
        (k, t) for k, ts in table.items() for t in ts if not t.weak and len(k) >= 2
    ]
    for e in entities.values():
        weak = {alias_key(w) for w in e.weak}
        for a in [e.name, *e.aliases]:
            add(a, Target("entity", e.name, entity_kind=e.kind, weak=alias_key(a) in weak))
            # an entity alias that contains a platform's alias (京东集团, 快手科技) mentions it
            key = alias_key(a)
            for pk, pt in platform_keys:
                if pk != key and pk in key:
                    add(a, pt)
    for b in blockers:
        table.setdefault(alias_key(b), [])
    # the converse: a platform alias or a platform blocker that contains a company's or
    # person's alias names it too (新浪微博 -> 新浪, 网易考拉 -> 网易, 腾讯微博 -> 腾讯). Not
    # entity blockers (小米粥 is no 小米) and never platform-in-platform (淘宝商城 is 天猫).
    entity_keys = [(k, t) for k, ts in table.items() for t in ts
                   if t.kind == "entity" and not t.weak and len(k) >= 2]
    platform_side = {k for k, ts in table.items() if any(t.kind == "platform" for t in ts)}
    platform_side |= {alias_key(b) for b in platform_blockers}
    for key in platform_side:
        for ek, et in entity_keys:
            if ek != key and ek in key and et not in table[key]:
                table[key].append(et)
    return {k: tuple(v) for k, v in table.items()}


#: token separator in the text the alias pattern runs on (see nlp.tagging.scan)
SEP = "\x01"
_SPACES = re.compile(r"\s+")


def alias_key(alias: str) -> str:
    """Canonical form of an alias: lower case, whitespace runs as one space."""
    return _SPACES.sub(" ", alias.strip().lower())


def _alternation(table: dict[str, tuple[Target, ...]]) -> re.Pattern[str]:
    """One pattern for every alias, shaped as a trie, run on the token-joined text.

    The text is the document's tokens joined by SEP, so an alias may span tokens (淘宝|商城):
    between two characters of an alias a SEP is optional, except inside a Latin word (two ASCII
    letters/digits: no SEP, so "TikTok" is one token) and where the alias has a space (SEP
    required: "Tik Tok" is two tokens).

    At each start the longest alias (or blocker) wins, because a trie node tries its
    continuations before ending there (greedy ``?``). The trie shape matters for speed:
    ``re`` tries a group's alternatives one after another, so a flat list of 350 aliases costs
    350 comparisons wherever a first character matches; the trie costs one per distinct first
    character, then a few (2.5x faster on a 3 KB article).
    """
    trie: dict[str, dict] = {}
    for key in table:
        node = trie
        for atom in _atoms(key):
            node = node.setdefault(atom, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        alts = [atom + build(child) for atom, child in sorted(node.items()) if atom]
        if not alts:
            return ""
        group = alts[0] if len(alts) == 1 and "" not in node else "(?:" + "|".join(alts) + ")"
        return group + "?" if "" in node else group

    return re.compile(build(trie))


def _atoms(key: str) -> list[str]:
    """Regex atoms of an alias key: characters and the separators allowed between them."""
    atoms: list[str] = []
    prev = ""
    for ch in key:
        if ch == " ":
            atoms.append(SEP)  # a space in an alias: the words are separate tokens
            prev = ""
            continue
        if prev and not (prev in _ASCII_ALNUM and ch in _ASCII_ALNUM):
            atoms.append(SEP + "?")
        atoms.append(re.escape(ch))
        prev = ch
    return atoms


def _cue_pattern(cues: Iterable[str]) -> re.Pattern[str]:
    cues = sorted({c.lower() for c in cues}, key=len, reverse=True)
    return re.compile("|".join(re.escape(c) for c in cues) if cues else r"(?!)")


def _topic_index(
    topics: dict[str, Topic],
) -> tuple[
    dict[str, list[tuple[str, float]]],
    dict[str, list[tuple[str, tuple[str, ...], list[tuple[str, float]]]]],
]:
    """Index topic terms by the token jieba makes of them.

    A term that segments into one token is looked up among the document's tokens; a term
    jieba splits (乡村振兴 -> 乡村/振兴) is checked by string once all its pieces are tokens.
    Latin terms are indexed in the case variants a token can have (GMV, gmv, Gmv).
    """
    from nlp.segment import segment

    single: dict[str, list[tuple[str, float]]] = {}
    phrases: dict[str, tuple[tuple[str, ...], list[tuple[str, float]]]] = {}
    for t in topics.values():
        for term, w in t.terms.items():
            variants = {term, term.lower(), term.upper(), term.capitalize()} if _is_latin(term) else {term}
            for v in variants:
                pieces = tuple(segment(v))
                if len(pieces) == 1:
                    single.setdefault(v, []).append((t.name, w))
                elif pieces:
                    phrases.setdefault(v, (pieces, []))[1].append((t.name, w))
    by_first: dict[str, list[tuple[str, tuple[str, ...], list[tuple[str, float]]]]] = {}
    for term, (pieces, pairs) in phrases.items():
        by_first.setdefault(pieces[0], []).append((term, pieces, pairs))
    return single, by_first


# ---------------------------------------------------------------- helpers for matchers


def is_ascii_alnum(ch: str) -> bool:
    return ch in _ASCII_ALNUM


def needs_token_start(key: str, short_cjk: int) -> bool:
    """Short CJK aliases must start on a token boundary (北京东路 is not 京东)."""
    return len(key) <= short_cjk and bool(_CJK.match(key))


def confidence_from_count(base: float, count: int, cap: float = 0.99) -> float:
    return round(min(cap, base + 0.05 * math.log2(1 + count)), 3)
