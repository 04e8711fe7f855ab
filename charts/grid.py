"""The grid-governance screen's charts and tables: life cycle, handling times, categories by
channel, departments, overdue events."""

from __future__ import annotations

import pandas as pd

import i18n
from charts import common
from charts import state as st
from layouts import figures
from layouts.ids import Grid


def _round(value, digits: int = 1):
    return None if value is None or pd.isna(value) else round(float(value), digits)


def department_rows(frame: pd.DataFrame, lang: str) -> list[dict]:
    """The department table's rows: names in the language, rates to one decimal."""
    return [{"name": row["name_en"] if lang == "en" else row["name_zh"], "n": int(row["n"]),
             **{key: _round(row[key]) for key in ("closure_rate", "on_time_rate",
                                                   "satisfaction_rate", "mean_hours")}}
            for _, row in frame.iterrows()]


def overdue_rows(frame: pd.DataFrame, runtime, lang: str) -> list[dict]:
    """The overdue list's rows: where (district › township), category, department, hours,
    and whether a 督办 on it is open (督办中, or 已超期 past its own deadline)."""
    names = runtime.names(lang)
    categories = runtime.queries.event_vocabulary().names("category", lang)
    supervised = runtime.supervision.under_supervision(frame["event_id"].tolist())

    def mark(event_id) -> str:
        item = supervised.get(int(event_id))
        return ("" if item is None else
                i18n.t("sv_overdue" if item["overdue"] else "sv_open_state", lang))
    return [{"event_id": str(row["event_id"]), "supervision": mark(row["event_id"]),
             "where": f"{names.get(row['district_code'], row['district_code'])} › "
                      f"{names.get(row['township_code'], row['township_code'])}",
             "category": categories.get(row["category"], row["category"]),
             "department": names.get(row["department_code"], row["department_code"]),
             "hours_overdue": _round(row["hours_overdue"], 0)}
            for _, row in frame.iterrows()]


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
