"""Figures of the government-services screen (政务服务): the service rates month by month,
cases and the share completed within the legal limit, 差评 and their rectification, and the
departments against the legal limit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import i18n
from data import catalog
from data.catalog import Indicator
from layouts.figures.base import (
    DATE_AXIS,
    SELECT_DRAG,
    _dates,
    _figure,
    _numbers,
    _range_shape,
    _target_line,
)
from layouts.theme import Theme

#: Line colours of the service rates, in the order given.
RATE_COLORS = ("#29d3ff", "#ffd166", "#7cf7d4", "#ff9f6b", "#b197fc", "#8ea6c8")
_Y2 = {"overlaying": "y", "side": "right", "ticksuffix": "%", "showgrid": False,
       "rangemode": "tozero", "tickformat": ".0f"}
#: The legend in one or two rows between the title and the plot (below the plot it would
#: cover the dates).
_LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom",
           "font": {"size": 13}}


def service_rates(frame: pd.DataFrame, inds: list[Indicator], *, theme: Theme, lang: str,
                  start: str | None, end: str | None, title: str) -> go.Figure:
    """Return the service rates month by month: a line per indicator (``frame``: code,
    period, value), each named with its target (the catalogue's or the year's: a target
    column on the frame's last row of the code, when there is one)."""
    traces = []
    for k, ind in enumerate(inds):
        part = frame[frame["code"] == ind.code].dropna(subset=["value"])
        if part.empty:
            continue
        target = part["target"].iloc[-1] if "target" in part else ind.target
        name = ind.name_en if lang == "en" else ind.name_zh
        if target is not None and not pd.isna(target):
            name += (f" ({target:g}%)" if lang == "en" else f"（目标{target:g}%）")
        traces.append({"type": "scatter", "mode": "lines+markers", "name": name,
                       "x": _dates(part["period"]), "y": _numbers(part["value"]),
                       "line": {"color": RATE_COLORS[k % len(RATE_COLORS)], "width": 3},
                       "hovertemplate": f"%{{x|%Y-%m}}: %{{y:.1f}}%<extra>{name}</extra>"})
    return _figure(theme, title, traces, _range_shape(theme, start, end),
                   uirevision="svc-rates", xaxis=DATE_AXIS,
                   yaxis={"ticksuffix": "%"},
                   legend={**_LEGEND, "entrywidth": 0.5, "entrywidthmode": "fraction"},
                   margin={"l": 56, "r": 16, "t": 92, "b": 32}, **SELECT_DRAG)


def case_volumes(frame: pd.DataFrame, *, theme: Theme, lang: str, start: str | None,
                 end: str | None, target: float | None, title: str) -> go.Figure:
    """Return the cases accepted each month (bars) and the share of them completed within
    the legal limit (line, right axis, with its target). ``frame``: key (the month), n,
    on_time_rate."""
    x = _dates(frame["key"])
    cases = i18n.t("svc_cases_accepted", lang)
    within = i18n.t("svc_within_limit", lang)
    traces = [{"type": "bar", "x": x, "y": _numbers(frame["n"]), "name": cases,
               "marker": {"color": theme.accent}, "opacity": 0.55,
               "hovertemplate": f"%{{x|%Y-%m}}: %{{y:,}}<extra>{cases}</extra>"},
              {"type": "scatter", "mode": "lines+markers", "x": x, "yaxis": "y2",
               "y": _numbers(frame["on_time_rate"]), "name": f"{within} %",
               "line": {"color": "#ffd166", "width": 3},
               "hovertemplate": f"%{{x|%Y-%m}}: %{{y:.1f}}%<extra>{within}</extra>"}]
    shapes, notes = _range_shape(theme, start, end), []
    if target is not None:
        line, note = _target_line(theme, target, f"{i18n.t('target', lang)} {target:g}%", "y2")
        note.update(x=1, xanchor="right")
        shapes.append(line)
        notes.append(note)
    low = frame["on_time_rate"].min()
    y2 = {**_Y2, "tickfont": {"color": "#ffd166"},
          "range": [max(0.0, min(low if not pd.isna(low) else 100, target or 100) - 5), 100.5]}
    return _figure(theme, title, traces, shapes, notes, uirevision="svc-cases",
                   xaxis=DATE_AXIS, yaxis2=y2, bargap=0.25, legend=_LEGEND,
                   yaxis={"rangemode": "tozero", "tickformat": ",d"},
                   margin={"l": 56, "r": 52, "t": 72, "b": 32}, **SELECT_DRAG)


def bad_ratings(frame: pd.DataFrame, *, theme: Theme, lang: str, start: str | None,
                end: str | None, title: str) -> go.Figure:
    """Return each month's 差评, rectified and not (stacked bars), and the share of rated
    cases they are (line, right axis). ``frame``: key (the month), n_bad, n_rectified,
    bad_share."""
    x = _dates(frame["key"])
    fixed = frame["n_rectified"]
    parts = ((i18n.t("svc_bad_rectified", lang), fixed, theme.ok),
             (i18n.t("svc_bad_open", lang), frame["n_bad"] - fixed, theme.alert))
    traces: list[dict] = [{"type": "bar", "x": x, "y": _numbers(values), "name": name,
                           "marker": {"color": color},
                           "hovertemplate": f"%{{x|%Y-%m}}: %{{y:,}}<extra>{name}</extra>"}
                          for name, values, color in parts]
    share = i18n.t("svc_bad_share", lang)
    traces.append({"type": "scatter", "mode": "lines+markers", "x": x, "yaxis": "y2",
                   "y": _numbers(frame["bad_share"]), "name": f"{share} %",
                   "line": {"color": "#ffd166", "width": 3},
                   "hovertemplate": f"%{{x|%Y-%m}}: %{{y:.2f}}%<extra>{share}</extra>"})
    top = float(frame["n_bad"].max()) if len(frame) else 0.0
    counts = {"rangemode": "tozero", "tickformat": ",d",
              "dtick": max(1, int(np.ceil(top / 5))) if top == top else 1}
    return _figure(theme, title, traces, _range_shape(theme, start, end),
                   uirevision="svc-ratings", barmode="stack", bargap=0.25, xaxis=DATE_AXIS,
                   yaxis=counts, yaxis2={**_Y2, "tickformat": ".1f",
                                         "tickfont": {"color": "#ffd166"}},
                   legend=_LEGEND, margin={"l": 48, "r": 56, "t": 72, "b": 32},
                   **SELECT_DRAG)


def departments_on_time(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str,
                        target: float | None, title: str) -> go.Figure:
    """Return each department's share of cases completed within the legal limit, the
    furthest below it on top, coloured against the target. ``frame``: name_zh, name_en, n,
    on_time_rate, mean_days, mean_limit (as ``Queries.service_breakdown``)."""
    data = frame[frame["n"] > 0].sort_values(["on_time_rate", "n"], ascending=[True, False],
                                             na_position="last")
    held = replace(ind, target=target, alert=None)
    status = [catalog.breach(held, None if pd.isna(v) else v) for v in data["on_time_rate"]]
    names = [r.name_en if lang == "en" else r.name_zh for r in data.itertuples()]
    unit = i18n.t("svc_cases_unit", lang)
    text = [f"{i18n.number(v, lang, 1)}% · {i18n.number(n, lang, 0)}{unit}"
            if not pd.isna(v) else "—" for v, n in zip(data["on_time_rate"], data["n"])]
    days = i18n.t("svc_days_vs_limit", lang)
    hover = [days.format(days=i18n.number(d, lang, 1), limit=i18n.number(m, lang, 1))
             if not pd.isna(d) else "" for d, m in zip(data["mean_days"], data["mean_limit"])]
    low = data["on_time_rate"].min()
    lowest = min(low if not pd.isna(low) else 100.0, target or 100.0)
    left = max(0.0, lowest - 8)
    # a short bar's label goes after its end (inside it would be cut)
    where = ["outside" if pd.isna(v) or (v - left) / (100.5 - left) < 0.5 else "inside"
             for v in data["on_time_rate"]]
    trace = {"type": "bar", "orientation": "h", "y": names, "x": _numbers(data["on_time_rate"]),
             "text": text, "textposition": where, "insidetextanchor": "end",
             "cliponaxis": False, "customdata": hover,
             "insidetextfont": {"color": "#0a1730"}, "outsidetextfont": {"color": theme.text},
             "hovertemplate": "%{y}: %{text}<br>%{customdata}<extra></extra>",
             "marker": {"color": [theme.status_colors.get(s, theme.accent) if s != "none"
                                  else theme.accent for s in status]}}
    shapes = []
    if target is not None:
        shapes.append({"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x",
                       "x0": target, "x1": target,
                       "line": {"color": theme.ok, "width": 2, "dash": "dash"}})
    widest = max((len(n) for n in names), default=0) * (8 if lang == "en" else 15)
    return _figure(theme, title, [trace], shapes, uirevision="svc-departments",
                   showlegend=False, bargap=0.2, yaxis={"autorange": "reversed"},
                   xaxis={"ticksuffix": "%", "range": [left, 100.5]},
                   margin={"l": min(300, max(96, widest)), "r": 16, "t": 48, "b": 28},
                   uniformtext={"minsize": max(11, theme.font_size - 6), "mode": "show"})
