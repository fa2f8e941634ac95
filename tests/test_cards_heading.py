"""Account cards under an article: split off the body, with the category their heading names."""

from nlp.charset import decode_html
from nlp.extract import extract

PAGE = """<html><head><meta charset="utf-8"><title>测试文章</title></head><body>
<div class="content"><h1>测试文章</h1>
<p>这是一段关于主播和直播间运营的正文内容,讲述商家如何在平台上开展直播带货业务并积累粉丝。</p>
<p>第二段正文继续讨论账号运营的细节,以及如何通过内容提升转化率和复购率,这一点对商家非常关键。</p>
</div>
<div class="rec"><p>为您推荐“美食”账号</p>
%s
</div></body></html>"""
CARD = ("<div>{f}W</div><div>无违规</div><div>已开通</div><div>已认证</div>"
        "<div>粉丝数量</div><div>有无违规</div><div>直播权限</div><div>认证状态</div>")


def test_cards_leave_the_body_with_their_category():
    html = PAGE % "".join(CARD.format(f=f) for f in ("3.5", "12.1", "8.8"))
    ex = extract(decode_html(html.encode()).text, url="http://a.example.com/1.html")
    assert len(ex.cards) == 3 and ex.card_category == "美食"
    assert "粉丝数量" not in ex.body and "正文" in ex.body


def test_no_heading_no_category():
    html = (PAGE % "".join(CARD.format(f=f) for f in ("3.5", "12.1"))).replace("为您推荐“美食”账号", "更多")
    ex = extract(html, url="http://a.example.com/1.html")
    assert len(ex.cards) == 2 and ex.card_category is None
