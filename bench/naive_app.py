"""The baseline: the same questions answered the way a typical Dash app does.

Everything is loaded into pandas DataFrames at start; every callback filters them and rebuilds
``plotly.express`` figures, the map with its GeoJSON embedded. Run as its own process by
``bench/__main__.py``; it is not part of the product.
"""

from __future__ import annotations

import json
import sys

import dash
import pandas as pd
import plotly.express as px
from dash import Input, Output, dcc, html

from data.store import Store


def create_naive_app(db_path: str) -> dash.Dash:
    store = Store(db_path)
    events = store.df("SELECT district_code, category, status, reported_at, closed_at, "
                      "deadline_at, satisfaction FROM grid_events")
    values = store.df("SELECT district_code, indicator_code, period, value FROM indicator_values")
    values["period"] = pd.to_datetime(values["period"])
    air = store.df("SELECT district_code, day, aqi FROM air_daily")
    air["day"] = pd.to_datetime(air["day"])
    districts = store.df("SELECT code, name_zh FROM districts")
    from data.store import read_geo
    from geo.geojson import simplify_for_display, to_geojson
    geojson = json.loads(to_geojson(simplify_for_display(
        read_geo(store, "districts", ("code", "name_zh")), 0.0)))

    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Store(id="filters")] + [
        dcc.Graph(id=name) for name in ("map", "ranking", "trend", "events", "category")]
        + [html.Div(id="kpis")])

    def _events(f):
        ev = events[(events.reported_at >= f["start"]) &
                     (events.reported_at < pd.Timestamp(f["end"]) + pd.Timedelta(days=1))]
        if f.get("district"):
            ev = ev[ev.district_code == f["district"]]
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

    return app


if __name__ == "__main__":
    create_naive_app(sys.argv[1]).run(host="127.0.0.1", port=int(sys.argv[2]))
