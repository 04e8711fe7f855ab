"""Charts as files: every chart of every screen renders as PNG, SVG and PDF on the server,
in the print theme, from the same chart function and numbers as the screen."""

from __future__ import annotations

import io
import struct

import pytest

from charts.common import store_payload
from charts.registry import CHARTS
from charts.state import FilterState
from layouts import theme

QUERY = "?district=360702&from=2026-03-01&to=2026-08-31&indicator=retail_sales&vs=360703"


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", body[16:24])


@pytest.mark.render
@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_every_chart_exports_as_png(client, chart):
    got = client.get(f"/export/chart/{chart}.png{QUERY}")
    assert got.status_code == 200, got.data[:200]
    assert got.mimetype == "image/png"
    assert _png_size(got.data) == (2000, 1120)        # 1000x560 at 2x for print
    assert f"{chart}_2026-03-01_2026-08-31.png" in got.headers["Content-Disposition"]


@pytest.mark.render
def test_svg_and_pdf_carry_the_chinese_text_and_the_footnote(client):
    from pypdf import PdfReader
    svg = client.get(f"/export/chart/grid-funnel.svg{QUERY}").data.decode()
    assert svg.startswith("<svg")
    for text in ("事件办理流程", "章贡区", "2026-03-01 – 2026-08-31", "演示数据", "数据来源"):
        assert text in svg, text
    pdf = client.get(f"/export/chart/ops-trend.pdf{QUERY}&lang=en").data
    assert pdf.startswith(b"%PDF")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    text = page.extract_text()
    assert "Zhanggong" in text and "DEMO DATA" in text


def test_the_file_shows_the_screens_numbers_in_the_print_theme(app):
    from tests.conftest import run_callback
    state = FilterState("360702", "2026-03-01", "2026-08-31", "retail_sales", "zh")
    # the chart function is the screen's: the same numbers, another theme
    screen = run_callback(app, "grid-funnel.figure", store_payload(state))
    printed = CHARTS["grid-funnel"](state, app.citybrain_runtime, theme.PRINT)
    assert list(printed.data[0].x) == list(screen.data[0].x)
    assert printed.layout.template.layout.paper_bgcolor == "#ffffff"
    assert screen.layout.template.layout.paper_bgcolor != "#ffffff"


@pytest.mark.render
def test_an_unknown_chart_or_format_names_what_exists(client):
    got = client.get("/export/chart/nope.png")
    assert got.status_code == 404 and b"grid-funnel" in got.data
    got = client.get("/export/chart/ops-trend.gif")
    assert got.status_code == 404 and b"png, svg, pdf" in got.data
    # the query string is read like a link: bad values are dropped, never reach SQL
    got = client.get("/export/chart/ops-trend.svg?district=1%27%3BDROP&indicator=x")
    assert got.status_code == 200
