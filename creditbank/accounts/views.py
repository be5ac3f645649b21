"""Identity pages (login, opening an account, activation, password reset) and the learner space.

Views are thin: a form collects input, a service in ``accounts.services`` does the work, and an
``ApplicationError`` comes back as form errors on a page re-rendered with status 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from creditbank.accounts import forms, services
from creditbank.accounts.choices import CodePurpose, LearnerStatus, OpeningChannel
from creditbank.accounts.models import Learner, User
from creditbank.audit import services as audit_services
from creditbank.core import pii, ratelimit, validators
from creditbank.core.context import client_ip
from creditbank.core.errors import ApplicationError
from creditbank.core.forms import add_application_error
from creditbank.core.ui import LARGE_TEXT_COOKIE, LARGE_TEXT_COOKIE_AGE, is_large_text
from creditbank.reviews import services as review_services
from creditbank.reviews.choices import ApplicationKind, ApplicationStatus
from creditbank.reviews.selectors import list_learner_applications

CONSOLE_URL = "/console/"
REGISTERED_SESSION_KEY = "cb_registered"
CODE_WAIT_SECONDS = 60

# Per-IP budgets. Generous, because a service point may help many people from one computer;
# the per-phone budgets below are what stops guessing of phone codes.
LOGIN_IP_LIMIT = (60, 300)
FORM_IP_LIMIT = (100, 3600)
PHONE_ATTEMPT_LIMIT = (10, 3600)
SEND_CODE_IP_LIMIT = (30, 3600)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _ip(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _home_for(user: Any) -> str:
    return CONSOLE_URL if getattr(user, "is_staff_member", False) else reverse("accounts:me")


def _limit_attempts(request: HttpRequest, scope: str, phone: str) -> None:
    """Count one attempt that uses a phone code: per IP, and per phone number (hashed)."""
    ratelimit.hit(f"{scope}-ip:{_ip(request)}", limit=FORM_IP_LIMIT[0], window=FORM_IP_LIMIT[1])
    number = validators.compact(phone)
    if number:
        ratelimit.hit(
            f"{scope}-phone:{pii.lookup_hash(number)}", limit=PHONE_ATTEMPT_LIMIT[0], window=PHONE_ATTEMPT_LIMIT[1]
        )


# --- phone codes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeStatus:
    ok: bool
    message: str
    countdown: int = 0


def _send_code(request: HttpRequest, phone: str, purpose: str) -> CodeStatus:
    if not validators.compact(phone):
        return CodeStatus(ok=False, message=_("Please enter your mobile phone number first."))
    try:
        number = validators.validate_cn_mobile(phone)
        ratelimit.hit(f"send-code-ip:{_ip(request)}", limit=SEND_CODE_IP_LIMIT[0], window=SEND_CODE_IP_LIMIT[1])
        services.send_phone_code(number, purpose)
    except ApplicationError as exc:
        message = exc.details[0]["message"] if exc.details else exc.message
        return CodeStatus(ok=False, message=str(message))
    minutes = settings.CREDITBANK_PHONE_CODE_TTL // 60
    return CodeStatus(
        ok=True,
        message=_("A code was sent to {phone}. It is valid for {minutes} minutes.").format(
            phone=pii.mask_phone(number), minutes=minutes
        ),
        countdown=CODE_WAIT_SECONDS,
    )


@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    """The "send code" button (htmx): answers with the status line under the code box."""
    form = forms.SendCodeForm(request.POST)
    if form.is_valid():
        status = _send_code(request, form.cleaned_data["phone"], form.cleaned_data["purpose"])
    elif not validators.compact(request.POST.get("phone", "")):
        status = CodeStatus(ok=False, message=_("Please enter your mobile phone number first."))
    else:
        status = CodeStatus(ok=False, message=_("The code could not be sent. Please check the mobile number."))
    return render(request, "accounts/partials/_code_status.html", {"code_status": status})


def _form_with_code_sent(request: HttpRequest, form_class: type[Form], purpose: str) -> tuple[Any, CodeStatus]:
    """Without JavaScript the "send code" button submits the whole form: send the code and show
    the form again with what was typed (never the passwords) and no errors yet."""
    kept = {
        key: value
        for key, value in request.POST.items()
        if not key.startswith("password") and key not in ("csrfmiddlewaretoken", "send_code")
    }
    return form_class(initial=kept), _send_code(request, request.POST.get("phone", ""), purpose)


# --- login and logout ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """One box for account number, ID number, phone or staff username; lockout is in the service."""
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(_safe_next(request) or _home_for(request.user))
    form = forms.LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.hit(f"login-ip:{_ip(request)}", limit=LOGIN_IP_LIMIT[0], window=LOGIN_IP_LIMIT[1])
            user = services.login_with_password(
                request, identifier=form.cleaned_data["identifier"], password=form.cleaned_data["password"]
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            auth_login(request, user)
            return redirect(_safe_next(request) or _home_for(user))
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("portal:home")


# --- opening and activating an account -------------------------------------------------------


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Self-registration (自主注册): a pending account and an opening application to the chosen org."""
    code_status = None
    if request.method == "POST" and "send_code" in request.POST:
        form, code_status = _form_with_code_sent(request, forms.RegisterForm, CodePurpose.REGISTER)
    elif request.method == "POST":
        form = forms.RegisterForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _limit_attempts(request, "register", data["phone"])
                registration = services.register_learner(
                    org=data["org"],
                    name=data["name"],
                    id_type=data["id_type"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    phone_code=data["phone_code"],
                    password=data["password1"],
                    region=data["region"],
                )
            except ApplicationError as exc:
                add_application_error(form, exc, field_map=forms.PASSWORD_FIELD_MAP)
            else:
                org = data["org"]
                request.session[REGISTERED_SESSION_KEY] = {
                    "account_no": registration.learner.account_no,
                    "org_name": org.name,
                    "org_address": org.address,
                    "org_phone": org.contact_phone,
                }
                return redirect("accounts:register-done")
    else:
        form = forms.RegisterForm()
    return render(
        request, "accounts/register.html", {"form": form, "code_status": code_status, "purpose": CodePurpose.REGISTER}
    )


@require_http_methods(["GET"])
def register_done(request: HttpRequest) -> HttpResponse:
    registered = request.session.get(REGISTERED_SESSION_KEY)
    if not registered:
        return redirect("accounts:register")
    return render(request, "accounts/register_done.html", {"registered": registered})


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """Activation (激活) of an account opened at a counter or by import: it is then signed in."""
    code_status = None
    if request.method == "POST" and "send_code" in request.POST:
        form, code_status = _form_with_code_sent(request, forms.ActivateForm, CodePurpose.ACTIVATE)
    elif request.method == "POST":
        form = forms.ActivateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _limit_attempts(request, "activate", data["phone"])
                learner = services.activate_account(
                    name=data["name"],
                    id_type=data["id_type"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    phone_code=data["phone_code"],
                    password=data["password1"],
                )
            except ApplicationError as exc:
                add_application_error(form, exc, field_map=forms.PASSWORD_FIELD_MAP)
            else:
                user = cast(User, learner.user)
                audit_services.record_login(
                    identifier=learner.account_no, method="activation", is_success=True, user=user
                )
                auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
                messages.success(request, _("Your account is active. Welcome!"))
                return redirect("accounts:me")
    else:
        form = forms.ActivateForm()
    return render(
        request, "accounts/activate.html", {"form": form, "code_status": code_status, "purpose": CodePurpose.ACTIVATE}
    )


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    code_status = None
    if request.method == "POST" and "send_code" in request.POST:
        form, code_status = _form_with_code_sent(request, forms.PasswordResetForm, CodePurpose.RESET)
    elif request.method == "POST":
        form = forms.PasswordResetForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _limit_attempts(request, "reset", data["phone"])
                services.reset_password(phone=data["phone"], phone_code=data["phone_code"], password=data["password1"])
            except ApplicationError as exc:
                add_application_error(form, exc, field_map=forms.PASSWORD_FIELD_MAP)
            else:
                messages.success(request, _("Your password was changed. Please log in with the new password."))
                return redirect("accounts:login")
    else:
        form = forms.PasswordResetForm()
    return render(
        request,
        "accounts/password_reset.html",
        {"form": form, "code_status": code_status, "purpose": CodePurpose.RESET},
    )


# --- large text ------------------------------------------------------------------------------


@require_POST
def large_text(request: HttpRequest) -> HttpResponse:
    """Switch the large-text mode (适老化): a one-year cookie for this browser, and the account's
    own setting for a signed-in person, so that it follows them to other devices."""
    form = forms.LargeTextForm(request.POST)
    enabled = form.cleaned_data["enabled"] if form.is_valid() else not is_large_text(request)
    services.set_large_text(request.user, enabled=enabled)
    response = HttpResponseRedirect(_safe_next(request) or reverse("portal:home"))
    response.set_cookie(
        LARGE_TEXT_COOKIE,
        "1" if enabled else "0",
        max_age=LARGE_TEXT_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response


# --- learner space ---------------------------------------------------------------------------


def _own_learner(request: HttpRequest) -> Learner | HttpResponse:
    """The signed-in learner's account; staff go to the console."""
    user = _user(request)
    if user.is_staff_member:
        return redirect(CONSOLE_URL)
    learner = getattr(user, "learner", None)
    if learner is None:
        raise Http404
    return cast(Learner, learner)


STATUS_EXPLANATIONS = {
    LearnerStatus.ACTIVE: gettext_lazy(
        "Your account is active. What you learn can be stored, certified and counted in it."
    ),
    LearnerStatus.FROZEN: gettext_lazy("Your account is frozen for now. Please contact your service organisation."),
    LearnerStatus.CLOSED: gettext_lazy("Your account is closed."),
}


def _status_explanation(learner: Learner, opening: Any) -> str:
    if learner.status != LearnerStatus.PENDING:
        return str(STATUS_EXPLANATIONS[LearnerStatus(learner.status)])
    if learner.opened_via != OpeningChannel.SELF:
        return _("Your account was opened for you. Activate it with your phone to start using it.")
    if opening is not None and opening.status == ApplicationStatus.REJECTED:
        return _("Your application to open an account was not approved. The reason is below.")
    if opening is not None and opening.status == ApplicationStatus.RETURNED:
        return _("Your application was returned: something needs to be corrected. The reason is below.")
    if opening is not None and opening.status == ApplicationStatus.ACCEPTED:
        return _("{org} has accepted your application and is checking it now (first review).").format(
            org=learner.org.name
        )
    return _(
        "Your application was sent to {org}. They will accept it and check it (first review); then your account becomes active."
    ).format(org=learner.org.name)


@login_required
@require_http_methods(["GET"])
def me(request: HttpRequest) -> HttpResponse:
    learner = _own_learner(request)
    if isinstance(learner, HttpResponse):
        return learner
    opening = next(
        (
            application
            for application in list_learner_applications(learner)
            if application.kind == ApplicationKind.ACCOUNT_OPENING
        ),
        None,
    )
    context = {
        "learner": learner,
        "org": learner.org,
        "opening": opening,
        "status_explanation": _status_explanation(learner, opening),
        "show_reason": opening is not None
        and opening.status in (ApplicationStatus.REJECTED, ApplicationStatus.RETURNED),
    }
    return render(request, "accounts/me.html", context)


@login_required
@require_POST
def me_resubmit(request: HttpRequest) -> HttpResponse:
    """The learner answers a return for supplement (补正) and sends the opening application again."""
    learner = _own_learner(request)
    if isinstance(learner, HttpResponse):
        return learner
    returned = [
        application
        for application in list_learner_applications(learner)
        if application.status == ApplicationStatus.RETURNED
    ]
    note = request.POST.get("note", "").strip()[:500]
    if not returned:
        messages.error(request, _("There is no returned application to send again."))
    elif not note:
        messages.error(request, _("Please say what you have supplemented or corrected."))
    else:
        try:
            review_services.resubmit_application(returned[0], actor=request.user, note=note)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your application was sent again. Your service organisation will review it."))
    return redirect("accounts:me")


@login_required
@require_http_methods(["GET", "POST"])
def me_settings(request: HttpRequest) -> HttpResponse:
    learner = _own_learner(request)
    if isinstance(learner, HttpResponse):
        return learner
    form = forms.PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _user(request)
        try:
            services.change_password(
                user, old_password=form.cleaned_data["old_password"], new_password=form.cleaned_data["password1"]
            )
        except ApplicationError as exc:
            add_application_error(form, exc, field_map=forms.PASSWORD_FIELD_MAP)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:me-settings")
    return render(request, "accounts/me_settings.html", {"form": form, "learner": learner})
