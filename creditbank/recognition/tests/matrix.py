"""What tests/test_api_permission_matrix.py needs for the mutual-recognition routes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

MATRIX_STANDARD = "CSJ-MATRIX"


def ensure_standard() -> str:
    """A published standard mapping SH-M1 to a published item (public reference data)."""
    from creditbank.catalog.models import CatalogItem
    from creditbank.catalog.tests.factories import make_item
    from creditbank.recognition.models import RecognitionStandard
    from creditbank.recognition.tests.helpers import make_standard

    if not CatalogItem.objects.filter(code="MATRIX-R").exists():
        make_item(code="MATRIX-R", name="程序设计")
    if not RecognitionStandard.objects.filter(code=MATRIX_STANDARD).exists():
        make_standard(code=MATRIX_STANDARD, mappings={"SH-M1": ("程序设计", "MATRIX-R")})
    return MATRIX_STANDARD


def get_standards(client: Any, path: str) -> Any:
    ensure_standard()
    return client.get(path)


def recognition_state(world: Any) -> Any:
    from creditbank.archive.models import Outcome

    ensure_standard()
    return Outcome.objects.filter(source="mutual_recognition").count()


def post_recognition(client: Any, world: Any) -> Any:
    from creditbank.recognition.demo_data import new_issuer_key, partner_credential, sign
    from creditbank.recognition.models import RecognitionStandard

    key, did, method = new_issuer_key()
    code = ensure_standard()
    RecognitionStandard.objects.filter(code=code).update(trusted_issuers=did)  # the partner's issuer
    document = partner_credential(
        did=did,
        achievement_code="SH-M1",
        achievement_name="程序设计",
        achieved_on=dt.date(2024, 6, 30),
        id_number=world.learner.id_number,
    )
    return client.post(
        "/api/v1/me/recognitions", {"standard": code, "credential_json": json.dumps(sign(document, key, method))}
    )


def has_standard(body: dict[str, Any], world: Any) -> bool:
    return any(item["code"] == MATRIX_STANDARD for item in body["items"])
