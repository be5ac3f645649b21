"""The learner's page ``/me/recognitions/``: upload a credential another region's credit bank
issued, pick the standard, and see what was stored and what did not map."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from creditbank.archive.views import learner_page
from creditbank.core.errors import ApplicationError
from creditbank.core.forms import add_application_error
from creditbank.recognition import selectors, services
from creditbank.recognition.forms import RecognitionUploadForm


@learner_page
def me_recognitions(request: HttpRequest, learner: Any) -> HttpResponse:
    form = RecognitionUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            document = services.read_credential_upload(
                form.cleaned_data["credential"], form.cleaned_data["credential_json"]
            )
            result = services.import_credential(
                learner, document, standard=form.cleaned_data["standard"], actor=request.user
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
    return render(
        request,
        "recognition/me_recognitions.html",
        {"form": form, "result": result, "standards": selectors.list_public_standards()},
    )
