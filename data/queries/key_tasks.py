"""Key-task supervision (重点工作督办): the city's key tasks and where each stands in a
month against a linear plan, their milestones (节点), departments and progress notes."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import pandas as pd

from data.calendar import month_start
from data.queries.base import QueryBase, Reads

#: The columns of Queries.key_tasks, in order.
KEY_TASK_COLUMNS = ("code", "title", "lead_department_code", "lead_department",
                    "district_code", "district", "start_month", "due_month", "period",
                    "progress", "planned", "status", "leader")
#: A key task's statuses, most urgent first (the order Queries.key_tasks sorts by).
KEY_TASK_STATUSES = ("overdue", "at_risk", "on_track", "done")
#: Progress (%) at which a task counts as done: progress is cumulative, 100 is the whole task.
KEY_TASK_DONE = 100.0
#: Points behind the linear plan at which a task is at risk. Progress is reported monthly in
#: lumps (a contract signed, a system accepted), so a month or so behind the straight line is
#: ordinary; 15 points is about two months on a year-long task, when supervision (督办) steps in.
KEY_TASK_AT_RISK_GAP = 15.0
#: A milestone's statuses, most urgent first (the order Queries.key_task_milestones sorts by).
MILESTONE_STATUSES = ("overdue", "at_risk", "open", "done")
#: The columns of Queries.key_task_milestones, in order.
MILESTONE_COLUMNS = ("task_code", "title", "lead_department_code", "lead_department",
                     "district_code", "district", "task_status", "seq", "name", "due_date",
                     "done", "behind", "status_text", "status")
#: The columns of Queries.key_task_completion, in order: tasks per status and the overdue
#: milestones of each lead department.
COMPLETION_COLUMNS = ("lead_department_code", "lead_department", "total", *KEY_TASK_STATUSES,
                      "overdue_milestones")
#: The name and title columns of each language: the only column names key_tasks writes into
#: SQL.
_LANG_COLUMNS = {"zh": ("name_zh", "title_zh"), "en": ("name_en", "title_en")}
#: The district shown for a city-wide task.
_CITY_WIDE = {"zh": "全市", "en": "Citywide"}


class KeyTaskQueries(QueryBase):
    """The key tasks of the wall, the key-task screen and the monthly report."""

    CACHED = ("key_tasks", "key_task_milestones", "key_task_notes", "key_task_departments",
              "key_task_completion")
    # the ledger is reference data (a copy load), judged at the day the caller names
    READS: dict[str, Reads] = dict.fromkeys(CACHED, ())

    def _judged_tasks(self, as_of: str, lang: str, department: str | None,
                      districts: tuple[str, ...] | None) -> tuple[str, list]:
        """The CTEs ``latest`` and ``tasks`` (every column of KEY_TASK_COLUMNS) judging each
        task in the month of ``as_of``, limited to a lead department and to districts (with
        the city-wide tasks) and always to the reader's scope; with their parameters."""
        month = month_start(as_of)
        if lang not in _LANG_COLUMNS:
            raise ValueError(f"lang must be one of {sorted(_LANG_COLUMNS)}, not {lang!r}")
        name, title = _LANG_COLUMNS[lang]
        where, params = ("", []) if department is None else (
            " AND k.lead_department_code = ?", [department])
        for codes in (tuple(districts) if districts is not None else None,
                      tuple(sorted(self.scope.districts)) or None):
            # a district's tasks and the city-wide ones: a district user's, and the filter's
            if codes is not None:
                where += (" AND (k.district_code IS NULL OR k.district_code IN ("
                          + ", ".join("?" * len(codes)) + "))") if codes else \
                    " AND k.district_code IS NULL"
                params += list(codes)
        sql = f"""
            latest AS (
                SELECT task_code, max(period) AS period, arg_max(progress, period) AS progress
                FROM key_task_progress WHERE period <= ? GROUP BY 1),
            judged AS (
                SELECT k.code, k.{title} AS title, k.lead_department_code,
                       d.{name} AS lead_department, k.district_code,
                       coalesce(s.{name}, ?) AS district, k.start_month, k.due_month,
                       l.period, coalesce(l.progress, 0.0) AS progress,
                       least(greatest(100.0 * (date_diff('month', k.start_month, ?) + 1)
                             / (date_diff('month', k.start_month, k.due_month) + 1), 0.0),
                             100.0) AS planned, {self._leader}
                FROM key_tasks k
                JOIN departments d ON d.code = k.lead_department_code
                LEFT JOIN districts s ON s.code = k.district_code
                LEFT JOIN latest l ON l.task_code = k.code
                WHERE true{where}),
            tasks AS (
                SELECT code, title, lead_department_code, lead_department, district_code,
                       district, start_month, due_month, period, progress, planned,
                       CASE WHEN progress >= ? THEN 'done'
                            WHEN due_month < ? THEN 'overdue'
                            WHEN progress < planned - ? THEN 'at_risk'
                            ELSE 'on_track' END AS status, leader
                FROM judged)"""
        return sql, [month, _CITY_WIDE[lang], month, *params, KEY_TASK_DONE, month,
                     KEY_TASK_AT_RISK_GAP]

    def _has_table(self, table: str) -> bool:
        return table in self._tables

    @cached_property
    def _leader(self) -> str:
        """The leader column: a store from before ledgers were loaded has none."""
        found = self.store.rows("SELECT count(*) FROM information_schema.columns WHERE "
                                "table_name = 'key_tasks' AND column_name = 'leader'")
        return "k.leader" if found[0][0] else "NULL::VARCHAR AS leader"

    def key_tasks(self, as_of: str, lang: str = "zh", department: str | None = None,
                  districts: tuple[str, ...] | None = None, status: str | None = None
                  ) -> pd.DataFrame:
        """Return the key tasks and where they stand in the month of ``as_of``, most urgent
        first: one row per task.

        Parameters
        ----------
        as_of : an ISO date; its month is the month judged.
        lang : "zh" or "en", the language of title, lead_department and district.
        department : only the tasks this department leads (a department code); all if None.
        districts : only these districts' tasks and the city-wide ones; all if None. A
            district's reader sees its districts' and the city-wide ones whatever is asked.
        status : only the tasks of this status (one of KEY_TASK_STATUSES); all if None.

        Returns
        -------
        DataFrame with code, title, lead_department_code, lead_department, district_code
        (None for city-wide), district (the district's name, or 全市 / Citywide), start_month,
        due_month, period (the month of the latest progress report up to the as-of month, NaT
        before the first), progress (that report's cumulative %, 0 before it), planned (the
        linear plan's % by the end of the as-of month: months elapsed from the start month
        through the as-of month / months from the start through the due month, clipped to
        0..100), status (KEY_TASK_STATUSES: done at 100%; overdue when the due month lies
        before the as-of month and the task is not done; at_risk when progress trails the
        plan by more than KEY_TASK_AT_RISK_GAP points; on_track otherwise) and leader (the
        responsible leader, 责任领导, None when the ledger names none). Sorted overdue,
        at_risk, on_track, done, then by due month and code.
        """
        _check_status(status, KEY_TASK_STATUSES)
        if not self.has_key_tasks:
            month_start(as_of)
            return pd.DataFrame(columns=KEY_TASK_COLUMNS)
        judged, params = self._judged_tasks(as_of, lang, department, districts)
        where, more = ("", []) if status is None else (" WHERE status = ?", [status])
        return self.store.df(
            f"WITH {judged} SELECT * FROM tasks{where} "
            "ORDER BY list_position(?, status), due_month, code",
            [*params, *more, list(KEY_TASK_STATUSES)])

    def key_task_milestones(self, as_of: str, lang: str = "zh",
                            department: str | None = None,
                            districts: tuple[str, ...] | None = None,
                            status: str | None = None, task: str | None = None,
                            open_only: bool = False) -> pd.DataFrame:
        """Return the milestones (节点) of the key tasks ``key_tasks`` gives for the same
        arguments (``status`` is the task's), most urgent first: one row per milestone.

        A milestone's status on the day ``as_of``: done when the ledger says so; overdue
        when not done and due before that day; at_risk when not done, not yet due, and
        flagged behind by the ledger (滞后) or of a task at risk or overdue; open
        otherwise (MILESTONE_STATUSES). ``task``: one task's milestones only;
        ``open_only``: leave out the done ones.

        Returns
        -------
        DataFrame of MILESTONE_COLUMNS: the task's code, title, lead department, district
        and status (task_status), then the milestone's seq (its order in the task), name (in
        the language; the Chinese when the ledger has no English), due_date, done, behind,
        status_text (as the ledger wrote it) and status. Sorted by status, then due date,
        task and seq.
        """
        _check_status(status, KEY_TASK_STATUSES)
        day = _day(as_of)
        if not (self.has_key_tasks
                and self._has_table("key_task_milestones")):
            return pd.DataFrame(columns=MILESTONE_COLUMNS)
        judged, params = self._judged_tasks(as_of, lang, department, districts)
        name = "m.name_zh" if lang == "zh" else "coalesce(m.name_en, m.name_zh)"
        where, more = "", list[str]()
        if status is not None:
            where, more = where + " AND t.status = ?", more + [status]
        if task is not None:
            where, more = where + " AND t.code = ?", more + [task]
        done = " WHERE status != 'done'" if open_only else ""
        return self.store.df(f"""
            WITH {judged},
            milestones AS (
                SELECT t.code AS task_code, t.title, t.lead_department_code,
                       t.lead_department, t.district_code, t.district,
                       t.status AS task_status, m.seq, {name} AS name, m.due_date, m.done,
                       m.behind, m.status_text,
                       CASE WHEN m.done THEN 'done' WHEN m.due_date < ? THEN 'overdue'
                            WHEN m.behind OR t.status IN ('at_risk', 'overdue')
                            THEN 'at_risk' ELSE 'open' END AS status
                FROM key_task_milestones m JOIN tasks t ON t.code = m.task_code
                WHERE true{where})
            SELECT * FROM milestones{done}
            ORDER BY list_position(?, status), due_date, task_code, seq""",
            [*params, day, *more, list(MILESTONE_STATUSES)])

    def _scoped_task(self) -> tuple[str, list]:
        """The condition keeping a task code among the tasks the reader may see."""
        codes = sorted(self.scope.districts)
        if not codes:
            return "", []
        return (" AND task_code IN (SELECT code FROM key_tasks WHERE district_code IS NULL "
                f"OR district_code IN ({', '.join('?' * len(codes))}))", codes)

    def key_task_notes(self, task: str, as_of: str, lang: str = "zh") -> pd.DataFrame:
        """Return one task's monthly progress reports up to the month of ``as_of``, latest
        first: period (the month), progress (cumulative %) and note (the progress note in
        the language; the Chinese when there is no English; None when the month has none).
        Empty for a task the reader may not see."""
        month = month_start(as_of)
        if lang not in _LANG_COLUMNS:
            raise ValueError(f"lang must be one of {sorted(_LANG_COLUMNS)}, not {lang!r}")
        if not self.has_key_tasks:
            return pd.DataFrame(columns=["period", "progress", "note"])
        note = "note_zh" if lang == "zh" else "coalesce(note_en, note_zh)"
        scoped, codes = self._scoped_task()
        return self.store.df(
            f"SELECT period, progress, {note} AS note FROM key_task_progress "
            f"WHERE task_code = ? AND period <= ?{scoped} ORDER BY period DESC",
            [task, month, *codes])

    def key_task_departments(self, task: str, lang: str = "zh") -> pd.DataFrame:
        """Return one task's departments, the lead (牵头单位) first, then the co-operating
        ones (配合单位) in code order: department_code, department (its name in the
        language) and role ("lead" or "co"). A store without the ledger's departments
        gives the lead alone; a task the reader may not see, nothing."""
        if lang not in _LANG_COLUMNS:
            raise ValueError(f"lang must be one of {sorted(_LANG_COLUMNS)}, not {lang!r}")
        if not self.has_key_tasks:
            return pd.DataFrame(columns=["department_code", "department", "role"])
        name = _LANG_COLUMNS[lang][0]
        scoped, codes = self._scoped_task()
        source = ("SELECT task_code, department_code, role FROM key_task_departments "
                  "UNION SELECT code, lead_department_code, 'lead' FROM key_tasks"
                  if self._has_table("key_task_departments") else
                  "SELECT code AS task_code, lead_department_code AS department_code, "
                  "'lead' AS role FROM key_tasks")
        return self.store.df(
            f"SELECT t.department_code, d.{name} AS department, t.role FROM ({source}) t "
            f"JOIN departments d ON d.code = t.department_code WHERE task_code = ?{scoped} "
            "ORDER BY t.role = 'co', t.department_code", [task, *codes])

    def key_task_completion(self, as_of: str, lang: str = "zh",
                            districts: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Return the key tasks of each lead department by status in the month of
        ``as_of`` (``key_tasks``' rule), with its milestones overdue on that day.

        Returns
        -------
        DataFrame of COMPLETION_COLUMNS: lead_department_code, lead_department (the name in
        the language), total (its tasks), overdue, at_risk, on_track, done (its tasks of
        each status) and overdue_milestones (its tasks' milestones not done and due before
        ``as_of``, ``key_task_milestones``' overdue). The departments with the most overdue
        tasks first, then at risk, then the most tasks, then by code.
        """
        if not self.has_key_tasks:
            month_start(as_of)
            return pd.DataFrame(columns=COMPLETION_COLUMNS)
        day = _day(as_of)
        judged, params = self._judged_tasks(as_of, lang, None, districts)
        late = ("SELECT task_code, count(*) FILTER (WHERE NOT done AND due_date < ?) AS n "
                "FROM key_task_milestones GROUP BY 1" if self._has_table("key_task_milestones")
                else "SELECT NULL AS task_code, 0 AS n WHERE false")
        counts = ", ".join(f"count(*) FILTER (WHERE t.status = '{s}') AS {s}"
                           for s in KEY_TASK_STATUSES)
        return self.store.df(f"""
            WITH {judged}, late AS ({late})
            SELECT t.lead_department_code, any_value(t.lead_department) AS lead_department,
                   count(*) AS total, {counts},
                   coalesce(sum(l.n), 0)::BIGINT AS overdue_milestones
            FROM tasks t LEFT JOIN late l ON l.task_code = t.code
            GROUP BY 1 ORDER BY overdue DESC, at_risk DESC, total DESC, 1""",
            [*params, *([day] if self._has_table("key_task_milestones") else [])])


def _check_status(status: str | None, statuses: tuple[str, ...]) -> None:
    if status is not None and status not in statuses:
        raise ValueError(f"status must be one of {', '.join(statuses)}, not {status!r}")


def _day(as_of) -> dt.date:
    """The day an ISO date names (ValueError for anything else)."""
    return dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
