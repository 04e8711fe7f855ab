"""The environment screen: the AQI calendar, station trends and ranking, water classes by
month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import i18n
from data import catalog
from data.aqi import BREAKPOINTS, LEVELS
from data.queries import POLLUTANTS
from layouts.figures.base import (
    DATE_AXIS,
    SELECT_DRAG,
    _dates,
    _figure,
    _numbers,
    _target_line,
)
from layouts.theme import AQI_COLORS, NO_DATA_COLOR, WATER_COLORS, Theme


def _level_name(level, lang: str) -> str:
    if level is None or pd.isna(level) or level < 0:
        return i18n.t("no_data", lang)
    return LEVELS[int(level)][3 if lang == "en" else 2]


def _level_colorscale() -> list[list]:
    """A stepped colorscale: level k (0-5) fills [k/6, (k+1)/6] with its official colour, so
    z = level on [-0.5, 5.5] shows exactly the HJ 633 colours, never a blend."""
    steps = len(AQI_COLORS)
    return [[bound / steps, color] for k, color in enumerate(AQI_COLORS)
            for bound in (k, k + 1)]


def aqi_calendar(frame: pd.DataFrame, *, theme: Theme, lang: str, start: str | None,
                 end: str | None) -> go.Figure:
    """Return a calendar of the daily AQI over [start, end]: weeks as columns (labelled by
    their Monday), weekdays as rows (Monday on top), each day in its HJ 633-2012 level colour.

    One continuous strip rather than a panel per year: the screen's ranges are months, and a
    strip crossing New Year has no seam. Days without a reading stay blank. ``frame`` is
    ``Queries.aqi_daily``: day, aqi, level. Without start and end the frame's days are shown.
    """
    days = pd.to_datetime(frame["day"]).dt.normalize()
    first = pd.Timestamp(start) if start else (days.min() if len(days) else None)
    last = pd.Timestamp(end) if end else (days.max() if len(days) else None)
    weekdays = i18n.t("env_weekdays", lang).split(",")
    z, text, weeks = [[] for _ in range(7)], [[] for _ in range(7)], []
    if first is not None and last is not None and first <= last:
        by_day = {d: (a, lv) for d, a, lv in zip(days, frame["aqi"], frame["level"])}
        monday = first - pd.Timedelta(days=first.weekday())
        weeks = pd.date_range(monday, last, freq="7D")
        for row in range(7):
            for week in weeks:
                day = week + pd.Timedelta(days=row)
                aqi, level = by_day.get(day, (None, -1))
                inside = first <= day <= last
                has_value = inside and aqi is not None and not pd.isna(aqi)
                z[row].append(int(level) if has_value else None)
                text[row].append(
                    f"{day:%Y-%m-%d} {weekdays[row]}<br>AQI {float(aqi):.0f} · "
                    f"{_level_name(level, lang)}" if has_value else
                    f"{day:%Y-%m-%d} {weekdays[row]}<br>{i18n.t('no_data', lang)}"
                    if inside else "")
    trace = {"type": "heatmap", "x": [f"{w:%Y-%m-%d}" for w in weeks], "y": list(range(7)),
             "z": z, "text": text, "hovertemplate": "%{text}<extra></extra>",
             "zmin": -0.5, "zmax": len(AQI_COLORS) - 0.5, "colorscale": _level_colorscale(),
             "xgap": 2, "ygap": 2, "hoverongaps": False,
             "colorbar": {"tickvals": list(range(len(LEVELS))), "thickness": 10, "len": 0.9,
                          "ticktext": [_level_name(k, lang) for k in range(len(LEVELS))],
                          "tickfont": {"color": theme.muted}}}
    return _figure(theme, i18n.t("aqi_calendar", lang), [trace], uirevision="calendar",
                   xaxis={"type": "date", "tickformat": "%Y-%m", "showgrid": False,
                          "ticklabelmode": "period"},
                   yaxis={"tickvals": list(range(7)), "ticktext": weekdays,
                          "autorange": "reversed", "showgrid": False, "zeroline": False})


def pollutant_title(pollutant: str, lang: str) -> str:
    """Return '<pollutant>（unit）' in the language, as ``indicator_title`` does."""
    name_zh, name_en, unit = POLLUTANTS[pollutant]
    if lang == "en":
        return f"{name_en} ({unit})" if unit else name_en
    return f"{name_zh}（{unit}）" if unit else name_zh


#: The concentration at IAQI 100 (the top of 良) of each pollutant's daily table (HJ 633),
#: equal to GB 3095-2012's class-II daily limits: the dotted line on the station trends.
_GOOD_LIMIT = {"aqi": 100.0, **{code: float(BREAKPOINTS[f"{code}_24h" if code != "o3_8h"
                                                      else code][2])
                                for code in ("pm25", "pm10", "o3_8h", "no2", "so2", "co")}}


def _rows_by_key(keys: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Return (key, row positions) per distinct key, sorted by key. Queries return rows
    grouped by key already, so runs are found in one pass; pandas' groupby on strings costs
    ten times more."""
    if not len(keys):
        return []
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    ends = np.append(starts[1:], len(keys))
    runs: dict[str, list[np.ndarray]] = {}
    for start, end in zip(starts, ends):   # a key seen in several runs (unsorted) is joined
        runs.setdefault(keys[start], []).append(np.arange(start, end))
    return [(key, np.concatenate(parts)) for key, parts in sorted(runs.items())]


def station_trends(frame: pd.DataFrame, pollutant: str, *, theme: Theme, lang: str,
                   start: str | None, end: str | None) -> go.Figure:
    """Return one pollutant's daily values, one line per station, with the good-air limit.

    ``frame`` is ``Queries.pollutant_daily``: day, station_code, name_zh, name_en, value.
    The legend is shown only for a few stations: the whole city's forty would fill the panel.
    """
    unit = POLLUTANTS[pollutant][2]
    decimals = 0 if pollutant == "aqi" else (2 if pollutant == "co" else 1)
    # the city's forty stations over two years are ~30k points: convert them once, in numpy
    # (pandas strftime and groupby per station cost ~50 ms), then hand each station its rows
    day, day_index = np.unique(pd.to_datetime(frame["day"]).to_numpy().astype("datetime64[D]"),
                               return_inverse=True)
    days = np.datetime_as_string(day, unit="D").astype(object)[day_index]
    values = frame["value"].to_numpy(dtype=float, na_value=np.nan)
    readings = values.astype(object)
    readings[np.isnan(values)] = None
    names = frame["name_en" if lang == "en" else "name_zh"].to_numpy(dtype=object)
    traces = []
    for code, rows in _rows_by_key(frame["station_code"].to_numpy(dtype=object)):
        traces.append({"type": "scatter", "mode": "lines", "x": days[rows].tolist(),
                       "y": readings[rows].tolist(), "name": names[rows[0]],
                       "customdata": [code] * len(rows), "line": {"width": 1.5},
                       "hovertemplate": f"%{{x|%Y-%m-%d}}: %{{y:.{decimals}f}} {unit}"})
    limit = _GOOD_LIMIT[pollutant]
    line, note = _target_line(theme, limit, f"{i18n.t('env_good_limit', lang)} {limit:g}")
    line["line"] = {"color": theme.muted, "width": 1, "dash": "dot"}
    note["font"] = {"color": theme.muted}
    title = f"{pollutant_title(pollutant, lang)} · {i18n.t('env_by_station', lang)}"
    xaxis = {**DATE_AXIS, "tickformat": "%m-%d"}
    if start and end:
        xaxis["range"] = [start, end]
    return _figure(theme, title, traces, [line], [note], uirevision="station-trends",
                   showlegend=0 < len(traces) <= 8, xaxis=xaxis, **SELECT_DRAG)


def station_ranking(frame: pd.DataFrame, *, theme: Theme, lang: str) -> go.Figure:
    """Return stations by mean daily AQI, most polluted on top (the stations to act on),
    bars in their level's colour, the worst day's AQI in text; customdata = station code.

    ``frame`` is ``Queries.stations_aqi``: code, name_zh, name_en, aqi, worst, level.
    Stations without readings come last.
    """
    data = frame.sort_values("aqi", ascending=False, na_position="last")
    names = data["name_en" if lang == "en" else "name_zh"].tolist()
    worst = i18n.t("env_worst_day", lang)
    text = [f"{worst} {w:.0f}" if not pd.isna(w) else i18n.t("no_data", lang)
            for w in data["worst"]]
    hover = [f"<b>{n}</b><br>AQI {a:.0f} · {_level_name(lv, lang)}<br>{t}"
             if not pd.isna(a) else f"<b>{n}</b><br>{i18n.t('no_data', lang)}"
             for n, a, lv, t in zip(names, data["aqi"], data["level"], text)]
    colors = [AQI_COLORS[int(lv)] if not pd.isna(lv) and lv >= 0 else NO_DATA_COLOR
              for lv in data["level"]]
    trace = {"type": "bar", "orientation": "h", "y": names, "x": _numbers(data["aqi"]),
             "customdata": data["code"].tolist(), "text": text, "hovertext": hover,
             "hovertemplate": "%{hovertext}<extra></extra>", "textposition": "outside",
             "cliponaxis": False, "textfont": {"color": theme.text},
             "marker": {"color": colors, "line": {"width": 0}}}
    top = float(data["aqi"].max()) if data["aqi"].notna().any() else 100.0
    good = {"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x", "x0": 100,
            "x1": 100, "line": {"color": theme.muted, "width": 1, "dash": "dot"}}
    return _figure(theme, i18n.t("station_ranking", lang), [trace], [good],
                   uirevision="station-ranking", bargap=0.18,
                   # with dozens of stations the labels would shrink below legibility: hide
                   # them then (the hover still tells)
                   uniformtext={"minsize": 12, "mode": "hide"},
                   margin={"l": 16, "r": 16, "t": 44, "b": 24},
                   yaxis={"autorange": "reversed", "automargin": True},
                   xaxis={"range": [0, max(top, 100.0) * 1.35]})


def water_classes_by_month(frame: pd.DataFrame, *, theme: Theme, lang: str) -> go.Figure:
    """Return water sections per month stacked by class (GB 3838-2002), best class at the
    bottom. ``frame`` is ``Queries.water_classes_monthly``: period, class, n."""
    sections = i18n.t("env_sections", lang)
    traces = []
    for cls, (zh, en) in catalog.WATER_CLASSES.items():
        part = frame[frame["class"] == cls]
        if part.empty:
            continue
        name = en if lang == "en" else zh
        traces.append({"type": "bar", "x": _dates(part["period"]), "y": _numbers(part["n"]),
                       "name": name, "marker": {"color": WATER_COLORS[cls - 1]},
                       "hovertemplate": f"%{{x|%Y-%m}}: %{{y}} {sections}<extra>{name}</extra>"})
    return _figure(theme, i18n.t("water_by_month", lang), traces, uirevision="water",
                   barmode="stack", bargap=0.2, xaxis=DATE_AXIS)
