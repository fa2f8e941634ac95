"""The text layer: extracted blocks in, clean Simplified blocks out, in one pass.

Order matters:
1. normalise each block (entities, full-width letters/digits, invisible characters, spaces);
2. remove pinyin readings by the whole-document rule (before conversion, so ``產(chǎn)業(yè)``
   becomes ``產業`` and then ``产业``);
3. detect the script per block and convert only Traditional blocks, with the region's OpenCC
   config (unknown region: inferred from the text, see ``script.region_from_text``). A
   Simplified page pays a character-class scan, not a conversion;
4. count masks on the final text (kept as they are; ``segment.is_wordlike`` never indexes them).

Segmentation is not done here: the caller segments the prepared text once
(``nlp.segment.segment``) and reuses the tokens for tagging, keywords and the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp import masks, readings, script
from nlp.normalize import normalize


@dataclass
class Prepared:
    #: one cleaned block per input block, same order
    texts: list[str]
    #: the document's original script: 'simplified', 'traditional' or 'mixed'
    script: str
    #: pinyin_annotated (readings removed), masked_tokens, converted_paragraphs
    flags: dict[str, int] = field(default_factory=dict)
    #: the OpenCC config used, None when nothing was converted
    region_config: str | None = None


def prepare_text(texts: list[str], *, region: str | None = None) -> Prepared:
    """Clean a document given as blocks (paragraphs); see the module docstring."""
    blocks = [normalize(t) for t in texts]
    blocks, n_readings = readings.strip_readings_blocks(blocks)

    counts = [
        script.script_counts(b) if script.has_traditional(b) else (0, 0) for b in blocks
    ]
    trad_total = sum(t for t, _ in counts)
    simp_total = sum(s for _, s in counts)
    doc_trad = trad_total > simp_total

    converted = 0
    has_simp = False
    config = None
    if trad_total:
        if region is None:
            region = script.region_from_text("".join(b for b, c in zip(blocks, counts, strict=True) if c[0]))
        config = script.config_for(region)
        conv = script.converter(config)
        for i, (trad, simp) in enumerate(counts):
            if trad == 0:
                # counts were skipped for blocks without Traditional characters; one with
                # Simplified ones still makes the page mixed
                has_simp = has_simp or (doc_trad and script.script_counts(blocks[i])[1] > 0)
                continue
            kind = script.classify(trad, simp)
            if kind == script.TRADITIONAL or (kind == script.MIXED and doc_trad):
                blocks[i] = conv.convert(blocks[i])
                converted += 1
            elif kind == script.SIMPLIFIED:
                has_simp = True

    if converted == 0:
        doc_script, config = script.SIMPLIFIED, None
    elif has_simp:
        doc_script = script.MIXED
    else:
        doc_script = script.TRADITIONAL

    flags = {
        "pinyin_annotated": n_readings,
        "masked_tokens": sum(masks.count_masks(b) for b in blocks),
        "converted_paragraphs": converted,
    }
    return Prepared(texts=blocks, script=doc_script, flags=flags, region_config=config)
