"""Console pages of degree-upgrade programmes and their conversion rules:
``/console/conversion/`` and ``/console/conversion/<code>/``, and the forms that edit them.

Staff with ``conversion.manage`` see the programmes of their subtree (the management centre
sees all); another centre's programme is a 404, a role without the action a 403. The edit
controls show only where ``services.may_manage`` allows them. Programmes and rules are written by
the imports (``creditbank import-programmes``, ``import-rules``) and, here, by the forms; every
write goes through ``conversion.services``, which checks the role again and writes the audit row.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditbank.console.decorators import console_user, require_action, staff_view
from creditbank.console.pagination import paginate, query_without_page
from creditbank.conversion import selectors, services
from creditbank.conversion.choices import RuleStatus
from creditbank.conversion.console_forms import CourseForm, GroupForm, ProgrammeForm, RuleForm
from creditbank.conversion.errors import ConversionErrorCode as Code
from creditbank.conversion.models import ConversionRule, Programme
from creditbank.core.errors import ApplicationError, ValidationFailed
from creditbank.core.forms import add_application_error, error_text

VIEW_ACTION = "conversion.manage"
# Service fields → form fields (rule conflicts, field "rule", become errors of the whole form).
RULE_FIELDS = {"programme_code": "", "rule": ""}
PROGRAMME_FIELDS = {"programme_code": "code", "org_code": "org"}


@staff_view
def programme_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    query = request.GET.get("q", "")[:64]
    context = {
        "query": query,
        "page_obj": paginate(request, selectors.list_console_programmes(user, query=query)),
        "filter_query": query_without_page(request),
        "can_create": bool(selectors.programme_owner_choices(user)),
    }
    return render(request, "conversion/console/programme_list.html", context)


@staff_view
def programme_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    programme = selectors.access_console_programme(user, code)
    context = {
        "programme": programme,
        "groups": selectors.programme_groups(programme),
        "rules": selectors.console_rules(programme),
        "can_manage": services.may_manage(user, programme.org_path),
    }
    return render(request, "conversion/console/programme_detail.html", context)


def _managed_programme(request: HttpRequest, code: str) -> Programme:
    """The programme of an editing page: 403 for a role without ``conversion.manage``, 404
    out of scope (as missing), 403 when the user sees it but may not edit it."""
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    programme = selectors.access_console_programme(user, code)
    services.require_manage(user, programme.org_path)
    return programme


def _to_detail(programme: Programme, anchor: str = "") -> HttpResponse:
    response = redirect("conversion:programme-detail", code=programme.code)
    if anchor:
        response["Location"] += "#" + anchor
    return response


# --- programmes, groups, courses --------------------------------------------------------------------


@staff_view
def programme_create(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, VIEW_ACTION)
    owners = selectors.programme_owner_choices(user)
    form = ProgrammeForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        try:
            programme, _state = services.save_programme(form.programme_values(), actor=user, new=True)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_application_error(form, exc, field_map=PROGRAMME_FIELDS)
        else:
            messages.success(request, _("Programme {code} saved.").format(code=programme.code))
            return _to_detail(programme)
    context = {"form": form, "programme": None, "owners": owners}
    return render(request, "conversion/console/programme_form.html", context)


@staff_view
def programme_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = console_user(request)
    programme = _managed_programme(request, code)
    form = ProgrammeForm(request.POST or None, programme=programme, initial=ProgrammeForm.initial_for(programme))
    if request.method == "POST" and form.is_valid():
        try:
            _programme, state = services.save_programme(form.programme_values(), actor=user)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_application_error(form, exc, field_map=PROGRAMME_FIELDS)
        else:
            messages.success(request, _("Programme saved.") if state != "unchanged" else _("Nothing changed."))
            return _to_detail(programme)
    context = {"form": form, "programme": programme}
    return render(request, "conversion/console/programme_form.html", context)


def _save_group(request: HttpRequest, code: str, pk: int | None) -> HttpResponse:
    user = console_user(request)
    programme = _managed_programme(request, code)
    group = selectors.console_group(programme, pk) if pk is not None else None
    initial = GroupForm.initial_for(group) if group is not None else None
    form = GroupForm(request.POST or None, group=group, initial=initial)
    if request.method == "POST" and form.is_valid():
        name = group.name if group is not None else form.cleaned_data["name"]
        try:
            services.save_group(
                programme, name=name, min_credits=form.cleaned_data["min_credits"], actor=user, new=group is None
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_application_error(form, exc)
        else:
            messages.success(request, _("Group {name} saved.").format(name=name))
            return _to_detail(programme, "courses")
    context = {"form": form, "programme": programme, "group": group}
    return render(request, "conversion/console/group_form.html", context)


@staff_view
def group_create(request: HttpRequest, code: str) -> HttpResponse:
    return _save_group(request, code, None)


@staff_view
def group_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    return _save_group(request, code, pk)


def _save_course(request: HttpRequest, code: str, course_code: str | None) -> HttpResponse:
    user = console_user(request)
    programme = _managed_programme(request, code)
    course = selectors.console_course(programme, course_code) if course_code is not None else None
    initial = CourseForm.initial_for(course) if course is not None else None
    form = CourseForm(request.POST or None, programme=programme, course=course, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved_code = course.code if course is not None else data["code"]
        try:
            services.save_course(
                programme,
                code=saved_code,
                name=data["name"],
                credits=data["credits"],
                group=data["group"],
                actor=user,
                new=course is None,
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_application_error(form, exc)
        else:
            messages.success(request, _("Course {code} saved.").format(code=saved_code))
            return _to_detail(programme, "courses")
    context = {"form": form, "programme": programme, "course": course}
    return render(request, "conversion/console/course_form.html", context)


@staff_view
def course_create(request: HttpRequest, code: str) -> HttpResponse:
    return _save_course(request, code, None)


@staff_view
def course_edit(request: HttpRequest, code: str, course: str) -> HttpResponse:
    return _save_course(request, code, course)


# --- rules ------------------------------------------------------------------------------------------


def _rule_form_page(
    request: HttpRequest, programme: Programme, form: RuleForm, rule: ConversionRule | None, **extra: Any
) -> HttpResponse:
    context = {"form": form, "programme": programme, "rule": rule, **extra}
    return render(request, "conversion/console/rule_form.html", context)


def _save_rule(request: HttpRequest, code: str, number: str | None) -> HttpResponse:
    """Create or edit a rule. The "check" button resolves the form and lists what publishing
    would refuse (``services.check_rule``) without saving anything."""
    user = console_user(request)
    programme = _managed_programme(request, code)
    rule = selectors.console_rule(programme, number) if number is not None else None
    if rule is not None and rule.status == RuleStatus.RETIRED:
        messages.error(request, _("This rule is retired."))
        return _to_detail(programme, "rules")
    courses = selectors.programme_courses(programme)
    initial = RuleForm.initial_for(rule) if rule is not None else None
    form = RuleForm(request.POST or None, courses=courses, rule=rule, initial=initial)
    if request.method != "POST" or not form.is_valid():
        return _rule_form_page(request, programme, form, rule)
    data = form.rule_data(programme)
    if "check" in request.POST:
        try:
            problems = services.check_rule(data, rule=rule)
        except ValidationFailed as exc:
            add_application_error(form, exc, field_map=RULE_FIELDS)
            return _rule_form_page(request, programme, form, rule, checked=True, problems=exc.details)
        return _rule_form_page(request, programme, form, rule, checked=True, problems=problems)
    try:
        if rule is None:
            saved = services.create_rule(data, actor=user, publish="publish" in request.POST)
        else:
            saved = services.update_rule(rule, data, actor=user)
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        add_application_error(form, exc, field_map=RULE_FIELDS)
        refused = exc.code == Code.NOT_PUBLISHABLE
        return _rule_form_page(request, programme, form, rule, checked=refused, problems=exc.details)
    if rule is not None and saved.pk != rule.pk:
        messages.success(
            request, _("Rule {number} saved as version {version}.").format(number=saved.number, version=saved.version)
        )
    elif saved.status == RuleStatus.PUBLISHED and rule is None:
        messages.success(request, _("Rule {number} published.").format(number=saved.number))
    else:
        messages.success(request, _("Rule {number} saved.").format(number=saved.number))
    return _to_detail(programme, "rules")


@staff_view
def rule_create(request: HttpRequest, code: str) -> HttpResponse:
    return _save_rule(request, code, None)


@staff_view
def rule_edit(request: HttpRequest, code: str, number: str) -> HttpResponse:
    return _save_rule(request, code, number)


@staff_view
def rule_check(request: HttpRequest, code: str, number: str) -> HttpResponse:
    """What publishing the stored rule would refuse now; nothing is saved."""
    programme = _managed_programme(request, code)
    rule = selectors.console_rule(programme, number)
    problems = services.stored_rule_problems(rule) if rule.status != RuleStatus.RETIRED else []
    context = {"programme": programme, "rule": rule, "problems": problems}
    return render(request, "conversion/console/rule_check.html", context)


def _rule_change(request: HttpRequest, code: str, number: str, change: Any, done: str, failed_to: str) -> HttpResponse:
    user = console_user(request)
    programme = _managed_programme(request, code)
    rule = selectors.console_rule(programme, number)
    try:
        change(rule, actor=user)
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message + ("：" + error_text(exc) if exc.details else ""))
        if failed_to == "check":
            return redirect("conversion:rule-check", code=programme.code, number=rule.number)
        return _to_detail(programme, "rules")
    messages.success(request, done.format(number=rule.number))
    return _to_detail(programme, "rules")


@staff_view
@require_POST
def rule_publish(request: HttpRequest, code: str, number: str) -> HttpResponse:
    return _rule_change(request, code, number, services.publish_rule, _("Rule {number} published."), "check")


@staff_view
@require_POST
def rule_retire(request: HttpRequest, code: str, number: str) -> HttpResponse:
    return _rule_change(
        request,
        code,
        number,
        services.retire_rule,
        _("Rule {number} retired: no new conversion applies it."),
        "detail",
    )
