"""From a processed Document to what leaves the pipeline: store records and parse JSON."""

from __future__ import annotations

from dataclasses import asdict

from nlp import segment as seg
from nlp.document import Document
from nlp.neardup import similarity_of
from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord


def tag_records(doc: Document) -> list[TagRecord]:
    tags = doc.tags
    if tags is None:
        return []
    out = [TagRecord("platform", p.name, p.score, p.count, p.first_pos, p.in_title)
           for p in tags.platforms]
    out += [TagRecord("topic", t.name, t.score) for t in tags.topics]
    out += [TagRecord("keyword", w, s) for w, s in tags.keywords]
    out += [TagRecord("entity", e.name, e.confidence, e.count,
                      detail=f"{e.kind}/{'confirmed' if e.confirmed else e.evidence}")
            for e in tags.entities]
    # POS guesses: kept for `daihuo lexicon review` under a kind no facet, filter or API reads
    out += [TagRecord("entity_candidate", e.name, e.confidence, e.count, detail=f"{e.kind}/candidate")
            for e in tags.candidates]
    return out


def document_to_record(doc: Document) -> PageRecord:
    page = doc.page
    raw = RawRecord(url=page.url, status=page.status, fetched_at=page.fetched_at, html=page.body,
                    headers=page.headers, charset=doc.charset, error=doc.error,
                    error_stage=doc.error_stage, source=page.source, run_id=page.run_id,
                    raw_page_id=page.raw_page_id)
    raw.compressed()  # where the page is processed, not in the store's (single) writer
    if not doc.ok:
        return PageRecord(raw=raw)
    ex = doc.extraction
    body_terms = seg.search_terms(w for w, _ in doc.pos_tokens)
    fp = doc.neardup if doc.neardup is not None and not doc.neardup.empty else None
    article = ArticleRecord(
        url=page.url, canonical_url=doc.canonical_url or page.url, title=doc.title,
        published_at=ex.published if ex else None, body=doc.body, script=doc.script,
        content_hash=doc.content_hash or "", authors=doc.authors, editor=doc.editor,
        original_source=ex.original_source if ex else None, lead=doc.lead,
        blocks=[{"kind": b.kind, "text": b.text} for b in doc.blocks], flags=dict(doc.flags),
        title_terms=" ".join(seg.search_terms(doc.title_tokens)), body_terms=" ".join(body_terms),
        lexicon_version=doc.tags.lexicon_version if doc.tags else None,
        fingerprint=None if fp is None else fp.to_bytes(),
        band_keys=[] if fp is None else fp.band_keys(),
        tags=tag_records(doc),
    )
    return PageRecord(raw=raw, article=article, listings=embedded_listings(doc))


def card_listings(doc: Document) -> list:
    """Account cards glued under an article, parsed (platform from the article's top tag)."""
    ex = doc.extraction
    if not ex or not ex.cards:
        return []
    from nlp.listings import parse_cards

    top = doc.tags.platforms[0].name if doc.tags and doc.tags.platforms else None
    # a card with no platform (its own or the article's), title or price is not a listing row
    return [li for li in parse_cards(ex.cards, platform=top, category=ex.card_category) if li.has_identity()]


def embedded_listings(doc: Document) -> list:
    """The article's account cards as listing records linked to its page."""
    from pipelines.listing_items import listing_record

    base = doc.canonical_url or doc.page.url
    return [listing_record(li, f"{base}#card-{i}") for i, li in enumerate(card_listings(doc))]


def document_to_json(doc: Document) -> dict:
    """``daihuo parse`` output; field names are a stable interface for benchmarks."""
    ex = doc.extraction
    tags = doc.tags
    return {
        "kind": "article",
        "url": doc.page.url,
        "canonical_url": doc.canonical_url,
        "title": doc.title,
        "published": ex.published.isoformat() if ex and ex.published else None,
        "authors": doc.authors,
        "editor": doc.editor,
        "editors": ex.editors if ex else [],
        "original_source": ex.original_source if ex else None,
        "republisher": ex.republisher if ex else None,
        "lead": doc.lead,
        "body": doc.body if doc.ok else "",
        "blocks": [asdict(b) for b in doc.blocks] if doc.ok else [],
        "script": doc.script,
        "charset": doc.charset,
        "platforms": [p.name for p in tags.platforms] if tags else [],
        "topics": [t.name for t in tags.topics] if tags else [],
        "keywords": [w for w, _ in tags.keywords] if tags else [],
        "entities": [{"name": e.name, "kind": e.kind, "confidence": e.confidence}
                     for e in tags.entities] if tags else [],
        "listings": [asdict(r) for r in embedded_listings(doc)] if doc.ok else [],
        "flags": doc.flags,
        "error": doc.error,
        "error_stage": doc.error_stage,
    }


#: similarity of two stored near-duplicate fingerprints (the store's clustering test; called
#: ~8 times per new article, so no wrapper with an import in it)
fingerprint_similarity = similarity_of
