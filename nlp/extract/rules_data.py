"""Keyword patterns for the line-level cleaning rules, in one place (Simplified script only).

Rules match on a Simplified, NFKC view of each line, so Traditional pages need no second list.
Patterns name page furniture, never a particular site's wording.
"""

from __future__ import annotations

import re

NAME = r"[\u4e00-\u9fffA-Za-z·・ ]{1,20}"

# 责任编辑：王某 / 【编辑：王某】 / (责编 王某)
EDITOR_LINE = re.compile(
    r"^[\[\(（【〔]?\s*(?:责任编辑|责编|编辑|主编|值班编辑|实习编辑|编审|审核|审校|校对|监制|"
    r"编校|Editor|Edited by)\s*[:：/|丨]?\s*(" + NAME + r")\s*[\]\)）】〕]?\s*$",
    re.IGNORECASE,
)
# the same credit glued to the end of the last paragraph: "……爆发了。（责任编辑：王某）"
EDITOR_TAIL = re.compile(
    r"[\[\(（【〔]\s*(?:责任编辑|责编|编辑|编审|主编)\s*[:：]?\s*(" + NAME + r")\s*[\]\)）】〕]\s*$"
)
BYLINE_LINE = re.compile(
    r"^[\[\(（【]?\s*(?:作者|文|撰文|记者|本报记者|通讯员|文/图|图/文|撰稿|口述|整理)\s*[:：/|丨]\s*("
    + r"[\u4e00-\u9fffA-Za-z·・ ,，、]{1,30}" + r")\s*[\]\)）】]?\s*$"
)
# "……爆发了。钟天翼 耿 强": space-separated names after the last sentence of the article.
TRAILING_NAMES = re.compile(
    r"([。！？!?”」』])\s*((?:[\u4e00-\u9fff]{1,3}\s+){1,5}[\u4e00-\u9fff]{1,3})\s*$"
)

ORIGINAL_SOURCE = re.compile(
    r"(?:本文|此文|文章)?(?:原创)?(?:首发|发布|来自|转自|转载自|来源|源自|出自)(?:于|自)?\s*[:：]?\s*"
    r"([^\s,，。;；:：()（）]{2,30})"
)
SOURCE_LINE = re.compile(r"^[\[(（【]?\s*(?:文章)?来源\s*[:：]\s*([^\s,，。;；()（）\]】]{2,30})")
CANONICAL_LINE = re.compile(
    r"^(?:本文网址|本文链接|原文链接|文章链接|原文地址|本文地址|永久链接|文章地址|转载请注明出处)\s*[:：]\s*"
    r"(https?://\S+)"
)

META_WORDS = re.compile(
    r"时间|发布|发表|来源|作者|编辑|人气|浏览|阅读|点击|评论|分类|栏目|字号|日期|更新|"
    r"次|出处|责任|记者|稿源|Posted|Updated|Published|By\b",
    re.IGNORECASE,
)

NAV_PREV_NEXT = re.compile(
    r"^\s*(?:[«‹<]|上一篇|下一篇|上一页|下一页|上篇|下篇|前一篇|后一篇|返回首页|返回顶部|返回列表|"
    r"返回目录|previous|next)|[»›>]\s*$|上一篇.*下一篇",
    re.IGNORECASE,
)
BREADCRUMB = re.compile(r"^(?:当前位置|您的位置|你的位置|您现在的位置|所在位置|位置)\s*[:：]|^首页\s*[>›»/]")

RELATED_HEADING = re.compile(
    r"^[\[【(（\s]*(?:相关新闻|相关阅读|相关链接|延伸阅读|相关文章|推荐阅读|热门推荐|猜你喜欢|"
    r"热点推荐|更多精彩|相关报道|相关专题|热门文章|热点新闻|最新文章|精彩推荐|相关推荐|"
    r"热门阅读|编辑推荐|图片推荐|今日推荐|相关资讯|其他新闻|更多阅读|热门标签|相关搜索|"
    r"related (?:articles|stories|posts)|read more|more stories|you may also like)"
    r"[\]】)）\s:：>»]*",
    re.IGNORECASE,
)
RECOMMEND_HEADER = re.compile(r"(?:为您|为你|猜你|相关|热门|精彩)\S{0,8}(?:推荐|在售)")
ELLIPSIS_END = re.compile(r"(?:\.\.\.|…|。。。|\.\.)\s*[\]】)）]?\s*$")

WIDGET = re.compile(
    r"分享到|分享至|一键分享|[\[【]\s*打印|打印本[文页]|关闭窗口|[\[【]\s*关闭|收藏本文|加入收藏|字号|"
    r"[【\[]\s*大\s*中\s*小\s*[】\]]|我要评论|发表评论|查看评论|条评论|网友评论|评论\s*\(|"
    r"推荐给朋友|复制链接|扫一扫|二维码|关注我们|微信扫|阅读全文|点击查看|我要纠错|我要投稿|"
    r"手机看新闻|返回顶部",
    re.IGNORECASE,
)
# single widget words: only when the line is little more than the words themselves
WIDGET_WORDS = re.compile(
    r"^(?:[\s\d|/·•()（）\[\]【】:：]*(?:分享|评论|转发|收藏|点赞|打印|关闭|举报|纠错|订阅|登录|注册|"
    r"打赏|赞赏|微博|微信|QQ空间|复制|推荐|顶|踩|share|print|email|tweet|comments?|reply)"
    r"[\s\d|/·•()（）\[\]【】:：]*)+$",
    re.IGNORECASE,
)
REWARD = re.compile(r"给作者打赏|\d+\s*人打赏|打赏作者|我要打赏|赞赏支持|鼓励TA|鼓励作者")

DISCLAIMER = re.compile(
    r"免责声明|版权声明|^\s*[【\[]?声明[】\]]?\s*[:：]|版权所有|版权归.{0,20}所有|copyright|©|"
    r"未经.{0,10}(?:许可|授权|允许|同意).{0,12}(?:转载|使用|复制|摘编)|不得转载|禁止转载|"
    r"转载请注明|仅代表作者|不代表本(?:站|网)|仅提供信息存储|不承担.{0,8}责任|如有侵权|侵权.{0,10}删除|"
    r"请联系我们.{0,6}删除|all rights reserved|icp备|icp证|公网安备|违法和不良信息举报",
    re.IGNORECASE,
)

BIO_MARKER = re.compile(
    r"^\s*(?:#\s*专栏作家\s*#|#\s*作者\s*#|作者简介|关于作者|作者介绍|专栏作家\s*$|about the author)",
    re.IGNORECASE,
)
IMAGE_CREDIT = re.compile(
    r"^\s*[\[(（【]?\s*(?:题图|头图|封面图|封面|配图|首图|图片|图源|图)\s*(?:来自|来源|源自|由|出自|"
    r"[:：])\s*\S.{0,60}$"
)

URL = re.compile(
    r"https?://\S+|www\.[\w-]+\.\w+|\b[\w-]+\.(?:com|cn|net|org|cc|top|vip|xyz|info)\b",
    re.IGNORECASE,
)
PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|400-?\d{3}-?\d{4})(?!\d)|[Qq]{2}\s*[:：]?\s*\d{5,}|微信号?\s*[:：]")
COMMERCIAL = re.compile(
    r"专业|厂家|提供|源码|下载|咨询|联系|电话|热线|加微信|微信号|qq|价格|优惠|代理|加盟|招商|官网|"
    r"免费|服务|模板|质量保证|交货|欢迎|批发|定制|报价|合作|商务",
    re.IGNORECASE,
)

# A_B_C keyword runs in captions and alt-text stuffing.
KEYWORD_RUN = re.compile(r"(?:[^\s_,，。;；]{2,20}_){2,}[^\s_,，。;；]{2,20}")

# The injected SEO phrases of account-trading sites: "<平台>号买卖", "<平台>账号交易"...
ACCOUNT_TRADE = re.compile(
    r"(?:快手|抖音|微博|小红书|淘宝|视频号|公众号|头条|B站|哔哩哔哩|西瓜|火山|今日头条|百家号|知乎|"
    r"微信|QQ|游戏)(?:账?号)(?:买卖|交易|出售|转让|收购|购买|估价|租赁)(?:平台|网)?"
)

LEAD_MARKER = re.compile(r"^\s*[\[【(（]?\s*(?:编辑导语|导语|编者按|核心提示|内容提要|摘要|导读)\s*[\]】)）]?\s*[:：]\s*")

SENTENCE_END = re.compile(r"[。！？!?…”」』\"'.;；)）]\s*$")
CJK = re.compile(r"[\u4e00-\u9fff]")
# sentence punctuation (colons left out: "电话：…" and "来源：…" lines are not sentences)
PUNCT = re.compile(r"[，。；？！、,;?!]")
