"""The monthly report (月报) as files: PDF, Word and Excel from one ``MonthlyReport``
(``report/monthly.py``: every number and sentence) and its figures, rendered once by the
screens' own chart functions in the print theme.

- PDF: an HTML document printed by Debian's Chromium (the CJK fonts are there already; no
  second layout engine to keep in step).
- DOCX: python-docx, real Word tables and the figures as pictures, because staff edit and
  circulate Word.
- XLSX: every table of the report, one sheet each, units in the headers.

``export_report`` is the one code path of the CLI (``citybrain report``) and the screen.
"""

from __future__ import annotations

import base64
import html
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import i18n
from charts import registry
from layouts import export, theme

FORMATS = ("pdf", "docx", "xlsx")
FIGURE_SIZE = (1000, 520)


class ReportFormatError(ValueError):
    """A format the report cannot be written in, with the ones it can."""


@dataclass(frozen=True)
class RenderedFigure:
    number: int
    caption: str
    png: bytes
    seconds: float


def unsupported_format(names: str) -> ReportFormatError:
    """The error for formats the report cannot be written in, listing those it can."""
    return ReportFormatError(f"format {names or '(none)'} is not supported: "
                             f"choose from {', '.join(FORMATS)}")


def check_formats(formats) -> tuple[str, ...]:
    """The asked formats, in order, or a ReportFormatError listing the available ones."""
    asked = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in asked if f not in FORMATS]
    if unknown or not asked:
        raise unsupported_format(", ".join(unknown))
    return asked


def render_figures(report, runtime, renderer: export.ChartRenderer, progress=None
                   ) -> list[RenderedFigure]:
    """Every figure of the report as a PNG, through one Chromium, with its caption."""
    out = []
    for spec in report.figures:
        started = time.perf_counter()
        fig = registry.chart(spec.chart)(spec.state, runtime, theme.PRINT)
        fig = export.with_footnote(fig, scope=spec.caption, source=runtime.source,
                                   as_of=runtime.as_of.strftime("%Y-%m-%d %H:%M"),
                                   is_demo=runtime.is_demo, lang=report.lang)
        png = renderer.render(fig, "png", FIGURE_SIZE)
        out.append(RenderedFigure(spec.number, spec.caption, png,
                                  time.perf_counter() - started))
        if progress:
            progress(1)
    return out


# --- the tables, as every format shows them -------------------------------------------------

def _fmt(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"
    return str(value)


def tables(report) -> list[tuple[str, pd.DataFrame]]:
    """The report's tables, titled, with display headers (units in them): the same tables in
    the PDF, the Word file and the workbook."""
    lang = report.lang
    t = i18n.t
    out = []
    if "kpis" in report.sections:
        k = report.kpis
        out.append((t("report_kpis", lang), pd.DataFrame({
            t("report_indicator", lang): k["name"],
            t("report_unit", lang): k["unit"],
            t("report_value", lang): k["value"],
            t("target", lang): k["target"],
            t("report_met", lang): k["met"].map(
                lambda m: None if m is None or pd.isna(m) else bool(m)),
            t("report_mom", lang): k["mom"],
            t("report_yoy", lang): k["yoy"],
        })))
    for code, frame in report.rankings.items():
        ind = report.catalogue.get(code)
        name = ind.name_en if lang == "en" else ind.name_zh
        unit = i18n.unit(ind, lang)
        out.append((f"{t('ranking', lang)} · {name}", pd.DataFrame({
            t("report_rank", lang): frame["rank"],
            t("report_district", lang): frame["name"],
            f"{name} ({unit})": frame["value"]})))
    if "alerts" in report.sections:
        a = report.alerts[["what", "where", "value", "threshold", "since"]]
        out.append((t("report_alerts", lang), a.rename(columns={
            "what": t("report_what", lang), "where": t("where", lang),
            "value": t("report_value", lang), "threshold": t("report_threshold", lang),
            "since": t("report_since", lang)})))
    return out


def _title(report) -> str:
    return f"{report.city_name} {i18n.t('report_title', report.lang)} · {report.month}"


# --- XLSX -------------------------------------------------------------------------------

def write_xlsx(report, path: Path) -> Path:
    """Every table on its own sheet, headers with units, numbers as numbers."""
    import xlsxwriter
    book = xlsxwriter.Workbook(str(path))
    bold = book.add_format({"bold": True, "bg_color": "#DDE7F5", "border": 1})
    used: set[str] = set()
    for title, frame in tables(report):
        name = _sheet_name(title, used)
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, list(frame.columns), bold)
        for r, row in enumerate(frame.itertuples(index=False), start=1):
            for c, value in enumerate(row):
                if value is None or (isinstance(value, float) and pd.isna(value)):
                    sheet.write_blank(r, c, None)
                elif isinstance(value, (bool,)):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, str(value))
        sheet.set_column(0, len(frame.columns) - 1, 18)
    book.close()
    return path


def _sheet_name(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]}-{n}", n + 1
    used.add(name)
    return name


# --- DOCX -------------------------------------------------------------------------------

def write_docx(report, figures: list[RenderedFigure], path: Path) -> Path:
    """A Word document: title, summary, the KPI table, numbered figures with captions, the
    ranking and alert tables. Real Word tables: staff edit them."""
    import io

    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    lang, t = report.lang, i18n.t
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    style.font.size = Pt(10.5)
    doc.add_heading(_title(report), level=0)
    doc.add_paragraph(_cover_line(report))
    doc.add_heading(t("report_summary", lang), level=1)
    for sentence in report.summary:
        doc.add_paragraph(sentence)
    tabs = tables(report)
    if tabs and "kpis" in report.sections:
        _docx_table(doc, *tabs[0])
        tabs = tabs[1:]
    if figures:
        doc.add_heading(t("report_figures", lang), level=1)
        for fig in figures:
            doc.add_picture(io.BytesIO(fig.png), width=Cm(16))
            doc.add_paragraph(f"{t('report_figure', lang)} {fig.number}  {fig.caption}",
                              style="Caption")
    for title, frame in tabs:
        _docx_table(doc, title, frame)
    doc.save(str(path))
    return path


def _docx_table(doc, title: str, frame: pd.DataFrame) -> None:
    doc.add_heading(title, level=2)
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Light Grid Accent 1"
    for cell, name in zip(table.rows[0].cells, frame.columns):
        cell.text = str(name)
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = _fmt(value)


# --- PDF --------------------------------------------------------------------------------

def _cover_line(report) -> str:
    t, lang = i18n.t, report.lang
    parts = [f"{t('report_month', lang)} {report.month}",
             f"{t('as_of', lang)} {report.as_of:%Y-%m-%d %H:%M}"]
    if report.is_demo:
        parts.append(t("demo", lang))
    return " · ".join(parts)


def report_html(report, figures: list[RenderedFigure]) -> str:
    """The report as one HTML document (figures inline): what the PDF prints."""
    t, lang = i18n.t, report.lang
    esc = html.escape
    contents = [t("report_summary", lang)] + [title for title, _ in tables(report)]
    if figures:
        contents.insert(2 if "kpis" in report.sections else 1, t("report_figures", lang))
    parts = [f"<section class='cover'><h1>{esc(_title(report))}</h1>",
             f"<p class='meta'>{esc(_cover_line(report))}</p>",
             f"<h2>{esc(t('report_contents', lang))}</h2><ol class='toc'>",
             *[f"<li>{esc(c)}</li>" for c in contents], "</ol></section>",
             f"<h2>{esc(t('report_summary', lang))}</h2>",
             *[f"<p>{esc(s)}</p>" for s in report.summary]]
    tabs = tables(report)
    if tabs and "kpis" in report.sections:
        parts.append(_html_table(*tabs[0]))
        tabs = tabs[1:]
    if figures:
        parts.append(f"<h2>{esc(t('report_figures', lang))}</h2>")
        for fig in figures:
            data = base64.b64encode(fig.png).decode()
            parts.append(f"<figure><img src='data:image/png;base64,{data}'>"
                         f"<figcaption>{esc(t('report_figure', lang))} {fig.number}　"
                         f"{esc(fig.caption)}</figcaption></figure>")
    parts += [_html_table(title, frame) for title, frame in tabs]
    style = """
      @page { size: A4; margin: 18mm 16mm; }
      body { font-family: 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif; font-size: 10.5pt;
             color: #1a1a1a; }
      .cover { page-break-after: always; padding-top: 60mm; }
      h1 { font-size: 24pt; } h2 { font-size: 15pt; border-bottom: 1px solid #999;
      page-break-after: avoid; } .meta { color: #555; }
      table { border-collapse: collapse; width: 100%; margin: 6pt 0 14pt; font-size: 9.5pt; }
      th, td { border: 1px solid #bbb; padding: 3pt 5pt; text-align: left; }
      th { background: #dde7f5; } td.num { text-align: right; }
      figure { margin: 8pt 0 14pt; page-break-inside: avoid; text-align: center; }
      figure img { width: 100%; } figcaption { font-size: 9.5pt; color: #333; }
    """
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>{esc(_title(report))}</title><style>{style}</style></head><body>"
            + "".join(parts) + "</body></html>")


def _html_table(title: str, frame: pd.DataFrame) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False):
        cells = "".join(
            f"<td class='num'>{esc(_fmt(v))}</td>" if isinstance(v, (int, float))
            and not isinstance(v, bool) else f"<td>{esc(_fmt(v))}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    return f"<h3>{esc(title)}</h3><table><tr>{head}</tr>{''.join(rows)}</table>"


def write_pdf(report, figures: list[RenderedFigure], path: Path,
              chromium: str | None = None) -> Path:
    """The report printed to PDF by headless Chromium."""
    browser = chromium or os.environ.get("BROWSER_PATH") or export.DEFAULT_CHROMIUM
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(report_html(report, figures), encoding="utf-8")
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-pdf-header-footer", f"--user-data-dir={tmp}/profile",
             f"--print-to-pdf={Path(path).resolve()}", page.as_uri()],
            capture_output=True, text=True, timeout=180)
    if done.returncode != 0 or not Path(path).exists():
        raise RuntimeError(f"Chromium could not print the report: {done.stderr[-500:]}")
    return path


# --- the one code path of the CLI and the screen ------------------------------------------

def export_report(runtime, *, month: str | None, formats, out_dir: Path,
                  sections=None, districts=None, lang: str = "zh",
                  renderer: export.ChartRenderer | None = None, progress=None
                  ) -> tuple[list[Path], list[RenderedFigure]]:
    """Build the month's report and write it in each format into ``out_dir``.

    Raises ``report.monthly.ReportError`` (a month without data, an unknown section) or
    ``ReportFormatError`` with what is available. ``progress(n)`` is told of each step.
    """
    from report.monthly import SECTIONS, build_report
    formats = check_formats(formats)
    report = build_report(runtime, month, tuple(sections or SECTIONS),
                          tuple(districts) if districts else None, lang)
    renderer = renderer or export.ChartRenderer()
    figures = (render_figures(report, runtime, renderer, progress)
               if {"pdf", "docx"} & set(formats) else [])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"citybrain-report-{report.month}-{lang}"
    written = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        if fmt == "pdf":
            write_pdf(report, figures, path)
        elif fmt == "docx":
            write_docx(report, figures, path)
        else:
            write_xlsx(report, path)
        written.append(path)
        if progress:
            progress(1)
    return written, figures
