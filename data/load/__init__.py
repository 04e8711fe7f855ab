"""Loading a city's own files into a store: boundaries, indicators, readings, events.

Every reader collects all the problems of a file (``problems.Problem``: file, row, column,
value, what was expected) and raises one ``LoadError`` holding them; ``build`` writes
everything in one transaction, into the served file itself (a feed's batch) or into a copy
renamed over it (a new city, boundaries), and nothing at all unless everything loaded.

The readers, each module above those it uses:

- ``catalogue``, ``indicators``, ``targets``, ``air``, ``water``, ``events``, ``places``,
  ``key_tasks``, ``service_cases``: a reader each, checking a table's cells against the
  store and the catalogue;
- ``table``: CSV, Excel or Parquet into a ``Table`` of text cells with their row numbers;
- ``columns``: the names each kind's columns go by (``table`` finds a header by them),
  matching a header against them, and the problems found on the way;
- ``cells``: numbers, periods, times, classes and units parsed from one cell's text;
- ``boundaries``: GeoJSON, Shapefile or GeoPackage boundaries (through ``geo.gdal``).

Above them, ``build.load`` (the all-or-nothing load), ``isolated`` (a load in a child process
within limits, for uploads) and ``dropfolder`` (the files systems write into a folder, each
loaded by ``build.load`` and moved to ``done/`` or ``failed/``).
"""
