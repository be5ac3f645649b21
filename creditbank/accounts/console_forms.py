"""Console forms for learners: search, counter opening (柜台开户), status changes.

Validation of real-name data is the service's (``accounts.identity.validate_identity``); these
forms only collect the input, so that every way of opening an account applies the same rules.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from creditbank.accounts.choices import IdType, LearnerStatus
from creditbank.accounts.identity import validate_identity
from creditbank.console.forms import BootstrapFormMixin
from creditbank.core.errors import ValidationFailed
from creditbank.orgs.forms import OrgChoiceField, RegionChoiceField, anhui_regions
from creditbank.orgs.models import OrgUnit, Region


class LearnerSearchForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(
        label=_("ID number, phone, name or account number"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("ID number, phone, name or account number"),
            }
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *LearnerStatus.choices]
    )


class CounterOpeningForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Real name"), max_length=64)
    id_type = forms.ChoiceField(label=_("ID type"), choices=IdType.choices, initial=IdType.RESIDENT_ID)
    id_number = forms.CharField(
        label=_("ID number"), max_length=32, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    region = RegionChoiceField(
        label=_("Region"),
        required=False,
        queryset=Region.objects.none(),
        to_field_name="code",
        empty_label=_("Not given"),
    )
    org = OrgChoiceField(label=_("Home organisation"), queryset=OrgUnit.objects.none(), to_field_name="code")

    def __init__(self, *args: Any, orgs: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_field = self.fields["region"]
        org_field = self.fields["org"]
        assert isinstance(region_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        assert isinstance(org_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        region_field.queryset = anhui_regions()
        org_field.queryset = orgs

    def clean(self) -> dict[str, Any]:
        """Run the real-name validator early, so every field's error shows at once (the service
        validates again when the form is valid)."""
        data = super().clean() or {}
        region = data.get("region")
        try:
            validate_identity(
                name=self.data.get("name", ""),
                id_number=self.data.get("id_number", ""),
                phone=self.data.get("phone", ""),
                id_type=data.get("id_type") or self.data.get("id_type", ""),
                region=region.code if region is not None else "",
            )
        except ValidationFailed as exc:
            for detail in exc.details:
                field = str(detail.get("field", ""))
                if field in self.fields and field not in self.errors:
                    self.add_error(field, str(detail.get("message")))
        return data


class LearnerStatusForm(forms.Form):
    status = forms.ChoiceField(choices=LearnerStatus.choices)
