"""Auto-publish rules: data in the store, evaluated when new articles arrive.

A rule is a condition, an action (approve | reject | feature) and a position. Rules are
tried in position order and the first enabled rule whose condition holds decides; the
decision goes through editorial.curation, so it is recorded as a curation event with the
rule's name as the actor and the rule itself as the reason. An article no rule matches stays
in the queue for a person.

Condition syntax: clauses joined by ``and``; each may start with ``not``/``no``::

    tier A                      the source's tier (A, B or C); ``tier A,B`` = either
    source demo-news[,other]    the source's name
    platform [抖音,快手]         has a platform tag (any, or one of these)
    topic [直播电商]             has a topic tag (any, or one of these)
    flag ad_contact[,...]       the cleaner flagged the page (``spam`` = promotional junk)
    body >= 300                 body length in characters (< <= > >= =)
    cluster > 1                 size of the article's story cluster
    title contains 双十一        the title contains a word
    dated                       the page had a publication date

e.g. ``tier A and platform and no flag spam`` → approve.
"""

from __future__ import annotations

import operator
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select, update

from editorial import curation
from editorial.sources import audit
from storage.console_models import TIERS, PublishRule, SourceMeta
from storage.models import Article, Cluster, Source, Tag
from storage.timestamps import from_db, now_utc

ACTIONS = ("approve", "reject", "feature")
#: cleaner flags that mark a page as promotional junk (see nlp/extract/clean.py)
SPAM_FLAGS = ("ad_contact", "seo_injection")
_NAME = re.compile(r"^[\w.-]{1,100}$")
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
        "=": operator.eq, "==": operator.eq}
_AND = re.compile(r"\s+(?:and|AND|&&)\s+|\s*&&\s*")


class RuleError(ValueError):
    """A rule that cannot be saved: bad name, action or condition (the message says where)."""


@dataclass(frozen=True)
class Clause:
    key: str  # tier | source | platform | topic | flag | body | cluster | title | dated
    values: tuple = ()
    op: str | None = None
    negate: bool = False

    def text(self) -> str:
        head = ("no " if self.key in ("flag", "platform", "topic") else "not ") if self.negate else ""
        if self.op:
            return f"{head}{self.key} {self.op} {self.values[0]}"
        if self.key == "title":
            return f"{head}title contains {self.values[0]}"
        return f"{head}{self.key}" + (" " + ",".join(map(str, self.values)) if self.values else "")


@dataclass
class Facts:
    """What a condition can look at, for one article."""

    article_id: int
    source: str | None
    tier: str
    platforms: set[str]
    topics: set[str]
    flags: set[str]
    body_chars: int
    cluster_size: int
    title: str
    dated: bool


def _split_values(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in re.split(r"[,，\s]+", text) if v.strip())


def parse_condition(text: str) -> list[Clause]:
    """The clauses of a condition, or RuleError naming the clause that is wrong."""
    if not text or not text.strip():
        raise RuleError("a condition needs at least one clause")
    clauses = []
    for raw in _AND.split(text.strip()):
        words = raw.strip()
        negate = False
        m = re.match(r"^(not|no|!)\s*(.*)$", words, re.I)
        if m and m.group(2):
            negate, words = True, m.group(2).strip()
        head, _, rest = words.partition(" ")
        key, rest = head.lower(), rest.strip()
        if key == "tier":
            rest = re.sub(r"^(is|in|=)\s+", "", rest, flags=re.I)
            vals = tuple(v.upper() for v in _split_values(rest))
            if not vals or any(v not in TIERS for v in vals):
                raise RuleError(f"clause {raw!r}: tier takes {', '.join(TIERS)}")
            clauses.append(Clause("tier", vals, negate=negate))
        elif key in ("source", "platform", "topic", "flag"):
            rest = re.sub(r"^(is|in|=)\s+", "", rest, flags=re.I)
            vals = _split_values(rest)
            if key in ("source", "flag") and not vals:
                raise RuleError(f"clause {raw!r}: {key} needs a name")
            if key == "flag":
                vals = tuple(dict.fromkeys(f for v in vals for f in (SPAM_FLAGS if v == "spam" else (v,))))
            clauses.append(Clause(key, vals, negate=negate))
        elif key in ("body", "cluster"):
            m2 = re.match(r"^(<=|>=|==|<|>|=)\s*(\d{1,9})$", rest)
            if not m2:
                raise RuleError(f"clause {raw!r}: write e.g. '{key} >= 300'")
            clauses.append(Clause(key, (int(m2.group(2)),), op=m2.group(1), negate=negate))
        elif key == "title":
            m2 = re.match(r"^contains\s+(.+)$", rest, re.I)
            if not m2:
                raise RuleError(f"clause {raw!r}: write 'title contains WORD'")
            clauses.append(Clause("title", (m2.group(1).strip(),), negate=negate))
        elif key == "dated" and not rest:
            clauses.append(Clause("dated", negate=negate))
        else:
            raise RuleError(f"clause {raw!r}: unknown; use tier, source, platform, topic, flag, "
                            "body, cluster, title contains, dated")
    return clauses


#: resolves a (kind, value) of a rule to its canonical value or raises ValueError with help;
#: by default the store's own vocabulary (editorial.filter_values: lexicon aliases, the
#: store's tags and sources, the closest known values)
ValueResolver = Callable[[str, str], str]
STORE_VOCABULARY = "store"
RESOLVED_KEYS = ("source", "platform", "topic")


def canonical_condition(text: str, resolve: ValueResolver | None = None) -> str:
    """The condition rewritten in one spelling (what is stored and shown); with ``resolve``,
    source/platform/topic values become canonical and an unknown one is a RuleError."""
    clauses = parse_condition(text)
    if resolve is not None:
        fixed = []
        for c in clauses:
            if c.key in RESOLVED_KEYS and c.values:
                try:
                    c = Clause(c.key, tuple(dict.fromkeys(resolve(c.key, v) for v in c.values)),
                               c.op, c.negate)
                except ValueError as exc:
                    raise RuleError(f"clause {c.text()!r}: {exc}") from None
            fixed.append(c)
        clauses = fixed
    return " and ".join(c.text() for c in clauses)


def holds(clause: Clause, facts: Facts) -> bool:
    key, vals = clause.key, clause.values
    if key == "tier":
        got = facts.tier in vals
    elif key == "source":
        got = facts.source in vals
    elif key in ("platform", "topic"):
        have = facts.platforms if key == "platform" else facts.topics
        got = bool(have & set(vals)) if vals else bool(have)
    elif key == "flag":
        got = bool(facts.flags & set(vals))
    elif key in ("body", "cluster"):
        value = facts.body_chars if key == "body" else facts.cluster_size
        got = _OPS[clause.op](value, vals[0])
    elif key == "title":
        got = vals[0].lower() in facts.title.lower()
    else:
        got = facts.dated
    return got != clause.negate


def matches(clauses: list[Clause], facts: Facts) -> bool:
    return all(holds(c, facts) for c in clauses)


# -- rules in the store ----------------------------------------------------------------------
@dataclass
class Rule:
    id: int
    name: str
    condition: str
    action: str
    position: int
    enabled: bool
    created_by: str
    created_at: datetime | None
    updated_at: datetime | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


_RULES = PublishRule.__table__


def _rule(row) -> Rule:  # noqa: ANN001
    return Rule(row.id, row.name, row.condition, row.action, row.position, bool(row.enabled),
                row.created_by, from_db(row.created_at), from_db(row.updated_at))


def list_rules(engine: Engine) -> list[Rule]:
    with engine.connect() as conn:
        rows = conn.execute(select(_RULES).order_by(_RULES.c.position, _RULES.c.id)).all()
        return [_rule(r) for r in rows]


def get_rule(engine: Engine, name: str) -> Rule:
    with engine.connect() as conn:
        row = conn.execute(select(_RULES).where(_RULES.c.name == name)).first()
    if row is None:
        raise RuleError(f"no rule {name!r}")
    return _rule(row)


def _check(name: str | None, action: str | None) -> None:
    if name is not None and not _NAME.match(name):
        raise RuleError("a rule name is 1 to 100 letters, digits, '.', '-' or '_'")
    if action is not None and action not in ACTIONS:
        raise RuleError(f"action must be one of {', '.join(ACTIONS)}")


def _resolver(engine: Engine, resolve: ValueResolver | str | None) -> ValueResolver | None:
    if resolve == STORE_VOCABULARY:
        from editorial.filter_values import rule_resolver

        return rule_resolver(engine)
    return resolve  # type: ignore[return-value]


def add_rule(engine: Engine, name: str, condition: str, action: str, actor: str, *,
             position: int | None = None, enabled: bool = True,
             resolve: ValueResolver | str | None = STORE_VOCABULARY) -> Rule:
    """Store a rule (validated: source/platform/topic values must be known, see ``resolve``);
    without ``position`` it goes last."""
    _check(name, action)
    text = canonical_condition(condition, _resolver(engine, resolve))
    now = now_utc()
    with engine.begin() as conn:
        if conn.execute(select(PublishRule.id).where(PublishRule.name == name)).first():
            raise RuleError(f"a rule {name!r} exists already")
        if position is None:
            position = (conn.scalar(select(func.max(PublishRule.position))) or 0) + 10
        conn.execute(insert(PublishRule).values(name=name, condition=text, action=action,
                                                position=position, enabled=enabled,
                                                created_by=actor, created_at=now, updated_at=now))
        audit(conn, actor, "rule_add", name, {"condition": text, "action": action})
    return get_rule(engine, name)


def update_rule(engine: Engine, name: str, actor: str, *, condition: str | None = None,
                action: str | None = None, position: int | None = None,
                enabled: bool | None = None, resolve: ValueResolver | str | None = STORE_VOCABULARY) -> Rule:
    _check(None, action)
    values: dict = {}
    if condition is not None:
        values["condition"] = canonical_condition(condition, _resolver(engine, resolve))
    if action is not None:
        values["action"] = action
    if position is not None:
        values["position"] = position
    if enabled is not None:
        values["enabled"] = enabled
    if not values:
        raise RuleError("nothing to change")
    with engine.begin() as conn:
        if not conn.execute(update(PublishRule).where(PublishRule.name == name)
                            .values(updated_at=now_utc(), **values)).rowcount:
            raise RuleError(f"no rule {name!r}")
        audit(conn, actor, "rule_edit", name, values)
    return get_rule(engine, name)


def remove_rule(engine: Engine, name: str, actor: str) -> None:
    with engine.begin() as conn:
        if not conn.execute(delete(PublishRule).where(PublishRule.name == name)).rowcount:
            raise RuleError(f"no rule {name!r}")
        audit(conn, actor, "rule_remove", name)


# -- evaluation ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    article_id: int
    action: str  # approve | reject | feature
    rule: str
    reason: str


def article_facts(engine: Engine, article_ids: list[int], *, only_new: bool = True) -> list[Facts]:
    """Facts for the given articles (only those still "new" unless ``only_new`` is False)."""
    if not article_ids:
        return []
    out: list[Facts] = []
    with engine.connect() as conn:
        for i in range(0, len(article_ids), 500):
            chunk = sorted(set(article_ids[i : i + 500]))
            stmt = (select(Article.id, Article.title, Article.edited_title, Article.body,
                           Article.flags, Article.published_at, Article.cluster_id,
                           Source.name.label("source"), SourceMeta.tier, Cluster.size)
                    .outerjoin(Source, Source.id == Article.source_id)
                    .outerjoin(SourceMeta, SourceMeta.source_id == Article.source_id)
                    .outerjoin(Cluster, Cluster.id == Article.cluster_id)
                    .where(Article.id.in_(chunk)))
            if only_new:
                stmt = stmt.where(Article.status == "new")
            rows = conn.execute(stmt).all()
            tags: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
            for t in conn.execute(select(Tag.article_id, Tag.kind, Tag.value).where(
                    Tag.article_id.in_([r.id for r in rows]), Tag.kind.in_(("platform", "topic")))):
                tags[t.article_id][t.kind].add(t.value)
            for r in rows:
                flags = {k for k, v in (r.flags or {}).items() if v}
                out.append(Facts(r.id, r.source, r.tier or "B", set(tags[r.id]["platform"]),
                                 set(tags[r.id]["topic"]), flags, len(r.body or ""),
                                 int(r.size or 1), r.edited_title or r.title or "",
                                 r.published_at is not None))
    return out


def decide(rules: list[Rule], facts: Facts) -> Decision | None:
    """The first enabled rule that matches, as a decision (None: leave it to a person)."""
    for rule in rules:
        if rule.enabled and matches(parse_condition(rule.condition), facts):
            reason = f"auto-publish rule {rule.name!r} (#{rule.id}): {rule.condition} → {rule.action}"
            return Decision(facts.article_id, rule.action, rule.name, reason)
    return None


def evaluate_new_articles(engine: Engine, article_ids: list[int], *, apply: bool = True,
                          now: datetime | None = None) -> list[Decision]:
    """Run the rules over newly stored articles (those still "new") and carry out each
    decision through editorial.curation, which records it with its reason. With
    ``apply=False`` nothing changes (a preview). Returns the decisions made."""
    rules = [r for r in list_rules(engine) if r.enabled]
    if not rules or not article_ids:
        return []
    decisions = [d for f in article_facts(engine, list(article_ids)) if (d := decide(rules, f))]
    if not apply:
        return decisions
    by_rule: dict[tuple[str, str], list[Decision]] = defaultdict(list)
    for d in decisions:
        by_rule[(d.rule, d.action)].append(d)
    for (rule, action), group in by_rule.items():
        actor, reason = f"rule:{rule}", group[0].reason
        ids = [d.article_id for d in group]
        if action in ("approve", "feature"):
            curation.approve_many(engine, ids, actor, reason, now=now)
            if action == "feature":
                for i in ids:
                    curation.feature(engine, i, actor, reason, now=now)
        else:
            for i in ids:
                curation.reject(engine, i, actor, reason, now=now)
    return decisions


__all__ = ["ACTIONS", "SPAM_FLAGS", "Clause", "Decision", "Facts", "Rule", "RuleError",
           "add_rule", "article_facts", "canonical_condition", "decide", "evaluate_new_articles",
           "get_rule", "list_rules", "matches", "parse_condition", "remove_rule", "update_rule"]
