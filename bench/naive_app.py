"""The baseline: the same questions answered the way a typical Dash app does.

Everything is loaded into pandas DataFrames at start; every callback filters them and rebuilds
``plotly.express`` figures, the maps with their GeoJSON embedded. The event table pages, sorts
and filters the way Dash's DataTable documentation shows ("backend paging with filtering and
sorting": ``split_filter_part``, ``sort_values``, ``iloc``) over every event held in memory.
Run as its own process by ``bench/__main__.py``; it is not part of the product.
"""

from __future__ import annotations

import json
import sys

import dash
import pandas as pd
import plotly.express as px
from dash import Input, Output, dash_table, dcc, html

from data.store import Store

#: The event table's columns, as the app's table shows them.
TABLE_COLUMNS = ["event_id", "reported_at", "district_code", "township_code", "grid_code",
                 "category", "channel", "department_code", "status", "deadline_at",
                 "closed_at", "returned_count", "satisfaction"]
TIME_COLUMNS = ["reported_at", "deadline_at", "closed_at"]
PAGE_SIZE = 20

#: Dash's DataTable documentation, "Backend Paging with Filtering and Sorting".
OPERATORS = [["ge ", ">="], ["le ", "<="], ["lt ", "<"], ["gt ", ">"], ["ne ", "!="],
             ["eq ", "="], ["contains "], ["datestartswith "]]


def split_filter_part(filter_part):
    for operator_type in OPERATORS:
        for operator in operator_type:
            if operator in filter_part:
                name_part, value_part = filter_part.split(operator, 1)
                name = name_part[name_part.find("{") + 1: name_part.rfind("}")]
                value_part = value_part.strip()
                v0 = value_part[0]
                if v0 == value_part[-1] and v0 in ("'", '"', "`"):
                    value = value_part[1: -1].replace("\\" + v0, v0)
                else:
                    try:
                        value = float(value_part)
                    except ValueError:
                        value = value_part
                return name, operator_type[0].strip(), value
    return [None] * 3


def create_naive_app(db_path: str) -> dash.Dash:
    store = Store(db_path)
    events = store.df(f"SELECT {', '.join(TABLE_COLUMNS)} FROM grid_events")
    values = store.df("SELECT district_code, indicator_code, period, value FROM indicator_values")
    values["period"] = pd.to_datetime(values["period"])
    air = store.df("SELECT district_code, day, aqi FROM air_daily")
    air["day"] = pd.to_datetime(air["day"])
    districts = store.df("SELECT code, name_zh FROM districts")
    cells = store.df("SELECT code, name_zh, population FROM grid_cells")
    from data.store import read_geo
    from geo.geojson import simplify_for_display, to_geojson
    geojson = json.loads(to_geojson(simplify_for_display(
        read_geo(store, "districts", ("code", "name_zh")), 0.0)))
    cell_geojson = json.loads(to_geojson(simplify_for_display(
        read_geo(store, "grid_cells", ("code", "name_zh")), 0.0)))

    # the table shows names, not codes: map them once (its filter row is typed in names)
    names = {}
    for table, column in (("districts", "district_code"), ("townships", "township_code"),
                          ("departments", "department_code")):
        names[column] = dict(store.rows(f"SELECT code, name_zh FROM {table}"))
    for vocabulary, column in (("category", "category"), ("channel", "channel"),
                               ("stage", "status")):
        names[column] = dict(store.rows("SELECT code, name_zh FROM event_vocabulary "
                                        "WHERE vocabulary = ?", [vocabulary]))
    table = events.copy()
    for column, mapping in names.items():
        table[column] = table[column].map(mapping)

    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Store(id="filters")] + [
        dcc.Graph(id=name) for name in ("map", "cells", "ranking", "trend", "events",
                                        "category")]
        + [html.Div(id="kpis"), html.Div(id="count"),
           dash_table.DataTable(id="table", columns=[{"id": c, "name": c}
                                                     for c in TABLE_COLUMNS],
                                page_action="custom", page_current=0, page_size=PAGE_SIZE,
                                sort_action="custom", sort_mode="single", sort_by=[],
                                filter_action="custom", filter_query="")])

    def _events(f):
        ev = events[(events.reported_at >= f["start"]) &
                    (events.reported_at < pd.Timestamp(f["end"]) + pd.Timedelta(days=1))]
        if f.get("district"):
            ev = ev[ev.district_code == f["district"]]
        if f.get("township"):
            ev = ev[ev.township_code == f["township"]]
        return ev

    @app.callback(Output("kpis", "children"), Input("filters", "data"))
    def kpis(f):
        ev = _events(f)
        closed = ev.closed_at.notna()
        on_time = (ev.closed_at[closed] <= ev.deadline_at[closed]).mean()
        sat = (ev.satisfaction.dropna() >= 4).mean()
        v = values[(values.period >= f["start"]) & (values.period <= f["end"])]
        if f.get("district"):
            v = v[v.district_code == f["district"]]
        sums = v.groupby("indicator_code")["value"].sum()
        return [html.Div(f"{k}: {x:.1f}") for k, x in sums.items()] + [
            html.Div(f"closure {100 * closed.mean():.1f}"), html.Div(f"on time {on_time:.3f}"),
            html.Div(f"satisfaction {sat:.3f}")]

    @app.callback(Output("map", "figure"), Input("filters", "data"))
    def choropleth(f):
        ev = _events(f)
        rate = ev.assign(c=ev.closed_at.notna()).groupby("district_code")["c"].mean() * 100
        frame = districts.assign(rate=districts.code.map(rate))
        fig = px.choropleth_map(frame, geojson=geojson, locations="code", color="rate",
                                featureidkey="properties.code", hover_name="name_zh",
                                map_style="white-bg", zoom=6.8,
                                center={"lat": 25.8, "lon": 115.2})
        return fig

    def cell_values(ev, indicator):
        by_cell = ev.groupby("grid_code")
        if indicator == "event_count":
            return by_cell.size()
        if indicator == "events_per_10k":
            return by_cell.size() / cells.set_index("code")["population"] * 1e4
        if indicator == "on_time_rate":
            closed = ev[ev.closed_at.notna()]
            return (closed.closed_at <= closed.deadline_at).groupby(closed.grid_code).mean() * 100
        if indicator == "satisfaction_rate":
            rated = ev[ev.satisfaction.notna()]
            return (rated.satisfaction >= 4).groupby(rated.grid_code).mean() * 100
        return ev.closed_at.notna().groupby(ev.grid_code).mean() * 100

    @app.callback(Output("cells", "figure"), Input("filters", "data"))
    def cell_map(f):
        frame = cells.assign(value=cells.code.map(cell_values(_events(f), f["indicator"])))
        return px.choropleth_map(frame, geojson=cell_geojson, locations="code", color="value",
                                 featureidkey="properties.code", hover_name="name_zh",
                                 map_style="white-bg", zoom=7.5,
                                 center={"lat": 25.8, "lon": 115.2})

    @app.callback(Output("ranking", "figure"), Input("filters", "data"))
    def ranking(f):
        ev = _events(f)
        rate = ev.assign(c=ev.closed_at.notna()).groupby("district_code")["c"].mean() * 100
        frame = districts.assign(rate=districts.code.map(rate)).sort_values("rate")
        return px.bar(frame, x="rate", y="name_zh", orientation="h")

    @app.callback(Output("trend", "figure"), Input("filters", "data"))
    def trend(f):
        a = air if not f.get("district") else air[air.district_code == f["district"]]
        daily = a.groupby("day", as_index=False)["aqi"].mean()
        return px.bar(daily, x="day", y="aqi")

    @app.callback(Output("events", "figure"), Input("filters", "data"))
    def events_by_status(f):
        ev = events if not f.get("district") else events[events.district_code == f["district"]]
        monthly = ev.groupby([ev.reported_at.dt.to_period("M").dt.to_timestamp(), "status"]
                             ).size().reset_index(name="n")
        return px.bar(monthly, x="reported_at", y="n", color="status")

    @app.callback(Output("category", "figure"), Input("filters", "data"))
    def category(f):
        counts = _events(f).groupby("category").size().reset_index(name="n")
        return px.bar(counts, x="n", y="category", orientation="h")

    @app.callback(Output("table", "data"), Output("table", "page_count"),
                  Output("count", "children"),
                  Input("filters", "data"), Input("table", "page_current"),
                  Input("table", "page_size"), Input("table", "sort_by"),
                  Input("table", "filter_query"))
    def event_table(f, page_current, page_size, sort_by, filter_query):
        # the table's frame holds names: the area filter reads the codes beside it
        mask = ((events.reported_at >= f["start"]) &
                (events.reported_at < pd.Timestamp(f["end"]) + pd.Timedelta(days=1)))
        if f.get("district"):
            mask &= events.district_code == f["district"]
        if f.get("township"):
            mask &= events.township_code == f["township"]
        dff = table[mask]
        for filter_part in (filter_query or "").split(" && "):
            col_name, operator, filter_value = split_filter_part(filter_part)
            if operator in ("eq", "ne", "lt", "le", "gt", "ge"):
                dff = dff.loc[getattr(dff[col_name], operator)(filter_value)]
            elif operator == "contains":
                dff = dff.loc[dff[col_name].astype(str).str.contains(str(filter_value))]
            elif operator == "datestartswith":
                dff = dff.loc[dff[col_name].astype(str).str.startswith(filter_value)]
        if sort_by:
            dff = dff.sort_values([col["column_id"] for col in sort_by],
                                  ascending=[col["direction"] == "asc" for col in sort_by])
        page = dff.iloc[page_current * page_size:(page_current + 1) * page_size].copy()
        for column in TIME_COLUMNS:
            page[column] = page[column].dt.strftime("%Y-%m-%d %H:%M")
        page = page.astype(object).where(page.notna(), None)
        return (page.to_dict("records"), max(1, -(-len(dff) // page_size)),
                f"{len(dff):,} events")

    return app


if __name__ == "__main__":
    create_naive_app(sys.argv[1]).run(host="127.0.0.1", port=int(sys.argv[2]))
