"""What every figure builder shares: the figure wrapper, date and number columns, the
target line and the time range's shading, titles, the empty placeholder and as-of labels."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go

import i18n
from data.catalog import Indicator
from layouts.theme import TOP_MARGIN, Theme, template

SELECT_DRAG = {"dragmode": "select", "selectdirection": "h"}
DAY_MS = 86_400_000   # one day on a date axis: bar widths must not depend on gaps
DATE_AXIS = {"type": "date", "tickformat": "%Y-%m"}


def _figure(theme: Theme, title: str, traces: list[dict], shapes: list[dict] | None = None,
            annotations: list[dict] | None = None, **layout) -> go.Figure:
    spec_layout = {"template": template(theme), "title": {"text": title}, **layout}
    if shapes:
        spec_layout["shapes"] = shapes
    if annotations:
        spec_layout["annotations"] = annotations
    return go.Figure({"data": traces, "layout": spec_layout}, _validate=False)


def text_width(text: str, size: float) -> float:
    """About how many pixels a line of text takes at a font size: a CJK character is one
    em wide, a Latin letter about half (Noto Sans); markup is not counted."""
    plain = re.sub(r"<[^>]+>", "", text)
    return size * sum(1.0 if ord(ch) >= 0x2E80 else 0.55 for ch in plain)


def fit_title(figure: go.Figure, width: float, size: float) -> go.Figure:
    """Break a title too wide for a figure of ``width`` pixels before its last " · " part,
    with room for the second line (a long English title ran out of a wall panel)."""
    text = figure.layout.title.text or ""
    if " · " not in text or text_width(text, size) <= width - 2 * size:
        return figure
    head, _, tail = text.rpartition(" · ")
    top = figure.layout.margin.t
    figure.update_layout(title_text=f"{head}<br>{tail}",
                         margin_t=(TOP_MARGIN if top is None else top) + round(size * 1.3))
    return figure


def _range_shape(theme: Theme, start: str | None, end: str | None) -> list[dict]:
    """Mark the filtered time range on a time axis (the charts keep showing all months)."""
    if not (start and end):
        return []
    return [{"type": "rect", "xref": "x", "yref": "paper", "x0": start, "x1": end, "y0": 0,
             "y1": 1, "fillcolor": theme.accent, "opacity": 0.12, "line": {"width": 0},
             "layer": "below"}]


def _target_line(theme: Theme, value: float, label: str, axis: str = "y") -> tuple[dict, dict]:
    """A dashed horizontal target line across the plot, with its label."""
    shape = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": axis, "y0": value,
             "y1": value, "line": {"color": theme.ok, "width": 2, "dash": "dash"}}
    return shape, target_label(theme, label, "paper", 0, axis, value)


def target_label(theme: Theme, label: str, xref: str, x, yref: str, y: float) -> dict:
    """A target line's label, just above the line's start: on the panel's colour, since the
    line runs through bars (a level's target lies among its values)."""
    return {"xref": xref, "x": x, "xanchor": "left", "yref": yref, "y": y,
            "yanchor": "bottom", "text": label, "showarrow": False,
            "font": {"color": theme.ok}, "bgcolor": _translucent(theme.panel, 0.8),
            "borderpad": 2}


def _translucent(color: str, alpha: float) -> str:
    """``#rrggbb`` as rgba with ``alpha``."""
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _dates(values) -> list[str]:
    return pd.to_datetime(pd.Series(values)).dt.strftime("%Y-%m-%d").tolist()


def _numbers(values) -> list:
    return [None if pd.isna(v) else float(v) for v in values]


def _chosen(selected) -> set:
    """The codes to outline: one code, several (a lasso), or none."""
    if selected is None:
        return set()
    return {selected} if isinstance(selected, str) else set(selected)


def indicator_title(ind: Indicator, lang: str) -> str:
    """Return '<name>（unit）' in the language, the units-in-title rule of every chart."""
    name = ind.name_en if lang == "en" else ind.name_zh
    unit = i18n.unit(ind, lang)
    return f"{name} ({unit})" if lang == "en" and unit else (f"{name}（{unit}）" if unit else name)


def headline_title(ind: Indicator, lang: str) -> str:
    """Return the title of a chart of the indicator's headline: what it plots. A growth
    indicator's headline is its year-on-year change (固定资产投资 同比（%）), not its level."""
    if not ind.is_growth:
        return indicator_title(ind, lang)
    name = ind.name_en if lang == "en" else ind.name_zh
    yoy = i18n.t("yoy", lang)
    return f"{name} {yoy} (%)" if lang == "en" else f"{name} {yoy}（%）"


def empty(theme: Theme, title: str, message: str) -> go.Figure:
    """Return a placeholder figure that says why there is nothing to show."""
    note = {"text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5,
            "y": 0.5, "font": {"size": theme.title_size, "color": theme.muted}}
    return _figure(theme, title, [], annotations=[note], xaxis={"visible": False},
                   yaxis={"visible": False})


def as_of_label(last, frequency: str) -> str:
    """Return an as-of label: a month for monthly statistics, a day for daily feeds."""
    if last is None or pd.isna(last):
        return "—"
    ts = pd.Timestamp(last)
    if frequency in ("monthly", "quarterly"):
        return ts.strftime("%Y-%m")
    return ts.strftime("%Y-%m-%d")
