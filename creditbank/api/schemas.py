"""Schemas shared by every router: the error shape, references to orgs and regions, and helpers."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import BeforeValidator


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


# A query parameter that may be sent empty (``?kind=``), as HTML forms do: empty means "no filter".
BlankToNone = BeforeValidator(_blank_to_none)


class ErrorDetailOut(Schema):
    field: str = ""
    code: str
    message: str


class ErrorOut(Schema):
    """Every error: a stable code for machines, a translated message for people, and field details."""

    code: str
    message: str
    details: list[dict[str, Any]]


class OrgRefOut(Schema):
    code: str
    name: str


class RegionOut(Schema):
    code: str
    name: str
