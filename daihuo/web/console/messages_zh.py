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
    # scheduler
    (r"a cron expression has 5 fields \(minute hour day month weekday\), not (\d+): (.*)",
     r"cron 表达式需要 5 个字段(分 时 日 月 周),这里有 \1 个:\2"),
    (r"not a valid cron expression: (.*)", r"不是有效的 cron 表达式:\1"),
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
    (r"could not start: (.*)", r"无法启动:\1"),
    (r"(\w+(?:Error|Exception)): (.*)", r"运行出错(\1):\2"),
    (r"source (.*) is being crawled by run #(\d+)", r"来源 \1 正在被运行 #\2 抓取,同一来源的运行不会重叠"),
    (r"could not start run #(\d+): (.*)", r"无法启动运行 #\1:\2"),
    (r"no run #(\d+)", r"没有运行 #\1"),
    (r"run #(\d+) is still running", r"运行 #\1 仍在进行"),
    # sources and settings
    (r"no source (.*)", r"没有来源 \1"),
    (r"not an http\(s\) URL: (.*)", r"不是 http/https 地址:\1"),
    (r"host (.*) does not resolve \((.*)\)", r"主机 \1 无法解析(\2)"),
    (r"(\S+) resolves to (\S+), a private/loopback/link-local address.*",
     r"\1 解析到内网地址 \2(私有、回环或链路本地);如确需抓取,请管理员在“设置”中允许该地址段"),
    (r"not a network \(CIDR\) or address: (.*)", r"不是网段(CIDR)或地址:\1"),
    (r"field 'tier': one of (.*), not (.*)", r"级别只能是 \1,不能是 \2"),
    (r"field 'name': a source (.*) exists already", r"来源 \1 已存在"),
    (r"field 'name': a source cannot be renamed; add a new one", r"来源不能改名;请添加一个新来源"),
    (r"field '(\w+)': (.*)", r"字段 \1 有误:\2"),
    # rules
    (r"a condition needs at least one clause", r"条件至少要有一项"),
    (r"clause (.*): tier takes (.*)", r"条件 \1:tier 只能是 \2"),
    (r"clause (.*): (\w+) needs a name", r"条件 \1:\2 后面需要一个名称"),
    (r"clause (.*): write e\.g\. (.*)", r"条件 \1:请写成 \2 这样的形式"),
    (r"clause (.*): write 'title contains WORD'", r"条件 \1:请写成 title contains 词"),
    (r"clause (.*): unknown; use .*",
     r"条件 \1 无法识别;可用 tier、source、platform、topic、flag、body、cluster、title contains、dated"),
    (r"no rule (.*)", r"没有规则 \1"),
    (r"a rule name is 1 to 100 .*", r"规则名称为 1 到 100 个字母、数字、“.”、“-”或“_”"),
    (r"action must be one of (.*)", r"动作只能是 \1"),
    (r"a rule (.*) exists already", r"规则 \1 已存在"),
    (r"nothing to change", r"没有需要修改的内容"),
    # curation
    (r"no article (\d+)", r"没有文章 #\1"),
    (r"a takedown needs a reason", r"下架需要填写原因"),
    (r"a rejection needs a reason", r"拒绝需要填写原因(设置中已要求)"),
    (r"edit needs a title or a summary", r"请填写标题或摘要"),
    (r"not a date and time: (.*)", r"不是有效的日期时间:\1"),
    (r"unknown action (.*)", r"未知操作 \1"),
    # users and login
    (r"wrong name or password", r"用户名或密码错误"),
    (r"too many failed logins; try again later", r"登录失败次数过多,请稍后再试"),
    (r"a user name is 1 to 100 characters", r"用户名为 1 到 100 个字符"),
    (r"role must be one of (.*)", r"角色只能是 \1"),
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
    (r"kind must be one of (.*)", r"类型只能是 \1"),
    (r"a webhook URL is an http\(s\) URL", r"通知地址必须是 http/https 地址"),
    (r"webhook (.*) exists already", r"通知 \1 已存在"),
    (r"no webhook (.*)", r"没有通知 \1"),
    (r"unknown webhook kind (.*)", r"未知的通知类型 \1"),
    # a failed page of a run (crawlers/fetch_failures.py): "failed (kind): reason"
    (r"(failed|refused) \((\w+)\): (.*)",
     lambda m: f"{'抓取失败' if m[1] == 'failed' else '按规则未抓取'}({_FETCH_KINDS.get(m[2], m[2])}):"
               f"{error(m[3]) if m[3].startswith('HTTP ') else m[3]}"),
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
    if not text or _CJK.search(text):
        return text
    for pattern, template in _ERRORS:
        m = pattern.fullmatch(text)
        if m:
            return template(m) if callable(template) else m.expand(template)
    return f"操作未完成:{text}"


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
