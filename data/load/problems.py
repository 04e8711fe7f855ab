"""What is wrong with an input file, said so that a person with Excel can fix it."""

from __future__ import annotations

from dataclasses import dataclass, field

#: A file's problems are reported together, up to this many (then "... and N more").
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One problem: where (file, row or feature number as the user counts them, column),
    the value found, and what was expected. ``level`` "warning" does not stop a load."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    level: str = "error"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        found = "" if self.value is None else f"{_short(self.value)!r}: "
        return f"{', '.join(where)}: {found}{self.expected}"


def _short(value: str, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass
class Problems:
    """A file's problems as they are found; ``check()`` raises them all at once."""

    file: str
    items: list[Problem] = field(default_factory=list)
    dropped: int = 0

    def add(self, row: int | None, column: str | None, value, expected: str,
            level: str = "error") -> None:
        if len(self.items) >= MAX_PROBLEMS:
            if level == "error":    # warnings past the cap are only not listed
                self.dropped += 1
            return
        self.items.append(Problem(self.file, row, column, None if value is None else str(value),
                                  expected, level))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.level == "warning"]

    def check(self) -> None:
        """Raise LoadError if any error was found (warnings alone pass)."""
        if self.errors or self.dropped:
            raise LoadError(self.items, self.dropped)


class LoadError(ValueError):
    """A load that cannot go ahead: every problem found, each on its own line."""

    def __init__(self, problems: list[Problem], more: int = 0):
        self.problems = list(problems)
        self.more = more
        lines = [str(p) if p.level == "error" else f"warning: {p}" for p in self.problems]
        if more:
            lines.append(f"... and {more} more problems")
        super().__init__("\n".join(lines))

    def __reduce__(self):
        # raised in the feed readers' process and raised again in the server's
        return LoadError, (self.problems, self.more)
