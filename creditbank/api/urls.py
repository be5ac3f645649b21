"""The API's URLs: ninja's operations (wrapped by ``views.api_view``), a JSON index, and a JSON 404 for the rest."""

from django.urls import URLPattern, URLResolver, re_path

from creditbank.api import views
from creditbank.api.main import api

_patterns, _app_name, _namespace = api.urls


def _adapted(pattern: URLPattern | URLResolver) -> URLPattern | URLResolver:
    if not isinstance(pattern, URLPattern):
        return pattern
    if pattern.name == "api-root":
        # ninja's root only raises 404 (it exists so that reverse() finds the prefix); answer with an index.
        return URLPattern(pattern.pattern, views.index, pattern.default_args, pattern.name)
    return URLPattern(pattern.pattern, views.api_view(pattern.callback), pattern.default_args, pattern.name)


urlpatterns = [
    re_path("", ([_adapted(pattern) for pattern in _patterns], _app_name, _namespace)),
    # Anything else under /api/v1/ is a JSON 404, not the HTML page.
    re_path(r"^.*$", views.not_found, name="api-not-found"),
]
