"""The demo city's monthly statistics per district: economy, waste, government services and
the other rates of the catalogue."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from data import catalog
from data.demo.city import DISTRICTS, PLANTED, SOURCE, SPRING_FESTIVAL, Calendar, _add_months
from data.store import insert

# city-wide annual magnitude (亿元 etc.), annual growth, monthly shape kind
_ECONOMY = {
    "gdp": (4800.0, 0.055, "gdp"),
    "fixed_asset_investment": (2600.0, 0.06, "investment"),
    "retail_sales": (1950.0, 0.065, "retail"),
    "budget_revenue": (320.0, 0.04, "flat"),
    "tax_revenue": (220.0, 0.035, "flat"),
    "new_urban_jobs": (60000.0, 0.02, "flat"),
    "new_market_entities": (120000.0, 0.06, "flat"),
    "electricity": (230.0, 0.06, "electricity"),
    "housing_sales_area": (1300.0, -0.08, "flat"),
    "deposits": (8000.0, 0.085, "stock"),
    "loans": (7500.0, 0.105, "stock"),
    "waste_household": (220.0, 0.03, "flat"),
    "waste_construction": (600.0, -0.02, "flat"),
    "waste_industrial": (900.0, 0.01, "flat"),
    "waste_hazardous": (60000.0, 0.02, "flat"),
    "waste_medical": (9000.0, 0.04, "flat"),
    "self_service_cases": (130000.0, 0.10, "flat"),
    "smart_approval_items": (540.0, 0.20, "stock"),
    "one_thing_items": (510.0, 0.15, "stock"),
}
#: Rates: code -> (level, spread between districts, yearly improvement, ceiling)
_RATES = {
    "unemployment_rate": (5.1, 0.35, 0.0, None),
    "industrial_va_growth": (8.2, 1.5, 0.0, None),
    "dust_pm10": (72.0, 8.0, -2.0, None),
    "noise_day": (53.5, 1.5, -0.2, None),
    "grid_worker_on_duty_rate": (96.5, 1.5, 0.3, 100.0),
    "patrol_coverage_rate": (97.5, 1.2, 0.3, 100.0),
    "hotline_response_rate": (99.2, 0.4, 0.1, 100.0),
    "hotline_resolution_rate": (90.5, 2.5, 0.8, 100.0),
    "hotline_satisfaction_rate": (91.5, 2.5, 0.6, 100.0),
    "one_network_rate": (95.0, 2.5, 2.0, 100.0),
    "e_license_rate": (92.0, 3.0, 1.5, 100.0),
    "mobile_service_rate": (93.5, 2.5, 1.0, 100.0),
    "online_acceptance_rate": (83.0, 5.0, 2.0, 100.0),
    "mobile_enforcement_rate": (90.0, 3.0, 1.5, 100.0),
    "double_random_rate": (98.5, 1.2, 0.5, 100.0),
    "online_tax_rate": (87.0, 3.0, 1.0, 100.0),
    "video_share_rate": (76.0, 8.0, 3.0, 100.0),
    "supervision_connected_rate": (46.0, 8.0, 4.0, 100.0),
    "supervision_shared_rate": (66.0, 8.0, 3.0, 100.0),
}


def _festival_month(month: dt.date) -> bool:
    return any(f.year == month.year and f.month == month.month for f in SPRING_FESTIVAL)


def _month_shape(kind: str, month: dt.date) -> float:
    m = month.month
    if kind == "investment":   # Jan-Feb slow, year-end rush
        return [0.45, 0.5, 0.85, 0.9, 0.95, 1.2, 0.95, 0.95, 1.15, 1.0, 1.1, 1.9][m - 1]
    if kind == "retail":       # festival shopping, summer lull, double-eleven and year end
        return ([1.1, 1.0, 0.95, 0.93, 0.97, 1.0, 0.93, 0.93, 0.98, 1.05, 1.05, 1.11][m - 1]
                * (1.05 if _festival_month(month) else 1.0))
    if kind == "electricity":  # air conditioning in summer, heating in winter
        return [1.05, 0.85, 0.9, 0.88, 0.95, 1.05, 1.2, 1.22, 1.05, 0.92, 0.9, 1.03][m - 1]
    if kind == "gdp":
        return 0.0 if m % 3 else [0.21, 0.24, 0.25, 0.30][m // 3 - 1] * 12 / 3
    return 0.8 if _festival_month(month) else 1.0 + 0.05 * np.sin(m)


def _write_economy(con, rng: np.random.Generator, cal: Calendar) -> None:
    """Monthly statistics per district, from 12 months before the first shown month (so every
    shown month has a year-ago value) to the last complete month."""
    months = cal.months(before=12)
    months = [m for m in months if m <= cal.last_complete_month]
    codes = list(DISTRICTS)
    size = np.array([DISTRICTS[c][1] * DISTRICTS[c][2] for c in codes])
    share = size / size.sum()
    as_of = dt.datetime.combine(cal.now.date().replace(day=15), dt.time(9))
    last = cal.last_complete_month
    rows = []
    for code, (annual, growth, shape) in _ECONOMY.items():
        g_d = growth + rng.normal(0, 0.015, len(codes))
        for k, month in enumerate(months):
            t = (k - len(months) + 1) / 12.0          # years before the last month
            trend = (1 + g_d) ** t
            if shape == "stock":
                value = annual * share * trend * rng.normal(1, 0.004, len(codes))
            else:
                factor = _month_shape(shape, month)
                if factor == 0.0:
                    continue
                value = annual / 12 * share * trend * factor * rng.normal(1, 0.03, len(codes))
            if code == PLANTED["fai_drop"][1] and month == last:
                i = codes.index(PLANTED["fai_drop"][0])
                prior = [r for r in rows if r[1] == code and r[0] == codes[i]
                         and r[2] == _add_months(month, -12)]
                value[i] = prior[0][3] * 0.6
            if catalog.BUILT_IN.get(code).decimals == 0:
                value = np.round(value)
            rows += [(c, code, month, float(v)) for c, v in zip(codes, value)]
    for code, (base, spread, per_year, ceiling) in _RATES.items():
        level = base + rng.normal(0, spread, len(codes))
        for k, month in enumerate(months):
            season = 0.35 if (code == "unemployment_rate" and month.month in (2, 3)) else 0.0
            years_before_last = (len(months) - 1 - k) / 12.0
            value = level + season - per_year * years_before_last + rng.normal(
                0, max(0.1, spread / 10), len(codes))
            if code == "industrial_va_growth":
                value = value + 0.6 * np.sin(month.month / 2)
            if ceiling is not None:
                value = np.minimum(value, ceiling)
            for key in ("unemployment", "industry"):
                d, ind, _ = PLANTED[key]
                if ind == code and month == last:
                    value[codes.index(d)] = 6.4 if key == "unemployment" else 2.1
            rows += [(c, code, month, round(float(v), 2)) for c, v in zip(codes, value)]
    frame = pd.DataFrame(rows, columns=["district_code", "indicator_code", "period", "value"])
    frame["source"] = SOURCE
    frame["as_of"] = as_of
    insert(con, "indicator_values", frame)
