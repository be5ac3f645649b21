"""Error codes of the ledger's API and services (stable strings for machines)."""

from __future__ import annotations

from enum import StrEnum


class LedgerErrorCode(StrEnum):
    INDEX_OUT_OF_RANGE = "ledger_index_out_of_range"
    SIZE_BEYOND_TREE = "ledger_size_beyond_tree"
    FROM_AFTER_TO = "ledger_from_after_to"
    EMPTY_FIRST_TREE = "ledger_empty_first_tree"
    NO_CHECKPOINT = "ledger_no_checkpoint"
    UNKNOWN_RECORD_TYPE = "ledger_unknown_record_type"
