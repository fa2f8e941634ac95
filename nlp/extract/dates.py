"""Publication dates in the forms Chinese (and English) pages use.

Naive times are Asia/Shanghai: the sites this project crawls are mainland, Taiwan and Hong
Kong portals, all UTC+8, and a page that prints ``2021-08-03 08:50:14`` means local time.
Relative forms (``3小时前``, ``昨天 12:30``) are resolved against ``now`` (the fetch time);
without ``now`` they are not guessed.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone, tzinfo

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ: tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # pragma: no cover - no tz database on the host
    LOCAL_TZ = timezone(timedelta(hours=8))

_TIME = r"(?:[T\s]*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?(?:\.\d+)?)?"
_TZ = r"\s*(Z|[+-]\d{2}:?\d{2})?"
# 2022-8-16, 2021/08/03 08:50:14, 2021.08.03, 2021-08-03T08:50:14+08:00
_NUMERIC = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)" + _TIME + _TZ
)
# 2024年1月29日 12:30
_HANZI = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?" + _TIME)
_AGO = re.compile(r"(\d+)\s*(秒|分钟|分鐘|小时|小時|天|日|周|週|星期|个月|個月|月|年)\s*[以之]?前")
_DAYWORD = re.compile(r"(今天|昨天|前天|今日|昨日|刚刚|剛剛)" + r"\s*(?:(\d{1,2})[:：](\d{1,2}))?")
_EN_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_ENGLISH = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2}),?\s+((?:19|20)\d{2})",
    re.IGNORECASE,
)


def _tz(tzs: str | None) -> tzinfo:
    if not tzs:
        return LOCAL_TZ
    if tzs == "Z":
        return timezone.utc
    sign = 1 if tzs[0] == "+" else -1
    digits = tzs[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _build(y: str, mo: str, d: str, h=None, mi=None, s=None, tzs=None) -> datetime | None:
    try:
        return datetime(
            int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), tzinfo=_tz(tzs)
        )
    except ValueError:
        return None


def _relative(text: str, now: datetime) -> datetime | None:
    if now.tzinfo is None:
        now = now.replace(tzinfo=LOCAL_TZ)
    m = _AGO.search(text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        unit_delta = {
            "秒": timedelta(seconds=1), "分钟": timedelta(minutes=1), "分鐘": timedelta(minutes=1),
            "小时": timedelta(hours=1), "小時": timedelta(hours=1), "天": timedelta(days=1),
            "日": timedelta(days=1), "周": timedelta(weeks=1), "週": timedelta(weeks=1),
            "星期": timedelta(weeks=1), "个月": timedelta(days=30), "個月": timedelta(days=30),
            "月": timedelta(days=30), "年": timedelta(days=365),
        }[unit]
        return now - n * unit_delta
    m = _DAYWORD.search(text)
    if m:
        word = m.group(1)
        if word in ("刚刚", "剛剛"):
            return now
        back = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}[word]
        local = now.astimezone(LOCAL_TZ) - timedelta(days=back)
        if m.group(2) is not None:
            try:
                return local.replace(
                    hour=int(m.group(2)), minute=int(m.group(3)), second=0, microsecond=0
                )
            except ValueError:
                return None
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return None


def parse_date(text: str | None, now: datetime | None = None) -> datetime | None:
    """First date in ``text`` as an aware datetime, or None.

    Absolute forms win over relative ones; relative forms need ``now``.
    """
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text[:2000])
    for pattern in (_NUMERIC, _HANZI):
        m = pattern.search(text)
        if m:
            groups = m.groups()
            dt = _build(*groups[:6], tzs=groups[6] if len(groups) > 6 else None)
            if dt is not None:
                return dt
    m = _ENGLISH.search(text)
    if m:
        month = _EN_MONTHS.get(m.group(1)[:3].lower())
        if month:
            dt = _build(m.group(3), str(month), m.group(2))
            if dt is not None:
                return dt
    if now is not None:
        return _relative(text, now)
    return None


def has_date(text: str) -> bool:
    """Whether ``text`` holds an absolute or relative date form (cheap pre-check)."""
    text = unicodedata.normalize("NFKC", text)
    return bool(
        _NUMERIC.search(text) or _HANZI.search(text) or _AGO.search(text) or _DAYWORD.search(text)
    )
