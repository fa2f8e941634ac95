"""Search on both engines (SQLite FTS5, PostgreSQL tsvector): the query language, ranking,
filters, facets, cluster collapsing, pagination, snippets, and malformed queries."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from test_search_corpus import CLUSTER, T0

import storage.search as search_mod
from daihuo.analysis.query_terms import query_terms
from storage.query import And, Leaf, Not, Or, QueryError, parse_query
from storage.search import SearchRequest, make_snippet, search


def run(corpus, query, **kw):
    store, ids = corpus
    names = {v: k for k, v in ids.items()}
    res = search(store.engine, SearchRequest(query, **kw), query_terms)
    return [names[h.id] for h in res.hits], res


# -- the query language (no database) ---------------------------------------------------------
def test_words_phrases_or_not_parse_into_a_tree():
    q = parse_query('直播电商 "品牌 自播" 快手 OR 抖音 -假货', query_terms)
    # 直播电商 implies its sub-words 直播 and 电商 (documents index them with it)
    assert q.root == And((Leaf(("直播电商",)), Leaf(("品牌", "自播")),
                          Or((Leaf(("快手",)), Leaf(("抖音",)))), Not(Leaf(("假货",)))))
    assert q.terms() == ["直播电商", "品牌", "自播", "快手", "抖音"]  # no 假货
    assert q.fts5() == '(("直播电商" AND "品牌 自播" AND ("快手" OR "抖音")) NOT ("假货"))'
    params: dict = {}
    assert "!!phraseto_tsquery('simple', :tq" in q.tsquery(params)
    assert "品牌 自播" in params.values()


@pytest.mark.parametrize("text_, fts", [
    ("AND", '"and"'),                      # a lone operator is a word
    ("OR NOT", '("or" AND "not")'),
    ("NEAR(", '"near"'),                   # an unclosed bracket closes at the end
    ("');DROP", '"drop"'),
    ('"品牌自播', '"品牌 自播 品牌自播"'),   # an unclosed quote closes at the end
    ("title_terms:x", '("title" AND "terms" AND "x")'.replace('"title" AND "terms"', '"title_terms"')),
    ('a"b', '("a" AND "b")'),
    ("快手 ) 带货", '("快手" AND "带货")'),  # a stray bracket is ignored
])
def test_malformed_text_becomes_a_literal_search(text_, fts):
    assert parse_query(text_, query_terms).fts5() == fts


@pytest.mark.parametrize("text_, message", [
    ('"', "no searchable words"),
    ("*", "no searchable words"),
    ("  ", "no searchable words"),
    ("-抖音", "only excludes"),
    ("快手 OR -抖音", "cannot be one side of OR"),
    ("带货" * 5000, "too long"),
    ("(" * 20 + "x", "nest too deeply"),
    (" ".join(f"词{i}" for i in range(40)), "too many terms"),
])
def test_unsearchable_queries_are_clear_errors(text_, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text_, query_terms)


def test_snippet_marks_matches_in_original_text():
    s = make_snippet("很长的前文。" * 10 + "快手电商发布扶持计划", ["扶持计划"])
    assert "【扶持计划】" in s and s.startswith("…")
    # the window showing the most query words wins over the first match
    body = "快手" + "。" * 200 + "快手电商的扶持计划今年继续"
    assert "【快手】电商的【扶持计划】" in make_snippet(body, ["快手", "扶持计划"])


@pytest.mark.parametrize("terms", [["扶持计划"], ["快手", "扶持计划"], ["Live"], ["缺席"]])
def test_an_unmarked_snippet_is_the_marked_one_without_its_marks(terms):
    """Exports ask for no marks (a faster path): the same window, the same text."""
    bodies = ["很长的前文。" * 10 + "快手电商发布扶持计划", "快手" + "。" * 200 + "快手电商的扶持计划今年继续",
              "live\nLIVE 直播" * 30, "没有一个词在这里。" * 20, ""]
    for body in bodies:
        plain = make_snippet(body, terms, mark=("", ""))
        assert plain == make_snippet(body, terms).replace("【", "").replace("】", "")


# -- both engines -----------------------------------------------------------------------------
def test_words_are_anded_and_title_outranks_body(corpus):
    hits, res = run(corpus, "主播", collapse=False)
    assert set(hits) == {"a2", "a3", "a10"}
    assert hits[-1] == "a2"  # only in the body, once; a3 and a10 have it in the title
    hits, _ = run(corpus, "快手 假货")
    assert hits == ["a9"]


def test_phrase_needs_the_words_together(corpus):
    assert run(corpus, "品牌 自播")[0] == ["a2", "a8"]  # both words, anywhere
    assert run(corpus, '"品牌自播"')[0] == ["a2"]       # a8 has 品牌 and 自播 apart


def test_or_and_exclusion(corpus):
    assert set(run(corpus, "假货 OR 偷逃税")[0]) == {"a9", "a3"}
    hits, _ = run(corpus, "快手 -假货 -扶持", collapse=False)
    assert set(hits) == {"a3", "a4", "a12"}
    assert set(run(corpus, "(税务 OR 假货) 快手")[0]) == {"a3", "a9"}


@pytest.mark.parametrize("kw, expected", [
    ({"platform": "抖音"}, {"a3", "a12"}),
    ({"topic": "监管与合规"}, {"a3", "a9"}),
    ({"entity": "薇娅"}, {"a3"}),
    ({"source": "日报"}, {"a3", "a4", "a9"}),
    ({"status": "published"}, {"a4"}),
    ({"since": T0 - timedelta(days=25)}, {"a1", "a6", "a7", "a3", "a4"}),
    ({"until": T0 - timedelta(days=25)}, {"a9", "a12"}),
])
def test_filters(corpus, kw, expected):
    hits, res = run(corpus, "快手", collapse=False, **kw)
    assert set(hits) == expected and res.total == len(expected) and res.total_exact


def test_collapse_shows_one_hit_per_story_with_its_size(corpus):
    hits, res = run(corpus, "扶持计划")
    assert hits == [CLUSTER[0]] and res.total == 1  # the canonical member, though a6 scores higher
    assert res.hits[0].cluster_size == 3
    hits, res = run(corpus, "扶持计划", collapse=False)
    assert set(hits) == set(CLUSTER) and hits[0] != CLUSTER[0] and res.total == 3
    # a story whose canonical member does not match is shown by its best matching member
    assert run(corpus, "中小商家 领取")[0] == ["a7"]
    _, ids = corpus
    cluster_id = res.hits[0].cluster_id
    hits, _ = run(corpus, "流量券", cluster=cluster_id, collapse=False)
    assert set(hits) == set(CLUSTER)


def test_sort_by_date_and_recency(corpus):
    hits, _ = run(corpus, "快手", sort="date", collapse=False)
    assert hits == ["a7", "a6", "a1", "a3", "a4", "a9", "a12"]
    # a12 (400 days old) outranks nothing once recency counts; without it, it can
    plain, _ = run(corpus, "退货", collapse=False)
    recent, res = run(corpus, "退货 OR 假货", recency=True, now=T0, collapse=False)
    assert plain == ["a12"] and recent[0] == "a9"


def test_pagination_is_stable_and_complete(corpus):
    full, res = run(corpus, "直播 OR 电商 OR 商家", collapse=False, per_page=50)
    assert res.total == len(full) > 6
    pages = [run(corpus, "直播 OR 电商 OR 商家", collapse=False, per_page=4, page=p)[0] for p in (1, 2, 3)]
    assert sum(pages, []) == full[:12]
    assert run(corpus, "直播 OR 电商 OR 商家", per_page=4, page=1)[0] == \
        run(corpus, "直播 OR 电商 OR 商家", per_page=4, page=1)[0]
    empty, res = run(corpus, "快手", page=9, per_page=10)
    assert empty == [] and res.total == 5


def test_facets_count_stories_over_the_whole_match_set(corpus):
    _, res = run(corpus, "快手", per_page=1)
    f = res.facets
    assert dict(f["platform"]) == {"快手": 5, "抖音": 2}  # the 3 reposts count as one story
    assert dict(f["source"]) == {"日报": 3, "观察网": 2, "农场站": 1} or dict(f["source"]) == \
        {"日报": 3, "观察网": 2}  # the story's members may come from several sources
    assert dict(f["status"]) == {"new": 4, "published": 1}
    assert dict(f["topic"])["监管与合规"] == 2 and dict(f["entity"]) == {"薇娅": 1}
    assert [m for m, _ in f["month"]] == sorted({m for m, _ in f["month"]}, reverse=True)
    _, res = run(corpus, "快手", collapse=False)
    assert dict(res.facets["platform"])["快手"] == 7


def test_hits_carry_snippet_from_original_body_and_tags(corpus):
    _, res = run(corpus, "临沂 产业带")
    (hit,) = res.hits
    assert "【临沂】" in hit.snippet and "【产业带】" in hit.snippet
    assert hit.platforms == ["快手"] and hit.topics == ["产业带与供应链"] and hit.source == "日报"
    assert hit.status == "published" and hit.published_at == T0 - timedelta(days=20)


def test_totals_facets_and_pages_are_exact_over_every_match(corpus):
    """No candidate cap: the total is the number of matches, facets count all of them, and
    the last page of a deep walk is reachable."""
    store, _ = corpus
    hits, res = run(corpus, "快手", status="new", collapse=False, per_page=2)
    assert res.total == 6 and res.total_exact
    walked = sum((run(corpus, "快手", status="new", collapse=False, per_page=2, page=p)[0]
                  for p in (1, 2, 3)), [])
    assert len(set(walked)) == 6 and run(corpus, "快手", status="new", collapse=False, per_page=2, page=4)[0] == []


@pytest.mark.parametrize("q, kw", [("快手", {}), ("直播 OR 电商 OR 商家", {"status": "new"}), ("", {"platform": "快手"})])
def test_facet_counts_equal_a_group_by_over_the_same_matches(corpus, q, kw):
    store, _ = corpus
    _, res = run(corpus, q, collapse=False, per_page=1000, **kw)
    ids = ",".join(str(h.id) for h in res.hits)
    assert res.total == len(res.hits) > 2
    with store.engine.connect() as conn:
        for kind in ("platform", "topic", "entity"):
            grouped = conn.execute(text(
                f"SELECT value, count(*) FROM tags WHERE kind = :k AND article_id IN ({ids}) GROUP BY value"),
                {"k": kind}).all()
            assert dict(res.facets[kind]) == dict(grouped), kind
        grouped = conn.execute(text(
            f"SELECT s.name, count(*) FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id IN ({ids})"
            " GROUP BY s.name")).all()
        assert dict(res.facets["source"]) == dict(grouped)
    months: dict[str, int] = {}
    for h in res.hits:
        if h.published_at:
            key = h.published_at.strftime("%Y-%m")
            months[key] = months.get(key, 0) + 1
    assert dict(res.facets["month"]) == months


@pytest.mark.parametrize("kw", [{"platform": "快手"}, {"source": "日报"}, {"status": "published"},
                                {"since": T0 - timedelta(days=25)}, {"platform": "抖音", "sort": "date"}])
def test_an_empty_query_browses_the_filtered_articles_newest_first(corpus, kw):
    store, ids = corpus
    hits, res = run(corpus, "", collapse=False, per_page=100, **kw)
    assert hits and res.total == len(hits) and res.terms == []
    pubs = [h.published_at for h in res.hits]
    assert pubs == sorted(pubs, reverse=True)
    # the same set as the filter alone in SQL
    conds, params = [], {}
    for key, value in kw.items():
        if key in ("platform",):
            conds.append("id IN (SELECT article_id FROM tags WHERE kind = 'platform' AND value = :p)")
            params["p"] = value
        elif key == "source":
            conds.append("source_id IN (SELECT id FROM sources WHERE name = :s)")
            params["s"] = value
        elif key == "status":
            conds.append("status = :st")
            params["st"] = value
        elif key == "since":
            conds.append("published_at >= :since")
            params["since"] = search_mod.db_param(value, store.engine.dialect.name)
    with store.engine.connect() as conn:
        expected = set(conn.execute(text("SELECT id FROM articles WHERE " + " AND ".join(conds)), params).scalars())
    assert {ids[h] for h in hits} == expected
    assert res.facets["platform"]  # facets describe the browsed set too


def test_an_empty_query_without_a_filter_is_a_clear_error(corpus):
    with pytest.raises(QueryError, match="filter"):
        run(corpus, "  ")


@pytest.mark.parametrize("evil", ['"', "AND", "*", "NEAR(", "');DROP TABLE articles;--", "a" * 10000,
                                  "title_terms:x", "^带货", "OR NOT", "快手 NEAR/3 抖音", "x' OR '1'='1",
                                  "\\", "a:b:c", "{title_terms body_terms}: x", "!!快手", "快手 & | !"])
def test_malformed_queries_never_reach_the_engine_as_syntax(corpus, evil):
    store, _ = corpus
    try:
        _, res = run(corpus, evil)
    except QueryError as exc:
        assert str(exc)  # a clear message, not an SQL error
    else:
        assert all(h.url.startswith("http://news.test/") for h in res.hits)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 12


def test_bad_request_values_are_query_errors(corpus):
    for kw in ({"sort": "popularity"}, {"status": "deleted"}, {"per_page": 0}, {"page": 0}):
        with pytest.raises(QueryError):
            run(corpus, "快手", **kw)
