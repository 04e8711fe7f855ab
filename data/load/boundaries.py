"""A city's own boundary files, at any level, read into the store's shape.

``read_boundaries`` reads GeoJSON, Shapefile (also zipped) or GeoPackage through geopandas and
returns the store's columns (code, name_zh, name_en, parent_code, geometry) in EPSG:4326 with
WGS-84 coordinates. What it had to guess (fields, CRS) is said in plain sentences (``notes``);
what is wrong is collected for the whole file and raised as one ``LoadError`` naming the file,
the feature (1-based, as a GIS shows them), the field, the value and what was expected.
Display simplification is not done here: ``geo.geojson.simplify_for_display`` does it per
level when the shapes are served, so the store keeps the full geometry.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from data.load.problems import LoadError, Problem, Problems
from geo import crs as gcrs
from geo.crs import convert_geometries
from geo.gdal import UnsafeSource, check_local_path, check_magic, restrict_drivers

#: The store's boundary tables, one per level.
LEVELS = ("districts", "townships", "grid_cells")

#: File suffix -> what it is read as.
FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "Shapefile",
           ".zip": "zipped Shapefile", ".gpkg": "GeoPackage"}

#: Columns of ``Boundaries.frame``.
COLUMNS = ("code", "name_zh", "name_en", "parent_code", "geometry")

# Field names tried, in order and regardless of case, before guessing from the values.
_CODE_FIELDS = ("adcode", "code", "区划代码", "行政区划代码", "gb")
_NAME_FIELDS = ("name", "名称", "地名")
_NAME_EN_FIELDS = ("name_en", "ename")
_PARENT_FIELDS = ("parent", "parent_code", "pcode", "上级代码")

_DIGITS = re.compile(r"[0-9]+")
_SAFE_MEMBER = re.compile(r"[\w .\-/]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN1_HIGH = re.compile(r"[\u0080-\u00ff]")
_POLYGONAL = ("Polygon", "MultiPolygon")
_READ_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
                pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
                pyogrio.errors.FeatureError, pyogrio.errors.CRSError, OSError)


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Boundaries of one level read from one file.

    ``frame`` has the columns ``COLUMNS`` in EPSG:4326 (WGS-84 lon/lat), Polygon or
    MultiPolygon geometry only, indexed by feature number (1-based, named ``feature``);
    ``parent_code`` is null where the file has none. ``notes`` are plain sentences saying what
    was guessed or assumed; ``warnings`` are problems that did not stop the load (repaired
    geometries, a CRS option overriding the file's).
    """

    file: str
    level: str
    frame: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def read_boundaries(path, *, level: str, code_field: str | None = None,
                    name_field: str | None = None, name_en_field: str | None = None,
                    parent_field: str | None = None, crs=None, source_crs: str | None = None,
                    layer: str | None = None) -> Boundaries:
    """Return the boundaries in a GeoJSON, Shapefile (or zipped one) or GeoPackage file.

    Parameters
    ----------
    path : str or path-like
        ``.geojson``/``.json``, ``.shp``, ``.zip`` holding one shapefile, or ``.gpkg``.
    level : {"districts", "townships", "grid_cells"}
        The store table the shapes are for.
    code_field, name_field, name_en_field, parent_field : str, optional
        The file's fields for the code, Chinese name, English name and parent code. Each one
        not given is guessed, and ``notes`` says what was chosen: the code from a field named
        adcode/code/区划代码/行政区划代码/gb or else the field whose values are all digits; the
        name from name/名称/地名 or else the first text field with Chinese characters; the
        English name from name_en/ename or else the code; the parent from
        parent/parent_code/pcode/上级代码 (DataV's ``{"adcode": …}`` objects too) or else
        left empty for ``check_parents`` to fill from the code prefix.
    crs : str, int or pyproj.CRS, optional
        The CRS to assume when the file has none (a shapefile without its ``.prj``); one that
        differs from the file's overrides it, with a warning. A projected CRS is reprojected.
    source_crs : {"WGS84", "GCJ02", "BD09"}, optional
        The geodetic system of the lon/lat coordinates: GCJ-02 (Amap, Tencent) or BD-09
        (Baidu) is converted to WGS-84 with ``geo.crs.convert_geometries``. Default WGS-84.
    layer : str, optional
        The GeoPackage layer; required when the file has several.

    Raises
    ------
    LoadError
        Every problem of the file together (up to ``problems.MAX_PROBLEMS``).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}")
    path = Path(path)
    errors, warns = Problems(str(path)), Problems(str(path))
    notes: list[str] = []

    raw = _read(path, layer, errors, notes)
    fields = _resolve_fields(raw, level, errors, notes, code=code_field, name=name_field,
                             name_en=name_en_field, parent=parent_field)
    values = _values(raw, fields, errors)
    geoms = _geometries(raw, values["code"], crs, source_crs, errors, warns, notes)
    errors.check()

    if warns.dropped:
        notes.append(f"{warns.dropped} more warnings than those listed")
    frame = gpd.GeoDataFrame(
        {"code": values["code"], "name_zh": values["name"], "name_en": values["name_en"],
         "parent_code": values["parent"]},
        geometry=list(geoms), crs="EPSG:4326",
        index=pd.RangeIndex(1, len(raw) + 1, name="feature"))
    return Boundaries(str(path), level, frame, notes, list(warns.items))


def check_parents(children: Boundaries, parents: set[str]) -> Boundaries:
    """Return the children with every parent code filled and checked against ``parents``.

    A missing parent code is taken from the longest parent code that prefixes the child's code
    (a 6-digit GB/T 2260 code also prefixes by its significant digits: 360700 by "3607").
    A parent code that is not among ``parents``, or a child no parent prefixes, is a
    ``LoadError`` naming the feature, the code and the known parent codes.
    """
    if not isinstance(children, Boundaries):
        raise TypeError(f"children must be Boundaries, got {type(children).__name__}")
    if isinstance(parents, (str, bytes)) or not hasattr(parents, "__iter__"):
        raise TypeError(f"parents must be a set of codes, got {type(parents).__name__}")
    known = sorted({str(p) for p in parents})
    known_set = set(known)
    shown = _listing(known)
    prefixes = sorted(((pre, p) for p in known for pre in _prefixes(p)),
                      key=lambda item: -len(item[0]))
    problems = Problems(children.file)
    frame = children.frame
    out, filled = [], 0
    for feature, code, parent in zip(frame.index, frame["code"], frame["parent_code"]):
        if not _missing(parent):
            if parent not in known_set:
                problems.add(feature, "parent_code", parent,
                             f"the parent of {code} among the known codes ({shown})")
            out.append(parent)
            continue
        match = next((p for pre, p in prefixes if code.startswith(pre) and len(code) > len(pre)),
                     None)
        if match is None:
            problems.add(feature, "code", code,
                         f"a code starting with a known parent code ({shown}): "
                         "no parent found for it")
        else:
            filled += 1
        out.append(match)
    problems.check()
    frame = frame.copy()
    frame["parent_code"] = out
    notes = list(children.notes)
    if filled:
        notes.append(f"parent codes: {filled} filled from the code prefix")
    return replace(children, frame=frame, notes=notes)


def cn_boundaries(province: str, city: str, level: str = "区县") -> gpd.GeoDataFrame:
    """Return a city's boundaries from cnmaps, in GCJ-02 coordinates, not converted.

    cnmaps publishes Amap's boundaries, which are GCJ-02. They are returned as published
    (``wgs84=False``) so the conversion happens once, in ``geo.crs``, like every other GCJ-02
    source: the frame's CRS says lon/lat degrees (EPSG:4326) but the coordinates are GCJ-02;
    ``frame.attrs["source_crs"]`` is ``"GCJ02"`` and ``frame.attrs["notes"]`` says so. Write it
    out and read it with ``read_boundaries(..., source_crs="GCJ02")``, or convert the
    geometries with ``geo.crs.convert_geometries(..., "GCJ02")``.

    Columns: ``name`` (the Chinese name at ``level``), ``source`` (cnmaps' data source) and
    ``geometry``. cnmaps gives no administrative codes: the caller assigns them.

    Parameters
    ----------
    province, city : str
        Full names, as cnmaps wants them: "广东省", "江门市".
    level : {"区县", "市", "省"}
        cnmaps' level; "区县" gives the city's districts and counties.

    Raises
    ------
    RuntimeError
        cnmaps (the optional extra ``citybrain[cn]``, about 250 MB of data) is not installed.
    LookupError
        cnmaps has no boundaries for these names.
    """
    try:
        import cnmaps
    except ImportError as exc:
        raise RuntimeError(
            "cnmaps is not installed: pip install 'citybrain[cn]' "
            "(its boundary data is about 250 MB)") from exc
    try:
        from cnmaps.maps import MapNotFoundError
    except ImportError:  # pragma: no cover - older layouts
        MapNotFoundError = LookupError  # noqa: N806
    try:
        found = cnmaps.get_adm_maps(province=province, city=city, level=level,
                                    engine="geopandas", record="all", wgs84=False)
    except MapNotFoundError as exc:
        raise LookupError(f"cnmaps has no {level} boundaries for {province} {city} "
                          "(full names are needed, such as 广东省 and 江门市)") from exc
    # cnmaps 2 names its columns in English and keeps the Chinese ones as aliases.
    name_columns = {"省": ("province", "省/直辖市"), "市": ("city", "市")}.get(
        level, ("district", "区/县"))
    name_col = next(c for c in name_columns if c in found.columns)
    source_col = next((c for c in ("source", "来源") if c in found.columns), None)
    geoms = [getattr(g, "geom", g) for g in found.geometry]
    frame = gpd.GeoDataFrame(
        {"name": list(found[name_col]),
         "source": list(found[source_col]) if source_col else [None] * len(found)},
        geometry=geoms, crs="EPSG:4326")
    frame.attrs["source_crs"] = "GCJ02"
    frame.attrs["notes"] = [
        f"cnmaps: {len(frame)} {level} boundaries of {province} {city}, GCJ-02 coordinates "
        "(Amap) not converted; convert with source_crs='GCJ02'",
        "cnmaps gives no administrative codes: assign them before loading"]
    return frame


# ---------------------------------------------------------------------------------------------
# reading

def _read(path: Path, layer: str | None, errors: Problems, notes: list[str]) -> gpd.GeoDataFrame:
    suffix = path.suffix.lower()
    try:
        check_local_path(path)
    except UnsafeSource as refused:
        errors.add(None, None, None, str(refused))
        errors.check()
    if suffix not in FORMATS:
        errors.add(None, None, path.suffix or path.name,
                   f"a boundary file ending in {', '.join(FORMATS)} (GeoJSON, Shapefile, "
                   "a zip holding a Shapefile, GeoPackage)")
        errors.check()
    if not path.is_file():
        errors.add(None, None, None, "a file here: it does not exist")
        errors.check()
    if path.stat().st_size == 0:
        errors.add(None, None, None, "boundaries: the file is empty (0 bytes)")
        errors.check()
    if layer is not None and suffix != ".gpkg":
        errors.add(None, None, layer, "no layer: layers are for GeoPackage (.gpkg) files")
    source = str(path.resolve())
    if suffix == ".zip":
        source = _zip_member(path, errors)
    else:
        _check_head(_head(path), _MAGIC[suffix], errors)
    errors.check()
    restrict_drivers()
    if suffix == ".gpkg":
        layer = _gpkg_layer(source, layer, errors, notes)
    errors.check()
    try:
        frame = gpd.read_file(source, layer=layer, engine="pyogrio")
    except _READ_ERRORS as exc:
        # GDAL's own message may quote the file: say only what kind of failure it was
        errors.add(None, None, None, f"a readable {FORMATS[suffix]} file: GDAL could not "
                   f"read it ({type(exc).__name__}); is it truncated or another format?")
        errors.check()
    if len(frame) == 0:
        errors.add(None, None, None, "at least one feature: the file holds none")
        errors.check()
    if suffix in (".shp", ".zip") and _latin1_garble(frame):
        # A Chinese shapefile without a .cpg is usually GBK, which GDAL then reads as Latin-1.
        try:
            again = gpd.read_file(source, engine="pyogrio", encoding="GBK")
        except (*_READ_ERRORS, UnicodeError):
            again = None
        if again is not None and not _latin1_garble(again):
            notes.append("text encoding: GBK (the shapefile names none, and read as Latin-1 "
                         "its text was garbled)")
            frame = again
    return frame


#: The format whose first bytes a file of each suffix must start with (geo.gdal.check_magic).
_MAGIC = {".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "Shapefile",
          ".gpkg": "GeoPackage"}


def _head(path: Path, size: int = 100) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _check_head(head: bytes, fmt: str, errors: Problems) -> None:
    try:
        check_magic(head, fmt)
    except UnsafeSource as refused:
        errors.add(None, None, None, str(refused))


def _latin1_garble(frame) -> bool:
    texts = [v for c in frame.columns if c != frame.geometry.name
             for v in frame[c] if isinstance(v, str)]
    return (any(_LATIN1_HIGH.search(v) for v in texts)
            and not any(_CJK.search(v) for v in texts))


def _zip_member(path: Path, errors: Problems) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            shps = [n for n in names if n.lower().endswith(".shp")
                    and not n.startswith("__MACOSX/") and not Path(n).name.startswith(".")]
            if len(shps) == 1:
                member = shps[0]
                if not _SAFE_MEMBER.fullmatch(member) or ".." in Path(member).parts:
                    errors.add(None, None, None, "a zip member name of letters, digits, "
                               "spaces and . _ - / only (no '..')")
                    return str(path)
                with archive.open(member) as handle:
                    _check_head(handle.read(100), "Shapefile", errors)
    except zipfile.BadZipFile as exc:
        errors.add(None, None, None, f"a zip file: {exc}")
        return str(path)
    if len(shps) != 1:
        found = ", ".join(shps) if shps else _listing(names)
        errors.add(None, None, found or None,
                   f"exactly one shapefile (.shp) in the zip: it holds {len(shps)}"
                   + ("; unzip it and read the one you mean" if shps else ""))
        return str(path)
    return f"/vsizip/{path.resolve()}/{member}"


def _gpkg_layer(path: str, layer: str | None, errors: Problems, notes: list[str]) -> str | None:
    try:
        listed = pyogrio.list_layers(path)
    except _READ_ERRORS as exc:
        errors.add(None, None, None,
                   f"a readable GeoPackage: GDAL could not list its layers ({type(exc).__name__})")
        return layer
    names = [str(n) for n, _ in listed]
    spatial = [str(n) for n, geom in listed if geom is not None]
    if layer is not None:
        if layer not in names:
            errors.add(None, None, layer,
                       f"one of the GeoPackage's layers: {', '.join(spatial) or 'none'}")
        return layer
    if len(spatial) == 1:
        notes.append(f"layer: {spatial[0]} (the only one with geometry)")
        return spatial[0]
    errors.add(None, None, ", ".join(spatial) or None,
               f"a layer named with the layer option: the GeoPackage holds {len(spatial)} "
               "layers with geometry" if spatial else "a layer with geometry: there is none")
    return None


# ---------------------------------------------------------------------------------------------
# fields and values

def _resolve_fields(raw: gpd.GeoDataFrame, level: str, errors: Problems, notes: list[str],
                    **given: str | None) -> dict[str, str | None]:
    fields = [str(c) for c in raw.columns if c != raw.geometry.name]
    listed = ", ".join(fields) or "none"
    chosen: dict[str, str | None] = {}
    for role, name in given.items():
        if name is not None and name not in fields:
            errors.add(None, name, None, f"a field named {name!r} for the {_ROLE[role]}: "
                       f"the file's fields are {listed}")
            chosen[role] = ""  # named but absent: reported, not guessed
        else:
            chosen[role] = name
    by_lower = {}
    for f in fields:
        by_lower.setdefault(f.lower(), f)

    def named(candidates):
        return next((by_lower[c] for c in candidates if c in by_lower), None)

    said: dict[str, str] = {}  # notes by role, written in the order code, names, parent
    if chosen["code"] is None:
        chosen["code"], said["code"] = _guess_code(raw, fields, named(_CODE_FIELDS), errors,
                                                   listed)
    if chosen["parent"] is None:
        found = named(_PARENT_FIELDS)
        chosen["parent"] = found if found != chosen["code"] else None
        if chosen["parent"]:
            said["parent"] = f"parent field: {found}"
        elif level == "districts":
            said["parent"] = ("parent field: none found (parent, parent_code, pcode, 上级代码); "
                              "parent codes left empty")
        else:
            said["parent"] = ("parent field: none found (parent, parent_code, pcode, 上级代码); "
                              "parents are matched by code prefix later (check_parents)")
    taken = {chosen["code"], chosen["parent"]}
    if chosen["name"] is None:
        found = named(_NAME_FIELDS)
        if found and found not in taken:
            said["name"] = f"name field: {found}"
        else:
            found = next((f for f in fields if f not in taken and _has_cjk(raw[f])), None)
            if found:
                said["name"] = f"name field: {found} (the first text field with Chinese characters)"
            else:
                errors.add(None, None, None,
                           "a name field: none is called name, NAME, 名称 or 地名 and no text "
                           f"field holds Chinese characters; name one with --name-field "
                           f"(fields: {listed})")
        chosen["name"] = found
    if chosen["name_en"] is None:
        found = named(_NAME_EN_FIELDS)
        if found:
            said["name_en"] = f"English name field: {found}"
        elif chosen["name"] and not _has_cjk(raw[chosen["name"]]):
            # a city whose names are in Latin script shows them in English too, not codes
            found = chosen["name"]
            said["name_en"] = (f"English name field: none found (name_en, NAME_EN, ename); "
                               f"the names ({found}) are in Latin script and serve as English "
                               "names")
        else:
            said["name_en"] = ("English name field: none found (name_en, NAME_EN, ename); "
                               "English names are the codes")
        chosen["name_en"] = found
    notes.extend(said[role] for role in ("code", "name", "name_en", "parent")
                 if said.get(role))
    return {role: (name or None) for role, name in chosen.items()}


_ROLE = {"code": "code", "name": "name", "name_en": "English name", "parent": "parent code"}


def _guess_code(raw, fields, by_name, errors, listed) -> tuple[str | None, str]:
    if by_name is not None:
        return by_name, f"code field: {by_name} ({_lengths(raw[by_name])})"
    digit_fields = []
    for f in fields:
        texts = [_text(v) for v in raw[f]]
        if texts and all(t is not None and _DIGITS.fullmatch(t) for t in texts):
            digit_fields.append((max(len(t) for t in texts), f))
    if not digit_fields:
        errors.add(None, None, None,
                   "a code field: none is called adcode, code, 区划代码, 行政区划代码 or gb and no "
                   f"field's values are all digits; name one with --code-field (fields: {listed})")
        return None, ""
    # administrative codes are the longest numbers in a file (row ids and counts are shorter)
    best = max(digit_fields, key=lambda item: item[0])[1]
    others = [f for _, f in digit_fields if f != best]
    also = f"; also all digits: {', '.join(others)}" if others else ""
    return best, f"code field: {best} (its values are all digits, {_lengths(raw[best])}{also})"


def _lengths(column) -> str:
    sizes = sorted({len(t) for t in map(_text, column) if t is not None and _DIGITS.fullmatch(t)})
    if not sizes:
        return "no digit codes"
    if len(sizes) == 1:
        return f"{sizes[0]}-digit codes"
    return f"{sizes[0]}- to {sizes[-1]}-digit codes"


def _has_cjk(column) -> bool:
    return any(isinstance(v, str) and _CJK.search(v) for v in column)


def _values(raw: gpd.GeoDataFrame, fields: dict, errors: Problems) -> dict[str, list]:
    n = len(raw)

    def column(role):
        return list(raw[fields[role]]) if fields[role] else [None] * n

    codes, names = column("code"), column("name")
    names_en, parents = column("name_en"), column("parent")
    out = {"code": [], "name": [], "name_en": [], "parent": []}
    first: dict[str, int] = {}
    for feature, (code, name, name_en, parent) in enumerate(
            zip(codes, names, names_en, parents), start=1):
        code = _text(code)
        if fields["code"]:
            if code is None:
                errors.add(feature, fields["code"], None, "a code: this feature has none")
            elif not _DIGITS.fullmatch(code):
                errors.add(feature, fields["code"], code,
                           "a code of digits only (GB/T 2260, such as 360702)")
            elif code in first:
                errors.add(feature, fields["code"], code,
                           f"a code used once: feature {first[code]} has it too")
            else:
                first[code] = feature
        name = _text(name)
        if fields["name"] and name is None:
            errors.add(feature, fields["name"], None, "a name: this feature has none")
        parent = _parent_text(parent)
        if parent is not None and not _DIGITS.fullmatch(parent):
            errors.add(feature, fields["parent"], parent,
                       "a parent code of digits only, or nothing")
        out["code"].append(code)
        out["name"].append(name)
        out["name_en"].append(_text(name_en) or code)
        out["parent"].append(parent)
    return out


def _text(value) -> str | None:
    """Return a cell as stripped text, None when missing (numbers without a trailing .0)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    elif pd.isna(value):
        return None
    text = str(value).strip()
    return text or None


def _parent_text(value) -> str | None:
    # DataV's GeoJSON (the most common Chinese source) has "parent": {"adcode": 360700}.
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, dict):
        value = value.get("adcode", value.get("code"))
    return _text(value)


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _listing(items, limit: int = 10) -> str:
    items = [str(i) for i in items]
    if len(items) <= limit:
        return ", ".join(items) or "none"
    return f"{', '.join(items[:limit])}, … ({len(items)} in all)"


def _prefixes(code: str) -> list[str]:
    out = [code]
    if len(code) == 6:
        short = code
        while short.endswith("00") and len(short) > 2:
            short = short[:-2]
        if short != code:
            out.append(short)
    return out


# ---------------------------------------------------------------------------------------------
# geometry

def _geometries(raw, codes, crs, source_crs, errors: Problems, warns: Problems,
                notes: list[str]) -> np.ndarray:
    geoms = np.asarray(raw.geometry.values, dtype=object)
    polygonal = np.zeros(len(geoms), dtype=bool)
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            errors.add(i + 1, "geometry", None, "a polygon: this feature's geometry is empty")
        elif g.geom_type not in _POLYGONAL:
            errors.add(i + 1, "geometry", g.geom_type,
                       "a Polygon or MultiPolygon (boundaries are areas)")
        else:
            polygonal[i] = True

    system = _geodetic_system(source_crs, errors)
    source, said = _source_crs(raw.crs, crs, errors, warns)
    if source is None or system is None:
        return geoms
    label = _crs_label(source)
    if source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        notes.append(f"CRS: {label} {said}")
    else:
        notes.append(f"CRS: {label} {said}, reprojected to EPSG:4326")
        moved = gpd.GeoSeries(geoms[polygonal], crs=source).to_crs(epsg=4326)
        geoms[polygonal] = np.asarray(moved.values, dtype=object)

    bounds = shapely.bounds(geoms[polygonal].astype(object))
    outside = (~np.isfinite(bounds).all(axis=1) | (bounds[:, 0] < -180) | (bounds[:, 2] > 180)
               | (bounds[:, 1] < -90) | (bounds[:, 3] > 90))
    for i, (minx, miny, maxx, maxy) in zip(np.flatnonzero(polygonal)[outside], bounds[outside]):
        errors.add(i + 1, "geometry",
                   f"lon {minx:.8g}..{maxx:.8g}, lat {miny:.8g}..{maxy:.8g}",
                   f"lon within -180..180 and lat within -90..90 in EPSG:4326: likely a wrong "
                   f"CRS ({label} {said}; give the right one with --crs)")
    polygonal[np.flatnonzero(polygonal)[outside]] = False

    if system in ("GCJ02", "BD09"):
        notes.append(f"coordinates: {gcrs.NAMES[system]} converted to WGS-84 (--source-crs)")
        geoms[polygonal] = convert_geometries(geoms[polygonal].astype(object), system, "WGS84")
    else:
        notes.append("coordinates: taken as WGS-84 (give --source-crs GCJ02 for Amap or "
                     "Tencent data, BD09 for Baidu's)")

    for i in np.flatnonzero(polygonal & ~shapely.is_valid(geoms)):
        reason = shapely.is_valid_reason(geoms[i])
        fixed = _polygonal_part(shapely.make_valid(geoms[i]))
        code = f"code {codes[i]}" if codes[i] is not None else "no code"
        if fixed.is_empty:
            errors.add(i + 1, "geometry", reason,
                       f"a valid polygon ({code}): make_valid leaves nothing polygonal")
        else:
            warns.add(i + 1, "geometry", reason,
                      f"a valid polygon ({code}): repaired with make_valid, polygonal parts "
                      "kept", level="warning")
            geoms[i] = fixed
    return geoms


def _geodetic_system(source_crs: str | None, errors: Problems) -> str | None:
    try:
        return gcrs.named(source_crs)
    except ValueError:
        errors.add(None, None, source_crs, "--source-crs WGS84, GCJ02 or BD09")
        return None


def _source_crs(found, given, errors: Problems, warns: Problems) -> tuple[CRS | None, str]:
    """Return the CRS the coordinates are in and how it was decided (for the note)."""
    if given is not None:
        try:
            given = CRS.from_user_input(given)
        except CRSError as exc:
            errors.add(None, None, str(given), f"a CRS such as 'EPSG:4326' or 'EPSG:32650' "
                       f"({exc})")
            return None, ""
    if found is None and given is None:
        errors.add(None, None, None,
                   "a CRS: the file has none (a shapefile without its .prj?); give one with "
                   "--crs, such as 'EPSG:4326' for lon/lat degrees")
        return None, ""
    if found is None:
        return given, "given (the file has none)"
    if given is None:
        return found, "read from the file"
    if given.equals(found, ignore_axis_order=True):
        return found, "read from the file (the same as given)"
    warns.add(None, None, _crs_label(found),
              f"the file's CRS; {_crs_label(given)} was given and is used instead",
              level="warning")
    return given, f"given (overriding the file's {_crs_label(found)})"


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else (crs.name or crs.to_string())


def _polygonal_part(geom):
    if isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        return geom
    parts = []
    for g in getattr(geom, "geoms", []):
        if isinstance(g, shapely.Polygon):
            parts.append(g)
        elif isinstance(g, shapely.MultiPolygon):
            parts.extend(g.geoms)
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


__all__ = ["Boundaries", "COLUMNS", "FORMATS", "LEVELS", "LoadError", "check_parents",
           "cn_boundaries", "read_boundaries"]
