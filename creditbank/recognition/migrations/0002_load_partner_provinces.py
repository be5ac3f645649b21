"""Add the provincial-level GB/T 2260 regions the region table lacks, so that a partner credit
bank's region (上海 310000, 江苏 320000, 浙江 330000, ...) can be named (recognition/data/README.md)."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load_provinces(apps, schema_editor):
    Region = apps.get_model("orgs", "Region")
    with open(DATA / "provinces.csv", encoding="utf-8") as handle:
        rows = {row["code"]: row["name"] for row in csv.DictReader(handle)}
    existing = set(Region.objects.filter(code__in=list(rows)).values_list("code", flat=True))
    Region.objects.bulk_create(
        [
            Region(code=code, name=name, level="province", parent_id=None, is_current=True)
            for code, name in sorted(rows.items())
            if code not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("recognition", "0001_standards_and_mappings"), ("orgs", "0002_load_regions")]
    operations = [migrations.RunPython(load_provinces, migrations.RunPython.noop)]
