"""Hostile files for the security tests: what a probe of the running app uploaded."""

from __future__ import annotations

import zipfile
from pathlib import Path

#: OGR VRT XML that, opened by GDAL, reads /etc/passwd as a CSV layer.
VRT = (b'<OGRVRTDataSource><OGRVRTLayer name="v"><SrcDataSource>CSV:/etc/passwd'
       b'</SrcDataSource><SrcLayer>passwd</SrcLayer></OGRVRTLayer></OGRVRTDataSource>\n')
#: What /etc/passwd's first line starts with: no message may quote it.
PASSWD_MARK = "root:x:0:0"

_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
               '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_ROW = ('<row><c t="inlineStr"><is><t>{}</t></is></c><c t="inlineStr"><is><t>{}</t></is></c>'
        '<c t="inlineStr"><is><t>{}</t></is></c><c><v>{}</v></c></row>')
_PARTS = {
    "[Content_Types].xml":
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels":
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml":
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels":
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>',
}


def workbook_bomb(path: Path, rows: int = 400_000) -> Path:
    """An XLSX of one repeated indicator row: a few hundred KB that unpack to ~60 MB of
    sheet XML (the probe's 329 KB file took the server to 2.6 GB)."""
    body = _SHEET_HEAD + _ROW.format("区划代码", "指标", "时期", "数值").replace(
        "<c><v>数值</v></c>", '<c t="inlineStr"><is><t>数值</t></is></c>')
    body += _ROW.format("360702", "gdp", "2026-01", 1.5) * rows + "</sheetData></worksheet>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", body)
    return path


def parquet_bomb(path: Path, rows: int = 2_000_000) -> Path:
    """A Parquet file of one value repeated: ~30 KB declaring 2M rows (~1 GB as Python
    objects when read whole)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    pq.write_table(pa.table({"区划代码": ["360702"] * rows, "指标": ["gdp"] * rows,
                             "时期": ["2026-01"] * rows, "数值": [1.5] * rows}),
                   path, compression="zstd")
    return path


def zipped_vrt(path: Path) -> Path:
    """A zip whose one .shp is OGR VRT XML."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("towns.shp", VRT)
        archive.writestr("towns.dbf", b"")
        archive.writestr("towns.shx", b"")
    return path
