"""The monthly report as files, opened and checked: the PDF (pypdf), the Word file
(python-docx) and the workbook (openpyxl) carry the report's numbers, tables and figures."""

from __future__ import annotations

import io
import subprocess
import sys
import unicodedata

import pytest

from charts.runtime import Runtime
from report import files as report_files

MONTH = "2026-10"


@pytest.fixture(scope="module")
def runtime(settings, store, queries):
    return Runtime(settings, store, queries)


@pytest.fixture(scope="module")
def written(runtime, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    paths, figures = report_files.export_report(
        runtime, month=MONTH, formats=["pdf", "docx", "xlsx"], out_dir=out)
    return {p.suffix[1:]: p for p in paths}, figures


@pytest.fixture(scope="module")
def content(runtime):
    from report.monthly import build_report
    return build_report(runtime, MONTH)


@pytest.mark.render
def test_the_pdf_has_a_cover_every_figure_and_the_kpi_values(written, content):
    from pypdf import PdfReader
    files, figures = written
    assert len(figures) >= 20
    pdf = PdfReader(str(files["pdf"]))
    # NFKC: the CJK font's text map gives Kangxi radicals for some characters (⽉ for 月)
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in pdf.pages))
    images = sum(len(page.images) for page in pdf.pages)
    assert images == len(figures)
    assert len(pdf.pages) >= 1 + len(figures) // 2
    assert f"{content.city_name}" in text and MONTH in text and "演示数据" in text
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
    files, figures = written
    doc = Document(str(files["docx"]))
    tables = report_files.tables(content)
    assert len(doc.tables) == len(tables)
    kpi_table = doc.tables[0]
    assert len(kpi_table.rows) == len(content.kpis) + 1
    names = [row.cells[0].text for row in kpi_table.rows[1:]]
    assert names == content.kpis["name"].tolist()
    assert len(doc.inline_shapes) == len(figures)
    assert any(p.text.startswith("图 1") for p in doc.paragraphs)


@pytest.mark.render
def test_the_workbook_has_every_table_with_units_in_its_headers(written, content):
    from openpyxl import load_workbook
    files, _ = written
    book = load_workbook(files["xlsx"], read_only=True)
    tables = report_files.tables(content)
    assert len(book.sheetnames) == len(tables)
    for sheet_name, (title, frame) in zip(book.sheetnames, tables):
        rows = list(book[sheet_name].iter_rows(values_only=True))
        assert list(rows[0]) == list(frame.columns), title
        assert len(rows) - 1 == len(frame)
        for got, (_, want) in zip(rows[1:], frame.iterrows()):
            for g, w in zip(got, want):
                if isinstance(w, float) and w == w:
                    assert g == pytest.approx(w)
    kpis = [row for row in book[book.sheetnames[0]].iter_rows(values_only=True)]
    assert any("单位" in str(h) for h in kpis[0])


@pytest.mark.render
def test_a_page_of_the_pdf_renders(written, tmp_path):
    files, _ = written
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(files["pdf"]),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3 and all(p.stat().st_size > 5000 for p in pages)
    from tests.browser.conftest import ARTIFACTS
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for p in pages:
        (ARTIFACTS / f"report-{p.name}").write_bytes(p.read_bytes())


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


def test_the_cli_writes_the_workbook(settings, tmp_path):
    from openpyxl import load_workbook
    env = {"CITYBRAIN_DB": str(settings.db_path), "CITYBRAIN_BUILD_DEMO": "0",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "cli", "report", "--month", MONTH,
                          "--format", "xlsx", "--out", str(tmp_path), "--lang", "en",
                          "--quiet"], capture_output=True, text=True, env=env,
                         cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert run.returncode == 0, run.stderr
    path = tmp_path / f"citybrain-report-{MONTH}-en.xlsx"
    assert run.stdout.strip() == str(path)
    assert load_workbook(io.BytesIO(path.read_bytes())).sheetnames


def test_the_report_screen_previews_the_month_and_links_the_files(app, content):
    from charts.common import store_payload
    from charts.state import FilterState
    from tests.conftest import run_callback
    key = next(k for k in app.callback_map if k.startswith("..rpt-summary.children"))
    state = store_payload(FilterState(None, "2026-01-01", "2026-11-24", "gdp", "zh"))
    ids = [{"type": "rpt-download", "fmt": f} for f in ("pdf", "docx", "xlsx")]
    summary, kpis, figures, links = run_callback(
        app, key, state, MONTH, ["kpis", "economy", "environment", "grid", "alerts"], ids)
    assert [p.children for p in summary] == content.summary
    assert [row["name"] for row in kpis] == content.kpis["name"].tolist()
    assert len(figures) == len(content.figures)
    assert links[0].startswith(f"/report/{MONTH}.pdf?month={MONTH}&sections=kpis,economy")
    # a month without data says which months there are
    summary, kpis, figures, links = run_callback(app, key, state, "2019-01", ["kpis"], ids)
    assert "2019-01" in str(summary) and kpis == [] and links == [None, None, None]


def test_the_report_route_serves_the_files_and_names_what_exists(app):
    from openpyxl import load_workbook
    client = app.server.test_client()
    got = client.get(f"/report/{MONTH}.xlsx?sections=kpis,alerts&lang=en")
    assert got.status_code == 200
    assert f"citybrain-report-{MONTH}-en.xlsx" in got.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(got.data), read_only=True)
    assert len(book.sheetnames) == 2
    got = client.get("/report/2019-01.pdf")
    assert got.status_code == 404 and b"2024-12" in got.data
    for fmt in ("odt", "XLSX", "%20xlsx"):
        got = client.get(f"/report/{MONTH}.{fmt}")
        assert got.status_code == 404 and b"pdf, docx, xlsx" in got.data, fmt
    got = client.get(f"/report/{MONTH}.xlsx?sections=bogus")
    assert got.status_code == 400 and b"bogus" in got.data
