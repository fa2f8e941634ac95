"""Date forms Chinese pages print, absolute and relative to the fetch time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nlp.extract.dates import LOCAL_TZ, parse_date

NOW = datetime(2024, 3, 10, 15, 0, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("发布时间:2022-8-16 分类: 电商动态", datetime(2022, 8, 16, tzinfo=LOCAL_TZ)),
        ("时间: 2021-08-03 08:50:14 人气: 13", datetime(2021, 8, 3, 8, 50, 14, tzinfo=LOCAL_TZ)),
        ("2024年1月29日", datetime(2024, 1, 29, tzinfo=LOCAL_TZ)),
        ("2024年1月29日 12:30", datetime(2024, 1, 29, 12, 30, tzinfo=LOCAL_TZ)),
        ("２０１１年１２月０９日１０：２３", datetime(2011, 12, 9, 10, 23, tzinfo=LOCAL_TZ)),
        ("2021/08/03", datetime(2021, 8, 3, tzinfo=LOCAL_TZ)),
        ("2021-08-03T08:50:14+08:00", datetime(2021, 8, 3, 8, 50, 14, tzinfo=LOCAL_TZ)),
        ("2019-11-20T10:43:00Z", datetime(2019, 11, 20, 10, 43, tzinfo=timezone.utc)),
        ("Nov 19, 2019", datetime(2019, 11, 19, tzinfo=LOCAL_TZ)),
    ],
)
def test_absolute_forms(text, expected):
    got = parse_date(text)
    assert got == expected
    assert got.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3小时前", NOW - timedelta(hours=3)),
        ("5分钟前", NOW - timedelta(minutes=5)),
        ("2天前", NOW - timedelta(days=2)),
        ("昨天 12:30", datetime(2024, 3, 9, 12, 30, tzinfo=LOCAL_TZ)),
        ("前天 08:05", datetime(2024, 3, 8, 8, 5, tzinfo=LOCAL_TZ)),
        ("刚刚", NOW),
    ],
)
def test_relative_forms_need_now(text, expected):
    assert parse_date(text, NOW) == expected
    assert parse_date(text) is None


def test_yesterday_is_local_day_even_when_now_is_utc():
    now_utc = datetime(2024, 3, 9, 20, 0, tzinfo=timezone.utc)  # 04:00 on the 10th in Beijing
    assert parse_date("昨天 12:30", now_utc) == datetime(2024, 3, 9, 12, 30, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize("text", ["", "没有日期的一句话", "2024-13-45", "编号 123456"])
def test_no_date(text):
    assert parse_date(text, NOW) is None
