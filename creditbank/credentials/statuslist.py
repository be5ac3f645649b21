"""Bitstring Status List v1.0 encoding (https://www.w3.org/TR/vc-bitstring-status-list/): pure
functions on the bits, no Django.

§4.1 Bitstring Encoding: index 0 is the left-most (most significant) bit of the first byte; the
list is GZIP-compressed and then Multibase base64url-encoded without padding (``u…``).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import hmac
import zlib

from creditbank.credentials.multibase import MultibaseError, decode_base64url, encode_base64url

# §4.1: "the uncompressed bitstring MUST be at least 16KB in size".
MIN_BITS = 131_072
# Decompressed lists larger than this are refused (a small gzip can expand to gigabytes).
MAX_BYTES = 16 * 1024 * 1024


class StatusListError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def get_bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bit(bits: bytes, index: int) -> bytes:
    buffer = bytearray(bits)
    buffer[index // 8] |= 0x80 >> (index % 8)
    return bytes(buffer)


def encode_list(bits: bytes) -> str:
    # mtime=0: the same bits always give the same text (and the same signature input).
    return encode_base64url(gzip.compress(bits, compresslevel=9, mtime=0))


def decode_list(encoded: object, *, allow_legacy: bool = False) -> bytes:
    """The bits of an ``encodedList``. ``allow_legacy`` also reads StatusList2021 lists, whose
    base64url text has no multibase prefix (the Blockcerts fixtures are written so)."""
    if not isinstance(encoded, str) or not encoded:
        raise StatusListError("status_list_invalid", "encodedList is missing")
    try:
        if encoded.startswith("u"):
            compressed = decode_base64url(encoded)
        elif allow_legacy:
            compressed = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        else:
            raise StatusListError("status_list_invalid", "encodedList is not multibase base64url ('u')")
    except (MultibaseError, binascii.Error, ValueError) as exc:
        if isinstance(exc, StatusListError):
            raise
        raise StatusListError("status_list_invalid", "encodedList is not base64url") from exc
    try:
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        bits = decompressor.decompress(compressed, MAX_BYTES)
        if decompressor.unconsumed_tail:
            raise StatusListError("status_list_invalid", "the status list is larger than 16 MB")
    except zlib.error as exc:
        raise StatusListError("status_list_invalid", "encodedList is not GZIP-compressed") from exc
    if len(bits) * 8 < MIN_BITS:
        raise StatusListError("status_list_invalid", "the status list is shorter than 131,072 entries")
    return bits


def permute(key: bytes, number: int, size: int) -> int:
    """A keyed bijection of ``range(size)`` (``size`` a power of two up to 2**32): the ``number``-th
    credential of a list gets index ``permute(key, number)``. A four-round Feistel network on the
    next even bit width, cycle-walked back into range."""
    if size & (size - 1) or not 0 <= number < size:
        raise ValueError("size must be a power of two and 0 <= number < size")
    width = size.bit_length() - 1
    half = (width + 1) // 2
    mask = (1 << half) - 1
    value = number
    while True:
        left, right = value >> half, value & mask
        for round_number in range(4):
            digest = hmac.digest(key, bytes([round_number]) + right.to_bytes(4, "big"), hashlib.sha256)
            left, right = right, left ^ (int.from_bytes(digest[:4], "big") & mask)
        value = (left << half) | right
        if value < size:
            return value
