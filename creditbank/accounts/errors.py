from enum import StrEnum


class AccountErrorCode(StrEnum):
    LEARNER_NOT_FOUND = "learner_not_found"
    DUPLICATE_ID_NUMBER = "duplicate_id_number"
    DUPLICATE_PHONE = "duplicate_phone"
    INVALID_CREDENTIALS = "invalid_credentials"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_PENDING = "account_pending"
    ACCOUNT_FROZEN = "account_frozen"
    ACCOUNT_CLOSED = "account_closed"
    ALREADY_ACTIVATED = "already_activated"
    IDENTITY_MISMATCH = "identity_mismatch"
    PHONE_CODE_INVALID = "phone_code_invalid"
    ORG_NOT_ACCEPTING = "org_not_accepting"
    REGION_UNKNOWN = "region_unknown"
    INVALID_STATUS_CHANGE = "invalid_status_change"
    PASSWORD_INVALID = "password_invalid"  # noqa: S105 - an error code, not a password
