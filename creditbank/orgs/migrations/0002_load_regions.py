"""Load GB/T 2260 regions of Anhui (current and historical) from the package's reference CSVs."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load_regions(apps, schema_editor):
    Region = apps.get_model("orgs", "Region")
    rows = {}
    with open(DATA / "anhui_divisions.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["code"]] = (row["name"], row["level"], row["parent_code"] or None, True)
    with open(DATA / "anhui_divisions_historical.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["code"] not in rows:
                parent = row["parent_code"] or None
                rows[row["code"]] = (row["name"], row["level"], parent, False)
    existing = set(Region.objects.values_list("code", flat=True))
    # Parents first, so that foreign keys resolve; historical parents may be missing: then none.
    for code in sorted(rows, key=lambda c: (c[2:] != "0000", c[4:] != "00", c)):
        name, level, parent, current = rows[code]
        if code in existing:
            continue
        if parent and parent not in rows:
            parent = None
        Region.objects.create(code=code, name=name, level=level, parent_id=parent, is_current=current)
        existing.add(code)


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
