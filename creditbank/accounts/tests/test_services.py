import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.accounts import selectors, services, sms
from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.models import ApiToken, Learner, PhoneCode
from creditbank.accounts.numbering import format_account_no, is_valid_account_no, luhn_digit
from creditbank.accounts.tests.factories import identity_data, make_learner
from creditbank.audit.models import AuditEntry, LoginEntry
from creditbank.core import pii
from creditbank.core.errors import ApplicationError, Conflict, Forbidden, TooManyRequests, ValidationFailed
from creditbank.reviews.models import Application

pytestmark = pytest.mark.django_db


def _send(phone, purpose):
    services.send_phone_code(phone, purpose)
    return sms.last_code(phone, purpose)


def test_pii_is_encrypted_at_rest_and_found_by_keyed_hash(tree):
    # given
    learner = make_learner(tree.a)
    # when
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_number_hash FROM accounts_learner WHERE id = %s", [learner.pk])
        stored_id, stored_phone, stored_hash = cursor.fetchone()
    # then
    assert learner.id_number not in stored_id
    assert learner.phone not in stored_phone
    assert pii.decrypt(stored_id) == learner.id_number
    assert stored_hash == pii.lookup_hash(learner.id_number)
    assert Learner.objects.get(pk=learner.pk).id_number == learner.id_number


def test_masking():
    assert pii.mask_id_number("34052419800101001X") == "340***********001X"
    assert pii.mask_phone("13912345678") == "139****5678"
    assert pii.mask_name("欧阳娜娜") == "欧***"


def test_counter_opening_creates_pending_account_with_audit(tree, point_operator):
    # given
    data = identity_data()
    # when
    learner = services.open_account(actor=point_operator, org=tree.a_point, **data)
    # then
    assert learner.status == LearnerStatus.PENDING
    assert learner.opened_via == "counter"
    assert learner.user is None
    assert is_valid_account_no(learner.account_no)
    assert learner.birth_date is not None
    entry = AuditEntry.objects.get(action="accounts.open")
    assert entry.actor == point_operator
    assert entry.after["id_number"] == pii.mask_id_number(learner.id_number)
    assert learner.id_number not in str(entry.after)


def test_counter_opening_outside_scope_is_forbidden_and_writes_nothing(tree, point_operator):
    with pytest.raises(Forbidden):
        services.open_account(actor=point_operator, org=tree.b, **identity_data())
    assert Learner.objects.count() == 0
    assert AuditEntry.objects.filter(action="accounts.open").count() == 0


def test_duplicate_person_is_a_conflict(tree, centre_operator):
    data = identity_data()
    services.open_account(actor=centre_operator, org=tree.a, **data)
    with pytest.raises(Conflict) as excinfo:
        services.open_account(actor=centre_operator, org=tree.a, **{**data, "phone": "13900000001"})
    assert excinfo.value.code == "duplicate_id_number"
    assert Learner.objects.count() == 1


def test_bad_identity_lists_every_field_error(tree, centre_operator):
    with pytest.raises(ValidationFailed) as excinfo:
        services.open_account(actor=centre_operator, org=tree.a, name="", id_number="340524198001010011", phone="123")
    fields = sorted(detail["field"] for detail in excinfo.value.details)
    assert fields == ["id_number", "name", "phone"]


def test_self_registration_needs_a_valid_phone_code(tree):
    data = identity_data()
    with pytest.raises(ValidationFailed) as excinfo:
        services.register_learner(org=tree.a, phone_code="000000", password="Good#pass2026", **data)
    assert excinfo.value.code == "phone_code_invalid"
    assert Learner.objects.count() == 0


def test_self_registration_creates_pending_learner_and_opening_application(tree):
    # given
    data = identity_data()
    code = _send(data["phone"], "register")
    # when
    registration = services.register_learner(org=tree.a, phone_code=code, password="Good#pass2026", **data)
    # then
    learner = registration.learner
    assert learner.status == LearnerStatus.PENDING
    assert learner.user.check_password("Good#pass2026")
    application = Application.objects.get()
    assert (application.kind, application.status, application.org) == ("account_opening", "submitted", tree.a)
    # the code is single-use
    with pytest.raises(ValidationFailed):
        services.verify_phone_code(data["phone"], "register", code)


def test_phone_code_dies_after_five_wrong_tries(tree):
    data = identity_data()
    code = _send(data["phone"], "register")
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            services.verify_phone_code(data["phone"], "register", "999999" if code != "999999" else "888888")
    with pytest.raises(ValidationFailed):
        services.verify_phone_code(data["phone"], "register", code)


def test_phone_codes_are_rate_limited(tree):
    phone = "13912340000"
    services.send_phone_code(phone, "register")
    with pytest.raises(TooManyRequests):
        services.send_phone_code(phone, "register")
    assert PhoneCode.objects.count() == 1


def test_expired_code_is_refused(tree):
    data = identity_data()
    code = _send(data["phone"], "register")
    PhoneCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationFailed):
        services.verify_phone_code(data["phone"], "register", code)


def test_activation_claims_an_imported_account(tree):
    # given an account opened by import, without a user
    learner = make_learner(tree.a, status="pending", password=None, channel="import")
    code = _send(learner.phone, "activate")
    # when
    activated = services.activate_account(
        name=learner.name,
        id_number=learner.id_number.lower(),
        phone=learner.phone,
        phone_code=code,
        password="Good#pass2026",
    )
    # then
    assert activated.status == LearnerStatus.ACTIVE
    assert activated.user.username == learner.account_no
    assert activated.user.check_password("Good#pass2026")


def test_activation_with_mismatching_phone_changes_nothing(tree):
    learner = make_learner(tree.a, status="pending", password=None, channel="import")
    with pytest.raises(ApplicationError) as excinfo:
        services.activate_account(
            name=learner.name,
            id_number=learner.id_number,
            phone="13900009999",
            phone_code="123456",
            password="Good#pass2026",
        )
    assert excinfo.value.code == "identity_mismatch"
    learner.refresh_from_db()
    assert (learner.status, learner.user_id) == ("pending", None)


def test_activation_twice_is_a_conflict(tree):
    learner = make_learner(tree.a)
    with pytest.raises(Conflict) as excinfo:
        services.activate_account(
            name=learner.name,
            id_number=learner.id_number,
            phone=learner.phone,
            phone_code="123456",
            password="Good#pass2026",
        )
    assert excinfo.value.code == "already_activated"


@pytest.mark.parametrize("identifier", ["account_no", "id_number", "phone", "id_number_lower"])
def test_learner_logs_in_by_any_identifier(tree, rf, identifier):
    learner = make_learner(tree.a)
    value = {
        "account_no": learner.account_no,
        "id_number": learner.id_number,
        "phone": learner.phone,
        "id_number_lower": learner.id_number.lower(),
    }[identifier]
    user = services.login_with_password(rf.get("/"), identifier=value, password="Learner@pass123")
    assert user == learner.user
    assert LoginEntry.objects.filter(is_success=True).count() == 1


def test_lockout_after_repeated_failures(tree, rf, settings):
    # given
    settings.CREDITBANK_LOGIN_MAX_FAILURES = 3
    learner = make_learner(tree.a)
    for _ in range(3):
        with pytest.raises(ApplicationError):
            services.login_with_password(rf.get("/"), identifier=learner.account_no, password="wrong-password")
    # when the right password comes after the lock
    with pytest.raises(ApplicationError) as excinfo:
        services.login_with_password(rf.get("/"), identifier=learner.account_no, password="Learner@pass123")
    # then
    assert excinfo.value.code == "account_locked"
    assert LoginEntry.objects.filter(is_success=False).count() == 4
    assert LoginEntry.objects.filter(reason="locked").count() == 1


def test_login_log_masks_id_numbers(tree, rf):
    learner = make_learner(tree.a)
    with pytest.raises(ApplicationError):
        services.login_with_password(rf.get("/"), identifier=learner.id_number, password="nope-nope")
    entry = LoginEntry.objects.get()
    assert entry.identifier == pii.mask_id_number(learner.id_number)


def test_frozen_learner_cannot_log_in(tree, rf, centre_admin):
    learner = make_learner(tree.a_point)
    services.set_learner_status(learner, actor=centre_admin, status="frozen")
    with pytest.raises(ApplicationError) as excinfo:
        services.login_with_password(rf.get("/"), identifier=learner.account_no, password="Learner@pass123")
    assert excinfo.value.code == "account_frozen"


def test_status_change_rules(tree, centre_admin, other_admin):
    learner = make_learner(tree.a)
    with pytest.raises(Forbidden):
        services.set_learner_status(learner, actor=other_admin, status="frozen")
    services.set_learner_status(learner, actor=centre_admin, status="closed")
    with pytest.raises(ApplicationError) as excinfo:
        services.set_learner_status(learner, actor=centre_admin, status="active")
    assert excinfo.value.code == "invalid_status_change"


def test_reveal_pii_is_logged_and_needs_the_role(tree, centre_admin, centre_operator):
    learner = make_learner(tree.a_point)
    with pytest.raises(Forbidden):
        services.reveal_learner_pii(learner, actor=centre_operator)
    assert AuditEntry.objects.filter(action="accounts.unmask_pii").count() == 0
    revealed = services.reveal_learner_pii(learner, actor=centre_admin)
    assert revealed == {"id_number": learner.id_number, "phone": learner.phone}
    assert (
        AuditEntry.objects.filter(action="accounts.unmask_pii", actor=centre_admin, object_id=str(learner.pk)).count()
        == 1
    )


def test_password_reset_by_phone_code(tree):
    learner = make_learner(tree.a)
    code = _send(learner.phone, "reset")
    services.reset_password(phone=learner.phone, phone_code=code, password="Brand#new2026")
    learner.user.refresh_from_db()
    assert learner.user.check_password("Brand#new2026")


def test_api_token_stores_only_a_hash(tree):
    learner = make_learner(tree.a)
    _token, secret = services.issue_api_token(learner.user, name="app")
    assert ApiToken.objects.get().key_hash != secret
    assert services.user_for_token(secret) == learner.user
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.user_for_token(secret) is None


def test_scope_is_per_action_and_per_membership(tree):
    # given a person who operates at the point and reviews at centre B
    from creditbank.orgs import services as org_services
    from creditbank.orgs.tests.factories import make_staff

    person = make_staff(tree.a_point, "operator")
    org_services.set_membership(actor=None, user=person, org=tree.b, roles=["reviewer"])
    in_point, in_b, in_a = make_learner(tree.a_point), make_learner(tree.b), make_learner(tree.a)
    # when / then: sees both memberships' learners, nothing else
    assert set(Learner.objects.visible_to(person, "accounts.view")) == {in_point, in_b}
    # import is granted only by the operator role at the point
    assert set(Learner.objects.visible_to(person, "accounts.import")) == {in_point}
    assert in_a not in Learner.objects.visible_to(person)


def test_search_finds_by_each_identifier_within_scope(tree, centre_admin):
    learner = make_learner(tree.a_sub)
    other = make_learner(tree.b)
    assert list(selectors.list_learners(centre_admin, query=learner.id_number)) == [learner]
    assert list(selectors.list_learners(centre_admin, query=learner.phone)) == [learner]
    assert list(selectors.list_learners(centre_admin, query=learner.account_no)) == [learner]
    assert list(selectors.list_learners(centre_admin, query=learner.name)) == [learner]
    assert list(selectors.list_learners(centre_admin, query=other.id_number)) == []


def test_search_costs_a_fixed_number_of_queries(tree, centre_admin):
    for _ in range(3):
        make_learner(tree.a)
    with CaptureQueriesContext(connection) as small:
        list(selectors.list_learners(centre_admin))
    for _ in range(12):
        make_learner(tree.a)
    centre_admin = type(centre_admin).objects.get(pk=centre_admin.pk)
    with CaptureQueriesContext(connection) as large:
        list(selectors.list_learners(centre_admin))
    assert len(small.captured_queries) == len(large.captured_queries)


@given(st.integers(min_value=0, max_value=9_999_999_999))
def test_account_numbers_carry_a_luhn_digit(sequence):
    number = format_account_no(sequence)
    assert is_valid_account_no(number)
    for position in range(11):
        digit = int(number[position])
        changed = number[:position] + str((digit + 1) % 10) + number[position + 1 :]
        assert not is_valid_account_no(changed) or changed[0] != "1"


@settings(max_examples=50)
@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_luhn_digit_is_a_digit(digits):
    assert luhn_digit(digits) in "0123456789"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_wrong_codes_count_even_when_the_registration_fails(tree):
    # given a live code
    data = identity_data()
    code = _send(data["phone"], "register")
    wrong = "111111" if code != "111111" else "222222"
    # when five registrations with a wrong code fail
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            services.register_learner(org=tree.a, phone_code=wrong, password="Good#pass2026", **data)
    # then the right code is dead too, and nothing was created
    with pytest.raises(ValidationFailed):
        services.register_learner(org=tree.a, phone_code=code, password="Good#pass2026", **data)
    assert PhoneCode.objects.get().attempts == 5
    assert Learner.objects.count() == 0


def test_passport_account_can_be_activated(tree):
    learner = make_learner(
        tree.a, status="pending", password=None, channel="import", id_type="passport", id_number="E12345678"
    )
    code = _send(learner.phone, "activate")
    services.activate_account(
        name=learner.name,
        id_number="e12345678",
        id_type="passport",
        phone=learner.phone,
        phone_code=code,
        password="Good#pass2026",
    )
    learner.refresh_from_db()
    assert learner.status == "active"


def test_failed_login_is_visible_to_the_learners_centre(tree, rf, centre_admin, other_admin):
    learner = make_learner(tree.a_point)
    with pytest.raises(ApplicationError):
        services.login_with_password(rf.get("/"), identifier=learner.account_no, password="wrong-password")
    assert LoginEntry.objects.visible_to(centre_admin).filter(is_success=False).count() == 1
    assert LoginEntry.objects.visible_to(other_admin).filter(is_success=False).count() == 0


def test_lockout_counts_every_spelling_of_the_same_account(tree, rf, settings):
    # given an account and five ways of writing its names
    settings.CREDITBANK_LOGIN_MAX_FAILURES = 5
    learner = make_learner(tree.a)
    spellings = [
        f"+86 {learner.phone}",
        f"0086{learner.phone}",
        f"(86){learner.phone}",
        learner.id_number.lower(),
        learner.account_no,
    ]
    for spelling in spellings:
        with pytest.raises(ApplicationError):
            services.login_with_password(rf.get("/"), identifier=spelling, password="wrong-password")
    # when the right password comes under yet another spelling
    with pytest.raises(ApplicationError) as excinfo:
        services.login_with_password(rf.get("/"), identifier=learner.phone, password="Learner@pass123")
    # then the account is locked, and no log row holds a number in clear
    assert excinfo.value.code == "account_locked"
    identifiers = list(LoginEntry.objects.values_list("identifier", flat=True))
    assert all(learner.phone not in value and learner.id_number not in value for value in identifiers)


def test_unknown_numbers_are_masked_in_the_login_log(tree, rf):
    with pytest.raises(ApplicationError):
        services.login_with_password(rf.get("/"), identifier="E12345678", password="nope-nope")
    assert LoginEntry.objects.get().identifier == "E12**5678"


def test_freezing_ends_sessions_and_tokens(tree, centre_admin, client):
    # given a learner signed in with a session and an API token
    learner = make_learner(tree.a_point)
    _token, secret = services.issue_api_token(learner.user)
    client.force_login(learner.user)
    assert client.get("/me/").status_code == 200
    # when the centre freezes the account
    services.set_learner_status(learner, actor=centre_admin, status="frozen")
    # then the session and the token stop working at once
    assert client.get("/me/").status_code == 302
    assert services.user_for_token(secret) is None
    # and unfreezing gives the login back
    services.set_learner_status(learner, actor=centre_admin, status="active")
    assert services.user_for_token(secret) == learner.user


def test_export_lines_leave_empty_cells_empty_and_quote_formulas():
    line = services._csv_line(["", "=1+1", "张三"])
    assert line == ",'=1+1,张三\r\n"
