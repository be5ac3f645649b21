"""Writes to the service network: creating and editing nodes, staff and their memberships."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from creditbank.audit import services as audit
from creditbank.core.errors import Conflict, Forbidden, ValidationFailed
from creditbank.orgs import permissions
from creditbank.orgs.choices import CHILD_KINDS, OrgCategory, OrgKind, OrgStatus
from creditbank.orgs.errors import OrgErrorCode
from creditbank.orgs.models import Membership, OrgUnit, Region, Role

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
ORG_FIELDS = ("code", "name", "kind", "category", "region_id", "address", "contact_name", "contact_phone", "status")


def _validate_org_fields(*, code: str, name: str, region: str, status: str = OrgStatus.ACTIVE) -> tuple[str, Region]:
    errors: list[dict[str, Any]] = []
    code = code.strip().upper()
    if not _CODE.match(code):
        errors.append(
            {
                "field": "code",
                "code": OrgErrorCode.CODE_FORMAT,
                "message": str(_("Use up to 32 letters, digits or hyphens.")),
            }
        )
    if not name.strip():
        errors.append({"field": "name", "code": "name_required", "message": str(_("Name is required."))})
    region_obj = Region.objects.filter(code=region.strip()).first()
    if region_obj is None:
        errors.append(
            {"field": "region", "code": OrgErrorCode.REGION_UNKNOWN, "message": str(_("Unknown region code."))}
        )
    if status not in OrgStatus.values:
        errors.append({"field": "status", "code": "status_unknown", "message": str(_("Unknown status."))})
    if errors:
        raise ValidationFailed(details=errors)
    assert region_obj is not None  # noqa: S101 - narrowed by the errors check above
    return code, region_obj


def _child_category(parent: OrgUnit | None, kind: str, category: str) -> str:
    if kind == OrgKind.MANAGEMENT:
        return ""
    if kind == OrgKind.CENTRE:
        if category not in OrgCategory.values:
            raise ValidationFailed.for_field(
                "category", _("Choose the centre's category."), code=OrgErrorCode.CATEGORY_REQUIRED
            )
        return category
    return parent.category if parent is not None else category  # sub-centres and points inherit it


@transaction.atomic
def create_org(
    *,
    actor: Any,
    parent: OrgUnit | None,
    kind: str,
    code: str,
    name: str,
    region: str,
    category: str = "",
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    status: str = OrgStatus.ACTIVE,
) -> OrgUnit:
    """A new node under ``parent``: the management centre creates centres, a centre its
    sub-centres and points, a sub-centre its points."""
    if parent is None:
        if kind != OrgKind.MANAGEMENT or OrgUnit.objects.filter(kind=OrgKind.MANAGEMENT).exists():
            raise ValidationFailed.for_field(
                "parent", _("Only the management centre has no parent."), code=OrgErrorCode.INVALID_PARENT_KIND
            )
    else:
        if actor is not None and not permissions.can(actor, "orgs.manage", parent.path):
            raise Forbidden(code="role_cannot_orgs_manage")
        if kind not in CHILD_KINDS.get(parent.kind, ()):
            raise ValidationFailed.for_field(
                "kind", _("This kind of organisation cannot be created here."), code=OrgErrorCode.INVALID_PARENT_KIND
            )
    code, region_obj = _validate_org_fields(code=code, name=name, region=region, status=status)
    org = OrgUnit(
        code=code,
        name=name.strip(),
        kind=kind,
        category=_child_category(parent, kind, category),
        parent=parent,
        depth=(parent.depth + 1) if parent else 0,
        path=f"tmp-{code}",
        region=region_obj,
        address=address.strip(),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        status=status,
    )
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError:
        raise Conflict(
            _("An organisation with this code already exists."),
            code=OrgErrorCode.DUPLICATE_CODE,
            details=[
                {
                    "field": "code",
                    "code": OrgErrorCode.DUPLICATE_CODE,
                    "message": str(_("An organisation with this code already exists.")),
                }
            ],
        ) from None
    org.path = (parent.path if parent else "") + f"{org.pk:06d}."
    org.save(update_fields=["path"])
    audit.record(actor=actor, action="orgs.create", obj=org, after=audit.snapshot(org, ORG_FIELDS), org_path=org.path)
    return org


@transaction.atomic
def update_org(org: OrgUnit, *, actor: Any, **changes: Any) -> OrgUnit:
    """Edit a node's details (its place in the tree never changes: paths are stable)."""
    if not permissions.can(actor, "orgs.manage", org.path):
        raise Forbidden(code="role_cannot_orgs_manage")
    if org.parent_id is not None and not permissions.can(actor, "orgs.manage", org.parent.path if org.parent else ""):
        # A centre may edit its children but only the management centre edits the centre itself.
        raise Forbidden(code="role_cannot_orgs_manage")
    before = audit.snapshot(org, ORG_FIELDS)
    code, region_obj = _validate_org_fields(
        code=changes.get("code", org.code),
        name=changes.get("name", org.name),
        region=changes.get("region", org.region_id),
        status=changes.get("status", org.status),
    )
    if code != org.code and OrgUnit.objects.filter(code=code).exclude(pk=org.pk).exists():
        raise Conflict(_("An organisation with this code already exists."), code=OrgErrorCode.DUPLICATE_CODE)
    org.code = code
    org.region = region_obj
    for field in ("name", "address", "contact_name", "contact_phone", "status"):
        if field in changes:
            setattr(org, field, str(changes[field]).strip())
    if org.kind == OrgKind.CENTRE and changes.get("category"):
        org.category = _child_category(org.parent, org.kind, changes["category"])
    org.save()
    audit.record(
        actor=actor,
        action="orgs.update",
        obj=org,
        before=before,
        after=audit.snapshot(org, ORG_FIELDS),
        org_path=org.path,
    )
    return org


@transaction.atomic
def ensure_roles() -> list[Role]:
    """Create or refresh the default roles (idempotent; used by migrations' data and the demo)."""
    roles = []
    for code, (name, actions) in permissions.DEFAULT_ROLES.items():
        role, _created = Role.objects.update_or_create(
            code=code, defaults={"name": str(name), "actions": list(actions)}
        )
        roles.append(role)
    return roles


@transaction.atomic
def create_staff_user(
    *, actor: Any, org: OrgUnit, username: str, password: str, display_name: str = "", roles: list[str]
) -> Any:
    """A staff account with one membership; the actor must manage staff at ``org``."""
    if actor is not None and not permissions.can(actor, "staff.manage", org.path):
        raise Forbidden(code="role_cannot_staff_manage")
    user_model = get_user_model()
    username = username.strip()
    if not re.match(r"^[A-Za-z][A-Za-z0-9_.-]{2,63}$", username):
        raise ValidationFailed.for_field(
            "username",
            _("Use 3 to 64 letters, digits, dots, hyphens or underscores, starting with a letter."),
            code="username_format",
        )
    if user_model.objects.filter(username__iexact=username).exists():
        raise Conflict(
            _("This username is taken."),
            code=OrgErrorCode.USERNAME_TAKEN,
            details=[
                {"field": "username", "code": OrgErrorCode.USERNAME_TAKEN, "message": str(_("This username is taken."))}
            ],
        )
    user = user_model.objects.create_user(
        username=username, password=password, kind="staff", display_name=display_name.strip()
    )
    set_membership(actor=actor, user=user, org=org, roles=roles)
    audit.record(
        actor=actor,
        action="staff.create",
        obj=user,
        after={"username": username, "org": org.code, "roles": roles},
        org_path=org.path,
    )
    return user


@transaction.atomic
def set_membership(*, actor: Any, user: Any, org: OrgUnit, roles: list[str]) -> Membership:
    """Give ``user`` exactly ``roles`` at ``org`` (an empty list removes the membership)."""
    if actor is not None and not permissions.can(actor, "staff.manage", org.path):
        raise Forbidden(code="role_cannot_staff_manage")
    role_objects = list(Role.objects.filter(code__in=roles))
    if len(role_objects) != len(set(roles)):
        raise ValidationFailed.for_field("roles", _("Unknown role."), code=OrgErrorCode.ROLE_UNKNOWN)
    membership, _created = Membership.objects.get_or_create(user=user, org=org, defaults={"org_path": org.path})
    before = sorted(membership.roles.values_list("code", flat=True))
    if roles:
        membership.roles.set(role_objects)
    else:
        membership.delete()
    permissions.forget(user)
    audit.record(
        actor=actor,
        action="staff.set_membership",
        obj=user,
        before={"org": org.code, "roles": before},
        after={"org": org.code, "roles": sorted(roles)},
        org_path=org.path,
    )
    return membership
