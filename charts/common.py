"""What every screen's charts share: the chart contract, freshness marks and titles, the
trail of area names, the filter line, the time slider's model and the filter store's
payload. Dash-free."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

import i18n
from charts import state as st
from data import freshness
from data.calendar import shift_months
from layouts import figures
from layouts.theme import SUBTITLE_ROOM, TOP_MARGIN
from settings import local_now


class Chart(Protocol):
    """A chart function: the filter state, the runtime and a theme -> a plotly figure. The
    same function draws the screen, the wall, the exported file and the report's figure.
    ``feeds`` (set by ``reads``) names the feeds its data comes from."""

    feeds: tuple[str, ...]

    def __call__(self, state: st.FilterState, runtime: Any, theme: Any) -> Any: ...


def slider_model(state: st.FilterState, context: st.Context) -> dict:
    """Return the time slider's range (days since the store's first day, ``first_day``), its
    marks (each year's first month labelled, every month a tick) and the state's position on
    it."""
    marks, month = {}, context.first_day.replace(day=1)
    while month <= context.last_day:
        if month >= context.first_day:
            label = str(month.year) if month.month == 1 else ""
            marks[st.day_index(context, month)] = label
        month = shift_months(month, 1)
    return {"max": st.day_index(context, context.last_day), "marks": marks,
            "first_day": context.first_day.isoformat(),
            "value": [st.day_index(context, state.start), st.day_index(context, state.end)]}


def store_payload(state: st.FilterState, from_url: bool = False) -> dict:
    """Return what the filter store holds: the state and the URLs derived from it.

    ``from_url`` marks a state read from the address bar: the browser then replaces its
    history entry instead of adding one, so Back leaves the page rather than repeating it.
    """
    other = "en" if state.lang == "zh" else "zh"
    return {**state.to_dict(), "query": st.to_query(state), "from_url": from_url,
            "lang_query": st.to_query(st.FilterState(**{**state.to_dict(), "lang": other}))}


def area_names(state: st.FilterState, runtime) -> list[str]:
    """Return the names along the drill-down trail: the city, district, township, cell."""
    names = runtime.names(state.lang)
    return [runtime.scope_name(state.lang),
            *[names[code] for code in (state.district, state.township, state.cell) if code]]


def area_text(state: st.FilterState, runtime) -> str:
    """Return the area the filters choose, as the filter line names it (章贡区 › 沙石镇, 全市,
    and how many shapes are picked on the map)."""
    names = area_names(state, runtime)
    where = " › ".join(names[1:]) if len(names) > 1 else (
        names[0] if runtime.principal.districts else i18n.t("whole_city", state.lang))
    if state.picked:
        where += f" · {i18n.t('picked', state.lang).format(n=len(state.picked))}"
    return where


def made_from(runtime, lang: str) -> list[tuple[str, str]]:
    """The last lines of what a download says about itself: its data's as-of, when it was
    made (the centre's clock) and from what (演示数据 for a demo)."""
    t = i18n.t
    source = runtime.source + (f" · {t('demo', lang)}" if runtime.is_demo else "")
    return [(t("about_as_of", lang), runtime.as_of.strftime("%Y-%m-%d %H:%M")),
            (t("about_made", lang),
             local_now(runtime.settings.time_zone).strftime("%Y-%m-%d %H:%M")),
            (t("about_source", lang), source)]


def department_names(runtime, lang: str) -> dict[str, str]:
    """The store's departments by code, named in ``lang`` (Chinese where no English)."""
    frame = runtime.queries.departments()
    return {row.code: (row.name_en if lang == "en" and row.name_en else row.name_zh)
            for row in frame.itertuples()}


def filter_text(state: st.FilterState, runtime) -> str:
    """Return the active filters as one line of text."""
    lang = state.lang
    where = area_text(state, runtime)
    ind = runtime.catalogue.get(state.indicator)
    text = (f"{i18n.t('filters', lang)}: {where} · {state.start} {i18n.t('to', lang)} {state.end}"
            f" · {figures.indicator_title(ind, lang)}")
    # the key-task screen's own filters, said wherever they travel
    if state.department:
        name = department_names(runtime, lang).get(state.department, state.department)
        text += f" · {i18n.t('task_lead', lang)}: {name}"
    if state.status:
        text += f" · {i18n.t('task_status', lang)}: {i18n.t(f'task_{state.status}', lang)}"
    return text


def reads(*feeds: str) -> Callable[[Callable[..., Any]], Chart]:
    """Mark a chart function with the feeds its data comes from (data/freshness.py; "indicator"
    is the state's indicator), so the screens can say how fresh it is."""
    def mark(function: Callable[..., Any]) -> Chart:
        function.feeds = feeds  # type: ignore[attr-defined]
        return cast(Chart, function)
    return mark


def as_of_text(feeds, state: st.FilterState, runtime, theme) -> str | None:
    """How fresh a chart's data is, for its title: the latest as-of of its feeds (a
    ``reads`` mark), and 数据过期 when one is overdue; None when none has data."""
    names = {freshness.feed_of(runtime.catalogue.get(state.indicator)) if feed == "indicator" else feed
             for feed in feeds}
    times = runtime.feed_times()
    dated = [times[name] for name in names if name in times and times[name][0] is not None]
    if not dated:
        return None
    as_of, frequency = max(dated, key=lambda pair: pair[0])
    text = f"{i18n.t('as_of', state.lang)} {figures.as_of_label(as_of, frequency)}"
    stale = bool(names & runtime.stale_feeds())
    if stale:
        text += f" · {i18n.t('stale', state.lang)}"
    return f"<span style='color:{theme.warn if stale else theme.muted}'>{text}</span>"


def with_as_of(figure, chart, state: st.FilterState, runtime, theme):
    """The chart's figure with how fresh its data is on the line under its title (beside the
    title, a long English title ran out of a narrow chart), before any note of its own."""
    text = as_of_text(getattr(chart, "feeds", ()), state, runtime, theme)
    if text:
        note = figure.layout.title.subtitle.text
        figure.layout.title.subtitle.text = f"{text} · {note}" if note else text
        if not note:     # a chart with a note of its own has made room for its line
            top = figure.layout.margin.t
            figure.layout.margin.t = (TOP_MARGIN if top is None else top) + SUBTITLE_ROOM
        figure.layout.title.subtitle.font = {"size": max(11, theme.font_size - 3)}
    return figure


