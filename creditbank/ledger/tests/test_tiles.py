"""The tile store's arithmetic: extending a tree in any pieces gives the tiles of building it at
once, and every complete subtree read from a tile is the RFC 9162 hash of its leaves."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.ledger import merkle, tiles


def _leaves(count: int) -> list[bytes]:
    return [merkle.leaf_hash(b"%d" % index) for index in range(count)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=6))
def test_extending_in_pieces_gives_the_same_tiles_and_root(pieces):
    # given
    leaves = _leaves(sum(pieces))
    whole = tiles.build_tiles(leaves)
    # when the same leaves come in pieces, each starting from the stored partial tiles
    stored: dict[tuple[int, int], bytes] = {}
    size = 0
    for count in pieces:
        partials = {level: stored[(level, index)] for level, index, _width in tiles.partial_tiles(size)}
        builder = tiles.TileBuilder(size, partials)
        builder.extend(b"".join(leaves[size : size + count]))
        stored.update(builder.changed)
        size += count
        # then the root is right after every piece
        assert builder.root() == merkle.root(leaves[:size])
    assert stored == whole.changed


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=700), st.data())
def test_every_complete_subtree_comes_from_one_tile(size, data):
    leaves = _leaves(size)
    stored = tiles.build_tiles(leaves).changed
    level = data.draw(st.integers(min_value=0, max_value=size.bit_length() - 1))
    index = data.draw(st.integers(min_value=0, max_value=(size >> level) - 1))
    key, first, count = tiles.node_location(level, index)
    assert tiles.node_from_tile(stored[key], first, count) == merkle.root(leaves[index << level : (index + 1) << level])


def test_the_partial_tiles_of_a_tree():
    assert tiles.partial_tiles(0) == []
    assert tiles.partial_tiles(16) == [(1, 0, 1)]
    assert tiles.partial_tiles(16 * 16 + 17) == [(0, 17, 1), (1, 1, 1), (2, 0, 1)]
