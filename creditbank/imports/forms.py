"""The upload form: a file and the organisation the learners will belong to."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from creditbank.imports import selectors
from creditbank.imports.errors import ImportErrorCode
from creditbank.orgs.models import OrgUnit


class OrgChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        org: OrgUnit = obj
        return f"{org.name}（{org.code}）"


class LearnerUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A .xlsx workbook or a .csv file (UTF-8 or GBK) with the template's header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )
    org = OrgChoiceField(
        label=_("Organisation the learners belong to"),
        queryset=OrgUnit.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    target_action = "accounts.import"

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = selectors.list_import_targets(user, self.target_action)
        field = self.fields["org"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = targets
        if len(targets) == 1:
            field.initial = targets[0].pk

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = int(settings.CREDITBANK_IMPORT_MAX_BYTES)
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than {size} MB; split it into smaller files.").format(
                    size=limit // (1024 * 1024)
                ),
                code=ImportErrorCode.FILE_TOO_LARGE,
            )
        return upload


class OutcomeUploadForm(LearnerUploadForm):
    """The same upload, for a bulk deposit: the organisation is the depositing one."""

    target_action = "archive.import"

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["org"].label = _("Depositing organisation")
