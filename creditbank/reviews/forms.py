"""Console forms of the review queue. The workflow's rules live in ``reviews.workflow`` and
``reviews.services``; these forms only collect which step and why."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditbank.console.forms import BootstrapFormMixin
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus, ReviewEventKind
from creditbank.reviews.selectors import QueueFilter

QUEUE_STATUSES = [("open", _("Open (waiting for someone)")), *ApplicationStatus.choices, ("all", _("All"))]
MAX_BATCH = 500
MAX_ID = 2**63 - 1


class QueueFilterForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=QUEUE_STATUSES)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *ApplicationKind.choices])
    item = forms.CharField(label=_("Catalog item code"), required=False, max_length=32)
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    region = forms.RegexField(
        label=_("Applicant's region code"), required=False, regex=r"^\d{6}$", max_length=6, strip=True
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def clean_submitted_from(self) -> Any:
        return _sane_date(self.cleaned_data.get("submitted_from"))

    def clean_submitted_to(self) -> Any:
        return _sane_date(self.cleaned_data.get("submitted_to"))

    def selected_status(self) -> str:
        """The selector's ``status`` argument: "open" by default, "" for all."""
        status = self.cleaned_data.get("status") if self.is_valid() else ""
        if not status:
            return "open"
        return "" if status == "all" else status

    def queue_filter(self) -> QueueFilter:
        if not self.is_bound:
            return QueueFilter()
        if not self.is_valid():
            return QueueFilter(status=self.selected_status())
        data = self.cleaned_data
        return QueueFilter(
            status=self.selected_status(),
            kind=data["kind"],
            item_code=data["item"].strip(),
            submitted_from=data["submitted_from"],
            submitted_to=data["submitted_to"],
            region=data["region"] or "",
            overdue=data["overdue"],
        )


def _sane_date(value: Any) -> Any:
    if value is not None and not 1900 <= value.year <= 9000:
        raise forms.ValidationError(_("Enter a date between 1900 and 9000."), code="out_of_range")
    return value


class ApplicationActionForm(BootstrapFormMixin, forms.Form):
    """One step on one application; the reason is required for returning and rejecting."""

    event = forms.ChoiceField(
        choices=[
            (ReviewEventKind.ACCEPTED, ReviewEventKind.ACCEPTED.label),
            (ReviewEventKind.APPROVED, ReviewEventKind.APPROVED.label),
            (ReviewEventKind.CERTIFIED, ReviewEventKind.CERTIFIED.label),
            (ReviewEventKind.FIRST_REVIEWED, ReviewEventKind.FIRST_REVIEWED.label),
            (ReviewEventKind.RETURNED, ReviewEventKind.RETURNED.label),
            (ReviewEventKind.REJECTED, ReviewEventKind.REJECTED.label),
        ]
    )
    note = forms.CharField(label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    # Certifying an "other" deposit: the catalog item it is.
    item_code = forms.CharField(label=_("Catalog item code"), required=False, max_length=32)


class IdListField(forms.Field):
    """The ticked checkboxes of the queue: a list of application ids."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            ids = sorted({int(item) for item in values})
        except (TypeError, ValueError):
            raise forms.ValidationError(_("The selection is not valid."), code="invalid") from None
        if ids and max(-ids[0], ids[-1]) > MAX_ID:  # beyond a 64-bit key: SQLite cannot even compare it
            raise forms.ValidationError(_("The selection is not valid."), code="invalid")
        if len(ids) > MAX_BATCH:
            raise forms.ValidationError(
                _("Select at most {count} applications at a time.").format(count=MAX_BATCH), code="too_many"
            )
        return ids


class BatchForm(forms.Form):
    """Batch steps from the queue: accept, pass first review, certify, or reject — one reason for all."""

    event = forms.ChoiceField(
        choices=[
            (ReviewEventKind.ACCEPTED, ReviewEventKind.ACCEPTED.label),
            (ReviewEventKind.APPROVED, ReviewEventKind.APPROVED.label),
            (ReviewEventKind.FIRST_REVIEWED, ReviewEventKind.FIRST_REVIEWED.label),
            (ReviewEventKind.CERTIFIED, ReviewEventKind.CERTIFIED.label),
            (ReviewEventKind.REJECTED, ReviewEventKind.REJECTED.label),
        ]
    )
    note = forms.CharField(
        label=_("Reason or comment (one for all)"),
        required=False,
        max_length=2000,
        help_text=_("Needed to reject; every learner concerned reads it."),
    )
    ids = IdListField(error_messages={"required": _("Select at least one application.")})
    status = forms.CharField(required=False, max_length=16)  # the queue filter to go back to

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("event") == ReviewEventKind.REJECTED and not cleaned.get("note", "").strip():
            self.add_error("note", _("Please give the reason; the learner will see it."))
        return cleaned
