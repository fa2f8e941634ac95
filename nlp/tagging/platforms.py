"""Platform tags from the document's alias mentions (rules in nlp/data/platforms.toml)."""

from __future__ import annotations

import math

from nlp.tagging.scan import Mention
from nlp.tagging.tags import PlatformTag

#: a mention this early in the body counts as a lead mention
_LEAD_CHARS = 200


def platform_tags(mentions: list[Mention], title_len: int) -> list[PlatformTag]:
    """Aggregate platform mentions; most salient first.

    ``title_len`` is the number of non-whitespace characters of the title (mention offsets
    count non-whitespace characters of ``title + "\\n" + body``).
    """
    tags: dict[str, PlatformTag] = {}
    for m in mentions:
        t = m.target
        if t.kind != "platform":
            continue
        tag = tags.get(t.name)
        if tag is None:
            tags[t.name] = PlatformTag(t.name, 1, m.start, m.start < title_len, 0.0)
        else:
            tag.count += 1
            tag.in_title = tag.in_title or m.start < title_len
    for tag in tags.values():
        # salience: mentions, a title mention counts as two, a lead mention as one more
        evidence = tag.count + 2 * tag.in_title + (tag.first_pos < title_len + _LEAD_CHARS)
        tag.score = round(1 - math.exp(-evidence / 3), 3)
    return sorted(tags.values(), key=lambda t: (-t.score, -t.count, t.first_pos))
