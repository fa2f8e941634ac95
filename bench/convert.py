"""Text-layer figures: OpenCC accuracy, conversion speed, whole-layer speed vs bare jieba.

Run from the repository root::

    PYTHONPATH=. python bench/convert.py [--mb 5]

Needs ../shared/bench (OpenCC test cases; Chinese gold texts as the corpus). Prints:
- exact-match accuracy of upstream OpenCC per config on testcases.json (t2s, tw2s, hk2s
  first: the configs the pipeline uses; the others for reference);
- MB/s of OpenCC on a >= MB Traditional text, and what the text layer spends on a Simplified
  text of the same size (detection only: it must not convert);
- MB/s of the whole text layer (decode -> normalise -> readings -> detect/convert -> masks ->
  segment) beside bare ``jieba.lcut`` and bare rjieba on the same text, in the same run.

MB are UTF-8 megabytes (10^6 bytes) of input text; times are wall-clock, single process.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from nlp import script
from nlp.charset import decode_html
from nlp.script import converter, detect
from nlp.segment import engine, segment
from nlp.textlayer import prepare_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "bench"
PIPELINE_CONFIGS = ("t2s", "tw2s", "hk2s")


def accuracy() -> None:
    cases = json.loads((SHARED / "opencc" / "testcases.json").read_text("utf-8"))["cases"]
    ok: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    for case in cases:
        for config, expected in case["expected"].items():
            total[config] += 1
            ok[config] += converter(config).convert(case["input"]) == expected
    print("OpenCC exact match on testcases.json (upstream binding)")
    order = list(PIPELINE_CONFIGS) + sorted(set(total) - set(PIPELINE_CONFIGS))
    for config in order:
        mark = "  <- used by the pipeline" if config in PIPELINE_CONFIGS else ""
        print(f"  {config:6s} {ok[config]:3d}/{total[config]:<3d}{mark}")


def corpus(script_name: str, mb: float) -> list[str]:
    """Gold texts of the Chinese extraction sets in one script, repeated to ``mb`` MB."""
    docs = []
    for path in sorted(SHARED.glob("extraction/*_zh/*.txt")):
        text = path.read_text("utf-8")
        if len(text) > 200 and detect(text) == script_name:
            docs.append(text)
    out: list[str] = []
    size = 0
    while size < mb * 1e6:
        for d in docs:
            out.append(d)
            size += len(d.encode("utf-8"))
            if size >= mb * 1e6:
                break
    return out


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def megabytes(docs: list[str]) -> float:
    return sum(len(d.encode("utf-8")) for d in docs) / 1e6


def conversion(trad: list[str], simp: list[str]) -> None:
    t_mb, s_mb = megabytes(trad), megabytes(simp)
    t2s = converter("t2s")
    print(f"\nConversion (Traditional input {t_mb:.1f} MB, {len(trad)} documents)")
    sec = timed(lambda: [t2s.convert(d) for d in trad])
    print(f"  OpenCC t2s, whole documents          {t_mb / sec:8.1f} MB/s")
    sec = timed(lambda: [prepare_text(d.splitlines()) for d in trad])
    print(f"  prepare_text (detect + convert + rest){t_mb / sec:7.1f} MB/s")

    print(f"Conversion cost on Simplified input ({s_mb:.1f} MB, {len(simp)} documents)")
    sec = timed(lambda: [t2s.convert(d) for d in simp])
    print(f"  OpenCC t2s if we converted blindly   {s_mb / sec:8.1f} MB/s  ({sec:.2f} s)")
    converted = sum(prepare_text(d.splitlines()).flags["converted_paragraphs"] for d in simp)
    sec = timed(lambda: [script.has_traditional(d) for d in simp])
    print(f"  text layer's script stage (detect)   {s_mb / sec:8.1f} MB/s  ({sec:.2f} s), "
          f"paragraphs converted: {converted}")


def layer(label: str, docs: list[str], encoding: str) -> None:
    import jieba

    jieba.setLogLevel(60)
    jieba.lcut("预热")  # load jieba's dictionary outside the timing (once per process)
    engine()
    rj = engine().impl if engine().name == "rjieba" else None
    pages = [d.encode(encoding) for d in docs]
    texts = [decode_html(p).text for p in pages]  # the same text every contender gets
    mb = megabytes(texts)

    def whole() -> None:
        for page in pages:
            text = decode_html(page).text
            prepared = prepare_text(text.split("\n"))
            segment("\n".join(prepared.texts))

    t_layer = timed(whole)
    t_prep = timed(lambda: [prepare_text(t.split("\n")) for t in texts])
    t_jieba = timed(lambda: [jieba.lcut(t) for t in texts])
    print(f"\nWhole text layer, {label} ({mb:.1f} MB as {encoding} bytes, {len(docs)} documents)")
    print(f"  bare jieba.lcut                      {mb / t_jieba:8.2f} MB/s")
    if rj is not None:
        t_rj = timed(lambda: [rj.cut(t, True) for t in texts])
        print(f"  bare rjieba cut                      {mb / t_rj:8.2f} MB/s")
    print(f"  text layer without segmentation      {mb / t_prep:8.2f} MB/s")
    label = f"whole text layer ({engine().name})"
    print(f"  {label:37s}{mb / t_layer:8.2f} MB/s  "
          f"= {t_jieba / t_layer:.1f}x bare jieba.lcut")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=5.0, help="size of each test text in MB")
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} not available", file=sys.stderr)
        return 1
    accuracy()
    trad = corpus("traditional", args.mb)
    simp = corpus("simplified", args.mb)
    conversion(trad, simp)
    layer("Simplified", simp, "gb18030")
    layer("Traditional", trad, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
