"""The monthly report's key-task section (重点工作, issue 18 item 3): October's completion by
lead department and its overdue milestones, with one sentence, in the PDF, the Word file and
the workbook, in both languages."""

from __future__ import annotations

import re
import unicodedata

import pytest

from charts.runtime import Runtime
from report import files as report_files
from report.monthly import SECTIONS, build_report

MONTH = "2026-10"
#: October's end in the test city (tests/test_key_task_screen.test_october_end_figures):
#: 28 tasks, done, on track, at risk, overdue; 8 milestones overdue, the most (2) under
#: 行政审批局 (D16) and 工业和信息化局 (D17), D16 first by code.
FIGURES = {"total": 28, "done": 10, "on_track": 11, "at_risk": 4, "overdue": 3, "late": 8}
RADICALS = str.maketrans({"⻚": "页", "⻓": "长", "⻰": "龙", "⻅": "见", "⻋": "车"})


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(RADICALS))


@pytest.fixture(scope="module")
def runtime(settings, store, queries):
    return Runtime(settings, store, queries)


@pytest.fixture(scope="module", params=["zh", "en"])
def written(request, runtime, tmp_path_factory):
    lang = request.param
    out = tmp_path_factory.mktemp(f"tasks-{lang}")
    paths, figures = report_files.export_report(
        runtime, month=MONTH, formats=["pdf", "docx", "xlsx"], out_dir=out,
        sections=["tasks"], lang=lang)
    report = build_report(runtime, MONTH, ("tasks",), None, lang)
    return lang, {p.suffix[1:]: p for p in paths}, figures, report


def test_the_section_is_declared_between_services_and_alerts():
    assert "tasks" in SECTIONS and SECTIONS.index("tasks") < SECTIONS.index("alerts")


def test_the_sections_numbers_and_sentence(runtime):
    zh = build_report(runtime, MONTH, ("tasks",), None, "zh")
    part = zh.key_tasks
    c = part.completion
    assert (int(c["total"].sum()), int(c["done"].sum()), int(c["on_track"].sum()),
            int(c["at_risk"].sum()), int(c["overdue"].sum())) == (
        FIGURES["total"], FIGURES["done"], FIGURES["on_track"], FIGURES["at_risk"],
        FIGURES["overdue"])
    assert int(c["overdue_milestones"].sum()) == len(part.overdue) == FIGURES["late"]
    assert part.overdue["days_overdue"].tolist() == sorted(part.overdue["days_overdue"],
                                                           reverse=True)
    assert part.overdue["days_overdue"].iloc[0] == 92          # due 2026-07-31
    assert part.sentence == ("截至2026年10月末，全市28项重点工作中已完成10项、正常推进11项、"
                             "进度滞后4项、逾期未完成3项，逾期节点8个，其中行政审批局最多（2个）。")
    assert part.sentence in zh.summary
    en = build_report(runtime, MONTH, ("tasks",), None, "en")
    assert en.key_tasks.sentence == (
        "By the end of October 2026, of the 28 key tasks citywide, 10 were done, 11 on "
        "track, 4 at risk and 3 overdue, with 8 milestones overdue, Administrative "
        "Approval Bureau having the most (2).")
    # a district's report: its own and the city-wide tasks
    one = build_report(runtime, MONTH, ("tasks",), ("360703",), "zh").key_tasks
    assert one.completion["total"].sum() < 28
    assert one.sentence.startswith("截至2026年10月末，南康区")
    # its figure: the screen's chart for the month
    assert [f.chart for f in zh.figures] == ["tsk-departments"]
    # other sections leave it out
    assert build_report(runtime, MONTH, ("grid",), None, "zh").key_tasks is None


def _words(lang: str) -> dict:
    return ({"section": "重点工作", "table": "重点工作完成情况（按牵头单位）", "late": "逾期节点",
             "total": "合计", "lead": "行政审批局"} if lang == "zh" else
            {"section": "Key tasks", "table": "Key tasks by lead department",
             "late": "Overdue milestones", "total": "Total",
             "lead": "Administrative Approval Bureau"})


@pytest.mark.render
def test_the_pdf_has_the_section_its_tables_and_sentence(written):
    from pypdf import PdfReader
    lang, files, figures, report = written
    text = _squash("\n".join(p.extract_text() for p in PdfReader(str(files["pdf"])).pages))
    w = _words(lang)
    for word in (w["section"], w["table"], w["late"], w["total"], w["lead"]):
        assert _squash(word) in text, word
    assert _squash(report.key_tasks.sentence[:40]) in text
    # the total row: 28 tasks, 10 done, 11 on track, 4 at risk, 3 overdue, 8 milestones
    assert _squash(w["total"] + "2810114 38") in text
    assert "2026-07-31" in text and "92" in text
    assert len(figures) == 1


@pytest.mark.render
def test_the_word_file_has_the_heading_and_both_tables(written):
    from docx import Document
    lang, files, _, report = written
    doc = Document(str(files["docx"]))
    w = _words(lang)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert any(h.endswith(w["section"]) for h in headings), headings
    parts = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert any(h.endswith(w["table"]) for h in parts) and any(h.endswith(w["late"])
                                                               for h in parts)
    assert report.key_tasks.sentence in [p.text for p in doc.paragraphs]
    completion, late = doc.tables[-2], doc.tables[-1]
    total = [c.text for c in completion.rows[-1].cells]
    assert total == [w["total"], "28", "10", "11", "4", "3", "8"]
    assert len(completion.rows) == 1 + len(report.key_tasks.completion) + 1
    assert len(late.rows) == 1 + 8
    assert late.rows[1].cells[3].text == "2026-07-31" and late.rows[1].cells[4].text == "92"


@pytest.mark.render
def test_the_workbook_has_both_tables_as_numbers(written):
    from openpyxl import load_workbook
    lang, files, _, _ = written
    book = load_workbook(files["xlsx"], read_only=True)
    w = _words(lang)
    assert book.sheetnames == ["About" if lang == "en" else "说明", w["table"][:28], w["late"]]
    rows = list(book[book.sheetnames[1]].iter_rows(values_only=True))
    assert rows[-1] == (w["total"], 28, 10, 11, 4, 3, 8)
    assert rows[1][0] in ("工业和信息化局", "Industry and Information Technology Bureau")
    late = list(book[w["late"]].iter_rows(values_only=True))
    assert len(late) == 1 + 8 and late[1][3] == "2026-07-31" and late[1][4] == 92
