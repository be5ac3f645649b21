"""Stable error codes of mutual recognition (互认)."""

from enum import StrEnum


class RecognitionErrorCode(StrEnum):
    # The standard and its mapping table.
    STANDARD_NOT_FOUND = "recognition_standard_not_found"
    STANDARD_NOT_PUBLISHED = "recognition_standard_not_published"
    STANDARD_REQUIRED = "standard_required"
    STANDARD_CONFLICT = "standard_conflict"
    REGION_UNKNOWN = "region_unknown"
    REGION_IS_OURS = "region_is_ours"
    PARTNER_CODE_REQUIRED = "partner_code_required"
    PARTNER_NAME_REQUIRED = "partner_name_required"
    PARTNER_CODE_REPEATED = "partner_code_repeated"
    ITEM_REQUIRED = "item_required"
    ITEM_UNKNOWN = "item_unknown"
    ITEM_RETIRED = "item_retired"
    ITEM_NOT_PUBLISHED = "item_not_published"
    CREDITS_FORMAT = "credits_format"
    # A credential.
    CREDENTIAL_INVALID = "credential_invalid"
    CREDENTIAL_UNSIGNED = "credential_unsigned"
    CREDENTIAL_UNSUPPORTED = "credential_unsupported"
    CREDENTIAL_ISSUER_REGION = "credential_issuer_not_partner"
    LEARNER_REQUIRED = "learner_required"
    SUBJECT_MISMATCH = "subject_mismatch"
    SUBJECT_UNIDENTIFIED = "subject_unidentified"
    DATE_REQUIRED = "date_required"
    # A partner row or achievement.
    UNMAPPED = "unmapped_achievement"
    LEARNER_NOT_FOUND = "learner_not_found"
    NAME_MISMATCH = "name_mismatch"
    FILE_TYPE_UNSUPPORTED = "file_type_unsupported"
