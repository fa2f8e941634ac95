"""The user query language, parsed into a tree and compiled safely for each engine.

Syntax (Google-like, forgiving):

    快手 扶持计划          words: all must match (AND)
    "品牌 自播"            exact phrase (also “…”)
    快手 OR 抖音           either; OR binds tighter than the implicit AND:
                           直播 快手 OR 抖音  =  直播 AND (快手 OR 抖音)
    -抖音   NOT 抖音       exclusion (needs at least one word to exclude from)
    (快手 OR 抖音) 带货    grouping

Every word is analysed by the caller's ``analyze`` (segmentation, Traditional→Simplified,
lower-casing): a CJK word becomes the AND of its terms, a phrase the sequence of its terms.
Malformed input never reaches an engine as syntax: an unclosed quote or bracket closes at the
end, a stray ``)`` is ignored, an operator with nothing to join (``OR``, ``AND``, ``NOT`` at an
edge) is searched as a word, and characters like ``*`` or ``^`` are only ever analysed text.
Leaf terms reach SQLite as FTS5 string literals and PostgreSQL as bound parameters of
``phraseto_tsquery``; the operators between them are produced here, never copied from input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage.facets import MARK

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
MAX_DEPTH = 8

OPEN_QUOTES = {'"': '"', "“": "”", "「": "」"}
OPEN_PARENS = "(（"
CLOSE_PARENS = ")）"
NEGATORS = "-－"


class QueryError(ValueError):
    """A query that cannot be searched (explained in the message)."""


# -- the tree -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Leaf:
    """One term, or a phrase: terms that must appear consecutively."""

    terms: tuple[str, ...]


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Leaf | And | Or | Not


def fts5_literal(term: str) -> str:
    """Text as an FTS5 string literal (a phrase of its own tokens): never syntax."""
    return '"' + term.replace('"', '""') + '"'


@dataclass(frozen=True)
class Query:
    root: Node
    text: str

    def terms(self) -> list[str]:
        """The terms that a hit matches (exclusions left out): what a snippet marks."""
        out: list[str] = []

        def walk(node: Node) -> None:
            if isinstance(node, Leaf):
                out.extend(node.terms)
            elif isinstance(node, (And, Or)):
                for child in node.children:
                    walk(child)

        walk(self.root)
        return list(dict.fromkeys(out))

    def positive(self) -> Query:
        """The query without its exclusions: what ranking scores (a NOT part matches nothing)."""
        return Query(_strip_not(self.root) or self.root, self.text)

    def fts5(self) -> str:
        """The FTS5 MATCH expression (leaves quoted as literals; operators ours)."""
        return _fts5(self.root)

    def tsquery(self, params: dict, prefix: str = "tq") -> str:
        """A PostgreSQL tsquery SQL expression; leaf text is added to ``params`` and bound."""
        return _tsquery(self.root, params, prefix)


def _strip_not(node: Node) -> Node | None:
    if isinstance(node, Not):
        return None
    if isinstance(node, Leaf):
        return node
    kept = [k for k in (_strip_not(c) for c in node.children) if k is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else type(node)(tuple(kept))


def _fts5(node: Node) -> str:
    if isinstance(node, Leaf):
        return fts5_literal(" ".join(node.terms))
    if isinstance(node, Or):
        return "(" + " OR ".join(_fts5(c) for c in node.children) + ")"
    if isinstance(node, And):
        pos = [c for c in node.children if not isinstance(c, Not)]
        neg = [c.child for c in node.children if isinstance(c, Not)]
        expr = "(" + " AND ".join(_fts5(c) for c in pos) + ")"
        if neg:  # FTS5's NOT is binary: positives NOT (any negative)
            expr = "(" + expr + " NOT (" + " OR ".join(_fts5(c) for c in neg) + "))"
        return expr
    raise QueryError("an exclusion needs a word to exclude from")  # normalised away earlier


def _tsquery(node: Node, params: dict, prefix: str) -> str:
    if isinstance(node, Leaf):
        name = f"{prefix}{len(params)}"
        params[name] = " ".join(node.terms)
        # phraseto_tsquery parses plain text (no operators) and keeps the order: a <-> b
        return f"phraseto_tsquery('simple', :{name})"
    if isinstance(node, Or):
        return "(" + " || ".join(_tsquery(c, params, prefix) for c in node.children) + ")"
    if isinstance(node, And):
        exprs = ["!!" + _tsquery(c.child, params, prefix) if isinstance(c, Not)
                 else _tsquery(c, params, prefix) for c in node.children]
        return "(" + " && ".join(exprs) + ")"
    raise QueryError("an exclusion needs a word to exclude from")


# -- tokenising -----------------------------------------------------------------------------
@dataclass
class _Tok:
    kind: str  # word | phrase | open | close | or | and | not
    text: str = ""
    negated: bool = False


def _tokenise(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negated = False
        if ch in NEGATORS and i + 1 < n and not text[i + 1].isspace() and text[i + 1] not in CLOSE_PARENS:
            negated, i = True, i + 1
            ch = text[i]
        if ch in OPEN_QUOTES:
            end = text.find(OPEN_QUOTES[ch], i + 1)
            end = n if end < 0 else end  # an unclosed quote closes at the end
            toks.append(_Tok("phrase", text[i + 1 : end], negated))
            i = end + 1
            continue
        if ch in OPEN_PARENS:
            if negated:
                toks.append(_Tok("not"))
            toks.append(_Tok("open"))
            i += 1
            continue
        if ch in CLOSE_PARENS:
            toks.append(_Tok("close"))
            i += 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in OPEN_QUOTES \
                and text[j] not in OPEN_PARENS and text[j] not in CLOSE_PARENS:
            j += 1
        word = text[i:j]
        i = j
        if not negated and word in ("OR", "|", "AND", "&", "NOT"):
            toks.append(_Tok({"OR": "or", "|": "or", "AND": "and", "&": "and", "NOT": "not"}[word], word))
        else:
            toks.append(_Tok("word", word, negated))
    return _resolve_operators(toks)


def _starts_operand(tok: _Tok | None) -> bool:
    return tok is not None and tok.kind in ("word", "phrase", "open", "not")


def _ends_operand(tok: _Tok | None) -> bool:
    return tok is not None and tok.kind in ("word", "phrase", "close")


def _resolve_operators(toks: list[_Tok]) -> list[_Tok]:
    """An operator with nothing to join is a plain word (searching `AND` finds "and")."""
    out: list[_Tok] = []
    for k, tok in enumerate(toks):
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        prev = out[-1] if out else None
        if tok.kind in ("or", "and") and not (_ends_operand(prev) and _starts_operand(nxt)):
            tok = _Tok("word", tok.text)
        elif tok.kind == "not" and not _starts_operand(nxt):
            tok = _Tok("word", tok.text)
        out.append(tok)
    return out


# -- parsing --------------------------------------------------------------------------------
class _Parser:
    def __init__(self, toks: list[_Tok], analyze: Callable[[str], list[str]]) -> None:
        self.toks = toks
        self.pos = 0
        self.analyze = analyze
        self.depth = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def parse_and(self) -> Node | None:
        """Operands until the end or a closing bracket (implicit AND)."""
        children: list[Node] = []
        while (tok := self.peek()) is not None:
            if tok.kind == "close":
                if self.depth > 0:
                    break
                self.pos += 1  # a stray ')' at top level is ignored
                continue
            if tok.kind == "and":
                self.pos += 1
                continue
            node = self.parse_or()
            if node is not None:
                children.append(node)
        return _and(children)

    def parse_or(self) -> Node | None:
        alts = [self.parse_unary()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.pos += 1
            alts.append(self.parse_unary())
        kept = [a for a in alts if a is not None]
        if not kept:
            return None
        if len(kept) == 1:
            return kept[0]
        if any(isinstance(a, Not) for a in kept):
            raise QueryError("an exclusion cannot be one side of OR (write: 快手 -抖音)")
        flat: list[Node] = []
        for a in kept:
            flat.extend(a.children if isinstance(a, Or) else (a,))
        return Or(tuple(dict.fromkeys(flat)))

    def parse_unary(self) -> Node | None:
        tok = self.peek()
        if tok is None:
            return None
        if tok.kind == "not":
            self.pos += 1
            inner = self.parse_unary()
            return _not(inner)
        if tok.kind == "open":
            self.pos += 1
            if self.depth >= MAX_DEPTH:
                raise QueryError(f"brackets nest too deeply (at most {MAX_DEPTH} levels)")
            self.depth += 1
            inner = self.parse_and()
            self.depth -= 1
            if (t := self.peek()) is not None and t.kind == "close":
                self.pos += 1  # an unclosed '(' closes at the end
            return inner
        self.pos += 1
        if tok.kind == "phrase":
            terms = tuple(self.analyze(tok.text))
            node: Node | None = Leaf(terms) if terms else None
        else:  # a word; also a lone operator-looking token resolved to a word
            node = _and([Leaf((t,)) for t in _without_implied(self.analyze(tok.text), self.analyze)])
        return _not(node) if tok.negated else node


def _without_implied(terms: list[str], analyze: Callable[[str], list[str]]) -> list[str]:
    """A word's terms without those its longer terms imply: documents are indexed with the
    sub-words of every long word (search-mode segmentation), so 微信视频号 already means
    微信 AND 视频 AND 视频号, and each extra AND costs the engine a doclist walk."""
    implied: set[str] = set()
    for long in terms:
        if len(long) > 2 and long not in implied:
            implied.update(t for t in analyze(long) if t != long)
    return [t for t in terms if t not in implied]


def _and(children: list[Node]) -> Node | None:
    flat: list[Node] = []
    for c in children:
        flat.extend(c.children if isinstance(c, And) else (c,))
    flat = list(dict.fromkeys(flat))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _not(node: Node | None) -> Node | None:
    if node is None:
        return None
    if isinstance(node, Not):  # NOT NOT x: still a plain exclusion of nothing useful
        raise QueryError("a double exclusion (NOT -word) is not supported")
    return Not(node)


def _check(node: Node) -> int:
    """Validate the normalised tree; returns its number of leaf terms."""
    if isinstance(node, Leaf):
        return len(node.terms)
    if isinstance(node, Not):
        raise QueryError("the query only excludes words: add a word to search for (e.g. 快手 -抖音)")
    if isinstance(node, Or):
        return sum(_check(c) for c in node.children)
    pos = [c for c in node.children if not isinstance(c, Not)]
    if not pos:
        raise QueryError("the query only excludes words: add a word to search for (e.g. 快手 -抖音)")
    return sum(_check(c) for c in pos) + sum(_check(c.child) for c in node.children if isinstance(c, Not))


def parse_query(text: str, analyze: Callable[[str], list[str]]) -> Query:
    """Parse user query text; raises QueryError (only) with a message meant for the user."""
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    # the filter words' mark (storage.facets) is never text: a query can't match them
    root = _Parser(_tokenise(text.replace(MARK, " ")), analyze).parse_and()
    if root is None:
        raise QueryError("the query has no searchable words")
    n_terms = _check(root)
    if n_terms > MAX_TERMS:
        raise QueryError(f"the query has too many terms ({n_terms}; at most {MAX_TERMS})")
    return Query(root, text)
