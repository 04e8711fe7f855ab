"""The overview screen's charts: the drill-down map and its layers, KPI cards, ranking, trend,
air, events by status and category."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import pandas as pd

import i18n
from charts import common, emergency
from charts import state as st
from data import alerts, catalog, freshness
from data.catalog import Indicator
from geo.geojson import label_points, map_view, name_property, to_geojson
from layouts import export, figures, overview, theme
from layouts.ids import Overview
from layouts.theme import map_style

THEME = theme.WALL


#: What the map shows below the districts when the chosen indicator is district-level only.
FALLBACK_AREA_METRIC = "events_per_10k"


def overlay_traces(state: st.FilterState, runtime) -> list[dict]:
    """Return the map's optional layers for the area the map shows."""
    q, shown = runtime.queries, set(state.layers)
    parent, start, end = state.township or state.district, state.start, state.end
    density = None
    if "events" in shown:
        points = runtime.points("townships" if parent is None else "grid_cells")
        density = points.merge(q.event_density(parent, start, end), on="area_code")
    return figures.map_layers(
        stations=q.stations_aqi(parent, start, end) if "stations" in shown else None,
        sections=q.water_classes(parent, start, end) if "water" in shown else None,
        density=density, theme=THEME, lang=state.lang, **emergency.map_layers(state, runtime))


def map_legend(state: st.FilterState) -> list:
    """Return the legend rows of the layers shown, in the catalogue's terms."""
    from data.aqi import LEVELS
    en = state.lang == "en"
    rows = []
    if "stations" in state.layers:
        rows.append((i18n.t("layer_stations", state.lang),
                     [(lv[4], lv[3] if en else lv[2]) for lv in LEVELS]))
    if "water" in state.layers:
        rows.append((i18n.t("layer_water", state.lang),
                     [(theme.WATER_COLORS[c - 1], names[1 if en else 0])
                      for c, names in catalog.WATER_CLASSES.items()]))
    if "events" in state.layers:
        rows.append((i18n.t("legend_events", state.lang), []))
    return overview.legend(rows + emergency.legend_rows(state))


def map_layer(state: st.FilterState, runtime) -> tuple[pd.DataFrame, Indicator, str, str]:
    """Return what the map shows for a state: (frame with area_code, indicator, GeoJSON path,
    title). Below the districts only event metrics exist: another indicator falls back to
    events per 10k residents, and the title says so."""
    q, lang = runtime.queries, state.lang
    ind = runtime.catalogue.get(state.indicator)
    if state.map_level == "districts":
        frame = q.indicator_by_district(ind.code, state.start, state.end).rename(
            columns={"district_code": "area_code"})
        title = figures.indicator_title(ind, lang)
        if ind.code in catalog.CITY_ONLY:     # the city's own count: no district has one
            frame = frame.assign(value=float("nan"), yoy=float("nan"), headline=float("nan"))
            title += f" · {i18n.t('svc_not_by_district', lang)}"
        return frame, ind, "/geo/districts.geojson", title
    parent = state.township or state.district
    names = common.area_names(state, runtime)
    title_prefix = " › ".join(names[1:3]) if parent else names[0]
    if state.grain == "cells" and not state.township:
        title_prefix += f" · {i18n.t('all_cells', lang)}"
    if ind.kind != "events":
        ind = runtime.catalogue.get(FALLBACK_AREA_METRIC)
        title_prefix += f" · {i18n.t('area_events_only', lang)}"
    frame = q.event_metric_by_area(ind.code, parent, state.start, state.end,
                                   cells=state.grain == "cells")
    geojson = f"/geo/{state.map_level}.geojson" + (f"?parent={parent}" if parent else "")
    return frame, ind, geojson, f"{title_prefix} · {figures.indicator_title(ind, lang)}"


def map_style_path(state: st.FilterState, map_theme: theme.Theme) -> str:
    """The map style's path for a state: the theme's background and the names of the areas
    the map shows, in the state's language (``web/routes.py``)."""
    parent = state.township or state.district
    query = {"names": state.map_level, "lang": state.lang} | ({"parent": parent} if parent
                                                             else {})
    return f"/geo/style/{map_theme.name}.json?{urlencode(query)}"


def map_as_of(ind: Indicator, state: st.FilterState, runtime) -> str:
    """How fresh what the map shows is, for the line under its title (below the districts an
    event metric may stand in for the chosen indicator); "" when nothing is dated."""
    return common.as_of_text((freshness.feed_of(ind),), replace(state, indicator=ind.code),
                             runtime, THEME) or ""


def target_text(value: float | None, ind: Indicator, lang: str) -> str | None:
    """A target or alert line as the cards write it: +6.5% for growth, else the level in the
    indicator's unit; None for none."""
    if value is None or pd.isna(value):
        return None
    if ind.is_growth:
        return f"{value:+g}%"
    return i18n.quantity(value, ind, lang, decimals=0 if value % 1 == 0 else 1)


def kpi_texts(row, ind: Indicator, lang: str, stale: set[str] = frozenset()) -> dict:
    """Return what a KPI card says for one row of ``Queries.kpis``: name, value, target (the
    row's: the one in force for its year and district), change, arrow, arrow_good, status,
    as_of, stale (its feed is overdue: ``stale`` holds the overdue feeds) (the overview's
    cards and the wall's tiles)."""
    yoy_basis = ind.is_growth
    headline = None if pd.isna(row.headline) else row.headline
    value = i18n.change(headline, ind, lang) if yoy_basis else i18n.quantity(headline, ind, lang)
    target = target_text(getattr(row, "target", ind.target), ind, lang)
    prev = None if pd.isna(row.previous) else row.previous
    if headline is None or prev is None or abs(headline - prev) < 1e-9:
        arrow, good = "▬", None
    else:
        up = headline > prev
        arrow, good = ("▲" if up else "▼"), (up == (ind.better == "higher"))
    change = None
    if yoy_basis and not pd.isna(row.value):
        change = i18n.quantity(row.value, ind, lang)
    elif not yoy_basis and not pd.isna(row.yoy):
        change = f"{i18n.t('yoy', lang)} {i18n.change(row.yoy, ind, lang)}"
    name = ind.name_en if lang == "en" else ind.name_zh
    if yoy_basis:
        name += f" {i18n.t('yoy', lang)}"
    elif ind.is_cumulative:         # the year's running total: January to the range's end
        name += f" {i18n.t('ytd', lang)}"
    return {"code": ind.code, "name": name, "value": value, "target": target,
            "change": change, "arrow": arrow, "arrow_good": good, "status": row.status,
            "as_of": figures.as_of_label(row.last, ind.frequency),
            "stale": freshness.feed_of(ind) in stale}


def scope_below_districts(s: st.FilterState) -> bool:
    """Whether the state's scope lies below the districts (a township, a grid cell, shapes
    picked among them): the statistics, air and water there are their district's."""
    return bool(s.township) or bool(s.picked) and s.map_level != st.LEVELS[0]


def kpi_basis(row, ind: Indicator, lang: str, below_districts: bool) -> dict:
    """What a KPI card says its value rests on (``overview.kpi_card``'s basis, basis_hint,
    few). An event or case metric, its count (214件; ``few`` when ``alerts.rests_on_few``);
    below the districts, a statistic, air or water card shows its district's figure and
    says so."""
    events = getattr(row, "events", None)
    if events is not None and not pd.isna(events):
        basis = i18n.t("count_n", lang).format(n=i18n.number(events, lang, 0))
        few = alerts.rests_on_few(events) and not pd.isna(row.headline)
        hint = i18n.t("few_events", lang).format(n=alerts.MIN_ALERT_EVENTS) if few else None
        return {"basis": basis, "basis_hint": hint, "few": few}
    if below_districts and ind.kind != "events":
        return {"basis": i18n.t("kpi_district_figure", lang),
                "basis_hint": i18n.t("kpi_district_figure_hint", lang), "few": False}
    return {}


def kpi_cards(frame: pd.DataFrame, catalogue: catalog.Catalogue, lang: str,
              stale: set[str] = frozenset(), below_districts: bool = False,
              card_type: str = Overview.KPI_CARD) -> list:
    """Return the KPI cards for the ``Queries.kpis`` frame; ``below_districts``: its area is
    a township, a grid cell or some of them (the cards that stay at the district say so);
    ``card_type``: the pattern-matching ID type of the screen's cards."""
    return [overview.kpi_card(**kpi_texts(row, catalogue.get(row.code), lang, stale),
                              **kpi_basis(row, catalogue.get(row.code), lang, below_districts),
                              lang=lang, card_type=card_type)
            for row in frame.itertuples()]


def state_kpi_cards(s: st.FilterState, runtime, card_type: str = Overview.KPI_CARD) -> list:
    """The KPI cards of a state's area and time range (the overview's, the phone view's)."""
    return kpi_cards(runtime.queries.kpis(s.scope, s.start, s.end), runtime.catalogue, s.lang,
                     runtime.stale_feeds(), scope_below_districts(s), card_type)


def fitted_map(s: st.FilterState, runtime, size: tuple[int, int], url=lambda path: path,
               fit: tuple[int, int] | None = None):
    """The map of a state on a canvas of ``size``, its areas fitted to ``fit`` (the map's
    part of it; the whole canvas if None): the phone view's. The same layer, colours and
    names as the overview's, geometry and style by URL (``url``: the app's relative path of
    a route)."""
    frame, ind, geojson, _ = map_layer(s, runtime)
    shapes = runtime.shapes_within(s.map_level, s.township or s.district)
    center, zoom = map_view(tuple(shapes.total_bounds), *(fit or size))
    return figures.choropleth(
        frame, ind, geojson_url=url(geojson), style_url=url(map_style_path(s, THEME)),
        center=center, zoom=zoom, size=size, theme=THEME, lang=s.lang,
        selected=s.picked or s.area, view_key=s.township or s.district or "city",
        level=s.map_level)


#: The most bars the ranking holds (its panel gives each ~18 px: every name legible);
#: past it, the worst.
RANKING_MAX_BARS = 24


def ranking_frame(s: st.FilterState, runtime) -> tuple[pd.DataFrame, str, str | None]:
    """Return what the ranking ranks for a state: (frame, level, note). It follows the map:
    the districts, a district's townships, a township's (or, at the cells grain, the area's)
    grid cells, each with the events its value rests on. An indicator without figures below
    the districts stays by district and the note says so; past RANKING_MAX_BARS areas the
    worst are kept (those with a value first) and the note says how many of how many."""
    q, ind = runtime.queries, runtime.catalogue.get(s.indicator)
    level = s.map_level
    if level == st.LEVELS[0] or ind.kind != "events":
        frame = q.indicator_by_district(ind.code, s.start, s.end)
        note = None if level == st.LEVELS[0] else i18n.t(f"ranking_no_{level}", s.lang)
        return frame, st.LEVELS[0], note
    frame = q.event_metric_by_area(ind.code, s.township or s.district, s.start, s.end,
                                   cells=s.grain == "cells")
    if len(frame) <= RANKING_MAX_BARS:
        return frame, level, None
    worst_first = 1 if ind.better == "higher" else -1
    kept = frame.assign(_key=frame["headline"] * worst_first).sort_values(
        ["_key", "area_code"], na_position="last").head(RANKING_MAX_BARS)
    valued = int(frame["headline"].notna().sum())
    if valued > int(kept["headline"].notna().sum()):
        note = i18n.t("ranking_worst", s.lang).format(shown=len(kept), total=len(frame))
    else:       # every area with a value is shown: only some without one are left out
        note = i18n.t("ranking_more_without_data", s.lang).format(n=len(frame) - len(kept))
    return kept.drop(columns="_key"), level, note


@common.reads("indicator")
def ranking_chart(s: st.FilterState, runtime, theme):
    """The areas the map shows ranked by the indicator, with the events each value rests
    on; the chosen ones outlined."""
    ind = runtime.catalogue.get(s.indicator)
    if ind.code in catalog.CITY_ONLY:
        return figures.empty(theme, f"{i18n.t('ranking', s.lang)} · "
                             f"{figures.indicator_title(ind, s.lang)}",
                             i18n.t("svc_not_by_district", s.lang))
    frame, level, note = ranking_frame(s, runtime)
    selected = s.scope_districts if level == st.LEVELS[0] else s.picked or s.area
    return figures.ranking(frame, ind, theme=theme, lang=s.lang, selected=selected,
                           level=level, note=note)


@common.reads("indicator")
def trend_chart(s: st.FilterState, runtime, theme):
    """The indicator's monthly trend for the city or the district, against the target of
    each year shown (the district's own where it has one)."""
    ind = runtime.catalogue.get(s.indicator)
    frame = runtime.queries.indicator_monthly(s.indicator, s.scope_districts)
    if frame["value"].notna().sum() == 0:
        return figures.empty(theme, figures.indicator_title(ind, s.lang),
                             i18n.t("no_data", s.lang))
    district = s.scope_districts if isinstance(s.scope_districts, str) else None
    years = sorted({pd.Timestamp(p).year for p in frame.dropna(subset=["value"])["period"]})
    steps = [(year, runtime.catalogue.target(ind.code, year, district).target)
             for year in years]
    return figures.trend(frame, ind, theme=theme, lang=s.lang, start=s.start, end=s.end,
                         targets=steps)


@common.reads("air_hourly")
def air_chart(s: st.FilterState, runtime, theme):
    """The daily AQI of the city or the district."""
    frame = runtime.queries.aqi_daily(s.scope_districts)
    if frame.empty:       # a city loaded without air readings
        return figures.empty(theme, i18n.t("air", s.lang), i18n.t("no_data", s.lang))
    return figures.aqi_daily(frame, theme=theme, lang=s.lang, start=s.start, end=s.end)


@common.reads("grid_events")
def events_status_chart(s: st.FilterState, runtime, theme):
    """Events reported per month, by their current stage."""
    frame = runtime.queries.events_monthly_by_status(s.scope)
    if frame.empty:
        return figures.empty(theme, i18n.t("events_status", s.lang), i18n.t("no_data", s.lang))
    return figures.events_by_status(frame, theme=theme, lang=s.lang, start=s.start, end=s.end)


@common.reads("grid_events")
def events_category_chart(s: st.FilterState, runtime, theme):
    """Events per category (大类) over the range, in the store's vocabulary; drilled into a
    category (``s.category``, a click on its bar), its second-level categories (小类)."""
    vocabulary = runtime.queries.event_vocabulary()
    if s.category in vocabulary.categories:
        frame = runtime.queries.events_by_subcategory(s.scope, s.start, s.end, s.category)
        names, parent = vocabulary.subcategories, vocabulary.categories[s.category]
    else:
        frame = runtime.queries.events_by_category(s.scope, s.start, s.end)
        names, parent = vocabulary.categories, None
    if frame.empty:
        title = (i18n.t("events_subcategory", s.lang).format(
            name=parent[1 if s.lang == "en" else 0]) if parent else
            i18n.t("events_category", s.lang))
        return figures.empty(theme, title, i18n.t("no_data", s.lang))
    return figures.events_by_category(frame, theme=theme, lang=s.lang, names=names,
                                      parent=parent)


@common.reads("indicator")
def map_chart(s: st.FilterState, runtime, theme):
    """The map as a file: the same layer, colours and names, its shapes and style inline (a
    file cannot fetch the app's URLs; kaleido draws it in Chromium's WebGL)."""
    import json

    frame, ind, _, title = map_layer(s, runtime)
    shapes = runtime.shapes_within(s.map_level, s.township or s.district)
    width, height = export.SIZE
    # fitted to the file's frame (less the title, colour bar and footnote)
    center, zoom = map_view(tuple(shapes.total_bounds), width - 140, height - 130)
    return figures.choropleth(
        frame, ind, geojson_url=json.loads(to_geojson(shapes)),
        style_url=map_style(theme, label_points(shapes, name_property(s.map_level, s.lang))),
        center=center, zoom=zoom, size=export.SIZE, theme=theme, lang=s.lang,
        selected=s.picked or s.area, title=title,
        view_key=s.township or s.district or "city", level=s.map_level)


CHARTS: dict[str, common.Chart] = {
    Overview.MAP: map_chart,
    Overview.TREND: trend_chart,
    Overview.AIR: air_chart,
    Overview.EVENTS_STATUS: events_status_chart,
    Overview.RANKING: ranking_chart,
    Overview.EVENTS_CATEGORY: events_category_chart,
}
