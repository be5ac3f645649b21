import pytest

from creditbank.audit import services
from creditbank.audit.models import AppendOnlyError, AuditEntry

pytestmark = pytest.mark.django_db


def test_entries_are_append_only(tree, root_admin):
    entry = services.record(actor=root_admin, action="test.action", obj=tree.a)
    entry.action = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.action"


def test_entry_carries_actor_org_and_object_scope(tree, centre_admin):
    entry = services.record(actor=centre_admin, action="test.action", obj=tree.a_point, before={"a": 1}, after={"a": 2})
    assert entry.org == tree.a
    assert entry.org_path == tree.a_point.path
    assert (entry.object_type, entry.object_id) == ("orgs.orgunit", str(tree.a_point.pk))
    assert list(AuditEntry.objects.visible_to(centre_admin).filter(action="test.action")) == [entry]
    assert AuditEntry.objects.visible_to(centre_admin).filter(org_path__startswith=tree.b.path).count() == 0


def test_database_refuses_updates_on_postgresql(tree, root_admin):
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only; SQLite relies on the ORM guard above")
    entry = services.record(actor=root_admin, action="test.action", obj=tree.a)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="changed")
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.action"
