"""The NinjaAPI instance: auth, error handlers, and each app's router.

Authenticated by default (a bearer token or the browser session); public routes say
``auth=None`` on purpose, and the permission matrix lists them so the choice stays explicit.
OpenAPI 3 at ``/api/v1/openapi.json``, interactive docs at ``/api/v1/docs``.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from creditbank.accounts.api import identity_router
from creditbank.accounts.api import router as learners_router
from creditbank.api import errors
from creditbank.api.auth import ANY_USER_AUTH
from creditbank.api.schemas import ErrorOut
from creditbank.archive.api import router as archive_router
from creditbank.archive.push_api import router as push_router
from creditbank.audit.api import router as audit_router
from creditbank.catalog.api import router as catalog_router
from creditbank.conversion.api import me_router as conversion_me_router
from creditbank.conversion.api import public_router as conversion_public_router
from creditbank.conversion.api import staff_router as conversion_staff_router
from creditbank.conversion.worth_api import router as conversion_worth_router
from creditbank.credentials.api import public_router as credentials_public_router
from creditbank.credentials.api import router as credentials_router
from creditbank.ledger.api import router as ledger_router
from creditbank.orgs.api import router as orgs_router
from creditbank.reviews.api import router as reviews_router
from creditbank.reviews.me_api import router as my_applications_router

DESCRIPTION = """\
The REST API of creditbank, a lifelong-learning credit bank.

**Authentication.** Apps send `Authorization: Bearer <token>`, with a token from
`POST /api/v1/auth/token`. The browser uses its session; unsafe methods then need the
`X-CSRFToken` header.

**Errors** are always `{"code": "...", "message": "...", "details": [...]}`: `code` is stable,
`message` is translated (`Accept-Language`), and `details` lists field errors as
`{"field", "code", "message"}`.

**Data scope.** Staff see and act on the subtrees of the organisations they work for, per
action. An object outside that scope answers 404, exactly as a missing one.

**Lists** take `limit` (1–200, default 50) and `offset`, and answer `{"items": [...], "count": N}`.
"""

# Standard error responses added to the operations of the OpenAPI document where they can happen.
_ERROR_RESPONSES = {
    "401": "Not authenticated (code not_authenticated).",
    "403": "Authenticated, but not allowed (codes staff_only, csrf_failed, role_cannot_…).",
    "404": "Not found, or outside the caller's data scope.",
    "422": "Invalid input (code validation_error, with field details).",
}


def _possible_errors(path: str, operation: dict[str, Any]) -> list[str]:
    statuses = []
    if operation.get("security"):
        statuses += ["401", "403"]
    if "{" in path or ("requestBody" in operation and operation.get("security")):
        statuses.append("404")
    if operation.get("parameters") or "requestBody" in operation:
        statuses.append("422")
    return statuses


class Renderer(JSONRenderer):
    # Chinese text as UTF-8, not \\uXXXX escapes: readable, and a third smaller.
    json_dumps_params = {"ensure_ascii": False}


class CreditbankAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """ninja's schema, plus the shared error shape on every operation."""
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                documented = {str(status) for status in responses}
                for status in _possible_errors(path, operation):
                    if status not in documented:
                        responses[status] = {"description": _ERROR_RESPONSES[status], "content": reference}
        return schema


api = CreditbankAPI(
    title="creditbank API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=ANY_USER_AUTH,
    renderer=Renderer(),
)
errors.install(api)

api.add_router("/", identity_router)
api.add_router("/orgs", orgs_router)
api.add_router("/learners", learners_router)
api.add_router("/reviews", reviews_router)
api.add_router("/audit", audit_router)
api.add_router("/catalog", catalog_router)
api.add_router("/ledger", ledger_router)
api.add_router("/", archive_router)
api.add_router("/", push_router)
api.add_router("/", my_applications_router)
api.add_router("/", credentials_public_router)
api.add_router("/", credentials_router)
api.add_router("/", conversion_public_router)
api.add_router("/", conversion_me_router)
api.add_router("/", conversion_staff_router)
api.add_router("/", "creditbank.recognition.api.router")
api.add_router("/", conversion_worth_router)
