"""Reads of the ledger: the head, checkpoints, and proofs answered from the stored tiles.

A proof reads the tiles that hold the subtrees it needs — one query, about ``2·log16(n)`` rows
— and hashes at most 7 times per subtree; nothing else of the tree is touched (``tiles.py``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext as _

from creditbank.core import signing
from creditbank.core.errors import ValidationFailed
from creditbank.ledger import digests, events, merkle, notes, tiles
from creditbank.ledger.errors import LedgerErrorCode
from creditbank.ledger.models import Checkpoint, LedgerHead, LedgerLeaf, LedgerTile


def origin() -> str:
    """The checkpoint origin: ``<host of CREDITBANK_PUBLIC_URL>/ledger`` (also the key name)."""
    return f"{signing.public_host()}/ledger"


def verifier_key() -> str:
    """The C2SP verifier key of the checkpoints: ``<origin>+<key ID>+<base64(0x01 || key)>``."""
    return notes.verifier_key(origin(), signing.public_key_bytes())


def public_key_base64() -> str:
    return base64.b64encode(signing.public_key_bytes()).decode()


def get_head() -> LedgerHead:
    head = LedgerHead.objects.filter(pk=1).first()
    return head if head is not None else LedgerHead(pk=1)


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-id").first()


# --- node hashes from tiles ----------------------------------------------------------------------


_TILE_TABLE = LedgerTile._meta.db_table
_HEAD_TABLE = LedgerHead._meta.db_table


def _fetch_tiles(keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The tiles with these keys, in one statement (row values, on both databases). Raw SQL: this
    is the proof path, and building the ORM filter cost more than the query itself."""
    quote = connection.ops.quote_name
    rows = ", ".join(["(%s, %s)"] * len(keys))
    sql = (
        f"SELECT {quote('level')}, {quote('index')}, {quote('hashes')} FROM {quote(_TILE_TABLE)} "  # noqa: S608
        f"WHERE ({quote('level')}, {quote('index')}) IN (VALUES {rows})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for key in keys for value in key])
        return {(level, index): bytes(hashes) for level, index, hashes in cursor.fetchall()}


def tree_size() -> int:
    """How many leaves the tree has now (one indexed read)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT size FROM {connection.ops.quote_name(_HEAD_TABLE)} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row is not None else 0


def _node_hashes(nodes: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The hashes of these complete subtrees ``(level, index)``: one query for their tiles."""
    if not nodes:
        return {}
    where = {node: tiles.node_location(*node) for node in nodes}
    found = _fetch_tiles(sorted({key for key, _first, _count in where.values()}))
    result = {}
    for node, (key, first, count) in where.items():
        stored = found.get(key)
        if stored is None:
            raise LookupError(f"ledger tile {key[0]}/{key[1]} is missing")
        result[node] = tiles.node_from_tile(stored, first, count)
    return result


def _ranges_hashes(ranges: list[tuple[int, int]]) -> list[bytes]:
    parts = [merkle.subtrees(start, end) for start, end in ranges]
    hashes = _node_hashes({node for part in parts for node in part})
    return [merkle.fold([hashes[node] for node in part]) for part in parts]


def root_at(size: int) -> bytes:
    """MTH of the first ``size`` leaves, from the stored tiles."""
    if size == 0:
        return merkle.EMPTY_ROOT
    return _ranges_hashes([(0, size)])[0]


def _check_size(size: int, current: int, field: str) -> None:
    if size > current:
        raise ValidationFailed.for_field(
            field,
            _("The ledger has only {size} leaves.").format(size=current),
            code=LedgerErrorCode.SIZE_BEYOND_TREE,
        )


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    root_hash: bytes
    proof: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    proof: list[bytes]


def inclusion_proof(index: int, size: int | None = None) -> InclusionProof:
    """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves (default:
    the latest checkpoint's size, else the whole tree), with that tree's root and the leaf hash —
    all from one read of the tiles."""
    current = tree_size()
    if size is None:
        checkpoint = latest_checkpoint()
        size = checkpoint.size if checkpoint is not None and checkpoint.size > index else current
    _check_size(size, current, "size")
    if not 0 <= index < size:
        raise ValidationFailed.for_field(
            "index",
            _("The leaf index must be from 0 to {last}.").format(last=size - 1)
            if size
            else _("The tree of this size has no leaves."),
            code=LedgerErrorCode.INDEX_OUT_OF_RANGE,
        )
    return _inclusion_proofs([(index, size)])[0]


def _inclusion_proofs(wanted: list[tuple[int, int]]) -> list[InclusionProof]:
    """Proofs of ``(index, size)`` pairs already checked to be inside the tree: one read of the tiles for all."""
    plans = []
    nodes: set[tuple[int, int]] = set()
    for index, size in wanted:
        parts = [merkle.subtrees(start, end) for start, end in [*merkle.inclusion_ranges(index, size), (0, size)]]
        plans.append(parts)
        nodes.update(node for part in parts for node in part)
        nodes.add((0, index))
    hashes = _node_hashes(nodes)
    proofs = []
    for (index, size), parts in zip(wanted, plans, strict=True):
        values = [merkle.fold([hashes[node] for node in part]) for part in parts]
        proofs.append(
            InclusionProof(
                index=index, size=size, leaf_hash=hashes[(0, index)], root_hash=values[-1], proof=values[:-1]
            )
        )
    return proofs


def consistency_proof(first: int, second: int | None = None) -> ConsistencyProof:
    """The RFC 9162 consistency proof from the tree of ``first`` leaves to the tree of ``second``
    (default: the whole tree), with both roots."""
    current = tree_size()
    second = current if second is None else second
    _check_size(second, current, "to")
    if first > second:
        raise ValidationFailed.for_field(
            "from", _("'from' must not be larger than 'to'."), code=LedgerErrorCode.FROM_AFTER_TO
        )
    if first < 1:
        raise ValidationFailed.for_field(
            "from",
            _("A consistency proof starts from a tree of at least one leaf."),
            code=LedgerErrorCode.EMPTY_FIRST_TREE,
        )
    ranges = merkle.consistency_ranges(first, second)
    parts = [merkle.subtrees(start, end) for start, end in [*ranges, (0, first), (0, second)]]
    hashes = _node_hashes({node for part in parts for node in part})
    values = [merkle.fold([hashes[node] for node in part]) for part in parts]
    return ConsistencyProof(
        first=first, second=second, first_root=values[-2], second_root=values[-1], proof=values[:-2]
    )


def checkpoint_info(checkpoint: Checkpoint) -> dict[str, Any]:
    root_hash = bytes(checkpoint.root_hash)
    return {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root_hash": root_hash.hex(),
        "root_hash_base64": base64.b64encode(root_hash).decode(),
        "note": checkpoint.note,
        "created_at": checkpoint.created_at,
    }


def inclusion_for(record_type: str, record_id: int) -> list[dict[str, Any]]:
    """Every leaf of one record, oldest first, each with its inclusion proof against the latest
    checkpoint (or, for a leaf newer than it, the whole tree, with ``checkpoint`` None).

    Each item: ``index``, ``event_type``, ``leaf_hash`` (hex), ``data`` (the leaf's canonical
    JSON), ``created_at``, ``size`` and ``root_hash`` (hex) of the tree the proof is for,
    ``proof`` (hex hashes, RFC 9162 order), ``checkpoint`` (``checkpoint_info`` or None),
    ``verifier_key``, ``event_label`` (translated), ``proof_url`` (the API's proof), ``is_latest`` (the record's newest leaf) and ``record_intact`` (for the newest
    leaf: whether the record as stored now still has the digest the leaf commits to; None
    otherwise). Hashes are hex here; the API documents its own encoding."""
    if record_type not in digests.RECORD_TYPES:
        raise ValidationFailed.for_field(
            "record_type", _("The ledger keeps no records of this type."), code=LedgerErrorCode.UNKNOWN_RECORD_TYPE
        )
    leaves = list(
        LedgerLeaf.objects.filter(record_type=record_type, record_id=record_id)
        .order_by("index")
        .values_list("index", "event_type", "leaf_hash", "data", "created_at")
    )
    if not leaves:
        return []
    checkpoint = latest_checkpoint()
    current = tree_size()
    now = digests.current(digests.get(record_type), record_id)
    key = verifier_key()
    sizes = [checkpoint.size if checkpoint is not None and leaf[0] < checkpoint.size else current for leaf in leaves]
    proofs = _inclusion_proofs([(leaf[0], size) for leaf, size in zip(leaves, sizes, strict=True)])
    result = []
    for position, ((index, event_type, leaf_hash, data, created_at), proof) in enumerate(
        zip(leaves, proofs, strict=True)
    ):
        anchored = checkpoint if checkpoint is not None and index < checkpoint.size else None
        is_latest = position == len(leaves) - 1
        intact = None
        if is_latest:
            intact = now is not None and json.loads(data).get("digest") == now[0]
        result.append(
            {
                "index": index,
                "event_type": event_type,
                "leaf_hash": bytes(leaf_hash).hex(),
                "data": data,
                "created_at": created_at,
                "size": proof.size,
                "root_hash": proof.root_hash.hex(),
                "proof": [node.hex() for node in proof.proof],
                "checkpoint": checkpoint_info(anchored) if anchored is not None else None,
                "event_label": str(events.EVENT_TYPES[event_type].label)
                if event_type in events.EVENT_TYPES
                else event_type,
                "proof_url": reverse("api:ledger-proof-inclusion") + f"?index={index}&size={proof.size}",
                "verifier_key": key,
                "is_latest": is_latest,
                "record_intact": intact,
            }
        )
    return result
