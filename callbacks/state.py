"""The shared filter state: one dict in one ``dcc.Store``, mirrored to the URL query string.

Pure functions, no Dash: parse a query string (dropping what is unknown or malformed, with a
notice), write one, and fold a user interaction into the state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from urllib.parse import parse_qsl, urlencode

from data import catalog
from data.queries import month_end
from settings import LANGS

#: The map indicator a fresh screen opens with.
DEFAULT_INDICATOR = "fixed_asset_investment"
QUERY_KEYS = ("district", "from", "to", "indicator", "lang")


@dataclass(frozen=True)
class FilterState:
    district: str | None
    start: str          # ISO date, inclusive
    end: str            # ISO date, inclusive
    indicator: str
    lang: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FilterState":
        return cls(**{k: data.get(k) for k in ("district", "start", "end", "indicator", "lang")})


@dataclass(frozen=True)
class Context:
    """What a state is checked against: the store's districts and date span."""

    districts: frozenset[str]
    first_day: dt.date
    last_day: dt.date
    default_lang: str = "zh"

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
    if "district" in seen:
        if seen["district"] in ctx.districts:
            changes["district"] = seen["district"]
        else:
            dropped.append(f"district={seen['district']}"[:80])
    if "indicator" in seen:
        if seen["indicator"] in catalog.BY_CODE:
            changes["indicator"] = seen["indicator"]
        else:
            dropped.append(f"indicator={seen['indicator']}"[:80])
    if "lang" in seen:
        if seen["lang"] in LANGS:
            changes["lang"] = seen["lang"]
        else:
            dropped.append(f"lang={seen['lang']}"[:80])
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
    if state.district:
        params = {"district": state.district, **params}
    return "?" + urlencode(params)


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
    if (state.district is not None and state.district not in ctx.districts) \
            or state.indicator not in catalog.BY_CODE or state.lang not in LANGS \
            or not ctx.first_day <= start <= end <= ctx.last_day:
        return None
    return state


def select_district(state: FilterState, code: str | None, ctx: Context) -> FilterState:
    """Filter to a district; choosing the selected one again clears it (a toggle)."""
    if code is not None and code not in ctx.districts:
        return state
    return replace(state, district=None if code == state.district else code)


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


def set_indicator(state: FilterState, code: str | None) -> FilterState:
    """Show another indicator on the map and ranking (unknown codes are ignored)."""
    if code not in catalog.BY_CODE:
        return state
    return replace(state, indicator=code)


def clear(state: FilterState, ctx: Context) -> FilterState:
    """Drop the district and time filters; keep the indicator and language."""
    default = ctx.default()
    return replace(state, district=None, start=default.start, end=default.end)


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
