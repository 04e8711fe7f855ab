"""Write the Word template the monthly report ships with (report/templates/report.docx).

    python -m report.make_word_template [PATH]

From python-docx's own default document: A4, the CJK font in the styles the report uses
(Normal, Title, Heading 1/2, Caption), and "第 X 页 / 共 Y 页" in the footer as Word fields
(PAGE, NUMPAGES), so Word and WPS count the pages themselves. The body is empty: the report
follows whatever a template's body holds. Run once; the file is committed. An office replaces
it with its own (a letterhead, its header and footer, its styles): CITYBRAIN_REPORT_TEMPLATE.
"""

from __future__ import annotations

import sys
from pathlib import Path

FONT = "Noto Sans CJK SC"
#: The report's styles and their sizes (pt) in the shipped template.
SIZES = {"Normal": 10.5, "Title": 22, "Heading 1": 15, "Heading 2": 12, "Caption": 9}


def build():
    """The shipped template as a python-docx Document."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    for name, size in SIZES.items():
        style = doc.styles[name]
        style.font.name = FONT
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)        # else the theme's font wins
        style.font.size = Pt(size)
    page = doc.sections[0]
    page.page_width, page.page_height = Cm(21), Cm(29.7)
    page.top_margin, page.bottom_margin = Cm(2.5), Cm(2.5)
    page.left_margin, page.right_margin = Cm(2.5), Cm(2.5)
    footer = page.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _field(footer, "PAGE")
    footer.add_run(" 页 / 共 ")
    _field(footer, "NUMPAGES")
    footer.add_run(" 页")
    # python-docx's default carries a thumbnail of some other page
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype.endswith("/metadata/thumbnail"):
            del package.rels[rid]
    props = doc.core_properties
    props.author, props.title, props.comments = "City Brain", "城市运行月报", (
        "The monthly report's Word template: the report is appended after this body.")
    return doc


def _field(paragraph, code: str) -> None:
    # a Word field (begin, instruction, separate, shown value, end), updated by Word
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    paragraph.add_run()._r.append(instr)
    char("separate")
    paragraph.add_run("1")
    char("end")


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path(__file__).with_name("templates") / "report.docx"
    build().save(str(path))
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
