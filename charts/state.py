"""The shared filter state: one dict in one ``dcc.Store``, mirrored to the URL query string.

Pure functions, no Dash: parse a query string (dropping what is unknown or malformed, with a
notice), write one, and fold a user interaction into the state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from urllib.parse import parse_qsl, urlencode

from data import catalog
from data.calendar import month_end, month_start, shift_months, shift_range
from data.queries.key_tasks import KEY_TASK_STATUSES
from settings import LANGS

#: The map indicator a fresh screen opens with.
DEFAULT_INDICATOR = "fixed_asset_investment"
QUERY_KEYS = ("district", "township", "cell", "picked", "from", "to", "indicator", "lang",
              "layers", "step", "pollutant", "vs", "grain", "category", "department", "status")
#: The environment screen's station trends: which pollutant (codes of data.queries.POLLUTANTS).
POLLUTANT_CODES = ("aqi", "pm25", "pm10", "o3_8h", "no2", "so2", "co")
DEFAULT_POLLUTANT = "pm25"
#: How far the time slider's play button moves the window each tick.
STEPS = ("day", "week", "month")
#: Map layers over the choropleth, each toggled on its own.
MAP_LAYERS = ("stations", "water", "events", "warnings", "resources")
#: The map's levels, top down: the map shows the children of the deepest chosen area.
LEVELS = ("districts", "townships", "grid_cells")
#: What the map's shapes are: the chosen area's children, or every grid cell inside it.
GRAINS = ("areas", "cells")


@dataclass(frozen=True)
class FilterState:
    district: str | None
    start: str          # ISO date, inclusive
    end: str            # ISO date, inclusive
    indicator: str
    lang: str
    township: str | None = None   # drill-down below the district (always inside it)
    cell: str | None = None       # a grid cell (always inside the township)
    layers: tuple[str, ...] = ()  # map layers shown, in MAP_LAYERS order
    step: str = "month"           # the time slider's play step, one of STEPS
    picked: tuple[str, ...] = ()  # shapes chosen with the map's box or lasso (map level)
    pollutant: str = DEFAULT_POLLUTANT  # the environment screen's station trends
    vs: str | None = None         # the economy screen compares the district with this one
    grain: str = "areas"          # "cells": the map shows every grid cell inside the area
    category: str | None = None   # the category chart drilled into this 大类: its 小类 shown
    department: str | None = None  # the key-task screen's lead department (None: all)
    status: str | None = None     # the key-task screen's task status (KEY_TASK_STATUSES)

    def to_dict(self) -> dict:
        return {**asdict(self), "layers": list(self.layers), "picked": list(self.picked)}

    @classmethod
    def from_dict(cls, data: dict) -> "FilterState":
        values = {k: data.get(k) for k in ("district", "start", "end", "indicator", "lang",
                                           "township", "cell")}
        values["step"] = data.get("step", "month")
        values["pollutant"] = data.get("pollutant", DEFAULT_POLLUTANT)
        values["vs"] = data.get("vs")
        values["grain"] = data.get("grain", "areas")
        values["category"] = data.get("category")
        values["department"] = data.get("department")
        values["status"] = data.get("status")
        picked = data.get("picked") or ()
        values["picked"] = tuple(picked) if isinstance(picked, (list, tuple)) else ("?",)
        layers = data.get("layers") or ()
        return cls(**values, layers=tuple(layers) if isinstance(layers, (list, tuple))
                   else ("?",))

    @property
    def area(self) -> str | None:
        """The deepest chosen area's code (None: the whole city)."""
        return self.cell or self.township or self.district

    @property
    def scope(self) -> str | tuple[str, ...] | None:
        """What the charts filter to: the lasso's shapes if any, else the deepest area."""
        return self.picked or self.area

    @property
    def scope_districts(self) -> str | tuple[str, ...] | None:
        """The districts of the scope, for the charts that exist per district only."""
        if self.picked and self.map_level == LEVELS[0]:
            return self.picked
        return self.district

    @property
    def map_level(self) -> str:
        """What the map shows: the city's districts, a district's townships, or a
        township's grid cells (also when one cell is chosen); at the "cells" grain, every
        grid cell of the city or district."""
        if self.grain == "cells" or self.township:
            return LEVELS[2]
        return LEVELS[0] if not self.district else LEVELS[1]


@dataclass(frozen=True)
class Context:
    """What a state is checked against: the store's areas, date span and indicators."""

    districts: frozenset[str]
    first_day: dt.date
    last_day: dt.date
    default_lang: str = "zh"
    #: township code -> its district, grid-cell code -> its township
    townships: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    catalogue: catalog.Catalogue = catalog.BUILT_IN
    #: the store's event categories (大类) the category chart may drill into
    categories: frozenset[str] = frozenset(catalog.EVENT_CATEGORIES)
    #: the store's department codes (the key-task screen's lead departments are among them)
    departments: frozenset[str] = frozenset()

    def lineage(self, code: str | None) -> tuple[str | None, str | None, str | None] | None:
        """Return (district, township, cell) for any area code, None if it is unknown."""
        if code is None:
            return (None, None, None)
        if code in self.districts:
            return (code, None, None)
        if code in self.townships:
            return (self.townships[code], code, None)
        if code in self.cells:
            township = self.cells[code]
            return (self.townships.get(township), township, code)
        return None

    def default(self) -> FilterState:
        """The view a bare URL opens: the whole city, year to date, in the default language."""
        start = max(self.first_day, self.last_day.replace(month=1, day=1))
        return FilterState(None, start.isoformat(), self.last_day.isoformat(),
                           DEFAULT_INDICATOR, self.default_lang)


def _parse_day(raw: str, end_of_month: bool, last_day: dt.date) -> dt.date:
    """Parse 'YYYY-MM-DD' or 'YYYY-MM' (the month's first day, or its last day with data)."""
    if len(raw) == 7:
        first = dt.date.fromisoformat(raw + "-01")
        return min(month_end(first), last_day) if end_of_month else first
    return dt.date.fromisoformat(raw)


def parse_query(search: str | None, ctx: Context) -> tuple[FilterState, list[str]]:
    """Return the state a query string asks for, and the parameters that were dropped.

    Anything unknown, malformed or outside the store's span is dropped (and named in the
    returned list for a visible notice); the default fills its place. Never raises.
    """
    state = ctx.default()
    dropped: list[str] = []
    pairs = parse_qsl((search or "").lstrip("?"), keep_blank_values=True)
    seen: dict[str, str] = {}
    for key, value in pairs:
        if key not in QUERY_KEYS or key in seen:
            dropped.append(f"{key}={value}"[:80])
            continue
        seen[key] = value
    changes: dict = {}
    # the deepest valid area wins; its parents follow from it
    for key in ("district", "township", "cell"):
        if key not in seen:
            continue
        lineage = ctx.lineage(seen[key])
        level = ("district", "township", "cell").index(key)
        if lineage is None or lineage[level] != seen[key] or (
                changes.get("district") and lineage[0] != changes["district"]):
            dropped.append(f"{key}={seen[key]}"[:80])
            continue
        changes.update(district=lineage[0], township=lineage[1], cell=lineage[2])
    # parameters that take one value from a known list
    for key, allowed in (("indicator", ctx.catalogue), ("lang", LANGS), ("step", STEPS),
                         ("pollutant", POLLUTANT_CODES), ("vs", ctx.districts),
                         ("grain", GRAINS), ("category", ctx.categories),
                         ("department", ctx.departments), ("status", KEY_TASK_STATUSES)):
        if key not in seen:
            continue
        if seen[key] in allowed:
            changes[key] = seen[key]
        else:
            dropped.append(f"{key}={seen[key]}"[:80])
    if "picked" in seen:
        asked = tuple(code for code in seen["picked"].split(",") if code)
        state_so_far = replace(state, **changes)
        if picks_fit(state_so_far, asked, ctx):
            changes["picked"] = asked
        else:
            dropped.append(f"picked={seen['picked']}"[:80])
    if "layers" in seen:
        asked = [name for name in seen["layers"].split(",") if name]
        unknown = [name for name in asked if name not in MAP_LAYERS]
        if unknown:
            dropped.append(f"layers={','.join(unknown)}"[:80])
        changes["layers"] = tuple(name for name in MAP_LAYERS if name in asked)
    days = {}
    for key, end_of_month in (("from", False), ("to", True)):
        if key not in seen:
            continue
        try:
            day = _parse_day(seen[key], end_of_month, ctx.last_day)
        except ValueError:
            dropped.append(f"{key}={seen[key]}"[:80])
            continue
        if not ctx.first_day <= day <= ctx.last_day:
            dropped.append(f"{key}={seen[key]}"[:80])
            continue
        days[key] = day
    start = days.get("from", dt.date.fromisoformat(state.start))
    end = days.get("to", dt.date.fromisoformat(state.end))
    if "to" in days and "from" not in days and start > end:
        # only an end before the default start: that year to date, like the default view
        start = max(ctx.first_day, end.replace(month=1, day=1))
    if start > end:
        dropped += [f"{k}={seen[k]}"[:80] for k in ("from", "to")]
        start, end = dt.date.fromisoformat(state.start), dt.date.fromisoformat(state.end)
    changes.update(start=start.isoformat(), end=end.isoformat())
    return replace(state, **changes), dropped


def to_query(state: FilterState) -> str:
    """Return the query string (with '?') that reopens exactly this state."""
    params = {"from": state.start, "to": state.end, "indicator": state.indicator,
              "lang": state.lang}
    area = {k: v for k, v in (("district", state.district), ("township", state.township),
                              ("cell", state.cell)) if v}
    if state.layers:
        params["layers"] = ",".join(state.layers)
    if state.step != "month":
        params["step"] = state.step
    if state.pollutant != DEFAULT_POLLUTANT:
        params["pollutant"] = state.pollutant
    if state.vs:
        params["vs"] = state.vs
    if state.grain != "areas":
        params["grain"] = state.grain
    if state.category:
        params["category"] = state.category
    if state.department:
        params["department"] = state.department
    if state.status:
        params["status"] = state.status
    if state.picked:
        area["picked"] = ",".join(state.picked)
    return "?" + urlencode({**area, **params}, safe=",")


def valid_state(data: dict | None, ctx: Context) -> FilterState | None:
    """Return the state a store payload holds if every value in it is valid, else None.

    The store's contents come back from the browser with every callback, so they are checked
    as strictly as a URL.
    """
    if not isinstance(data, dict):
        return None
    try:
        state = FilterState.from_dict(data)
        start, end = dt.date.fromisoformat(state.start), dt.date.fromisoformat(state.end)
    except (TypeError, ValueError):
        return None
    # every single value must be a string (or None) before it is looked up anywhere
    singles = (state.district, state.township, state.cell, state.indicator, state.lang,
               state.step, state.pollutant, state.vs, state.grain, state.category,
               state.department, state.status)
    if not all(v is None or isinstance(v, str) for v in singles) or not all(
            isinstance(v, str) for v in (*state.layers, *state.picked)):
        return None
    if ctx.lineage(state.area) != (state.district, state.township, state.cell) \
            or state.indicator not in ctx.catalogue or state.lang not in LANGS \
            or not set(state.layers) <= set(MAP_LAYERS) or state.step not in STEPS \
            or state.pollutant not in POLLUTANT_CODES or state.grain not in GRAINS \
            or not (state.vs is None or state.vs in ctx.districts) \
            or not (state.category is None or state.category in ctx.categories) \
            or not (state.department is None or state.department in ctx.departments) \
            or not (state.status is None or state.status in KEY_TASK_STATUSES) \
            or not picks_fit(state, state.picked, ctx) \
            or not ctx.first_day <= start <= end <= ctx.last_day:
        return None
    return state


def picks_fit(state: FilterState, codes: tuple[str, ...], ctx: Context) -> bool:
    """True when every picked code is a shape the map shows for this state."""
    if not codes:
        return True
    if len(codes) > 2000 or len(set(codes)) != len(codes):
        return False
    parent = state.township or state.district
    for code in codes:
        lineage = ctx.lineage(code)
        if lineage is None:
            return False
        level = 0 if lineage[1] is None else 1 if lineage[2] is None else 2
        inside = lineage[level - 1] if level and state.township else lineage[0]
        if LEVELS[level] != state.map_level or (parent and inside != parent):
            return False
    return True


def pick(state: FilterState, codes, ctx: Context) -> FilterState:
    """Filter to the shapes a box or lasso selection covered; an empty selection clears it."""
    codes = tuple(dict.fromkeys(c for c in (codes or []) if isinstance(c, str)))
    if not picks_fit(state, codes, ctx):
        return state
    return replace(state, picked=codes)


def picked_codes(selected_data: dict | None) -> list[str]:
    """Return the area codes a map selection event carries (in customdata, deduplicated)."""
    try:
        points = selected_data["points"]
    except (TypeError, KeyError):
        return []
    codes = [point.get("customdata", point.get("location")) for point in points
             if isinstance(point, dict)]
    return list(dict.fromkeys(c for c in codes if isinstance(c, str)))


def select_district(state: FilterState, code: str | None, ctx: Context) -> FilterState:
    """Filter to a district; choosing the selected one again clears it (a toggle)."""
    if code is not None and code not in ctx.districts:
        return state
    return replace(state, district=None if code == state.district else code, township=None,
                   cell=None, picked=())


def choose_district(state: FilterState, code: str | None, ctx: Context) -> FilterState:
    """The district dropdown: that district (None: the whole city); not a toggle."""
    if code is not None and code not in ctx.districts:
        return state
    if code == state.district:
        return state
    return replace(state, district=code, township=None, cell=None, picked=())


def set_grain(state: FilterState, grain: str | None) -> FilterState:
    """Show the area's children or every grid cell inside it; the picks were of the other
    kind of shapes, so they go."""
    if grain not in GRAINS or grain == state.grain:
        return state
    return replace(state, grain=grain, picked=())


def set_pollutant(state: FilterState, code: str | None) -> FilterState:
    """Trend the stations' readings of another pollutant (unknown codes are ignored)."""
    return replace(state, pollutant=code) if code in POLLUTANT_CODES else state


def drill_category(state: FilterState, code: str | None, ctx: Context) -> FilterState:
    """A click on the category chart: a 大类's bar shows its 小类; a click on the drilled
    chart (any of its bars) goes back to the 大类. Unknown codes are ignored."""
    if state.category is not None:
        return replace(state, category=None)
    return replace(state, category=code) if code in ctx.categories else state


def set_task_department(state: FilterState, code: str | None, ctx: Context) -> FilterState:
    """The key-task screen's lead department (None: all); unknown codes are ignored."""
    if code is not None and code not in ctx.departments:
        return state
    return replace(state, department=code)


def toggle_task_department(state: FilterState, code: str | None,
                           ctx: Context) -> FilterState:
    """A click on a department's bar: its tasks, or all again if it was the one chosen."""
    if code is None:
        return state
    return set_task_department(state, None if code == state.department else code, ctx)


def set_task_status(state: FilterState, status: str | None) -> FilterState:
    """The key-task screen's task status (None: all); unknown statuses are ignored."""
    if status is not None and status not in KEY_TASK_STATUSES:
        return state
    return replace(state, status=status)


def set_vs(state: FilterState, code: str | None, ctx: Context) -> FilterState:
    """Compare the chosen district with another one (None: no comparison)."""
    if code is not None and code not in ctx.districts:
        return state
    return replace(state, vs=code)


def select_area(state: FilterState, code: str | None, ctx: Context) -> FilterState:
    """A click on the map: choose that district, township or grid cell (one level down).

    Choosing the chosen area again goes back up to its parent.
    """
    lineage = ctx.lineage(code)
    if lineage is None or code is None:
        return state
    if code == state.area:
        return up_to(state, ("district", "township", "cell").index(
            "cell" if state.cell else "township" if state.township else "district"))
    district, township, cell = lineage
    return replace(state, district=district, township=township, cell=cell, picked=())


def up_to(state: FilterState, level: int) -> FilterState:
    """Go back up to a breadcrumb: 0 the city, 1 the district, 2 the township."""
    return replace(state, district=state.district if level >= 1 else None,
                   township=state.township if level >= 2 else None, cell=None, picked=())


def select_range(state: FilterState, x0, x1, ctx: Context) -> FilterState:
    """Filter to the days a horizontal selection covers, clamped to the store's span."""
    try:
        a = dt.date.fromisoformat(str(x0)[:10])
        b = dt.date.fromisoformat(str(x1)[:10])
    except ValueError:
        return state
    a, b = sorted((a, b))
    a, b = max(a, ctx.first_day), min(b, ctx.last_day)
    if a > b:
        return state
    return replace(state, start=a.isoformat(), end=b.isoformat())


def set_layers(state: FilterState, names) -> FilterState:
    """Show these map layers (unknown names are ignored)."""
    names = names or []
    return replace(state, layers=tuple(n for n in MAP_LAYERS if n in names))


def set_step(state: FilterState, step: str | None) -> FilterState:
    """Play the time window by days, weeks or months (unknown steps are ignored)."""
    return replace(state, step=step) if step in STEPS else state


def day_index(ctx: Context, day: str | dt.date) -> int:
    """The time slider's position of a day: days since the store's first day."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return (d - ctx.first_day).days


#: A range the time slider leaves this many days long or longer snaps to whole months; a
#: shorter one keeps its days (近30天 moves a day at a time).
MONTH_SNAP_DAYS = 62


def select_days(state: FilterState, positions, ctx: Context) -> FilterState:
    """Filter to the days between two time-slider positions. A long range snaps to whole
    months in the direction its handle moved (``snap_to_months``), so one key press or a
    drag moves a month, not a day."""
    try:
        a, b = sorted(int(p) for p in positions)
    except (TypeError, ValueError):
        return state
    start, end = ctx.first_day + dt.timedelta(days=a), ctx.first_day + dt.timedelta(days=b)
    if (end - start).days + 1 >= MONTH_SNAP_DAYS:
        snapped = snap_to_months(start, end, dt.date.fromisoformat(state.start),
                                 dt.date.fromisoformat(state.end))
        if snapped[0] <= min(snapped[1], ctx.last_day):    # else both sat in one month
            start, end = snapped
    return select_range(state, start, end, ctx)


def snap_to_months(start: dt.date, end: dt.date, was_start: dt.date,
                   was_end: dt.date) -> tuple[dt.date, dt.date]:
    """Move a handle that moved to the month boundary beyond it: a start moved earlier to
    its month's first day, later to the next month's; an end moved later to its month's
    last day, earlier to the month before's. A handle that did not move stays (a range
    ending on the store's last day keeps it)."""
    if start < was_start:
        start = month_start(start)
    elif start > was_start and start != month_start(start):
        start = shift_months(month_start(start), 1)
    if end > was_end:
        end = month_end(end)
    elif end < was_end and end != month_end(end):
        end = month_start(end) - dt.timedelta(days=1)
    return start, end


def advance(state: FilterState, ctx: Context) -> FilterState | None:
    """Move the time window one step later, keeping its length; None once it would pass the
    store's last day (playback stops there)."""
    start, end = dt.date.fromisoformat(state.start), dt.date.fromisoformat(state.end)
    if state.step == "month":
        new_start, new_end = _next_month(start), _next_month(end)
    else:
        delta = dt.timedelta(days=1 if state.step == "day" else 7)
        new_start, new_end = start + delta, end + delta
    if new_end > ctx.last_day:
        if end >= ctx.last_day:
            return None
        new_end = ctx.last_day
    return replace(state, start=new_start.isoformat(), end=new_end.isoformat())


def _next_month(day: dt.date) -> dt.date:
    """The same day a month later; a month's last day stays a month's last day."""
    following = month_end(day) + dt.timedelta(days=1)
    if day == month_end(day):
        return month_end(following)
    return following.replace(day=min(day.day, month_end(following).day))


def rewind(state: FilterState, ctx: Context) -> FilterState:
    """Put a window that has reached the end back at the store's first day, same length."""
    start, end = dt.date.fromisoformat(state.start), dt.date.fromisoformat(state.end)
    if end < ctx.last_day:
        return state
    length = end - start
    return replace(state, start=ctx.first_day.isoformat(),
                   end=min(ctx.first_day + length, ctx.last_day).isoformat())


#: The time filter's quick ranges, counted back from the store's last day (the data's today:
#: a month whose figures are still coming in is "this month" until the next one starts).
#: "same_period_last_year" moves the range shown back a year.
QUICK_RANGES = ("this_year", "this_quarter", "this_month", "last_month", "last_30_days",
                "same_period_last_year")


def quick_range_days(name: str | None, state: FilterState, ctx: Context
                     ) -> tuple[dt.date, dt.date] | None:
    """Return the first and last day of a quick range (None: unknown, or before the store's
    first day), clipped to the store's span."""
    last = ctx.last_day
    if name == "this_month":
        span = month_start(last), last
    elif name == "last_month":
        previous = shift_months(last, -1)
        span = previous, month_end(previous)
    elif name == "last_30_days":
        span = last - dt.timedelta(days=29), last
    elif name == "this_quarter":
        span = last.replace(month=(last.month - 1) // 3 * 3 + 1, day=1), last
    elif name == "this_year":
        span = last.replace(month=1, day=1), last
    elif name == "same_period_last_year":
        span = shift_range((dt.date.fromisoformat(state.start),
                            dt.date.fromisoformat(state.end)), -1)
    else:
        return None
    first, end = max(span[0], ctx.first_day), min(span[1], last)
    return (first, end) if first <= end else None


def quick_range(state: FilterState, name: str | None, ctx: Context) -> FilterState | None:
    """Filter to a quick range (QUICK_RANGES); None if it is unknown or holds no data."""
    days = quick_range_days(name, state, ctx)
    if days is None:
        return None
    return replace(state, start=days[0].isoformat(), end=days[1].isoformat())


def names_range(name: str | None, state: FilterState, ctx: Context) -> bool:
    """Whether the quick range ``name`` is the state's days (a year back is always a year
    back from something else: never)."""
    days = quick_range_days(name, state, ctx) if name in QUICK_RANGES[:-1] else None
    return days is not None and (days[0].isoformat(), days[1].isoformat()) == (
        state.start, state.end)


def quick_range_of(state: FilterState, ctx: Context) -> str | None:
    """The quick range the state's days are, if any (the picker then names it). Days that
    two ranges share (本年 and 本季度 in the first quarter) take the wider name; the picker
    keeps the one the user chose (callbacks/filters.Control.keeps)."""
    return next((name for name in QUICK_RANGES if names_range(name, state, ctx)), None)


def set_indicator(state: FilterState, code: str | None, ctx: Context) -> FilterState:
    """Show another indicator on the map and ranking (unknown codes are ignored)."""
    if code not in ctx.catalogue:
        return state
    return replace(state, indicator=code)


def clear(state: FilterState, ctx: Context) -> FilterState:
    """Drop the area and time filters and the key-task screen's department and status;
    keep the indicator and language."""
    default = ctx.default()
    return replace(state, district=None, township=None, cell=None, picked=(),
                   start=default.start, end=default.end, department=None, status=None)


def clicked_code(click_data: dict | None) -> str | None:
    """Return the entity code a click carries in ``customdata`` (never a point index)."""
    try:
        point = click_data["points"][0]
    except (TypeError, KeyError, IndexError):
        return None
    code = point.get("customdata", point.get("location"))
    if isinstance(code, list):
        code = code[0] if code else None
    return code if isinstance(code, str) else None


def selected_range(selected_data: dict | None) -> tuple[str, str] | None:
    """Return the x-range of a horizontal box selection, if the event carries one."""
    try:
        x0, x1 = selected_data["range"]["x"][:2]
    except (TypeError, KeyError, ValueError):
        return None
    return str(x0), str(x1)
