"""Three faces, one look: the public portal ``/``, the learner space ``/me/``, the staff console
``/console/``; and the REST API under ``/api/v1/``. Each app's urls.py carries its full paths."""

from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", include("creditbank.api.urls")),
    path("", include("creditbank.portal.urls")),
    path("", include("creditbank.accounts.urls")),
    path("", include("creditbank.accounts.console_urls")),
    path("", include("creditbank.console.urls")),
    path("", include("creditbank.orgs.urls")),
    path("", include("creditbank.reviews.urls")),
    path("", include("creditbank.imports.urls")),
    path("", include("creditbank.catalog.console_urls")),
    path("", include("creditbank.conversion.console_urls")),
    path("", include("creditbank.archive.urls")),
    path("", include("creditbank.credentials.urls")),
    path("", include("creditbank.recognition.urls")),
    path("", include("creditbank.audit.urls")),
]
