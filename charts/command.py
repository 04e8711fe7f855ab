"""指挥调度 (Dash-free): the standing alerts with their records (data/command.py), who holds
each in words, for the /command screen, the wall's banner, list and scene.

``screen_alerts`` is the one place the alert rules' output meets the records: it computes
``data/alerts.live``, syncs the records with it (``sync``: a district user only their
districts' own alerts, never the city-wide ones) and returns each alert with its state,
holder line, escalated and overdue flags.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

import i18n
from charts import state as st
from charts.common import department_names
from data import alerts as alert_rules
from data.catalog import Catalogue
from data.command import Command
from settings import local_zone

#: The fields of an alert a record keeps for its notifications (data/notify.notification).
_SNAPSHOT = ("rule", "code", "area_code", "what", "where", "value", "threshold", "unit",
             "since", "window", "events", "start", "end", "scene", "severity", "detail", "as_of")


def command_of(runtime) -> Command:
    """The runtime's alert records (one per runtime: its access file, its store's
    departments)."""
    found = runtime.__dict__.get("_command")
    if found is None:
        found = runtime.__dict__.setdefault("_command", Command(
            runtime.settings.access_file,
            departments=lambda: runtime.queries.departments()["code"].tolist(),
            minutes=dict(runtime.settings.escalate_minutes)))
    return found


def district_of(area_code, ctx: st.Context) -> str | None:
    """The district an alert's area lies in; None for the city (or an unknown code)."""
    lineage = ctx.lineage(area_code) if isinstance(area_code, str) else None
    return lineage[0] if lineage else None


def snapshot(row, ctx: st.Context, href: str | None = None,
             catalogue: Catalogue | None = None) -> dict:
    """An alert row of data/alerts.live as the record keeps it, with what its count counts
    (``counted``: cases or events, for its line where the catalogue is not at hand)."""
    ind = catalogue.get(row.code) if catalogue is not None and row.code in catalogue else None
    out = {"key": row.key, "district": district_of(row.area_code, ctx), "href": href,
           "counted": "cases" if ind is not None and ind.kind == "cases" else "events"}
    for field in _SNAPSHOT:
        value = getattr(row, field, None)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            value = None
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "item"):
            value = value.item()
        out[field] = value
    return out


def sync(runtime, frame: pd.DataFrame, hrefs: dict[str, str] | None = None) -> Command:
    """Bring the records in line with the live alerts of ``frame``; return the records.

    A reader of the whole city sees every alert: new ones open, those gone are closed as
    cleared. A district user's alerts are computed on their districts' data: those of an
    area inside them are the city's own (a district's rate, a cell's surge) and open or
    reopen as the city's would, so a district leader's phone shows them when nobody of the
    whole city is looking; city-wide ones are left out (a "city" of some districts is not
    the city), and nothing is closed (their view is not all of the city's alerts)."""
    command = command_of(runtime)
    ctx, mine = runtime.context, runtime.principal.districts
    alerts = [snapshot(row, ctx, (hrefs or {}).get(row.key), runtime.catalogue)
              for row in frame.itertuples()]
    if mine:
        command.sync([a for a in alerts if a["district"] in mine], complete=False)
    else:
        command.sync(alerts)
    return command


def local(moment: str | None, zone: str, with_day: bool = True) -> str:
    """A record's UTC time as the centre's clock shows it: 12-04 10:42 (10:42 without the
    day)."""
    if not moment:
        return "—"
    when = dt.datetime.fromisoformat(moment).astimezone(local_zone(zone))
    return when.strftime("%m-%d %H:%M" if with_day else "%H:%M")


def holder(record: dict, lang: str, zone: str, departments: dict[str, str]) -> str:
    """Who holds an alert and since when, in a line: 已由 张三 确认 · 10:42, 已指派 城管局 · 截止
    12-05 18:00, 超时未确认 · 自 10:12."""
    state = record["state"]
    department = departments.get(record.get("department") or "", record.get("department"))
    if state == "open":
        key = "cmd_held_escalated" if record["escalated"] else "cmd_held_open"
        return i18n.t(key, lang).format(at=local(record["opened_at"], zone))
    if state == "acknowledged":
        return i18n.t("cmd_held_acknowledged", lang).format(
            who=record["acknowledged_by"], at=local(record["acknowledged_at"], zone))
    if state == "assigned":
        key = "cmd_held_overdue" if record["overdue"] else "cmd_held_assigned"
        return i18n.t(key, lang).format(department=department,
                                        deadline=local(record["deadline"], zone))
    if state == "resolved":
        return i18n.t("cmd_held_resolved", lang).format(
            who=record["resolved_by"], at=local(record["resolved_at"], zone))
    if state == "silenced":
        return i18n.t("cmd_held_silenced", lang).format(
            until=local(record["silenced_until"], zone), reason=record["silence_reason"])
    return i18n.t(f"cmd_state_{state}", lang)


def state_label(record: dict, lang: str) -> str:
    return i18n.t("cmd_state_escalated" if record["escalated"] else
                  f"cmd_state_{record['state']}", lang)


def with_holders(runtime, alerts: list[dict], lang: str) -> list[dict]:
    """The wall's alerts (each with ``key``) with their record's ``state``, ``holder`` line,
    ``escalated`` and ``overdue``; an alert without a record (a district reader before anyone
    synced) is open."""
    command = command_of(runtime)
    records = {r["key"]: r for r in command.records(keys=[a["key"] for a in alerts])}
    zone, names = runtime.settings.time_zone, department_names(runtime, lang)
    out = []
    for a in alerts:
        record = records.get(a["key"])
        if record is None:
            out.append({**a, "state": "open", "holder": "", "escalated": False,
                        "overdue": False})
            continue
        out.append({**a, "state": record["state"], "escalated": record["escalated"],
                    "overdue": record["overdue"],
                    "holder": holder(record, lang, zone, names)})
    return out


def open_alerts(runtime, lang: str, district: str | None = None,
                texts: dict[str, str] | None = None) -> list[dict]:
    """The open records a principal may see (their districts'; a ``district`` chosen in the
    filter: that one's), escalated and overdue first, each as a row for the screen: key,
    text (``texts``: the live alerts' lines in ``lang``; else the line kept when it was
    synced), district and department names, state, holder, escalated, overdue."""
    command = command_of(runtime)
    mine = runtime.principal.districts
    records = command.records(districts=mine or None)
    if district:
        records = [r for r in records if r["district"] == district]
    zone, departments = runtime.settings.time_zone, department_names(runtime, lang)
    names = runtime.names(lang)
    rows = []
    for r in records:
        alert = r["alert"]
        text = (texts or {}).get(r["key"]) or " ".join(
            str(alert.get(field) or "") for field in ("where", "what")).strip() or r["key"]
        rows.append({
            "key": r["key"], "text": text, "href": alert.get("href"),
            "district": r["district"],
            "district_name": names.get(r["district"], r["district"]) if r["district"]
            else i18n.t("cmd_city_wide", lang),
            "department": r["department"],
            "department_name": departments.get(r["department"] or "", r["department"] or "")
            or i18n.t("cmd_unassigned", lang),
            "state": r["state"], "state_label": state_label(r, lang),
            "holder": holder(r, lang, zone, departments), "escalated": r["escalated"],
            "overdue": r["overdue"]})
    return rows


def group_counts(rows: Iterable[dict], by: str) -> list[tuple[str, int, int]]:
    """(name, open alerts, of them escalated or overdue) per department or district name."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        count = counts.setdefault(row[by], [0, 0])
        count[0] += 1
        count[1] += bool(row["escalated"] or row["overdue"])
    return sorted(((name, n, late) for name, (n, late) in counts.items()),
                  key=lambda item: (-item[2], -item[1], item[0]))


def department_options(runtime, lang: str) -> list[dict]:
    return [{"label": name, "value": code}
            for code, name in department_names(runtime, lang).items()]


def screen_alerts(runtime, s: st.FilterState) -> list[dict]:
    """The /command screen's rows: the live alerts synced into the records (as the wall
    does), then the open records in the state's district (``open_alerts``), each line as the
    wall says it and a link to its overview."""
    # the wall's link; imported here: charts/wall imports this module
    from charts.wall import alert_href
    frame = alert_rules.live(runtime, s.lang)
    base = replace(s, district=None, township=None, cell=None, picked=())
    hrefs = {row.key: alert_href(row, base, runtime.context) for row in frame.itertuples()}
    sync(runtime, frame, hrefs)
    texts = {row.key: alert_rules.alert_line(row._asdict(), s.lang, runtime.catalogue)
             for row in frame.itertuples()}
    return open_alerts(runtime, s.lang, s.district, texts)
