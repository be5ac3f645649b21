"""Console forms for the service network and its staff. Rules live in ``orgs.services``; these
forms only collect input and offer the choices that are in the user's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from creditbank.console.forms import BootstrapFormMixin
from creditbank.console.labels import role_label
from creditbank.orgs.choices import CHILD_KINDS, OrgCategory, OrgKind, OrgStatus, RegionLevel
from creditbank.orgs.models import OrgUnit, Region, Role

ANHUI_PREFIX = "34"


def anhui_regions() -> QuerySet[Region]:
    """Anhui and its current cities and counties (GB/T 2260), in code order."""
    return Region.objects.current().filter(code__startswith=ANHUI_PREFIX).order_by("code")


class RegionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Counties indented under their city, so the long list reads as a tree."""

    def label_from_instance(self, obj: Any) -> str:
        indent = {RegionLevel.PROVINCE: "", RegionLevel.CITY: "\u3000", RegionLevel.COUNTY: "\u3000\u3000"}.get(
            obj.level, ""
        )
        return f"{indent}{obj.name}（{obj.code}）"


class OrgChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.code}）"


class OrgFilterForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("Name or code"), "type": "search"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *OrgKind.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All statuses")), *OrgStatus.choices])


class _OrgFieldsForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32, help_text=_("2 to 32 capital letters, digits or hyphens, e.g. L-HF-SS.")
    )
    name = forms.CharField(label=_("Name"), max_length=128)
    category = forms.ChoiceField(label=_("Centre category"), required=False, choices=[("", "—"), *OrgCategory.choices])
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none(), to_field_name="code")
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_field = self.fields["region"]
        assert isinstance(region_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        region_field.queryset = anhui_regions()

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"],
            "category": data.get("category") or "",
            "region": data["region"].code,
            "address": data.get("address") or "",
            "contact_name": data.get("contact_name") or "",
            "contact_phone": data.get("contact_phone") or "",
        }


class OrgCreateForm(_OrgFieldsForm):
    """A child node: only the kinds allowed under ``parent`` are offered."""

    kind = forms.ChoiceField(label=_("Kind"), choices=())
    field_order = ["kind", "code", "name", "category", "region", "address", "contact_name", "contact_phone"]

    def __init__(self, *args: Any, parent: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = CHILD_KINDS.get(parent.kind, ())
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)  # noqa: S101 - declared above
        kind_field.choices = [(kind, OrgKind(kind).label) for kind in allowed]
        if len(allowed) == 1:
            kind_field.initial = allowed[0]
        if OrgKind.CENTRE not in allowed:
            del self.fields["category"]
        self.fields["region"].initial = parent.region_id


class OrgEditForm(_OrgFieldsForm):
    status = forms.ChoiceField(label=_("Status"), choices=OrgStatus.choices)

    def __init__(self, *args: Any, org: OrgUnit, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "code": org.code,
                "name": org.name,
                "category": org.category,
                "region": org.region_id,
                "address": org.address,
                "contact_name": org.contact_name,
                "contact_phone": org.contact_phone,
                "status": org.status,
            },
        )
        super().__init__(*args, **kwargs)
        if org.kind != OrgKind.CENTRE:
            del self.fields["category"]

    def service_values(self) -> dict[str, Any]:
        values = super().service_values()
        values["status"] = self.cleaned_data["status"]
        if "category" not in self.fields:
            values.pop("category")
        return values


class RoleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return role_label(obj)


def _role_field(*, required: bool) -> RoleChoiceField:
    return RoleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.all(),
        to_field_name="code",
        required=required,
        widget=forms.CheckboxSelectMultiple,
    )


class StaffFilterForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("Username or name"), "type": "search"}),
    )
    org = forms.CharField(label=_("Organisation code"), required=False, max_length=32)
    role = forms.ModelChoiceField(
        label=_("Role"), required=False, queryset=Role.objects.all(), to_field_name="code", empty_label=_("All roles")
    )


class StaffCreateForm(BootstrapFormMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=64)
    display_name = forms.CharField(label=_("Name"), max_length=64, required=False)
    password1 = forms.CharField(
        label=_("Initial password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Repeat the password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    org = OrgChoiceField(label=_("Organisation"), queryset=OrgUnit.objects.none(), to_field_name="code")
    roles = _role_field(required=True)

    def __init__(self, *args: Any, orgs: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_field = self.fields["org"]
        assert isinstance(org_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        org_field.queryset = orgs

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class MembershipForm(BootstrapFormMixin, forms.Form):
    """Exactly these roles at this org; no roles removes the membership."""

    org = OrgChoiceField(label=_("Organisation"), queryset=OrgUnit.objects.none(), to_field_name="code")
    roles = _role_field(required=False)

    def __init__(self, *args: Any, orgs: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_field = self.fields["org"]
        assert isinstance(org_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        org_field.queryset = orgs
