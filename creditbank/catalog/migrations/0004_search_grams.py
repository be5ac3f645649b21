"""Search grams of every catalog item, on PostgreSQL their GIN index (``catalog.grams``), and a
code index that serves prefix search."""

import unicodedata

from django.db import migrations, models

INDEX = "catalog_item_grams"


def _token(prefix, chars):
    # frozen copy of catalog.grams: code points in base 36, four digits each
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = prefix
    for char in chars:
        number, spelled = ord(char), ""
        for _ in range(4):
            number, digit = divmod(number, 36)
            spelled = digits[digit] + spelled
        out += spelled
    return out


def index_text(name, name_initials):
    tokens = {}
    for text, prefix in ((name, "n"), (name_initials, "i")):
        chars = "".join(f for c in text for f in unicodedata.normalize("NFKC", c).lower() if f.isalnum())
        tokens.update(dict.fromkeys(_token(prefix, c) for c in chars))
        tokens.update(dict.fromkeys(_token(prefix, chars[i : i + 2]) for i in range(len(chars) - 1)))
    return " ".join(tokens)


def fill(apps, schema_editor):
    CatalogItem = apps.get_model("catalog", "CatalogItem")
    rows = list(CatalogItem.objects.only("pk", "name", "name_initials"))
    for row in rows:
        row.search_grams = index_text(row.name, row.name_initials)
    CatalogItem.objects.bulk_update(rows, ["search_grams"], batch_size=1000)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_catalogitem "
            "USING gin (to_tsvector('simple'::regconfig, search_grams))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_item_proposer_and_standard_attachments"),
    ]

    operations = [
        migrations.AddField(
            model_name="catalogitem",
            name="search_grams",
            field=models.TextField(blank=True, editable=False, verbose_name="search grams"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        # The GIN index serves initials search; a b-tree never could (LIKE '%kj%').
        migrations.RemoveIndex(model_name="catalogitem", name="catalog_item_initials"),
        migrations.AddIndex(
            model_name="catalogitem",
            index=models.Index(fields=["code"], name="catalog_item_code_prefix", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.RunPython(create_index, drop_index),
    ]
