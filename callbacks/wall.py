"""The wall (/wall, or any screen's URL with ?mode=wall): scenes that rotate, alerts that
interrupt, a refresh that only sends what changed.

The server renders every scene once, with its charts sized to their boxes; the browser
(``window.citybrain.wall`` in assets/citybrain.js) decides which scenes the slots of the
display show and rotates them by the playlist, without a server round trip, and steps the
banner and the alert list's pages through every standing alert (each a link to the overview
of its area and window). Every
``refresh_seconds`` the page asks ``refresh_wall`` for the scenes again: each part is
fingerprinted and only parts whose fingerprint changed are sent (Dash's ``no_update`` for
the rest, so unchanged charts are not redrawn, the map keeps its view, and the rotation goes
on where it was). The standing alerts (``data/alerts.live``) come with every refresh; a new
one brings its scene forward (see citybrain.js).

What each scene shows is built in charts/wall.py. The wall's URL: ``scenes=overview:30,grid:20`` (a playlist: scene:seconds, seconds optional),
``seconds=N`` (every scene N seconds: a soak test rotates every second), ``lang=en``. Bad
values are dropped and named on the wall, as the analyst screens do.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, Patch, State, no_update
from dash.exceptions import PreventUpdate

import i18n
from charts import state as st
from charts.wall import SCENES, WallView, build_parts, fingerprint, wall_config
from layouts import wall
from layouts.ids import Wall
from settings import LANGS, WALL_SCENES


def updates(parts: dict[str, Any], alerts: list[dict], shown: dict | None
            ) -> tuple[list, Any, dict]:
    """Return what a refresh sends: each part, or ``no_update`` where the page already shows
    its fingerprint; the alerts likewise; and the new fingerprints (``no_update`` too when
    nothing changed, so an idle refresh sends nothing at all)."""
    shown = shown or {}
    fresh = {key: fingerprint(value) for key, value in parts.items()}
    fresh["alerts"] = fingerprint(alerts)
    out = [value if fresh[key] != shown.get(key) else no_update
           for key, value in parts.items()]
    alerts_out = alerts if fresh["alerts"] != shown.get("alerts") else no_update
    return out, alerts_out, (fresh if fresh != shown else no_update)


def map_patch(figure) -> Patch:
    """A changed map as a Patch of its traces and title: its layout (the view, which somebody
    may have moved, and the style) stays as the browser has it."""
    patch = Patch()
    for index, trace in enumerate(figure.data):
        patch["data"][index] = trace.to_plotly_json()
    patch["layout"]["title"]["text"] = figure.layout.title.text
    return patch


#: The words the browser writes on the wall (the banner, the alert list), by the name
#: assets/citybrain.js knows them by.
WALL_TEXTS = {"alert": "alert", "position": "alert_position", "alerts": "alerts",
              "more": "more_alerts", "page": "alert_page", "none": "no_alerts"}


# --- the URL -----------------------------------------------------------------------------------


def render(search: str | None, runtime, app, first: str | None = None):
    """The wall for a URL's query: every scene drawn, the playlist and alerts for the
    browser, the fingerprints of what it shows."""
    state, dropped = st.parse_query(search, runtime.context)
    dropped = [item for item in dropped if item.split("=")[0] not in ("mode", "scenes",
                                                                     "seconds")]
    config, bad = wall_config(search, runtime.settings, first)
    view = WallView(runtime, app, state.lang)
    parts = build_parts(view)
    _, _, shown = updates(parts, view.alerts, None)
    scenes = [(name, i18n.t(f"scene_{name}", state.lang),
               [(part, parts[Wall.part_id(name, part.name)]) for part, _ in SCENES[name]])
              for name in WALL_SCENES]
    notice = "、".join(item[:40] for item in dropped + bad) if dropped or bad else None
    return wall.page(
        lang=state.lang, city_name=runtime.city_name(state.lang),
        as_of=parts[Wall.AS_OF], is_demo=runtime.is_demo, scenes=scenes,
        config={**config, "lang": state.lang, "text": {
            key: i18n.t(f"wall_{name}", state.lang) for key, name in WALL_TEXTS.items()}},
        shown=shown,
        alerts=view.alerts, zone=runtime.settings.time_zone,
        notice=i18n.t("wall_notice", state.lang).format(items=notice) if notice else None)


def register(app, runtime) -> None:
    """Register the wall's refresh and its clientside rotation."""
    keys = [(Wall.part_id(name, part.name), part.prop)
            for name, parts in SCENES.items() for part, _ in parts] + [(Wall.AS_OF, "children")]
    map_keys = {Wall.part_id(name, part.name) for name, parts in SCENES.items()
                for part, _ in parts if part.kind == "map"}

    # refresh tick -> the parts that changed, the standing alerts, the new fingerprints
    @app.callback(*[Output(key, prop) for key, prop in keys], Output(Wall.ALERTS, "data"),
                  Output(Wall.SHOWN, "data"), Input(Wall.REFRESH, "n_intervals"),
                  State(Wall.CONFIG, "data"), State(Wall.SHOWN, "data"),
                  prevent_initial_call=True)
    def refresh_wall(_n, config, shown):
        lang = (config or {}).get("lang")
        view = WallView(runtime, app, lang if lang in LANGS else runtime.settings.default_lang)
        out, alerts, fresh = updates(build_parts(view), view.alerts,
                                     shown if isinstance(shown, dict) else None)
        if fresh is no_update:
            raise PreventUpdate     # nothing changed: an empty 204, not an empty 200
        out = [map_patch(value) if prop == "figure" and key in map_keys and
               value is not no_update else value for (key, prop), value in zip(keys, out)]
        return *out, alerts, fresh

    # playlist and alerts -> which scene each slot of the display shows (in the browser)
    app.clientside_callback(
        "function(config, alerts) { return window.citybrain.wall.update(config, alerts); }",
        Output(Wall.ROTATOR, "children"), Input(Wall.CONFIG, "data"),
        Input(Wall.ALERTS, "data"))
