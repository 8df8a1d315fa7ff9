"""The server-rendered SVG chart is well-formed, accessible and escapes its text."""
from lxml import etree

from reporting.charts import line_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_is_valid_svg_with_title_desc_and_a_titled_point_per_value():
    svg = line_chart(title="Rate <North & South>", description="Jan 10%, Mar 50%", labels=["Jan", "Feb", "Mar"],
                     series=[("Consumption", [10, None, 50]), ("Other", [1, 2, 3])], unit="%", y_max=100)
    root = etree.fromstring(str(svg).encode())
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Rate <North & South>"
    assert root.find(f"{SVG}desc").text == "Jan 10%, Mar 50%"
    point_titles = [node.text for node in root.iter(f"{SVG}title")][1:]
    assert point_titles == ["Consumption, Jan: 10%", "Consumption, Mar: 50%", "Other, Jan: 1%", "Other, Feb: 2%",
                            "Other, Mar: 3%"]
    # The gap (None) breaks the first line: no polyline joins Jan to Mar.
    assert len(root.findall(f"{SVG}g[@class='chart-series chart-series-0']/{SVG}polyline")) == 0
    assert "style=" not in str(svg)
