"""Figure builders: pure functions from a DataFrame to a ``go.Figure``, one per chart kind.

They take a theme and a language and never query data; screens and exported reports share them.
Entity keys (district codes) ride in ``customdata`` so clicks can be read back without indices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from data import catalog
from data.aqi import LEVELS
from data.catalog import Indicator
from layouts import i18n
from layouts.theme import AQI_COLORS, STAGE_COLORS, Theme, template

SELECT_DRAG = dict(dragmode="select", selectdirection="h")
DAY_MS = 86_400_000   # one day on a date axis: bar widths must not depend on gaps


def _base(theme: Theme, title: str, **layout) -> go.Figure:
    fig = go.Figure(layout=dict(template=template(theme), title=dict(text=title), **layout))
    return fig


def _shade_range(fig: go.Figure, theme: Theme, start: str | None, end: str | None) -> None:
    """Mark the filtered time range on a time axis (the charts keep showing all months)."""
    if start and end:
        fig.add_vrect(x0=start, x1=end, fillcolor=theme.accent, opacity=0.12, line_width=0,
                      layer="below")


def indicator_title(ind: Indicator, lang: str) -> str:
    """Return '<name>（unit）' in the language, the units-in-title rule of every chart."""
    name = ind.name_en if lang == "en" else ind.name_zh
    unit = i18n.unit(ind, lang)
    return f"{name} ({unit})" if lang == "en" and unit else (f"{name}（{unit}）" if unit else name)


# --- map -----------------------------------------------------------------------------------

def choropleth_arrays(frame: pd.DataFrame, ind: Indicator, lang: str, theme: Theme,
                      selected: str | None) -> dict:
    """Return the per-district arrays of the district map, the part a filter change resends.

    ``frame`` has district_code, name_zh, name_en, value, yoy, headline. Districts without a
    value are left out (the grey base layer shows them): a trace whose every value is missing
    breaks MapLibre's paint.
    """
    frame = frame[frame["headline"].notna()]
    hover = []
    for row in frame.itertuples():
        name = row.name_en if lang == "en" else row.name_zh
        parts = [f"<b>{name}</b>", i18n.quantity(row.value, ind, lang)]
        if not pd.isna(row.yoy):
            parts.append(f"{i18n.t('yoy', lang)} {i18n.change(row.yoy, ind, lang)}")
        hover.append("<br>".join(parts))
    codes = frame["district_code"].tolist()
    z = frame["headline"].astype(float).round(3)
    return {
        "locations": codes,
        "customdata": codes,
        "z": [None if pd.isna(v) else float(v) for v in z],
        "text": hover,
        "line_width": [4.0 if c == selected else 0.8 for c in codes],
        "line_color": [theme.accent if c == selected else theme.map_line for c in codes],
    }


def choropleth(frame: pd.DataFrame, ind: Indicator, *, geojson_url: str, style_url: str,
               center: dict, zoom: float, theme: Theme, lang: str,
               selected: str | None) -> go.Figure:
    """Return the district choropleth of one indicator on an offline MapLibre map.

    Geometry is not in the figure: the browser fetches ``geojson_url`` once and caches it.
    The map style is a URL too (``geo.serve``): an inline style object makes MapLibre reset
    the style on every update, which fails ("Map error") once a Patch recolours the map.
    """
    arrays = choropleth_arrays(frame, ind, lang, theme, selected)
    codes = frame["district_code"].tolist()
    basis = i18n.t("yoy", lang) + " %" if (ind.basis == "yoy" and ind.kind == "value") \
        else i18n.unit(ind, lang)
    scale = list(theme.colorscale)
    fig = _base(theme, indicator_title(ind, lang), margin=dict(l=0, r=0, t=44, b=0),
                uirevision="district-map")
    # base layer: every district in grey, so "no data" still shows its outline
    fig.add_trace(go.Choroplethmap(
        geojson=geojson_url, featureidkey="id", locations=codes, z=[0] * len(codes),
        colorscale=[[0, theme.grid], [1, theme.grid]], showscale=False, hoverinfo="skip",
        marker=dict(opacity=0.6, line=dict(width=0.8, color=theme.map_line))))
    fig.add_trace(go.Choroplethmap(
        geojson=geojson_url, featureidkey="id", locations=arrays["locations"],
        z=arrays["z"], customdata=arrays["customdata"], text=arrays["text"],
        hovertemplate="%{text}<extra></extra>", colorscale=scale,
        reversescale=ind.better == "lower",
        marker=dict(opacity=0.85, line=dict(width=arrays["line_width"],
                                            color=arrays["line_color"])),
        colorbar=dict(title=dict(text=basis, side="right"), thickness=12, len=0.7,
                      tickfont=dict(color=theme.muted)),
    ))
    fig.update_layout(map=dict(style=style_url, center=center, zoom=zoom),
                      clickmode="event+select")
    return fig


# --- time series ---------------------------------------------------------------------------

def trend(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str,
          start: str | None, end: str | None) -> go.Figure:
    """Return an indicator's monthly trend: level bars, YoY line, target line, range shaded."""
    fig = _base(theme, indicator_title(ind, lang), uirevision="trend", **SELECT_DRAG,
                bargap=0.25)
    yoy_basis = ind.basis == "yoy" and ind.kind == "value"
    show = frame.dropna(subset=["value"])
    if yoy_basis:
        show = show[show["yoy"].notna()]
    fig.add_trace(go.Bar(x=show["period"], y=show["value"], name=i18n.unit(ind, lang) or
                         i18n.t("value", lang), marker_color=theme.accent, opacity=0.55,
                         hovertemplate="%{x|%Y-%m}: %{y:,.1f}<extra></extra>"))
    if yoy_basis:
        fig.add_trace(go.Scatter(x=show["period"], y=show["yoy"], yaxis="y2", mode="lines+markers",
                                 name=f"{i18n.t('yoy', lang)} %", line=dict(color="#ffd166",
                                                                              width=3),
                                 hovertemplate="%{x|%Y-%m}: %{y:+.1f}%<extra></extra>"))
        fig.update_layout(yaxis2=dict(overlaying="y", side="right", ticksuffix="%",
                                      showgrid=False, tickfont=dict(color="#ffd166")))
    if ind.target is not None:
        fig.add_hline(y=ind.target, yref="y2" if yoy_basis else "y", line_dash="dash",
                      line_color=theme.ok, line_width=2,
                      annotation_text=f"{i18n.t('target', lang)} {ind.target:g}"
                      + ("%" if yoy_basis or ind.unit_zh == "%" else ""),
                      annotation_font_color=theme.ok, annotation_position="top left")
    _shade_range(fig, theme, start, end)
    fig.update_xaxes(type="date", tickformat="%Y-%m")
    return fig


def aqi_daily(frame: pd.DataFrame, *, theme: Theme, lang: str, start: str | None,
              end: str | None) -> go.Figure:
    """Return daily AQI bars coloured by their official level (HJ 633-2012)."""
    fig = _base(theme, i18n.t("air", lang), uirevision="air", **SELECT_DRAG, bargap=0,
                barmode="overlay")
    for level, (_, _, zh, en, _) in enumerate(LEVELS):
        part = frame[frame["level"] == level]
        if part.empty:
            continue
        fig.add_trace(go.Bar(x=part["day"], y=part["aqi"], name=en if lang == "en" else zh,
                             marker_color=AQI_COLORS[level], marker_line_width=0,
                             width=DAY_MS,
                             hovertemplate="%{x|%Y-%m-%d}: AQI %{y:.0f}<extra></extra>"))
    fig.add_hline(y=100, line_dash="dot", line_color=theme.muted, line_width=1)
    _shade_range(fig, theme, start, end)
    fig.update_xaxes(type="date", tickformat="%Y-%m")
    return fig


def events_by_status(frame: pd.DataFrame, *, theme: Theme, lang: str, start: str | None,
                     end: str | None) -> go.Figure:
    """Return events reported per month, stacked by current life-cycle stage."""
    fig = _base(theme, i18n.t("events_status", lang), uirevision="events", barmode="stack",
                **SELECT_DRAG, bargap=0.2)
    for stage, (zh, en) in catalog.EVENT_STAGES.items():
        part = frame[frame["status"] == stage]
        if part.empty:
            continue
        fig.add_trace(go.Bar(x=part["period"], y=part["n"], name=en if lang == "en" else zh,
                             marker_color=STAGE_COLORS[stage],
                             hovertemplate="%{x|%Y-%m}: %{y:,}<extra>" + (en if lang == "en"
                                                                         else zh) + "</extra>"))
    _shade_range(fig, theme, start, end)
    fig.update_xaxes(type="date", tickformat="%Y-%m")
    return fig


# --- bars ----------------------------------------------------------------------------------

def events_by_category(frame: pd.DataFrame, *, theme: Theme, lang: str) -> go.Figure:
    """Return events per category as horizontal bars, with each category's closure rate."""
    names = [catalog.EVENT_CATEGORIES[c][1 if lang == "en" else 0] for c in frame["category"]]
    rate = np.where(frame["n"] > 0, 100.0 * frame["n_closed"] / frame["n"].clip(lower=1), np.nan)
    label = [f"{i18n.number(n, lang, 0)} · {i18n.t('closure', lang)} {r:.1f}%"
             for n, r in zip(frame["n"], rate)]
    fig = _base(theme, i18n.t("events_category", lang), margin=dict(l=110, r=16, t=44, b=24))
    fig.add_trace(go.Bar(y=names, x=frame["n"], orientation="h", text=label,
                         textposition="auto", marker_color=theme.accent,
                         customdata=frame["category"],
                         hovertemplate="%{y}: %{x:,}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return fig


def ranking(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str,
            selected: str | None) -> go.Figure:
    """Return districts ranked by the indicator's headline, best first, coloured by target."""
    sign = -1 if ind.better == "higher" else 1
    data = frame.assign(_key=frame["headline"] * sign).sort_values("_key", na_position="last")
    names = [r.name_en if lang == "en" else r.name_zh for r in data.itertuples()]
    status = [catalog.breach(ind, None if pd.isna(v) else v) for v in data["headline"]]
    colors = [theme.status_colors[s] if s != "none" else theme.accent for s in status]
    line_w = [3 if c == selected else 0 for c in data["district_code"]]
    yoy_basis = ind.basis == "yoy" and ind.kind == "value"
    text = [i18n.change(v, ind, lang) if yoy_basis else i18n.quantity(v, ind, lang)
            for v in data["headline"]]
    fig = _base(theme, f"{i18n.t('ranking', lang)} · {indicator_title(ind, lang)}",
                margin=dict(l=96, r=16, t=44, b=24), uirevision="ranking")
    fig.add_trace(go.Bar(y=names, x=data["headline"], orientation="h", customdata=
                         data["district_code"], marker=dict(color=colors, line=dict(
                             width=line_w, color=theme.text)), text=text,
                         textposition="auto", hovertemplate="%{y}: %{text}<extra></extra>"))
    if ind.target is not None:
        fig.add_vline(x=ind.target, line_dash="dash", line_color=theme.ok, line_width=2)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(bargap=0.18)
    if yoy_basis:
        fig.update_xaxes(ticksuffix="%")
    return fig


def empty(theme: Theme, title: str, message: str) -> go.Figure:
    """Return a placeholder figure that says why there is nothing to show."""
    fig = _base(theme, title)
    fig.add_annotation(text=message, showarrow=False, font=dict(size=theme.title_size,
                                                                 color=theme.muted))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def as_of_label(last, frequency: str) -> str:
    """Return an as-of label: a month for monthly statistics, a day for daily feeds."""
    if last is None or pd.isna(last):
        return "—"
    ts = pd.Timestamp(last)
    if frequency in ("monthly", "quarterly"):
        return ts.strftime("%Y-%m")
    return ts.strftime("%Y-%m-%d")

