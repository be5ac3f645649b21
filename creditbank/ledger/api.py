"""The public proof API of the ledger: ``/api/v1/ledger/checkpoint``, ``/proof/inclusion`` and
``/proof/consistency``.

Public on purpose (anyone holding a record's leaf, or an earlier checkpoint, checks it without
an account), rate-limited per client address (``CREDITBANK_LEDGER_RATE_LIMIT`` a minute).

Encodings: every hash is given in **hex** (``root_hash``, ``leaf_hash``, ``proof``); the
checkpoint also carries its root in base64 (``root_hash_base64``), as the signed note writes it.
Proofs are RFC 9162 §2.1.3 / §2.1.4 audit paths, leaf side first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from creditbank.api.schemas import ErrorOut
from creditbank.core import context, ratelimit
from creditbank.core.errors import NotFound
from creditbank.ledger import selectors
from creditbank.ledger.errors import LedgerErrorCode

router = Router(tags=["Ledger"], auth=None)

_MAX_SIZE = 2**62  # anything larger is beyond any tree; keeps the number a 64-bit integer


def _limit(request: HttpRequest) -> None:
    ratelimit.hit(
        "ledger:" + (context.client_ip(request) or "unknown"), limit=settings.CREDITBANK_LEDGER_RATE_LIMIT, window=60
    )


class CheckpointOut(Schema):
    origin: str = Field(description="The log's origin line: <host of the deployment>/ledger.")
    size: int = Field(description="Tree size (number of leaves) the checkpoint signs.")
    root_hash: str = Field(description="Root hash, hex.")
    root_hash_base64: str = Field(description="Root hash, base64, as in the note.")
    note: str = Field(description="The C2SP signed-note checkpoint (origin, size, base64 root, signature line).")
    verifier_key: str = Field(description="C2SP verifier key: <origin>+<hex key ID>+<base64(0x01 || Ed25519 key)>.")
    public_key: str = Field(description="The Ed25519 public key, base64.")
    created_at: dt.datetime
    tree_size: int = Field(description="Leaves in the tree now (may be more than the checkpoint signs).")


class InclusionFilter(Schema):
    index: int = Field(ge=0, le=_MAX_SIZE, description="Leaf index, from 0.")
    size: int | None = Field(
        None, ge=0, le=_MAX_SIZE, description="Tree size to prove against; default: the latest checkpoint's."
    )


class InclusionProofOut(Schema):
    index: int
    size: int
    leaf_hash: str = Field(description="SHA-256(0x00 || leaf data), hex.")
    root_hash: str = Field(description="Root of the tree of `size` leaves, hex.")
    proof: list[str] = Field(description="Audit path, hex, leaf side first (RFC 9162 §2.1.3).")


class ConsistencyFilter(Schema):
    first: int = Field(alias="from", ge=0, le=_MAX_SIZE, description="The smaller tree size (at least 1).")
    second: int | None = Field(
        None, alias="to", ge=0, le=_MAX_SIZE, description="The larger tree size; default: the whole tree."
    )


class ConsistencyProofOut(Schema):
    first: int = Field(serialization_alias="from")
    second: int = Field(serialization_alias="to")
    first_root: str = Field(description="Root of the tree of `from` leaves, hex.")
    second_root: str = Field(description="Root of the tree of `to` leaves, hex.")
    proof: list[str] = Field(description="Consistency proof, hex (RFC 9162 §2.1.4).")


@router.get(
    "/checkpoint",
    response={200: CheckpointOut, 404: ErrorOut, 429: ErrorOut},
    summary="The latest signed checkpoint of the ledger",
    url_name="ledger-checkpoint",
)
def checkpoint(request: HttpRequest) -> Any:
    _limit(request)
    latest = selectors.latest_checkpoint()
    if latest is None:
        raise NotFound(code=LedgerErrorCode.NO_CHECKPOINT)
    return {
        **selectors.checkpoint_info(latest),
        "verifier_key": selectors.verifier_key(),
        "public_key": selectors.public_key_base64(),
        "tree_size": selectors.get_head().size,
    }


@router.get(
    "/proof/inclusion",
    response={200: InclusionProofOut, 422: ErrorOut, 429: ErrorOut},
    summary="Inclusion proof of one leaf",
    url_name="ledger-proof-inclusion",
)
def inclusion(request: HttpRequest, filters: Query[InclusionFilter]) -> Any:
    _limit(request)
    proof = selectors.inclusion_proof(filters.index, filters.size)
    return {
        "index": proof.index,
        "size": proof.size,
        "leaf_hash": proof.leaf_hash.hex(),
        "root_hash": proof.root_hash.hex(),
        "proof": [node.hex() for node in proof.proof],
    }


@router.get(
    "/proof/consistency",
    response={200: ConsistencyProofOut, 422: ErrorOut, 429: ErrorOut},
    summary="Consistency proof between two tree sizes",
    by_alias=True,
    url_name="ledger-proof-consistency",
)
def consistency(request: HttpRequest, filters: Query[ConsistencyFilter]) -> Any:
    _limit(request)
    proof = selectors.consistency_proof(filters.first, filters.second)
    return {
        "first": proof.first,
        "second": proof.second,
        "first_root": proof.first_root.hex(),
        "second_root": proof.second_root.hex(),
        "proof": [node.hex() for node in proof.proof],
    }
