"""On PostgreSQL the database itself refuses UPDATE and DELETE on the logs (the ORM refuses too).

TRUNCATE stays possible for the owner (test flushes, retention jobs run by an operator).
"""

from django.db import migrations

TABLES = ("audit_auditentry", "audit_loginentry")

FUNCTION = """
CREATE OR REPLACE FUNCTION creditbank_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'creditbank: % on % is not allowed; the log is append-only', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION creditbank_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS creditbank_append_only()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
