"""Server-side SVG charts: labels are escaped text (tag values come from crawled pages), no
inline style (the console's CSP forbids it), values land where the axis says."""

import re
import xml.etree.ElementTree as ET

from daihuo.web.svg_charts import bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_line_chart_escapes_labels_and_scales_points():
    svg = str(line_chart("c1", "每日<文章>", ["2026-03-01", "2026-03-02"],
                         {"快手": [0, 10], '<script>alert(1)</script>"': [5, 0]}))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "style=" not in svg
    root = ET.fromstring(svg)  # well-formed XML
    assert root.find(f"{SVG}title").text == "每日<文章>"
    lines = root.findall(f"{SVG}polyline")
    assert [ln.get("data-name") for ln in lines] == ["快手", '<script>alert(1)</script>"']
    ys = [float(p.split(",")[1]) for p in lines[0].get("points").split()]
    assert ys[0] > ys[1]  # 0 is lower on the chart than 10
    ticks = [t.text for t in root.iter(f"{SVG}text")]
    assert "10" in ticks and "2026-03-01" in ticks


def test_bar_chart_marks_missing_values_and_formats_large_numbers():
    svg = str(bar_chart("c2", "价格", ["快手/美食", "抖音/游戏"], [125000.0, None], y_label="元"))
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}rect")) == 1
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert any(t and t.endswith("（无数据）") for t in texts) and "12.5万" in texts
    assert re.search(r'role="img"', svg) and 'aria-labelledby="c2-t c2-d"' in svg
