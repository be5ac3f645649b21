"""Reads of mutual recognition: the public list of standards and one standard's mapping table."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from creditbank.core.errors import NotFound
from creditbank.imports import values
from creditbank.recognition.choices import StandardStatus
from creditbank.recognition.errors import RecognitionErrorCode
from creditbank.recognition.models import RecognitionMapping, RecognitionStandard


def list_public_standards() -> QuerySet[RecognitionStandard]:
    """Published and retired standards (drafts are not public), with their mapping counts: one query."""
    return (
        RecognitionStandard.objects.exclude(status=StandardStatus.DRAFT)
        .select_related("partner_region")
        .annotate(mapping_count=Count("mappings"))
        .order_by("code")
    )


def list_published_standards() -> QuerySet[RecognitionStandard]:
    return RecognitionStandard.objects.filter(status=StandardStatus.PUBLISHED).select_related("partner_region")


def get_public_standard(code: str) -> RecognitionStandard:
    standard = list_public_standards().filter(code=values.normalize_code(code)).first()
    if standard is None:
        raise NotFound(code=RecognitionErrorCode.STANDARD_NOT_FOUND)
    return standard


def list_mappings(standard: RecognitionStandard) -> QuerySet[RecognitionMapping]:
    return RecognitionMapping.objects.filter(standard=standard).order_by("partner_code")
