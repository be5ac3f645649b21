"""“What is this worth here?” (这个成果在这里能换多少学分?): anyone types an outcome's name — in
their own words, in full pinyin or pinyin initials — or its catalog code, and learns, per open
programme, whether a published rule in effect converts it.

Per programme the verdict is

* ``match`` — the item was found exactly (its code, or its name once punctuation, brackets,
  width and filler words are set aside) and a rule takes it alone, with no condition: a single
  source (or “any one of”), no minimum score, no minimum framework level, no age limit (the
  rule's ``within_years`` or the programme's ``max_outcome_age_years``);
* ``maybe`` — a rule takes the item, but something must be checked: a condition of the rule, the
  other items a combination needs (all of them, or any n of m with n > 1), or the name matched
  the item only approximately;
* ``no_match`` — open programmes for which none of the matched items is a source of a rule in
  effect: counted, and the first few named.

Item matching: an exact code (any case) first; otherwise the published current items are
ranked by a similarity of the query to their name, full pinyin and pinyin initials. Both sides
are normalised (NFKC, so full-width becomes half-width; lower case; letters and digits only, so
punctuation, brackets and spaces go) and the filler words of ``FILLERS_ANYWHERE`` and
``FILLERS_AT_END`` are dropped; the similarity of two strings is the larger of the Dice
coefficient of their character bigrams and, when one holds the other, ``0.5 + 0.5 × shorter /
longer``. Items at ``MIN_SIMILARITY`` or above are kept, the ``MAX_ITEMS`` strongest first.

Queries (whatever the number of items, rules or programmes): one for a code, one for the
candidate items (the catalog's ``search_grams`` tokens narrow them; on PostgreSQL through its
GIN index), three for the rules with sources, targets and programmes, at most one for the names
of the other items combinations need, two for the programmes with no match.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.grams import GramsMatch, grams, normalise
from creditbank.catalog.models import CatalogItem
from creditbank.catalog.pinyin import initials
from creditbank.conversion import selectors
from creditbank.conversion.choices import ProgrammeLevel, ProgrammeStatus, RuleMode, SourceKind
from creditbank.conversion.errors import ConversionErrorCode as Code
from creditbank.conversion.models import ConversionRule, Programme, RuleSource, RuleTarget
from creditbank.conversion.values import CODE, text
from creditbank.core.errors import ValidationFailed

# --- the documented constants -------------------------------------------------------------------

MAX_QUERY_LENGTH = 64
# Items at least this similar (0–1) to the query are shown; below it a name is another outcome
# (电工（高级） is 0.33 alike to 电工中级证, 电工（中级） 1.0).
MIN_SIMILARITY = 0.5
# A query whose every character (or syllable) the name holds in order, others between, scores
# SPREAD_BASE × (1 + shorter / longer): "电工中级" in "电工四级中级工" 0.63; at least three parts.
SPREAD_BASE = 0.4
SPREAD_MIN_LENGTH = 3
# The strongest items shown (and looked up in the rules).
MAX_ITEMS = 5
# Candidate items read from the database, most shared grams first, before scoring in Python.
CANDIDATE_LIMIT = 100
# At most this many clauses (grams of the query) go into the candidate query.
MAX_GRAMS = 24
# Pinyin and initials are weaker evidence than the characters: a name that sounds alike
# (电功 for 电工) or shares initials ranks below one written alike.
PINYIN_WEIGHT = 0.9
INITIALS_WEIGHT = 0.85
# Open programmes with no match named in the answer (the rest are counted).
NO_MATCH_LIMIT = 20

# Words that say what kind of document an outcome is, not which outcome: dropped from both
# sides before comparing (电工中级证 = 电工（中级）职业资格证书). Anywhere in the name:
FILLERS_ANYWHERE = ("职业技能等级", "职业资格", "证书", "培训")
# Only at the end (证 inside a name — 证券, 公证 — is part of it):
FILLERS_AT_END = ("合格证", "证")

_FILLER_ANYWHERE = re.compile("|".join(FILLERS_ANYWHERE))
_FILLER_AT_END = re.compile("(?:" + "|".join(FILLERS_AT_END) + ")$")
_LATIN = re.compile(r"^[a-z0-9 '’·-]+$")


class Verdict:
    MATCH = "match"
    MAYBE = "maybe"
    NO_MATCH = "no_match"


class ReasonCode:
    FUZZY_NAME = "fuzzy_name"
    MIN_SCORE = "min_score"
    MIN_LEVEL = "min_level"
    WITHIN_YEARS = "within_years"
    ALL_OF = "all_of"
    N_OF_M = "n_of_m"


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemMatch:
    """A catalog item the query found: ``similarity`` 0–1; ``exact`` for its code or its name."""

    code: str
    name: str
    similarity: float
    exact: bool
    matched_by: str  # code, name, pinyin or initials
    level: int | None
    outcome_type: str
    issuer: str

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class TargetCourse:
    code: str
    name: str
    credits: Decimal


@dataclass(frozen=True)
class RuleWorth:
    """One rule of a programme that takes one of the matched items."""

    rule_id: int
    number: str
    version: int
    mode: str
    mode_label: str
    item: ItemMatch
    courses: tuple[TargetCourse, ...]
    credits: Decimal
    verdict: str
    reasons: tuple[Reason, ...]
    effective_to: dt.date | None


@dataclass
class ProgrammeWorth:
    programme: Programme
    verdict: str
    rules: list[RuleWorth]

    @property
    def level_label(self) -> str:
        return str(ProgrammeLevel(self.programme.level).label)

    @property
    def best_credits(self) -> Decimal:
        """The most credits one rule of the programme (with this verdict) gives."""
        return max((rule.credits for rule in self.rules if rule.verdict == self.verdict), default=Decimal(0))


@dataclass
class NoMatch:
    count: int
    programmes: list[Programme] = field(default_factory=list)

    @property
    def more(self) -> int:
        """Programmes counted but not named."""
        return self.count - len(self.programmes)


@dataclass
class Worth:
    query: str
    as_of: dt.date
    items: list[ItemMatch]
    results: list[ProgrammeWorth]
    no_match: NoMatch

    @property
    def matches(self) -> list[ProgrammeWorth]:
        return [result for result in self.results if result.verdict == Verdict.MATCH]

    @property
    def maybes(self) -> list[ProgrammeWorth]:
        return [result for result in self.results if result.verdict == Verdict.MAYBE]


# --- normalising and comparing (pure) -----------------------------------------------------------


def strip_fillers(normalised: str) -> str:
    """``normalised`` without filler words; unchanged when nothing else would be left."""
    stripped = _FILLER_AT_END.sub("", _FILLER_ANYWHERE.sub("", normalised))
    return stripped or normalised


def _bigrams(value: Sequence[str]) -> Counter[tuple[str, ...]]:
    if len(value) < 2:
        return Counter([tuple(value)]) if value else Counter()
    return Counter(tuple(value[index : index + 2]) for index in range(len(value) - 1))


def _holds(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    if isinstance(longer, str) and isinstance(shorter, str):
        return shorter in longer
    width = len(shorter)
    return any(tuple(longer[index : index + width]) == tuple(shorter) for index in range(len(longer) - width + 1))


def similarity(query: Sequence[str], target: Sequence[str]) -> float:
    """Dice coefficient of the bigrams (as multisets) of two strings — or of two syllable
    sequences — or, when one holds the other, ``0.5 + 0.5 × shorter / longer`` if that is
    more; 1.0 for equal ones."""
    if not query or not target:
        return 0.0
    if tuple(query) == tuple(target):
        return 1.0
    left, right = _bigrams(query), _bigrams(target)
    total = sum(left.values()) + sum(right.values())
    dice = 2 * sum((left & right).values()) / total if total else 0.0
    shorter, longer = sorted((query, target), key=len)
    contained = 0.5 + 0.5 * len(shorter) / len(longer) if len(shorter) >= 2 and _holds(longer, shorter) else 0.0
    # Every part of the shorter one in the longer, in order, with words between ("电工中级" in
    # "电工四级中级工"): people leave out what a catalog name spells in full.
    spread = (
        SPREAD_BASE + SPREAD_BASE * len(shorter) / len(longer)
        if len(shorter) >= SPREAD_MIN_LENGTH and _in_order(longer, shorter)
        else 0.0
    )
    return max(dice, contained, spread)


def _in_order(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    remaining = iter(longer)
    return all(part in remaining for part in shorter)


def _letters(value: str) -> str:
    return "".join(char for char in value.lower() if char.isascii() and char.isalnum())


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+|[^{_HAN}]+")
_HAN_CHAR = re.compile(f"[{_HAN}]")


def _spelled_with_initials(text_value: str) -> tuple[tuple[str, ...], str]:
    """The syllables of a name in toneless pinyin (a run of Latin letters or digits stays one
    word) and its initials as ``catalog.pinyin.initials`` writes them (first letters of the
    syllables, Latin words whole): one pypinyin call per run of Chinese characters."""
    syllables: list[str] = []
    first_letters = ""
    for run in _HAN_RUN.findall(text_value):
        if _HAN_CHAR.match(run):
            spelled = [word for word in (_letters(part) for part in lazy_pinyin(run, errors="default")) if word]
            syllables += spelled
            first_letters += "".join(word[0] for word in spelled)
        elif _letters(run):
            syllables.append(_letters(run))
            first_letters += _letters(run)
    return tuple(syllables), first_letters


def _spelled(text_value: str) -> tuple[str, ...]:
    return _spelled_with_initials(text_value)[0]


@functools.lru_cache(maxsize=8192)
def item_forms(name: str) -> tuple[str, str]:
    """A name as it is compared: normalised, and without fillers."""
    full = normalise(name)
    return full, strip_fillers(full)


@functools.lru_cache(maxsize=8192)
def item_sounds(stripped: str) -> tuple[tuple[str, ...], str]:
    """The pinyin syllables and the initials of a name without fillers (the costly part: only
    when the query needs them)."""
    return _spelled_with_initials(stripped)


def _toneless(reading: str) -> str:
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(char for char in decomposed if char.isascii() and char.isalpha()).lower()


@functools.cache
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (ü as v) of pypinyin's dictionary, interjections such as
    hm, ng left out (no vowel)."""
    from pypinyin import pinyin_dict

    found = {_toneless(reading) for readings in pinyin_dict.pinyin_dict.values() for reading in readings.split(",")}
    return frozenset(syllable for syllable in found if any(vowel in syllable for vowel in "aeiouv"))


def split_pinyin(letters: str) -> list[str] | None:
    """``diangong`` → [dian, gong]: the split into the fewest syllables, or None when the letters
    are no pinyin (``dgzj``)."""
    if not letters or len(letters) > MAX_QUERY_LENGTH:
        return None
    syllables = _syllables()
    best: list[list[str] | None] = [None] * (len(letters) + 1)
    best[0] = []
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - 6), end):
            before = best[start]
            if before is not None and letters[start:end] in syllables:
                candidate = [*before, letters[start:end]]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(letters)]


@functools.cache
def _filler_syllables() -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...], re.Pattern[str]]:
    """The filler words as syllables (anywhere, at the end), and their initials (at the end)."""
    anywhere = tuple(sorted({_spelled(word) for word in FILLERS_ANYWHERE}, key=len, reverse=True))
    at_end = tuple(sorted({_spelled(word) for word in FILLERS_AT_END}, key=len, reverse=True))
    initial_words = sorted({initials(word) for word in (*FILLERS_ANYWHERE, *FILLERS_AT_END)}, key=len, reverse=True)
    return anywhere, at_end, re.compile("(?:" + "|".join(initial_words) + ")+$")


def strip_filler_syllables(syllables: Sequence[str]) -> tuple[str, ...]:
    anywhere, at_end, _initials = _filler_syllables()
    kept = list(syllables)
    for filler in anywhere:
        width = len(filler)
        index = 0
        while index <= len(kept) - width:
            if tuple(kept[index : index + width]) == filler:
                del kept[index : index + width]
            else:
                index += 1
    for filler in at_end:
        if len(kept) > len(filler) and tuple(kept[-len(filler) :]) == filler:
            del kept[-len(filler) :]
            break
    return tuple(kept) or tuple(syllables)


@dataclass(frozen=True)
class QueryForms:
    """The query as it is compared to names, pinyin and initials (each a few variants)."""

    text: str
    code: str
    names: tuple[str, ...]
    stripped_name: str
    pinyin: tuple[tuple[str, ...], ...]
    initials: tuple[str, ...]
    latin: bool
    is_pinyin: bool


def query_forms(query: str) -> QueryForms:
    folded = text(query)
    full = normalise(folded)
    stripped = strip_fillers(full)
    lowered = folded.lower()
    latin = bool(_LATIN.match(lowered)) and any(char.isalpha() for char in lowered)
    initial_forms: list[str] = []
    is_pinyin = False
    if latin:
        initials_at_end = _filler_syllables()[2]
        words = [_letters(word) for word in re.split(r"[ '’·-]+", lowered) if _letters(word)]
        syllables: list[str] = []
        spelled = ""
        all_split = True
        for word in words:
            split = split_pinyin(word)
            all_split = all_split and split is not None
            syllables += split if split is not None else [word]
            spelled += "".join(syllable[0] for syllable in split) if split is not None else word
        # All pinyin, two syllables or more: full pinyin (dian gong, diangong), never initials;
        # otherwise the letters may be initials (dgzj) or a Latin name (Web).
        is_pinyin = all_split and len(syllables) >= 2
        initial_forms += [spelled, initials_at_end.sub("", spelled)]
        if not is_pinyin:
            letters = _letters(lowered)
            initial_forms += [letters, initials_at_end.sub("", letters)]
        pinyin = [tuple(syllables), strip_filler_syllables(syllables)]
    else:
        pinyin = [_spelled(stripped)]
    return QueryForms(
        text=folded,
        code=folded.replace(" ", "").upper(),
        names=tuple(dict.fromkeys(form for form in (full, stripped) if form)),
        stripped_name=stripped,
        pinyin=tuple(dict.fromkeys(form for form in pinyin if form)),
        initials=tuple(dict.fromkeys(form for form in initial_forms if form)),
        latin=latin,
        is_pinyin=is_pinyin,
    )


def score(forms: QueryForms, name: str) -> tuple[float, str]:
    """How alike the query and an item's name are (0–1), and by what: name, pinyin or initials."""
    _full, stripped = item_forms(name)
    by_name = similarity(forms.stripped_name, stripped)
    pinyin_weight = 1.0 if forms.latin else PINYIN_WEIGHT
    if by_name >= pinyin_weight and not forms.initials:  # the sound cannot beat the characters
        return by_name, "name"
    pinyin, item_initials = item_sounds(stripped)
    by_pinyin = max((similarity(form, pinyin) for form in forms.pinyin), default=0.0) * pinyin_weight
    by_initials = max((similarity(form, item_initials) for form in forms.initials), default=0.0) * INITIALS_WEIGHT
    best = max(by_name, by_pinyin, by_initials)
    if best == by_name:
        return by_name, "name"
    if best == by_pinyin:
        return by_pinyin, "pinyin"
    return by_initials, "initials"


# --- reading ------------------------------------------------------------------------------------


class _AnyGramsMatch(GramsMatch):
    """The catalog's gram index expression for items holding all tokens of any one clause:
    ``(a) | (b & c) | …``."""

    def __init__(self, clauses: Sequence[Sequence[str]]) -> None:
        super().__init__([token for clause in clauses for token in clause])
        self.clauses = clauses

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def, override]
        text_query = " | ".join("(" + " & ".join(clause) + ")" for clause in self.clauses)
        query_sql, query_params = compiler.compile(Value(text_query))
        sql, params = super(GramsMatch, self).as_sql(compiler, connection, query=query_sql, **extra_context)
        return sql, (*params, *query_params)


_ITEM_FIELDS = ("code", "name", "level__number", "outcome_type__name", "issuer__name")


def _published_values() -> Any:
    return CatalogItem.objects.filter(is_current=True, status=ItemStatus.PUBLISHED).values_list(*_ITEM_FIELDS)


def _item(row: Sequence[Any], similarity_value: float, *, exact: bool, matched_by: str) -> ItemMatch:
    code, name, level, type_name, issuer = row
    return ItemMatch(
        code=code,
        name=name,
        similarity=round(similarity_value, 2),
        exact=exact,
        matched_by=matched_by,
        level=level,
        outcome_type=type_name or "",
        issuer=issuer or "",
    )


def _candidate_clauses(forms: QueryForms) -> list[tuple[str, ...]]:
    """What a candidate must hold (any clause, all its tokens): a bigram of the name (Chinese
    bigrams are rare enough alone), or two neighbouring bigrams of the initials (one initials
    bigram is held by a few per cent of all items)."""
    clauses: list[tuple[str, ...]] = []
    if not forms.is_pinyin:  # full pinyin is no part of any name: only its initials can narrow
        clauses += [(token,) for token in grams(forms.stripped_name, "n")]
    for form in forms.initials:
        if len(form) >= 2:
            tokens = grams(form, "i")
            clauses += list(itertools.pairwise(tokens)) if len(tokens) > 1 else [tuple(tokens)]
    return list(dict.fromkeys(clauses))[:MAX_GRAMS]


def find_items(forms: QueryForms) -> list[ItemMatch]:
    """The published items the query names: its exact code, else the most similar names."""
    if CODE.match(forms.code):
        row = _published_values().filter(code=forms.code).first()
        if row is not None:
            return [_item(row, 1.0, exact=True, matched_by="code")]
    clauses = _candidate_clauses(forms)
    if not clauses:
        return []
    tokens = list(dict.fromkeys(token for clause in clauses for token in clause))
    # ``search_grams`` holds each gram as a space-separated token (catalog.grams): a token of two
    # characters matches only itself, the same on every database.
    hits = functools.reduce(
        operator.add,
        [Case(When(search_grams__contains=token, then=Value(1)), default=Value(0)) for token in tokens],
    )
    candidates = _published_values()
    if connection.vendor == "postgresql":
        candidates = candidates.filter(_AnyGramsMatch(clauses))
    else:
        candidates = candidates.filter(
            functools.reduce(
                operator.or_,
                [
                    functools.reduce(operator.and_, [Q(search_grams__contains=token) for token in clause])
                    for clause in clauses
                ],
            )
        )
    rows = list(
        candidates.annotate(hits=hits)
        .order_by("-hits", "code")
        .values_list(*_ITEM_FIELDS, "hits", named=False)[:CANDIDATE_LIMIT]
    )
    scored = [(score(forms, row[1]), row[:5]) for row in rows]
    exact_names = [row for _score, row in scored if item_forms(row[1])[1] == forms.stripped_name]
    if len(exact_names) > 1:  # several names equal once fillers go: only one written exactly as asked is exact
        exact_names = [row for row in exact_names if item_forms(row[1])[0] in forms.names[:1]]
    exact_code = exact_names[0][0] if len(exact_names) == 1 else None
    found = [
        _item(row, value, exact=row[0] == exact_code, matched_by=how)
        for (value, how), row in scored
        if value >= MIN_SIMILARITY or row[0] == exact_code
    ]
    found.sort(key=lambda item: (not item.exact, -item.similarity, item.code))
    return found[:MAX_ITEMS]


def _rules_taking(codes: Sequence[str], today: dt.date) -> list[ConversionRule]:
    """Published current rules in effect ``today`` of open programmes with a source among
    ``codes``: three queries (rules with programme and centre, sources, targets with courses)."""
    return list(
        ConversionRule.objects.published()
        .filter(programme__status=ProgrammeStatus.ACTIVE)
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=today))
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=today))
        .filter(pk__in=RuleSource.objects.filter(item_code__in=codes).values("rule_id"))
        .select_related("programme", "programme__org")
        .prefetch_related(
            Prefetch("sources", queryset=RuleSource.objects.order_by("id")),
            Prefetch("targets", queryset=RuleTarget.objects.select_related("course").order_by("course__code")),
        )
        .order_by("programme__code", "number")
    )


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _named(codes: Sequence[str], names: dict[str, str]) -> str:
    return "、".join(f"{names[code]}（{code}）" if code in names else code for code in codes)


def rule_reasons(
    rule: ConversionRule, item: ItemMatch, *, query: str, names: dict[str, str], today: dt.date
) -> list[Reason]:
    """What must be checked before ``rule`` converts an outcome of ``item``; none: it converts."""
    reasons: list[Reason] = []
    if not item.exact:
        reasons.append(
            Reason(
                ReasonCode.FUZZY_NAME,
                _(
                    "You typed “{query}”; the catalog item “{name}” is {similarity} alike. "
                    "Check that this is your outcome."
                ).format(query=query, name=item.name, similarity=f"{item.percent}%"),
            )
        )
    sources = [source.item_code for source in rule.sources.all()]
    others = [code for code in sources if code != item.code]
    if rule.source_kind == SourceKind.N_OF_M and rule.source_count and rule.source_count > 1:
        reasons.append(
            Reason(
                ReasonCode.N_OF_M,
                _("Needs any {count} of these {total} items, this one included: {items}.").format(
                    count=rule.source_count, total=len(sources), items=_named(sources, names)
                ),
            )
        )
    elif rule.source_kind != SourceKind.N_OF_M and others:
        reasons.append(
            Reason(
                ReasonCode.ALL_OF,
                _("Counts only together with: {items}.").format(items=_named(others, names)),
            )
        )
    if rule.min_score:
        reasons.append(
            Reason(ReasonCode.MIN_SCORE, _("Needs a score or grade of at least {score}.").format(score=rule.min_score))
        )
    if rule.min_framework_level is not None:
        if item.level is None:
            message = _("Needs framework level {level} or higher.").format(level=rule.min_framework_level)
        else:
            message = _("Needs framework level {level} or higher; this item is at level {item_level} now.").format(
                level=rule.min_framework_level, item_level=item.level
            )
        reasons.append(Reason(ReasonCode.MIN_LEVEL, message))
    years = [value for value in (rule.within_years, rule.programme.max_outcome_age_years) if value is not None]
    if years:
        reasons.append(
            Reason(
                ReasonCode.WITHIN_YEARS,
                _("The outcome must have been achieved within {years} years (on or after {day}).").format(
                    years=min(years), day=_years_before(today, min(years)).isoformat()
                ),
            )
        )
    return reasons


def _rule_worth(rule: ConversionRule, item: ItemMatch, reasons: list[Reason]) -> RuleWorth:
    courses = tuple(
        TargetCourse(code=target.course.code, name=target.course.name, credits=target.course.credits)
        for target in rule.targets.all()
    )
    return RuleWorth(
        rule_id=rule.pk,
        number=rule.number,
        version=rule.version,
        mode=rule.mode,
        mode_label=str(RuleMode(rule.mode).label),
        item=item,
        courses=courses,
        credits=sum((course.credits for course in courses), Decimal(0)),
        verdict=Verdict.MAYBE if reasons else Verdict.MATCH,
        reasons=tuple(reasons),
        effective_to=rule.effective_to,
    )


def validate_query(query: str | None) -> str:
    """The query folded (full-width to half-width, spaces made one); ``worth_query_required``
    when nothing searchable is left, ``worth_query_too_long`` beyond ``MAX_QUERY_LENGTH``."""
    folded = text(query or "")
    if len(folded) > MAX_QUERY_LENGTH:
        raise ValidationFailed.for_field(
            "q",
            _("Type at most {count} characters.").format(count=MAX_QUERY_LENGTH),
            code=Code.WORTH_QUERY_TOO_LONG,
        )
    if not normalise(folded):
        raise ValidationFailed.for_field(
            "q", _("Type the name or the code of an outcome."), code=Code.WORTH_QUERY_REQUIRED
        )
    return folded


def lookup(query: str | None, *, today: dt.date | None = None, no_match_limit: int = NO_MATCH_LIMIT) -> Worth:
    """What the outcome ``query`` names is worth in every open programme (see the module)."""
    folded = validate_query(query)
    today = today or timezone.localdate()
    forms = query_forms(folded)
    items = find_items(forms)
    by_code = {item.code: item for item in items}
    rules = _rules_taking(list(by_code), today) if items else []
    missing = sorted(
        {source.item_code for rule in rules for source in rule.sources.all() if source.item_code not in by_code}
    )
    names = {item.code: item.name for item in items}
    if missing:
        names.update(CatalogItem.objects.filter(code__in=missing, is_current=True).values_list("code", "name"))
    per_programme: dict[int, ProgrammeWorth] = {}
    for rule in rules:
        for source in rule.sources.all():
            item = by_code.get(source.item_code)
            if item is None:
                continue
            reasons = rule_reasons(rule, item, query=folded, names=names, today=today)
            entry = per_programme.setdefault(
                rule.programme_id, ProgrammeWorth(programme=rule.programme, verdict=Verdict.MAYBE, rules=[])
            )
            entry.rules.append(_rule_worth(rule, item, reasons))
    for entry in per_programme.values():
        entry.rules.sort(key=lambda worth: (worth.verdict != Verdict.MATCH, -worth.credits, worth.number))
        if any(worth.verdict == Verdict.MATCH for worth in entry.rules):
            entry.verdict = Verdict.MATCH
    results = sorted(
        per_programme.values(),
        key=lambda entry: (entry.verdict != Verdict.MATCH, -entry.best_credits, entry.programme.code),
    )
    others = selectors.open_programmes().exclude(pk__in=list(per_programme)).order_by("code")
    no_match = NoMatch(count=others.count(), programmes=list(others[:no_match_limit]))
    return Worth(query=folded, as_of=today, items=items, results=results, no_match=no_match)
