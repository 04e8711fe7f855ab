"""Month and year arithmetic on calendar dates.

Statistics are monthly and ranges are compared with the same range a year earlier, so the
query layer, the monthly report and the screens' date pickers all move dates by whole months
and years. They do it here, in one way: a month is named by its first day, and a date that
does not exist in the target year (29 February) falls back to the month's last day.
"""

from __future__ import annotations

import datetime as dt

#: A closed range of days, [first, last].
DateRange = tuple[dt.date, dt.date]


def _as_date(day: str | dt.date) -> dt.date:
    """An ISO date text or a date as a date."""
    return dt.date.fromisoformat(day) if isinstance(day, str) else day


def month_start(day: str | dt.date) -> dt.date:
    """Return the first day of the month containing ``day``.

    Parameters
    ----------
    day : str or datetime.date
        An ISO date (``"2026-03-17"``) or a date.

    Returns
    -------
    datetime.date
        The first day of that month.
    """
    return _as_date(day).replace(day=1)


def month_end(day: str | dt.date) -> dt.date:
    """Return the last day of the month containing ``day``.

    Parameters
    ----------
    day : str or datetime.date
        An ISO date or a date.

    Returns
    -------
    datetime.date
        The last day of that month (28, 29, 30 or 31).
    """
    first = month_start(day)
    # day 28 + 4 days always lands in the next month, whatever this month's length
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def shift_months(first: dt.date, months: int) -> dt.date:
    """Return the first day of the month ``months`` after the month of ``first``.

    Parameters
    ----------
    first : datetime.date
        Any day of the starting month.
    months : int
        How many months to move; negative moves back.

    Returns
    -------
    datetime.date
        The first day of the target month.
    """
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def shift_years(day: str | dt.date, years: int) -> dt.date:
    """Return ``day`` moved by whole years.

    Parameters
    ----------
    day : str or datetime.date
        An ISO date or a date.
    years : int
        How many years to move; negative moves back.

    Returns
    -------
    datetime.date
        The same month and day in the target year; 29 February falls back to the 28th.
    """
    d = _as_date(day)
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def shift_range(days: DateRange, years: int) -> DateRange:
    """Return a range moved by whole years, each end as ``shift_years`` moves it.

    Parameters
    ----------
    days : tuple of datetime.date
        The range's first and last day.
    years : int
        How many years to move; -1 gives the year-ago range a year-on-year change compares
        with.

    Returns
    -------
    tuple of datetime.date
        The moved first and last day.
    """
    return shift_years(days[0], years), shift_years(days[1], years)
