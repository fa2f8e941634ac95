"""Auto-publish rules: the condition language, storage, and evaluation on arrival with each
decision recorded (through editorial.curation) with its reason."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from editorial.curation import article_history
from editorial.rules import (
    Facts,
    RuleError,
    add_rule,
    canonical_condition,
    evaluate_new_articles,
    list_rules,
    matches,
    parse_condition,
    remove_rule,
    update_rule,
)
from storage.console_models import SourceMeta
from storage.models import Article, Cluster, Source, Tag

NOW = datetime(2026, 3, 20, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(migrated_engine):
    return migrated_engine


def facts(**kw):
    base = dict(article_id=1, source="a", tier="A", platforms={"抖音"}, topics=set(), flags=set(),
                body_chars=500, cluster_size=1, title="抖音直播带货新规", dated=True)
    return Facts(**{**base, **kw})


def test_condition_language():
    clauses = parse_condition("tier A and platform and no flag spam")
    assert matches(clauses, facts())
    assert not matches(clauses, facts(tier="B"))
    assert not matches(clauses, facts(platforms=set()))
    assert not matches(clauses, facts(flags={"ad_contact"}))  # spam = the promotional flags
    assert matches(clauses, facts(flags={"related_list"}))  # page chrome is not spam
    assert matches(parse_condition("tier A,B && platform 快手,抖音"), facts(tier="B"))
    assert not matches(parse_condition("platform 快手"), facts())
    assert matches(parse_condition("body >= 500 AND cluster = 1 and title contains 带货 and dated"), facts())
    assert not matches(parse_condition("body > 500"), facts())
    assert matches(parse_condition("not source a,b"), facts(source="c"))
    assert matches(parse_condition("topic"), facts(topics={"直播电商"}))
    assert canonical_condition("TIER a  and  no flag spam") == "tier A and no flag ad_contact,seo_injection"
    for bad, why in (("", "at least one"), ("tier Z", "tier takes"), ("body big", "body >= 300"),
                     ("colour red", "unknown"), ("source", "needs a name"), ("title 直播", "contains")):
        with pytest.raises(RuleError, match=why):
            parse_condition(bad)


def test_rules_are_data(engine):
    add_rule(engine, "trusted", "tier A and platform and no flag spam", "approve", "ed")
    add_rule(engine, "junk", "flag spam", "reject", "ed", position=1)
    assert [r.name for r in list_rules(engine)] == ["junk", "trusted"]  # by position
    with pytest.raises(RuleError, match="exists"):
        add_rule(engine, "junk", "flag spam", "reject", "ed")
    with pytest.raises(RuleError, match="action"):
        add_rule(engine, "x", "flag spam", "publish", "ed")
    with pytest.raises(RuleError, match="unknown"):
        update_rule(engine, "junk", "ed", condition="spamminess high")
    assert update_rule(engine, "junk", "ed", enabled=False).enabled is False
    remove_rule(engine, "junk", "ed")
    with pytest.raises(RuleError, match="no rule"):
        remove_rule(engine, "junk", "ed")
    assert [r.name for r in list_rules(engine)] == ["trusted"]


def _source(conn, name, tier=None):
    sid = conn.execute(insert(Source).values(name=name, kind="news", config={}, enabled=True,
                                             created_at=NOW, updated_at=NOW)).inserted_primary_key[0]
    if tier:
        conn.execute(insert(SourceMeta).values(source_id=sid, tier=tier, updated_at=NOW))
    return sid


def _article(conn, n, source_id, *, platforms=(), flags=None, status="new", cluster=None):
    aid = conn.execute(insert(Article).values(
        source_id=source_id, url=f"https://x.example.com/{n}.html", canonical_url=f"https://x.example.com/{n}.html",
        title=f"第{n}篇", body="直播带货" * 100, script="simplified", content_hash=f"h{n}",
        flags=flags or {}, status=status, cluster_id=cluster, published_at=NOW, created_at=NOW,
        updated_at=NOW)).inserted_primary_key[0]
    for p in platforms:
        conn.execute(insert(Tag).values(article_id=aid, kind="platform", value=p, score=1.0, count=1))
    return aid


def test_evaluated_on_arrival_and_recorded(engine):
    with engine.begin() as conn:
        a, b, c = _source(conn, "a-news", "A"), _source(conn, "b-news", "B"), _source(conn, "plain")
        cid = conn.execute(insert(Cluster).values(size=3, created_at=NOW, updated_at=NOW)).inserted_primary_key[0]
        ids = {
            "good": _article(conn, 1, a, platforms=["抖音"]),
            "spam": _article(conn, 2, a, platforms=["抖音"], flags={"ad_contact": 40}),
            "no_platform": _article(conn, 3, a),
            "tier_b": _article(conn, 4, b, platforms=["快手"]),
            "untiered": _article(conn, 5, c, platforms=["快手"]),  # no meta row: tier B
            "already": _article(conn, 6, a, platforms=["抖音"], status="rejected"),
            "repost": _article(conn, 7, b, platforms=["快手"], cluster=cid),
        }
    add_rule(engine, "trusted", "tier A and platform and no flag spam", "approve", "ed")
    add_rule(engine, "junk", "flag spam", "reject", "ed")
    add_rule(engine, "reposts", "cluster > 2 and tier B", "feature", "ed")
    add_rule(engine, "off", "tier B", "reject", "ed", enabled=False)

    preview = evaluate_new_articles(engine, list(ids.values()), apply=False, now=NOW)
    with engine.connect() as conn:
        assert {r.status for r in conn.execute(select(Article.status))} == {"new", "rejected"}

    decisions = evaluate_new_articles(engine, list(ids.values()), now=NOW)
    assert decisions == preview
    by_id = {d.article_id: d for d in decisions}
    assert by_id[ids["good"]].action == "approve" and by_id[ids["good"]].rule == "trusted"
    assert by_id[ids["spam"]].action == "reject" and by_id[ids["spam"]].rule == "junk"
    assert by_id[ids["repost"]].action == "feature"
    for left in ("no_platform", "tier_b", "untiered", "already"):  # no rule matched, or not new
        assert ids[left] not in by_id
    with engine.connect() as conn:
        status = dict(conn.execute(select(Article.id, Article.status)).all())
        featured = dict(conn.execute(select(Article.id, Article.featured)).all())
    assert status[ids["good"]] == "approved" and status[ids["spam"]] == "rejected"
    assert status[ids["repost"]] == "approved" and featured[ids["repost"]]
    assert status[ids["tier_b"]] == status[ids["untiered"]] == "new"
    assert status[ids["already"]] == "rejected"

    event = article_history(engine, ids["good"])[-1]
    assert event["action"] == "approve" and event["actor"] == "rule:trusted"
    assert "trusted" in event["reason"] and "tier A and platform" in event["reason"]
    assert article_history(engine, ids["spam"])[-1]["reason"].startswith("auto-publish rule 'junk'")
    assert [e["action"] for e in article_history(engine, ids["repost"])] == ["approve", "feature"]
    # decided articles are not decided again
    assert evaluate_new_articles(engine, list(ids.values()), now=NOW) == []


def test_rules_with_unknown_values_are_refused_at_save_time(engine):
    with engine.begin() as conn:
        _source(conn, "demo-news", tier="A")
    resolve = "store"  # the default: the store's vocabulary
    with pytest.raises(RuleError, match="不存在平台"):
        add_rule(engine, "never", "platform 不存在平台", "approve", "ed", resolve=resolve)
    with pytest.raises(RuleError, match="小红书"):
        add_rule(engine, "typo", "tier A and platform 小红薯", "approve", "ed", resolve=resolve)
    with pytest.raises(RuleError, match="demo-news"):
        add_rule(engine, "src", "source demo-new", "approve", "ed", resolve=resolve)
    assert list_rules(engine) == []
    rule = add_rule(engine, "xhs", "platform xiaohongshu,抖音 and source demo-news and topic 私域流量",
                    "approve", "ed", resolve=resolve)
    assert rule.condition == "platform 小红书,抖音 and source demo-news and topic 私域流量"
    with pytest.raises(RuleError, match="小红书"):
        update_rule(engine, "xhs", "ed", condition="platform 小红薯", resolve=resolve)
    assert list_rules(engine)[0].condition == rule.condition


def test_the_console_and_cli_refuse_unknown_rule_values(tmp_home):
    from click.testing import CliRunner

    from daihuo.cli.main import main

    runner = CliRunner()
    result = runner.invoke(main, ["rules", "add", "bad", "platform 不存在平台", "--action", "approve"])
    assert result.exit_code != 0 and "不存在平台" in result.output
