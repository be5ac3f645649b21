import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.accounts.choices import LearnerStatus, OpeningChannel
from creditbank.accounts.models import Learner
from creditbank.accounts.numbering import is_valid_account_no
from creditbank.accounts.tests.factories import make_learner
from creditbank.audit.models import AuditEntry
from creditbank.core import pii
from creditbank.core.errors import Forbidden
from creditbank.imports import progress, services, writers
from creditbank.imports.readers import FileRefused
from creditbank.imports.tests.helpers import bad_checksum, good_rows, new_person, row_of, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def _errors_by_line(outcome):
    return {item["line"]: [error["code"] for error in item["errors"]] for item in outcome.error_sample}


def test_stores_every_valid_row_as_a_pending_import_account(tmp_path, tree):
    # given
    rows = good_rows(3)
    path = write_csv(tmp_path / "good.csv", rows, encoding="gbk")
    # when
    outcome = services.run_learner_import(path, org=tree.a_point)
    # then
    assert (outcome.rows, outcome.valid, outcome.imported, outcome.duplicates, outcome.errors) == (3, 3, 3, 0, 0)
    learners = list(Learner.objects.order_by("account_no"))
    assert len(learners) == 3
    assert {learner.status for learner in learners} == {LearnerStatus.PENDING}
    assert {learner.opened_via for learner in learners} == {OpeningChannel.IMPORT}
    assert {learner.org_id for learner in learners} == {tree.a_point.pk}
    assert {learner.org_path for learner in learners} == {tree.a_point.path}
    assert all(is_valid_account_no(learner.account_no) for learner in learners)
    assert all(learner.user_id is None for learner in learners)
    by_hash = {learner.id_number_hash: learner for learner in learners}
    for name, _, id_number, phone, region in rows:
        learner = by_hash[pii.lookup_hash(id_number)]
        assert (learner.name, learner.id_number, learner.phone, learner.region_id) == (name, id_number, phone, region)
        assert learner.birth_date is not None


def test_values_are_encrypted_at_rest(tmp_path, tree):
    # given
    rows = good_rows(1)
    path = write_csv(tmp_path / "one.csv", rows)
    # when
    services.run_learner_import(path, org=tree.a)
    # then: the columns hold ciphertext, never the numbers
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM accounts_learner")
        stored_id, stored_phone = cursor.fetchone()
    assert rows[0][2] not in stored_id
    assert rows[0][3] not in stored_phone
    assert pii.decrypt(stored_id) == rows[0][2]


def test_reports_every_bad_row_with_its_line_and_code(tmp_path, tree):
    # given: good rows around one bad row of each kind
    good = good_rows(2)
    checksum = new_person()
    phone = new_person()
    region = new_person()
    id_type = new_person()
    rows = [
        good[0],
        [checksum["name"], "", bad_checksum(checksum), checksum["phone"], ""],
        [phone["name"], "", phone["id_number"], "12345", ""],
        [region["name"], "", region["id_number"], region["phone"], "990101"],
        [id_type["name"], "驾驶证", id_type["id_number"], id_type["phone"], ""],
        ["", "", "", "", "340104"],
        good[1],
    ]
    path = write_csv(tmp_path / "mixed.csv", rows)
    # when
    outcome = services.run_learner_import(path, org=tree.a)
    # then
    assert (outcome.rows, outcome.imported, outcome.duplicates, outcome.errors) == (7, 2, 0, 5)
    assert _errors_by_line(outcome) == {
        3: ["id_number_checksum"],
        4: ["phone_format"],
        5: ["region_unknown"],
        6: ["id_type_unknown"],
        7: ["name_required", "id_number_required", "phone_required"],
    }
    assert Learner.objects.count() == 2


def test_messages_are_in_chinese_by_default_with_the_column_name(tmp_path, tree):
    # given
    data = new_person()
    path = write_csv(tmp_path / "bad.csv", [[data["name"], "", bad_checksum(data), data["phone"], ""]])
    # when
    outcome = services.run_learner_import(path, org=tree.a, dry_run=True)
    # then
    (reason,) = outcome.error_sample[0]["reasons"]
    assert reason.startswith("证件号码：")
    assert any("\u4e00" <= char <= "\u9fff" for char in reason[5:])


def test_rows_already_stored_or_repeated_are_duplicates_not_errors(tmp_path, tree):
    # given: one learner already in the database, and a row repeated in the file
    existing = new_person()
    make_learner(tree.b, **existing)
    fresh = new_person()
    rows = [row_of(existing), row_of(fresh), row_of(fresh)]
    path = write_csv(tmp_path / "dups.csv", rows)
    # when
    outcome = services.run_learner_import(path, org=tree.a)
    # then
    assert (outcome.rows, outcome.imported, outcome.duplicates, outcome.errors) == (3, 1, 2, 0)
    assert Learner.objects.count() == 2
    assert Learner.objects.get(id_number_hash=pii.lookup_hash(existing["id_number"])).org_id == tree.b.pk


def test_reimporting_the_same_file_imports_nothing(tmp_path, tree):
    # given
    path = write_csv(tmp_path / "again.csv", good_rows(4))
    services.run_learner_import(path, org=tree.a)
    # when
    outcome = services.run_learner_import(path, org=tree.a)
    # then
    assert (outcome.rows, outcome.imported, outcome.duplicates, outcome.errors) == (4, 0, 4, 0)
    assert Learner.objects.count() == 4


def test_a_phone_used_by_another_learner_is_an_error(tmp_path, tree):
    # given: a phone already stored for someone else, and a phone repeated in the file
    stored = new_person()
    make_learner(tree.b, **stored)
    first, second, third = new_person(), new_person(), new_person()
    rows = [
        [first["name"], "", first["id_number"], stored["phone"], ""],
        row_of(second),
        [third["name"], "", third["id_number"], second["phone"], ""],
    ]
    path = write_csv(tmp_path / "phones.csv", rows)
    # when
    outcome = services.run_learner_import(path, org=tree.a)
    # then
    assert (outcome.imported, outcome.duplicates, outcome.errors) == (1, 0, 2)
    assert _errors_by_line(outcome) == {2: ["phone_in_use"], 4: ["phone_in_use"]}
    assert "3" in outcome.error_sample[1]["errors"][0]["message"]


def test_strict_stores_nothing_when_any_row_is_bad(tmp_path, tree):
    # given
    data = new_person()
    rows = [*good_rows(3), [data["name"], "", bad_checksum(data), data["phone"], ""]]
    path = write_csv(tmp_path / "strict.csv", rows)
    before = AuditEntry.objects.count()
    # when
    outcome = services.run_learner_import(path, org=tree.a, strict=True)
    # then
    assert (outcome.rows, outcome.valid, outcome.imported, outcome.errors) == (4, 3, 0, 1)
    assert Learner.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_strict_stores_everything_when_all_rows_are_good(tmp_path, tree):
    # given
    path = write_csv(tmp_path / "strict-ok.csv", good_rows(2))
    # when
    outcome = services.run_learner_import(path, org=tree.a, strict=True)
    # then
    assert outcome.imported == 2
    assert Learner.objects.count() == 2


def test_dry_run_counts_what_would_be_imported_and_stores_nothing(tmp_path, tree):
    # given
    data = new_person()
    rows = [*good_rows(3), [data["name"], "", bad_checksum(data), data["phone"], ""]]
    path = write_csv(tmp_path / "dry.csv", rows)
    before = AuditEntry.objects.count()
    # when
    outcome = services.run_learner_import(path, org=tree.a, dry_run=True)
    # then
    assert (outcome.rows, outcome.imported, outcome.duplicates, outcome.errors) == (4, 3, 0, 1)
    assert Learner.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_one_audit_row_per_import_with_the_counts(tmp_path, tree, centre_admin):
    # given
    path = write_csv(tmp_path / "audit.csv", good_rows(3))
    # when
    services.run_learner_import(path, org=tree.a_sub, actor=centre_admin)
    # then
    entry = AuditEntry.objects.get(action="imports.learners")
    assert entry.actor_id == centre_admin.pk
    assert entry.org_path == tree.a_sub.path
    assert entry.after["rows"] == 3
    assert entry.after["imported"] == 3
    assert entry.after["duplicates"] == 0
    assert entry.after["errors"] == 0
    assert AuditEntry.objects.filter(action__startswith="accounts.").count() == 0


def test_an_actor_needs_the_import_action_on_the_target(tmp_path, tree, centre_admin, centre_reviewer):
    # given
    path = write_csv(tmp_path / "scope.csv", good_rows(1))
    # when / then: a reviewer may not import; an administrator of A may not import into B
    with pytest.raises(Forbidden):
        services.run_learner_import(path, org=tree.a, actor=centre_reviewer)
    with pytest.raises(Forbidden):
        services.run_learner_import(path, org=tree.b, actor=centre_admin)
    assert Learner.objects.count() == 0


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("latin.csv", "姓名,证件号码,手机号码\n".encode() + b"\xff\xfe\x80\n", "encoding_unknown"),
        ("garbage.csv", bytes(range(256)) * 10, "not_a_spreadsheet"),
        ("nophone.csv", "姓名,证件号码\n张三,34052419800101001X\n".encode(), "missing_columns"),
    ],
)
def test_a_refused_file_stores_nothing(tmp_path, tree, filename, content, code):
    # given
    path = tmp_path / filename
    path.write_bytes(content)
    # when
    with pytest.raises(FileRefused) as excinfo:
        services.run_learner_import(path, org=tree.a)
    # then
    assert excinfo.value.code == code
    assert Learner.objects.count() == 0
    assert AuditEntry.objects.filter(action="imports.learners").count() == 0


def test_xlsx_import_and_id_numbers_that_lost_digits(tmp_path, tree):
    # given: one good row with text cells, and one ID number stored as a number
    good = new_person()
    lost = new_person()
    rows = [
        [good["name"], "居民身份证", good["id_number"], int(good["phone"]), float(good["region"])],
        [lost["name"], "", int(lost["id_number"][:17] + "0"), lost["phone"], ""],
    ]
    path = write_xlsx(tmp_path / "learners.xlsx", rows)
    # when
    outcome = services.run_learner_import(path, org=tree.a)
    # then
    assert (outcome.imported, outcome.errors) == (1, 1)
    assert _errors_by_line(outcome) == {3: ["id_number_lost_digits"]}
    learner = Learner.objects.get()
    assert (learner.phone, learner.region_id) == (good["phone"], good["region"])


def test_other_id_types_and_lowercase_x(tmp_path, tree):
    # given: a passport and a resident ID typed with a lowercase x and full-width digits
    passport, resident = new_person(), new_person()
    number = resident["id_number"]
    typed = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + number[-1].lower()
    rows = [
        [passport["name"], "护照", "E12345678", passport["phone"], ""],
        [resident["name"], "", typed, resident["phone"], ""],
    ]
    path = write_csv(tmp_path / "types.csv", rows)
    # when
    outcome = services.run_learner_import(path, org=tree.a)
    # then
    assert outcome.imported == 2
    stored = Learner.objects.get(id_type="passport")
    assert (stored.id_number, stored.birth_date, stored.gender) == ("E12345678", None, "")
    assert Learner.objects.get(id_type="resident_id").id_number == number.upper()


def test_several_batches(tmp_path, tree, monkeypatch):
    # given: batches of 2 rows, with a duplicate across batch boundaries
    monkeypatch.setattr(services, "BATCH_ROWS", 2)
    rows = good_rows(5)
    rows.insert(3, rows[0])
    path = write_csv(tmp_path / "batches.csv", rows)
    # when
    outcome = services.run_learner_import(path, org=tree.a)
    # then
    assert (outcome.rows, outcome.imported, outcome.duplicates) == (6, 5, 1)
    assert Learner.objects.count() == 5
    assert len(set(Learner.objects.values_list("account_no", flat=True))) == 5


def _fail_on_second_batch(monkeypatch):
    calls = {"count": 0}
    for cls in (writers.OrmWriter, writers.CopyWriter):
        original = cls.write

        def write(self, rows, numbers, _original=original):
            calls["count"] += 1
            if calls["count"] == 2:
                raise RuntimeError("disk full")
            return _original(self, rows, numbers)

        monkeypatch.setattr(cls, "write", write)
    return calls


def test_an_import_that_fails_part_way_leaves_no_rows(tmp_path, tree, monkeypatch):
    # given: the second batch fails after the first was written
    monkeypatch.setattr(services, "BATCH_ROWS", 2)
    calls = _fail_on_second_batch(monkeypatch)
    path = write_csv(tmp_path / "fail.csv", good_rows(5))
    # when
    with pytest.raises(RuntimeError, match="disk full"):
        services.run_learner_import(path, org=tree.a)
    # then
    assert calls["count"] == 2
    assert Learner.objects.count() == 0
    assert AuditEntry.objects.filter(action="imports.learners").count() == 0


def test_a_cancel_part_way_rolls_back_everything(tmp_path, tree, monkeypatch):
    # given: the cancel flag is raised while the first batch is being published
    monkeypatch.setattr(services, "BATCH_ROWS", 2)
    publish = progress.publish

    def publish_then_cancel(job_id, **kwargs):
        publish(job_id, **kwargs)
        progress.request_cancel(job_id)

    monkeypatch.setattr(progress, "publish", publish_then_cancel)
    path = write_csv(tmp_path / "cancel.csv", good_rows(5))
    # when
    with pytest.raises(services.ImportCancelled):
        services.run_learner_import(path, org=tree.a, job_id=-1)
    # then
    assert Learner.objects.count() == 0


def test_progress_is_published_after_every_batch(tmp_path, tree, monkeypatch):
    # given
    monkeypatch.setattr(services, "BATCH_ROWS", 2)
    seen = []
    publish = progress.publish

    def record(job_id, **kwargs):
        seen.append(kwargs["processed"])
        publish(job_id, **kwargs)

    monkeypatch.setattr(progress, "publish", record)
    path = write_csv(tmp_path / "progress.csv", good_rows(5))
    # when
    services.run_learner_import(path, org=tree.a, job_id=-2)
    # then: after batches of 2, 4 and 5 rows, then complete
    assert seen[:3] == [2, 4, 5]
    assert progress.read(-2).percent == 100


ROW_KINDS = ("good", "repeat", "stored", "checksum", "phone", "region", "id_type", "phone_clash", "blank")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(kinds=st.lists(st.sampled_from(ROW_KINDS), max_size=12), batch=st.integers(min_value=1, max_value=4))
def test_any_mix_of_rows_adds_up(tmp_path_factory, tree, kinds, batch):
    # given: a file made of a random mix of good, duplicate and bad rows
    services.BATCH_ROWS, saved = batch, services.BATCH_ROWS
    try:
        rows, expected = [], {"imported": 0, "duplicates": 0, "errors": 0}
        seen: list[list[str]] = []
        for kind in kinds:
            data = new_person()
            if kind == "good" or (kind == "repeat" and not seen):
                rows.append(row_of(data))
                seen.append(rows[-1])
                expected["imported"] += 1
            elif kind == "repeat":
                rows.append(list(seen[-1]))
                expected["duplicates"] += 1
            elif kind == "stored":
                make_learner(tree.b, **data)
                rows.append(row_of(data))
                expected["duplicates"] += 1
            elif kind == "blank":
                rows.append(["", "", "", "", ""])
            else:
                broken = row_of(data)
                if kind == "checksum":
                    broken[2] = bad_checksum(data)
                elif kind == "phone":
                    broken[3] = "1234"
                elif kind == "region":
                    broken[4] = "990000"
                elif kind == "id_type":
                    broken[1] = "军官证"
                elif kind == "phone_clash":
                    other = new_person()
                    make_learner(tree.b, **other)
                    broken[3] = other["phone"]
                rows.append(broken)
                expected["errors"] += 1
        path = write_csv(tmp_path_factory.mktemp("mix") / "mix.csv", rows)
        before = Learner.objects.count()
        # when
        outcome = services.run_learner_import(path, org=tree.a)
        # then
        assert outcome.imported + outcome.duplicates + outcome.errors == outcome.rows
        assert outcome.rows == sum(kind != "blank" for kind in kinds)
        assert {key: getattr(outcome, key) for key in expected} == expected
        assert Learner.objects.count() - before == outcome.imported
    finally:
        services.BATCH_ROWS = saved


def test_a_179_number_is_an_invalid_phone_not_a_crash(tmp_path, tree):
    # given: phonenumbers strips "179xx" as a carrier prefix and fails to parse what is left
    data = new_person()
    path = write_csv(tmp_path / "179.csv", [[data["name"], "", data["id_number"], "17930002656", ""]])
    # when
    outcome = services.run_learner_import(path, org=tree.a, dry_run=True)
    # then
    assert _errors_by_line(outcome) == {2: ["phone_invalid"]}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_that_owns_its_transaction_finds_stored_and_repeated_people(tmp_path, tree, monkeypatch):
    # given a learner committed before the import, and a file small batches will cut in three
    from django.db import connection

    from creditbank.accounts.tests.factories import make_learner
    from creditbank.imports import services as import_services
    from creditbank.imports import writers
    from creditbank.imports.tests.helpers import new_person, row_of, write_csv

    monkeypatch.setattr(import_services, "BATCH_ROWS", 2)
    probes = []
    real_create = writers.connections.create_connection
    monkeypatch.setattr(
        writers.connections, "create_connection", lambda alias: probes.append(alias) or real_create(alias)
    )
    stored = make_learner(tree.a)
    first, second = new_person(), new_person()
    rows = [
        row_of(first),
        row_of({"name": stored.name, "id_number": stored.id_number, "phone": stored.phone, "region": ""}),
        row_of(second),
        row_of(first),
        row_of(new_person()),
    ]
    path = write_csv(tmp_path / "mixed.csv", rows)
    # when (on PostgreSQL the duplicate probes run on a second connection, the COPY never stops)
    outcome = import_services.run_learner_import(path, org=tree.a_point)
    # then
    assert (outcome.rows, outcome.imported, outcome.duplicates, outcome.errors) == (5, 3, 2, 0)
    assert Learner.objects.filter(opened_via="import").count() == 3
    assert len(probes) == (1 if connection.vendor == "postgresql" else 0)
    # and importing it again stores nothing
    again = import_services.run_learner_import(path, org=tree.a_point)
    assert (again.imported, again.duplicates) == (0, 5)
