"""Console forms for the catalog and the standards. They only collect input: the rules live in
``catalog.services.resolve`` and ``catalog.standards``, shared with the import and the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditbank.catalog.choices import ItemStatus, StandardKind
from creditbank.catalog.models import CatalogItem, FrameworkLevel, OutcomeType, Standard
from creditbank.catalog.services import ItemData
from creditbank.catalog.standards import StandardData
from creditbank.console.forms import BootstrapFormMixin


class ItemSearchForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Code, name or pinyin initials"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "placeholder": _("e.g. jsj or 1X-")}),
    )
    type = forms.ModelChoiceField(
        label=_("Outcome type"),
        required=False,
        queryset=OutcomeType.objects.all(),
        to_field_name="code",
        empty_label=_("All types"),
    )
    level = forms.ModelChoiceField(
        label=_("Framework level"),
        required=False,
        queryset=FrameworkLevel.objects.all(),
        to_field_name="number",
        empty_label=_("All levels"),
    )
    issuer = forms.CharField(label=_("Issuer code"), required=False, max_length=32)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *ItemStatus.choices]
    )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "query": data["q"].strip(),
            "type_code": data["type"].code if data["type"] else "",
            "level": data["level"].number if data["level"] else None,
            "issuer": data["issuer"].strip(),
            "status": data["status"],
        }


class ItemForm(BootstrapFormMixin, forms.Form):
    """Create or edit an item. Leave credits empty to let the type's credit rule compute them."""

    code = forms.CharField(
        label=_("Code"), max_length=32, help_text=_("Letters, digits, dots, hyphens; stored in capitals.")
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    type = forms.ModelChoiceField(label=_("Outcome type"), queryset=OutcomeType.objects.all(), to_field_name="code")
    issuer_code = forms.CharField(label=_("Issuer code"), max_length=32)
    issuer_name = forms.CharField(
        label=_("Issuer name"), max_length=128, required=False, help_text=_("Needed only for a new issuer code.")
    )
    level = forms.ModelChoiceField(
        label=_("Framework level"),
        required=False,
        queryset=FrameworkLevel.objects.all(),
        to_field_name="number",
        empty_label=_("None"),
    )
    credits = forms.CharField(
        label=_("Credits"),
        required=False,
        max_length=8,
        help_text=_("Leave empty to compute them from the hours or the level (the type's credit rule)."),
    )
    hours = forms.CharField(label=_("Learning hours"), required=False, max_length=8)
    validity_years = forms.CharField(label=_("Validity in years"), required=False, max_length=4)
    evidence_required = forms.CharField(
        label=_("Evidence required"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    standard = forms.ModelChoiceField(
        label=_("Certification standard"),
        required=False,
        queryset=Standard.objects.all(),
        to_field_name="number",
        empty_label=_("None"),
    )
    discipline_code = forms.CharField(label=_("Discipline code"), required=False, max_length=16)
    publish = forms.BooleanField(label=_("Publish at once"), required=False)

    def __init__(self, *args: Any, can_publish: bool = False, item: CatalogItem | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_publish or item is not None:
            del self.fields["publish"]
        if item is not None:
            self.fields["code"].disabled = True

    @classmethod
    def initial_for(cls, item: CatalogItem) -> dict[str, Any]:
        return {
            "code": item.code,
            "name": item.name,
            "type": item.outcome_type.code,
            "issuer_code": item.issuer.code,
            "level": item.level.number if item.level is not None else None,
            "credits": str(item.credits),
            "hours": item.learning_hours if item.learning_hours is not None else "",
            "validity_years": item.validity_years if item.validity_years is not None else "",
            "evidence_required": item.evidence_required,
            "standard": item.standard.number if item.standard is not None else None,
            "discipline_code": item.discipline.code if item.discipline is not None else "",
        }

    def item_data(self) -> ItemData:
        data = self.cleaned_data
        return ItemData(
            code=data["code"],
            name=data["name"],
            type=data["type"].code,
            issuer_code=data["issuer_code"],
            issuer_name=data["issuer_name"],
            level=data["level"].number if data["level"] else None,
            credits=data["credits"] or None,
            hours=data["hours"] or None,
            validity_years=data["validity_years"] or None,
            evidence_required=data["evidence_required"],
            standard_number=data["standard"].number if data["standard"] else "",
            discipline_code=data["discipline_code"],
        )


class CatalogImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Catalog file (XLSX or CSV)"))
    draft = forms.BooleanField(label=_("Import as drafts (publish later)"), required=False)
    strict = forms.BooleanField(label=_("Import nothing when any row is bad"), required=False)

    MAX_BYTES = 20 * 1024 * 1024  # a catalog of 100,000 items is about 10 MB

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than {size} MB.").format(size=self.MAX_BYTES // (1024 * 1024)), code="too_large"
            )
        return upload


class StandardForm(BootstrapFormMixin, forms.Form):
    number = forms.CharField(label=_("Number"), max_length=64)
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=StandardKind.choices)
    issuing_org = forms.CharField(label=_("Issuing organisation"), max_length=128)
    scope = forms.CharField(label=_("Scope"), max_length=255, required=False)
    effective_on = forms.DateField(
        label=_("Effective date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    body = forms.CharField(label=_("Body"), required=False, widget=forms.Textarea(attrs={"rows": 10}))

    @classmethod
    def initial_for(cls, standard: Standard) -> dict[str, Any]:
        return {
            name: getattr(standard, name)
            for name in ("number", "title", "kind", "issuing_org", "scope", "effective_on", "body")
        }

    def standard_data(self) -> StandardData:
        return StandardData(**self.cleaned_data)


class AttachmentForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("Attachment (PDF, image, DOCX or XLSX, at most 20 MB)"))
