"""RFC 9162 Merkle tree hashing, proofs and proof verification: pure functions, no database.

See: https://www.rfc-editor.org/rfc/rfc9162#section-2.1

The tree over leaves ``D[0:n]`` is the one Certificate Transparency uses:

- leaf hash ``SHA-256(0x00 || data)`` (§2.1.1), interior node ``SHA-256(0x01 || left || right)``;
- the root of the empty tree is ``SHA-256("")``;
- for ``n > 1`` the split point ``k`` is the largest power of two smaller than ``n``.

Proofs are lists of subtree hashes ``MTH(D[a:b])``. This module says *which* ranges a proof
needs (``inclusion_ranges``, ``consistency_ranges``) apart from *how* their hashes are found, so
that the database store (``selectors``) answers a proof from stored nodes and this module's
in-memory versions (``inclusion_proof``, ``consistency_proof``) compute them from a list of
leaf hashes; both give the same bytes (tests). A range in a proof is always either a complete
subtree aligned on its size or the rightmost, incomplete part of a tree; ``subtrees`` cuts it into
complete subtrees ``(level, index)`` = ``D[index·2^level : (index+1)·2^level]``.

Verification follows §2.1.3.2 and §2.1.4.2, plus the two rules of the transparency-dev
verifier that its published probes rely on: a leaf hash must be 32 bytes, and a consistency proof
from the empty tree (size 0, even 0 → 0) is an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


class ProofError(ValueError):
    """A proof that does not prove what it claims (or cannot be checked at all)."""


def leaf_hash(data: bytes) -> bytes:
    # RFC 9162 §2.1.1: leaf hash = SHA-256(0x00 || entry)
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    # RFC 9162 §2.1.1: interior node = SHA-256(0x01 || left || right)
    return _sha256(_NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    if n < 2:
        raise ValueError("a tree of fewer than two leaves has no split point")
    return 1 << ((n - 1).bit_length() - 1)


def perfect_root(hashes: bytes) -> bytes:
    """The root of a complete tree whose bottom row is ``hashes`` (concatenated 32-byte hashes, a
    power of two of them): adjacent pairs are contiguous, so each node hashes one slice."""
    count = len(hashes) // HASH_SIZE
    if count == 0 or count & (count - 1) or len(hashes) % HASH_SIZE:
        raise ValueError("a perfect subtree needs a power of two of 32-byte hashes")
    row = hashes
    sha, prefix = _sha256, _NODE_PREFIX
    while len(row) > HASH_SIZE:
        row = b"".join([sha(prefix + row[i : i + 64]).digest() for i in range(0, len(row), 64)])
    return row


def root(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves whose leaf hashes are ``hashes`` (RFC 9162 §2.1.1)."""
    if not hashes:
        return EMPTY_ROOT
    # Bottom-up with a stack of complete subtrees (one per set bit of the count so far).
    stack: list[tuple[int, bytes]] = []
    for value in hashes:
        level, node = 0, value
        while stack and stack[-1][0] == level:
            node = node_hash(stack.pop()[1], node)
            level += 1
        stack.append((level, node))
    node = stack.pop()[1]
    while stack:
        node = node_hash(stack.pop()[1], node)
    return node


# --- which subtrees a proof needs ------------------------------------------------------------


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges ``[a, b)`` whose hashes make PATH(index, D[size]) (RFC 9162 §2.1.3.1), in proof
    order: the leaf's sibling first, the root's other child last."""
    if not 0 <= index < size:
        raise ValueError("the leaf index must be inside the tree")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make PROOF(first, D[second]) (RFC 9162 §2.1.4.1), in proof order.
    Empty when ``first == second``; undefined (an error) for the empty first tree."""
    if not 0 < first <= second:
        raise ValueError("a consistency proof needs 0 < first <= second")
    ranges: list[tuple[int, int]] = []
    lo, hi, whole = 0, second, True
    m = first
    while True:
        width = hi - lo
        if m == width:
            # SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
            if not whole:
                ranges.append((lo, hi))
            break
        k = split_point(width)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            whole = False
    ranges.reverse()
    return ranges


def subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` as complete subtrees ``(level, index)``, left to right, such that
    MTH(D[start:end]) = node(s1, node(s2, … node(s_{k-1}, s_k))). ``start`` must be aligned on a
    power of two at least ``end - start``, as every range of a proof is."""
    width = end - start
    if width <= 0:
        raise ValueError("an empty range has no subtrees")
    span = 1 << (width - 1).bit_length()
    if start % span:
        raise ValueError("the range does not start on a subtree boundary")
    nodes: list[tuple[int, int]] = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(nodes: Sequence[bytes]) -> bytes:
    """Combine the hashes of ``subtrees(a, b)`` into MTH(D[a:b])."""
    value = nodes[-1]
    for node in reversed(nodes[:-1]):
        value = node_hash(node, value)
    return value


# --- proofs from a list of leaf hashes ---------------------------------------------------------


def _range_hash(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    return root(hashes[start:end])


def inclusion_proof(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) for the tree of ``hashes`` (RFC 9162 §2.1.3.1)."""
    return [_range_hash(hashes, a, b) for a, b in inclusion_ranges(index, len(hashes))]


def consistency_proof(first: int, hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(first, D[n]) for the tree of ``hashes`` (RFC 9162 §2.1.4.1)."""
    return [_range_hash(hashes, a, b) for a, b in consistency_ranges(first, len(hashes))]


# --- verification ------------------------------------------------------------------------------


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, not {len(value)}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf`` (RFC 9162 §2.1.3.2, steps 1-4)."""
    if index < 0 or size < 0:
        raise ProofError("index and size cannot be negative")
    if index >= size:
        raise ProofError(f"leaf index {index} is not inside a tree of size {size}")
    _check_hash(leaf, "the leaf hash")
    fn, sn = index, size - 1
    value = leaf
    for node in proof:
        _check_hash(node, "a proof node")
        if sn == 0:
            raise ProofError("the proof is longer than the path")
        if fn & 1 or fn == sn:
            value = node_hash(node, value)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            value = node_hash(value, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path")
    return value


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> None:
    """Raise ``ProofError`` unless ``proof`` shows leaf ``index`` with hash ``leaf`` in the tree
    of ``size`` leaves whose root is ``root_hash`` (RFC 9162 §2.1.3.2)."""
    if root_from_inclusion_proof(index, size, leaf, proof) != root_hash:
        raise ProofError("the proof leads to another root")


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes) -> None:
    """Raise ``ProofError`` unless ``proof`` shows that the tree of ``second`` leaves with root
    ``second_root`` extends the tree of ``first`` leaves with root ``first_root`` (RFC 9162 §2.1.4.2)."""
    if first < 0 or second < 0:
        raise ProofError("sizes cannot be negative")
    if second < first:
        raise ProofError(f"the second tree ({second}) is smaller than the first ({first})")
    if first == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if first == second:
        if proof:
            raise ProofError("trees of the same size need an empty proof")
        if first_root != second_root:
            raise ProofError("trees of the same size must have the same root")
        return
    # §2.1.4.2 step 1: an empty proof fails.
    if not proof:
        raise ProofError("the proof is empty")
    for node in proof:
        _check_hash(node, "a proof node")
    path = list(proof)
    # Step 2: when first is an exact power of two, its root is the first node of the path.
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    # Steps 3-4.
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for node in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the path")
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    # Step 7.
    if sn != 0:
        raise ProofError("the proof is shorter than the path")
    if fr != first_root:
        raise ProofError("the proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the proof does not lead to the second root")
