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
    ``rows`` and ``section`` in its context; sections are shown by ``order``, after the outcomes.
    With ``transcript_template`` the section is printed on the transcript (学习成果证明) too."""

    name: str
    template: str
    rows: Callable[[Any], list[Any]]
    order: int = 100
    transcript_template: str = ""


_SECTIONS: dict[str, ArchiveSection] = {}


def register(section: ArchiveSection) -> None:
    """Add (or, on a second call with the same name, replace) a section."""
    _SECTIONS[section.name] = section


def sections_for(learner: Any, *, transcript: bool = False) -> list[dict[str, Any]]:
    """The registered sections that have something for ``learner``, in order, with their rows
    (with ``transcript``: those printed on the transcript, with that template)."""
    shown = []
    for section in sorted(_SECTIONS.values(), key=lambda item: (item.order, item.name)):
        template = section.transcript_template if transcript else section.template
        if not template:
            continue
        rows = section.rows(learner)
        if rows:
            shown.append({"section": section, "rows": rows, "template": template})
    return shown


# --- notes on single outcomes ---------------------------------------------------------------------

# ``(learner, outcome ids) -> {outcome id: [text, ...]}``: one query for all the outcomes shown.
OutcomeNotes = Callable[[Any, list[int]], dict[int, list[str]]]
_NOTES: dict[str, OutcomeNotes] = {}


def register_outcome_notes(name: str, notes: OutcomeNotes) -> None:
    """Add a source of short notes shown under outcomes (e.g. "used for conversion into …")."""
    _NOTES[name] = notes


def annotate(learner: Any, outcomes: list[Any]) -> None:
    """Set ``outcome.notes`` (a list of texts) on each of ``outcomes``."""
    ids = [outcome.pk for outcome in outcomes]
    merged: dict[int, list[str]] = {}
    if ids:
        for name in sorted(_NOTES):
            for outcome_id, texts in _NOTES[name](learner, ids).items():
                merged.setdefault(outcome_id, []).extend(texts)
    for outcome in outcomes:
        outcome.notes = merged.get(outcome.pk, [])
