"""Loading a city's own files into a store: boundaries, indicators, readings, events.

Every reader collects all the problems of a file (``problems.Problem``: file, row, column,
value, what was expected) and raises one ``LoadError`` holding them; ``build`` writes a new
store file beside the served one and swaps it in only when everything loaded.
"""
