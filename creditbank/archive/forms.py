"""Forms of the learner's archive pages. They collect input; ``archive.deposits`` checks it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditbank.archive.choices import OutcomeSource, OutcomeStatus
from creditbank.archive.deposits import DepositData
from creditbank.catalog.models import OutcomeType
from creditbank.console.forms import BootstrapFormMixin


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); the service checks each one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ArchiveFilterForm(BootstrapFormMixin, forms.Form):
    type = forms.ModelChoiceField(
        label=_("Outcome type"),
        required=False,
        queryset=OutcomeType.objects.all(),
        to_field_name="code",
        empty_label=_("All types"),
    )
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None, choices=[])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *OutcomeStatus.choices]
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *OutcomeSource.choices]
    )

    def __init__(self, *args: Any, years: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years")), *((year, str(year)) for year in years or [])]  # type: ignore[attr-defined]


class DepositForm(BootstrapFormMixin, forms.Form):
    item_code = forms.CharField(widget=forms.HiddenInput, max_length=32)
    other_name = forms.CharField(label=_("What is the outcome?"), required=False, max_length=200)
    other_issuer = forms.CharField(label=_("Who awarded it?"), required=False, max_length=128)
    achieved_on = forms.CharField(
        label=_("Date achieved"),
        max_length=20,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("As on the certificate."),
    )
    score = forms.CharField(
        label=_("Score or grade"),
        required=False,
        max_length=16,
        help_text=_("A number from 0 to 100, or 优秀, 良好, 合格 …; leave empty if there is none."),
    )
    certificate_no = forms.CharField(label=_("Certificate number"), required=False, max_length=64)
    hours = forms.CharField(label=_("Learning hours"), required=False, max_length=8)
    note = forms.CharField(
        label=_("Anything the reviewer should know"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = MultipleFileField(
        label=_("Evidence (PDF, JPG or PNG, at most 10 MB each)"),
        required=False,
        help_text=_("A photo or scan of the certificate, transcript or award. You can choose several files."),
    )

    def __init__(self, *args: Any, other: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not other:
            del self.fields["other_name"], self.fields["other_issuer"]

    def deposit_data(self) -> DepositData:
        data = self.cleaned_data
        return DepositData(
            item_code=data["item_code"],
            achieved_on=data["achieved_on"],
            score=data["score"],
            certificate_no=data["certificate_no"],
            hours=data["hours"],
            other_name=data.get("other_name", ""),
            other_issuer=data.get("other_issuer", ""),
            note=data["note"],
        )
