"""The public catalog: ``GET /api/v1/catalog/items`` and ``/catalog/items/{code}``.

Public on purpose (the portal and apps show what can be deposited before anyone signs in);
only the current published version of each item is shown.
"""

from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from creditbank.api.pagination import Pagination
from creditbank.api.schemas import BlankToNone
from creditbank.catalog import selectors

router = Router(tags=["Learning-outcome catalog"], auth=None)


class RefOut(Schema):
    code: str
    name: str


class StandardRefOut(Schema):
    number: str
    title: str


class ItemOut(Schema):
    code: str
    version: int
    name: str
    type: RefOut = Field(alias="outcome_type")
    issuer: RefOut
    level: int | None = Field(description="Framework level, 1 to 10.")
    credits: Decimal
    learning_hours: int | None
    validity_years: int | None
    evidence_required: str
    standard: StandardRefOut | None

    @staticmethod
    def resolve_level(obj: Any) -> int | None:
        return obj.level.number if obj.level_id else None


class ItemFilter(Schema):
    q: str = Field("", max_length=64, description="Start of the code, part of the name, or pinyin initials.")
    type: str = Field("", max_length=32, description="Outcome type code, e.g. one_plus_x.")
    level: Annotated[int | None, BlankToNone] = Field(None, ge=1, le=99, description="Framework level number.")
    issuer: str = Field("", max_length=32, description="Issuer code.")


@router.get("/items", response=list[ItemOut], summary="Search the learning-outcome catalog")
@paginate(Pagination)
def list_items(request: HttpRequest, filters: Query[ItemFilter]) -> Any:
    """Current published items, by code."""
    return selectors.search_items(
        query=filters.q, type_code=filters.type.strip(), level=filters.level, issuer=filters.issuer
    )


@router.get("/items/{code}", response=ItemOut, summary="One catalog item (its current published version)")
def get_item(request: HttpRequest, code: str) -> Any:
    return selectors.get_published_item(code)
