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

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from dash import ALL, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks import state as st
from data import catalog, freshness
from layouts import figures, frame, i18n
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


def _clicked(apply_clicked):
    """Wrap a handler of a pattern-matched button: only a real click (n_clicks > 0) counts."""
    def apply(state, _value, trigger, context):
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            return None
        return apply_clicked(state, trigger, context)
    return apply


def _crumb(state, trigger, _context):
    level = trigger.get("level")
    return st.up_to(state, level) if level in (0, 1, 2) else None


def slider_model(state: st.FilterState, context: st.Context) -> dict:
    """Return the time slider's range (days since the store's first day), its marks (each
    year's first month labelled, every month a tick) and the state's position on it."""
    marks, month = {}, context.first_day.replace(day=1)
    while month <= context.last_day:
        if month >= context.first_day:
            label = str(month.year) if month.month == 1 else ""
            marks[st.day_index(context, month)] = label
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return {"max": st.day_index(context, context.last_day), "marks": marks,
            "value": [st.day_index(context, state.start), st.day_index(context, state.end)]}


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
        Control(ids.INDICATOR, "value", lambda s, v, _t, _c: st.set_indicator(s, v),
                shows=lambda s, _c: s.indicator),
        Control(ids.DISTRICT, "value", lambda s, v, _t, c: st.choose_district(s, v, c),
                shows=lambda s, _c: s.district),
        Control(ids.TIME_SLIDER, "value", lambda s, v, _t, c: st.select_days(s, v, c),
                shows=lambda s, c: slider_model(s, c)["value"]),
        Control(ids.STEP, "value", lambda s, v, _t, _c: st.set_step(s, v),
                shows=lambda s, _c: s.step),
        Control({"type": ids.CRUMB, "level": ALL}, "n_clicks", _clicked(_crumb)),
    )


def store_payload(state: st.FilterState, from_url: bool = False) -> dict:
    """Return what the filter store holds: the state and the URLs derived from it.

    ``from_url`` marks a state read from the address bar: the browser then replaces its
    history entry instead of adding one, so Back leaves the page rather than repeating it.
    """
    other = "en" if state.lang == "zh" else "zh"
    return {**state.to_dict(), "query": st.to_query(state), "from_url": from_url,
            "lang_query": st.to_query(st.FilterState(**{**state.to_dict(), "lang": other}))}


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
        payload = store_payload(new, from_url)
        unchanged = current is not None and \
            {**payload, "from_url": None} == {**current, "from_url": None}
        if unchanged and play is no_update:
            # nothing changed: the browser echoing the URL we wrote keeps the notice up too
            raise PreventUpdate
        shown = {c.key: v for c, v in zip(controls, values)}
        return (no_update if unchanged else payload, notice, play,
                no_update if play is no_update else ("▶" if play else "⏸"),
                *[_changed(c.shows(new, context), shown[c.key]) for c in mirrors])

    # remember the callback's key (Dash made it unique with a hash) for tests calling it
    app.filter_controllers = {**getattr(app, "filter_controllers", {}),
                              prefix: next(reversed(app.callback_map))}

    # filter store -> drill-down breadcrumbs
    @app.callback(Output(ids.BREADCRUMBS, "children"), Input(Shell.FILTERS, "data"))
    def update_breadcrumbs(data):
        state = read_state(data, runtime.context)
        return frame.breadcrumbs(ids, area_names(state, runtime))


def area_names(state: st.FilterState, runtime) -> list[str]:
    """Return the names along the drill-down trail: the city, district, township, cell."""
    names = runtime.names(state.lang)
    return [runtime.scope_name(state.lang),
            *[names[code] for code in (state.district, state.township, state.cell) if code]]


def filter_text(state: st.FilterState, runtime) -> str:
    """Return the active filters as one line of text."""
    lang = state.lang
    names = area_names(state, runtime)
    where = " › ".join(names[1:]) if len(names) > 1 else (
        names[0] if runtime.principal.districts else i18n.t("whole_city", lang))
    if state.picked:
        where += f" · {i18n.t('picked', lang).format(n=len(state.picked))}"
    ind = catalog.get(state.indicator)
    return (f"{i18n.t('filters', lang)}: {where} · {state.start} {i18n.t('to', lang)} {state.end}"
            f" · {figures.indicator_title(ind, lang)}")


def read_state(data: dict | None, context: st.Context) -> st.FilterState:
    """The state a chart callback draws: the store's, checked as strictly as a URL (it comes
    back from the browser), or no update at all."""
    state = st.valid_state(data, context)
    if state is None:
        raise PreventUpdate
    return state


def reads(*feeds: str):
    """Mark a chart function with the feeds its data comes from (data/freshness.py; "indicator"
    is the state's indicator), so the screens can say how fresh it is."""
    def mark(chart):
        chart.feeds = feeds
        return chart
    return mark


def as_of_text(feeds, state: st.FilterState, runtime, theme) -> str | None:
    """How fresh a chart's data is, for its title: the latest as-of of its feeds (a
    ``reads`` mark), and 数据过期 when one is overdue; None when none has data."""
    names = {freshness.feed_of(catalog.get(state.indicator)) if feed == "indicator" else feed
             for feed in feeds}
    frame = runtime.queries.datasets()
    frame = frame[frame["name"].isin(names) & frame["as_of"].notna()]
    if frame.empty:
        return None
    latest = frame.loc[frame["as_of"].idxmax()]
    text = f"{i18n.t('as_of', state.lang)} {figures.as_of_label(latest['as_of'], latest['frequency'])}"
    stale = bool(names & runtime.stale_feeds())
    if stale:
        text += f" · {i18n.t('stale', state.lang)}"
    return f"<span style='color:{theme.warn if stale else theme.muted}'>{text}</span>"


def with_as_of(figure, chart, state: st.FilterState, runtime, theme):
    """The chart's figure with its title followed by how fresh its data is."""
    text = as_of_text(getattr(chart, "feeds", ()), state, runtime, theme)
    if text:
        figure.layout.title.text = f"{figure.layout.title.text or ''}  {text}"
    return figure


def register_charts(app, runtime, charts: dict, theme) -> None:
    """One callback per chart: the filter store -> ``chart(state, runtime, theme)``, its title
    saying how fresh its data is. The same chart functions serve the chart export with the
    print theme (routes.py; the file's footnote says the as-of there)."""
    for graph_id, chart in charts.items():
        def update(data, chart=chart):
            state = read_state(data, runtime.context)
            return with_as_of(chart(state, runtime, theme), chart, state, runtime, theme)
        update.__name__ = f"update_{graph_id.replace('-', '_')}"
        app.callback(Output(graph_id, "figure"), Input(Shell.FILTERS, "data"))(update)
