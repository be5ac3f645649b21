"""The public directory of the service network: ``GET /api/v1/orgs`` and ``/orgs/{code}``.

Public on purpose (a learner looks for the nearest acceptance point before having an account);
the permission matrix lists these routes with every caller getting 200.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from creditbank.api.pagination import Pagination
from creditbank.api.schemas import BlankToNone, RegionOut
from creditbank.orgs import selectors
from creditbank.orgs.choices import OrgCategory, OrgKind

router = Router(tags=["Service network"], auth=None)


class ContactOut(Schema):
    name: str
    phone: str


class OrgOut(Schema):
    code: str
    name: str
    kind: OrgKind
    kind_label: str
    category: OrgCategory | None
    region: RegionOut
    parent: str | None = Field(description="Code of the parent node; null for the management centre.")
    address: str
    contact: ContactOut

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_category(obj: Any) -> str | None:
        return obj.category or None

    @staticmethod
    def resolve_parent(obj: Any) -> str | None:
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_contact(obj: Any) -> dict[str, str]:
        return {"name": obj.contact_name, "phone": obj.contact_phone}


class OrgFilter(Schema):
    region: str = Field(
        "",
        pattern=r"^(\d{6})?$",
        description="GB/T 2260 code; a province or city code also matches the divisions below it.",
    )
    kind: Annotated[OrgKind | None, BlankToNone] = None
    category: Annotated[OrgCategory | None, BlankToNone] = None
    q: str = Field("", max_length=64, description="Part of the name or address, or the exact code.")


@router.get("", response=list[OrgOut], summary="List the service network")
@paginate(Pagination)
def list_orgs(request: HttpRequest, filters: Query[OrgFilter]) -> Any:
    """Active nodes of the network (management centre, centres, sub-centres, acceptance points)."""
    return selectors.list_public_orgs(
        region=filters.region, kind=filters.kind or "", category=filters.category or "", query=filters.q.strip()
    )


@router.get("/{code}", response=OrgOut, summary="One node of the service network")
def get_org(request: HttpRequest, code: str) -> Any:
    return selectors.get_public_org(code)
