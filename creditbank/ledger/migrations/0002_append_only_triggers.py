"""On PostgreSQL the database itself refuses to rewrite the ledger (the ORM refuses too):
UPDATE and DELETE of leaves and checkpoints, DELETE of tiles, and any change of a tile that is
not growing it (the stored hashes must stay a prefix of the new ones).

An operator with the table owner's rights can still drop the triggers; ``ledger verify`` and the
published checkpoints are what catch that.
"""

from django.db import migrations

APPEND_ONLY = ("ledger_ledgerleaf", "ledger_checkpoint", "ledger_anchorreceipt")

FUNCTIONS = """
CREATE OR REPLACE FUNCTION creditbank_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'creditbank: % on % is not allowed; the ledger is append-only', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION creditbank_ledger_tile_grows() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.level <> OLD.level OR NEW.index <> OLD.index
       OR length(NEW.hashes) < length(OLD.hashes)
       OR substring(NEW.hashes FROM 1 FOR length(OLD.hashes)) <> OLD.hashes THEN
        RAISE EXCEPTION 'creditbank: a ledger tile may only grow (% on %)', TG_OP, TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)
    for table in APPEND_ONLY:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION creditbank_ledger_append_only()"
        )
    schema_editor.execute(
        "CREATE TRIGGER ledger_ledgertile_grows BEFORE UPDATE OR DELETE ON ledger_ledgertile "
        "FOR EACH ROW EXECUTE FUNCTION creditbank_ledger_tile_grows()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP TRIGGER IF EXISTS ledger_ledgertile_grows ON ledger_ledgertile")
    schema_editor.execute("DROP FUNCTION IF EXISTS creditbank_ledger_append_only()")
    schema_editor.execute("DROP FUNCTION IF EXISTS creditbank_ledger_tile_grows()")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_leaves_tiles_head_checkpoints")]
    operations = [migrations.RunPython(forwards, backwards)]
