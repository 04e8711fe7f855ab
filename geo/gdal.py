"""What GDAL may open: three drivers, local files only, each file checked by its first bytes.

GDAL picks a driver from a file's content, not its name: a ``.geojson`` holding OGR VRT XML
is opened as a VRT, which reads any file on the server, runs SQL on it and fetches URLs; other
drivers speak HTTP (WFS, OAPIF, Elasticsearch ...), run programs (GPSBabel) or evaluate
pipelines (GDALG). So before GDAL reads anything, every driver but the three boundary formats is
deregistered in this process (``restrict_drivers``), a path that GDAL would read through a
virtual file system or a URL is refused (``check_local_path``), and each file must start with
its format's own bytes (``check_magic``).
"""

from __future__ import annotations

import ctypes
import re
import threading
from pathlib import Path

#: GDAL's drivers for the boundary formats a city may load; every other one is removed.
ALLOWED_DRIVERS = frozenset({"GeoJSON", "ESRI Shapefile", "GPKG"})

_SHAPEFILE_CODE = b"\x00\x00\x27\x0a"          # 9994, big-endian: every .shp starts so
_SQLITE = b"SQLite format 3\x00"
_GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")  # at byte 68 of a GeoPackage
_DRIVER_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_ ]*:")
_restricted = False
_lock = threading.Lock()


class UnsafeSource(ValueError):
    """A path or file GDAL must not open; the message says why, never what the file holds."""


def restrict_drivers() -> None:
    """Deregister every GDAL driver but ``ALLOWED_DRIVERS`` in this process (once).

    pyogrio registers all of GDAL's drivers when it is imported and offers no way to open a
    file with only some of them, so the others are removed from GDAL's registry through its C
    API, in the libgdal that pyogrio loaded. Fails closed: if that library cannot be found, or a
    driver outside the list is left, it raises rather than read with them.
    """
    global _restricted
    if _restricted:
        return
    with _lock:
        if _restricted:
            return
        import pyogrio

        extra = set(pyogrio.list_drivers()) - ALLOWED_DRIVERS
        if extra:
            lib = _libgdal()
            for name in sorted(extra):
                handle = lib.GDALGetDriverByName(name.encode())
                if handle:
                    lib.GDALDeregisterDriver(handle)
        left = set(pyogrio.list_drivers()) - ALLOWED_DRIVERS
        if left:
            raise RuntimeError(f"GDAL drivers still registered: {', '.join(sorted(left))}")
        _restricted = True


def _libgdal() -> ctypes.CDLL:
    """The libgdal this process loaded (pyogrio's own wheel copy, or the system's)."""
    with open("/proc/self/maps", encoding="ascii", errors="replace") as maps:
        paths = {line.split()[-1] for line in maps
                 if "libgdal" in line.rsplit("/", 1)[-1]}
    if len(paths) != 1:
        raise RuntimeError(f"cannot tell which libgdal is loaded: found {sorted(paths)}")
    lib = ctypes.CDLL(paths.pop())
    lib.GDALGetDriverByName.restype = ctypes.c_void_p
    lib.GDALGetDriverByName.argtypes = [ctypes.c_char_p]
    lib.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
    lib.GDALDeregisterDriver.restype = None
    return lib


def check_local_path(path: str | Path) -> None:
    """Refuse a path GDAL would read other than as a plain local file: a virtual file system
    (``/vsicurl/``, ``/vsis3/``, ``/vsizip/`` ...), a URL, or a driver prefix (``GPKG:...``)."""
    text = str(path)
    if text.lstrip().lstrip("/").startswith("vsi") and text.lstrip().startswith("/") \
            or "://" in text:
        raise UnsafeSource("a plain local file: GDAL virtual file systems (/vsi...) and URLs "
                           "are refused")
    if _DRIVER_PREFIX.match(text):
        raise UnsafeSource("a plain local file: driver prefixes (NAME:...) are refused")


def check_magic(head: bytes, fmt: str) -> None:
    """Refuse a file whose first bytes are not those of ``fmt`` (GeoJSON, Shapefile or
    GeoPackage): a VRT, an HTML page or a database of another kind with a boundary file's
    name."""
    if fmt == "GeoJSON":
        text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
        if not text.startswith(b"{"):
            raise UnsafeSource("GeoJSON: a JSON object starting with '{'; this file starts "
                               "otherwise (is it XML, a VRT or another format?)")
    elif fmt == "Shapefile":
        if not head.startswith(_SHAPEFILE_CODE):
            raise UnsafeSource("a Shapefile (.shp): its first bytes are not a shapefile's "
                               "file code (9994)")
    elif fmt == "GeoPackage":
        if not head.startswith(_SQLITE) or head[68:72] not in _GPKG_APPLICATION_IDS:
            raise UnsafeSource("a GeoPackage: an SQLite file with the GeoPackage application "
                               "id; this one is not")
    else:
        raise ValueError(f"unknown format {fmt!r}")
