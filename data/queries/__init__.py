"""The query layer: the only code that speaks SQL.

Every question the screens ask is a method of ``Queries`` taking small hashable arguments
(codes, ISO dates) and returning a DataFrame or a plain value. Values travel as ``?``
parameters; the few names that reach SQL text (aggregate expressions, table columns) are
picked from fixed dicts keyed by the catalogue or the event table's columns, never taken from
a request. Results are memoised with flask-caching, keyed by the store's version, or by the
versions of the feeds a method reads (its ``READS``), so neither a reloaded store nor a batch
answers from an old cache.

``Queries`` is one class made of a mixin per domain, each in its module: dimensions (places,
metadata, areas), indicators, environment (air, water), events (aggregates over the
rollups), event_table (single events), key_tasks, services and emergency (warnings and
resources); base holds what they share.
"""

from data.queries.base import FULL, Scope
from data.queries.dimensions import DimensionQueries
from data.queries.emergency import EmergencyQueries
from data.queries.environment import POLLUTANTS, EnvironmentQueries
from data.queries.event_table import EVENT_TABLE_COLUMNS, EventTableQueries
from data.queries.events import EventQueries
from data.queries.indicators import KPI_CODES, IndicatorQueries
from data.queries.key_tasks import (
    KEY_TASK_AT_RISK_GAP,
    KEY_TASK_DONE,
    KEY_TASK_STATUSES,
    KeyTaskQueries,
)
from data.queries.services import ServiceQueries

__all__ = ["EVENT_TABLE_COLUMNS", "FULL", "KEY_TASK_AT_RISK_GAP", "KEY_TASK_DONE",
           "KEY_TASK_STATUSES", "KPI_CODES", "POLLUTANTS", "Queries", "Scope"]


class Queries(DimensionQueries, IndicatorQueries, EnvironmentQueries, EventQueries,
              EventTableQueries, KeyTaskQueries, ServiceQueries, EmergencyQueries):
    """All reads of one store. Construct with the store and a flask-caching ``Cache``
    (None: nothing is memoised) and, for a district's user, a ``Scope``."""

    #: Methods memoised in the cache (all take only arguments whose repr is stable). Their
    #: keys are named after this class, so they do not change when a method moves from one
    #: domain module to another.
    CACHED = (*DimensionQueries.CACHED, *IndicatorQueries.CACHED, *EnvironmentQueries.CACHED,
              *EventQueries.CACHED, *EventTableQueries.CACHED, *KeyTaskQueries.CACHED,
              *ServiceQueries.CACHED, *EmergencyQueries.CACHED)
    #: What each of them reads (QueryBase.READS).
    READS = {**DimensionQueries.READS, **IndicatorQueries.READS, **EnvironmentQueries.READS,
             **EventQueries.READS, **EventTableQueries.READS, **KeyTaskQueries.READS,
             **ServiceQueries.READS, **EmergencyQueries.READS}
