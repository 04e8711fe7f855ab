"""Every component ID, in one place: one StrEnum per screen, kebab-case, screen-prefixed.

``Shell`` is on every screen; ``Bar(prefix)`` names the filter bar's components of one
screen (the overview's prefix is ``ops``: ``ops-clear``, ``ops-time-slider``...).
"""

from dataclasses import dataclass
from enum import StrEnum


class Shell(StrEnum):
    URL = "app-url"             # outside the page: picks the page to render
    FILTERS = "app-filters"
    PAGE = "app-page"
    NOTICE = "app-notice"
    URL_WRITER = "app-url-writer"
    CLOCK = "app-clock"
    CLOCK_TICK = "app-clock-tick"
    LANG_LINK = "app-lang-link"
    NAV = "app-nav"             # pattern-matching type: {"type": NAV, "screen": ALL}
    FILTER_TEXT = "app-filter-text"
    EXPORT = "app-export"       # pattern-matching type: {"type": EXPORT, "chart", "fmt": ALL}


@dataclass(frozen=True)
class Bar:
    """The filter bar's IDs on one screen, ``<prefix>-<part>``: every screen has its own, so
    each screen's filter controller listens only to components of its screen (Dash reports a
    callback whose inputs are partly on the page as an error, and never runs it)."""

    prefix: str

    def __getattr__(self, part: str) -> str:
        if part not in _BAR_PARTS:
            raise AttributeError(part)
        return f"{self.prefix}-{part.lower().replace('_', '-')}"


_BAR_PARTS = ("PAGE_URL", "INDICATOR", "DISTRICT", "CLEAR", "TIME_SLIDER", "STEP", "PLAY",
              "PLAY_TICK", "BREADCRUMBS", "CRUMB", "QUICK_RANGE")   # CRUMB: a pattern-matching type


class Overview(StrEnum):
    PREFIX = "ops"
    KPIS = "ops-kpis"
    MAP = "ops-map"
    TREND = "ops-trend"
    AIR = "ops-air"
    EVENTS_STATUS = "ops-events-status"
    EVENTS_CATEGORY = "ops-events-category"
    RANKING = "ops-ranking"
    KPI_CARD = "ops-kpi-card"   # pattern-matching type: {"type": KPI_CARD, "code": ALL}
    LAYERS = "ops-layers"
    GRAIN = "ops-grain"
    MAP_LEGEND = "ops-map-legend"
    MAP_DRAWN = "ops-map-drawn"   # the filter query the page's map was first drawn for


class Grid(StrEnum):
    PREFIX = "grid"
    FUNNEL = "grid-funnel"
    HANDLING = "grid-handling"
    MATRIX = "grid-matrix"
    DEPARTMENTS = "grid-departments"
    OVERDUE = "grid-overdue"
    #: the open events of the chosen grid cell, or the cells to choose from
    CELL_EVENTS = "grid-cell-events"
    CELL_PICK = "grid-cell-pick"            # pattern-matching type: {"type", "cell": ALL}
    CELL_SUPERVISE = "grid-cell-supervise"  # pattern-matching type: {"type", "event": ALL}


class Events(StrEnum):
    PREFIX = "evt"
    TABLE = "evt-table"
    COUNT = "evt-count"
    CSV = "evt-csv"
    XLSX = "evt-xlsx"
    #: Written by the clientside callback that sends the grid back to its first rows when
    #: the filter store changes (its output; nothing reads it).
    RESET = "evt-reset"


class Environment(StrEnum):
    PREFIX = "env"
    POLLUTANT = "env-pollutant"
    CALENDAR = "env-calendar"
    TRENDS = "env-trends"
    STATIONS = "env-stations"
    WATER = "env-water"


class Economy(StrEnum):
    PREFIX = "eco"
    VS = "eco-vs"
    MULTIPLES = "eco-multiples"
    CHANGES = "eco-changes"
    SHARES = "eco-shares"
    COMPARE = "eco-compare"


class Tasks(StrEnum):
    PREFIX = "tsk"
    DEPARTMENTS = "tsk-departments"   # the chart: tasks by lead department and status
    DEPARTMENT = "tsk-department"     # the screen's own filters
    STATUS = "tsk-status"
    COUNT = "tsk-count"
    XLSX = "tsk-xlsx"
    MILESTONES = "tsk-milestones"
    TABLE = "tsk-table"
    DETAIL = "tsk-detail"
    TIMELINE = "tsk-timeline"


class Services(StrEnum):
    PREFIX = "svc"
    KPIS = "svc-kpis"
    KPI_CARD = "svc-kpi-card"   # pattern-matching type: {"type": KPI_CARD, "code": ALL}
    RATES = "svc-rates"
    CASES = "svc-cases"
    RATINGS = "svc-ratings"
    DEPARTMENTS = "svc-departments"
    DISTRICTS = "svc-districts"
    TABLE = "svc-table"
    NOTE = "svc-note"


class Report(StrEnum):
    PREFIX = "rpt"
    MONTH = "rpt-month"
    SECTIONS = "rpt-sections"
    DOWNLOAD = "rpt-download"   # pattern-matching type: {"type": DOWNLOAD, "fmt": ...}
    SUMMARY = "rpt-summary"
    KPIS = "rpt-kpis"
    FIGURES = "rpt-figures"
    PROGRESS = "rpt-progress"   # the line saying a file is building (assets/citybrain.js)


class Datasets(StrEnum):
    PREFIX = "dat"
    KIND = "dat-kind"
    SHEET = "dat-sheet"
    SOURCE_CRS = "dat-source-crs"
    UPLOAD = "dat-upload"
    RESULT = "dat-result"
    FEEDS = "dat-feeds"
    TARGETS = "dat-targets"


class Command(StrEnum):
    """The 指挥调度 screen (/command): open alerts and who holds them, one-click steps."""
    PREFIX = "cmd"
    SUMMARY = "cmd-summary"         # counts by department and district
    LIST = "cmd-list"               # the open alerts, escalated and overdue first
    STEP = "cmd-step"               # pattern-matching type: {"type": STEP, "step": ..., "key": ...}
    CHOSEN = "cmd-chosen"           # the alert the step form acts on (a store)
    CHOSEN_TEXT = "cmd-chosen-text"
    FORM = "cmd-form"               # the step form; its class shows the step's fields
    FORM_STEP = "cmd-form-step"     # the step the form does: assign, resolve, silence (a store)
    DEPARTMENT = "cmd-department"
    DEADLINE = "cmd-deadline"
    NOTE = "cmd-note"
    UNTIL = "cmd-until"             # silence: until when (the centre's time)
    REASON = "cmd-reason"           # silence: why
    ASSIGN = "cmd-assign"           # the step form's button (worded as its step)
    MESSAGE = "cmd-message"         # what the last step did, or why it was refused
    VERSION = "cmd-version"         # bumped by every step: the list is drawn again
    SUPERVISION = "cmd-supervision"  # the 督办 panel (charts/supervision.command_panel)
    REMIND = "cmd-remind"           # pattern-matching type: {"type": REMIND, "event": <id>}, 催办


class Wall(StrEnum):
    """The wall (/wall, or any screen with ?mode=wall). A scene's parts are
    ``wall-<scene>-<part>`` (``part_id``)."""
    PREFIX = "wall"
    ROOT = "wall-root"
    CONFIG = "wall-config"          # the playlist and refresh the page was asked for
    REFRESH = "wall-refresh"        # the interval that asks for changed figures
    SHOWN = "wall-shown"            # fingerprints of what the page shows, part -> hash
    ALERTS = "wall-alerts"          # the standing alerts (data for the banner and rotation)
    BANNER = "wall-banner"
    ROTATOR = "wall-rotator"        # a hidden output of the clientside rotation callback
    AS_OF = "wall-as-of"            # the header's data as-of, refreshed with the parts

    @staticmethod
    def part_id(scene: str, part: str) -> str:
        return f"wall-{scene}-{part}"

    @staticmethod
    def scene_id(scene: str) -> str:
        return f"wall-scene-{scene}"


@dataclass(frozen=True)
class SupervisePanel:
    """The 督办 panel's IDs on one screen (layouts/supervision.panel: the event table, the
    overdue list), ``<prefix>-sv-<part>``, as ``Bar``: each screen's callbacks listen to their
    own panel only."""

    prefix: str

    def __getattr__(self, part: str) -> str:
        if part not in _SUPERVISE_PARTS:
            raise AttributeError(part)
        return f"{self.prefix}-sv-{part.lower().replace('_', '-')}"


#: EVENT: the chosen event's id (a store); VERSION: bumped by every step (the history is
#: drawn again); the rest are the panel's components.
_SUPERVISE_PARTS = ("PANEL", "EVENT", "VERSION", "CLOSE", "TITLE", "HISTORY", "FORM",
                    "DEPARTMENT", "DEADLINE", "NOTE", "ISSUE", "REMIND", "ANSWER", "MESSAGE")


class Phone(StrEnum):
    """The leader's phone view (/m): one column at 390 px, its own URL (no filter bar)."""
    PREFIX = "m"
    URL = "m-url"                   # the view's state is its query string (district, indicator, lang)
    TICK = "m-tick"                 # redraws the alerts and 督办 every minute
    SCOPE = "m-scope"               # the area shown and the links to the others
    KPIS = "m-kpis"
    KPI_CARD = "m-kpi-card"         # pattern-matching type: a card's click shows it on the map
    MAP = "m-map"
    MAP_TITLE = "m-map-title"
    LANG = "m-lang"                 # the language link (keeps the area chosen since)
    ALERTS = "m-alerts"
    ALERT_COUNT = "m-alert-count"
    STEP = "m-step"                 # pattern-matching type: {"type": STEP, "step": ..., "key": ...}
    CHOSEN = "m-chosen"             # the alert the assign form acts on (a store)
    CHOSEN_TEXT = "m-chosen-text"
    FORM = "m-form"                 # the assign form, shown once an alert is chosen
    DEPARTMENT = "m-department"
    DEADLINE = "m-deadline"
    NOTE = "m-note"
    ASSIGN = "m-assign"
    CANCEL = "m-cancel"
    MESSAGE = "m-message"
    VERSION = "m-version"           # bumped by every step: the alerts are drawn again
    SUPERVISION = "m-supervision"
    SUPERVISION_COUNT = "m-supervision-count"
    GLANCE = "m-glance"             # the counts at the top, linking down to their lists
    PERIOD = "m-period"             # the KPI cards' period
    MORE = "m-more"                 # pattern-matching type: {"type": MORE, "list": ...}
    EXPANDED = "m-expanded"         # the lists shown whole (a store: redraws keep it)
    DUE = "m-due"                   # pattern-matching type: a deadline's one-tap choice
    SCROLLER = "m-scroller"         # a hidden output of the clientside scrolling
    DIGEST = "m-digest"             # what the lists last showed: an unchanged minute redraws nothing
