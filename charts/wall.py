"""The wall's scenes: what each part of each scene shows, built from the analyst screens'
charts for the wall's window in the far theme, and the wall's URL (playlist, seconds).
Dash-free: callbacks/wall.py sends them and refreshes only what changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Callable
from urllib.parse import parse_qsl

import plotly.utils

import i18n
from charts import command as alert_command
from charts import economy, emergency, environment, grid, overview, supervision
from charts import state as st
from data import alerts as alert_rules
from data import catalog
from data.calendar import shift_months
from data.queries import KEY_TASK_STATUSES
from layouts import figures, theme, wall
from layouts import supervision as supervision_layout
from layouts.frame import nav_href
from layouts.ids import Wall
from layouts.wall import Part
from settings import WALL_SCENES

THEME = theme.FAR


#: The charts show the last 30 days up to the store's as-of day (statistics: their latest
#: published month in that window).
WINDOW_DAYS = 30


#: The overview scene's map: the closure rate by district over the window.
MAP_INDICATOR = "closure_rate"


#: Days the hot-cells table counts, and how many cells it lists.
HOT_DAYS = alert_rules.LIVE_SURGE_DAYS


HOT_CELLS = 10


SERVICE_RATES = tuple(ind.code for ind in catalog.BUILT_IN
                      if ind.domain == "services" and ind.unit_zh == "%")


TASK_STATUSES = KEY_TASK_STATUSES


#: Seconds the banner names each standing alert and the alert list shows each page (at most
#: a scene's seconds: a soak test's seconds=1 turns them every second too), so every alert is
#: on the wall within its number times this.
ALERT_SECONDS = 8


#: Rows the task table holds (two columns of 14 in its box); more end in "+N more".
TASK_ROWS = 28


TASK_STATUS_COLORS = {"overdue": "alert", "at_risk": "warn", "on_track": "ok", "done": "ok"}


@dataclass(frozen=True, eq=False)
class WallView:
    """What the scenes are built from: the runtime, the app (for URLs) and the language.
    Built once per render or refresh, so its cached facts (alerts, the window) are shared by
    every part."""

    runtime: Any
    app: Any
    lang: str

    @cached_property
    def state(self) -> st.FilterState:
        """The analyst screens' filter state for the wall's window, city-wide."""
        base, _ = st.parse_query(f"?lang={self.lang}", self.runtime.context)
        end = self.runtime.context.last_day
        start = max(self.runtime.context.first_day, end - dt.timedelta(days=WINDOW_DAYS - 1))
        return replace(base, start=start.isoformat(), end=end.isoformat())

    @cached_property
    def alerts(self) -> list[dict]:
        """The standing alerts as the page keeps them: key, scene, severity, text, and href
        (the overview filtered to the alert's area, window and indicator)."""
        frame = alert_rules.live(self.runtime, self.lang)
        catalogue = self.runtime.catalogue
        shown = [{"key": row.key, "scene": row.scene, "severity": round(float(row.severity), 3),
                  "text": alert_rules.alert_line(row._asdict(), self.lang, catalogue),
                  "href": alert_href(row, self.state, self.runtime.context)}
                 for row in frame.itertuples()]
        # each alert's record (data/command.py): opened, reopened or cleared here, and who
        # holds it (state, holder, escalated) for the banner, the list and the command scene
        alert_command.sync(self.runtime, frame, {a["key"]: a["href"] for a in shown})
        return alert_command.with_holders(self.runtime, shown, self.lang)


def alert_href(row, base: st.FilterState, ctx: st.Context) -> str:
    """The overview showing what an alert is about: its area (a district, a grid cell with
    its township; the city: none), its window (within the store's days) and its indicator."""
    district, township, cell = ctx.lineage(row.area_code) or (None, None, None)
    state = replace(base, district=district, township=township, cell=cell, picked=(),
                    start=max(row.start, ctx.first_day).isoformat(),
                    end=min(row.end, ctx.last_day).isoformat(),
                    indicator=row.code if row.code in ctx.catalogue else base.indicator)
    if row.rule == "warning":       # an emergency warning: its area with the resources
        state = replace(state, layers=("warnings", "resources"))
    return nav_href("overview", st.to_query(state))


Builder = Callable[[WallView, Part], Any]


#: Extra top margin of the analyst screens' charts on the wall: its titles are bigger, and a
#: legend sits between the title and the plot.
TITLE_ROOM = 28


def _sized(figure, part: Part):
    top = figure.layout.margin.t
    figure.update_layout(width=part.box[2], height=part.box[3], autosize=False,
                         margin_t=(theme.TOP_MARGIN if top is None else top) + TITLE_ROOM)
    return figures.fit_title(figure, part.box[2], THEME.title_size)


def chart(function, months: int | None = None, **changes) -> Builder:
    """A chart of the analyst screens (their CHARTS functions), for the wall's state with
    ``changes`` (``months``: a window of that many months instead of the wall's days), in
    the far theme, sized to its box."""
    def build(view, part):
        s = replace(view.state, **changes)
        if months:
            first = shift_months(dt.date.fromisoformat(s.end), 1 - months)
            s = replace(s, start=max(first, view.runtime.context.first_day).isoformat())
        return _sized(function(s, view.runtime, THEME), part)
    return build


def tiles(*codes: str) -> Builder:
    """KPI tiles of some indicators over the window, city-wide."""
    def build(view, _part):
        s = view.state
        frame = view.runtime.queries.kpis(None, s.start, s.end, codes)
        stale, catalogue = view.runtime.stale_feeds(), view.runtime.catalogue
        return [wall.tile(**overview.kpi_texts(row, catalogue.get(row.code), view.lang, stale),
                          lang=view.lang) for row in frame.itertuples()]
    return build


def alert_list(_view: WallView, _part: Part):
    return wall.alert_list()


def district_map(view: WallView, part: Part):
    """The city's districts coloured by MAP_INDICATOR; geometry and style by URL, once."""
    s = replace(view.state, indicator=MAP_INDICATOR)
    frame, ind, geojson, title = overview.map_layer(s, view.runtime)
    center, zoom = view.runtime.view(None)
    return figures.choropleth(
        frame, ind, geojson_url=view.app.get_relative_path(geojson),
        style_url=view.app.get_relative_path(overview.map_style_path(s, THEME)),
        center=center, zoom=zoom, size=part.box[2:], theme=THEME, lang=view.lang,
        selected=None, title=f"{title} · {i18n.t('wall_window', view.lang)}", view_key="wall")


def hot_cells(view: WallView, _part: Part):
    """The grid cells with most events in the last HOT_DAYS days against their usual."""
    q, lang, names = view.runtime.queries, view.lang, view.runtime.names(view.lang)
    today = view.runtime.context.last_day
    start = today - dt.timedelta(days=HOT_DAYS - 1)
    base_end = start - dt.timedelta(days=1)
    base_start = base_end - dt.timedelta(days=alert_rules.LIVE_BASELINE_DAYS - 1)
    frame = q.event_cell_window(start.isoformat(), today.isoformat(), base_start.isoformat(),
                                base_end.isoformat(), 1)
    frame = frame.sort_values(["n", "grid_code"], ascending=[False, True]).head(HOT_CELLS)
    surging = {a["key"].split(":")[-1] for a in view.alerts if a["key"].startswith("surge:")}
    rows, classes = [], []
    for cell in frame.itertuples():
        usual = cell.n_base * HOT_DAYS / alert_rules.LIVE_BASELINE_DAYS
        where = f"{names.get(cell.district_code, '')} › {names.get(cell.grid_code, '')}"
        flag = i18n.t("wall_surge", lang) if cell.grid_code in surging else ""
        rows.append([where, i18n.number(cell.n, lang, 0), i18n.number(usual, lang, 1), flag])
        classes.append("row-alert" if flag else "")
    return wall.table([i18n.t("wall_cell", lang), i18n.t("wall_last3", lang),
                       i18n.t("wall_usual", lang), ""], rows, classes=classes,
                      title=i18n.t("wall_hot_cells", lang))


def service_targets(view: WallView, part: Part):
    s = view.state
    frame = view.runtime.queries.kpis(None, s.start, s.end, SERVICE_RATES)
    inds = [view.runtime.catalogue.get(code) for code in frame["code"]]
    return _sized(figures.targets(frame, inds, theme=THEME, lang=view.lang,
                                  title=i18n.t("wall_services", view.lang)), part)


def _tasks(view: WallView):
    return view.runtime.queries.key_tasks(view.runtime.as_of.date().isoformat(), view.lang)


def task_counts(view: WallView, _part: Part):
    frame = _tasks(view)
    counts = frame["status"].value_counts()
    return [wall.count_tile(name=i18n.t("task_total", view.lang), value=len(frame),
                            status="none"),
            *[wall.count_tile(name=i18n.t(f"task_{status}", view.lang),
                              value=int(counts.get(status, 0)),
                              status=TASK_STATUS_COLORS[status])
              for status in TASK_STATUSES]]


def task_table(view: WallView, _part: Part):
    """Every key task, overdue first, in two columns of the scene."""
    lang, frame = view.lang, _tasks(view)
    columns = [i18n.t(k, lang) for k in ("task_title", "task_lead", "task_progress",
                                         "task_due", "task_status")]
    rows = [[row.title, row.lead_department, wall.progress(row.progress, row.planned),
             f"{row.due_month:%Y-%m}", i18n.t(f"task_{row.status}", lang)]
            for row in frame.itertuples()]
    classes = [f"task-{status}" for status in frame["status"]]
    if frame.empty:       # a new city before its ledger: say so rather than show nothing
        return wall.table(columns, [[i18n.t("wall_no_tasks", lang), "", "", "", ""]],
                          classes=["task-none"])
    if len(rows) > TASK_ROWS:     # most urgent first: what is cut is done or on track
        more = len(rows) - TASK_ROWS + 1
        rows = rows[:TASK_ROWS - 1] + [[i18n.t("wall_more_tasks", lang).format(n=more),
                                        "", "", "", ""]]
        classes = classes[:TASK_ROWS - 1] + [""]
    half = (len(rows) + 1) // 2
    return [wall.table(columns, rows[:half], classes=classes[:half])[0],
            wall.table(columns, rows[half:], classes=classes[half:])[0]]



#: Rows the command scene's alert table holds (two lines each at most); more end in "+N
#: more".
COMMAND_ROWS = 10


def command_counts(view: WallView, _part: Part):
    """The standing alerts by how they are held: all, escalated, acknowledged, assigned,
    overdue."""
    alerts, lang = view.alerts, view.lang
    count = {state: sum(a["state"] == state for a in alerts)
             for state in ("acknowledged", "assigned")}
    return [wall.count_tile(name=i18n.t("cmd_alerts", lang), value=len(alerts), status="none"),
            wall.count_tile(name=i18n.t("cmd_state_escalated", lang),
                            value=sum(bool(a["escalated"]) for a in alerts), status="alert"),
            wall.count_tile(name=i18n.t("cmd_state_acknowledged", lang),
                            value=count["acknowledged"], status="warn"),
            wall.count_tile(name=i18n.t("cmd_state_assigned", lang), value=count["assigned"],
                            status="ok"),
            wall.count_tile(name=i18n.t("cmd_overdue", lang),
                            value=sum(bool(a["overdue"]) for a in alerts), status="alert")]


def command_alerts(view: WallView, _part: Part):
    """The standing alerts with who holds each: escalated and overdue first, then the most
    severe."""
    lang = view.lang
    alerts = sorted(view.alerts, key=lambda a: (not a["escalated"], not a["overdue"],
                                                -a["severity"]))
    columns = [i18n.t("cmd_col_alert", lang), i18n.t("cmd_col_state", lang),
               i18n.t("cmd_col_holder", lang)]
    if not alerts:
        return wall.table(columns, [[i18n.t("cmd_none", lang), "", ""]],
                          title=i18n.t("wall_command_alerts", lang))
    rows = [[a["text"], i18n.t("cmd_state_escalated" if a["escalated"] else
                               f"cmd_state_{a['state']}", lang), a["holder"]] for a in alerts]
    classes = ["row-alert" if a["escalated"] or a["overdue"] else f"cmd-{a['state']}"
               for a in alerts]
    if len(rows) > COMMAND_ROWS:
        more = len(rows) - COMMAND_ROWS + 1
        rows = rows[:COMMAND_ROWS - 1] + [[i18n.t("cmd_more", lang).format(n=more),
                                           "", ""]]
        classes = classes[:COMMAND_ROWS - 1] + [""]
    return wall.table(columns, rows, classes=classes, title=i18n.t("wall_command_alerts", lang))



#: Rows the command scene's 督办 table holds; more end in "+N more".
SUPERVISION_ROWS = 10


def command_supervision(view: WallView, _part: Part):
    """The open 督办 beside the alerts: the event, who holds it, by when; overdue first and
    red (charts/supervision's rows, in the wall reader's reach)."""
    lang = view.lang
    rows = supervision.open_in_reach(view.state, view.runtime)
    late = sum(r["overdue"] for r in rows)
    title = i18n.t("wall_supervision", lang).format(n=len(rows)) + (
        f" · {i18n.t('sv_overdue', lang)} {late}" if late else "")
    columns = [i18n.t(k, lang) for k in ("event_id", "sv_holder", "sv_deadline")]
    if not rows:
        return wall.table(columns, [[i18n.t("sv_open_none", lang), "", ""]], title=title)
    cells = [[str(r["event_id"]), r["department"],
              supervision_layout.minute(r["deadline"])[5:]] for r in rows]
    classes = ["row-alert" if r["overdue"] else "" for r in rows]
    if len(cells) > SUPERVISION_ROWS:
        more = len(cells) - SUPERVISION_ROWS + 1
        cells = cells[:SUPERVISION_ROWS - 1] + [[i18n.t("cmd_more", lang).format(n=more),
                                                 "", ""]]
        classes = classes[:SUPERVISION_ROWS - 1] + [""]
    return wall.table(columns, cells, classes=classes, title=title)


#: Seconds on screen of a scene the URL names and the playlist file does not.
DEFAULT_SECONDS = 20


TILES_ROW = (16, 16, 1888, 180)


#: Each scene's parts in their boxes of the 1920x928 body, and how each is built.
SCENES: dict[str, tuple[tuple[Part, Builder], ...]] = {
    "overview": (
        (Part("kpis", "tiles", (16, 16, 600, 496)),
         tiles("gdp", "retail_sales", "good_air_rate", "water_good_rate", "closure_rate",
               "one_network_rate")),
        (Part("alerts", "list", (16, 528, 600, 384)), alert_list),
        (Part("map", "map", (632, 16, 720, 896)), district_map),
        (Part("events", "figure", (1368, 16, 536, 440)), chart(overview.events_status_chart)),
        (Part("air", "figure", (1368, 472, 536, 440)), chart(overview.air_chart)),
    ),
    "economy": (
        (Part("kpis", "tiles", TILES_ROW),
         tiles("gdp", "industrial_va_growth", "fixed_asset_investment", "retail_sales",
               "budget_revenue", "unemployment_rate")),
        (Part("ranking", "figure", (16, 212, 616, 700)),
         chart(overview.ranking_chart, indicator="gdp")),
        (Part("trend", "figure", (648, 212, 616, 700)),
         chart(overview.trend_chart, indicator="fixed_asset_investment")),
        (Part("changes", "figure", (1280, 212, 624, 700)),
         chart(economy.changes_chart, months=13, indicator="retail_sales")),
    ),
    "environment": (
        (Part("kpis", "tiles", TILES_ROW),
         tiles("aqi", "good_air_rate", "pm25", "water_good_rate", "dust_pm10", "noise_day")),
        (Part("calendar", "figure", (16, 212, 936, 342)),
         chart(environment.calendar_chart, months=3)),
        (Part("air", "figure", (16, 570, 936, 342)), chart(overview.air_chart)),
        (Part("stations", "figure", (968, 212, 460, 700)), chart(environment.stations_chart)),
        (Part("water", "figure", (1444, 212, 460, 700)),
         chart(environment.water_chart, months=13)),
    ),
    "grid": (
        (Part("kpis", "tiles", TILES_ROW),
         tiles("event_count", "closure_rate", "on_time_rate", "satisfaction_rate",
               "mean_handling_hours", "hotline_satisfaction_rate")),
        (Part("funnel", "figure", (16, 212, 616, 700)), chart(grid.funnel_chart)),
        (Part("category", "figure", (648, 212, 616, 342)),
         chart(overview.events_category_chart)),
        (Part("handling", "figure", (648, 570, 616, 342)), chart(grid.handling_chart)),
        (Part("hot", "table", (1280, 212, 624, 700)), hot_cells),
    ),
    "services": (
        (Part("kpis", "tiles", TILES_ROW),
         tiles("one_network_rate", "e_license_rate", "mobile_service_rate",
               "smart_approval_items", "one_thing_items", "self_service_cases")),
        (Part("targets", "figure", (16, 212, 1180, 700)), service_targets),
        (Part("ranking", "figure", (1212, 212, 692, 700)),
         chart(overview.ranking_chart, indicator="one_network_rate")),
    ),
    "tasks": (
        (Part("counts", "tiles", (16, 16, 1888, 150)), task_counts),
        (Part("table", "tasks", (16, 182, 1888, 730)), task_table),
    ),
    "command": (
        (Part("counts", "tiles", (16, 16, 1888, 150)), command_counts),
        (Part("alerts", "table", (16, 182, 1312, 730)), command_alerts),
        (Part("supervision", "table", (1344, 182, 560, 730)), command_supervision),
    ),
    # 应急: the warnings in force, and what lies in the most severe one's area
    "emergency": emergency.PARTS,
}

assert tuple(SCENES) == WALL_SCENES, "settings.WALL_SCENES names the scenes built here"


def build_parts(view: WallView) -> dict[str, Any]:
    """Return every part of every scene, by component ID, then the header's data as-of (a
    load moves it)."""
    parts = {Wall.part_id(name, part.name): builder(view, part)
             for name, parts in SCENES.items() for part, builder in parts}
    parts[Wall.AS_OF] = view.runtime.as_of.strftime("%Y-%m-%d %H:%M")
    return parts


def fingerprint(value) -> str:
    """A short digest of a part's JSON, to tell a changed part from an unchanged one."""
    text = json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def is_wall(pathname_name: str | None, search: str | None) -> bool:
    """True for /wall and for any screen asked for with ?mode=wall."""
    return pathname_name == "wall" or ("mode", "wall") in parse_qsl((search or "").lstrip("?"))


def wall_config(search: str | None, settings, first: str | None = None
                ) -> tuple[dict, list[str]]:
    """Return the page's playlist and refresh (``scenes``: [[name, seconds]...],
    ``refresh_ms``) from the URL over the settings' playlist, and the URL values dropped.
    ``scenes`` picks and orders scenes (seconds as the file says unless given); ``seconds``
    then sets every scene's. ``first``: the scene to start with (the screen the wall was asked
    from)."""
    pairs = parse_qsl((search or "").lstrip("?"))
    dropped: list[str] = []
    usual = dict(settings.wall_playlist)
    playlist = [list(pair) for pair in settings.wall_playlist]
    for key, raw in pairs:
        if key == "scenes":
            asked = _playlist(raw, usual)
            if asked:
                playlist = asked
            else:
                dropped.append(f"scenes={raw}")
    for key, raw in pairs:
        if key == "seconds":
            if _SECONDS.fullmatch(raw) and int(raw) >= 1:
                playlist = [[name, int(raw)] for name, _ in playlist]
            else:
                dropped.append(f"seconds={raw}")
    if first in {name for name, _ in playlist}:
        at = [name for name, _ in playlist].index(first)
        playlist = playlist[at:] + playlist[:at]
    return {"scenes": playlist, "refresh_ms": settings.wall_refresh_seconds * 1000,
            "alert_seconds": min([ALERT_SECONDS] + [seconds for _, seconds in playlist]),
            "alert_page": wall.ALERT_PAGE}, dropped


#: Seconds in a URL: ASCII digits only ("²".isdigit() is True), at most an hour.
_SECONDS = re.compile(r"[0-9]{1,4}")


def _playlist(raw: str, usual: dict[str, int]) -> list[list] | None:
    out = []
    for item in raw.split(","):
        name, _, seconds = item.partition(":")
        if name not in WALL_SCENES or name in {n for n, _ in out} or (
                seconds and not (_SECONDS.fullmatch(seconds) and int(seconds) >= 1)):
            return None
        out.append([name, int(seconds) if seconds else usual.get(name, DEFAULT_SECONDS)])
    return out or None


#: The scene a wall asked for from an analyst screen (?mode=wall) starts with.
FIRST_SCENE = {"overview": "overview", "grid": "grid", "events": "grid",
               "environment": "environment", "economy": "economy", "report": "overview"}
