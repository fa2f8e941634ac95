"""Small stores for the site tests: invented live-commerce articles written as the pipeline
would write them (blocks, tags, a repost cluster), plus helpers to serve and re-crawl."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from daihuo.analysis.query_terms import query_terms
from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord
from storage.store import Store

CN = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=CN)

#: (source, url, title, published, platforms, topics, blocks, fingerprint)
ARTICLES = [
    ("news-a", "https://a.example.com/live/1.html", "快手电商发布新一季商家扶持计划", T0,
     ["快手"], ["直播带货模式"],
     [{"kind": "p", "text": "快手电商宣布推出新一季商家扶持计划,面向中小商家提供流量券和佣金减免。"},
      {"kind": "h", "text": "重点扶持产业带商家"},
      {"kind": "li", "text": "流量券"}, {"kind": "li", "text": "佣金减免"},
      {"kind": "quote", "text": "信任是老铁经济的根本。"},
      {"kind": "caption", "text": "图为商家大会现场"}], b"fp-kuaishou"),
    ("news-b", "https://b.example.org/n/88.html", "快手扶持计划出炉 中小商家受益(转载)", T0 + timedelta(hours=3),
     ["快手"], ["直播带货模式"],
     [{"kind": "p", "text": "快手电商宣布推出新一季商家扶持计划,面向中小商家提供流量券与佣金减免。"}],
     b"fp-kuaishou"),
    ("news-a", "https://a.example.com/live/2.html", "品牌自播成为抖音电商新常态", T0 + timedelta(days=1),
     ["抖音"], ["品牌自播"],
     [{"kind": "p", "text": "越来越多的品牌在抖音搭建自己的直播间,由员工担任主播。"},
      {"kind": "p", "text": "自播销售额稳定,用户沉淀在品牌账号,复购率更高。"}], None),
    ("news-a", "https://a.example.com/live/3.html", "小红书直播试水买手模式", T0 + timedelta(days=2),
     ["小红书"], ["主播与MCN"],
     [{"kind": "p", "text": "小红书推出买手直播,主播以分享生活方式的方式介绍商品。"}], None),
    ("news-c", "https://c.example.net/p/7", "直播间监管新规:虚假宣传将被严查", T0 + timedelta(days=3),
     ["抖音", "快手"], ["监管与合规"],
     [{"kind": "p", "text": "监管部门发布直播营销新规,要求主播如实介绍商品,不得虚假宣传。"},
      {"kind": "p", "text": "平台需要建立黑名单制度,对违规主播限制开播。"}], None),
]


def record(source: str, url: str, title: str, published: datetime, platforms: list[str],
           topics: list[str], blocks: list[dict], fp: bytes | None = None,
           original_source: str | None = None) -> PageRecord:
    body = "\n".join(b["text"] for b in blocks)
    art = ArticleRecord(
        url=url, canonical_url=url, title=title, published_at=published, body=body,
        script="simplified", content_hash=f"{url}#{hash(body) & 0xFFFFFFFF:x}",
        original_source=original_source, blocks=blocks,
        title_terms=" ".join(query_terms(title)), body_terms=" ".join(query_terms(body)),
        tags=[TagRecord("platform", p, 1.0 - i / 10, 1) for i, p in enumerate(platforms)]
        + [TagRecord("topic", t, 0.8) for t in topics] + [TagRecord("keyword", "直播", 0.5)])
    if fp:
        art.fingerprint, art.band_keys = fp, [(0, hash(fp) & 0xFFFF)]
    return PageRecord(raw=RawRecord(url=url, status=200, fetched_at=published, html=b"<html></html>",
                                    source=source), article=art)


def make_store(url: str) -> tuple[Store, dict[str, int]]:
    """A store with ARTICLES (two of them one story); returns it and {url: article id}."""
    store = Store.open(url, similar=lambda a, b: a == b)
    store.sync_sources([{"name": n, "kind": "news", "config": {}} for n in ("news-a", "news-b", "news-c")])
    outcomes = store.write([record(*a) for a in ARTICLES])
    assert all(o.status == "stored" for o in outcomes), outcomes
    return store, {o.url: o.article_id for o in outcomes}


def page_record(url: str, *, published: datetime, platforms: list[str], title: str | None = None,
                body: str | None = None, terms: tuple[str, str] = ("", "正文"),
                fp: bytes | None = None, band_key: int = 1) -> PageRecord:
    """One fetched article as the pipeline writes it (source "s"), tagged with ``platforms``;
    ``fp`` puts it in the near-duplicate band ``band_key`` (same fp and key: one story)."""
    art = ArticleRecord(url=url, canonical_url=url, title=title or url, published_at=published,
                        body=body or f"正文 {url}", script="simplified", content_hash=url,
                        title_terms=terms[0], body_terms=terms[1],
                        tags=[TagRecord("platform", p, 1.0, 1) for p in platforms])
    if fp:
        art.fingerprint, art.band_keys = fp, [(0, band_key)]
    return PageRecord(raw=RawRecord(url=url, status=200, fetched_at=published, html=b"", source="s"),
                      article=art)
