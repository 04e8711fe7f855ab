"""Every component ID, in one place: one StrEnum per screen, kebab-case, screen-prefixed."""

from enum import StrEnum


class Shell(StrEnum):
    URL = "app-url"             # outside the page: picks the page to render
    PAGE_URL = "app-page-url"   # inside the page: its query string feeds the filter store
    FILTERS = "app-filters"
    PAGE = "app-page"
    NOTICE = "app-notice"
    URL_WRITER = "app-url-writer"
    CLOCK = "app-clock"
    CLOCK_TICK = "app-clock-tick"
    LANG_LINK = "app-lang-link"


class Overview(StrEnum):
    INDICATOR = "ops-indicator"
    FILTER_TEXT = "ops-filter-text"
    CLEAR = "ops-clear"
    KPIS = "ops-kpis"
    MAP = "ops-map"
    TREND = "ops-trend"
    AIR = "ops-air"
    EVENTS_STATUS = "ops-events-status"
    EVENTS_CATEGORY = "ops-events-category"
    RANKING = "ops-ranking"
    KPI_CARD = "ops-kpi-card"   # pattern-matching type: {"type": KPI_CARD, "code": ALL}
    BREADCRUMBS = "ops-breadcrumbs"
    LAYERS = "ops-layers"
    TIME_SLIDER = "ops-time-slider"
    STEP = "ops-step"
    PLAY = "ops-play"
    PLAY_TICK = "ops-play-tick"
    MAP_LEGEND = "ops-map-legend"
    MAP_DRAWN = "ops-map-drawn"   # the filter query the page's map was first drawn for
    CRUMB = "ops-crumb"         # pattern-matching type: {"type": CRUMB, "level": ALL}
