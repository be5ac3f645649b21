"""Console forms for programmes, their requirement groups and courses, and conversion rules.

They only collect input. Cells are checked by the same pure functions the imports use
(``conversion.values``: codes, names, credits, the cap as 0.5 or 50 %), rules by
``services.resolve_rule`` and ``services.publish_problems``; the services check them once more
and answer with the same codes, which ``core.forms.add_application_error`` puts on the fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditbank.console.forms import BootstrapFormMixin
from creditbank.conversion import services, values
from creditbank.conversion.choices import ProgrammeLevel, RuleMode, SourceKind
from creditbank.conversion.errors import ConversionErrorCode as Code
from creditbank.conversion.models import ConversionRule, Course, Programme, RequirementGroup
from creditbank.imports.values import CellError
from creditbank.orgs.models import OrgUnit

_SEPARATORS = re.compile(r"[\s,，、;；+＋]+")


def _checked(parse: Callable[..., Any], value: Any, **kwargs: Any) -> Any:
    """``parse(value)`` with a ``CellError`` as the field's error, under the same code."""
    try:
        return parse(value or "", **kwargs)
    except CellError as failed:
        raise forms.ValidationError(failed.message, code=failed.code) from None


def _share_text(share: Decimal) -> str:
    """0.500 → "50%": how people write a cap."""
    return f"{(share * 100).normalize():f}%"


class ProgrammeForm(BootstrapFormMixin, forms.Form):
    """Create a programme (its centre among those the user manages) or edit one (code and centre fixed)."""

    code = forms.CharField(
        label=_("Code"), max_length=32, help_text=_("Letters, digits, dots, hyphens; stored in capitals.")
    )
    name = forms.CharField(label=_("Name"), max_length=128)
    level = forms.ChoiceField(label=_("Level"), choices=ProgrammeLevel.choices)
    org = forms.ChoiceField(label=_("University centre"))
    total_credits = forms.CharField(label=_("Total credits"), max_length=8)
    conversion_cap = forms.CharField(
        label=_("Cap on converted credits"),
        max_length=8,
        help_text=_("A share of the total credits: 0.5 or 50%; more than 0, at most 100%."),
    )
    max_outcome_age_years = forms.CharField(
        label=_("Maximum age of an outcome (years)"),
        max_length=4,
        required=False,
        help_text=_("Leave empty when outcomes of any age count."),
    )

    def __init__(
        self, *args: Any, owners: list[tuple[str, str]] | None = None, programme: Programme | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        if programme is not None:
            self.fields["code"].disabled = True
            self.fields["org"].disabled = True
            self.fields["org"].choices = [(programme.org.code, programme.org.name)]  # type: ignore[attr-defined]
        else:
            self.fields["org"].choices = owners or []  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, programme: Programme) -> dict[str, Any]:
        return {
            "code": programme.code,
            "name": programme.name,
            "level": programme.level,
            "org": programme.org.code,
            "total_credits": str(programme.total_credits),
            "conversion_cap": _share_text(programme.conversion_cap),
            "max_outcome_age_years": programme.max_outcome_age_years or "",
        }

    def clean_code(self) -> str:
        return str(_checked(values.parse_code, self.cleaned_data["code"], required_message=_("The code is required.")))

    def clean_name(self) -> str:
        return str(
            _checked(
                values.parse_name, self.cleaned_data["name"], maximum=128, required_message=_("The name is required.")
            )
        )

    def clean_org(self) -> OrgUnit:
        if self.programme is not None:
            return self.programme.org
        return _checked(services.university_centre, self.cleaned_data["org"])

    def clean_total_credits(self) -> Decimal:
        return _checked(
            values.parse_credits,
            self.cleaned_data["total_credits"],
            code=Code.TOTAL_CREDITS_FORMAT,
            maximum=values.MAX_TOTAL_CREDITS,
            required_message=_("The total credits are required."),
        )

    def clean_conversion_cap(self) -> Decimal:
        return _checked(values.parse_share, self.cleaned_data["conversion_cap"])

    def clean_max_outcome_age_years(self) -> int | None:
        return _checked(
            values.parse_whole,
            self.cleaned_data["max_outcome_age_years"],
            code=Code.AGE_FORMAT,
            minimum=1,
            maximum=values.MAX_YEARS,
            unit="年",
        )

    def programme_values(self) -> services.ProgrammeValues:
        data = self.cleaned_data
        return services.ProgrammeValues(
            code=self.programme.code if self.programme is not None else data["code"],
            name=data["name"],
            level=data["level"],
            org=data["org"],
            total_credits=data["total_credits"],
            conversion_cap=data["conversion_cap"],
            max_outcome_age_years=data["max_outcome_age_years"],
        )


class GroupForm(BootstrapFormMixin, forms.Form):
    """A requirement group: a name with 必修 makes it required (every course); an elective group
    needs its minimum credits. The name is the group's key, so it is fixed once saved."""

    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        help_text=_("A name containing 必修 makes a required group: every course of it."),
    )
    min_credits = forms.CharField(
        label=_("Minimum credits"),
        max_length=8,
        required=False,
        help_text=_("For an elective group: how many of its credits are needed."),
    )

    def __init__(self, *args: Any, group: RequirementGroup | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = group
        if group is not None:
            self.fields["name"].disabled = True

    @classmethod
    def initial_for(cls, group: RequirementGroup) -> dict[str, Any]:
        return {"name": group.name, "min_credits": "" if group.min_credits is None else str(group.min_credits)}

    def clean_name(self) -> str:
        return str(
            _checked(
                values.parse_name,
                self.cleaned_data["name"],
                maximum=64,
                required_message=_("The course group is required."),
            )
        )

    def clean_min_credits(self) -> Decimal | None:
        return _checked(values.parse_optional_credits, self.cleaned_data["min_credits"], code=Code.GROUP_MIN_FORMAT)


class CourseForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=128)
    credits = forms.CharField(label=_("Credits"), max_length=6)
    group = forms.ModelChoiceField(label=_("Requirement group"), queryset=RequirementGroup.objects.none())

    def __init__(self, *args: Any, programme: Programme, course: Course | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["group"].queryset = RequirementGroup.objects.filter(programme=programme).order_by(  # type: ignore[attr-defined]
            "sort_order", "id"
        )
        if course is not None:
            self.fields["code"].disabled = True

    @classmethod
    def initial_for(cls, course: Course) -> dict[str, Any]:
        return {"code": course.code, "name": course.name, "credits": str(course.credits), "group": course.group_id}

    def clean_code(self) -> str:
        return str(
            _checked(values.parse_code, self.cleaned_data["code"], required_message=_("The course code is required."))
        )

    def clean_name(self) -> str:
        return str(
            _checked(
                values.parse_name,
                self.cleaned_data["name"],
                maximum=128,
                required_message=_("The course name is required."),
            )
        )

    def clean_credits(self) -> Decimal:
        return _checked(
            values.parse_credits,
            self.cleaned_data["credits"],
            code=Code.COURSE_CREDITS_FORMAT,
            maximum=values.MAX_COURSE_CREDITS,
            required_message=_("The course credits are required."),
        )


class CourseCodesField(forms.MultipleChoiceField):
    """Courses as checkboxes. A code that is not (or no longer) a course of the programme is
    passed on: ``services.resolve_rule`` names it (``rule_target_unknown``, ``…_other_programme``)."""

    def valid_value(self, value: Any) -> bool:
        return True


class RuleForm(BootstrapFormMixin, forms.Form):
    """A conversion rule: its sources (catalog item codes, all of them or any n), conditions,
    target courses, mode and dates. ``services.resolve_rule`` checks every field."""

    number = forms.CharField(label=_("Rule number"), max_length=32)
    sources = forms.CharField(
        label=_("Source catalog items"),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        max_length=2000,
        required=False,
        help_text=_("Catalog item codes, one a line (or separated by commas)."),
    )
    source_kind = forms.ChoiceField(
        label=_("Sources needed"), choices=SourceKind.choices, initial=SourceKind.ALL_OF, widget=forms.RadioSelect
    )
    source_count = forms.CharField(
        label=_("How many of the sources"),
        max_length=4,
        required=False,
        help_text=_("Only for “n of m”: at least 1, at most the number of sources."),
    )
    min_score = forms.CharField(
        label=_("Minimum score or grade"), max_length=16, required=False, help_text=_("e.g. 60, 良好, B or 二等奖.")
    )
    min_level = forms.CharField(label=_("Minimum framework level"), max_length=4, required=False)
    within_years = forms.CharField(label=_("Achieved within (years)"), max_length=4, required=False)
    targets = CourseCodesField(label=_("Courses recognised"), required=False, widget=forms.CheckboxSelectMultiple)
    mode = forms.ChoiceField(label=_("Mode"), choices=RuleMode.choices)
    effective_from = forms.CharField(
        label=_("Effective from"), required=False, max_length=16, widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_to = forms.CharField(
        label=_("Effective until"), required=False, max_length=16, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, courses: list[Course], rule: ConversionRule | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.fields["targets"].choices = [  # type: ignore[attr-defined]
            (course.code, f"{course.code} {course.name}（{course.credits}）") for course in courses
        ]
        if rule is not None:
            self.fields["number"].disabled = True

    @classmethod
    def initial_for(cls, rule: ConversionRule) -> dict[str, Any]:
        return {
            "number": rule.number,
            "sources": "\n".join(source.item_code for source in rule.sources.all()),
            "source_kind": SourceKind.N_OF_M if rule.source_count else SourceKind.ALL_OF,
            "source_count": rule.source_count or "",
            "min_score": rule.min_score,
            "min_level": rule.min_framework_level or "",
            "within_years": rule.within_years or "",
            "targets": [target.course.code for target in rule.targets.all()],
            "mode": rule.mode,
            "effective_from": rule.effective_from.isoformat() if rule.effective_from else "",
            "effective_to": rule.effective_to.isoformat() if rule.effective_to else "",
            "note": rule.note,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source_kind") == SourceKind.N_OF_M and not str(data.get("source_count") or "").strip():
            self.add_error(
                "source_count",
                forms.ValidationError(_("Say how many of the sources are needed."), code=Code.SOURCE_COUNT),
            )
        return data

    def rule_data(self, programme: Programme) -> services.RuleData:
        data = self.cleaned_data
        sources = [code for code in _SEPARATORS.split(data["sources"]) if code]
        n_of_m = data["source_kind"] == SourceKind.N_OF_M
        return services.RuleData(
            programme_code=programme.code,
            number=self.rule.number if self.rule is not None else data["number"],
            sources="+".join(sources),
            targets="+".join(data["targets"]),
            mode=data["mode"],
            min_score=data["min_score"],
            within_years=data["within_years"],
            source_count=data["source_count"] if n_of_m else "",
            min_level=data["min_level"],
            effective_from=data["effective_from"],
            effective_to=data["effective_to"],
            note=data["note"],
        )
