"""An n-gram index for catalog search on PostgreSQL: the technique of pg_bigm, on stock PostgreSQL.

Chinese names have no spaces, and learners search them by two-character fragments (会计, 护理),
which trigram indexes cannot serve (pg_trgm extracts no trigram from a two-character pattern).
So every item stores the unigrams and bigrams of its name and of its pinyin initials, each
spelled as a plain ASCII token (``n`` or ``i`` and the code points in base 36), in
``search_grams``; a GIN index over ``to_tsvector('simple', search_grams)`` finds the items
holding all grams of a query, and the exact ``LIKE`` rechecks those few rows. Other databases
(SQLite) search with ``LIKE`` alone.
"""

from __future__ import annotations

import itertools
import unicodedata

from django.db.models import BooleanField, F, Func, Value

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(char: str) -> str:
    number = ord(char)
    out = ""
    for _ in range(4):
        number, digit = divmod(number, 36)
        out = _DIGITS[digit] + out
    return out


def normalise(text: str) -> str:
    """Character by character (NFKC, lower case, letters and digits only), so that the form of a
    fragment is the same inside any name: whole-string rules (Greek final sigma, combining marks)
    would make a name's grams differ from its fragment's."""
    return "".join(
        folded for char in text for folded in unicodedata.normalize("NFKC", char).lower() if folded.isalnum()
    )


def grams(text: str, prefix: str) -> list[str]:
    """The tokens a query for ``text`` must all match: its bigrams, or its one character."""
    chars = normalise(text)
    if len(chars) == 1:
        return [prefix + _b36(chars)]
    return list(dict.fromkeys(prefix + _b36(a) + _b36(b) for a, b in itertools.pairwise(chars)))


def index_text(name: str, name_initials: str) -> str:
    """What ``search_grams`` holds: every unigram and bigram of the name and the initials."""
    tokens: dict[str, None] = {}
    for text, prefix in ((name, "n"), (name_initials, "i")):
        chars = normalise(text)
        tokens.update(dict.fromkeys(prefix + _b36(char) for char in chars))
        tokens.update(dict.fromkeys(prefix + _b36(a) + _b36(b) for a, b in itertools.pairwise(chars)))
    return " ".join(tokens)


class GramsMatch(Func):
    """``to_tsvector('simple', search_grams) @@ to_tsquery('simple', 'g1 & g2')``: the GIN
    index of migration 0004 is on exactly this expression."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s) @@ to_tsquery('simple'::regconfig, %(query)s)"
    output_field = BooleanField()
    conditional = True

    def __init__(self, tokens: list[str]) -> None:
        super().__init__(F("search_grams"))
        self.tokens = tokens

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def, override]
        query_sql, query_params = compiler.compile(Value(" & ".join(self.tokens)))
        sql, params = super().as_sql(compiler, connection, query=query_sql, **extra_context)
        return sql, (*params, *query_params)
