"""``{{ outcome.source_region|region_name }}``: 上海市（310000） for a mutually recognised outcome."""

from __future__ import annotations

from django import template

from creditbank.orgs.models import Region

register = template.Library()

# Region names are reference data that never change under a running process: one query per code.
_NAMES: dict[str, str] = {}


@register.filter
def region_name(code: str) -> str:
    if not code:
        return ""
    name = _NAMES.get(code)
    if name is None:
        name = Region.objects.filter(code=code).values_list("name", flat=True).first() or ""
        if len(_NAMES) < 1000:
            _NAMES[code] = name
    return f"{name}（{code}）" if name else code
