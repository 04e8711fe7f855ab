"""Charts as files: PNG, SVG and PDF rendered on the server by kaleido, in the print theme,
with a footnote naming the source, the data's as-of time and, for the demo city, "demo data".

One Chromium serves every render (kaleido's persistent sync server): the first figure costs
~1.7 s while Chromium starts, the next ~0.15 s. Charts are built by the screens' own chart
functions (``CHARTS`` of each ``callbacks`` module) with ``theme.PRINT``: one query-to-figure
path for the screen and the file.
"""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path

import plotly
import plotly.graph_objects as go

import i18n

#: The media type of every kind of file the app serves (charts, reports, downloads).
MIMETYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: What a chart can be saved as.
FORMATS = ("png", "svg", "pdf")
#: A chart file's size in CSS pixels: a half A4 page at print resolution (PNG at 2x).
SIZE = (1000, 560)
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: The plotly.js bundled with plotly.py: the same the screens load from the app.
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class ExportError(ValueError):
    """A chart or format that cannot be exported, with what can."""


def check_format(fmt: str) -> None:
    """Raise ExportError naming the chart formats unless ``fmt`` is one of them."""
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not supported: use one of {', '.join(FORMATS)}")


def with_footnote(fig: go.Figure, *, scope: str, source: str, as_of: str, is_demo: bool,
                  lang: str) -> go.Figure:
    """The figure with a footnote under the plot: what it covers (area and period), source,
    as-of time, demo data."""
    parts = [scope, f"{i18n.t('source', lang)}: {source}", f"{i18n.t('as_of', lang)} {as_of}"]
    if is_demo:
        parts.append(i18n.t("demo", lang))
    out = go.Figure(fig)
    bottom = max(out.layout.margin.b or 0, 40)      # room for the x axis, then the note
    out.update_layout(margin={"b": bottom + 36})
    out.add_annotation(text=" · ".join(parts), showarrow=False, xref="paper", yref="paper",
                       x=0, y=0, xanchor="left", yanchor="top", yshift=-bottom,
                       font={"size": 11, "color": "#555555"}, align="left")
    return out


#: kaleido's render server (one headless Chromium) belongs to the process, not to a renderer:
#: every ChartRenderer shares it and it stops when the process ends. (When each renderer
#: stopped it on close, the others' later renders each launched a Chromium of their own:
#: 5-6 s a figure instead of 0.5 s.) One Chromium page renders at a time.
_SERVER_LOCK = threading.Lock()
_server_started = False


def _stop_server() -> None:
    import kaleido
    kaleido.stop_sync_server(silence_warnings=True)


class ChartRenderer:
    """Renders figures to bytes through the process's persistent headless Chromium
    (kaleido)."""

    def __init__(self, chromium: str | None = None):
        # kaleido (through choreographer) finds the browser in BROWSER_PATH: Debian's
        # Chromium, which also has the CJK fonts the print theme needs
        path = chromium or os.environ.get("BROWSER_PATH") or DEFAULT_CHROMIUM
        if os.path.exists(path):
            os.environ.setdefault("BROWSER_PATH", path)

    def render(self, fig: go.Figure, fmt: str, size: tuple[int, int] = SIZE) -> bytes:
        """The figure as PNG, SVG or PDF bytes."""
        check_format(fmt)
        import kaleido
        opts = {"format": fmt, "width": size[0], "height": size[1],
                "scale": 2 if fmt == "png" else 1}
        global _server_started
        with _SERVER_LOCK:   # renders from server threads and reports queue
            if not _server_started:
                # offline: the plotly.js the app serves, no MathJax (kaleido would fetch both
                # from a CDN); a render that hangs gives up after a minute
                kaleido.start_sync_server(plotlyjs=PLOTLY_JS, mathjax=False, timeout=60,
                                          silence_warnings=True)
                atexit.register(_stop_server)
                _server_started = True
            try:
                return kaleido.calc_fig_sync(fig, opts=opts)
            except Exception as error:
                # kaleido 1.x binds a new tab to the first JavaScript context Chromium
                # reports, which on a busy machine can be the blank page's: its first render
                # fails so. Every render ends by reloading its tab, so a second try draws.
                if "kaleido_scopes is not defined" not in str(error):
                    raise
                return kaleido.calc_fig_sync(fig, opts=opts)
