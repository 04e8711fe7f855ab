"""The monthly report as files, opened and checked: the PDF (pypdf), the Word file
(python-docx) and the workbook (openpyxl) carry the report's numbers, tables and figures."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import struct
import subprocess
import sys
import unicodedata
import zlib
from typing import NamedTuple

import pandas as pd
import pytest

from charts.runtime import Runtime
from report import files as report_files

MONTH = "2026-10"
ZH_PAGE = re.compile(r"第\s*(\d+)\s*页\s*/\s*共\s*(\d+)\s*页")
EN_PAGE = re.compile(r"Page\s+(\d+)\s+of\s+(\d+)")
# NFKC turns the CJK font's Kangxi radicals back into characters (⽉ for 月); these come from
# the radicals supplement, which NFKC leaves alone
RADICALS = str.maketrans({"⻚": "页", "⻓": "长", "⻰": "龙", "⻅": "见", "⻋": "车",
                          "⻔": "门"})


def _text(page) -> str:
    return unicodedata.normalize("NFKC", page.extract_text()).translate(RADICALS)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(RADICALS))


def _png(width: int = 40, height: int = 20) -> bytes:
    """A white PNG, for the files' tests that need no chart drawn."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class Written(NamedTuple):
    files: dict
    figures: list
    warnings: list[str]     # what report.files logged while writing them


@pytest.fixture(scope="module")
def runtime(settings, store, queries):
    return Runtime(settings, store, queries)


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def written(runtime, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    kept = _Kept()
    logging.getLogger("report.files").addHandler(kept)
    try:
        paths, figures = report_files.export_report(
            runtime, month=MONTH, formats=["pdf", "docx", "xlsx"], out_dir=out)
    finally:
        logging.getLogger("report.files").removeHandler(kept)
    return Written({p.suffix[1:]: p for p in paths}, figures, kept.messages)


@pytest.fixture(scope="module")
def content(runtime):
    from report.monthly import build_report
    return build_report(runtime, MONTH)


@pytest.mark.render
def test_the_pdf_has_a_cover_every_figure_and_the_kpi_values(written, content):
    from pypdf import PdfReader
    files, figures, _ = written
    assert len(figures) >= 20
    pdf = PdfReader(str(files["pdf"]))
    # NFKC: the CJK font's text map gives Kangxi radicals for some characters (⽉ for 月)
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in pdf.pages))
    images = sum(len(page.images) for page in pdf.pages)
    assert images == len(figures)
    assert len(pdf.pages) >= 1 + len(figures) // 2
    assert f"{content.city_name}" in text and MONTH in text and "演示数据" in text
    # the cover says who issues it, the issue (a month's report: its month) and when
    issue = f"{MONTH[:4]}年第{int(MONTH[5:])}期"
    assert f"{content.city_name}城市运行管理中心" in text and issue in text
    assert f"{content.issued:%Y-%m-%d} 印发" in text
    for figure in figures:
        assert f"图 {figure.number}" in text
    for value in content.kpis["value"].dropna():
        assert report_files._fmt(float(value)) in text, value
    flat = text.replace("\n", "")
    for sentence in content.summary:
        assert unicodedata.normalize("NFKC", sentence[:12]) in flat, sentence


@pytest.mark.render
def test_the_word_file_has_real_tables_and_the_figures(written, content):
    from docx import Document
    files, figures, _ = written
    doc = Document(str(files["docx"]))
    tables = report_files.tables(content)
    assert len(doc.tables) == len(tables)
    kpi_table = doc.tables[0]
    assert len(kpi_table.rows) == len(content.kpis) + 1
    names = [row.cells[0].text for row in kpi_table.rows[1:]]
    assert names == content.kpis["headline_name"].tolist()
    # quarterly GDP is its quarter's growth in %, set against the quarter before, with its
    # level in 亿元 beside it; a rate is its month's, in %, with no level
    header = [cell.text for cell in kpi_table.rows[0].cells]
    assert header[:4] == ["指标", "期别", "本期", "单位"] and "较上期" in header
    assert "本月" not in header and "较上月" not in header
    gdp = [cell.text for cell in kpi_table.rows[1].cells]
    assert gdp[:2] == ["地区生产总值增速", "2026年三季度"] and gdp[3] == "%"
    assert gdp[header.index("总量单位")] == "亿元" and float(gdp[header.index("总量")]) > 0
    rate = [cell.text for cell in kpi_table.rows[names.index("办结率") + 1].cells]
    assert rate[1] == "2026年10月" and rate[3] == "%" and rate[header.index("总量")] in ("", "—")
    assert len(doc.inline_shapes) == len(figures)
    assert any(p.text.startswith("图 1") for p in doc.paragraphs)
    # the shipped template: its styles, its footer's page numbers (Word fields)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [s.heading for s in report_files.sections(content, figures)
                        if s.level == 1]
    assert doc.paragraphs[0].style.name == "Title"
    assert doc.paragraphs[1].text.startswith(f"{content.city_name}城市运行管理中心 · "
                                             f"{MONTH[:4]}年第{int(MONTH[5:])}期 · ")
    assert _footer_fields(doc) == ["PAGE", "NUMPAGES"]


def _footer_fields(doc) -> list[str]:
    xml = doc.sections[0].footer._element.xml
    return re.findall(r"<w:instrText[^>]*>\s*(\w+)\s*</w:instrText>", xml)


@pytest.mark.render
def test_the_workbook_has_every_table_with_units_in_its_headers(written, content):
    from openpyxl import load_workbook
    files, _, _ = written
    book = load_workbook(files["xlsx"], read_only=True)
    tables = report_files.tables(content)
    # first what the workbook is (说明), then a sheet a table
    about = dict(book[book.sheetnames[0]].iter_rows(min_row=2, values_only=True))
    assert book.sheetnames[0] == "说明" and MONTH in about["报告"] and about["报告月份"] == MONTH
    assert len(book.sheetnames) == 1 + len(tables)
    for sheet_name, (title, frame) in zip(book.sheetnames[1:], tables):
        rows = list(book[sheet_name].iter_rows(values_only=True))
        assert list(rows[0]) == list(frame.columns), title
        assert len(rows) - 1 == len(frame)
        for got, (_, want) in zip(rows[1:], frame.iterrows()):
            for g, w in zip(got, want):
                if isinstance(w, bool):
                    assert g == ("是" if w else "否")     # yes/no in words, not TRUE/FALSE
                elif isinstance(w, float) and w == w:
                    assert g == pytest.approx(w, abs=0.005)   # two decimals at most
                    assert g == round(g, 2)
                elif isinstance(w, int):
                    assert g == w and isinstance(g, int)       # ranks, counts: whole
    kpis = [row for row in book[book.sheetnames[1]].iter_rows(values_only=True)]
    assert any("单位" in str(h) for h in kpis[0])


@pytest.mark.render
def test_a_page_of_the_pdf_renders(written, tmp_path):
    files, _, _ = written
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(files["pdf"]),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3 and all(p.stat().st_size > 5000 for p in pages)
    from tests.browser.conftest import ARTIFACTS
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for p in pages:
        (ARTIFACTS / f"report-{p.name}").write_bytes(p.read_bytes())


def _contents(path, sections) -> tuple[dict, dict]:
    """For each section's heading: the pages the contents on the cover give it ("一、综述
    ...... 2"), and the pages after the cover where it stands as a line of its own."""
    from pypdf import PdfReader
    pages = [[_squash(line) for line in _text(page).splitlines()]
             for page in PdfReader(str(path)).pages]
    listed, found = {}, {}
    for section in sections:
        heading = _squash(section.heading)
        listed[heading] = [int(m.group(1)) for line in pages[0]
                           if (m := re.fullmatch(re.escape(heading) + r"(\d+)", line))]
        found[heading] = [n for n, lines in enumerate(pages[1:], start=2) if heading in lines]
    return listed, found


@pytest.mark.render
def test_every_page_but_the_cover_says_which_page_of_how_many(written):
    from pypdf import PdfReader
    pdf = PdfReader(str(written.files["pdf"]))
    found = [ZH_PAGE.findall(_text(page)) for page in pdf.pages]
    total = str(len(pdf.pages))
    assert found[0] == []
    assert found[1:] == [[(str(n), total)] for n in range(2, len(pdf.pages) + 1)]


@pytest.mark.render
def test_the_contents_give_the_page_each_heading_is_on(written, content):
    files, figures, warnings = written
    sections = report_files.sections(content, figures)
    # every table and the figures have their heading, numbered so no two read alike
    assert [list(s.table.columns) for s in sections if s.table is not None] == [
        list(frame.columns) for _, frame in report_files.tables(content)]
    assert sum(bool(s.figures) for s in sections) == 1
    headings = [_squash(s.heading) for s in sections]
    assert len(set(headings)) == len(headings)
    listed, found = _contents(files["pdf"], sections)
    assert list(listed) == headings and all(len(pages) == 1 for pages in listed.values())
    assert found == listed
    # the draft's stand-ins laid the pages out as the figures do: printed twice, not thrice
    assert warnings == []


@pytest.mark.render
def test_a_table_over_several_pages_repeats_its_header_and_english_pages_say_so(
        runtime, tmp_path, caplog):
    from pypdf import PdfReader

    from report.monthly import build_report
    report = build_report(runtime, MONTH, ("kpis", "alerts"), lang="en")
    assert len(report.alerts) > 0
    repeat = -(-150 // len(report.alerts))      # enough rows for several pages
    report = dataclasses.replace(
        report, alerts=pd.concat([report.alerts] * repeat, ignore_index=True))
    with caplog.at_level(logging.WARNING, logger="report.files"):
        path = report_files.write_pdf(report, [], tmp_path / "long.pdf")
    assert caplog.messages == []
    pdf = PdfReader(str(path))
    texts = [_text(page) for page in pdf.pages]
    total = str(len(pdf.pages))
    assert EN_PAGE.findall(texts[0]) == []
    assert [EN_PAGE.findall(t) for t in texts[1:]] == [
        [(str(n), total)] for n in range(2, len(pdf.pages) + 1)]
    alerts = report_files.sections(report, [])[-1]       # the last section
    frame = alerts.table
    assert list(frame.columns) == list(report_files.tables(report)[-1][1].columns)
    first = next(n for n, t in enumerate(texts) if n and alerts.heading in t.splitlines())
    spanned = texts[first:]
    assert len(spanned) >= 3
    header = _squash("".join(frame.columns))
    assert all(header in [_squash(line) for line in t.splitlines()] for t in spanned)
    # every row is on the pages, whole, once per copy
    rows = [_squash("".join(report_files._fmt(v) for v in row))
            for row in frame.itertuples(index=False)]
    lines = [_squash(line) for t in spanned for line in t.splitlines()]
    assert sum(line in rows for line in lines) == len(rows)


@pytest.mark.render
def test_contents_that_do_not_match_the_print_are_printed_again_or_refused(
        runtime, tmp_path, monkeypatch, caplog):
    from report.monthly import build_report
    report = build_report(runtime, MONTH, ("kpis",))
    read = report_files._heading_pages
    calls = []

    def draft_off_by_one(pdf, *args):       # the first read (the draft's) a page out
        calls.append(pdf)
        pages = read(pdf, *args)
        return {a: p + 1 for a, p in pages.items()} if len(calls) == 1 else pages

    monkeypatch.setattr(report_files, "_heading_pages", draft_off_by_one)
    with caplog.at_level(logging.WARNING, logger="report.files"):
        path = report_files.write_pdf(report, [], tmp_path / "again.pdf")
    assert len(calls) == 3 and "printing again" in caplog.text
    listed, found = _contents(path, report_files.sections(report, []))
    assert found == listed and all(len(pages) == 1 for pages in listed.values())

    def always_off(pdf, *args):
        calls.append(pdf)
        return {a: p + len(calls) for a, p in read(pdf, *args).items()}

    monkeypatch.setattr(report_files, "_heading_pages", always_off)
    with pytest.raises(RuntimeError, match="do not settle"):
        report_files.write_pdf(report, [], tmp_path / "never.pdf")
    assert not (tmp_path / "never.pdf").exists()


def test_the_html_escapes_what_the_data_says(content):
    hostile = "<script>alert('x')</script>"
    alerts = content.alerts.copy()
    alerts["where"] = hostile
    report = dataclasses.replace(content, city_name=hostile, alerts=alerts,
                                 summary=[hostile, *content.summary])
    figure = report_files.RenderedFigure(1, hostile, _png(), 0.0)
    for draft in (False, True):
        page = report_files.report_html(report, [figure], draft=draft)
        assert "<script" not in page.lower()
        escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        # the title and cover, a sentence, every alert's district, the figure's caption
        assert page.count(escaped) == 2 + 1 + len(alerts) + 1


def _template(path, letterhead: str, header: str, drop=()):
    """A Word template as an office would make one: a red letterhead, a header, and only
    some of the styles."""
    from docx import Document
    from docx.shared import RGBColor
    doc = Document()
    run = doc.add_paragraph().add_run(letterhead)
    run.font.color.rgb = RGBColor(0xC0, 0, 0)
    run.bold = True
    doc.sections[0].header.paragraphs[0].text = header
    for name in drop:
        doc.styles.element.remove(doc.styles[name].element)
    doc.save(str(path))
    return path


def test_the_word_file_follows_an_offices_template(content, tmp_path, monkeypatch, caplog):
    from docx import Document
    template = _template(tmp_path / "红头.docx", "赣州市城市运行管理中心文件", "内部资料",
                         drop=("Caption", "Light Grid Accent 1"))
    figures = [report_files.RenderedFigure(1, "走势", _png(), 0.0)]
    monkeypatch.setenv(report_files.WORD_TEMPLATE_ENV, str(template))
    with caplog.at_level(logging.WARNING, logger="report.files"):
        path = report_files.write_docx(content, figures, tmp_path / "report.docx")
    doc = Document(str(path))
    assert doc.paragraphs[0].text == "赣州市城市运行管理中心文件"
    assert doc.paragraphs[0].runs[0].font.color.rgb == (0xC0, 0, 0)
    assert doc.paragraphs[1].text.startswith(content.city_name)
    assert doc.paragraphs[1].style.name == "Title"
    assert doc.sections[0].header.paragraphs[0].text == "内部资料"
    sections = report_files.sections(content, figures)
    for level, style in ((1, "Heading 1"), (2, "Heading 2")):
        assert [p.text for p in doc.paragraphs if p.style.name == style] == [
            s.heading for s in sections if s.level == level]
    # the styles it lacked come from python-docx's default, and the log says so
    assert [p.text for p in doc.paragraphs if p.style.name == "Caption"] == [
        report_files._caption(content, figures[0])]
    assert {t.style.name for t in doc.tables} == {"Light Grid Accent 1"}
    assert len(caplog.messages) == 2
    assert all(str(template) in m for m in caplog.messages)
    assert any("'Caption'" in m for m in caplog.messages)


def test_a_word_template_that_is_not_one_is_named(runtime, content, tmp_path, monkeypatch):
    import xlsxwriter
    missing = tmp_path / "nowhere.docx"
    text = tmp_path / "notes.docx"
    text.write_text("a letterhead, typed", encoding="utf-8")
    book = tmp_path / "book.docx"
    xlsxwriter.Workbook(str(book)).close()
    for bad in (missing, text, book, tmp_path):
        monkeypatch.setenv(report_files.WORD_TEMPLATE_ENV, str(bad))
        with pytest.raises(report_files.ReportTemplateError) as error:
            report_files.write_docx(content, [], tmp_path / "report.docx")
        assert str(bad) in str(error.value) and report_files.WORD_TEMPLATE_ENV in str(error.value)
        # named before a figure is drawn
        with pytest.raises(report_files.ReportTemplateError, match=re.escape(str(bad))):
            report_files.export_report(runtime, month=MONTH, formats=["xlsx", "docx"],
                                       out_dir=tmp_path / "out", renderer=_NoRenderer())
    monkeypatch.delenv(report_files.WORD_TEMPLATE_ENV)
    with pytest.raises(report_files.ReportTemplateError, match=re.escape(str(text))) as error:
        report_files.write_docx(content, [], tmp_path / "report.docx", template=text)
    assert report_files.WORD_TEMPLATE_ENV not in str(error.value)
    assert not (tmp_path / "report.docx").exists() and not (tmp_path / "out").exists()


class _NoRenderer:
    def render(self, *args, **kwargs):
        raise AssertionError("a figure was drawn before the Word template was checked")


def test_the_shipped_word_template_numbers_its_pages_and_has_the_styles():
    from docx import Document
    doc = Document(str(report_files.WORD_TEMPLATE))
    assert _footer_fields(doc) == ["PAGE", "NUMPAGES"]
    footer = "".join(t for t in re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>",
                                           doc.sections[0].footer._element.xml))
    assert footer == "第 1 页 / 共 1 页"      # the fields' shown values, until Word counts
    for name in report_files.WORD_STYLES.values():
        assert doc.styles[name] is not None
    assert all(not p.text for p in doc.paragraphs)       # the report follows an empty body


def test_the_cli_names_what_is_available(settings, tmp_path):
    env = {"CITYBRAIN_DB": str(settings.db_path), "CITYBRAIN_BUILD_DEMO": "0",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "cli", "report", "--month", "2019-01",
                          "--out", str(tmp_path), "--quiet"], capture_output=True, text=True,
                         env=env, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert run.returncode == 2 and "2019-01" in run.stderr and "2024-12" in run.stderr
    run = subprocess.run([sys.executable, "-m", "cli", "report", "--format", "pdf,odt",
                          "--out", str(tmp_path), "--quiet"], capture_output=True, text=True,
                         env=env, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert run.returncode == 2 and "odt" in run.stderr and "pdf, docx, xlsx" in run.stderr
    bad = tmp_path / "红头.docx"
    bad.write_text("not Word", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "cli", "report", "--format", "docx",
                          "--out", str(tmp_path), "--quiet"], capture_output=True, text=True,
                         env=env | {"CITYBRAIN_REPORT_TEMPLATE": str(bad)},
                         cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert run.returncode == 2 and str(bad) in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_the_cli_writes_the_workbook(settings, tmp_path):
    from openpyxl import load_workbook
    env = {"CITYBRAIN_DB": str(settings.db_path), "CITYBRAIN_BUILD_DEMO": "0",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "cli", "report", "--month", MONTH,
                          "--format", "xlsx", "--out", str(tmp_path), "--lang", "en"],
                         capture_output=True, text=True, env=env,
                         cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert run.returncode == 0, run.stderr
    path = tmp_path / f"citybrain-report-{MONTH}-en.xlsx"
    assert run.stdout.strip() == str(path)
    # the bar knows its total before the first step (one file, no figures for a workbook)
    frames = re.findall(r"report:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)", run.stderr)
    assert frames[0] == ("0", "1") and frames[-1] == ("1", "1"), run.stderr
    assert load_workbook(io.BytesIO(path.read_bytes())).sheetnames


def test_the_report_screen_previews_the_month(app, content):
    from charts.common import store_payload
    from charts.state import FilterState
    from tests.conftest import run_callback
    key = next(k for k in app.callback_map if k.startswith("..rpt-summary.children"))
    state = store_payload(FilterState(None, "2026-01-01", "2026-11-24", "gdp", "zh"))
    from report.monthly import SECTIONS  # every section, as ``content`` has them
    summary, kpis, figures = run_callback(app, key, state, MONTH, list(SECTIONS))
    assert [p.children for p in summary] == content.summary
    assert [row["headline_name"] for row in kpis] == content.kpis["headline_name"].tolist()
    assert [row["period_label"] for row in kpis] == content.kpis["period_label"].tolist()
    assert len(figures) == len(content.figures)
    # a month without data says which months there are (the links are the browser's:
    # scr006 follows one)
    summary, kpis, figures = run_callback(app, key, state, "2019-01", ["kpis"])
    assert "2019-01" in str(summary) and kpis == [] and figures == []
    # every box unticked: the screen says what to do, in its language
    summary, kpis, figures = run_callback(app, key, state, MONTH, [])
    assert [p.children for p in summary] == ["请至少勾选一个部分：报告按勾选的部分生成。"]
    assert kpis == [] and figures == []


def test_the_report_route_serves_the_files_and_names_what_exists(app):
    from openpyxl import load_workbook
    client = app.server.test_client()
    got = client.get(f"/report/{MONTH}.xlsx?sections=kpis,alerts&lang=en")
    assert got.status_code == 200
    assert f"citybrain-report-{MONTH}-en.xlsx" in got.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(got.data), read_only=True)
    assert book.sheetnames[0] == "About" and len(book.sheetnames) == 1 + 2
    got = client.get("/report/2019-01.pdf")
    assert got.status_code == 404 and b"2024-12" in got.data
    for fmt in ("odt", "XLSX", "%20xlsx"):
        got = client.get(f"/report/{MONTH}.{fmt}")
        assert got.status_code == 404 and b"pdf, docx, xlsx" in got.data, fmt
    got = client.get(f"/report/{MONTH}.xlsx?sections=bogus")
    assert got.status_code == 400 and b"bogus" in got.data
    # every box unticked on the screen asks for nothing, not for everything
    got = client.get(f"/report/{MONTH}.xlsx?month={MONTH}&sections=&lang=zh")
    assert got.status_code == 400 and b"no sections asked for" in got.data


def test_a_broken_word_template_is_the_servers_fault_and_its_path_stays_in_the_log(
        app, tmp_path, monkeypatch, caplog):
    bad = tmp_path / "secret-folder" / "红头.docx"
    bad.parent.mkdir()
    bad.write_text("not Word", encoding="utf-8")
    monkeypatch.setenv(report_files.WORD_TEMPLATE_ENV, str(bad))
    got = app.server.test_client().get(f"/report/{MONTH}.docx?sections=kpis")
    assert got.status_code == 503 and b"CITYBRAIN_REPORT_TEMPLATE" in got.data
    assert b"secret-folder" not in got.data
    assert str(bad) in caplog.text


def test_a_trend_figure_draws_the_months_its_caption_names(runtime, content):
    """The screens' trend draws every month with the chosen ones shaded; in the report a
    caption of 2025年10月至2026年10月 sat over bars from 2024-12 on."""
    from charts import registry
    from layouts import theme
    spec = content.figures[0]
    assert spec.chart == "ops-trend" and "2025年10月至2026年10月" in spec.caption
    screen = registry.chart(spec.chart)(spec.state, runtime, theme.PRINT)
    assert min(str(x)[:10] for x in screen.data[0].x) < "2025-09-01"     # it draws more
    drawn = report_files._within(screen, spec.state.start, spec.state.end)
    first, last = (str(x)[:10] for x in drawn.layout.xaxis.range)
    assert "2025-09-01" < first < "2025-10-01" and "2026-10-31" < last <= "2026-11-01"
    # the chosen range's shading is gone: it would cover the whole plot; the targets stay
    assert all(shape.type != "rect" for shape in drawn.layout.shapes)
    assert any(shape.type == "line" for shape in drawn.layout.shapes)
    # a month's own chart (not a trend) is drawn as the screen draws it
    month_spec = next(f for f in content.figures if f.state.start == "2026-10-01"
                      and f.chart == "ops-air") if any(
        f.state.start == "2026-10-01" and f.chart == "ops-air" for f in content.figures) \
        else None
    assert month_spec is None or month_spec.state.end == "2026-10-31"
