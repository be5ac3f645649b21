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
    # One outcome row is bad.
    LEARNER_NOT_FOUND = "learner_not_found"
    NAME_MISMATCH = "name_mismatch"
    ITEM_REQUIRED = "item_required"
    ITEM_UNKNOWN = "item_unknown"
    ITEM_NOT_PUBLISHED = "item_not_published"
    ITEM_RETIRED = "item_retired"
    DATE_REQUIRED = "date_required"
    DATE_FORMAT = "date_format"
    DATE_IMPOSSIBLE = "date_impossible"
    DATE_IN_FUTURE = "date_in_future"
    DATE_TOO_EARLY = "date_too_early"
    SCORE_FORMAT = "score_format"
    SCORE_OUT_OF_RANGE = "score_out_of_range"
    SCORE_FAILING = "score_failing"
    HOURS_FORMAT = "hours_format"
    CREDITS_FORMAT = "credits_format"
    CERTIFICATE_NO_TOO_LONG = "certificate_no_too_long"
    FORMULA_CELL = "formula_cell"
    # Jobs.
    JOB_NOT_FOUND = "import_job_not_found"
    JOB_STATE = "import_job_state"
    ORG_UNKNOWN = "org_unknown"
    CANCELLED = "import_cancelled"
    FAILED = "import_failed"
