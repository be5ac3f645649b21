"""RFC 9162 hashing, proofs and verification (pure): the published golden tables and probes, and
hypothesis properties over random trees."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.ledger import merkle

VECTORS = Path(__file__).parent / "vectors"
GOLDEN = json.loads((VECTORS / "rfc6962-8-leaf-golden.json").read_text())
PROBES = sorted((VECTORS / "transparency-dev" / "testdata").rglob("*.json"))
LEAVES = [merkle.leaf_hash(bytes.fromhex(data)) for data in GOLDEN["leavesHex"]]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def test_all_196_transparency_dev_probes_are_here():
    assert len(PROBES) == 196


def test_the_hasher_vectors():
    hasher = GOLDEN["hasher"]
    assert merkle.EMPTY_ROOT.hex() == hasher["emptyRoot"]
    assert merkle.leaf_hash(b"").hex() == hasher["emptyLeafHash"]
    assert merkle.leaf_hash(b"L123456").hex() == hasher["leafHash_of_ascii_L123456"]
    assert merkle.node_hash(b"N123", b"N456").hex() == hasher["nodeHash_of_ascii_N123_N456"]


@pytest.mark.parametrize(("size", "expected"), sorted(GOLDEN["rootsBySize"].items()))
def test_the_roots_of_the_first_n_golden_leaves(size, expected):
    assert merkle.root(LEAVES[: int(size)]).hex() == expected


def test_the_node_hashes_by_level():
    for level, hashes in enumerate(GOLDEN["nodeHashesByLevel"]):
        width = 1 << level
        assert [merkle.root(LEAVES[i : i + width]).hex() for i in range(0, 8, width)][: len(hashes)] == hashes


@pytest.mark.parametrize("case", GOLDEN["inclusionProofs"], ids=lambda c: f"{c['leafIndex']}-of-{c['treeSize']}")
def test_the_golden_inclusion_proofs(case):
    # given
    index, size = case["leafIndex"], case["treeSize"]
    # when
    proof = merkle.inclusion_proof(index, LEAVES[:size])
    # then
    assert [node.hex() for node in proof] == case["proofHex"]
    merkle.verify_inclusion(index, size, LEAVES[index], proof, merkle.root(LEAVES[:size]))


@pytest.mark.parametrize("case", GOLDEN["consistencyProofs"], ids=lambda c: f"{c['size1']}-to-{c['size2']}")
def test_the_golden_consistency_proofs(case):
    # given
    first, second = case["size1"], case["size2"]
    # when
    proof = merkle.consistency_proof(first, LEAVES[:second])
    # then
    assert [node.hex() for node in proof] == case["proofHex"]
    merkle.verify_consistency(first, second, proof, merkle.root(LEAVES[:first]), merkle.root(LEAVES[:second]))


def _verdict(probe: dict[str, Any]) -> bool:
    """True when the verifier rejects the probe."""
    proof = [_b64(node) for node in probe["proof"] or []]
    try:
        if "leafIdx" in probe:
            merkle.verify_inclusion(
                probe["leafIdx"], probe["treeSize"], _b64(probe["leafHash"]), proof, _b64(probe["root"])
            )
        else:
            merkle.verify_consistency(probe["size1"], probe["size2"], proof, _b64(probe["root1"]), _b64(probe["root2"]))
    except merkle.ProofError:
        return True
    return False


@pytest.mark.parametrize("path", PROBES, ids=lambda p: str(p.relative_to(VECTORS / "transparency-dev" / "testdata")))
def test_each_transparency_dev_probe_gets_the_expected_verdict(path):
    probe = json.loads(path.read_text())
    assert _verdict(probe) is probe["wantErr"]


# --- properties ---------------------------------------------------------------------------------


def _leaves(count: int) -> list[bytes]:
    return [merkle.leaf_hash(index.to_bytes(4, "big")) for index in range(count)]


@st.composite
def tree_and_index(draw):
    size = draw(st.integers(min_value=1, max_value=300))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def two_sizes(draw):
    second = draw(st.integers(min_value=1, max_value=300))
    return draw(st.integers(min_value=1, max_value=second)), second


@settings(max_examples=200, deadline=None)
@given(tree_and_index())
def test_every_inclusion_proof_verifies(case):
    size, index = case
    leaves = _leaves(size)
    merkle.verify_inclusion(index, size, leaves[index], merkle.inclusion_proof(index, leaves), merkle.root(leaves))


@settings(max_examples=200, deadline=None)
@given(two_sizes())
def test_every_consistency_proof_verifies(case):
    first, second = case
    leaves = _leaves(second)
    proof = merkle.consistency_proof(first, leaves)
    merkle.verify_consistency(first, second, proof, merkle.root(leaves[:first]), merkle.root(leaves))


def _flip(value: bytes, position: int) -> bytes:
    position %= len(value)
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1 :]


@settings(max_examples=200, deadline=None)
@given(tree_and_index(), st.integers(min_value=0), st.sampled_from(["leaf", "node", "root"]), st.integers(min_value=0))
def test_any_one_byte_change_fails_an_inclusion_proof(case, position, target, which):
    # given
    size, index = case
    leaves = _leaves(size)
    leaf, proof, root = leaves[index], merkle.inclusion_proof(index, leaves), merkle.root(leaves)
    if target == "node" and not proof:
        target = "root"  # a one-leaf tree has no proof nodes
    # when one byte changes
    if target == "leaf":
        leaf = _flip(leaf, position)
    elif target == "node":
        which %= len(proof)
        proof = [*proof[:which], _flip(proof[which], position), *proof[which + 1 :]]
    else:
        root = _flip(root, position)
    # then
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(index, size, leaf, proof, root)


@settings(max_examples=200, deadline=None)
@given(two_sizes(), st.integers(min_value=0), st.sampled_from(["node", "first", "second"]), st.integers(min_value=0))
def test_any_one_byte_change_fails_a_consistency_proof(case, position, target, which):
    # given
    first, second = case
    leaves = _leaves(second)
    proof = merkle.consistency_proof(first, leaves)
    first_root, second_root = merkle.root(leaves[:first]), merkle.root(leaves)
    if target == "node" and not proof:
        target = "second"  # equal sizes: the proof is empty
    # when
    if target == "node":
        which %= len(proof)
        proof = [*proof[:which], _flip(proof[which], position), *proof[which + 1 :]]
    elif target == "first":
        first_root = _flip(first_root, position)
    else:
        second_root = _flip(second_root, position)
    # then
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(first, second, proof, first_root, second_root)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=2**40), st.data())
def test_proof_ranges_cut_into_aligned_complete_subtrees(size, data):
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    first = data.draw(st.integers(min_value=1, max_value=size))
    for start, end in [*merkle.inclusion_ranges(index, size), *merkle.consistency_ranges(first, size), (0, size)]:
        nodes = merkle.subtrees(start, end)
        covered = start
        for level, node_index in nodes:
            assert node_index << level == covered
            covered += 1 << level
        assert covered == end


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="inside the tree"):
        merkle.inclusion_ranges(3, 3)
    with pytest.raises(ValueError, match="0 < first"):
        merkle.consistency_ranges(0, 3)
    with pytest.raises(ValueError, match="boundary"):
        merkle.subtrees(1, 3)
    with pytest.raises(merkle.ProofError, match="32 bytes"):
        merkle.verify_inclusion(0, 1, b"short", [], merkle.EMPTY_ROOT)
    with pytest.raises(merkle.ProofError, match="smaller"):
        merkle.verify_consistency(3, 2, [], merkle.EMPTY_ROOT, merkle.EMPTY_ROOT)
