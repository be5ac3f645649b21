"""How the tree's node hashes are stored: tiles of height 4, after C2SP tlog-tiles.

See: https://github.com/C2SP/C2SP/blob/main/tlog-tiles.md

A tile at tile level ``L`` and index ``N`` holds up to 16 consecutive hashes of tree level
``4·L``: entries ``16·N … 16·N + 15`` of that level (level 0 = the leaf hashes, level 4 = the
roots of complete 16-leaf subtrees, and so on). Full tiles never change; the rightmost tile of
each level is partial and grows as leaves are appended. A complete subtree at level ``4·L + r``
(``0 <= r < 4``) is the perfect tree over ``2^r`` entries of one tile, so any node a proof needs
costs one stored row and at most 7 hashes, and a proof of a tree of ``n`` leaves reads about
``2·log16(n)`` rows (6 levels of tiles at ten million leaves). With 16 hashes a tile is 512
bytes — below PostgreSQL's TOAST threshold, so appending one leaf rewrites one small row.

Why not one row per node (level, index)? It is ``n`` rows for ``n`` leaves and ``log2(n)`` rows per
proof; the tiles are ``n/15`` rows of 512 bytes and a third of the rows per proof, for at most
7 hashes per node (docs/decisions/0005-ledger-merkle-log-and-checkpoints.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from creditbank.ledger.merkle import EMPTY_ROOT, HASH_SIZE, fold, perfect_root

TILE_HEIGHT = 4
TILE_WIDTH = 1 << TILE_HEIGHT  # 16 hashes a tile
TILE_BYTES = TILE_WIDTH * HASH_SIZE

TileKey = tuple[int, int]  # (tile level, tile index)


def tile_levels(size: int) -> int:
    """How many tile levels a tree of ``size`` leaves has (0 for the empty tree)."""
    levels = 0
    entries = size
    while entries:
        levels += 1
        entries >>= TILE_HEIGHT
    return levels


def partial_tiles(size: int) -> list[tuple[int, int, int]]:
    """``(tile level, tile index, width)`` of the rightmost, partial tile of each level (those
    with at least one entry): what appending to a tree of ``size`` leaves starts from."""
    found = []
    for level in range(tile_levels(size)):
        entries = size >> (TILE_HEIGHT * level)
        width = entries % TILE_WIDTH
        if width:
            found.append((level, entries // TILE_WIDTH, width))
    return found


def node_location(level: int, index: int) -> tuple[TileKey, int, int]:
    """Where complete subtree ``(level, index)`` lives: its tile, and the slice of entries
    ``[first, first + count)`` inside the tile whose perfect tree it is."""
    tile_level, rest = divmod(level, TILE_HEIGHT)
    first_entry = index << rest
    return (tile_level, first_entry >> TILE_HEIGHT), first_entry % TILE_WIDTH, 1 << rest


def node_from_tile(hashes: bytes, first: int, count: int) -> bytes:
    part = hashes[first * HASH_SIZE : (first + count) * HASH_SIZE]
    if len(part) != count * HASH_SIZE:
        raise LookupError("the tile does not hold this node (the tree is smaller than asked)")
    return part if count == 1 else perfect_root(part)


def _edge_nodes(partials: dict[int, bytes]) -> Iterator[bytes]:
    """The complete subtrees along the right edge, left to right, from the partial tiles."""
    for level in sorted(partials, reverse=True):
        hashes = partials[level]
        width = len(hashes) // HASH_SIZE
        position = 0
        for bit in range(TILE_HEIGHT - 1, -1, -1):
            if width & (1 << bit):
                count = 1 << bit
                yield node_from_tile(hashes, position, count)
                position += count


class TileBuilder:
    """Extends a tree by leaf hashes: keeps the partial tile of every level, and collects the
    tiles that changed (full ones are final; the last of each level may still grow)."""

    def __init__(self, size: int, partials: dict[int, bytes]) -> None:
        self.size = size
        self.partials = {level: bytes(hashes) for level, hashes in partials.items() if hashes}
        for level, index, width in partial_tiles(size):
            if len(self.partials.get(level, b"")) != width * HASH_SIZE:
                raise ValueError(f"tile level {level} (index {index}) should hold {width} hashes")
        # Index of the partial (next) tile of every level.
        self.next_index = {
            level: (size >> (TILE_HEIGHT * level)) // TILE_WIDTH for level in range(tile_levels(size) + 1)
        }
        self.changed: dict[TileKey, bytes] = {}

    def extend(self, leaf_hashes: bytes) -> None:
        """Append leaves, given as their concatenated 32-byte leaf hashes."""
        if len(leaf_hashes) % HASH_SIZE:
            raise ValueError("leaf hashes are 32 bytes each")
        self.size += len(leaf_hashes) // HASH_SIZE
        self._push(0, leaf_hashes)

    def _push(self, level: int, hashes: bytes) -> None:
        if not hashes:
            return
        buffer = self.partials.get(level, b"") + hashes
        index = self.next_index.get(level, 0)
        full = len(buffer) // TILE_BYTES
        roots = []
        for offset in range(full):
            tile = buffer[offset * TILE_BYTES : (offset + 1) * TILE_BYTES]
            self.changed[(level, index + offset)] = tile
            roots.append(perfect_root(tile))
        rest = buffer[full * TILE_BYTES :]
        self.next_index[level] = index + full
        if rest:
            self.partials[level] = rest
            self.changed[(level, index + full)] = rest
        else:
            self.partials.pop(level, None)
        if roots:
            self._push(level + 1, b"".join(roots))

    def root(self) -> bytes:
        """MTH of the tree as extended so far."""
        nodes = list(_edge_nodes(self.partials))
        return fold(nodes) if nodes else EMPTY_ROOT


def root_from_partials(partials: dict[int, bytes]) -> bytes:
    nodes = list(_edge_nodes(partials))
    return fold(nodes) if nodes else EMPTY_ROOT


def build_tiles(leaf_hashes: Iterable[bytes]) -> TileBuilder:
    """All tiles of the tree of these leaves (tests, the benchmark's set-up, verify)."""
    builder = TileBuilder(0, {})
    builder.extend(b"".join(leaf_hashes))
    return builder
