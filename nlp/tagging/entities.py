"""People, brands, MCN agencies and companies.

Confirmed entities come from the lexicon (nlp/data/entities.toml plus the editor's user
lexicon) by string match. Unconfirmed candidates come from jieba's POS flags (``nr*`` person,
``nt`` organisation) and carry a lower confidence; :func:`entity_candidates_report` ranks the
candidates that recur over many documents for ``daihuo lexicon review``, and
:func:`confirm_entities` / :func:`reject_candidates` write the editor's decisions to the user
lexicon.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nlp.tagging import lexicon as _lexicon
from nlp.tagging.entity_evidence import Evidence
from nlp.tagging.lexicon import confidence_from_count
from nlp.tagging.scan import Mention
from nlp.tagging.tags import EntityTag, Tags

MAX_CANDIDATES = 10


def entity_tags(
    mentions: list[Mention],
    candidates: list[tuple[str, str, int]],
    evidence: dict[str, Evidence] | None = None,
) -> tuple[list[EntityTag], list[EntityTag]]:
    """(trusted, candidates): what analysts see, and the POS guesses kept for review.

    Trusted: lexicon entities (by mention) then names the text vouches for (``evidence``, see
    :mod:`nlp.tagging.entity_evidence`), each most frequent first. ``candidates`` are (word,
    kind, count) from jieba POS flags (see keywords_and_candidates); the ones without evidence
    come back second and never reach tags, facets or the API.
    """
    found: dict[str, EntityTag] = {}
    aliases_seen: set[str] = set()
    for m in mentions:
        t = m.target
        if t.kind != "entity":
            continue
        aliases_seen.add(m.alias)
        tag = found.get(t.name)
        if tag is None:
            found[t.name] = EntityTag(t.name, t.entity_kind, 0.0, 1, True)
        else:
            tag.count += 1
    for tag in found.values():
        tag.confidence = confidence_from_count(0.9, tag.count)
    confirmed = sorted(found.values(), key=lambda e: (-e.count, e.name))
    # a fragment or a merge of a name the lexicon found (刘强|东, 李佳琦和薇娅) is not new
    def fresh_name(name: str) -> bool:
        return not any(name in a or a in name for a in aliases_seen)

    vouched = [ev for ev in (evidence or {}).values() if fresh_name(ev.name)]
    vouched.sort(key=lambda ev: (-ev.count, ev.name))
    trusted = confirmed + [
        EntityTag(ev.name, ev.kind, confidence_from_count(_EVIDENCE_BASE[ev.how], ev.count, 0.85),
                  ev.count, False, ev.how)
        for ev in vouched[:MAX_CANDIDATES]
    ]
    names = {e.name for e in trusted}
    fresh = [c for c in candidates if fresh_name(c[0]) and c[0] not in names]
    fresh.sort(key=lambda c: (-c[2], c[0]))
    guesses = [
        EntityTag(word, kind, confidence_from_count(0.3 if kind == "person" else 0.25, c, 0.6), c, False, "pos")
        for word, kind, c in fresh[:MAX_CANDIDATES]
    ]
    return trusted, guesses


#: starting confidence of a name the text vouches for, by kind of evidence
_EVIDENCE_BASE = {"role": 0.6, "suffix": 0.6, "latin": 0.5}


# ---------------------------------------------------------------- editor review


@dataclass
class EntityCandidate:
    name: str
    kind: str
    docs: int  # documents it occurs in
    mentions: int  # total mentions
    confidence: float  # mean per-document confidence
    kinds: dict[str, int] = field(default_factory=dict)  # every kind it was tagged as


def entity_candidates_report(
    documents: Iterable[Tags | Iterable[EntityTag]],
    *,
    min_docs: int = 3,
    limit: int = 100,
) -> list[EntityCandidate]:
    """Unconfirmed candidates that recur over many documents, most documents first.

    ``documents`` yields each document's :class:`Tags` (or its entity list, e.g. rebuilt from
    the store). Candidates already confirmed or rejected in the current lexicon are skipped,
    so the report shrinks as the editor works through it.
    """
    lex = _lexicon.get()
    docs: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    conf: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = {}
    for doc in documents:
        ents = [*doc.entities, *doc.candidates] if isinstance(doc, Tags) else doc
        seen: set[str] = set()
        for e in ents:
            if e.confirmed or e.name in seen:
                continue
            seen.add(e.name)
            docs[e.name] += 1
            mentions[e.name] += e.count
            conf[e.name] += e.confidence
            kinds.setdefault(e.name, Counter())[e.kind] += 1
    out = []
    for name, d in docs.items():
        if d < min_docs or name in lex.entities or name in lex.rejected or name.lower() in lex.table:
            continue
        k = kinds[name]
        out.append(EntityCandidate(name, k.most_common(1)[0][0], d, mentions[name],
                                   round(conf[name] / d, 3), dict(k)))
    out.sort(key=lambda c: (-c.docs, -c.mentions, c.name))
    return out[:limit]


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def confirm_entities(
    entries: Iterable[tuple[str, str] | tuple[str, str, list[str]]],
    directory: str | Path | None = None,
) -> Path:
    """Append confirmed entities ``(name, kind[, aliases])`` to the user lexicon's entities.toml.

    ``directory`` defaults to the user lexicon directory (DAIHUO_LEXICON_DIR). The lexicon
    cache is dropped so the next document is tagged with them; stored documents need
    ``daihuo reprocess`` (the lexicon version changes).
    """
    path = _user_file(directory)
    lines = []
    for entry in entries:
        name, kind = entry[0], entry[1]
        aliases = list(entry[2]) if len(entry) > 2 else []  # type: ignore[misc]
        if kind not in ("person", "brand", "mcn", "company", "place"):
            raise ValueError(f"unknown entity kind {kind!r}")
        lines += ["", "[[entity]]", f"name = {_toml_str(name)}", f"kind = {_toml_str(kind)}",
                  "aliases = [" + ", ".join(map(_toml_str, aliases)) + "]"]
    _append(path, lines)
    return path


def reject_candidates(names: Iterable[str], directory: str | Path | None = None) -> Path:
    """Record candidates an editor rejected, so the report stops showing them."""
    path = _user_file(directory)
    names = list(names)
    if names:
        # TOML allows a table once per file: rejected names go in their own array-of-tables
        _append(path, ["", "[[rejected_batch]]",
                       "names = [" + ", ".join(map(_toml_str, names)) + "]"])
    return path


def _user_file(directory: str | Path | None) -> Path:
    d = Path(directory) if directory is not None else _lexicon.user_dir()
    if d is None:
        raise RuntimeError("no user lexicon directory: set DAIHUO_LEXICON_DIR or pass directory")
    d.mkdir(parents=True, exist_ok=True)
    return d / "entities.toml"


def _append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    _lexicon.reload()
