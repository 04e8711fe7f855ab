"""A store's event vocabulary: the categories (大类 and their 小类), channels and life-cycle
stages its events are coded in, with their names, as the store's ``event_vocabulary`` table
holds them (the demo's, or a city's own from ``citybrain load categories`` / ``channels``).

Every screen, legend, filter and report names event codes through one of these, never
through ``catalog.EVENT_CATEGORIES``, which is only the demo's and a new city's default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from data import catalog

Names = dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Vocabulary:
    """code -> (name_zh, name_en) per vocabulary, in the store's order.

    ``categories`` are the first level (大类), ``subcategories`` the second (小类) with
    ``parents`` naming each one's 大类.
    """

    categories: Names
    channels: Names
    stages: Names = field(default_factory=lambda: dict(catalog.EVENT_STAGES))
    subcategories: Names = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping]) -> Vocabulary:
        """From ``event_vocabulary`` rows (vocabulary, code, name_zh, name_en, ord and,
        where the store has it, parent_code)."""
        out: dict[str, list] = {"category": [], "subcategory": [], "channel": [], "stage": []}
        for row in rows:
            kind, parent = row["vocabulary"], row.get("parent_code")
            parent = parent if isinstance(parent, str) and parent else None
            if kind == "category" and parent:
                kind = "subcategory"
            if kind in out:
                out[kind].append((row["ord"], row["code"], row["name_zh"], row["name_en"],
                                  parent))
        for items in out.values():
            items.sort(key=lambda item: (item[0], item[1]))

        def names(kind: str) -> Names:
            return {code: (zh, en) for _, code, zh, en, _ in out[kind]}
        return cls(categories=names("category"), channels=names("channel"),
                   stages=names("stage") or dict(catalog.EVENT_STAGES),
                   subcategories=names("subcategory"),
                   parents={code: parent for _, code, _, _, parent in out["subcategory"]})

    def names(self, kind: str, lang: str) -> dict[str, str]:
        """code -> name in ``lang`` of one vocabulary: category, subcategory, channel or
        stage."""
        table = {"category": self.categories, "subcategory": self.subcategories,
                 "channel": self.channels, "stage": self.stages}[kind]
        en = 1 if lang == "en" else 0
        return {code: pair[en] for code, pair in table.items()}

    def children(self, category: str) -> Names:
        """The 小类 of one 大类, in order (empty for an unknown one or one without)."""
        return {code: pair for code, pair in self.subcategories.items()
                if self.parents.get(code) == category}

    def text(self) -> str:
        """Every name, joined: the characters the interface font must hold."""
        return "".join(zh + en for table in (self.categories, self.subcategories,
                                             self.channels, self.stages)
                       for zh, en in table.values())


#: What a store without its own vocabulary rows reads (and figures given none): the grid's
#: categories and channels of ``data/catalog.py``.
DEFAULT = Vocabulary(categories=dict(catalog.EVENT_CATEGORIES),
                     channels=dict(catalog.EVENT_SOURCES))
