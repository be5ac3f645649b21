"""Sections that other apps add to a learner's archive page (learner space and console).

The archive does not import the apps built on it (conversion imports the archive); an app that
writes records into the archive registers a section here from its ``AppConfig.ready`` instead,
as the ledger's record types are registered. Each section costs one query per page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ArchiveSection:
    """``rows(learner)`` reads what the section shows (one query); ``template`` renders it with
    ``rows`` and ``section`` in its context; sections are shown by ``order``, after the outcomes."""

    name: str
    template: str
    rows: Callable[[Any], list[Any]]
    order: int = 100


_SECTIONS: dict[str, ArchiveSection] = {}


def register(section: ArchiveSection) -> None:
    """Add (or, on a second call with the same name, replace) a section."""
    _SECTIONS[section.name] = section


def sections_for(learner: Any) -> list[dict[str, Any]]:
    """The registered sections that have something for ``learner``, in order, with their rows."""
    shown = []
    for section in sorted(_SECTIONS.values(), key=lambda item: (item.order, item.name)):
        rows = section.rows(learner)
        if rows:
            shown.append({"section": section, "rows": rows, "template": section.template})
    return shown
