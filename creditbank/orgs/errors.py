from enum import StrEnum


class OrgErrorCode(StrEnum):
    ORG_NOT_FOUND = "org_not_found"
    INVALID_PARENT_KIND = "invalid_parent_kind"
    DUPLICATE_CODE = "duplicate_org_code"
    REGION_UNKNOWN = "region_unknown"
    CODE_FORMAT = "org_code_format"
    CATEGORY_REQUIRED = "category_required"
    ROLE_UNKNOWN = "role_unknown"
    USERNAME_TAKEN = "username_taken"
