"""The transcript (学习成果证明): a printable A4 PDF of a learner's personal archive, with the
deployment's name and seal, each stored or certified outcome (revoked ones are left out) and a
QR code of the transcript's verifiable credential, so that whoever holds the paper can check it.

HTML from the Django template ``archive/transcript.html``, rendered by WeasyPrint with Debian's
``fonts-noto-cjk`` found through fontconfig (the design notes, "Chinese in PDFs").
Without a Chinese font every character would come out as a box: ``ensure_renderer`` refuses
first, with an error that names the package, rather than hand out such a paper.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditbank.archive import sections, selectors
from creditbank.archive.choices import OutcomeStatus
from creditbank.audit import services as audit
from creditbank.core import ratelimit
from creditbank.core.errors import ApplicationError
from creditbank.credentials import services as credential_services

# Per user (learner or staff): rendering costs 0.4 s of CPU for a page, 3.5 s for 200 outcomes
# (docs/performance.md, "Transcript PDF").
RATE_LIMITS = ((5, 60), (60, 3600))

SEAL_RED = "#c8161d"


class TranscriptErrorCode(StrEnum):
    FONT_MISSING = "transcript_font_missing"
    RENDERER_MISSING = "transcript_renderer_missing"


class TranscriptUnavailable(ApplicationError):
    """The server cannot print a transcript (a system package is missing); nothing was issued."""

    status = 503
    default_code = TranscriptErrorCode.RENDERER_MISSING
    default_message = gettext_lazy("Certificates cannot be printed on this server at the moment.")


@functools.cache
def cjk_font_families() -> tuple[str, ...]:
    """Font families fontconfig offers for Chinese (``fc-list :lang=zh family``); empty when none,
    or when fontconfig's tools are not installed. Cached: Pango reads fontconfig once per process
    too, so a font installed later needs a restart either way."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    families = {name.strip() for line in result.stdout.splitlines() for name in line.split(",") if name.strip()}
    return tuple(sorted(families))


def ensure_renderer() -> None:
    """Refuse (503) when the PDF cannot have real Chinese text: no CJK font, or no Pango."""
    if not cjk_font_families():
        raise TranscriptUnavailable(
            _(
                "No Chinese font is installed, so the certificate would print as empty boxes. "
                "The administrator needs to install the Debian package fonts-noto-cjk "
                "(apt-get install fonts-noto-cjk) and restart the service."
            ),
            code=TranscriptErrorCode.FONT_MISSING,
        )
    try:
        import weasyprint  # noqa: F401 - loads Pango through cffi; OSError when it is missing
    except OSError:
        raise TranscriptUnavailable(
            _(
                "The PDF renderer cannot start: the administrator needs to install the Debian packages "
                "libpango-1.0-0, libpangoft2-1.0-0 and libharfbuzz-subset0 and restart the service."
            ),
            code=TranscriptErrorCode.RENDERER_MISSING,
        ) from None


# --- what the paper says ---------------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptRow:
    number: int
    name: str
    type: str
    level: str
    credits: Decimal
    achieved_on: dt.date
    issuer: str
    certified_by: str
    certified: bool
    status: str


@dataclass(frozen=True)
class TranscriptContent:
    """Everything printed, apart from the credential: built from the database in two queries."""

    rows: list[TranscriptRow]
    credits: Decimal
    certified_count: int
    certified_credits: Decimal

    @property
    def count(self) -> int:
        return len(self.rows)


def transcript_content(learner: Any) -> TranscriptContent:
    """Stored and certified outcomes, oldest first; revoked ones count for nothing and are left out."""
    outcomes = (
        selectors.learner_outcomes(learner)
        .exclude(status=OutcomeStatus.REVOKED)
        .select_related("certified_by_org")
        .order_by("achieved_on", "id")
    )
    rows = []
    credits = certified_credits = Decimal("0.0")
    certified_count = 0
    for number, outcome in enumerate(outcomes.iterator(chunk_size=1000), start=1):
        item = outcome.item
        certified = outcome.status == OutcomeStatus.CERTIFIED
        rows.append(
            TranscriptRow(
                number=number,
                name=item.name,
                type=item.outcome_type.name,
                level=item.level.name if item.level is not None else "",
                credits=outcome.credits,
                achieved_on=outcome.achieved_on,
                issuer=item.issuer.name,
                certified_by=outcome.certified_by_org.name if certified and outcome.certified_by_org else "",
                certified=certified,
                status=outcome.get_status_display(),
            )
        )
        credits += outcome.credits
        if certified:
            certified_count += 1
            certified_credits += outcome.credits
    return TranscriptContent(
        rows=rows, credits=credits, certified_count=certified_count, certified_credits=certified_credits
    )


# --- drawing ---------------------------------------------------------------------------------


def seal_svg(text: str, *, size: float = 160.0, color: str = SEAL_RED) -> SafeString:
    """A round red seal: ``text`` clockwise along the upper rim, a five-pointed star inside.

    Each character is placed and turned by hand (no ``textPath``), so that every renderer draws
    it the same way. The arc widens with the text up to 250 degrees, as engraved seals do.
    """
    centre = size / 2
    rim = size * 0.03
    characters = list(text.strip()) or [" "]
    count = len(characters)
    step = min(32.0, 250.0 / count)  # degrees per character
    span = step * count
    font_size = min(size * 0.14, 2 * math.pi * size * 0.34 * step / 360 * 0.86)
    radius = centre - rim * 2.6 - font_size * 0.5
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size:g} {size:g}" '
        f'width="{size:g}" height="{size:g}" class="seal" role="img" aria-label="{escape(text)}">',
        f'<circle cx="{centre:g}" cy="{centre:g}" r="{centre - rim:.2f}" fill="none" '
        f'stroke="{color}" stroke-width="{rim * 1.6:.2f}"/>',
    ]
    for index, character in enumerate(characters):
        angle = -span / 2 + step * (index + 0.5)  # 0 = twelve o'clock, clockwise
        x = centre + radius * math.sin(math.radians(angle))
        y = centre - radius * math.cos(math.radians(angle))
        parts.append(
            f'<text x="0" y="{font_size * 0.36:.2f}" transform="translate({x:.2f} {y:.2f}) rotate({angle:.2f})" '
            f'text-anchor="middle" font-size="{font_size:.2f}" font-weight="700" fill="{color}" '
            f'font-family="Noto Serif CJK SC, Noto Sans CJK SC, serif">{escape(character)}</text>'
        )
    outer, inner = size * 0.15, size * 0.15 * 0.382
    points = []
    for corner in range(10):
        r = outer if corner % 2 == 0 else inner
        angle = math.radians(-90 + 36 * corner)
        points.append(f"{centre + r * math.cos(angle):.2f},{centre + size * 0.02 + r * math.sin(angle):.2f}")
    parts.append(f'<polygon points="{" ".join(points)}" fill="{color}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as an SVG data URI (error correction M survives a crease or a stamp)."""
    import segno

    return str(segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2, dark="#000"))


def _css_string(text: str) -> SafeString:
    """``text`` as a quoted CSS string, safe inside ``<style>``: no quote, backslash, newline or
    angle bracket of the text survives unescaped (a name cannot close the style element)."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ").replace(">", "\\3e ")
    )
    return mark_safe(f'"{escaped}"')  # noqa: S308 - escaped above


def page_counter_css() -> SafeString:
    """The page footer's ``content`` value: "第 N 页，共 M 页" in the active language."""
    label = _("Page {page} of {pages}")
    head, _sep, rest = label.partition("{page}")
    middle, _sep, tail = rest.partition("{pages}")
    return mark_safe(  # noqa: S308 - quoted and escaped as a CSS string
        f"{_css_string(head)} counter(page) {_css_string(middle)} counter(pages) {_css_string(tail)}"
    )


# --- the document ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Transcript:
    pdf: bytes
    filename: str
    # The transcript credential the QR code points at; None when no outcome is certified yet
    # (a CLR transcript attests certified outcomes only), and the paper then says so.
    credential: Any
    verify_url: str
    content: TranscriptContent


def render_html(learner: Any, content: TranscriptContent, *, verify_url: str, number: str, issued_on: dt.date) -> str:
    """The paper as HTML. Without ``verify_url`` (nothing certified) it carries no QR code."""
    issuer = settings.CREDITBANK_ISSUER_NAME
    if verify_url:
        footer = _(
            "To verify: scan the QR code on page 1 with a phone, or open {url} in a browser; "
            "the page shows whether this certificate is genuine and still valid."
        ).format(url=verify_url)
    else:
        footer = _(
            "No outcome listed here is certified yet, so this certificate carries no verifiable credential; "
            "{issuer} can confirm the records."
        ).format(issuer=issuer)
    context = {
        "issuer_name": issuer,
        "seal": seal_svg(settings.CREDITBANK_SEAL_TEXT),
        "learner": learner,
        "id_number": learner.id_number_masked,
        "content": content,
        "sections": sections.sections_for(learner, transcript=True),
        "issued_on": issued_on,
        "number": number,
        "verify_url": verify_url,
        "qr": qr_data_uri(verify_url) if verify_url else "",
        "page_counter": page_counter_css(),
        "footer": _css_string(footer),
        "running_head": _css_string(
            _("{issuer} · Certificate of learning outcomes · {name} · account {account_no}").format(
                issuer=issuer, name=learner.name, account_no=learner.account_no
            )
        ),
    }
    return render_to_string("archive/transcript.html", context)


def render_pdf(html: str) -> bytes:
    """PDF bytes of ``html``. Nothing is fetched from outside: images are data URIs, fonts local."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())


def generate_transcript(learner: Any, *, actor: Any) -> Transcript:
    """Issue the transcript credential (the same one while the certified outcomes are the same)
    and print its paper. Staff printing a learner's transcript is logged (``archive.transcript``);
    the learner printing their own is not. Refused before anything is issued when the server
    cannot print Chinese (503), or when the actor asks too often (429)."""
    ensure_renderer()
    if actor is not None:  # people are limited; the system (a command, a task) is not
        for limit, window in RATE_LIMITS:
            ratelimit.hit(f"transcript:{window}:{actor.pk}", limit=limit, window=window)
    content = transcript_content(learner)
    credential = None
    verify_url = number = ""
    with transaction.atomic():
        if content.certified_count:
            credential = credential_services.issue_transcript(learner, actor=actor)
            verify_url, number = credential_services.verify_url(credential), str(credential.uuid)
        if getattr(actor, "is_staff_member", False):
            audit.record(
                actor=actor,
                action="archive.transcript",
                obj=learner,
                org_path=learner.org_path,
                after={"format": "pdf", "credential": number or None, "outcomes": content.count},
            )
    issued_on = timezone.localdate()
    html = render_html(learner, content, verify_url=verify_url, number=number, issued_on=issued_on)
    label = _("certificate-of-learning-outcomes")
    return Transcript(
        pdf=render_pdf(html),
        filename=f"{label}-{learner.account_no}-{issued_on.isoformat()}.pdf",
        credential=credential,
        verify_url=verify_url,
        content=content,
    )


def pdf_response(transcript: Transcript) -> FileResponse:
    """The PDF as a download, streamed in blocks; never cached (it carries personal data)."""
    response = FileResponse(
        io.BytesIO(transcript.pdf), as_attachment=True, filename=transcript.filename, content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
