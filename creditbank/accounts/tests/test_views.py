import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from creditbank.accounts import services, sms
from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.models import Learner, PhoneCode, User
from creditbank.accounts.tests.factories import identity_data, make_learner
from creditbank.audit.models import AuditEntry, LoginEntry
from creditbank.core.ui import LARGE_TEXT_COOKIE
from creditbank.reviews import services as review_services
from creditbank.reviews.models import Application

pytestmark = pytest.mark.django_db

LEARNER_PASSWORD = "Learner@pass123"
NEW_PASSWORD = "Fresh!pass2026"
SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)


def assert_csp_clean(response):
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert [body for body in SCRIPT.findall(html) if body.strip()] == []
    assert 'style="' not in html


def field_errors(response, field):
    """The error messages rendered under one form field."""
    html = response.content.decode()
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.DOTALL)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


def send_code(client, phone, purpose):
    response = client.post("/accounts/send-code/", {"phone": phone, "purpose": purpose}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return sms.last_code(phone, purpose)


def registration_data(tree, **overrides):
    person = identity_data()
    data = {
        "name": person["name"],
        "id_type": "resident_id",
        "id_number": person["id_number"],
        "phone": person["phone"],
        "phone_code": "",
        "region": person["region"],
        "org": str(tree.a_point.pk),
        "password1": LEARNER_PASSWORD,
        "password2": LEARNER_PASSWORD,
    }
    data.update(overrides)
    return data


# --- pages render for the right people ------------------------------------------------------

ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/register/",
    "/accounts/activate/",
    "/accounts/password-reset/",
]


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_identity_pages_render_for_visitors_without_inline_code(anon_client, tree, path):
    # when
    response = anon_client.get(path)
    # then
    assert response.status_code == 200
    assert_csp_clean(response)
    assert 'action="/i18n/setlang/"' in response.content.decode()


@pytest.mark.parametrize("path", ["/me/", "/me/settings/"])
def test_learner_space_renders_for_the_learner(learner_client, learner_a, path):
    # when
    response = learner_client.get(path)
    # then
    assert response.status_code == 200
    assert_csp_clean(response)


@pytest.mark.parametrize("path", ["/me/", "/me/settings/"])
def test_learner_space_sends_visitors_to_login(anon_client, path):
    # when
    response = anon_client.get(path)
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", ["/me/", "/me/settings/"])
def test_learner_space_sends_staff_to_the_console(centre_admin_client, path):
    # when
    response = centre_admin_client.get(path)
    # then
    assert response.status_code == 302
    assert response["Location"] == "/console/"


def test_account_card_shows_masked_numbers_and_the_home_org(learner_client, learner_a, tree):
    # when
    response = learner_client.get("/me/")
    # then
    html = response.content.decode()
    assert learner_a.account_no in html
    assert learner_a.id_number_masked in html
    assert learner_a.phone_masked in html
    assert learner_a.id_number not in html
    assert learner_a.phone not in html
    assert tree.a_point.name in html
    assert 'id="account-status">' in html
    assert 'class="badge status-badge status-active"' in html


def test_pending_self_registration_shows_the_application_and_its_rejection_reason(tree, centre_reviewer):
    # given a self-registered learner whose application the centre rejected
    data = identity_data()
    services.send_phone_code(data["phone"], "register")
    registration = services.register_learner(
        org=tree.a, phone_code=sms.last_code(data["phone"], "register"), password=LEARNER_PASSWORD, **data
    )
    review_services.reject_application(registration.application, actor=centre_reviewer, note="证件照片不清晰")
    client = Client()
    client.force_login(registration.learner.user)
    # when
    response = client.get("/me/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="badge status-badge status-pending"' in html
    assert "证件照片不清晰" in html
    assert tree.a.name in html


# --- login ----------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["account_no", "id_number", "phone"])
def test_learner_logs_in_with_any_of_their_numbers(anon_client, learner_a, identifier):
    # when
    response = anon_client.post(
        "/accounts/login/", {"identifier": getattr(learner_a, identifier), "password": LEARNER_PASSWORD}
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert int(logged_in_user_id(anon_client)) == learner_a.user.pk
    assert LoginEntry.objects.filter(user=learner_a.user, is_success=True).count() == 1


def test_staff_log_in_to_the_console(anon_client, centre_admin):
    # when
    response = anon_client.post("/accounts/login/", {"identifier": "centre_admin", "password": "Staff@pass123"})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/console/"


def test_login_follows_a_safe_next_and_ignores_another_site(anon_client, learner_a):
    # when
    safe = anon_client.post(
        "/accounts/login/?next=/me/settings/", {"identifier": learner_a.account_no, "password": LEARNER_PASSWORD}
    )
    other = Client().post(
        "/accounts/login/",
        {"identifier": learner_a.account_no, "password": LEARNER_PASSWORD, "next": "https://evil.example/"},
    )
    # then
    assert safe["Location"] == "/me/settings/"
    assert other["Location"] == "/me/"


def test_wrong_password_is_a_form_error_and_is_logged(anon_client, learner_a):
    # when
    response = anon_client.post("/accounts/login/", {"identifier": learner_a.account_no, "password": "wrong-pass"})
    # then
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert logged_in_user_id(anon_client) is None
    entry = LoginEntry.objects.get()
    assert (entry.is_success, entry.reason) == (False, "invalid_credentials")


def test_empty_login_form_is_refused_without_a_log_row(anon_client, tree):
    # when
    response = anon_client.post("/accounts/login/", {"identifier": "", "password": ""})
    # then
    assert response.status_code == 200
    assert len(field_errors(response, "identifier")) == 1
    assert LoginEntry.objects.count() == 0


def test_five_failures_lock_the_account(anon_client, learner_a):
    # given
    for _attempt in range(5):
        anon_client.post("/accounts/login/", {"identifier": learner_a.account_no, "password": "wrong-pass"})
    # when the right password comes now
    response = anon_client.post("/accounts/login/", {"identifier": learner_a.account_no, "password": LEARNER_PASSWORD})
    # then
    assert response.status_code == 200
    assert logged_in_user_id(anon_client) is None
    assert LoginEntry.objects.filter(is_success=False, reason="invalid_credentials").count() == 5
    assert LoginEntry.objects.filter(is_success=False, reason="locked").count() == 1
    assert LoginEntry.objects.filter(is_success=True).count() == 0


def test_login_is_rate_limited_per_address(anon_client, learner_a, monkeypatch):
    # given a small budget per IP address
    from creditbank.accounts import views

    monkeypatch.setattr(views, "LOGIN_IP_LIMIT", (2, 300))
    for _attempt in range(2):
        anon_client.post("/accounts/login/", {"identifier": "nobody", "password": "wrong-pass"})
    # when
    response = anon_client.post("/accounts/login/", {"identifier": learner_a.account_no, "password": LEARNER_PASSWORD})
    # then
    assert response.status_code == 200
    assert logged_in_user_id(anon_client) is None
    assert LoginEntry.objects.filter(user=learner_a.user).count() == 0


def test_logout_needs_post(learner_client):
    # when
    refused = learner_client.get("/accounts/logout/")
    response = learner_client.post("/accounts/logout/")
    # then
    assert refused.status_code == 405
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(learner_client) is None


# --- phone codes ----------------------------------------------------------------------------


def test_send_code_answers_htmx_with_a_masked_number_and_a_wait(anon_client, tree):
    # when
    response = anon_client.post(
        "/accounts/send-code/", {"phone": "139 1234 5678", "purpose": "register"}, HTTP_HX_REQUEST="true"
    )
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "139****5678" in html
    assert 'data-cb-countdown="60"' in html
    assert len(sms.last_code("13912345678", "register")) == 6
    assert PhoneCode.objects.count() == 1


def test_send_code_twice_within_a_minute_is_refused(anon_client, tree):
    # given
    send_code(anon_client, "13912345678", "register")
    # when
    response = anon_client.post(
        "/accounts/send-code/", {"phone": "13912345678", "purpose": "register"}, HTTP_HX_REQUEST="true"
    )
    # then
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert PhoneCode.objects.count() == 1
    assert len(sms.LoggingSmsBackend.outbox) == 1


@pytest.mark.parametrize("phone", ["", "12345", "abc"])
def test_send_code_to_a_bad_number_sends_nothing(anon_client, tree, phone):
    # when
    response = anon_client.post("/accounts/send-code/", {"phone": phone, "purpose": "register"}, HTTP_HX_REQUEST="true")
    # then
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert sms.LoggingSmsBackend.outbox == []


def test_send_code_refuses_get(anon_client):
    assert anon_client.get("/accounts/send-code/").status_code == 405


# --- self-registration ----------------------------------------------------------------------


def test_register_form_offers_accepting_orgs_grouped_by_city(anon_client, tree):
    # given
    from creditbank.orgs.tests.factories import make_org

    make_org(tree.a, kind="point", code="A-OFF", name="停用受理点", region="340104", status="suspended")
    # when
    response = anon_client.get("/accounts/register/")
    # then
    html = response.content.decode()
    assert '<optgroup label="合肥市">' in html
    assert '<optgroup label="芜湖市">' in html
    assert f'value="{tree.a_point.pk}"' in html
    assert f'value="{tree.mc.pk}"' not in html.split('name="org"', 1)[1]
    assert "停用受理点" not in html
    assert 'hx-post="/accounts/send-code/"' in html


def test_registration_creates_a_pending_learner_and_an_opening_application(anon_client, tree):
    # given
    data = registration_data(tree)
    data["phone_code"] = send_code(anon_client, data["phone"], "register")
    # when
    response = anon_client.post("/accounts/register/", data)
    # then
    assert response.status_code == 302
    assert response["Location"] == "/accounts/register/done/"
    learner = Learner.objects.get()
    assert (learner.status, learner.opened_via, learner.org, learner.region_id) == (
        LearnerStatus.PENDING,
        "self",
        tree.a_point,
        data["region"],
    )
    application = Application.objects.get()
    assert (application.kind, application.status, application.org, application.learner) == (
        "account_opening",
        "submitted",
        tree.a_point,
        learner,
    )
    assert logged_in_user_id(anon_client) is None
    done = anon_client.get("/accounts/register/done/")
    assert tree.a_point.name in done.content.decode()
    assert learner.account_no in done.content.decode()


def test_registered_learner_can_log_in_and_sees_the_application_waiting(anon_client, tree):
    # given
    data = registration_data(tree)
    data["phone_code"] = send_code(anon_client, data["phone"], "register")
    anon_client.post("/accounts/register/", data)
    # when
    login = anon_client.post("/accounts/login/", {"identifier": data["phone"], "password": LEARNER_PASSWORD})
    page = anon_client.get("/me/")
    # then
    assert login["Location"] == "/me/"
    html = page.content.decode()
    assert 'status-pending"' in html
    assert tree.a_point.name in html


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone_code": "000000"}, "phone_code"),
        ({"phone_code": ""}, "phone_code"),
        ({"password2": "Other!pass2026"}, "password2"),
        ({"password1": "12345678", "password2": "12345678"}, "password1"),
        ({"id_number": "340104198001010010"}, "id_number"),
        ({"name": "张3"}, "name"),
        ({"org": "-1"}, "org"),
        ({"region": "999999"}, "region"),
    ],
)
def test_registration_with_bad_data_changes_nothing(anon_client, tree, overrides, field):
    # given a code was sent, but the form has one thing wrong
    data = registration_data(tree)
    code = send_code(anon_client, data["phone"], "register")
    data["phone_code"] = code
    data.update(overrides)
    # when
    response = anon_client.post("/accounts/register/", data)
    # then
    assert response.status_code == 200
    assert len(field_errors(response, field)) >= 1
    assert Learner.objects.count() == 0
    assert Application.objects.count() == 0
    assert User.objects.filter(kind="learner").count() == 0
    assert 'value="' + LEARNER_PASSWORD not in response.content.decode()


def test_registration_shows_every_mistake_at_once(anon_client, tree):
    # given
    data = registration_data(tree, name="张3", id_number="34010419800101001", phone="12345", phone_code="")
    # when
    response = anon_client.post("/accounts/register/", data)
    # then
    assert response.status_code == 200
    assert [len(field_errors(response, field)) for field in ("name", "id_number", "phone", "phone_code")] == [
        1,
        1,
        1,
        1,
    ]
    assert Learner.objects.count() == 0


def test_registration_of_a_person_who_has_an_account_is_a_field_error(anon_client, tree):
    # given
    existing = make_learner(tree.b)
    data = registration_data(tree, id_number=existing.id_number)
    data["phone_code"] = send_code(anon_client, data["phone"], "register")
    # when
    response = anon_client.post("/accounts/register/", data)
    # then
    assert response.status_code == 200
    assert len(field_errors(response, "id_number")) == 1
    assert Learner.objects.count() == 1


def test_registration_without_javascript_sends_the_code_and_keeps_what_was_typed(anon_client, tree):
    # given
    data = registration_data(tree)
    # when the "send code" button submits the whole form
    response = anon_client.post("/accounts/register/", {**data, "send_code": "1", "purpose": "register"})
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert sms.last_code(data["phone"], "register") is not None
    assert f'value="{data["name"]}"' in html
    assert LEARNER_PASSWORD not in html
    assert 'class="errorlist"' not in html
    assert Learner.objects.count() == 0


def test_done_page_without_a_registration_goes_back_to_the_form(anon_client):
    response = anon_client.get("/accounts/register/done/")
    assert response["Location"] == "/accounts/register/"


# --- activation -----------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["import", "counter"])
def test_activation_claims_an_opened_account_and_logs_in(anon_client, tree, channel):
    # given
    learner = make_learner(tree.a_point, status="pending", password=None, channel=channel)
    code = send_code(anon_client, learner.phone, "activate")
    # when
    response = anon_client.post(
        "/accounts/activate/",
        {
            "name": learner.name,
            "id_number": learner.id_number.lower(),
            "phone": learner.phone,
            "phone_code": code,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    learner.refresh_from_db()
    assert learner.status == LearnerStatus.ACTIVE
    assert learner.user is not None
    assert learner.user.check_password(NEW_PASSWORD)
    assert int(logged_in_user_id(anon_client)) == learner.user.pk
    assert LoginEntry.objects.filter(user=learner.user, method="activation", is_success=True).count() == 1
    assert anon_client.get("/me/").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error_field"),
    [
        ({"name": "王大锤"}, None),
        ({"phone": "13900009999"}, None),
        ({"phone_code": "000000"}, "phone_code"),
        ({"password2": "Other!pass2026"}, "password2"),
    ],
)
def test_activation_with_wrong_data_changes_nothing(anon_client, tree, overrides, error_field):
    # given
    learner = make_learner(tree.a_point, status="pending", password=None, channel="import")
    code = send_code(anon_client, learner.phone, "activate")
    data = {
        "name": learner.name,
        "id_number": learner.id_number,
        "phone": learner.phone,
        "phone_code": code,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    # when
    response = anon_client.post("/accounts/activate/", data)
    # then
    assert response.status_code == 200
    if error_field:
        assert len(field_errors(response, error_field)) >= 1
    else:
        assert 'role="alert"' in response.content.decode()
    learner.refresh_from_db()
    assert (learner.status, learner.user_id) == (LearnerStatus.PENDING, None)
    assert User.objects.filter(kind="learner").count() == 0
    assert logged_in_user_id(anon_client) is None
    assert AuditEntry.objects.filter(action="accounts.activate").count() == 0


def test_activating_an_active_account_says_to_log_in(anon_client, learner_a):
    # given
    code = send_code(anon_client, learner_a.phone, "activate")
    # when
    response = anon_client.post(
        "/accounts/activate/",
        {
            "name": learner_a.name,
            "id_number": learner_a.id_number,
            "phone": learner_a.phone,
            "phone_code": code,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    # then
    assert response.status_code == 200
    learner_a.user.refresh_from_db()
    assert learner_a.user.check_password(LEARNER_PASSWORD)


# --- password reset and change --------------------------------------------------------------


def test_password_reset_by_phone_code(anon_client, learner_a):
    # given
    code = send_code(anon_client, learner_a.phone, "reset")
    # when
    response = anon_client.post(
        "/accounts/password-reset/",
        {"phone": learner_a.phone, "phone_code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    # then
    assert response["Location"] == "/accounts/login/"
    learner_a.user.refresh_from_db()
    assert learner_a.user.check_password(NEW_PASSWORD)
    login = anon_client.post("/accounts/login/", {"identifier": learner_a.phone, "password": NEW_PASSWORD})
    assert login["Location"] == "/me/"


def test_password_reset_with_a_wrong_code_changes_nothing(anon_client, learner_a):
    # given
    send_code(anon_client, learner_a.phone, "reset")
    # when
    response = anon_client.post(
        "/accounts/password-reset/",
        {"phone": learner_a.phone, "phone_code": "000000", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    # then
    assert response.status_code == 200
    assert len(field_errors(response, "phone_code")) == 1
    learner_a.user.refresh_from_db()
    assert learner_a.user.check_password(LEARNER_PASSWORD)


def test_learner_changes_password_in_settings_and_stays_logged_in(learner_client, learner_a):
    # when
    response = learner_client.post(
        "/me/settings/", {"old_password": LEARNER_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    # then
    assert response["Location"] == "/me/settings/"
    learner_a.user.refresh_from_db()
    assert learner_a.user.check_password(NEW_PASSWORD)
    assert learner_client.get("/me/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.change_password", actor=learner_a.user).count() == 1


def test_password_change_with_a_wrong_current_password_changes_nothing(learner_client, learner_a):
    # when
    response = learner_client.post(
        "/me/settings/", {"old_password": "not-it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    # then
    assert response.status_code == 200
    assert len(field_errors(response, "old_password")) == 1
    learner_a.user.refresh_from_db()
    assert learner_a.user.check_password(LEARNER_PASSWORD)


# --- large text -----------------------------------------------------------------------------


def test_large_text_is_remembered_by_the_browser_for_a_year(anon_client, tree):
    # when
    response = anon_client.post("/accounts/large-text/", {"enabled": "1", "next": "/help/"})
    page = anon_client.get("/network/")
    # then
    assert response["Location"] == "/help/"
    cookie = response.cookies[LARGE_TEXT_COOKIE]
    assert (cookie.value, cookie["max-age"]) == ("1", 365 * 24 * 3600)
    assert '<html lang="zh-hans" class="large-text">' in page.content.decode()


def test_large_text_follows_a_signed_in_learner_to_another_browser(learner_client, learner_a):
    # given
    learner_client.post("/accounts/large-text/", {"enabled": "1", "next": "/me/"})
    other_browser = Client()
    other_browser.force_login(learner_a.user)
    # when
    page = other_browser.get("/me/")
    # then
    learner_a.user.refresh_from_db()
    assert learner_a.user.large_text is True
    assert 'class="large-text"' in page.content.decode()


def test_large_text_can_be_switched_off_again(learner_client, learner_a):
    # given
    learner_client.post("/accounts/large-text/", {"enabled": "1"})
    # when
    response = learner_client.post("/accounts/large-text/", {"enabled": "0", "next": "/me/"})
    page = learner_client.get("/me/")
    # then
    learner_a.user.refresh_from_db()
    assert learner_a.user.large_text is False
    assert response.cookies[LARGE_TEXT_COOKIE].value == "0"
    assert 'class="large-text"' not in page.content.decode()


def test_large_text_ignores_a_next_on_another_site(anon_client):
    response = anon_client.post("/accounts/large-text/", {"enabled": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_learner_resubmits_a_returned_opening_application(tree, centre_reviewer):
    # given a self-registered learner whose application was returned for supplement
    from creditbank.reviews import services as review_services

    data = identity_data()
    services.send_phone_code(data["phone"], "register")
    registration = services.register_learner(
        org=tree.a_point, phone_code=sms.last_code(data["phone"]), password="Good#pass2026", **data
    )
    review_services.return_application(registration.application, actor=centre_reviewer, note="请补充证件照片")
    client = Client()
    client.force_login(registration.learner.user)
    page = client.get("/me/")
    assert "请补充证件照片" in page.content.decode()
    assert 'action="/me/resubmit/"' in page.content.decode()
    # when an empty note is sent, nothing changes
    client.post("/me/resubmit/", {"note": " "})
    registration.application.refresh_from_db()
    assert registration.application.status == "returned"
    # when the learner says what they supplemented
    response = client.post("/me/resubmit/", {"note": "已补充证件照片"})
    # then
    assert response.status_code == 302
    registration.application.refresh_from_db()
    assert registration.application.status == "submitted"
    assert registration.application.events.last().note == "已补充证件照片"


def test_a_passport_account_is_activated_on_the_page(tree, client):
    # given an account opened by import for a passport holder
    learner = make_learner(
        tree.a, status="pending", password=None, channel="import", id_type="passport", id_number="E12345678"
    )
    services.send_phone_code(learner.phone, "activate")
    # when the holder activates it, choosing the passport
    response = client.post(
        "/accounts/activate/",
        {
            "name": learner.name,
            "id_type": "passport",
            "id_number": "e12345678",
            "phone": learner.phone,
            "phone_code": sms.last_code(learner.phone, "activate"),
            "password1": "Good#pass2026",
            "password2": "Good#pass2026",
        },
    )
    # then
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.status == LearnerStatus.ACTIVE
