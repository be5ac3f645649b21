"""Stable error codes of the import pipelines (files refused whole, and per-row problems)."""

from enum import StrEnum


class ImportErrorCode(StrEnum):
    # The whole file is refused.
    FILE_EMPTY = "file_empty"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE_UNSUPPORTED = "file_type_unsupported"
    ENCODING_UNKNOWN = "encoding_unknown"
    NOT_A_SPREADSHEET = "not_a_spreadsheet"
    XLSX_NAMED_CSV = "xlsx_named_csv"
    MISSING_COLUMNS = "missing_columns"
    DUPLICATE_COLUMNS = "duplicate_columns"
    # One row is bad (the validators add their own codes: id_number_checksum, phone_format, ...).
    REGION_UNKNOWN = "region_unknown"
    ID_NUMBER_LOST_DIGITS = "id_number_lost_digits"
    PHONE_LOST_DIGITS = "phone_lost_digits"
    PHONE_IN_USE = "phone_in_use"
    # Jobs.
    JOB_NOT_FOUND = "import_job_not_found"
    JOB_STATE = "import_job_state"
    ORG_UNKNOWN = "org_unknown"
    CANCELLED = "import_cancelled"
    FAILED = "import_failed"
