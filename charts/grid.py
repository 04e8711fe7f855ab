"""The grid-governance screen's charts and tables: life cycle, handling times, categories by
channel, departments, overdue events."""

from __future__ import annotations

import pandas as pd

import i18n
from charts import common
from charts import state as st
from data.supervision import SUPERVISE
from layouts import figures, grid
from layouts.ids import Grid


def _round(value, digits: int = 1):
    return None if value is None or pd.isna(value) else round(float(value), digits)


def department_rows(frame: pd.DataFrame, lang: str) -> list[dict]:
    """The department table's rows: names in the language, rates to one decimal."""
    return [{"name": row["name_en"] if lang == "en" else row["name_zh"], "n": int(row["n"]),
             **{key: _round(row[key]) for key in ("closure_rate", "on_time_rate",
                                                   "satisfaction_rate", "mean_hours")}}
            for _, row in frame.iterrows()]


def _supervision_mark(item: dict | None, lang: str) -> str:
    """督办中 for an event under an open 督办, 已超期 past the 督办's own deadline, else ""."""
    return "" if item is None else i18n.t("sv_overdue" if item["overdue"] else "sv_open_state",
                                          lang)


def overdue_rows(frame: pd.DataFrame, runtime, lang: str) -> list[dict]:
    """The overdue list's rows: where (district › township), category, department, hours,
    and whether a 督办 on it is open (督办中, or 已超期 past its own deadline)."""
    names = runtime.names(lang)
    categories = runtime.queries.event_vocabulary().names("category", lang)
    supervised = runtime.supervision.under_supervision(frame["event_id"].tolist())
    return [{"event_id": str(row["event_id"]),
             "supervision": _supervision_mark(supervised.get(int(row["event_id"])), lang),
             "where": f"{names.get(row['district_code'], row['district_code'])} › "
                      f"{names.get(row['township_code'], row['township_code'])}",
             "category": categories.get(row["category"], row["category"]),
             "department": names.get(row["department_code"], row["department_code"]),
             "hours_overdue": _round(row["hours_overdue"], 0)}
            for _, row in frame.iterrows()]


#: How many of a cell's open events its list shows, and how many cells the list to choose
#: one from shows (the panel scrolls; past these, the event table is the place to look).
CELL_EVENTS_SHOWN = 50
CELLS_SHOWN = 15


def cell_event_rows(frame: pd.DataFrame, runtime, lang: str) -> list[dict]:
    """A grid cell's open events as its list shows them (``frame`` from
    ``Queries.open_events``, overdue first): event_id, hours_overdue (below 0: hours left),
    category and department names, the 督办 mark ("" when none is open) and whether that
    督办 is past its own deadline."""
    names = runtime.names(lang)
    categories = runtime.queries.event_vocabulary().names("category", lang)
    supervised = runtime.supervision.under_supervision(frame["event_id"].tolist())
    rows = []
    for _, row in frame.iterrows():
        item = supervised.get(int(row["event_id"]))
        rows.append({"event_id": int(row["event_id"]),
                     "hours_overdue": float(row["hours_overdue"]),
                     "category": categories.get(row["category"], row["category"]),
                     "department": names.get(row["department_code"], row["department_code"]),
                     "supervision": _supervision_mark(item, lang),
                     "supervision_overdue": bool(item and item["overdue"])})
    return rows


def cell_rows(frame: pd.DataFrame, runtime, lang: str) -> list[dict]:
    """The cells to choose from (``frame`` from ``Queries.open_events_by_cell``): cell,
    name, township (name), n_open, n_overdue."""
    names = runtime.names(lang)
    return [{"cell": row["grid_code"], "name": names.get(row["grid_code"], row["grid_code"]),
             "township": names.get(row["township_code"], row["township_code"]),
             "n_open": int(row["n_open"]), "n_overdue": int(row["n_overdue"])}
            for _, row in frame.iterrows()]


def cell_panel(s: st.FilterState, runtime) -> list:
    """The grid-cell panel's content: with a cell chosen, its open events to supervise;
    otherwise the area's cells with the most overdue open events, to choose one."""
    q, lang = runtime.queries, s.lang
    if not s.cell:
        frame = q.open_events_by_cell(s.scope, s.start, s.end, CELLS_SHOWN)
        return grid.cell_choices(i18n.t("gc_pick_hint", lang), cell_rows(frame, runtime, lang),
                                 lang)
    counts = q.open_events_by_cell(s.cell, s.start, s.end, 1)
    n_open, n_late = ((int(counts["n_open"].iloc[0]), int(counts["n_overdue"].iloc[0]))
                      if len(counts) else (0, 0))
    rows = cell_event_rows(q.open_events(s.cell, s.start, s.end, CELL_EVENTS_SHOWN), runtime,
                           lang)
    head = i18n.t("gc_cell_line", lang).format(cell=runtime.names(lang).get(s.cell, s.cell),
                                               n=n_open, late=n_late)
    if n_open > len(rows):
        head += i18n.t("gc_first", lang).format(shown=len(rows))
    return grid.cell_events(head, rows, lang, runtime.principal.may(SUPERVISE))


@common.reads("grid_events")
def funnel_chart(s: st.FilterState, runtime, theme):
    """The life cycle from 上报 to 结案, with the events returned for rework."""
    frame = runtime.queries.event_funnel(s.scope, s.start, s.end)
    if not frame["n"].any():
        return figures.empty(theme, i18n.t("funnel", s.lang), i18n.t("no_data", s.lang))
    return figures.funnel(frame, theme=theme, lang=s.lang)


@common.reads("grid_events")
def handling_chart(s: st.FilterState, runtime, theme):
    """Handling times of closed events, on time or late, against the median deadline."""
    q = runtime.queries
    return figures.handling_histogram(q.handling_time_histogram(s.scope, s.start, s.end),
                                      q.deadline_hours(s.scope, s.start, s.end),
                                      theme=theme, lang=s.lang)


@common.reads("grid_events")
def matrix_chart(s: st.FilterState, runtime, theme):
    """Events by category and by the channel they came in through."""
    vocabulary = runtime.queries.event_vocabulary()
    return figures.category_source_matrix(
        runtime.queries.category_by_source(s.scope, s.start, s.end), theme=theme, lang=s.lang,
        categories=vocabulary.categories, channels=vocabulary.channels)


CHARTS: dict[str, common.Chart] = {
    Grid.FUNNEL: funnel_chart,
    Grid.HANDLING: handling_chart,
    Grid.MATRIX: matrix_chart,
}
