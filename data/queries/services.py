"""Government services (政务服务): the service cases' volumes, time against the legal limit
and ratings (好差评), from their daily rollup (``service_case_daily``, data/store.py).

Every figure counts the cases accepted in the range (by acceptance day), as the event
metrics count events by their report day:

- within the legal limit (法定时限内办结率) = cases completed by their due day / cases due
  (completed, or still open past their due day at the load's time): an open case past its
  limit lowers it, an open case still within its limit is not judged yet;
- 差评率 = 差评 / rated cases; 差评整改率 = 差评 rectified / 差评;
- mean working days = working days taken / completed cases (and the legal limit's mean over
  the same cases beside it).

Cases exist per district: below a district its district's figures answer.
"""

from __future__ import annotations

import pandas as pd

from data.queries.base import Area, QueryBase
from data.services import CHANNELS

SERVICE_ROLLUP_TABLE = "service_case_daily"
#: The case metrics of the catalogue (kind ``cases``) over the rollup: the only expressions
#: that reach SQL text, picked by catalogue code.
SERVICE_EXPR = {
    "service_cases": "sum(n)",
    "service_on_time_rate": "100.0 * sum(n_on_time) / nullif(sum(n_due), 0)",
    "bad_rating_share": "100.0 * sum(n_bad) / nullif(sum(n_rated), 0)",
    "bad_rating_rectified_rate": "100.0 * sum(n_rectified) / nullif(sum(n_bad), 0)",
}
#: The sums every breakdown reads, and the rates computed from them.
_SUMS = ("n", "n_completed", "n_on_time", "n_due", "n_rated", "n_good", "n_fair", "n_bad",
         "n_rectified", "working_days", "limit_days")
_SUM_SQL = ", ".join(f"coalesce(sum({c}), 0)::DOUBLE AS {c}" for c in _SUMS)
#: What a breakdown groups by: the only grouping columns written into SQL.
_GROUPS = {"department": "department_code", "district": "district_code",
           "channel": "channel", "month": "date_trunc('month', day)::DATE"}


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add on_time_rate, bad_share, rectified_rate, mean_days and mean_limit (NaN where the
    base is 0) to a frame of the sums."""
    def ratio(num, den, scale=100.0):
        return scale * frame[num] / frame[den].where(frame[den] > 0)
    return frame.assign(on_time_rate=ratio("n_on_time", "n_due"),
                        bad_share=ratio("n_bad", "n_rated"),
                        rectified_rate=ratio("n_rectified", "n_bad"),
                        mean_days=ratio("working_days", "n_completed", 1.0),
                        mean_limit=ratio("limit_days", "n_completed", 1.0))


class ServiceQueries(QueryBase):
    """The services screen's, the KPI cards' and the monthly report's case figures."""

    CACHED = ("service_case_span", "service_summary", "service_breakdown")
    # the cases are reference data (a copy load); whether one is due, at the as-of time
    READS = dict.fromkeys(CACHED, ("as_of",))

    @property
    def has_service_table(self) -> bool:
        """Stores from before service cases have no rollup of them (their next load adds it)."""
        return SERVICE_ROLLUP_TABLE in self._tables      # type: ignore[attr-defined]

    def service_case_span(self) -> dict | None:
        """Return {first, last (acceptance days), n} of the cases this reader sees, or None
        when no case is loaded."""
        if not self.has_service_table:
            return None
        where, params = self._scope_filter()
        row = self.store.records(f"SELECT min(day) AS first, max(day) AS last, "
                                 f"coalesce(sum(n), 0)::BIGINT AS n FROM {SERVICE_ROLLUP_TABLE} "
                                 f"WHERE true{where}", params)[0]
        return row if row["n"] else None

    def _case_rows(self, area: Area, start: str, end: str) -> tuple[str, list]:
        """FROM … WHERE … of the rollup's rows of an area (its districts) and acceptance days
        [start, end]."""
        districts = self._district_of(area)            # type: ignore[attr-defined]
        where, params = self._where(districts)         # type: ignore[attr-defined]
        return (f"FROM {SERVICE_ROLLUP_TABLE} WHERE day BETWEEN ?::DATE AND ?::DATE{where}",
                [start, end, *params])

    def service_summary(self, area: Area, start: str, end: str) -> dict:
        """Return the cases accepted in [start, end] in an area (None: the city; below a
        district, its district): the sums n, n_completed, n_on_time, n_due, n_rated, n_good,
        n_fair, n_bad, n_rectified, working_days, limit_days and on_time_rate, bad_share,
        rectified_rate, mean_days, mean_limit (None where their base is 0). Zeros when no
        case is loaded."""
        if not self.has_service_table:
            frame = pd.DataFrame([dict.fromkeys(_SUMS, 0.0)])
        else:
            rows, params = self._case_rows(area, start, end)
            frame = self.store.df(f"SELECT {_SUM_SQL} {rows}", params)
        out = _rates(frame).iloc[0].to_dict()
        return {k: (None if pd.isna(v) else (int(v) if k in _SUMS[:9] else float(v)))
                for k, v in out.items()}

    def service_breakdown(self, by: str, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return the cases accepted in [start, end] in an area by ``by``: "department",
        "district" (every district this reader knows, those without cases with n 0),
        "channel" or "month".

        Columns: key (the department, district or channel code, or the month's first day),
        name_zh, name_en (department and district names; the channel's from
        data/services.CHANNELS; empty for months), the sums and the rates of
        ``service_summary``. Departments and channels in order of cases (most first),
        districts in code order, months in time order.
        """
        if by not in _GROUPS:
            raise KeyError(f"no breakdown by {by!r}: one of {', '.join(_GROUPS)}")
        key = _GROUPS[by]
        if self.has_service_table:
            rows, params = self._case_rows(area, start, end)
            frame = self.store.df(f"SELECT {key} AS key, {_SUM_SQL} {rows} GROUP BY 1",
                                  params)
        else:
            frame = pd.DataFrame(columns=["key", *_SUMS])
        if by == "district":
            names = self.districts()[["code", "name_zh", "name_en"]].rename(  # type: ignore
                columns={"code": "key"})
            frame = names.merge(frame, on="key", how="left").fillna(
                {c: 0.0 for c in _SUMS})
        elif by == "department":
            names = self.departments().rename(columns={"code": "key"})  # type: ignore
            frame = frame.merge(names, on="key", how="left")
            # a department a later departments file dropped keeps its code as its name
            for column in ("name_zh", "name_en"):
                frame[column] = frame[column].fillna(frame["key"])
        elif by == "channel":
            frame["name_zh"] = frame["key"].map(lambda c: CHANNELS.get(c, (c, c))[0])
            frame["name_en"] = frame["key"].map(lambda c: CHANNELS.get(c, (c, c))[1])
        else:
            frame["key"] = pd.to_datetime(frame["key"])
            frame["name_zh"] = frame["name_en"] = ""
        frame = _rates(frame.astype({c: float for c in _SUMS}))
        if by in ("department", "channel"):
            frame = frame.sort_values(["n", "key"], ascending=[False, True])
        else:
            frame = frame.sort_values("key")
        return frame[["key", "name_zh", "name_en", *_SUMS, "on_time_rate", "bad_share",
                      "rectified_rate", "mean_days", "mean_limit"]].reset_index(drop=True)
