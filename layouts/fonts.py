"""The interface font, served by the app: a subset of Noto Sans CJK SC with the glyphs it shows.

Wall displays in an operations centre are often kiosks without Chinese fonts, and the network
is closed, so the app serves its own. The full font is 16 MB a weight; a subset of the
characters the interface and the store's names use is ~100 KB. It is cut from Debian's
fonts-noto-cjk on the server when first asked for; without that package the CSS falls back to
the client's local fonts.
"""

from __future__ import annotations

import functools
import io
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


@functools.lru_cache(maxsize=8)
def subset_woff2(chars: str, weight: int) -> bytes | None:
    """Return a WOFF2 subset of the interface face holding ``chars``, or None without fonts."""
    path = system_font(weight)
    if path is None:
        return None
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
