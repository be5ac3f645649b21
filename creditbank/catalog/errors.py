from enum import StrEnum


class CatalogErrorCode(StrEnum):
    DUPLICATE_CODE = "catalog_duplicate_code"
    UNKNOWN_TYPE = "catalog_unknown_type"
    UNKNOWN_LEVEL = "catalog_unknown_level"
    NEGATIVE_CREDITS = "catalog_negative_credits"
    CREDITS_REQUIRED = "catalog_credits_required"
    INVALID_NUMBER = "catalog_invalid_number"
    REQUIRED = "catalog_required"
    TOO_LONG = "catalog_too_long"
    CODE_FORMAT = "catalog_code_format"
    UNKNOWN_STANDARD = "catalog_unknown_standard"
    UNKNOWN_DISCIPLINE = "catalog_unknown_discipline"
    OLD_VERSION = "catalog_old_version"
    NOT_FOUND = "catalog_item_not_found"
    ITEM_RETIRED = "catalog_item_retired"
    NOT_PUBLISHED = "catalog_item_not_published"
    ALREADY_PUBLISHED = "catalog_item_already_published"
    CANNOT_PROPOSE = "role_cannot_catalog_propose"
    CANNOT_PUBLISH = "role_cannot_catalog_publish"
