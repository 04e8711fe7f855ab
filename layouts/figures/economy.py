"""The economy screen: small multiples by district, YoY/MoM, district shares and two
districts side by side."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

import i18n
from data.catalog import Indicator
from layouts.figures.base import (
    DATE_AXIS,
    _chosen,
    _dates,
    _figure,
    _numbers,
    indicator_title,
)
from layouts.theme import Theme


def _change_unit(ind: Indicator, lang: str) -> str:
    """The unit YoY and MoM are in (``data.queries.indicators._change``): % for growth-based quantities,
    percentage points for rates, the indicator's own unit otherwise."""
    if ind.is_growth:
        return "%"
    if ind.unit_zh == "%":
        return i18n.t("points", lang) if lang == "zh" else "pts"
    return i18n.unit(ind, lang)


def _labelled(label: str, unit: str, lang: str) -> str:
    if not unit:
        return label
    return f"{label} ({unit})" if lang == "en" else f"{label}（{unit}）"


def _change_scale(ind: Indicator, lang: str) -> float:
    """Differences in a level quantity's unit are shown in its English unit too."""
    return 1.0 if ind.is_growth or ind.unit_zh == "%" else i18n.unit_factor(ind, lang)


def _point_text(value, change, ind: Indicator, lang: str) -> str:
    text = i18n.quantity(value, ind, lang)
    if change is not None and not pd.isna(change):
        text += f" · {i18n.t('yoy', lang)} {i18n.change(change, ind, lang)}"
    return text


def _axis_name(prefix: str, index: int) -> str:
    """'x', 'x2', ... as traces name their axes; layout keys add 'axis'."""
    return prefix if index == 1 else f"{prefix}{index}"


def small_multiples(frame: pd.DataFrame, ind: Indicator, names: dict[str, str], *,
                    theme: Theme, lang: str, selected=None) -> go.Figure:
    """Return a grid of small line charts, one per district (``names``: code -> display
    name, in panel order), sharing the y axis; the selected district(s) highlighted.

    Each line is the headline: YoY % for growth-based indicators (districts of different
    size compare on one shared axis), the level otherwise. ``frame`` is
    ``Queries.indicator_monthly_by_district``. customdata = district code, so a click on a
    line picks its district. Axes are written as dicts (xaxis2 ... / yaxis2 ...).
    """
    codes = list(names) or sorted(frame["district_code"].unique())
    chosen = _chosen(selected)
    n = max(len(codes), 1)
    cols = min(6, n)
    rows = -(-n // cols)
    gap_x, row_h = 0.03, 1.0 / rows
    width = (1.0 - gap_x * (cols - 1)) / cols
    growth = ind.is_growth
    factor = 1.0 if growth else i18n.unit_factor(ind, lang)
    by_code = {code: part for code, part in frame.groupby("district_code")}
    traces, shapes, notes, layout = [], [], [], {}
    for k, code in enumerate(codes):
        i, row, col = k + 1, k // cols, k % cols
        x_name, y_name = _axis_name("x", i), _axis_name("y", i)
        x0 = col * (width + gap_x)
        y1 = 1.0 - row * row_h - 0.2 * row_h    # room above each panel for its title
        y0 = 1.0 - (row + 1) * row_h + 0.06 * row_h
        last_in_column = k + cols >= len(codes)
        layout["xaxis" if i == 1 else f"xaxis{i}"] = {
            **DATE_AXIS, "tickformat": "%y-%m", "nticks": 2, "domain": [x0, x0 + width],
            "anchor": y_name, "showticklabels": last_in_column, "showgrid": False,
            **({} if i == 1 else {"matches": "x"})}
        layout["yaxis" if i == 1 else f"yaxis{i}"] = {
            "domain": [y0, y1], "anchor": x_name, "showticklabels": col == 0, "nticks": 4,
            **({"ticksuffix": "%"} if growth else {}), **({} if i == 1 else {"matches": "y"})}
        part = by_code.get(code, frame.iloc[0:0])
        highlight = code in chosen
        y = part["headline"] if growth else part["headline"] * factor
        traces.append({
            "type": "scatter", "mode": "lines", "xaxis": x_name, "yaxis": y_name,
            "x": _dates(part["period"]), "y": _numbers(y), "name": names.get(code, code),
            "customdata": [code] * len(part), "showlegend": False,
            "text": [_point_text(v, c, ind, lang) for v, c in zip(part["value"], part["yoy"])],
            "hovertemplate": "%{x|%Y-%m}: %{text}",
            "line": {"color": "#ffd166" if highlight else theme.accent,
                     "width": 3 if highlight else 1.5}})
        notes.append({"xref": "paper", "yref": "paper", "x": x0 + width / 2, "y": y1,
                      "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                      "text": f"<b>{names.get(code, code)}</b>" if highlight
                      else names.get(code, code),
                      "font": {"color": theme.text if highlight else theme.muted}})
        if highlight:
            shapes.append({"type": "rect", "xref": f"{x_name} domain",
                           "yref": f"{y_name} domain", "x0": 0, "x1": 1, "y0": 0, "y1": 1,
                           "fillcolor": theme.accent, "opacity": 0.1, "line": {"width": 0},
                           "layer": "below"})
    title = (f"{ind.name_en if lang == 'en' else ind.name_zh} {i18n.t('yoy', lang)} %"
             if growth else indicator_title(ind, lang))
    return _figure(theme, f"{title} · {i18n.t('econ_by_district', lang)}", traces, shapes,
                   notes, uirevision="small-multiples", showlegend=False, hovermode="closest",
                   **layout)


def yoy_mom(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str) -> go.Figure:
    """Return an indicator's monthly values as bars with its YoY and MoM changes as lines on a
    second axis. ``frame`` is ``Queries.indicator_changes``: period, value, yoy, mom."""
    x = _dates(frame["period"])
    unit = _change_unit(ind, lang)
    scale = _change_scale(ind, lang)
    change_text = {name: [i18n.change(v, ind, lang) for v in frame[name]]
                   for name in ("yoy", "mom")}
    traces = [{"type": "bar", "x": x,
               "y": _numbers(frame["value"] * i18n.unit_factor(ind, lang)),
               "name": i18n.unit(ind, lang) or i18n.t("value", lang),
               "text": [i18n.quantity(v, ind, lang) for v in frame["value"]],
               "textposition": "none", "hovertemplate": "%{x|%Y-%m}: %{text}<extra></extra>",
               "marker": {"color": theme.accent}, "opacity": 0.55}]
    # GDP is quarterly: its period-on-period change is against the previous quarter
    period_change = "econ_qoq" if ind.frequency == "quarterly" else "econ_mom"
    for name, label, color in (("yoy", i18n.t("yoy", lang), "#ffd166"),
                               ("mom", i18n.t(period_change, lang), "#ef476f")):
        traces.append({"type": "scatter", "mode": "lines+markers", "x": x, "yaxis": "y2",
                       "y": _numbers(frame[name] * scale), "name": _labelled(label, unit, lang),
                       "text": change_text[name], "line": {"color": color, "width": 2.5},
                       "hovertemplate": f"%{{x|%Y-%m}} {label}: %{{text}}<extra></extra>"})
    return _figure(theme, f"{indicator_title(ind, lang)} · {i18n.t('econ_yoy_mom', lang)}",
                   traces, uirevision="yoy-mom", xaxis=DATE_AXIS, bargap=0.25,
                   margin={"l": 56, "r": 56, "t": 72, "b": 36},
                   yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                           "tickmode": "auto",     # its own round ticks, a true zero line
                           "zeroline": True, "zerolinecolor": theme.muted,
                           **({"ticksuffix": "%"} if unit == "%" else {})})


def district_shares(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str,
                    selected=None) -> go.Figure:
    """Return each district's share (%) of the city total as horizontal bars, largest on
    top, with its value; customdata = district code. ``frame`` is
    ``Queries.district_shares``: district_code, name_zh, name_en, value, share."""
    data = frame.sort_values("share", ascending=False, na_position="last")
    names = data["name_en" if lang == "en" else "name_zh"].tolist()
    chosen = _chosen(selected)
    text = [f"{s:.1f}% · {i18n.quantity(v, ind, lang)}" if not pd.isna(s)
            else i18n.t("no_data", lang) for s, v in zip(data["share"], data["value"])]
    trace = {"type": "bar", "orientation": "h", "y": names, "x": _numbers(data["share"]),
             "customdata": data["district_code"].tolist(), "text": text,
             "textposition": "outside", "cliponaxis": False, "textfont": {"color": theme.text},
             "hovertemplate": "%{y}: %{text}<extra></extra>",
             "marker": {"color": [theme.warn if c in chosen else theme.accent
                                  for c in data["district_code"]],
                        "line": {"width": [3 if c in chosen else 0
                                           for c in data["district_code"]],
                                 "color": theme.text}}}
    top = float(data["share"].max()) if data["share"].notna().any() else 10.0
    return _figure(theme, f"{i18n.t('shares', lang)} · {indicator_title(ind, lang)}",
                   [trace], uirevision="shares", bargap=0.18,
                   margin={"l": 16, "r": 16, "t": 44, "b": 24},
                   yaxis={"autorange": "reversed", "automargin": True},
                   xaxis={"ticksuffix": "%", "range": [0, top * 1.6]})


def compare_districts(frame_a: pd.DataFrame, frame_b: pd.DataFrame, name_a: str, name_b: str,
                      ind: Indicator, *, theme: Theme, lang: str) -> go.Figure:
    """Return two districts' monthly values as grouped bars with their YoY as lines on a
    second axis. Frames have period, value, yoy (``Queries.indicator_changes`` or
    ``indicator_monthly``)."""
    factor = i18n.unit_factor(ind, lang)
    unit = _change_unit(ind, lang)
    scale = _change_scale(ind, lang)
    yoy = i18n.t("yoy", lang)
    traces = []
    for frame, name, color in ((frame_a, name_a, theme.accent), (frame_b, name_b, "#f78c6b")):
        x = _dates(frame["period"])
        traces.append({"type": "bar", "x": x, "y": _numbers(frame["value"] * factor),
                       "name": name, "marker": {"color": color}, "opacity": 0.7,
                       "text": [i18n.quantity(v, ind, lang) for v in frame["value"]],
                       "textposition": "none",
                       "hovertemplate": "%{x|%Y-%m}: %{text}"})
        traces.append({"type": "scatter", "mode": "lines+markers", "x": x, "yaxis": "y2",
                       "y": _numbers(frame["yoy"] * scale),
                       "name": f"{name} {_labelled(yoy, unit, lang)}",
                       "text": [i18n.change(v, ind, lang) for v in frame["yoy"]],
                       "line": {"color": color, "width": 2.5, "dash": "dot"},
                       "hovertemplate": f"%{{x|%Y-%m}} {yoy}: %{{text}}"})
    return _figure(theme, f"{i18n.t('compare', lang)} · {indicator_title(ind, lang)}",
                   traces, uirevision="compare", barmode="group", bargap=0.25,
                   xaxis=DATE_AXIS, margin={"l": 56, "r": 56, "t": 72, "b": 36},
                   yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                           "tickmode": "auto",     # its own round ticks, a true zero line
                           "zeroline": True, "zerolinecolor": theme.muted,
                           **({"ticksuffix": "%"} if unit == "%" else {})})
