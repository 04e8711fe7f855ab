"""Key-task supervision (重点工作督办): the city's key tasks and where each stands in a
month against a linear plan."""

from __future__ import annotations

import pandas as pd

from data.calendar import month_start
from data.queries.base import QueryBase

#: The columns of Queries.key_tasks, in order.
KEY_TASK_COLUMNS = ("code", "title", "lead_department_code", "lead_department",
                    "district_code", "district", "start_month", "due_month", "period",
                    "progress", "planned", "status")
#: A key task's statuses, most urgent first (the order Queries.key_tasks sorts by).
KEY_TASK_STATUSES = ("overdue", "at_risk", "on_track", "done")
#: Progress (%) at which a task counts as done: progress is cumulative, 100 is the whole task.
KEY_TASK_DONE = 100.0
#: Points behind the linear plan at which a task is at risk. Progress is reported monthly in
#: lumps (a contract signed, a system accepted), so a month or so behind the straight line is
#: ordinary; 15 points is about two months on a year-long task, when supervision (督办) steps in.
KEY_TASK_AT_RISK_GAP = 15.0
#: The name and title columns of each language: the only column names key_tasks writes into
#: SQL.
_LANG_COLUMNS = {"zh": ("name_zh", "title_zh"), "en": ("name_en", "title_en")}
#: The district shown for a city-wide task.
_CITY_WIDE = {"zh": "全市", "en": "Citywide"}


class KeyTaskQueries(QueryBase):
    """The key tasks of the wall and the key-task screen."""

    CACHED = ("key_tasks",)

    def key_tasks(self, as_of: str, lang: str = "zh", department: str | None = None
                  ) -> pd.DataFrame:
        """Return the key tasks and where they stand in the month of ``as_of``, most urgent
        first: one row per task.

        Parameters
        ----------
        as_of : an ISO date; its month is the month judged.
        lang : "zh" or "en", the language of title, lead_department and district.
        department : only the tasks this department leads (a department code); all if None.

        Returns
        -------
        DataFrame with code, title, lead_department_code, lead_department, district_code
        (None for city-wide), district (the district's name, or 全市 / Citywide), start_month,
        due_month, period (the month of the latest progress report up to the as-of month, NaT
        before the first), progress (that report's cumulative %, 0 before it), planned (the
        linear plan's % by the end of the as-of month: months elapsed from the start month
        through the as-of month / months from the start through the due month, clipped to
        0..100) and status (KEY_TASK_STATUSES: done at 100%; overdue when the due month lies
        before the as-of month and the task is not done; at_risk when progress trails the
        plan by more than KEY_TASK_AT_RISK_GAP points; on_track otherwise). Sorted overdue,
        at_risk, on_track, done, then by due month and code.
        """
        month = month_start(as_of)
        if lang not in _LANG_COLUMNS:
            raise ValueError(f"lang must be one of {sorted(_LANG_COLUMNS)}, not {lang!r}")
        if not self.has_key_tasks:
            return pd.DataFrame(columns=KEY_TASK_COLUMNS)
        name, title = _LANG_COLUMNS[lang]
        where, params = ("", []) if department is None else (
            " AND k.lead_department_code = ?", [department])
        if self.scope.districts:       # a district's reader sees its own and city-wide tasks
            scoped, codes = self._scope_filter("k.district_code")
            where += f" AND (k.district_code IS NULL{scoped.replace(' AND ', ' OR ', 1)})"
            params += codes
        sql = f"""
            WITH latest AS (
                SELECT task_code, max(period) AS period, arg_max(progress, period) AS progress
                FROM key_task_progress WHERE period <= ? GROUP BY 1),
            judged AS (
                SELECT k.code, k.{title} AS title, k.lead_department_code,
                       d.{name} AS lead_department, k.district_code,
                       coalesce(s.{name}, ?) AS district, k.start_month, k.due_month,
                       l.period, coalesce(l.progress, 0.0) AS progress,
                       least(greatest(100.0 * (date_diff('month', k.start_month, ?) + 1)
                             / (date_diff('month', k.start_month, k.due_month) + 1), 0.0),
                             100.0) AS planned
                FROM key_tasks k
                JOIN departments d ON d.code = k.lead_department_code
                LEFT JOIN districts s ON s.code = k.district_code
                LEFT JOIN latest l ON l.task_code = k.code
                WHERE true{where})
            SELECT *, CASE WHEN progress >= ? THEN 'done'
                           WHEN due_month < ? THEN 'overdue'
                           WHEN progress < planned - ? THEN 'at_risk'
                           ELSE 'on_track' END AS status
            FROM judged ORDER BY list_position(?, status), due_month, code"""
        return self.store.df(sql, [month, _CITY_WIDE[lang], month, *params,
                                   KEY_TASK_DONE, month, KEY_TASK_AT_RISK_GAP,
                                   list(KEY_TASK_STATUSES)])
