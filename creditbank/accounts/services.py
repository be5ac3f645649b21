"""Writes for identity and accounts: opening (self, counter, import), activation, login, codes, tokens."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditbank.accounts import selectors, sms
from creditbank.accounts.choices import CodePurpose, LearnerStatus, OpeningChannel, UserKind
from creditbank.accounts.errors import AccountErrorCode
from creditbank.accounts.identity import IdentityData, validate_identity
from creditbank.accounts.models import ApiToken, Learner, PhoneCode, User, learner_pii_state
from creditbank.accounts.numbering import reserve_account_numbers
from creditbank.audit import services as audit
from creditbank.core import pii, ratelimit, validators
from creditbank.core.errors import ApplicationError, Conflict, Forbidden, ValidationFailed
from creditbank.ledger import events as ledger_events
from creditbank.ledger import services as ledger
from creditbank.orgs.models import OrgUnit, Region
from creditbank.orgs.permissions import can

# --- phone codes -----------------------------------------------------------------------------


def send_phone_code(phone: str, purpose: str) -> None:
    """Send a 6-digit code; at most one a minute and ten a day per number and purpose."""
    number = validators.validate_cn_mobile(phone)
    phone_hash = pii.lookup_hash(number)
    ratelimit.hit(f"sms-minute:{phone_hash}:{purpose}", limit=1, window=60)
    ratelimit.hit(f"sms-day:{phone_hash}", limit=10, window=24 * 3600)
    code = f"{secrets.randbelow(10**6):06d}"
    PhoneCode.objects.create(
        phone_hash=phone_hash,
        purpose=purpose,
        code_hash=pii.lookup_hash("code:" + code),
        expires_at=timezone.now() + dt.timedelta(seconds=settings.CREDITBANK_PHONE_CODE_TTL),
    )
    sms.get_backend().send_code(number, code, purpose)


def verify_phone_code(phone: str, purpose: str, code: str) -> None:
    """Consume the newest live code for the number; five wrong tries kill it."""
    invalid = ValidationFailed.for_field(
        "phone_code", _("The verification code is wrong or has expired."), code=AccountErrorCode.PHONE_CODE_INVALID
    )
    number = validators.validate_cn_mobile(phone)
    entered = validators.compact(code)
    record = (
        PhoneCode.objects.filter(
            phone_hash=pii.lookup_hash(number),
            purpose=purpose,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            attempts__lt=5,
        )
        .order_by("-created_at")
        .first()
    )
    if record is None or not entered:
        raise invalid
    if not hmac.compare_digest(record.code_hash, pii.lookup_hash("code:" + entered)):
        PhoneCode.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1)
        raise invalid
    PhoneCode.objects.filter(pk=record.pk).update(used_at=timezone.now())


# --- opening accounts ------------------------------------------------------------------------


def _check_unique(identity: IdentityData, *, exclude_pk: int | None = None) -> None:
    duplicates = Learner.objects.exclude(pk=exclude_pk) if exclude_pk is not None else Learner.objects.all()
    errors: list[dict[str, Any]] = []
    if duplicates.filter(id_number_hash=identity.id_number_hash).exists():
        errors.append(
            {
                "field": "id_number",
                "code": AccountErrorCode.DUPLICATE_ID_NUMBER,
                "message": str(_("An account with this ID number already exists.")),
            }
        )
    if identity.phone_hash and duplicates.filter(phone_hash=identity.phone_hash).exists():
        errors.append(
            {
                "field": "phone",
                "code": AccountErrorCode.DUPLICATE_PHONE,
                "message": str(_("This mobile number is already used by another account.")),
            }
        )
    if errors:
        raise Conflict(_("This person already has an account."), code=errors[0]["code"], details=errors)


def _region_or_none(code: str | None) -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationFailed.for_field("region", _("Unknown region code."), code=AccountErrorCode.REGION_UNKNOWN)
    return region


def create_learner_record(
    identity: IdentityData,
    *,
    org: OrgUnit,
    channel: str,
    status: str = LearnerStatus.PENDING,
    password: str | None = None,
) -> Learner:
    """The one place a Learner row is made from validated identity data (opening, demo, tests);
    with a password, the account's login is created too. Callers check permissions and audit."""
    region = _region_or_none(identity.region_code)
    _check_unique(identity)
    learner = Learner(
        account_no=reserve_account_numbers(1)[0],
        name=identity.name,
        id_type=identity.id_type,
        id_number=identity.id_number,
        id_number_hash=identity.id_number_hash,
        phone=identity.phone,
        phone_hash=identity.phone_hash,
        birth_date=identity.birth_date,
        gender=identity.gender,
        region=region,
        org=org,
        org_path=org.path,
        status=status,
        opened_via=channel,
        activated_at=timezone.now() if status == LearnerStatus.ACTIVE else None,
    )
    try:
        with transaction.atomic():
            if password is not None:
                learner.user = User.objects.create_user(
                    username=learner.account_no, password=password, kind=UserKind.LEARNER, display_name=identity.name
                )
            learner.save()
            if channel != OpeningChannel.SELF or status == LearnerStatus.ACTIVE:
                # Opened by an organisation (or already active): on the ledger now; a
                # self-registration is opened when its centre approves it (approve_opening).
                ledger.append(ledger_events.ACCOUNT_OPENED, record=learner, learner=learner)
    except IntegrityError:
        # Lost a race with another opening of the same person.
        raise Conflict(_("This person already has an account."), code=AccountErrorCode.DUPLICATE_ID_NUMBER) from None
    return learner


def _ensure_accepting(org: OrgUnit) -> None:
    """Accounts are opened at centres, sub-centres and points in service; the management centre
    supervises and keeps no learners of its own."""
    if org.status != "active" or org.is_management:
        raise ValidationFailed.for_field(
            "org", _("This organisation is not accepting applications."), code=AccountErrorCode.ORG_NOT_ACCEPTING
        )


def _validate_password(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            details=[
                {"field": "password", "code": AccountErrorCode.PASSWORD_INVALID, "message": str(message)}
                for message in exc.messages
            ]
        ) from None


@transaction.atomic
def open_account(
    *, actor: User, org: OrgUnit, name: str, id_number: str, phone: str, id_type: str = "", region: str = ""
) -> Learner:
    """Counter opening (柜台开户) by staff of a centre, sub-centre or point; the learner activates it later."""
    if not can(actor, "accounts.open", org.path):
        raise Forbidden(code="role_cannot_accounts_open")
    _ensure_accepting(org)
    identity = validate_identity(name=name, id_number=id_number, phone=phone, id_type=id_type, region=region)
    learner = create_learner_record(identity, org=org, channel=OpeningChannel.COUNTER)
    audit.record(actor=actor, action="accounts.open", obj=learner, after=learner_pii_state(learner))
    return learner


@dataclass(frozen=True)
class Registration:
    learner: Learner
    application: Any


def register_learner(
    *,
    org: OrgUnit,
    name: str,
    id_number: str,
    phone: str,
    phone_code: str,
    password: str,
    id_type: str = "",
    region: str = "",
) -> Registration:
    """Self-registration: real-name data + phone code → a pending account and an opening
    application that the chosen organisation accepts and first-reviews.

    The form is checked first, then the phone code (on its own transaction, so that wrong guesses
    always count), and only then whether the person has an account — so nobody can probe which
    ID or phone numbers are registered without the phone. A person whose earlier self-registration
    was rejected registers again on the same record."""
    from creditbank.reviews import services as review_services

    _ensure_accepting(org)
    identity = validate_identity(name=name, id_number=id_number, phone=phone, id_type=id_type, region=region)
    region_obj = _region_or_none(identity.region_code)
    _validate_password(password)
    verify_phone_code(identity.phone, CodePurpose.REGISTER, phone_code)
    with transaction.atomic():
        rejected = _rejected_self_registration(identity)
        _check_unique(identity, exclude_pk=rejected.pk if rejected is not None else None)
        if rejected is None:
            learner = create_learner_record(identity, org=org, channel=OpeningChannel.SELF, password=password)
        else:
            learner = _renew_rejected_registration(rejected, identity, org=org, region=region_obj, password=password)
        application = review_services.submit_application(
            kind="account_opening", learner=learner, org=org, actor=learner.user
        )
    return Registration(learner=learner, application=application)


def _rejected_self_registration(identity: IdentityData) -> Learner | None:
    """The pending record of a self-registration whose opening application was rejected, if any."""
    from creditbank.reviews.selectors import list_learner_applications

    learner = (
        Learner.objects.select_for_update()
        .filter(id_number_hash=identity.id_number_hash, opened_via=OpeningChannel.SELF, status=LearnerStatus.PENDING)
        .first()
    )
    if learner is None:
        return None
    latest = list_learner_applications(learner).filter(kind="account_opening").first()
    return learner if latest is not None and latest.status == "rejected" else None


def _renew_rejected_registration(
    learner: Learner, identity: IdentityData, *, org: OrgUnit, region: Region | None, password: str
) -> Learner:
    before = learner_pii_state(learner)
    learner.name = identity.name
    learner.id_type = identity.id_type
    learner.phone = identity.phone
    learner.phone_hash = identity.phone_hash
    learner.birth_date = identity.birth_date
    learner.gender = identity.gender
    learner.region = region
    learner.org = org
    learner.org_path = org.path
    learner.save()
    if learner.user is not None:
        learner.user.set_password(password)
        learner.user.display_name = identity.name
        learner.user.save(update_fields=["password", "display_name"])
    audit.record(
        actor=learner.user,
        action="accounts.register_again",
        obj=learner,
        before=before,
        after=learner_pii_state(learner),
    )
    return learner


@transaction.atomic
def approve_opening(learner: Learner, *, actor: User) -> Learner:
    """Called by the review workflow when an opening application passes first review."""
    if learner.status != LearnerStatus.PENDING:
        raise ApplicationError(
            _("Only a pending account can be approved."), code=AccountErrorCode.INVALID_STATUS_CHANGE
        )
    before = audit.snapshot(learner, ("status",))
    learner.status = LearnerStatus.ACTIVE
    learner.activated_at = timezone.now()
    learner.save(update_fields=["status", "activated_at", "updated_at"])
    if learner.opened_via == OpeningChannel.SELF:
        ledger.append(ledger_events.ACCOUNT_OPENED, record=learner, learner=learner)
    audit.record(
        actor=actor, action="accounts.approve_opening", obj=learner, before=before, after={"status": learner.status}
    )
    return learner


def activate_account(
    *, name: str, id_number: str, phone: str, phone_code: str, password: str, id_type: str = ""
) -> Learner:
    """First login that claims an account opened at a counter or by import (激活):
    name, ID number and phone must all match what was stored. The code is checked last and
    on its own transaction, so wrong guesses always count."""
    mismatch = ApplicationError(
        _("No account matches this name, ID number and phone number."),
        code=AccountErrorCode.IDENTITY_MISMATCH,
        status=400,
    )
    identity = validate_identity(name=name, id_number=id_number, phone=phone, id_type=id_type)
    learner = Learner.objects.filter(id_number_hash=identity.id_number_hash).first()
    if learner is None or learner.name != identity.name or learner.phone_hash != identity.phone_hash:
        raise mismatch
    _ensure_claimable(learner)
    _validate_password(password)
    verify_phone_code(identity.phone, CodePurpose.ACTIVATE, phone_code)
    with transaction.atomic():
        learner = Learner.objects.select_for_update().get(pk=learner.pk)
        _ensure_claimable(learner)
        user = User.objects.create_user(
            username=learner.account_no, password=password, kind=UserKind.LEARNER, display_name=learner.name
        )
        learner.user = user
        learner.status = LearnerStatus.ACTIVE
        learner.activated_at = timezone.now()
        learner.save(update_fields=["user", "status", "activated_at", "updated_at"])
        audit.record(actor=user, action="accounts.activate", obj=learner, after={"status": learner.status})
    return learner


def _ensure_claimable(learner: Learner) -> None:
    if learner.user_id is not None or learner.status != LearnerStatus.PENDING:
        raise Conflict(
            _("This account has already been activated; please log in."), code=AccountErrorCode.ALREADY_ACTIVATED
        )
    if learner.opened_via == OpeningChannel.SELF:
        raise Conflict(
            _("This account is waiting for review by the service centre."), code=AccountErrorCode.ACCOUNT_PENDING
        )


def reset_password(*, phone: str, phone_code: str, password: str) -> User:
    """Password reset by phone code, for learners (whose phone is on their account)."""
    number = validators.validate_cn_mobile(phone)
    learner = Learner.objects.select_related("user").filter(phone_hash=pii.lookup_hash(number)).first()
    if learner is not None and learner.user is not None:
        _validate_password(password, learner.user)
    verify_phone_code(number, CodePurpose.RESET, phone_code)
    if learner is None or learner.user is None:
        raise ApplicationError(
            _("No activated account uses this mobile number."), code=AccountErrorCode.LEARNER_NOT_FOUND, status=400
        )
    with transaction.atomic():
        learner.user.set_password(password)
        learner.user.save(update_fields=["password"])
        audit.record(actor=learner.user, action="accounts.reset_password", obj=learner)
    return learner.user


@transaction.atomic
def change_password(user: User, *, old_password: str, new_password: str) -> User:
    """A signed-in person changes their own password; the current one proves it is them."""
    if not user.check_password(old_password):
        raise ValidationFailed.for_field(
            "old_password", _("The current password is wrong."), code=AccountErrorCode.INVALID_CREDENTIALS
        )
    _validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(
        actor=user,
        action="accounts.change_password",
        object_type="accounts.user",
        object_id=str(user.pk),
        object_repr=user.username,
    )
    return user


# --- login -----------------------------------------------------------------------------------


def _recent_failures(normalized: str, target: User | None) -> int:
    """Failed logins since the last success, within the lock window: per account when the name
    found one (whichever of its names was typed), else per login name."""
    from creditbank.audit.models import LoginEntry

    since = timezone.now() - dt.timedelta(minutes=settings.CREDITBANK_LOGIN_LOCK_MINUTES)
    if target is not None:
        entries = LoginEntry.objects.filter(user=target)
    else:
        entries = LoginEntry.objects.filter(identifier_hash=audit.login_name_hash(normalized), user__isnull=True)
    last_success = (
        entries.filter(is_success=True, created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return entries.filter(is_success=False, created_at__gte=last_success or since).count()


def login_with_password(request: Any, *, identifier: str, password: str, method: str = "password") -> User:
    """Check a password login, with lockout after repeated failures; every attempt is logged.

    Failures are counted per account when the name finds one (so that typing the phone, the ID
    number and the account number in turn does not multiply the tries), else per normalised name."""
    name = validators.normalize_text(identifier)
    normalized = validators.normalize_login_name(name)
    target = selectors.find_user_by_identifier(normalized) or selectors.find_user_by_identifier(name)

    def log(is_success: bool, reason: str = "", user: Any = None) -> None:
        audit.record_login(identifier=normalized, method=method, is_success=is_success, user=user, reason=reason)

    if _recent_failures(normalized, target) >= settings.CREDITBANK_LOGIN_MAX_FAILURES:
        log(False, "locked", target)
        raise ApplicationError(
            _("Too many failed attempts. The account is locked for {minutes} minutes.").format(
                minutes=settings.CREDITBANK_LOGIN_LOCK_MINUTES
            ),
            code=AccountErrorCode.ACCOUNT_LOCKED,
            status=429,
        )
    learner = getattr(target, "learner", None) if target is not None and target.kind == UserKind.LEARNER else None
    if learner is not None and learner.status in (LearnerStatus.FROZEN, LearnerStatus.CLOSED):
        # A frozen or closed account's login is switched off (is_active); say why, once the password is right.
        if not target.check_password(password):  # type: ignore[union-attr]
            log(False, "invalid_credentials", target)
            raise ApplicationError(
                _("The login name or password is wrong."), code=AccountErrorCode.INVALID_CREDENTIALS, status=401
            )
        log(False, learner.status, target)
        code = (
            AccountErrorCode.ACCOUNT_FROZEN
            if learner.status == LearnerStatus.FROZEN
            else AccountErrorCode.ACCOUNT_CLOSED
        )
        raise ApplicationError(
            _("This account is frozen or closed; please contact your service centre."), code=code, status=403
        )
    user = authenticate(request, username=target.get_username() if target is not None else name, password=password)
    if user is None:
        # Attribute the attempt to the account it aimed at, so that its centre sees it in the login log.
        log(False, "invalid_credentials", target)
        raise ApplicationError(
            _("The login name or password is wrong."), code=AccountErrorCode.INVALID_CREDENTIALS, status=401
        )
    log(True, "", user)
    return user


# --- API tokens ------------------------------------------------------------------------------


def issue_api_token(user: User, *, name: str = "") -> tuple[ApiToken, str]:
    """A new bearer token; the secret is returned once and only its hash is stored."""
    secret = "cb_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:64],
        key_hash=hashlib.sha256(secret.encode()).hexdigest(),
        prefix=secret[:8],
        expires_at=timezone.now() + dt.timedelta(days=settings.CREDITBANK_API_TOKEN_DAYS),
    )
    return token, secret


def user_for_token(secret: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(
            key_hash=hashlib.sha256(secret.encode()).hexdigest(), revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_api_token(secret: str, *, actor: User) -> None:
    """Revoke the bearer token ``secret`` of ``actor`` (``DELETE /api/v1/auth/token``); idempotent."""
    ApiToken.objects.filter(
        user=actor, key_hash=hashlib.sha256(secret.encode()).hexdigest(), revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


# --- staff actions on learners ---------------------------------------------------------------


def reveal_learner_pii(learner: Learner, *, actor: User) -> dict[str, str]:
    """Unmasked ID and phone for roles that need them; every view is logged."""
    if not can(actor, "accounts.unmask", learner.org_path):
        raise Forbidden(code="role_cannot_accounts_unmask")
    audit.record(actor=actor, action="accounts.unmask_pii", obj=learner)
    return {"id_number": learner.id_number, "phone": learner.phone}


_ALLOWED_STATUS_CHANGES = {
    (LearnerStatus.ACTIVE, LearnerStatus.FROZEN),
    (LearnerStatus.PENDING, LearnerStatus.FROZEN),
    (LearnerStatus.FROZEN, LearnerStatus.ACTIVE),
    (LearnerStatus.FROZEN, LearnerStatus.PENDING),
    (LearnerStatus.ACTIVE, LearnerStatus.CLOSED),
    (LearnerStatus.FROZEN, LearnerStatus.CLOSED),
    (LearnerStatus.PENDING, LearnerStatus.CLOSED),
}


@transaction.atomic
def set_learner_status(learner: Learner, *, actor: User, status: str) -> Learner:
    """Freeze, unfreeze or close an account (closing is final)."""
    if not can(actor, "accounts.manage", learner.org_path):
        raise Forbidden(code="role_cannot_accounts_manage")
    if (learner.status, status) not in _ALLOWED_STATUS_CHANGES:
        raise ApplicationError(_("This status change is not allowed."), code=AccountErrorCode.INVALID_STATUS_CHANGE)
    if status == LearnerStatus.ACTIVE and learner.user_id is None:
        raise ApplicationError(
            _("An account that was never activated goes back to pending, not active."),
            code=AccountErrorCode.INVALID_STATUS_CHANGE,
        )
    before = audit.snapshot(learner, ("status",))
    learner.status = status
    learner.save(update_fields=["status", "updated_at"])
    if learner.user is not None:
        # Freezing or closing switches the login off at once: sessions and API tokens stop working.
        learner.user.is_active = status in (LearnerStatus.ACTIVE, LearnerStatus.PENDING)
        learner.user.save(update_fields=["is_active"])
    audit.record(actor=actor, action="accounts.set_status", obj=learner, before=before, after={"status": status})
    return learner


def set_large_text(user: Any, *, enabled: bool) -> None:
    """Remember the elderly-friendly large-text mode on the account, so it follows the person."""
    if getattr(user, "is_authenticated", False) and user.large_text != enabled:
        user.large_text = enabled
        user.save(update_fields=["large_text"])


# --- exports ---------------------------------------------------------------------------------


def export_learners_csv(actor: User, *, query: str = "", status: str = "") -> Iterator[str]:
    """The learners in the actor's *export* scope as CSV lines (UTF-8 with BOM, as Excel expects),
    with ID and phone numbers masked. Rows are streamed in chunks; the export is logged first."""
    from creditbank.accounts import selectors

    if not can(actor, "accounts.export"):
        raise Forbidden(code="role_cannot_accounts_export")
    learners = selectors.list_learners(actor, action="accounts.export", query=query, status=status).order_by("id")
    audit.record(
        actor=actor,
        action="accounts.export",
        object_type="accounts.learner",
        after={
            "query": pii.mask_id_number(query) if len(query) >= 8 else query,
            "status": status,
            "rows": learners.count(),
        },
    )
    return _export_lines(learners)


def _export_lines(learners: Any) -> Iterator[str]:
    header = [
        _("Account number"), _("Name"), _("ID type"), _("ID number"), _("Mobile phone"),
        _("Home organisation"), _("Status"), _("Opened via"), _("Opened at"),
    ]  # fmt: skip
    yield "\ufeff" + _csv_line(str(label) for label in header)
    for learner in learners.iterator(chunk_size=2000):
        yield _csv_line(
            (
                learner.account_no,
                learner.name,
                learner.get_id_type_display(),
                learner.id_number_masked,
                learner.phone_masked,
                learner.org.name,
                learner.get_status_display(),
                learner.get_opened_via_display(),
                timezone.localtime(learner.created_at).strftime("%Y-%m-%d %H:%M"),
            )
        )


def _csv_line(values: Iterable[Any]) -> str:
    buffer = io.StringIO()
    # Cells that a spreadsheet would run as formulas are written as text (CSV injection).
    csv.writer(buffer).writerow("'" + value if value and value[0] in "=+-@" else value for value in map(str, values))
    return buffer.getvalue()
