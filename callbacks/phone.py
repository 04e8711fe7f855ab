"""Callbacks of the leader's phone view (/m): its query string (area, indicator, language) to
the KPI cards, the map and the area links; the open alerts and 督办, drawn again every
minute and after every step; the steps themselves (acknowledge, assign, close) through the
/command screen's ``take_step``, so both screens act and refuse alike (data/command.py); a
KPI card's tap or a map tap to a new query string.

No filter bar and no shared filter store: a phone shows one area at a time, and its links
carry the whole state, so the view's own dcc.Location is its state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from dash import ALL, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

import i18n
from callbacks import filters
from callbacks.command import default_deadline, take_step
from callbacks.shell import Screen, district_options
from charts import command as alert_command
from charts import state as st
from charts.overview import fitted_map, state_kpi_cards
from charts.supervision import open_in_reach
from charts.wall import fingerprint
from layouts import figures, phone
from layouts.ids import Phone
from settings import LANGS, local_now
from web import auth


def _state(search: str | None, runtime) -> st.FilterState:
    return st.parse_query(search, runtime.context)[0]


def href(s: st.FilterState) -> str:
    """The phone view's link to a state (relative: a path prefix keeps working)."""
    return "m" + st.to_query(s)


def in_area(s: st.FilterState, district: str | None) -> st.FilterState:
    """The state showing ``district`` (None: everywhere the user sees) as a whole."""
    return replace(s, district=district, township=None, cell=None, picked=())


def render(state: st.FilterState, runtime, app, _ids, _head, _bar):
    who = runtime.principal
    head = phone.header(
        lang=state.lang, city_name=runtime.city_name(state.lang), is_demo=runtime.is_demo,
        as_of=runtime.as_of.strftime("%m-%d %H:%M"),
        lang_href=href(replace(state, lang=other_language(state.lang))),
        full_href="command" + st.to_query(state), user=who.name or None,
        logout_href=app.get_relative_path("/logout"), csrf_token=auth.csrf_token())
    return phone.page(lang=state.lang, head=head,
                      departments=alert_command.department_options(runtime, state.lang),
                      deadline=default_deadline(runtime.settings.time_zone),
                      may_act=who.may("alerts"))


SCREEN = Screen("phone", Phone.PREFIX, render, chrome=False)


def other_language(lang: str) -> str:
    return next(other for other in LANGS if other != lang)


def due_time(choice: str, zone: str) -> str:
    """A deadline's one-tap choice (layouts/phone.DUE_CHOICES) as the form writes it, from
    now on the centre's clock."""
    now = local_now(zone)
    if choice == "2h":
        return f"{now + dt.timedelta(hours=2):%Y-%m-%d %H:%M}"
    days = {"tomorrow": 1, "3d": 3}[choice]
    return f"{(now + dt.timedelta(days=days)).date().isoformat()} 18:00"


def scope_links(s: st.FilterState, runtime):
    """The area shown and the links to the others: everywhere the user sees, then each
    district."""
    mine = runtime.principal.districts
    everywhere = runtime.scope_name(s.lang) if mine else i18n.t("whole_city", s.lang)
    # a user of one district: everywhere they see is that district, no other to offer
    areas = [(everywhere, None)] + ([] if len(mine) == 1 else [
        (o["label"], o["value"]) for o in district_options(runtime, s.lang)])
    shown = dict((code, name) for name, code in areas).get(s.district, everywhere)
    return phone.scope(s.lang, shown, [(name, href(in_area(s, code)))
                                       for name, code in areas if code != s.district])


def register(app, runtime) -> None:
    """Register the phone view's callbacks."""
    zone = runtime.settings.time_zone

    # query string -> the area, its KPI cards (and their period), the map, the language link
    @app.callback(Output(Phone.SCOPE, "children"), Output(Phone.KPIS, "children"),
                  Output(Phone.PERIOD, "children"), Output(Phone.MAP, "figure"),
                  Output(Phone.MAP_TITLE, "children"), Output(Phone.LANG, "href"),
                  Input(Phone.URL, "search"))
    def draw_area(search):
        s = _state(search, runtime)
        figure = phone.narrow_map(fitted_map(s, runtime, phone.MAP_SIZE,
                                             app.get_relative_path, fit=phone.MAP_FIT))
        area = runtime.names(s.lang).get(s.area, s.area) if s.area \
            else runtime.scope_name(s.lang)
        return (scope_links(s, runtime), state_kpi_cards(s, runtime, Phone.KPI_CARD),
                i18n.t("m_period", s.lang).format(start=s.start, end=s.end), figure,
                i18n.t("m_map", s.lang).format(area=area, indicator=figures.indicator_title(
                    runtime.catalogue.get(s.indicator), s.lang)),
                href(replace(s, lang=other_language(s.lang))))

    # query string, the minute's tick, a step done, a list opened -> the open alerts and
    # 督办 and their counts; nothing when they are as the last drawing showed them (buttons
    # are not swapped under a finger, an open list stays open)
    more = {name: {"type": Phone.MORE, "list": name} for name in ("alerts", "supervision")}

    @app.callback(Output(Phone.ALERTS, "children"), Output(Phone.ALERT_COUNT, "children"),
                  Output(Phone.SUPERVISION, "children"),
                  Output(Phone.SUPERVISION_COUNT, "children"), Output(Phone.GLANCE, "children"),
                  Output(more["alerts"], "children"), Output(more["alerts"], "hidden"),
                  Output(more["supervision"], "children"),
                  Output(more["supervision"], "hidden"), Output(Phone.DIGEST, "data"),
                  Input(Phone.URL, "search"), Input(Phone.TICK, "n_intervals"),
                  Input(Phone.VERSION, "data"), Input(Phone.EXPANDED, "data"),
                  State(Phone.DIGEST, "data"))
    def draw_command(search, _tick, _version, expanded, digest):
        s = _state(search, runtime)
        rows = alert_command.screen_alerts(runtime, s)
        items = open_in_reach(s, runtime)
        expanded = set(expanded or ())
        shown = fingerprint([search, sorted(expanded), rows, items])
        if shown == digest:
            raise PreventUpdate
        late = sum(bool(r["escalated"] or r["overdue"]) for r in rows)
        whole_alerts, whole_items = "alerts" in expanded, "supervision" in expanded
        return (phone.alert_cards(rows, s.lang, runtime.principal.may("alerts"),
                                  lambda code: href(in_area(s, code)), whole_alerts),
                i18n.t("m_alert_count", s.lang).format(n=len(rows), late=late),
                phone.supervision_cards(items, s.lang, whole_items),
                i18n.t("m_supervision_count", s.lang).format(
                    n=len(items), late=sum(bool(r["overdue"]) for r in items)),
                phone.glance(s.lang, len(rows), late, len(items)),
                *phone.more_button("alerts", s.lang, len(rows), whole_alerts),
                *phone.more_button("supervision", s.lang, len(items), whole_items),
                shown)

    # a list's "+n more" / "show fewer" -> the lists shown whole
    @app.callback(Output(Phone.EXPANDED, "data"),
                  Input({"type": Phone.MORE, "list": ALL}, "n_clicks"),
                  State(Phone.EXPANDED, "data"), prevent_initial_call=True)
    def expand(_clicks, expanded):
        if not filters.clicked():
            raise PreventUpdate
        name = ctx.triggered_id["list"]
        return sorted(set(expanded or ()) ^ {name})

    # a card's step, the assign form or its cancel -> data/command.py -> the message, the
    # alerts again, the form shown for the chosen alert (its deadline offered from now, no
    # note of another alert's) or hidden
    @app.callback(Output(Phone.MESSAGE, "children"), Output(Phone.VERSION, "data"),
                  Output(Phone.CHOSEN, "data"), Output(Phone.CHOSEN_TEXT, "children"),
                  Output(Phone.FORM, "hidden"), Output(Phone.DEADLINE, "value"),
                  Output(Phone.NOTE, "value"),
                  Input({"type": Phone.STEP, "step": ALL, "key": ALL}, "n_clicks"),
                  Input(Phone.ASSIGN, "n_clicks"), Input(Phone.CANCEL, "n_clicks"),
                  State(Phone.DEPARTMENT, "value"), State(Phone.DEADLINE, "value"),
                  State(Phone.NOTE, "value"), State(Phone.CHOSEN, "data"),
                  State(Phone.VERSION, "data"), State(Phone.URL, "search"),
                  prevent_initial_call=True)
    def do_step(_clicks, _assign, _cancel, department, deadline, note, chosen, version,
                search):
        if not filters.clicked():
            raise PreventUpdate
        if ctx.triggered_id == Phone.CANCEL:
            return "", no_update, None, "", True, no_update, ""
        lang = _state(search, runtime).lang
        text, done, key, chosen_text = take_step(runtime, ctx.triggered_id, department,
                                                 deadline, note, chosen, lang)
        if key is not no_update and key is not None:      # an alert chosen for the form
            return "", no_update, key, chosen_text, False, default_deadline(zone), ""
        return (text, ((version or 0) + 1 if done else no_update), key, chosen_text,
                no_update if key is no_update else True, no_update,
                "" if done and key is None else no_update)

    # a deadline's one-tap choice -> the deadline field
    @app.callback(Output(Phone.DEADLINE, "value", allow_duplicate=True),
                  Input({"type": Phone.DUE, "choice": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def choose_due(_clicks):
        if not filters.clicked():
            raise PreventUpdate
        return due_time(ctx.triggered_id["choice"], zone)

    # a KPI card's tap -> that indicator on the map; a map tap -> that area (again: back up)
    @app.callback(Output(Phone.URL, "search"),
                  Input({"type": Phone.KPI_CARD, "code": ALL}, "n_clicks"),
                  Input(Phone.MAP, "clickData"), State(Phone.URL, "search"),
                  prevent_initial_call=True)
    def choose(_cards, click, search):
        if not filters.clicked():
            raise PreventUpdate
        s = _state(search, runtime)
        if isinstance(ctx.triggered_id, dict):
            new = st.set_indicator(s, ctx.triggered_id.get("code"), runtime.context)
        else:
            new = st.select_area(s, st.clicked_code(click), runtime.context)
        if new == s:
            raise PreventUpdate
        return st.to_query(new)

    # an alert chosen: its form into view; a KPI card tapped: the map it colours into view
    app.clientside_callback(
        "function(chosen, cards) { return window.citybrain.phoneScroll(chosen); }",
        Output(Phone.SCROLLER, "children"), Input(Phone.CHOSEN, "data"),
        Input({"type": Phone.KPI_CARD, "code": ALL}, "n_clicks"), prevent_initial_call=True)
