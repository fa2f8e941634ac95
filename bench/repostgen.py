"""A labelled near-duplicate corpus: live-commerce articles, their content-farm reposts and
different articles about the same platform and event.

Everything is generated here (vocabulary from the project's lexicons in nlp/data, sentences from
templates written for this file), never third-party text.

* **originals**: articles composed clause by clause from phrase banks, around a context (a
  platform, a topic with its lexicon terms, an event, people, brands, figures);
* **reposts** (same story as their original): new chrome lines at top and bottom, 5-20% of the
  sentences spun (synonyms, reordered clauses, fillers) or dropped, masks (``**`` for a company
  or platform name everywhere, or for random characters), paragraph re-wrapping, half-width
  punctuation, and Traditional script (``nlp.script.converter('s2t'|'s2tw')``) turned back by
  ``nlp.textlayer.prepare_text`` as the pipeline does; some are reposts of reposts;
* **siblings** (a different story): another article written around the SAME context (same
  platform, event, people, figures), sometimes quoting the same official sentence.

Every body goes through ``prepare_text`` like a crawled page. ``python bench/repostgen.py``
prints a sample.
"""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nlp.script import converter  # noqa: E402
from nlp.textlayer import prepare_text  # noqa: E402

DATA = ROOT / "nlp" / "data"


@dataclass
class Doc:
    id: int
    story: int  # ground truth: documents with the same story are near-duplicates
    kind: str  # original | repost | sibling
    title: str
    body: str  # the clean Simplified body the pipeline gives (blocks joined by "\n")
    parent: int | None = None  # repost: the document it was copied from; sibling: its twin
    traits: list[str] = field(default_factory=list)
    platform: str = ""  # the context the article was written around
    topic: str = ""


@dataclass
class Corpus:
    docs: list[Doc]

    def stories(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for d in self.docs:
            out.setdefault(d.story, []).append(d.id)
        return out


# ---------------------------------------------------------------- vocabulary from the lexicons

def _load_lexicons() -> dict[str, list[str]]:
    with open(DATA / "platforms.toml", "rb") as f:
        plats = tomllib.load(f)["platform"]
    with open(DATA / "entities.toml", "rb") as f:
        ents = tomllib.load(f)["entity"]
    with open(DATA / "topics.toml", "rb") as f:
        topics = tomllib.load(f)["topic"]
    vocab: dict[str, list[str]] = {
        "platform": [p["name"] for p in plats if re.search("[\u4e00-\u9fff]", p["name"])],
        "anchor": [e["name"] for e in ents if e.get("role") == "anchor"],
        "exec": [e["name"] for e in ents if e["kind"] == "person" and not e.get("role")],
        "brand": [e["name"] for e in ents if e["kind"] == "brand"],
        "mcn": [e["name"] for e in ents if e["kind"] == "mcn"],
        "company": [e["name"] for e in ents if e["kind"] == "company"],
    }
    for name, topic in topics.items():
        vocab["topic:" + name] = [t for t in topic["terms"] if len(t) >= 2]
    return vocab


VOCAB = _load_lexicons()
TOPICS = [k.removeprefix("topic:") for k in VOCAB if k.startswith("topic:")]

CITIES = ["杭州", "广州", "义乌", "临沂", "深圳", "成都", "武汉", "长沙", "郑州", "西安", "青岛",
          "苏州", "泉州", "南宁", "昆明", "沈阳", "合肥", "厦门", "常熟", "石家庄"]
PRODUCTS = ["女装", "童装", "美妆", "护肤品", "零食", "家电", "手机", "茶叶", "水果", "珠宝",
            "玉石", "家具", "鞋服", "母婴用品", "宠物食品", "运动户外", "图书", "白酒", "生鲜",
            "小家电", "箱包", "内衣", "洗护用品", "保健品", "数码配件"]
MEDIA = ["晚点LatePost", "界面新闻", "第一财经", "36氪", "亿邦动力", "电商报", "新京报",
         "21世纪经济报道", "钛媒体", "南方都市报", "每日经济新闻", "澎湃新闻"]
EVENTS = ["双11", "618", "年货节", "双12", "女王节", "开学季", "秋冬上新季", "周年庆",
          "直播电商大会", "商家生态大会", "引力大会", "服务商大会", "品牌发布会", "年度盛典"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然婷雪琳晨欣怡佳琪子涵梓轩一诺博文思远嘉怡宏亮建国志强海燕春梅"
ROLES = ["负责人", "副总裁", "总经理", "运营总监", "创始人", "合伙人", "首席执行官", "商家运营负责人",
         "内容生态负责人", "招商总监", "品牌总监", "研究员", "分析师", "资深从业者", "直播运营主管"]


class Writer:
    """Composes article sentences from phrase banks; each sentence is built clause by clause so
    two articles share vocabulary but rarely a whole clause."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def pick(self, seq: list[str] | tuple[str, ...] | str) -> str:
        return self.r.choice(seq)

    def person(self) -> str:
        return self.pick(SURNAMES) + "".join(self.r.sample(GIVEN, self.r.choice((1, 1, 2))))

    def context(self) -> dict[str, str]:
        r = self.r
        topic = r.choice(TOPICS)
        platform = r.choice(VOCAB["platform"])
        year = r.choice(range(2019, 2025))
        return {
            "topic": topic,
            "platform": platform,
            "platform2": r.choice([p for p in VOCAB["platform"] if p != platform]),
            "event": f"{year}年{platform}{r.choice(EVENTS)}",
            "anchor": r.choice(VOCAB["anchor"]),
            "exec": r.choice(VOCAB["exec"]),
            "brand": r.choice(VOCAB["brand"]),
            "brand2": r.choice(VOCAB["brand"]),
            "mcn": r.choice(VOCAB["mcn"]),
            "company": r.choice(VOCAB["company"]),
            "city": r.choice(CITIES),
            "product": r.choice(PRODUCTS),
            "year": str(year),
            "month": str(r.randint(1, 12)),
            "day": str(r.randint(1, 28)),
            "speaker": self.person(),
            "role": r.choice(ROLES),
            "gmv": str(r.randint(3, 980)),
            "pct": str(r.randint(5, 320)),
        }

    # ---- clause banks: each returns a clause without final punctuation

    def term(self, c: dict[str, str]) -> str:
        return self.pick(VOCAB["topic:" + c["topic"]])

    def subject(self, c: dict[str, str]) -> str:
        return self.pick([
            c["platform"], f"{c['platform']}电商", f"{c['platform']}官方", f"{c['platform']}平台方面",
            f"头部主播{c['anchor']}", f"{c['brand']}官方旗舰店", f"{c['city']}的{c['product']}商家",
            f"MCN机构{c['mcn']}", f"{c['company']}", "不少中小商家", f"一批{c['product']}品牌",
            f"{c['role']}{c['speaker']}", "业内人士", "多位从业者", f"{c['platform']}的新主播",
            f"{c['brand']}", f"{c['platform2']}", f"{c['city']}{c['product']}产业带", "平台服务商",
            f"{c['exec']}", "部分达人", f"{c['brand2']}等品牌",
        ])

    def action(self, c: dict[str, str]) -> str:
        t = self.term(c)
        verb = self.pick(["推出了", "上线了", "宣布启动", "加大了对", "正在内测", "悄然调整了", "首次公开了",
                          "重新梳理了", "全面升级了", "试点了", "收紧了", "放宽了", "补齐了", "押注",
                          "重点布局了", "开始尝试", "披露了", "明确了"])
        obj = self.pick([f"{t}相关规则", f"{t}扶持计划", f"新的{t}政策", f"{t}专项", f"围绕{t}的工具",
                         f"{t}业务", f"{t}的考核标准", f"面向{c['product']}类目的{t}方案",
                         f"针对新商家的{t}激励", f"{t}与{self.term(c)}的打通"])
        return verb + obj

    def fact(self, c: dict[str, str]) -> str:
        r = self.r
        metric = self.pick(["成交额", "GMV", "订单量", "直播场次", "观看人次", "新增商家数", "复购率",
                            "客单价", "退货率", "开播主播数", "商品交易总额", "短视频播放量", "粉丝增量"])
        return self.pick([
            f"{metric}同比增长{r.randint(5, 300)}%",
            f"{metric}达到{r.randint(2, 990)}亿元",
            f"{metric}环比下降{r.randint(2, 40)}个百分点",
            f"累计带动{r.randint(2, 900)}万{self.pick(['商家', '农户', '主播', '消费者', '中小企业'])}{self.pick(['增收', '开播', '下单', '入驻'])}",
            f"单场{metric}突破{r.randint(1, 50)}亿元",
            f"{metric}较去年同期翻了{self.pick(['一番', '两番', '近三倍', '一倍多'])}",
            f"有{r.randint(10, 95)}%的{self.pick(['商家', '用户', '主播', '品牌'])}表示{self.pick(['愿意继续投入', '收入有所增加', '经营压力变大', '会加大自播比例'])}",
            f"{self.pick(['超过', '接近', '约'])}{r.randint(2, 99)}万个{self.pick(['直播间', '店铺', '账号', '品牌'])}参与其中",
        ])

    def reason(self, c: dict[str, str]) -> str:
        t = self.term(c)
        return self.pick([
            f"{t}已经成为各方争夺的焦点", f"{c['platform']}需要在{t}上找到新的增长点",
            f"流量成本持续走高让商家更看重{t}", f"消费者对{c['product']}的需求正在从低价转向品质",
            f"{t}的门槛正在被迅速拉高", "直播电商进入存量竞争阶段", f"平台之间的{t}之争愈发激烈",
            f"监管趋严倒逼行业回归{t}", f"{c['product']}类目的利润空间被不断压缩",
            "用户的注意力越来越分散", "达人坑位费水涨船高", "内容与货架的边界越来越模糊",
            f"{c['platform2']}的动作给{c['platform']}带来了压力",
        ])

    def effect(self, c: dict[str, str]) -> str:
        t = self.term(c)
        return self.pick([
            f"这将直接影响{c['product']}商家的{t}", f"中小商家有望获得更多{t}机会",
            "头部主播的话语权可能进一步减弱", f"{t}的玩法会更加精细化",
            f"平台的{t}格局或将重新洗牌", f"品牌方不得不重新评估{t}的投入产出",
            f"整个行业的{t}标准会被抬高", f"{c['city']}等地的{c['product']}产业带会率先受益",
            "消费者在直播间的购物体验会有所改善", f"服务商的{t}能力变得更加重要",
            f"{c['mcn']}这样的机构需要调整{t}策略",
        ])

    def quote(self, c: dict[str, str]) -> str:
        t = self.term(c)
        return self.pick([
            f"我们希望把{t}做成长期的事情，而不是一阵风",
            f"今年最大的变化是{t}，商家要尽早适应",
            f"{t}不是选择题，而是必答题",
            f"直播间里真正留住用户的，还是{c['product']}本身的品质",
            f"{c['platform']}会继续在{t}上投入资源，帮助商家降低经营成本",
            f"过去拼的是流量，现在拼的是{t}和供应链",
            f"我们不追求一夜爆单，更看重{t}带来的复购",
            f"{t}做得好的商家，在这一轮调整里反而跑了出来",
        ])

    def sentence(self, c: dict[str, str]) -> str:
        r = self.r
        kind = r.randrange(10)
        opener = self.pick(["", "", "", "据悉，", "记者了解到，", "值得注意的是，", "数据显示，",
                            "业内人士分析认为，", "从目前来看，", "与此同时，", "事实上，", "不难发现，",
                            "公开资料显示，", "在此背景下，", f"另据{self.pick(MEDIA)}报道，",
                            f"{c['year']}年{c['month']}月{c['day']}日，", "截至发稿，", "对此，"])
        if kind <= 2:
            s = f"{self.subject(c)}{self.action(c)}，{self.pick(['目的是', '希望', '意在', '试图'])}{self.effect(c).removeprefix('这将')}"
        elif kind <= 4:
            s = f"{self.pick([c['event'], '今年以来', '过去一个季度', '活动期间', '上线首月'])}，{self.subject(c)}的{self.fact(c)}，{self.fact(c)}"
        elif kind == 5:
            s = f"“{self.quote(c)}”，{c['role']}{c['speaker']}{self.pick(['在接受采访时表示', '在大会上说', '对记者说', '在内部信中写道'])}"
        elif kind == 6:
            s = f"{self.pick(['之所以', '业内普遍认为，之所以'])}{self.subject(c)}{self.action(c)}，是因为{self.reason(c)}"
        elif kind == 7:
            s = f"{self.pick(['由于', '随着', '考虑到'])}{self.reason(c)}，{self.effect(c)}"
        elif kind == 8:
            s = f"{self.subject(c)}{self.pick(['则', '也', '同样'])}{self.action(c)}，{self.fact(c)}"
        else:
            s = f"{self.pick(['在', '对于'])}{self.term(c)}{self.pick(['这件事上', '方面', '问题上'])}，{self.subject(c)}{self.pick(['的做法', '的思路', '的选择'])}{self.pick(['颇具代表性', '引发了讨论', '值得借鉴', '并不相同'])}"
        return opener + s + self.pick(["。", "。", "。", "。", "！"])

    def title(self, c: dict[str, str]) -> str:
        return self.pick([
            f"{c['platform']}{self.action(c)}",
            f"{c['event']}：{self.subject(c)}的{self.fact(c)}",
            f"{c['anchor']}之后，{c['platform']}{self.pick(['还能靠谁', '的新故事', '押注', '的下一步'])}{self.term(c)}",
            f"{self.term(c)}，{c['platform']}终于{self.pick(['出手了', '动真格了', '坐不住了'])}",
        ])

    def article(self, c: dict[str, str]) -> tuple[str, list[str]]:
        r = self.r
        n_par = r.choice([3, 4, 5]) if r.random() < 0.15 else r.randint(6, 14)
        paras = [
            "".join(self.sentence(c) for _ in range(r.randint(2, 5))) for _ in range(n_par)
        ]
        return self.title(c), paras


# ---------------------------------------------------------------- content-farm transforms

SYNONYMS = [
    ("宣布", "表示"), ("推出", "上线"), ("增长", "上涨"), ("消费者", "用户"), ("商家", "卖家"),
    ("目前", "当前"), ("不少", "许多"), ("此外", "另外"), ("进一步", "更进一步"), ("希望", "期望"),
    ("显示", "表明"), ("重要", "关键"), ("加大", "加强"), ("直接", "直截了当地"), ("影响", "波及"),
    ("机会", "机遇"), ("成本", "花费"), ("品质", "质量"), ("突破", "超过"), ("获得", "得到"),
    ("焦点", "重点"), ("趋势", "走向"), ("迅速", "快速"), ("资源", "资源投入"), ("压力", "挑战"),
    ("平台", "渠道"), ("同比", "比去年同期"), ("业内人士", "行业人士"), ("接受采访时", "受访时"),
    ("首次", "第一次"), ("全面", "全方位"), ("重新", "再次"), ("规则", "规定"), ("争夺", "抢夺"),
    ("直播间", "直播房间"), ("主播", "播主"), ("品牌", "牌子"), ("引发", "引起"), ("愈发", "越发"),
]
FILLERS = ["其实，", "可以说，", "简单来说，", "说白了，", "众所周知，", "不可否认，", "客观地讲，"]
TAILS = ["，这一点值得关注", "，这并不意外", "，可见一斑", "，令人深思", "，效果明显"]

FARMS = [f"{a}{b}" for a in ("电商", "直播", "带货", "运营", "新媒体", "网红", "微商", "卖家")
         for b in ("资讯网", "之家", "观察", "学院", "头条", "干货站", "社区", "智库")]


def _farm_chrome(r: random.Random, farm: str, title: str, platform: str) -> tuple[list[str], list[str]]:
    date = f"{r.randint(2019, 2024)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}"
    head_bank = [
        f"来源：{farm}", f"时间：{date} 人气：{r.randint(1, 9999)} 评论：{r.randint(0, 99)}",
        f"{farm} > 资讯 > 直播电商", f"发布时间：{date}", f"作者：{farm}编辑部",
        f"编辑导语：本文围绕{title}展开，分析了其中的变化和影响，欢迎大家讨论交流。",
        f"阅读 {r.randint(100, 99999)} · 收藏 {r.randint(0, 999)}",
    ]
    foot_bank = [
        "声明：本文来源于网络，版权归原作者所有，如有侵权请联系删除。",
        f"本文由{farm}整理发布，转载请注明出处。", f"关注{farm}公众号，获取更多直播电商干货",
        "扫码加入直播带货交流群，和数千位运营一起成长", f"标签：直播电商 {platform} 带货 运营",
        f"上一篇：{platform}直播间流量下滑怎么办", f"下一篇：新手如何做好{platform}直播",
        "相关推荐", f"责任编辑：{r.choice(SURNAMES)}{r.choice(GIVEN)}", "点赞 分享 收藏",
        f"想了解更多{platform}代运营服务，欢迎咨询我们的客服，7×24小时在线为您解答。",
    ]
    return r.sample(head_bank, r.randint(1, 3)), r.sample(foot_bank, r.randint(1, 4))


_SENT = re.compile(r"[^。！？]*[。！？]|[^。！？]+$")


def _sentences(par: str) -> list[str]:
    return [s for s in _SENT.findall(par) if s]


def _spin(r: random.Random, s: str) -> str:
    done = 0
    for a, b in r.sample(SYNONYMS, len(SYNONYMS)):
        if done >= r.randint(1, 3):
            break
        if a in s:
            s = s.replace(a, b, 1)
            done += 1
    clauses = s.rstrip("。！").split("，")
    if len(clauses) >= 2 and (done == 0 or r.random() < 0.4):  # reorder clauses
        i = r.randrange(len(clauses) - 1)
        clauses[i], clauses[i + 1] = clauses[i + 1], clauses[i]
        s = "，".join(clauses) + "。"
        done += 1
    if done == 0 or r.random() < 0.25:
        s = r.choice(FILLERS) + s if r.random() < 0.5 else s.rstrip("。！") + r.choice(TAILS) + "。"
    return s


def _mask_name(body: str, names: list[str]) -> tuple[str, str | None]:
    present = [n for n in names if n in body]
    if not present:
        return body, None
    name = max(present, key=body.count)  # the most mentioned, as farms mask the story's subject
    return body.replace(name, "**"), name


def _mask_random(r: random.Random, body: str) -> str:
    chars = list(body)
    han = [i for i, ch in enumerate(chars) if "\u4e00" <= ch <= "\u9fff"]
    for i in r.sample(han, min(len(han), r.randint(3, 12))):
        chars[i] = "**"
        if r.random() < 0.4 and i + 1 < len(chars) and "\u4e00" <= chars[i + 1] <= "\u9fff":
            chars[i + 1] = ""
    return "".join(chars)


def repost(r: random.Random, title: str, paras: list[str], c: dict[str, str]
           ) -> tuple[list[str], list[str], list[str]]:
    """A content farm's copy of ``paras``: (blocks as crawled, traits, the copied paragraphs
    without the farm's chrome, for a repost of this repost)."""
    traits: list[str] = []
    sents = [_sentences(p) for p in paras]
    flat = [(i, j) for i, ss in enumerate(sents) for j in range(len(ss))]
    frac = r.uniform(0.05, 0.20)
    n_edit = max(1, round(frac * len(flat)))
    dropped = spun = 0
    for i, j in r.sample(flat, n_edit):
        if r.random() < 0.4:
            sents[i][j] = ""
            dropped += 1
        else:
            sents[i][j] = _spin(r, sents[i][j])
            spun += 1
    traits.append(f"edited:{n_edit}/{len(flat)}(spun {spun}, dropped {dropped})")
    paras = ["".join(ss) for ss in sents]
    paras = [p for p in paras if p]
    if len(paras) > 3 and r.random() < 0.3:  # re-wrap: merge two paragraphs, split another
        k = r.randrange(len(paras) - 1)
        paras[k : k + 2] = [paras[k] + paras[k + 1]]
        k = r.randrange(len(paras))
        ss = _sentences(paras[k])
        if len(ss) > 1:
            paras[k : k + 1] = ["".join(ss[: len(ss) // 2]), "".join(ss[len(ss) // 2 :])]
        traits.append("rewrapped")
    body = "\n".join(paras)
    if r.random() < 0.4:
        body, name = _mask_name(body, [c["platform"], c["company"], c["brand"], c["anchor"], c["mcn"]])
        if name:
            traits.append(f"masked:{name}")
    if r.random() < 0.25:
        body = _mask_random(r, body)
        traits.append("masked:random")
    core = body.split("\n")
    if r.random() < 0.3:  # half-width punctuation, corner quotes
        body = body.replace("，", ",").replace("。", ". ").replace("“", "「").replace("”", "」")
        traits.append("punctuation")
    farm = r.choice(FARMS)
    head, foot = _farm_chrome(r, farm, title, c["platform"])
    traits.append(f"farm:{farm}")
    blocks = head + body.split("\n") + foot
    if r.random() < 0.3:
        config = r.choice(["s2t", "s2tw"])
        blocks = [converter(config).convert(b) for b in blocks]
        traits.append(config)
    return blocks, traits, core


def clean(blocks: list[str]) -> str:
    """The pipeline's text layer over crawled blocks, joined like ``Document.body``."""
    return "\n".join(t for t in prepare_text(blocks).texts if t.strip())


def generate(n_originals: int = 3000, n_clusters: int = 400, n_siblings: int = 500,
             seed: int = 7) -> Corpus:
    """Originals, reposts of ``n_clusters`` of them (1-6 each) and ``n_siblings`` same-context
    non-duplicates, shuffled (crawl order is not publication order)."""
    r = random.Random(seed)
    w = Writer(r)
    docs: list[Doc] = []
    originals: list[tuple[Doc, dict[str, str], list[str]]] = []

    def new(story: int, kind: str, title: str, body: str, c: dict[str, str],
            parent: int | None = None, traits: list[str] | None = None) -> Doc:
        d = Doc(len(docs), story, kind, title, body, parent, traits or [], c["platform"], c["topic"])
        docs.append(d)
        return d

    for _ in range(n_originals):
        c = w.context()
        title, paras = w.article(c)
        d = new(len(docs), "original", title, clean(paras), c)
        originals.append((d, c, paras))

    for d, c, paras in r.sample(originals, n_clusters):
        copies: list[tuple[int, list[str]]] = [(d.id, paras)]
        for _ in range(r.choice([1, 1, 1, 2, 2, 3, 4, 6])):
            src_id, src_paras = r.choice(copies) if r.random() < 0.25 else copies[0]
            blocks, traits, core = repost(r, d.title, src_paras, c)
            if src_id != d.id:
                traits.append("repost-of-repost")
            rep = new(d.story, "repost", d.title, clean(blocks), c, src_id, traits)
            copies.append((rep.id, core))

    for d, c, paras in r.sample(originals, n_siblings):
        title, sib = w.article(c)
        traits = []
        if r.random() < 0.5:  # both quote the same announcement
            quoted = [s for p in paras for s in _sentences(p) if "”" in s][:2] or _sentences(paras[0])[:1]
            k = r.randrange(len(sib))
            sib[k] = "".join(quoted) + sib[k]
            traits.append(f"shares:{len(quoted)} sentences")
        new(len(docs), "sibling", title, clean(sib), c, d.id, traits)

    order = list(range(len(docs)))
    r.shuffle(order)
    shuffled = [docs[i] for i in order]
    return Corpus(shuffled)


if __name__ == "__main__":
    corpus = generate(n_originals=40, n_clusters=5, n_siblings=5, seed=1)
    for d in corpus.docs:
        if d.kind != "original" or d.id in {x.parent for x in corpus.docs}:
            print(f"--- #{d.id} story {d.story} {d.kind} parent={d.parent} {d.traits}\n{d.title}\n{d.body}\n")
