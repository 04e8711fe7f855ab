"""The interface font, served by the app: a subset of Noto Sans CJK SC with the glyphs it shows.

Wall displays in an operations centre are often kiosks without Chinese fonts, and the network
is closed, so the app serves its own. The full font is 16 MB a weight; a subset of the
characters the interface and the store's names use is ~100 KB. It is cut from Debian's
fonts-noto-cjk on the server when first asked for; without that package the CSS falls back to
the client's local fonts.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import string
from pathlib import Path

FAMILY = "CityBrain Sans"
WEIGHTS = {400: "NotoSansCJK-Regular.ttc", 700: "NotoSansCJK-Bold.ttc"}
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
_FACE = "Noto Sans CJK SC"

#: Symbols the interface draws besides letters and digits.
_SYMBOLS = "·•，。：；、（）《》【】“”‘’—–−…%‰°℃µ³²±×÷≤≥▲▼▬›‹«»→←↑↓✓✗ⅠⅡⅢⅣⅤ－＋％"


def system_font(weight: int) -> Path | None:
    """Return the installed Noto Sans CJK collection for a weight, if there is one."""
    for folder in FONT_DIRS:
        path = folder / WEIGHTS[weight]
        if path.exists():
            return path
    return None


def interface_chars(*texts: str) -> str:
    """Return the sorted set of characters to keep: ASCII, symbols and the given texts."""
    import i18n
    from data import catalog
    from data.aqi import LEVELS
    parts = [string.printable, _SYMBOLS, *texts]
    parts += [zh + en for zh, en in i18n.TEXT.values()]
    parts += [i.name_zh + i.unit_zh + i.name_en + i.unit_en for i in catalog.INDICATORS]
    for vocab in (catalog.EVENT_CATEGORIES, catalog.EVENT_SOURCES, catalog.EVENT_STAGES):
        parts += [zh + en for zh, en in vocab.values()]
    parts += [zh + en for _, _, zh, en, _ in LEVELS]
    return "".join(sorted(set("".join(parts)) - set("\n\r\t\x0b\x0c")))


#: Bump when the cut changes (options, face): the cache's old files are then never read.
_CUT_VERSION = "1"


def cache_dir() -> Path:
    """Where cut fonts are kept between processes: CITYBRAIN_FONT_CACHE, else the user's
    cache (under systemd, HOME is the data folder, docs/DEPLOY.md)."""
    configured = os.environ.get("CITYBRAIN_FONT_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "citybrain" / "fonts"


@functools.lru_cache(maxsize=8)
def subset_woff2(chars: str, weight: int) -> bytes | None:
    """Return a WOFF2 subset of the interface face holding ``chars``, or None without fonts.

    A cut takes ~4 s a weight, in every worker of every start: the result is kept on disk,
    named by what it is cut from and for (the characters, the font file, fontTools), and
    read back by the next process. A cache that cannot be written is only slower."""
    path = system_font(weight)
    if path is None:
        return None
    import fontTools
    stat = path.stat()
    key = hashlib.sha256("\0".join((
        _CUT_VERSION, chars, str(weight), str(path), str(stat.st_size), str(stat.st_mtime_ns),
        fontTools.version)).encode()).hexdigest()
    cached = cache_dir() / f"citybrain-sans-{weight}-{key[:32]}.woff2"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    body = cut_woff2(path, chars)
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(body)
        os.replace(partial, cached)      # another worker reads all of it or nothing
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return body


def cut_woff2(path: Path, chars: str) -> bytes:
    """The cut itself: the interface face of the collection at ``path``, ``chars`` only."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == _FACE)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
