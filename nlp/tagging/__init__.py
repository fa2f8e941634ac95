"""Tagging: platforms, topics, keywords and entities of a cleaned document.

``tag_document`` works on the document's ONE segmentation (``nlp.segment.pos_tag`` of
``title + "\\n" + body``) and one scan of the text for all lexicon aliases; the lexicons are
data files (nlp/data/*.toml), see :mod:`nlp.tagging.lexicon`.
"""

from __future__ import annotations

from nlp.tagging import lexicon
from nlp.tagging.entities import (
    EntityCandidate,
    confirm_entities,
    entity_candidates_report,
    reject_candidates,
)
from nlp.tagging.keywords import IdfTable
from nlp.tagging.lexicon import lexicon_version
from nlp.tagging.tagger import tag_document
from nlp.tagging.tags import EntityTag, PlatformTag, Tags, TopicTag

__all__ = [
    "EntityCandidate",
    "EntityTag",
    "IdfTable",
    "PlatformTag",
    "Tags",
    "TopicTag",
    "confirm_entities",
    "entity_candidates_report",
    "lexicon",
    "lexicon_version",
    "reject_candidates",
    "tag_document",
]
