"""The filter controller: the one way user interactions become the shared filter state.

Every screen registers one controller (``register_controller``) with the filter bar's
controls, which every screen shows under its own IDs (``layouts.ids.Bar``), plus its own (the
overview's map and charts, the environment's pollutant, the economy's comparison district).
Each controller is the only writer of the page's filter store while its screen is shown: all
of its inputs are its screen's components, so Dash runs exactly one controller on a page
(they share their outputs with ``allow_duplicate``).

A control folds its input into the state (``apply``) and, if it mirrors the state
(``shows``), is set back from it, so a URL or Back/Forward moves the dropdowns and slider too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from dash import ALL, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

import i18n
from charts import common
from charts import state as st
from layouts import frame
from layouts.ids import Bar, Shell

#: apply(state, value, trigger_id, context) -> the new state, or None to ignore the event
Apply = Callable[[st.FilterState, Any, Any, st.Context], "st.FilterState | None"]


@dataclass(frozen=True)
class Control:
    """An input that changes the filter state, and what it shows for a state (if anything)."""

    component: str | dict
    prop: str
    apply: Apply
    shows: Callable[[st.FilterState, st.Context], Any] | None = None
    #: whether the value it shows still describes a state, when several would (the quick
    #: range the user chose, of two with the same days): it then stays
    keeps: Callable[[Any, st.FilterState, st.Context], bool] | None = None

    @property
    def key(self) -> str:
        """The name tests and ``input_names`` use for this control's argument."""
        if isinstance(self.component, dict):
            return f"{self.component['type']}.{self.prop}"
        return f"{self.component}.{self.prop}"

    def fired_by(self, trigger, prop: str) -> bool:
        if isinstance(self.component, dict):
            return isinstance(trigger, dict) and trigger.get("type") == self.component["type"]
        return trigger == self.component and prop == self.prop


def clicked() -> bool:
    """A click started the callback: drawing buttons again fires their n_clicks inputs with
    none (0 or None), which must not act."""
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


def _clicked(apply_clicked):
    """Wrap a handler of a pattern-matched button: only a real click (n_clicks > 0) counts."""
    def apply(state, _value, trigger, context):
        if not clicked():
            return None
        return apply_clicked(state, trigger, context)
    return apply


def _crumb(state, trigger, _context):
    level = trigger.get("level")
    return st.up_to(state, level) if level in (0, 1, 2) else None


def range_control(graph: str) -> Control:
    """A time chart whose horizontal box selection sets the time range."""
    def apply(state, selection, _trigger, context):
        picked = st.selected_range(selection)
        return None if picked is None else st.select_range(state, *picked, context)
    return Control(graph, "selectedData", apply)


def district_click_control(graph: str) -> Control:
    """A chart whose bars or panels carry district codes: a click chooses that district."""
    return Control(graph, "clickData", lambda s, click, _t, c: st.select_district(
        s, st.clicked_code(click), c))


def bar_controls(ids: Bar) -> tuple[Control, ...]:
    """The filter bar's controls, on every screen under that screen's IDs."""
    return (
        Control(ids.CLEAR, "n_clicks", lambda s, _v, _t, c: st.clear(s, c)),
        Control(ids.INDICATOR, "value", lambda s, v, _t, c: st.set_indicator(s, v, c),
                shows=lambda s, _c: s.indicator),
        Control(ids.DISTRICT, "value", lambda s, v, _t, c: st.choose_district(s, v, c),
                shows=lambda s, _c: s.district),
        Control(ids.TIME_SLIDER, "value", lambda s, v, _t, c: st.select_days(s, v, c),
                shows=lambda s, c: common.slider_model(s, c)["value"]),
        Control(ids.STEP, "value", lambda s, v, _t, _c: st.set_step(s, v),
                shows=lambda s, _c: s.step),
        Control(ids.QUICK_RANGE, "value", lambda s, v, _t, c: st.quick_range(s, v, c),
                shows=st.quick_range_of, keeps=st.names_range),
        Control({"type": ids.CRUMB, "level": ALL}, "n_clicks", _clicked(_crumb)),
    )


def _changed(value, shown):
    """The value for a control that mirrors the state, or no_update if it already shows it."""
    return no_update if value == shown else value


def input_names(prefix: str, controls: tuple[Control, ...]) -> list[str]:
    """The controller's arguments in order, by control key (tests call it by name)."""
    return ["search", "play", "tick", *[c.key for c in (*bar_controls(Bar(prefix)), *controls)],
            "paused", "current"]


def register_controller(app, runtime, prefix: str, controls: tuple[Control, ...] = ()
                        ) -> None:
    """Register the filter controller and the drill-down trail of the screen whose IDs start
    with ``prefix``."""
    ids = Bar(prefix)
    controls = (*bar_controls(ids), *controls)
    mirrors = [c for c in controls if c.shows]

    def out(component, prop):
        return Output(component, prop, allow_duplicate=True)

    @app.callback(
        out(Shell.FILTERS, "data"), out(Shell.NOTICE, "children"),
        out(ids.PLAY_TICK, "disabled"), out(ids.PLAY, "children"),
        *[out(c.component, c.prop) for c in mirrors],
        Input(ids.PAGE_URL, "search"), Input(ids.PLAY, "n_clicks"),
        Input(ids.PLAY_TICK, "n_intervals"),
        *[Input(c.component, c.prop) for c in controls],
        State(ids.PLAY_TICK, "disabled"), State(Shell.FILTERS, "data"),
        prevent_initial_call="initial_duplicate")
    def update_filters(search, _play, _tick, *rest):
        *values, paused, current = rest
        context = runtime.context
        trigger = ctx.triggered_id
        prop = ctx.triggered[0]["prop_id"].rsplit(".", 1)[-1] if ctx.triggered else ""
        notice = no_update
        play = no_update         # the playback's new paused flag, when it changes
        from_url = current is None or trigger in (None, ids.PAGE_URL)
        if from_url:
            new, dropped = st.parse_query(search, context)
            notice = (i18n.t("notice_dropped", new.lang) + ", ".join(dropped)) if dropped else ""
        else:
            new = st.valid_state(current, context)
            if new is None:
                raise PreventUpdate
            if trigger == ids.PLAY:
                play = not paused
                if paused:                       # starting: from the beginning if at the end
                    new = st.rewind(new, context)
            elif trigger == ids.PLAY_TICK:
                stepped = st.advance(new, context)
                if stepped is None:
                    play = True                  # reached the last day: stop
                else:
                    new = stepped
            else:
                for control, value in zip(controls, values):
                    if control.fired_by(trigger, prop):
                        new = control.apply(new, value, trigger, context)
                        break
                if new is None:
                    raise PreventUpdate
        payload = common.store_payload(new, from_url)
        unchanged = current is not None and \
            {**payload, "from_url": None} == {**current, "from_url": None}
        if unchanged and play is no_update:
            # nothing changed: the browser echoing the URL we wrote keeps the notice up too
            raise PreventUpdate
        shown = {c.key: v for c, v in zip(controls, values)}
        return (no_update if unchanged else payload, notice, play,
                no_update if play is no_update else ("▶" if play else "⏸"),
                *[no_update if c.keeps and c.keeps(shown[c.key], new, context)
                  else _changed(c.shows(new, context), shown[c.key]) for c in mirrors])

    # remember the callback's key (Dash made it unique with a hash) for tests calling it
    app.filter_controllers = {**getattr(app, "filter_controllers", {}),
                              prefix: next(reversed(app.callback_map))}

    # filter store -> drill-down breadcrumbs
    @app.callback(Output(ids.BREADCRUMBS, "children"), Input(Shell.FILTERS, "data"))
    def update_breadcrumbs(data):
        state = read_state(data, runtime.context)
        return frame.breadcrumbs(ids, common.area_names(state, runtime))


def read_state(data: dict | None, context: st.Context) -> st.FilterState:
    """The state a chart callback draws: the store's, checked as strictly as a URL (it comes
    back from the browser), or no update at all."""
    state = st.valid_state(data, context)
    if state is None:
        raise PreventUpdate
    return state


def register_charts(app, runtime, charts: dict, theme) -> None:
    """One callback per chart: the filter store -> ``chart(state, runtime, theme)``, its title
    saying how fresh its data is. The same chart functions serve the chart export with the
    print theme (web/routes.py; the file's footnote says the as-of there)."""
    for graph_id, chart in charts.items():
        def update(data, chart=chart):
            state = read_state(data, runtime.context)
            return common.with_as_of(chart(state, runtime, theme), chart, state, runtime, theme)
        update.__name__ = f"update_{graph_id.replace('-', '_')}"
        app.callback(Output(graph_id, "figure"), Input(Shell.FILTERS, "data"))(update)
