"""The monthly report (月报) as files: PDF, Word and Excel from one ``MonthlyReport``
(``report/monthly.py``: every number and sentence) and its figures, rendered once by the
screens' own chart functions in the print theme.

- PDF: an HTML document from the Jinja templates in report/templates/ (autoescaped),
  printed by Debian's Chromium (the CJK fonts are there already; no second layout engine to
  keep in step): page numbers in the margin, contents with the page of each heading.
- DOCX: python-docx, real Word tables and the figures as pictures, because staff edit and
  circulate Word; appended to a Word template staff can replace (a letterhead, header and
  footer, their styles).
- XLSX: every table of the report, one sheet each, units in the headers.

``export_report`` is the one code path of the CLI (``citybrain report``) and the screen.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import logging
import os
import string
import struct
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import i18n
from charts import registry
from layouts import export, theme

log = logging.getLogger(__name__)

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
        if spec.state.start < report.start.isoformat():
            fig = _within(fig, spec.state.start, spec.state.end)
        fig = export.with_footnote(fig, scope=spec.caption, source=runtime.source,
                                   as_of=runtime.as_of.strftime("%Y-%m-%d %H:%M"),
                                   is_demo=runtime.is_demo, lang=report.lang)
        png = renderer.render(fig, "png", FIGURE_SIZE)
        out.append(RenderedFigure(spec.number, spec.caption, png,
                                  time.perf_counter() - started))
        if progress:
            progress(1)
    return out


def _within(fig, start: str, end: str):
    """A chart over months before the report's (a trend of 13 months) drawn over just the
    months its caption names: the screens' time charts draw every month with the chosen
    ones shaded, which under a caption of 13 months showed two years. Monthly bars are
    centred on their month's first day, so the axis starts half a month earlier."""
    if fig.layout.xaxis.type != "date":
        return fig
    days = {str(x)[8:10] for trace in fig.data if trace.x is not None for x in trace.x}
    half_month = days <= {"01"}
    first = dt.date.fromisoformat(start) - dt.timedelta(days=16 if half_month else 1)
    last = dt.date.fromisoformat(end) + dt.timedelta(days=1)
    fig.update_xaxes(range=[first.isoformat(), last.isoformat()])
    # the chosen range's shading would cover the whole plot
    fig.layout.shapes = [shape for shape in fig.layout.shapes
                         if not (shape.type == "rect" and shape.yref == "paper"
                                 and str(shape.x0)[:10] == start)]
    return fig


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
        # growth is named so (地区生产总值增速, in %), with its level in its own unit beside
        # it; each value is its own period's (a quarter for GDP) and compared with the one
        # before (the quarter before)
        growth = k["code"].map(lambda code: report.catalogue.get(code).is_growth)
        out.append((t("report_kpis", lang), pd.DataFrame({
            t("report_indicator", lang): k["headline_name"],
            t("report_period", lang): k["period_label"],
            t("report_value", lang): k["value"],
            t("report_unit", lang): k["unit"],
            t("target", lang): k["target"],
            t("report_met", lang): k["met"].map(
                lambda m: None if m is None or pd.isna(m) else bool(m)),
            t("report_mom", lang): k["mom"],
            t("report_yoy", lang): k["yoy"],
            t("report_level", lang): k["level"].where(growth),
            t("report_level_unit", lang): k["level_unit"].where(growth),
        })))
    for code, frame in report.rankings.items():
        ind = report.catalogue.get(code)
        name = ind.name_en if lang == "en" else ind.name_zh
        unit = i18n.unit(ind, lang)
        out.append((f"{t('ranking', lang)} · {name}", pd.DataFrame({
            t("report_rank", lang): frame["rank"],
            t("report_district", lang): frame["name"],
            f"{name} ({unit})": frame["value"]})))
    out += services_tables(report)
    out += task_tables(report)
    out += supervision_tables(report)
    if "alerts" in report.sections:
        # the events a rate rests on beside it (data/alerts.MIN_ALERT_EVENTS)
        a = report.alerts[["what", "where", "value", "events", "threshold", "since"]].copy()
        a["events"] = pd.Series([None if pd.isna(n) else int(n) for n in a["events"]],
                                index=a.index, dtype=object)
        out.append((t("report_alerts", lang), a.rename(columns={
            "what": t("report_what", lang), "where": t("where", lang),
            "value": t("report_value", lang), "events": t("report_events", lang),
            "threshold": t("report_threshold", lang), "since": t("report_since", lang)})))
    return out


def services_tables(report) -> list[tuple[str, pd.DataFrame]]:
    """The 政务服务 section's tables: the month's figures (the cases, and the city-wide
    counts) and the departments'."""
    part = getattr(report, "services", None)
    if "services" not in report.sections or part is None:
        return []
    t, lang = i18n.t, report.lang
    s = part.summary
    cases = "件" if lang == "zh" else "cases"

    def rate(code: str) -> str:
        ind = report.catalogue.get(code)
        return ind.name_en if lang == "en" else ind.name_zh

    rows = [(t("svc_cases_accepted", lang), s["n"], cases),
            (t("svc_rpt_completed", lang), s["n_completed"], cases),
            (rate("service_on_time_rate"), s["on_time_rate"], "%"),
            (t("svc_rpt_bad", lang), s["n_bad"], cases),
            (rate("bad_rating_share"), s["bad_share"], "%"),
            (t("svc_bad_rectified", lang), s["n_rectified"], cases),
            (rate("bad_rating_rectified_rate"), s["rectified_rate"], "%")]
    rows += [(f"{row.name}（{t('svc_city_only', lang)}）" if lang == "zh"
              else f"{row.name} ({t('svc_city_only', lang)})", row.value, row.unit)
             for row in part.counts.itertuples()]
    summary = pd.DataFrame({t("report_item", lang): [r[0] for r in rows],
                            t("report_value", lang): pd.Series(
                                [None if r[1] is None or pd.isna(r[1]) else
                                 int(r[1]) if r[2] != "%" else round(float(r[1]), 1)
                                 for r in rows], dtype=object),
                            t("report_unit", lang): [r[2] for r in rows]})
    d = part.departments
    by_department = pd.DataFrame({
        t("department", lang): d["name"],
        t("svc_col_cases", lang): d["n"], t("svc_rpt_completed", lang): d["completed"],
        t("svc_rpt_within", lang): d["on_time_rate"].round(1),
        t("svc_rpt_days", lang): [None if pd.isna(a) else f"{a:.1f} / {b:.1f}"
                                  for a, b in zip(d["mean_days"], d["mean_limit"])],
        t("svc_rpt_bad", lang): d["bad"],
        t("svc_rpt_rectified", lang): d["rectified_rate"].round(1)})
    return [(f"{t('section_services', lang)} · {report.month}", summary),
            (t("report_services", lang), by_department)]


def task_tables(report) -> list[tuple[str, pd.DataFrame]]:
    """The 重点工作 section's tables: the month's completion by lead department and the
    overdue milestones (report/key_tasks.py)."""
    from report import key_tasks as key_task_section
    part = getattr(report, "key_tasks", None)
    if "tasks" not in report.sections or part is None:
        return []
    return key_task_section.tables(part, report.lang)


def supervision_tables(report) -> list[tuple[str, pd.DataFrame]]:
    """The 督办情况 section's table: the month's 督办 by department (report/supervision.py)."""
    from report import supervision as supervision_section
    part = getattr(report, "supervision", None)
    if "supervision" not in report.sections or part is None:
        return []
    return supervision_section.tables(part, report.lang)


def _title(report) -> str:
    return f"{report.city_name} {i18n.t('report_title', report.lang)} · {report.month}"


# --- XLSX -------------------------------------------------------------------------------

def write_xlsx(report, path: Path) -> Path:
    """The report's workbook: a first sheet saying what it is (说明: the report, its issue,
    month and period, the data's as-of), then every table on its own sheet, headers with
    units, numbers as numbers with sensible decimals, ranks as whole numbers, 是/否."""
    from data.export import write_tables_xlsx
    t, lang = i18n.t, report.lang
    as_of = f"{report.as_of:%Y-%m-%d %H:%M}" + (f" · {t('demo', lang)}" if report.is_demo
                                                else "")
    about = [(t("about_report", lang), _title(report)),
             (t("about_issue", lang), _cover_line(report).split("\n")[0]),
             (t("report_month", lang), report.month),
             (t("about_period", lang), f"{report.start} {t('to', lang)} {report.end}"),
             (t("about_as_of", lang), as_of)]
    with open(path, "wb") as fileobj:
        write_tables_xlsx(tables(report), fileobj, lang=lang, about=about)
    return path


# --- the sections, as the PDF and the Word file show them --------------------------------------

@dataclass(frozen=True, eq=False)
class Section:
    """One heading of the report's PDF and Word file, numbered (一、/（一） in Chinese, 1./1.1 in
    English, so that no two read alike), with what follows it; each is a line of the contents."""

    anchor: str                      # the heading's id in the HTML: "section-3"
    heading: str                     # "三、图表", "3. Figures"
    level: int                       # 1 a section, 2 one of its parts
    paragraphs: tuple[str, ...] = ()
    table: pd.DataFrame | None = None
    figures: tuple[RenderedFigure, ...] = ()


_ZH_DIGITS = "零一二三四五六七八九"


def _zh_number(n: int) -> str:
    # 1..99 as Chinese numerals: 十, 十一, 二十, 二十一
    if not 0 < n < 100:
        raise ValueError(f"a section number from 1 to 99, not {n}")
    tens, ones = divmod(n, 10)
    return (("" if tens < 2 else _ZH_DIGITS[tens]) + ("十" if tens else "")
            + (_ZH_DIGITS[ones] if ones else ""))


def sections(report, figures: list[RenderedFigure]) -> list[Section]:
    """The report's numbered headings in order, each with its sentences, table or figures:
    the summary, the KPI table, the figures, the district rankings (one part per indicator)
    and the alerts, as far as the report has them."""
    t, lang = i18n.t, report.lang
    tabs = tables(report)
    top: list[tuple[str, dict, list[tuple[str, pd.DataFrame]]]] = [
        (t("report_summary", lang), {"paragraphs": tuple(report.summary)}, [])]
    if "kpis" in report.sections:
        title, frame = tabs.pop(0)
        top.append((title, {"table": frame}, []))
    if figures:
        top.append((t("report_figures", lang), {"figures": tuple(figures)}, []))
    rankings, tabs = tabs[:len(report.rankings)], tabs[len(report.rankings):]
    if rankings:
        prefix = f"{t('ranking', lang)} · "
        top.append((t("ranking", lang), {},
                    [(title.removeprefix(prefix), frame) for title, frame in rankings]))
    services = {title for title, _ in services_tables(report)}
    if services:        # one heading: its sentences, then its two tables as parts
        top.append((t("section_services", lang),
                    {"paragraphs": tuple(report.services.lines)},
                    [(title, frame) for title, frame in tabs if title in services]))
        tabs = [(title, frame) for title, frame in tabs if title not in services]
    task_titles = {title for title, _ in task_tables(report)}
    if task_titles:     # one heading: its sentence, then its two tables as parts
        top.append((t("section_tasks", lang), {"paragraphs": (report.key_tasks.sentence,)},
                    [(title, frame) for title, frame in tabs if title in task_titles]))
        tabs = [(title, frame) for title, frame in tabs if title not in task_titles]
    if "supervision" in report.sections and getattr(report, "supervision", None) is not None:
        # one heading: its sentence, then its table (none in a month without 督办)
        supervision_titles = {title for title, _ in supervision_tables(report)}
        content: dict = {"paragraphs": (report.supervision.sentence,)}
        content.update({"table": frame for title, frame in tabs if title in supervision_titles})
        top.append((i18n.t("section_supervision", lang), content, []))
        tabs = [(title, frame) for title, frame in tabs if title not in supervision_titles]
    top += [(title, {"table": frame}, []) for title, frame in tabs]
    out: list[Section] = []
    for n, (title, content, parts) in enumerate(top, start=1):
        number = f"{_zh_number(n)}、" if lang == "zh" else f"{n}. "
        out.append(Section(f"section-{len(out) + 1}", number + title, 1, **content))
        for m, (part, frame) in enumerate(parts, start=1):
            number = f"（{_zh_number(m)}）" if lang == "zh" else f"{n}.{m} "
            out.append(Section(f"section-{len(out) + 1}", number + part, 2, table=frame))
    return out


def _caption(report, fig: RenderedFigure) -> str:
    return f"{i18n.t('report_figure', report.lang)} {fig.number}　{fig.caption}"


def _cover_line(report) -> str:
    """The cover's two lines: who issues it, the issue (2026年第11期) and the day it was
    issued; then the month and the data's as-of."""
    t, lang = i18n.t, report.lang
    issue = [report.issuer,
             t("report_issue", lang).format(year=report.month[:4], n=report.issue)]
    if report.issued is not None:
        issue.append(t("report_issued", lang).format(day=f"{report.issued:%Y-%m-%d}"))
    data = [f"{t('report_month', lang)} {report.month}",
            f"{t('as_of', lang)} {report.as_of:%Y-%m-%d %H:%M}"]
    if report.is_demo:
        data.append(t("demo", lang))
    return " · ".join(issue) + "\n" + " · ".join(data)


# --- DOCX -------------------------------------------------------------------------------

#: The Word file starts from this document (styles, page, header and footer, a letterhead):
#: staff replace it without code (CITYBRAIN_REPORT_TEMPLATE). report/make_word_template.py
#: wrote the shipped one from python-docx's own default.
WORD_TEMPLATE = Path(__file__).with_name("templates") / "report.docx"
WORD_TEMPLATE_ENV = "CITYBRAIN_REPORT_TEMPLATE"
#: The styles the report's paragraphs and tables take from the template, by Word's names.
WORD_STYLES = {"title": "Title", "heading1": "Heading 1", "heading2": "Heading 2",
               "caption": "Caption", "table": "Light Grid Accent 1"}
#: The widest a figure is drawn, if the template's page allows it.
WORD_FIGURE_WIDTH_CM = 16


class ReportTemplateError(ReportFormatError):
    """A Word template that cannot be used: the message names the file."""


def word_template(path: Path | str | None = None) -> Path:
    """The Word template to start from: ``path``, else CITYBRAIN_REPORT_TEMPLATE, else the
    shipped one. The file is not opened here (``open_word_template`` checks it)."""
    chosen = path or os.environ.get(WORD_TEMPLATE_ENV) or WORD_TEMPLATE
    return Path(chosen)


def open_word_template(path: Path | str | None = None):
    """The template as a python-docx Document, or a ReportTemplateError naming the file: it
    is missing, or not a Word document (.docx)."""
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    source = word_template(path)
    where = f"the report's Word template {source}" + (
        f" ({WORD_TEMPLATE_ENV})" if not path and os.environ.get(WORD_TEMPLATE_ENV) else "")
    if not source.is_file():
        raise ReportTemplateError(f"{where} does not exist or is not a file")
    try:
        return Document(str(source))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        # SyntaxError: lxml's, for XML inside that does not parse
        raise ReportTemplateError(f"{where} is not a Word document (.docx; a .dotx or .doc: "
                                  f"save it as .docx): {exc}") from exc


def write_docx(report, figures: list[RenderedFigure], path: Path,
               template: Path | str | None = None) -> Path:
    """A Word document: whatever the template holds (a letterhead, its header and footer),
    then the title, the cover line and every section of ``sections``: real Word tables
    (staff edit them), numbered figures with captions. Styles come from the template; one it
    lacks is copied from python-docx's default, with a warning naming it."""
    import io

    from docx.shared import Cm

    source = word_template(template)
    doc = open_word_template(template)
    style = {key: _word_style(doc, name, source) for key, name in WORD_STYLES.items()}
    doc.add_paragraph(_title(report), style=style["title"])
    doc.add_paragraph(_cover_line(report))
    width = _usable_width(doc, Cm(WORD_FIGURE_WIDTH_CM))
    for section in sections(report, figures):
        doc.add_paragraph(section.heading,
                          style=style["heading1" if section.level == 1 else "heading2"])
        for sentence in section.paragraphs:
            doc.add_paragraph(sentence)
        if section.table is not None:
            _docx_table(doc, section.table, style["table"])
        for fig in section.figures:
            doc.add_picture(io.BytesIO(fig.png), width=width)
            doc.add_paragraph(_caption(report, fig), style=style["caption"])
    doc.save(str(path))
    return path


def _word_style(doc, name: str, source: Path) -> str:
    """``name``, copied into ``doc`` from python-docx's default document if the template
    lacks it (a Word template holds only the styles it has used)."""
    try:
        doc.styles[name]
        return name
    except KeyError:
        pass
    from docx import Document
    default = Document()
    _copy_style(default.styles.element, doc.styles.element,
                default.styles[name].element.styleId)
    log.warning("the report's Word template %s has no style %r: the report uses "
                "python-docx's default %r instead (add the style to the template to choose "
                "its look)", source, name, name)
    return name


def _copy_style(source, target, style_id: str) -> None:
    # the style and what it rests on (basedOn, its linked character style), unless present
    from docx.oxml.ns import qn
    if style_id is None or target.get_by_id(style_id) is not None:
        return
    element = source.get_by_id(style_id)
    if element is None:
        return
    target.append(copy.deepcopy(element))
    for tag in ("w:basedOn", "w:link"):
        ref = element.find(qn(tag))
        if ref is not None:
            _copy_style(source, target, ref.get(qn("w:val")))


def _usable_width(doc, widest):
    # the figure's width: the last page's width within its margins, at most ``widest``
    page = doc.sections[-1]
    if page.page_width is None or page.left_margin is None or page.right_margin is None:
        return widest
    return min(widest, page.page_width - page.left_margin - page.right_margin)


def _docx_table(doc, frame: pd.DataFrame, style: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = style
    for cell, name in zip(table.rows[0].cells, frame.columns):
        cell.text = str(name)
    _row_flag(table.rows[0], "w:tblHeader")      # repeated on every page the table spans
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = _fmt(value)
            if _is_number(value):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in table.rows:
        _row_flag(row, "w:cantSplit")            # a row never split between pages


def _row_flag(row, tag: str) -> None:
    from docx.oxml import OxmlElement
    flag = OxmlElement(tag)
    row._tr.get_or_add_trPr().append(flag)


# --- PDF --------------------------------------------------------------------------------

@functools.cache
def _templates():
    import jinja2
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _css_string(text: str) -> str:
    # a CSS string literal: anything but letters, digits and spaces as a hex escape, so no
    # quote or </style> can end it
    return '"' + "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):x} "
                         for ch in text) + '"'


def _page_label(lang: str) -> str:
    """i18n's page label ("第 {page} 页 / 共 {pages} 页") as a CSS ``content`` value: its
    words as strings, {page} and {pages} as Chromium's counters."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(i18n.t("report_page", lang)):
        if literal:
            parts.append(_css_string(literal))
        if field is not None:
            if field not in ("page", "pages"):
                raise ValueError(f"report_page knows {{page}} and {{pages}}, not {{{field}}}")
            parts.append(f"counter({field})")
    return " ".join(parts)


def report_html(report, figures: list[RenderedFigure], pages: dict[str, int] | None = None,
                *, draft: bool = False) -> str:
    """The report as one HTML document (figures inline): what the PDF prints.

    ``pages``: the page of each section's heading (``Section.anchor`` -> page), written into
    the contents; without it their numbers are left blank. ``draft``: each figure a blank
    stand-in of its size, the same layout printed in a fraction of the time (``write_pdf``'s
    first print, which only finds the pages).
    """
    lang = report.lang
    figure_src = _stand_in if draft else _data_uri
    parts = [{"anchor": s.anchor, "heading": s.heading, "level": s.level,
              "paragraphs": s.paragraphs,
              "table": None if s.table is None else {
                  "columns": [str(c) for c in s.table.columns],
                  "rows": [[(_fmt(v), _is_number(v)) for v in row]
                           for row in s.table.itertuples(index=False)]},
              "figures": [{"src": figure_src(f.png), "label": _caption(report, f)}
                          for f in s.figures]}
             for s in sections(report, figures)]
    return _templates().get_template("report.html").render(
        lang=lang, title=_title(report), cover_line=_cover_line(report),
        contents_title=i18n.t("report_contents", lang), sections=parts, pages=pages or {},
        page_label=_page_label(lang))


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _stand_in(png: bytes) -> str:
    # an empty SVG as wide and high as the PNG (its IHDR): the same box on the page
    width, height = struct.unpack(">II", png[16:24])
    return ("data:image/svg+xml," + urllib.parse.quote(
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'/>"))


def write_pdf(report, figures: list[RenderedFigure], path: Path,
              chromium: str | None = None) -> Path:
    """The report printed to PDF by headless Chromium, its contents giving each heading's
    page.

    Chromium has no ``target-counter()``, so the report is printed twice: a draft (the
    figures as blank stand-ins) says where each heading lands (the contents link each
    heading, and Chromium writes a named destination per link target), then the report
    itself with those pages. The contents sit on the cover, which ends in a page break, so
    their numbers cannot move a heading; the printed PDF is checked all the same, printed
    once more with what it says if it differs, and refused if it still differs.
    """
    browser = chromium or os.environ.get("BROWSER_PATH") or export.DEFAULT_CHROMIUM
    path = Path(path).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        draft = _print(browser, report_html(report, figures, draft=True),
                       Path(tmp) / "draft.pdf", Path(tmp))
        pages = _heading_pages(draft, report, figures)
        for _ in range(2):
            _print(browser, report_html(report, figures, pages), path, Path(tmp))
            landed = _heading_pages(path, report, figures)
            if landed == pages:
                return path
            moved = {a: (pages[a], landed[a]) for a in pages if pages[a] != landed[a]}
            log.warning("the report's headings moved from the draft's pages (%s): "
                        "printing again", moved)
            pages = landed
    path.unlink()           # its contents are wrong: no file rather than a misleading one
    raise RuntimeError(f"the report's contents do not settle: headings still move ({moved})")


def _print(browser: str, page_html: str, pdf: Path, tmp: Path) -> Path:
    page = tmp / "report.html"
    page.write_text(page_html, encoding="utf-8")
    pdf.unlink(missing_ok=True)
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-pdf-header-footer", "--generate-pdf-document-outline",
         f"--user-data-dir={tmp}/profile", f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True, text=True, timeout=180)
    if done.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"Chromium could not print the report: {done.stderr[-500:]}")
    return pdf


def _heading_pages(pdf: Path, report, figures) -> dict[str, int]:
    """The page (from 1) of each section's heading in a printed report, from the named
    destinations Chromium writes for the contents' links."""
    from pypdf import PdfReader
    reader = PdfReader(str(pdf))
    found = {str(name).lstrip("/"): reader.get_destination_page_number(dest) + 1
             for name, dest in reader.named_destinations.items()}
    anchors = [s.anchor for s in sections(report, figures)]
    missing = [a for a in anchors if a not in found]
    if missing:
        raise RuntimeError(f"the printed report has no destination for {missing}: did the "
                           "contents' links change?")
    return {a: found[a] for a in anchors}


# --- the one code path of the CLI and the screen ------------------------------------------

def export_report(runtime, *, month: str | None, formats, out_dir: Path,
                  sections=None, districts=None, lang: str = "zh",
                  renderer: export.ChartRenderer | None = None, progress=None,
                  template: Path | str | None = None
                  ) -> tuple[list[Path], list[RenderedFigure]]:
    """Build the month's report and write it in each format into ``out_dir``.

    Raises ``report.monthly.ReportError`` (a month without data, an unknown section) or
    ``ReportFormatError`` with what is available (``ReportTemplateError``: the Word template,
    ``template`` or ``word_template``'s, is not one, before any figure is drawn).
    ``progress(done, total)`` is told of each step (a figure drawn, a file written), and
    of the total before the first.
    """
    from report.monthly import SECTIONS, build_report
    formats = check_formats(formats)
    if "docx" in formats:
        open_word_template(template)
    report = build_report(runtime, month, tuple(sections or SECTIONS),
                          tuple(districts) if districts else None, lang)
    renderer = renderer or export.ChartRenderer()
    drawn = bool({"pdf", "docx"} & set(formats))
    total, done = (len(report.figures) if drawn else 0) + len(formats), 0

    def step(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)
    step(0)
    figures = render_figures(report, runtime, renderer, step) if drawn else []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"citybrain-report-{report.month}-{lang}"
    written = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        if fmt == "pdf":
            write_pdf(report, figures, path)
        elif fmt == "docx":
            write_docx(report, figures, path, template)
        else:
            write_xlsx(report, path)
        written.append(path)
        step()
    return written, figures
