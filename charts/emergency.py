"""The emergency scene (应急): the wall's scene of the warnings in force, the resources and
grid events inside the most severe warning's area, and the overview map's two layers.
Dash-free; ``charts/wall.SCENES`` places the builders (``view``: the wall's ``WallView``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd

import i18n
from charts import state as st
from data.emergency import RESOURCE_KINDS, WARNING_LEVELS, kind_name, level_name
from layouts import emergency as layouts_emergency
from layouts import figures, theme, wall
from layouts.figures import emergency as emergency_figures
from layouts.wall import Part

THEME = theme.FAR
#: Days of grid events the scene counts inside the warning's area, up to the as-of time.
EVENT_DAYS = 3
#: Rows the warnings table holds in its box; more end in "N more".
WARNING_ROWS = 8
#: Categories the events table lists (the most frequent; the rest are in its total).
EVENT_ROWS = 5


def layer_time(state: st.FilterState, runtime) -> str:
    """When the overview's warnings layer shows the warnings in force: the end of the day
    the filter ends on, or the store's as-of time if that is earlier (today)."""
    end = dt.datetime.combine(dt.date.fromisoformat(state.end), dt.time(23, 59, 59))
    return min(end, runtime.as_of).isoformat(timespec="seconds")


def map_layers(state: st.FilterState, runtime) -> dict:
    """The overview map's warnings and resources layers (None: not shown)."""
    q, shown = runtime.queries, set(state.layers)
    return {"warnings": q.warnings_at(layer_time(state, runtime)) if "warnings" in shown
            else None,
            "resources": q.emergency_resources() if "resources" in shown else None}


def legend_rows(state: st.FilterState) -> list:
    """The overview legend's rows of the two layers shown."""
    lang, rows = state.lang, []
    if "warnings" in state.layers:
        rows.append((i18n.t("layer_warnings", lang),
                     [(emergency_figures.WARNING_COLORS[level], names[2 if lang == "en" else 1])
                      for level, names in WARNING_LEVELS.items()]))
    if "resources" in state.layers:
        rows.append((i18n.t("layer_resources", lang),
                     [(emergency_figures.RESOURCE_COLORS[code], kind_name(code, lang,
                                                                          RESOURCE_KINDS))
                      for code in RESOURCE_KINDS]))
    return rows


# --- the wall scene ------------------------------------------------------------------------

def _standing(view) -> pd.DataFrame:
    """The warnings in force at the store's as-of time, most severe first."""
    return view.runtime.queries.warnings_at(view.runtime.as_of.isoformat(timespec="seconds"))


def _where(row, view) -> str:
    """A warning's area in words: its district or township, else the district it lies in."""
    names = view.runtime.names(view.lang)
    code = row.area_code if isinstance(row.area_code, str) else row.district_code
    return names.get(code, code)


def _until(valid_to, lang: str) -> str:
    if pd.isna(valid_to):
        return i18n.t("emergency_until_lifted", lang)
    return pd.Timestamp(valid_to).strftime("%m-%d %H:%M")


def level_counts(view, _part: Part):
    """A tile per level: how many warnings of it are in force."""
    counts = _standing(view)["level"].value_counts()
    return [wall.count_tile(name=level_name(level, view.lang), value=int(counts.get(level, 0)),
                            status=f"level-{level}") for level in WARNING_LEVELS]


def warning_table(view, _part: Part):
    """The warnings in force, most severe first: level, kind, area, until, issuer."""
    lang, frame = view.lang, _standing(view)
    columns = [i18n.t(k, lang) for k in ("wall_warning_kind", "wall_warning_area",
                                         "wall_warning_until", "wall_warning_issuer")]
    title = i18n.t("wall_warnings_active", lang)
    if frame.empty:
        return wall.table(columns, [[i18n.t("wall_no_warnings", lang), "", "", ""]],
                          title=title)
    rows = [[f"{level_name(int(r.level), lang)} · {kind_name(r.kind, lang)}", _where(r, view),
             _until(r.valid_to, lang), r.issuer] for r in frame.itertuples()]
    classes = [f"warning-level-{int(level)}" for level in frame["level"]]
    if len(rows) > WARNING_ROWS:
        more = len(rows) - WARNING_ROWS + 1
        rows = rows[:WARNING_ROWS - 1] + [[i18n.t("wall_warning_more", lang).format(n=more),
                                           "", "", ""]]
        classes = classes[:WARNING_ROWS - 1] + [""]
    return wall.table(columns, rows, classes=classes, title=title)


def _focus(view):
    """The most severe warning in force (the latest issued among equals), or None."""
    frame = _standing(view)
    return None if frame.empty else next(frame.itertuples())


def _focus_line(view, focus) -> str:
    return f"{_where(focus, view)} · {level_name(int(focus.level), view.lang)} · " \
           f"{kind_name(focus.kind, view.lang)}"


def area_map(view, part: Part):
    """The warnings' areas over the city, the resources, and the events of the last
    EVENT_DAYS inside the most severe warning's area; the view fits that warning's district."""
    runtime, lang = view.runtime, view.lang
    warnings, focus = _standing(view), _focus(view)
    q = runtime.queries
    if focus is None:
        events = pd.DataFrame(columns=["lon", "lat", "status"])
        center, zoom = runtime.view(None)
        title = i18n.t("wall_warning_map", lang)
    else:
        events = q.events_in_warning(focus.warning_id, *_event_window(view))
        center, zoom = runtime.view(focus.district_code)
        title = f"{i18n.t('wall_warning_map', lang)} · {_where(focus, view)}"
    # imported here: the overview's map layers are this module's (charts/overview imports it)
    from charts.overview import map_style_path
    s = replace(view.state, district=None, township=None, cell=None)
    figure = emergency_figures.emergency_map(
        warnings=warnings, resources=q.emergency_resources(), events=events,
        style_url=view.app.get_relative_path(map_style_path(s, THEME)),
        center=center, zoom=zoom, size=part.box[2:], theme=THEME, lang=lang, title=title)
    return figures.fit_title(figure, part.box[2], THEME.title_size)


def _event_window(view) -> tuple[str, str]:
    end = view.runtime.as_of + dt.timedelta(seconds=1)
    start = end - dt.timedelta(days=EVENT_DAYS)
    return start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds")


def _focus_panel(view, title_key: str, columns: list[str], rows: list[list]):
    """A table of what lies in the focus warning's area, under a line naming it."""
    lang, focus = view.lang, _focus(view)
    if focus is None:
        rows = [[i18n.t("wall_no_warnings", lang)] + [""] * (len(columns) - 1)]
    return layouts_emergency.focus_table(
        columns, rows, title=i18n.t(title_key, lang),
        focus=None if focus is None else _focus_line(view, focus))


def area_resources(view, _part: Part):
    """The resources inside the most severe warning's area, by kind: how many, and the
    shelters' room or the teams' people."""
    lang, focus = view.lang, _focus(view)
    columns = [i18n.t(k, lang) for k in ("wall_resource_kind", "wall_resource_count",
                                         "wall_resource_holds")]
    rows = []
    if focus is not None:
        frame = view.runtime.queries.resources_in_warning(focus.warning_id)
        for code in RESOURCE_KINDS:
            some = frame[frame["kind"] == code]
            held = some["capacity"].sum() if code == "shelter" else \
                some["headcount"].sum() if code == "rescue_team" else None
            rows.append([layouts_emergency.swatch(emergency_figures.RESOURCE_COLORS[code],
                                                  kind_name(code, lang, RESOURCE_KINDS)),
                         str(len(some)), "—" if held is None else _people(int(held), lang)])
    return _focus_panel(view, "wall_area_resources", columns, rows)


def _people(n: int, lang: str) -> str:
    """People in full (10,600 / 10600): a shelter's room is no statistic to round."""
    return f"{n:,}" if lang == "en" else str(n)


def area_events(view, _part: Part):
    """The grid events of the last EVENT_DAYS inside the most severe warning's area, by
    category (the most frequent), with those still open, and their total."""
    lang, focus = view.lang, _focus(view)
    columns = [i18n.t(k, lang) for k in ("wall_events_category", "wall_events_all",
                                         "wall_events_open")]
    rows = []
    if focus is not None:
        frame = view.runtime.queries.events_in_warning(focus.warning_id, *_event_window(view))
        names = view.runtime.queries.event_vocabulary().names("category", lang)
        frame = frame.assign(open=frame["status"] != "closed")
        by = frame.groupby("category").agg(n=("event_id", "size"), open=("open", "sum"))
        by = by.reset_index().sort_values(["n", "category"], ascending=[False, True])
        rows = [[names.get(r.category, r.category), i18n.number(r.n, lang, 0),
                 i18n.number(r.open, lang, 0)] for r in by.head(EVENT_ROWS).itertuples()]
        rows.append([i18n.t("wall_events_all", lang), i18n.number(len(frame), lang, 0),
                     i18n.number(int(frame["open"].sum()), lang, 0)])
    return _focus_panel(view, "wall_area_events", columns, rows)


#: The scene's parts in their boxes of the 1920x928 body.
PARTS = (
    (Part("levels", "tiles", (16, 16, 1888, 150)), level_counts),
    (Part("warnings", "table", (16, 182, 700, 730)), warning_table),
    (Part("map", "map", (732, 182, 640, 730)), area_map),
    (Part("resources", "table", (1388, 182, 516, 350)), area_resources),
    (Part("events", "table", (1388, 548, 516, 364)), area_events),
)
