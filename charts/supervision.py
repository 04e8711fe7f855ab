"""督办 for the screens: the open 督办 in the asker's reach and the filter's district, as rows
with names (the command screen's panel, Command.SUPERVISION), and an event's history with the
names of its departments (the event panels of /events and /grid)."""

from __future__ import annotations

import datetime as dt

from charts import state as st
from data.supervision import SUPERVISE
from layouts import supervision as components


def reach(s: st.FilterState, runtime) -> frozenset[str] | None:
    """The districts whose 督办 the asker sees under the filter: the filter's district (a
    picked set of districts) within the asker's own; None for the whole city."""
    own = runtime.principal.districts
    chosen = {s.district} if s.district else set(s.picked or ())
    chosen = {code for code in chosen if code in runtime.context.districts} if chosen else set()
    if chosen:
        return frozenset(chosen & own if own else chosen)
    return frozenset(own) if own else None


def open_rows(items: list[dict], runtime, lang: str) -> list[dict]:
    """``Supervision.open_items`` rows with names: event_id, district, department (who holds
    it), issued_at, issued_by, deadline, reminders, overdue."""
    names = runtime.names(lang)
    return [{"event_id": item["event_id"],
             "district": names.get(item["district_code"], item["district_code"]),
             "district_code": item["district_code"],
             "department": names.get(item["department_code"], item["department_code"]),
             "department_code": item["department_code"],
             "issued_at": item["issued_at"], "issued_by": item["issued_by"],
             "deadline": item["deadline"], "reminders": item["reminders"],
             "overdue": item["overdue"]} for item in items]


def open_in_reach(s: st.FilterState, runtime) -> list[dict]:
    """The open 督办 under the filter within the asker's reach, as ``open_rows``."""
    districts = reach(s, runtime)
    if districts is not None and not districts:
        return []
    return open_rows(runtime.supervision.open_items(districts), runtime, s.lang)


def command_panel(s: st.FilterState, runtime):
    """The command screen's open 督办 (Command.SUPERVISION): by department and district,
    overdue first, for the filter's district within the asker's reach; a 催办 button on each
    for a user who may supervise."""
    return components.open_list(open_in_reach(s, runtime), s.lang,
                                may_remind=runtime.principal.may(SUPERVISE))


def event_history(event_id: int, runtime, lang: str):
    """An event's 督办 history as the panel shows it."""
    return components.history(event_id, runtime.supervision.history(event_id), lang,
                              runtime.names(lang))


def department_options(runtime, lang: str) -> list[dict]:
    """The departments a 督办 may go to, by name."""
    frame = runtime.queries.departments()
    return [{"label": name, "value": code}
            for code, name in zip(frame["code"], frame[f"name_{lang}"])]


def default_deadline(runtime, days: int = 3) -> str:
    """The deadline the form suggests: ``days`` from today on the centre's clock."""
    return (runtime.supervision.now().date() + dt.timedelta(days=days)).isoformat()
