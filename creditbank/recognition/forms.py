from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditbank.recognition import selectors


class RecognitionUploadForm(forms.Form):
    """A learner's credential from another region's credit bank, and the standard to map it by."""

    standard = forms.ModelChoiceField(
        label=_("Mutual-recognition standard"), queryset=selectors.list_published_standards(), to_field_name="code"
    )
    credential = forms.FileField(label=_("Credential file (JSON)"), required=False)
    credential_json = forms.CharField(
        label=_("Or paste the credential"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["standard"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = selectors.list_published_standards().order_by("code")
