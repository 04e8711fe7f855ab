"""The wall: its live alerts find the demo city's planted anomalies, its playlist comes from a
file and the URL, and a refresh sends exactly the parts whose data changed."""

from __future__ import annotations

import datetime as dt

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from callbacks import wall
from charts import wall as wall_charts
from charts.runtime import Runtime
from data import alerts, catalog
from data.demo import PLANTED
from data.queries import Queries
from data.store import Store
from layouts import wall as wall_layout
from layouts.ids import Wall
from settings import WALL_SCENES, SettingsError, load_playlist
from tests.conftest import reopen_recent_events, run_callback


@pytest.fixture(scope="module")
def runtime(app):
    return app.citybrain_runtime


@pytest.fixture(scope="module")
def live(runtime):
    return alerts.live(runtime, "zh")


# --- live alerts -------------------------------------------------------------------------------

def test_planted_anomalies_raise_live_alerts(live, runtime):
    found = {(row.rule, row.code, row.area_code) for row in live.itertuples()}
    surge = live[live["rule"] == "surge"]
    assert len(surge) >= 1
    assert surge["value"].iloc[0] >= surge["threshold"].iloc[0] >= alerts.SURGE_MIN
    assert ("aqi", "aqi", PLANTED["pm25_episode"][0]) in found
    assert ("threshold", "on_time_rate", PLANTED["slow_handling"][0]) in found
    # monthly statistics are the monthly report's: the wall only watches daily and event feeds
    assert all(catalog.BUILT_IN.get(code).frequency in alerts.LIVE_FREQUENCIES
               for code in live.loc[live["rule"] == "threshold", "code"])
    assert list(live["severity"]) == sorted(live["severity"], reverse=True)


def test_each_alert_names_its_scene_and_a_stable_key(live):
    assert set(live["scene"]) <= set(WALL_SCENES)
    assert set(live.loc[live["rule"] == "surge", "scene"]) == {"grid"}
    assert set(live.loc[live["rule"] == "aqi", "scene"]) == {"environment"}
    assert live["key"].is_unique
    on_time = live[live["code"] == "on_time_rate"].iloc[0]
    assert on_time["scene"] == "grid" and on_time["key"] == \
        f"threshold:on_time_rate:{PLANTED['slow_handling'][0]}"


def test_surge_alert_counts_the_cells_events_of_the_last_days(live, runtime):
    cell = live[live["rule"] == "surge"].iloc[0]
    today = runtime.as_of.date()
    start = today - dt.timedelta(days=alerts.LIVE_SURGE_DAYS - 1)
    n, = runtime.store.rows(
        "SELECT count(*) FROM grid_events WHERE grid_code = ? AND "
        "CAST(reported_at AS DATE) BETWEEN ? AND ?", [cell["area_code"], start, today])[0]
    assert cell["value"] == n


def test_alert_text_says_where_what_value_threshold_and_since(runtime, app):
    view = wall_charts.WallView(runtime, app, "en")
    text = next(a["text"] for a in view.alerts if a["key"].startswith("aqi:"))
    assert text.startswith("Zhanggong: ") and "threshold 1" in text and "since 20" in text


def test_each_alert_carries_what_the_walls_list_shows(runtime, app):
    """The browser lists the standing alerts from these records (assets/citybrain.js,
    listAlerts; tests/browser/test_wall_browser.py turns its pages): each with its line, a
    link to the overview of its area and who holds it; the list's box itself is empty."""
    view = wall_charts.WallView(runtime, app, "en")
    assert len(view.alerts) > 2 * wall_layout.ALERT_PAGE
    for alert in view.alerts:
        assert alert["text"] and alert["href"].startswith("./?") and alert["holder"]
        assert alert["scene"] in WALL_SCENES
    assert wall_charts.build_parts(view)[Wall.part_id("overview", "alerts")].children is None


# --- playlist ----------------------------------------------------------------------------------

def test_default_playlist_file_names_every_scene():
    playlist = load_playlist(wall_settings_default())
    assert [name for name, _ in playlist] == list(WALL_SCENES)
    assert all(seconds > 0 for _, seconds in playlist)


def wall_settings_default():
    from settings import DEFAULT_PLAYLIST
    return DEFAULT_PLAYLIST


@pytest.mark.parametrize("text, message", [
    ('[[scene]]\nname = "weather"\nseconds = 5\n', "scene 1: name 'weather'"),
    ('[[scene]]\nname = "grid"\nseconds = 5\n[[scene]]\nname = "economy"\nseconds = 0\n',
     "scene 2 (economy): seconds 0"),
    ('[[scene]]\nname = "grid"\nseconds = "ten"\n', "seconds 'ten'"),
    ("scene = 3\n", "expected [[scene]]"),
    ("[[scene]\n", "not TOML"),
])
def test_bad_playlist_file_names_the_file_and_entry(tmp_path, text, message):
    path = tmp_path / "wall.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_playlist(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_url_playlist_overrides_the_file_and_bad_values_are_named(settings):
    config, dropped = wall_charts.wall_config("?mode=wall&scenes=grid:5,tasks", settings)
    assert config["scenes"] == [["grid", 5], ["tasks", 20]] and dropped == []
    config, dropped = wall_charts.wall_config("?scenes=grid:5,weather&seconds=0", settings)
    assert config["scenes"] == [list(p) for p in settings.wall_playlist]
    assert dropped == ["scenes=grid:5,weather", "seconds=0"]
    # seconds applies whatever its place in the URL; a named scene keeps the file's seconds
    config, _ = wall_charts.wall_config("?seconds=7&scenes=overview,grid:5", settings)
    assert config["scenes"] == [["overview", 7], ["grid", 7]]
    config, _ = wall_charts.wall_config("?scenes=overview", settings)
    assert config["scenes"] == [["overview", dict(settings.wall_playlist)["overview"]]]
    for bad in ("?seconds=²", "?scenes=grid:²", "?scenes=grid,grid", "?seconds=99999"):
        config, dropped = wall_charts.wall_config(bad, settings)
        assert config["scenes"] == [list(p) for p in settings.wall_playlist] and dropped, bad
    config, _ = wall_charts.wall_config("?seconds=1", settings, first="environment")
    assert config["scenes"][0] == ["environment", 1]
    assert {s for _, s in config["scenes"]} == {1}
    assert config["refresh_ms"] == settings.wall_refresh_seconds * 1000
    # the banner and the alert list turn at least as often as the scenes
    assert config["alert_seconds"] == 1
    config, _ = wall_charts.wall_config("?seconds=600", settings)
    assert config["alert_seconds"] == wall_charts.ALERT_SECONDS


@pytest.mark.parametrize("path, search, expected", [
    ("wall", "", True), ("", "?mode=wall", True), ("economy", "?lang=en&mode=wall", True),
    ("", "?mode=analyst", False), ("grid", "", False)])
def test_wall_is_asked_by_path_or_mode(path, search, expected):
    assert wall_charts.is_wall(path, search) is expected


# --- the page and its refresh ------------------------------------------------------------------

def test_wall_page_holds_every_scene_and_part(runtime, app):
    page = wall.render("?mode=wall&scenes=grid,tasks", runtime, app)
    ids = set()

    def walk(node):
        if hasattr(node, "id") and node.id is not None:
            ids.add(node.id)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and hasattr(child, "to_plotly_json"):
                walk(child)
    walk(page)
    for name, parts in wall_charts.SCENES.items():
        assert Wall.scene_id(name) in ids
        assert {Wall.part_id(name, part.name) for part, _ in parts} <= ids


@pytest.mark.parametrize("lang, column", [("zh", "name_zh"), ("en", "name_en")])
def test_wall_map_names_every_district_in_the_walls_language(runtime, app, lang, column):
    import json
    found = []

    def walk(node):
        if getattr(node, "id", None) == Wall.part_id("overview", "map"):
            found.append(node.figure)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and hasattr(child, "to_plotly_json"):
                walk(child)
    walk(wall.render(f"?mode=wall&lang={lang}", runtime, app))
    (figure,) = found
    style = json.loads(app.server.test_client().get(figure.layout.map.style).data)
    names = [f["properties"]["name"] for f in style["sources"]["area-names"]["data"]["features"]]
    assert sorted(names) == sorted(runtime.queries.districts()[column])


def test_parts_fit_their_scene_body_without_overlapping():
    from layouts.wall import BODY
    for name, parts in wall_charts.SCENES.items():
        boxes = [part.box for part, _ in parts]
        for x, y, w, h in boxes:
            assert x >= 0 and y >= 0 and x + w <= BODY[0] and y + h <= BODY[1], name
        for i, (x, y, w, h) in enumerate(boxes):
            for x2, y2, w2, h2 in boxes[i + 1:]:
                assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, name


def test_key_task_scene_marks_overdue_tasks(runtime, app):
    view = wall_charts.WallView(runtime, app, "zh")
    tables = wall_charts.task_table(view, None)
    rows = [row for table in tables for row in table.children[1].children]
    frame = runtime.queries.key_tasks(runtime.as_of.date().isoformat(), "zh")
    assert len(rows) == len(frame)
    overdue = [row for row in rows if row.className == "task-overdue"]
    assert len(overdue) == (frame["status"] == "overdue").sum() > 0
    assert overdue[0].children[0].children == frame.iloc[0]["title"]


def test_command_scene_lists_the_open_supervision_overdue_first_in_red(settings, store,
                                                                        queries, app,
                                                                        tmp_path):
    """The 指挥调度 scene's 督办 part: each open 督办's event, the department that holds it and
    its deadline, overdue first and red, counted in the title; an answered one is gone."""
    from data.access import Principal
    from data.supervision import Supervision

    class Clock:
        now = dt.datetime(2026, 10, 5, 9, 0)

        def __call__(self):
            return self.now

    clock = Clock()
    runtime = Runtime(settings.with_(access_path=tmp_path / "access.sqlite"), store, queries)
    runtime.supervision = Supervision(tmp_path / "access.sqlite", lambda: queries, clock=clock)
    events = store.records("SELECT event_id, department_code FROM grid_events "
                           "WHERE closed_at IS NULL ORDER BY event_id LIMIT 3")
    leader = Principal("lead", "leader")
    for event, deadline in zip(events, ("2026-10-20", "2026-10-06", "2026-10-25")):
        runtime.supervision.issue(event["event_id"], leader, event["department_code"], deadline)
    runtime.supervision.answer(events[2]["event_id"], leader, "已办结")
    clock.now = dt.datetime(2026, 10, 7, 9, 0)          # the second is past its deadline now
    names = runtime.names("zh")

    title, table = wall_charts.command_supervision(wall_charts.WallView(runtime, app, "zh"),
                                                   None)
    assert title.children == "督办事项 · 2 · 已超期 1"
    rows = [([cell.children for cell in row.children], row.className)
            for row in table.children[1].children]
    assert rows == [
        ([str(events[1]["event_id"]), names[events[1]["department_code"]], "10-06 23:59"],
         "row-alert"),
        ([str(events[0]["event_id"]), names[events[0]["department_code"]], "10-20 23:59"], "")]


def test_idle_refresh_sends_nothing(runtime, app):
    view = wall_charts.WallView(runtime, app, "zh")
    parts = wall_charts.build_parts(view)
    _, _, shown = wall.updates(parts, view.alerts, None)
    out, alerts_out, fresh = wall.updates(wall_charts.build_parts(wall_charts.WallView(runtime, app, "zh")),
                                          view.alerts, shown)
    assert all(value is no_update for value in out)
    assert alerts_out is no_update and fresh is no_update


def test_refresh_callback_sends_nothing_for_an_unchanged_store(runtime, app):
    view = wall_charts.WallView(runtime, app, "zh")
    _, _, shown = wall.updates(wall_charts.build_parts(view), view.alerts, None)
    key = next(k for k in app.callback_map if Wall.SHOWN.value in k and "wall-refresh" not in k)
    with pytest.raises(PreventUpdate):
        run_callback(app, key, 1, {"lang": "zh", "scenes": [], "refresh_ms": 1000}, shown)


@pytest.fixture(scope="module")
def reloaded(city_path, tmp_path_factory, settings):
    """The test city after a reload in which 章贡区's events of the last 20 days are reopened
    (its closure rate falls): a Runtime on a modified copy of the store."""
    path = reopen_recent_events(city_path, tmp_path_factory.mktemp("reloaded") / "c.duckdb")
    store = Store(path)
    yield Runtime(settings.with_(db_path=path), store, Queries(store))
    store.close()


def test_refresh_after_a_reload_sends_only_the_changed_parts(runtime, reloaded, app):
    before = wall_charts.WallView(runtime, app, "zh")
    _, _, shown = wall.updates(wall_charts.build_parts(before), before.alerts, None)
    after = wall_charts.WallView(reloaded, app, "zh")
    parts = wall_charts.build_parts(after)
    out, alerts_out, fresh = wall.updates(parts, after.alerts, shown)
    changed = {key for key, value in zip(parts, out) if value is not no_update}
    # the events' parts follow the reopened events ...
    assert {"wall-overview-map", "wall-grid-kpis", "wall-grid-funnel",
            "wall-overview-kpis"} <= changed
    # ... statistics, air, water and key tasks did not change and are not sent
    assert not {key for key in changed if key.split("-")[1] in
                ("economy", "environment", "services", "tasks")}
    assert alerts_out is not no_update       # 章贡区's closure-rate alert moved
    # the alerts travel once: the browser lists them, the list's box is not sent again
    assert Wall.part_id("overview", "alerts") not in changed
    assert {key for key in fresh if fresh[key] != shown.get(key)} == changed | {"alerts"}
    assert Wall.AS_OF.value not in changed          # the same as-of: the header stays


def test_a_load_that_moves_the_as_of_refreshes_the_walls_header(runtime, app, monkeypatch):
    before = wall_charts.WallView(runtime, app, "zh")
    _, _, shown = wall.updates(wall_charts.build_parts(before), before.alerts, None)
    later = dict(runtime.meta, as_of="2026-11-24T11:00:00")
    monkeypatch.setattr(type(runtime), "meta", property(lambda self: later))
    parts = wall_charts.build_parts(wall_charts.WallView(runtime, app, "zh"))
    out, _, _ = wall.updates(parts, before.alerts, shown)
    sent = dict(zip(parts, out))
    assert sent[Wall.AS_OF] == "2026-11-24 11:00"


def test_refresh_interval_has_a_floor():
    from settings import from_env
    with pytest.raises(SettingsError, match="CITYBRAIN_WALL_REFRESH"):
        from_env({"CITYBRAIN_WALL_REFRESH": "1"})
    assert from_env({"CITYBRAIN_WALL_REFRESH": "30"}).wall_refresh_seconds == 30


def test_store_without_key_tasks_still_serves_the_wall(city_path, tmp_path, settings, app):
    import shutil

    import duckdb

    path = tmp_path / "old.duckdb"
    shutil.copy(city_path, path)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE key_task_progress")
    con.execute("DROP TABLE key_tasks")
    con.close()
    store = Store(path)
    try:
        old = Runtime(settings.with_(db_path=path), store, Queries(store))
        assert old.queries.key_tasks("2026-11-24").empty
        assert old.queries.names_text()
        wall.render("?mode=wall", old, app)
    finally:
        store.close()
