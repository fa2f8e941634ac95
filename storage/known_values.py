"""The filterable values a store holds: tag values per kind and source names."""

from __future__ import annotations

from sqlalchemy import Engine, text


def store_values(engine: Engine) -> dict[str, set[str]]:
    """{kind: values} for platform, topic and entity tags and the source names. Reads the
    (kind, value, article_id) index's distinct keys, not the tags themselves."""
    out: dict[str, set[str]] = {"platform": set(), "topic": set(), "entity": set(), "source": set()}
    with engine.connect() as conn:
        for kind, value in conn.execute(text(
                "SELECT DISTINCT kind, value FROM tags WHERE kind IN ('platform', 'topic', 'entity')")):
            out[kind].add(value)
        out["source"].update(conn.execute(text("SELECT name FROM sources")).scalars())
    return out
