"""The console's message catalogue (zh-CN): names of statuses, actions, roles and kinds, and the
Chinese text of the errors the store, scheduler and runners raise.

Those layers keep their messages in English (the CLI and the JSON API show them as they are);
the console shows every message through here. A code or identifier (a source name, a cron
expression, a URL) stays as it is inside the Chinese sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: value -> Chinese name, per group; templates use ``value|zh('group')``
NAMES: dict[str, dict[str, str]] = {
    "status": {"new": "待审", "approved": "已通过", "rejected": "已拒绝", "published": "已发布",
               "unpublished": "已下架"},
    "action": {"approve": "通过", "reject": "拒绝", "feature": "置顶", "unfeature": "取消置顶",
               "unpublish": "下架", "unpublish_source": "下架整个来源", "edit": "修改标题/摘要",
               "publish": "发布", "schedule": "定时通过", "auto_approve": "规则通过", "auto_reject": "规则拒绝",
               "rule_add": "添加规则", "rule_edit": "修改规则", "rule_remove": "删除规则",
               "rule_move": "调整规则顺序",
               "setting_set": "修改设置", "source_add": "添加来源", "source_edit": "修改来源",
               "source_enable": "启用来源", "source_disable": "停用来源", "source_import": "导入来源",
               "source_remove": "删除来源",
               "user_add": "添加用户", "user_edit": "修改用户", "user_role": "修改角色",
               "user_disable": "停用用户", "user_enable": "启用用户",
               "schedule_add": "添加计划", "schedule_edit": "修改计划", "schedule_pause": "暂停计划",
               "schedule_resume": "恢复计划", "schedule_delete": "删除计划", "schedule_run": "立即运行",
               "run_start": "立即运行", "run_cancel": "取消运行",
               "webhook_add": "添加通知", "webhook_edit": "修改通知", "webhook_disable": "停用通知",
               "webhook_enable": "启用通知", "webhook_remove": "删除通知", "webhook_test": "测试通知",
               "dead_requeue": "死信重新排队"},
    "role": {"analyst": "分析员", "editor": "编辑", "admin": "管理员"},
    "kind": {"news": "新闻", "listings": "账号列表"},
    "run_status": {"running": "运行中", "finished": "完成", "finished_with_errors": "完成(有失败页面)",
                   "failed": "失败", "cancelled": "已取消"},
    "trigger": {"manual": "手动", "schedule": "计划", "rerun": "重跑", "resume": "续跑",
                "cli": "命令行", "demo": "演示", "worker": "分布式节点", "distributed": "分布式"},
    "quality": {"passed": "通过", "failed": "未通过"},
    "webhook_kind": {"json": "通用 JSON", "wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"},
    # keys of a run's stats breakdowns: drop reasons, failed stages, incremental counters
    "stat": {"unchanged": "内容未变", "duplicate": "与其他网址重复", "duplicate_url": "重复网址",
             "duplicate_body": "正文重复", "failed": "失败", "listing_page": "账号列表页",
             "stored": "入库", "updated": "更新", "fetch": "抓取", "decode": "解码", "extract": "抽取",
             "text": "文本处理", "segment": "分词", "tag": "打标签", "fingerprint": "指纹",
             "listings": "账号解析", "store": "入库", "skipped": "跳过", "not_modified": "未修改(304)",
             "unchanged_body": "正文未变", "revisited": "重访", "conditional": "条件请求",
             "known": "已知网址", "still_failing": "仍然失败"},
    "listing_status": {"active": "在售", "removed": "已下架"},
    "rule_action": {"approve": "通过", "reject": "拒绝", "feature": "置顶"},
    "render": {"never": "不渲染", "auto": "自动判断", "always": "总是渲染"},
    # console settings, as audit targets
    "setting": {"allowed_networks": "允许的内网地址", "require_reject_reason": "拒绝必须填写原因"},
    "check": {"zero_items": "文章数", "body_length": "正文长度", "field_coverage": "字段覆盖率",
              "date_parse": "日期识别", "error_rate": "错误率"},
}


def name(value: object, group: str) -> str:
    """The Chinese name of ``value`` in ``group`` (the value itself when it has none)."""
    if value is None:
        return ""
    return NAMES.get(group, {}).get(str(value), str(value))


# (pattern over the English message, Chinese template with the pattern's groups)
_ERRORS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [(re.compile(p, re.S), t) for p, t in [
    # a Chinese message with its English gloss for API clients ("用户名或密码错误 (wrong name or password)")
    (r"([\u3400-\u9fff][^()]*?) \([a-z][a-z ,'-]*\)", r"\1"),
    # a failed fetch's reason (crawlers/fetch_failures.py), before the generic "XError: ..."
    (r"IgnoreRequest: Forbidden by robots\.txt", r"网站的 robots.txt 不允许抓取这个网址"),
    (r"ConnectionRefusedError: .*", r"对方拒绝连接(网站没有在这个端口上服务)"),
    # scheduler
    (r"a cron expression has 5 fields \(minute hour day month weekday\), not (\d+): (.*)",
     r"cron 表达式需要 5 个字段(分 时 日 月 周),这里有 \1 个:\2"),
    (r"not a valid cron expression: (.*)",
     r"不是有效的 cron 表达式:\1(分 0–59、时 0–23、日 1–31、月 1–12、周 0–6,可用 *、*/15、1-5、1,15;例如 0 8 * * * 是每天 8 点)"),
    (r"cron expression (.*) never fires .*",
     r"cron 表达式 \1 永远不会触发:没有任何日期同时符合它的“日”“月”“周”字段(例如 2 月没有 31 日)"),
    (r"cron expression (.*) fires less than once a year \(up to (\d+) days apart\).*",
     r"cron 表达式 \1 不到一年触发一次(两次之间最长 \2 天);计划至少要每年运行一次"),
    (r"unknown time zone (.*) \(e\.g\. Asia/Shanghai\)", r"未知的时区 \1(例如 Asia/Shanghai)"),
    (r"no schedule #(\d+)", r"没有计划 #\1"),
    # runs
    (r"orphaned: the run's process \(pid (\d+)\) is gone", r"运行进程(pid \1)已不存在,运行被标记为失败"),
    (r"orphaned: the run's process never started", r"运行进程没有启动"),
    (r"orphaned: no heartbeat from (\S+) since (.*)", r"自 \2 起没有收到 \1 的心跳"),
    (r"cancelled", r"已取消"),
    (r"cancelled \(no live process\)", r"已取消(进程已不在)"),
    (r"could not start: (.*)", lambda m: f"无法启动:{_known(m[1])}"),
    (r"(\w+(?:Error|Exception)): (.*)", r"运行出错(\1):\2"),
    (r"source (.*) is being crawled by run #(\d+)", r"来源 \1 正在被运行 #\2 抓取,同一来源的运行不会重叠"),
    (r"could not start run #(\d+): (.*)", r"无法启动运行 #\1:\2"),
    (r"no run #(\d+)", r"没有运行 #\1"),
    (r"run #(\d+) is still running", r"运行 #\1 仍在进行"),
    # sources and settings
    (r"no source (.*)", r"没有来源 \1"),
    (r"not an http\(s\) URL: (.*)", r"不是 http/https 地址:\1"),
    (r"host (.*) does not resolve \((.*)\)", lambda m: f"主机 {m[1]} 无法解析({_resolver(m[2])}),请检查网址拼写"),
    (r"(\S+) resolves to (\S+), a private/loopback/link-local address.*",
     r"\1 解析到内网地址 \2(私有、回环或链路本地);如确需抓取,请管理员在“设置”中允许该地址段"),
    (r"not a network \(CIDR\) or address: (.*)", r"不是网段(CIDR)或地址:\1"),
    (r"host (.*) has no address", r"主机 \1 没有地址"),
    # a source's validation (editorial/source_config.py): "source 'x': field 'f': why"
    (r"(?:stored )?source(?: '[^']*')*: (field '.*)", lambda m: error(m[1])),
    (r"field 'tier': one of (.*), not (.*)", r"级别只能是 \1,不能是 \2"),
    (r"field 'name': a source (.*) exists already", r"来源 \1 已存在"),
    (r"field 'name': a source cannot be renamed; add a new one", r"来源不能改名;请添加一个新来源"),
    (r"field '(\w+)': (.*)", lambda m: f"{_field(m[1])}有误:{_why(m[2])}"),
    # rules
    (r"a condition needs at least one clause", r"条件至少要有一项"),
    (r"clause (.*): tier takes (.*)", r"条件 \1:tier 只能是 \2"),
    (r"clause (.*): (\w+) needs a name", r"条件 \1:\2 后面需要一个名称"),
    (r"clause (.*): write e\.g\. (.*)", r"条件 \1:请写成 \2 这样的形式"),
    (r"clause (.*): write 'title contains WORD'", r"条件 \1:请写成 title contains 词"),
    (r"clause (.*): unknown; use .*",
     r"条件 \1 无法识别;可用 tier、source、platform、topic、flag、body、cluster、title contains、dated"),
    (r"clause (.*?): (unknown (?:platform|topic|entity|source) .*)", lambda m: f"条件 {m[1]}:{error(m[2])}"),
    (r"unknown (platform|topic|entity|source) '(.*)'; did you mean (.*)\?",
     lambda m: f"未知的{_KIND_ZH[m[1]]}“{m[2]}”,您是否要找:{'、'.join(m[3].split(' or '))}?"),
    (r"unknown (platform|topic|entity|source) '(.*)'; no known .* is close.*",
     lambda m: f"未知的{_KIND_ZH[m[1]]}“{m[2]}”,没有相近的已知值(可参考检索页分面计数中的取值)"),
    (r"no rule (.*)", r"没有规则 \1"),
    (r"a rule name is 1 to 100 .*", r"规则名称为 1 到 100 个字母、数字、“.”、“-”或“_”"),
    (r"action must be one of (.*)", lambda m: f"动作只能是 {_choices(m[1], 'rule_action')}"),
    (r"a rule (.*) exists already", r"规则 \1 已存在"),
    (r"nothing to change", r"没有需要修改的内容"),
    # curation
    (r"no article (\d+)", r"没有文章 #\1"),
    (r"a takedown needs a reason", r"下架需要填写原因"),
    (r"a reason is at most (\d+) characters, not (\d+)", r"原因最多 \1 个字,这里有 \2 个字,请缩短"),
    (r"a rejection needs a reason", r"拒绝需要填写原因(设置中已要求)"),
    (r"edit needs a title or a summary", r"请填写标题或摘要"),
    (r"not a date and time: (.*)", r"不是有效的日期时间:\1;请写成 2026-03-01T08:00 的形式(北京时间)"),
    (r"unknown action (.*)", r"未知操作 \1"),
    # users and login
    (r"wrong name or password", r"用户名或密码错误"),
    (r"too many failed logins; try again later", r"登录失败次数过多,请稍后再试"),
    (r"a user name is 1 to 100 characters", r"用户名为 1 到 100 个字符"),
    (r"role must be one of (.*)", lambda m: f"角色只能是 {_choices(m[1], 'role')}"),
    (r"a password has at least (\d+) characters", r"密码至少 \1 位"),
    (r"user (.*) exists already", r"用户 \1 已存在"),
    (r"no user (.*)", r"没有用户 \1"),
    (r"you cannot demote or disable yourself.*", r"不能降低自己的角色或停用自己(请另一位管理员操作)"),
    (r"unknown operation (.*)", r"未知操作 \1"),
    (r"needs the (\w+) role", lambda m: f"需要“{name(m[1], 'role')}”或更高的角色"),
    (r"missing or wrong CSRF token", r"表单已过期或来源不明(CSRF 校验失败),请刷新页面后重试"),
    (r"log in first", r"请先登录"),
    # webhooks
    (r"a webhook name is 1 to 100 characters", r"通知名称为 1 到 100 个字符"),
    (r"kind must be one of (.*)", lambda m: f"类型只能是 {_choices(m[1], 'webhook_kind')}"),
    (r"a webhook URL is an http\(s\) URL", r"通知地址必须是 http/https 地址"),
    (r"webhook (.*) exists already", r"通知 \1 已存在"),
    (r"no webhook (.*)", r"没有通知 \1"),
    (r"unknown webhook kind (.*)", r"未知的通知类型 \1"),
    # a failed page of a run (crawlers/fetch_failures.py): "failed (kind): reason"
    (r"(failed|refused) \((\w+)\): (.*)",
     lambda m: f"{'抓取失败' if m[1] == 'failed' else '按规则未抓取'}({_FETCH_KINDS.get(m[2], m[2])}):"
               f"{_known(m[3])}"),
    # the console's test extraction (daihuo.web.console.extraction)
    (r"the page is (.*) bytes; the cap is (.*)", r"页面有 \1 字节,超过上限 \2 字节"),
    (r"the page is over the (.*)-byte cap", r"页面超过 \1 字节的上限"),
    (r"no answer within (.*) s", r"\1 秒内没有响应"),
    (r"fetch failed: (.*)", r"抓取失败:\1"),
    (r"more than (\d+) redirects", r"跳转超过 \1 次"),
    (r"HTTP (\d+)", r"对方返回 HTTP \1"),
    # exports
    (r"Parquet export needs pyarrow on the server: .*",
     r"服务器没有安装 pyarrow,无法导出 Parquet;请管理员执行 pip install 'daihuo[parquet]',或先导出 CSV"),
    # searching and generic
    (r"status must be one of (.*)", lambda m: f"状态只能是 {_choices(m[1], 'status')}"),
    (r"the query has no searchable words", r"检索词里没有可检索的词(只有符号或运算符),请输入要找的词"),
    (r"the query has no searchable words: .*",
     r"检索词里没有可检索的词(只有符号或运算符);请输入要找的词,或不填检索词、选择平台、话题、实体、来源、日期或状态来浏览"),
    (r"no such (article|source|run)", r"没有这个对象"),
]]

# quality-check details (daihuo.quality), one "; "-separated part at a time
_DETAILS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), t) for p, t in [
    (r"(\d+) articles found", r"找到 \1 篇文章"),
    (r"the crawl found no articles .*", r"本次抓取没有找到文章(页面改版、被屏蔽,或起始地址有误?)"),
    (r"mean body (\d+) characters, usually (\d+)", r"正文平均 \1 字,通常 \2 字"),
    (r"title, date and author coverage as usual", r"标题、日期和作者的覆盖率正常"),
    (r"(\w+) on (\d+%) of articles, usually (\d+%)", r"\1 只覆盖 \2 的文章,通常 \3"),
    (r"(\d+%) of articles have no date, usually (\d+%)", r"\1 的文章没有日期,通常 \2"),
    (r"(\d+%) of articles have no date", r"\1 的文章没有日期"),
    (r"(\d+%) of requests or pages failed", r"\1 的请求或页面失败"),
    (r"a test message from daihuo", r"来自 daihuo 的测试消息"),
]]


def detail(text: object) -> str:
    """A quality check's detail in Chinese (unknown parts are kept as they are)."""
    parts = []
    for part in str(text or "").split("; "):
        for pattern, template in _DETAILS:
            m = pattern.fullmatch(part)
            if m:
                part = m.expand(template)
                break
        parts.append(part)
    return ";".join(parts)


_FETCH_KINDS = {"http": "HTTP 错误", "robots": "robots.txt 禁止", "timeout": "超时", "dns": "域名解析",
                "connection": "连接失败", "cancelled": "已取消", "download": "下载出错"}

_CJK = re.compile(r"[\u3400-\u9fff]")


def error(message: object) -> str:
    """The Chinese text of an error message (one that is already Chinese is kept)."""
    text = str(message or "").strip()
    # The catalogue first: an English message may carry the user's Chinese input ('火星台').
    # Chinese outside quotes and no pattern: a message that is Chinese already.
    if not text:
        return text
    translated = _known(text)
    if translated != text or _CJK.search(_QUOTED.sub("", text)):
        return translated
    return f"操作未完成:{text}"


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”")


def _known(text: str) -> str:
    """``text`` translated by the catalogue, or unchanged when no pattern knows it."""
    for pattern, template in _ERRORS:
        m = pattern.fullmatch(text)
        if m:
            return template(m) if callable(template) else m.expand(template)
    return text


_KIND_ZH = {"platform": "平台", "topic": "话题", "entity": "实体", "source": "来源"}

#: a source field's Chinese label (the form's), the code kept beside it
_FIELDS = {"name": "名称", "kind": "类型", "start_urls": "起始地址", "follow": "跟随链接规则",
           "articles": "文章链接规则", "allowed_domains": "允许的域名", "delay": "请求间隔",
           "concurrency": "并发数", "removed_after": "下架判定次数", "region": "地区", "charset": "字符集",
           "selector": "正文选择器", "render": "渲染", "max_pages": "最多页数", "list_api": "列表接口",
           "tier": "级别", "note": "备注", "autothrottle": "自动限速", "enabled": "启用"}


def _field(key: str) -> str:
    return f"字段“{_FIELDS[key]}”({key})" if key in _FIELDS else f"字段 {key} "


# why a source field was refused (editorial/source_config.py, network_policy.domain_problem)
_WHYS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [(re.compile(p, re.S), t) for p, t in [
    (r"required; lowercase letters, digits, '-' or '_'", r"必填,只能用小写字母、数字、“-”或“_”"),
    (r"must be one of (.*), not (.*)", r"只能是 \1,不能是 \2"),
    (r"one of (.*), not (.*)", r"只能是 \1,不能是 \2"),
    (r"required \(unless list_api is given\); a list of http\(s\) URLs",
     r"必填(设置了列表接口 list_api 时除外),每行一个 http/https 地址"),
    (r"not an http\(s\) URL: (.*)", r"不是 http/https 地址:\1(请写完整地址,例如 https://example.com/news/)"),
    (r"not a number: (.*)", r"\1 不是数字"),
    (r"not a whole number: (.*)", r"\1 不是整数"),
    (r"must be a list of strings", r"必须是文本列表,每行一个"),
    (r"invalid regex (.*): (.*?)(?: at position (\d+))?",
     lambda m: f"正则表达式 {m[1]} 无效:{_REGEX_ERRORS.get(m[2], m[2])}"
               + (f"(第 {int(m[3]) + 1} 个字符处)" if m[3] else "")),
    (r"seconds between requests, a number from 0 to 3600", r"两次请求之间的秒数,须是 0 到 3600 之间的数字"),
    (r"a whole number from (\d+) to (\d+)", r"须是 \1 到 \2 之间的整数"),
    (r"a whole number of crawls from 1 to 100", r"完整抓取的次数,须是 1 到 100 之间的整数"),
    (r"a whole number of pages from 1 to 200", r"页数,须是 1 到 200 之间的整数"),
    (r"tw, hk or cn", r"只能是 tw(台湾)、hk(香港)或 cn(大陆),或留空"),
    (r"must be a string", r"必须是文本"),
    (r"at most (\d+) characters, not (\d+)", r"最多 \1 个字,这里有 \2 个字"),
    (r"unknown charset (.*) \(e\.g\. .*\)", r"未知的字符集 \1(例如 gb18030、utf-8、big5;不确定就留空,自动识别)"),
    (r"must be true or false", r"必须是 true 或 false"),
    (r"unknown field \(known: (.*)\)", r"不是来源的字段(可用字段:\1)"),
    (r"duplicate name", r"名称重复"),
    (r"(.*) is a bare label, which would match every host ending in it; .*",
     r"\1 只是一段域名,会匹配所有以它结尾的主机;请写完整的主机名,例如 example.com"),
    (r"(.*) is not a host name.*", r"\1 不是主机名(只写主机名,例如 example.com,不要写 http:// 或路径)"),
]]

_REGEX_ERRORS = {"unterminated character set": "方括号 [ 没有闭合", "nothing to repeat": "* + ? 前面没有可重复的内容",
                 "missing ), unterminated subpattern": "圆括号 ( 没有闭合", "unbalanced parenthesis": "圆括号不配对",
                 "multiple repeat": "重复符号连用", "bad escape (end of pattern)": "末尾的 \\ 后面缺少字符"}


def _why(text: str) -> str:
    for pattern, template in _WHYS:
        m = pattern.fullmatch(text)
        if m:
            return template(m) if callable(template) else m.expand(template)
    return error(text)


def _choices(listed: str, group: str) -> str:
    """"analyst, editor, admin" as "analyst(分析员)、editor(编辑)、admin(管理员)"."""
    return "、".join(f"{v}({name(v, group)})" if name(v, group) != v else v
                    for v in (x.strip() for x in listed.split(",")))


def _resolver(reason: str) -> str:
    """The resolver's reason ("[Errno -2] Name or service not known") in Chinese."""
    for english, zh in (("Name or service not known", "域名不存在"), ("No address associated", "域名没有地址"),
                        ("Temporary failure in name resolution", "暂时无法解析域名,请稍后再试"),
                        ("nodename nor servname", "域名不存在")):
        if english in reason:
            return zh
    return reason


def reason(text: object) -> str:
    """A decision's reason as the history shows it: editors' own words are kept; the reason
    editorial.curation writes for an edit ("edited summary, title") is translated."""
    text = str(text or "")
    m = re.fullmatch(r"edited ((?:title|summary)(?:, (?:title|summary))*)", text)
    if m:
        return "修改了" + "和".join({"title": "标题", "summary": "摘要"}[f] for f in m[1].split(", "))
    return text


def delivery(result: str | None) -> str:
    """A webhook delivery result ("ok", "HTTP 500", "unreachable: ...") in Chinese."""
    if not result:
        return ""
    if result == "ok":
        return "成功"
    for prefix, zh in (("HTTP ", "对方返回 HTTP "), ("unreachable: ", "无法连接:"), ("refused: ", "被拒绝:")):
        if result.startswith(prefix):
            return zh + result[len(prefix):]
    return result


def skip(text: str | None) -> str:
    """Why a schedule's last fire launched nothing ("<ISO time> <why>", daihuo.runs.cron) in
    Chinese, the time shown as China time."""
    if not text:
        return ""
    when, _, why = text.partition(" ")
    try:
        from datetime import datetime

        from daihuo.web.site.markup import display_date

        when = display_date(datetime.fromisoformat(when))
    except ValueError:
        why = text
        when = ""
    m = re.fullmatch(r"source (.*) is disabled", why)
    if m:
        zh = f"来源 {m[1]} 已停用,没有运行"
    elif why.startswith("skipped: "):
        zh = "已跳过:" + error(why[len("skipped: "):])
    elif why.startswith("not launched: "):
        zh = "没有启动:" + error(why[len("not launched: "):])
    else:
        zh = error(why)
    return f"{when} {zh}".strip()
