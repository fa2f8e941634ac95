"""Near-duplicate fingerprints: format, robustness to content-farm edits, same-topic articles,
the in-memory LSH index, and the real seeds 002/003 (reposts) when ../shared is present."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.neardup import (
    BANDS,
    THRESHOLD,
    Fingerprint,
    MemoryIndex,
    fingerprint,
    is_near_duplicate,
    similarity,
    similarity_of,
)
from nlp.script import converter
from nlp.textlayer import prepare_text

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"

# Two different articles about the same platform and event (written for this test): they share
# vocabulary (快手, 商家大会, 主播, 供应链, 信任) and none of their sentences.
ARTICLE = """3月26日，快手电商在杭州召开年度商家大会，这是平台第一次专门为商家举办的行业大会。
会场的座位安排透露出一些变化：前排中央的位置留给了主播和商家代表，平台高管则坐在了两侧。
快手电商负责人在演讲中反复强调，信任是老铁经济的基础，任何伤害用户信任的行为都不会被容忍。
他表示，过去一年平台的商家数量增长了近三倍，其中超过一半是第一次尝试直播带货的中小商家。
为了帮助这些新商家起步，快手将推出百亿流量扶持计划，新开播的店铺可以在前三十天获得额外曝光。
与此同时，平台会上线一套新的商品分，把退货率、差评率和发货时效纳入考核，分数低的商品会被限流。
一位来自临沂的女装商家告诉记者，她的直播间去年的成交额翻了一番，但退货率也一度高达四成。
她认为新的考核标准对认真做货的商家是好事，可以把只靠低价冲量的同行挤出去。
在供应链方面，快手宣布将在全国建设二十个产业带直播基地，把源头工厂直接接入直播间。
平台还会为产业带商家提供免费的仓储和物流服务，降低他们的经营成本。
有分析人士指出，快手此举意在与其他平台拉开差距，用更扎实的供应链留住主播和用户。
不过也有业内人士提醒，流量扶持只能带来一时的热度，商家最终还是要靠产品和服务赢得复购。
大会最后，平台公布了今年的目标：让一百万个中小商家在快手实现稳定经营。
""".strip()

SIBLING = """快手电商商家大会结束后，不少参会的主播在社交媒体上分享了自己的感受。
一位做农产品的主播说，今年最大的感受是平台更看重长期经营，而不是一场直播卖了多少。
在他看来，过去靠喊麦和低价吸引老铁的做法已经走不通了，用户会用脚投票。
据记者了解，会后已有多家MCN机构开始调整主播的考核方式，把复购和口碑放在了首位。
杭州一家服务商的负责人表示，商家咨询代运营服务的电话明显多了起来。
他注意到，很多商家关心的不是流量怎么买，而是怎样把供应链和售后做扎实。
也有中小商家对新的商品分心存顾虑，担心规则执行初期会出现误伤。
对此，快手方面回应称，新规会设置三个月的过渡期，期间只提示不处罚。
从大会释放的信号看，快手正在从追求规模转向追求质量，这对整个直播电商行业都有参考意义。
业内人士认为，平台、主播和商家之间的信任关系，决定了这门生意能走多远。
""".strip()

_SENTENCE = re.compile(r"[^。！？]*[。！？]")


def sentences(text: str) -> list[str]:
    return _SENTENCE.findall(text)


def pipeline_body(blocks: list[str]) -> str:
    """What the pipeline's text layer gives for crawled blocks, joined like Document.body."""
    return "\n".join(t for t in prepare_text(blocks).texts if t.strip())


def farm_repost(text: str, *, drop_every: int = 0, spin_every: int = 0, mask: str | None = None,
                config: str | None = None, chrome: bool = True) -> str:
    """A content farm's copy: sentences dropped / spun, a name masked, Traditional, chrome."""
    out = []
    n = 0  # sentence number in the whole text
    for para in text.split("\n"):
        kept = []
        for s in sentences(para):
            n += 1
            if drop_every and n % drop_every == 0:
                continue
            if spin_every and n % spin_every == 1:
                s = "其实，" + s.replace("表示", "称").replace("商家", "卖家").replace("平台", "渠道")
            kept.append(s)
        out.append("".join(kept))
    body = "\n".join(p for p in out if p)
    if mask:
        body = body.replace(mask, "**")
    blocks = body.split("\n")
    if chrome:
        blocks = ["来源：电商干货站", "时间：2021-03-28 09:12 人气：2381 评论：0", *blocks,
                  "声明：本文来源于网络，版权归原作者所有，如有侵权请联系删除。",
                  "关注我们的公众号，获取更多直播电商干货"]
    if config:
        blocks = [converter(config).convert(b) for b in blocks]
    return pipeline_body(blocks)


@pytest.fixture(scope="module")
def original() -> Fingerprint:
    return fingerprint(pipeline_body(ARTICLE.split("\n")))


# ---------------------------------------------------------------- format


def test_fingerprint_is_256_bytes_and_round_trips(original: Fingerprint) -> None:
    data = original.to_bytes()
    assert isinstance(data, bytes) and len(data) == 256
    back = Fingerprint.from_bytes(data)
    assert back == original
    assert back.band_keys() == original.band_keys()
    assert similarity(back, original) == 1.0


def test_from_bytes_rejects_other_lengths() -> None:
    with pytest.raises(ValueError):
        Fingerprint.from_bytes(b"\x01" * 100)


def test_band_keys_fit_signed_bigint_one_per_band(original: Fingerprint) -> None:
    keys = original.band_keys()
    assert [band for band, _ in keys] == list(range(BANDS))
    assert all(-(2**63) <= key < 2**63 for _, key in keys)
    assert len({key for _, key in keys}) == BANDS  # bands hold different minima


def test_fingerprint_is_stable_across_processes(original: Fingerprint) -> None:
    # stored fingerprints are compared with new ones: no per-process hash seed may leak in
    code = (
        "import sys; from nlp.neardup import fingerprint; "
        "sys.stdout.write(fingerprint(sys.stdin.read()).to_bytes().hex())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=pipeline_body(ARTICLE.split("\n")), text=True,
        capture_output=True, check=True, cwd=ROOT, env={"PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)},
    ).stdout
    assert bytes.fromhex(out) == original.to_bytes()


def test_fingerprint_format_is_frozen() -> None:
    # stored fingerprints and lsh_keys rows are compared with new ones: a change to the
    # shingling, hash or densification must fail here (and means re-fingerprinting the store)
    fp = fingerprint("快手电商在杭州召开年度商家大会，这是平台第一次专门为商家举办的行业大会。")
    assert fp.to_bytes()[:16].hex() == "e29224bfa6015b97072f24bf2aec2e61"
    assert fp.band_keys()[:2] == [(0, -7540431335418719518), (1, 7002794138947301127)]


def test_empty_and_tiny_bodies_match_nothing() -> None:
    for body in ("", "  \n ", "图片", "**"):
        fp = fingerprint(body)
        assert fp.empty and fp.band_keys() == []
        assert similarity(fp, fp) == 0.0 and not is_near_duplicate(fp, fp)


# ---------------------------------------------------------------- similarity and robustness


def test_similarity_is_symmetric_and_bounded(original: Fingerprint) -> None:
    other = fingerprint(SIBLING)
    s = similarity(original, other)
    assert 0.0 <= s <= 1.0 and s == similarity(other, original)
    assert similarity(original, original) == 1.0


def test_similarity_of_stored_bytes_equals_similarity(original: Fingerprint) -> None:
    """The store compares stored bytes with similarity_of: the same figure as similarity,
    an empty fingerprint still similar to nothing, a wrong length still an error."""
    empty = fingerprint("")
    half = Fingerprint(original.values[:128] + fingerprint(SIBLING).values[128:])
    fps = [original, fingerprint(SIBLING), half, empty]
    for a in fps:
        for b in fps:
            assert similarity_of(a.to_bytes(), b.to_bytes()) == similarity(a, b)
    assert similarity_of(original.to_bytes(), half.to_bytes()) >= 0.5  # not a 0/1 test
    with pytest.raises(ValueError):
        similarity_of(original.to_bytes(), original.to_bytes()[:-2])


def test_punctuation_whitespace_and_paragraphs_are_normalised_away(original: Fingerprint) -> None:
    text = ARTICLE.replace("，", ",").replace("。", ". ").replace("\n", "")
    text = text[:200] + "\n\n" + text[200:]
    assert similarity(original, fingerprint(text)) == 1.0


def test_masks_are_ignored(original: Fingerprint) -> None:
    masked = fingerprint(farm_repost(ARTICLE, mask="快手", chrome=False))
    assert is_near_duplicate(original, masked)
    # random characters masked too (机** for 机会)
    text = ARTICLE
    for word in ("成交额", "退货率", "供应链", "仓储"):
        text = text.replace(word, word[0] + "**")
    assert similarity(original, fingerprint(text)) >= 0.8


def test_traditional_round_trip(original: Fingerprint) -> None:
    for config in ("s2t", "s2tw"):
        fp = fingerprint(farm_repost(ARTICLE, config=config, chrome=False))
        assert similarity(original, fp) >= 0.9, config


def test_dropped_and_spun_sentences(original: Fingerprint) -> None:
    dropped = fingerprint(farm_repost(ARTICLE, drop_every=5, chrome=False))  # 20% dropped
    assert is_near_duplicate(original, dropped)
    spun = fingerprint(farm_repost(ARTICLE, spin_every=5, chrome=False))
    assert is_near_duplicate(original, spun)
    assert similarity(original, dropped) < 0.95 and similarity(original, spun) < 0.95  # edits count


def test_full_content_farm_repost(original: Fingerprint) -> None:
    fp = fingerprint(farm_repost(ARTICLE, drop_every=8, spin_every=7, mask="快手", config="s2tw"))
    assert is_near_duplicate(original, fp)


def test_chrome_lines_are_ignored(original: Fingerprint) -> None:
    # datelines and counters have too few Han characters to count; the body is unchanged
    body = pipeline_body(["来源：电商干货站", "时间：2021-03-28 09:12 人气：2381 评论：0",
                          *ARTICLE.split("\n"), "阅读 2381 · 收藏 12", "点赞 分享"])
    assert similarity(original, fingerprint(body)) == 1.0


def test_same_topic_articles_are_not_duplicates(original: Fingerprint) -> None:
    sibling = fingerprint(pipeline_body(SIBLING.split("\n")))
    assert similarity(original, sibling) < 0.1
    assert not is_near_duplicate(original, sibling)
    # even when both quote the same two sentences of an announcement
    quoted = "".join(sentences(ARTICLE)[5:7])
    sharing = fingerprint(pipeline_body([quoted, *SIBLING.split("\n")]))
    assert not is_near_duplicate(original, sharing)


def test_threshold_is_a_probability() -> None:
    assert 0.0 < THRESHOLD < 1.0


# ---------------------------------------------------------------- index


def test_memory_index_finds_the_original_not_the_sibling(original: Fingerprint) -> None:
    index = MemoryIndex()
    index.add(1, original)
    index.add(2, fingerprint(pipeline_body(SIBLING.split("\n"))))
    repost = fingerprint(farm_repost(ARTICLE, drop_every=6, mask="快手", config="s2t"))
    assert 1 in index.candidates(repost)
    assert index.find(repost) == 1
    unrelated = fingerprint("拼多多宣布加大农产品上行投入，通过助农直播帮助果农把滞销的脐橙卖往全国。"
                            "平台表示，今年将在二十个县建设直播间，培训一千名新农人主播。")
    assert index.candidates(unrelated) == set()
    assert index.find(unrelated) is None


def test_memory_index_find_prefers_the_closest(original: Fingerprint) -> None:
    index = MemoryIndex()
    far = fingerprint(farm_repost(ARTICLE, drop_every=4, spin_every=3, chrome=False))
    near = fingerprint(farm_repost(ARTICLE, drop_every=12, chrome=False))
    assert similarity(original, near) > similarity(original, far) >= THRESHOLD
    index.add(7, far)
    index.add(8, near)
    assert index.candidates(original) == {7, 8}
    assert index.find(original) == 8


def test_memory_index_ignores_empty_fingerprints() -> None:
    index = MemoryIndex()
    index.add(1, fingerprint(""))
    assert index.candidates(fingerprint("")) == set()
    assert index.find(fingerprint("")) is None


# ---------------------------------------------------------------- real seeds (reposts)


def _seed(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent (the real seed pages are not in a user's clone)")
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return pipeline_body(path.read_text("utf-8").splitlines())


@pytest.mark.parametrize("prefix,name", [("002", "快手"), ("003", "直播")])
def test_real_seed_reposts_match(prefix: str, name: str) -> None:
    body = _seed(prefix)
    repost = farm_repost(body, drop_every=7, spin_every=9, mask=name, config="s2tw")
    assert is_near_duplicate(fingerprint(body), fingerprint(repost))


def test_real_seeds_are_different_stories() -> None:
    a, b = fingerprint(_seed("002")), fingerprint(_seed("003"))
    assert similarity(a, b) < 0.1
