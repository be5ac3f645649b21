"""Console pages of the service network and its staff (``/console/orgs/``, ``/console/staff/``).

Each view fetches through ``access_org`` or ``.visible_to(user, action)``, calls a service in
``orgs.services`` for writes (the services check roles and write the audit rows), and renders.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from creditbank.accounts.choices import LearnerStatus, UserKind
from creditbank.accounts.models import Learner, User
from creditbank.console.decorators import console_user, is_htmx, require_action, staff_view
from creditbank.console.pagination import paginate, query_without_page
from creditbank.core.errors import ApplicationError
from creditbank.core.forms import add_application_error, error_text
from creditbank.orgs import permissions, selectors, services
from creditbank.orgs.access import access_org
from creditbank.orgs.choices import CHILD_KINDS
from creditbank.orgs.forms import (
    MembershipForm,
    OrgCreateForm,
    OrgEditForm,
    OrgFilterForm,
    StaffCreateForm,
    StaffFilterForm,
)
from creditbank.orgs.models import Membership, OrgUnit, Role
from creditbank.reviews.models import Application

# --- the tree --------------------------------------------------------------------------------


@staff_view
def org_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, "orgs.view")
    form = OrgFilterForm(request.GET or None)
    filters: dict[str, str] = {"kind": "", "query": ""}
    status = ""
    if form.is_valid():
        filters = {"kind": form.cleaned_data["kind"], "query": form.cleaned_data["q"].strip()}
        status = form.cleaned_data["status"]
    queryset = selectors.list_orgs(user, **filters).order_by("path")
    if status:
        queryset = queryset.filter(status=status)
    page = paginate(request, queryset)
    context = {
        "form": form,
        "page_obj": page,
        "filter_query": query_without_page(request),
        "manage_paths": permissions.scope_paths(user, "orgs.manage"),
    }
    template = "orgs/partials/_org_rows.html" if is_htmx(request) else "orgs/org_list.html"
    return render(request, template, context)


def _can_edit(user: Any, org: OrgUnit) -> bool:
    """The rule ``services.update_org`` enforces: manage the node and, unless it is the root, its parent."""
    if not permissions.can(user, "orgs.manage", org.path):
        return False
    return org.parent is None or permissions.can(user, "orgs.manage", org.parent.path)


@staff_view
def org_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = console_user(request)
    org = access_org(user, code)
    children = org.children.select_related("region").order_by("code")
    context: dict[str, Any] = {
        "org": org,
        "children_page": paginate(request, children),
        "can_edit": _can_edit(user, org),
        "can_add_child": bool(CHILD_KINDS.get(org.kind)) and permissions.can(user, "orgs.manage", org.path),
        "can_manage_staff": permissions.can(user, "staff.manage", org.path),
        "can_manage_tokens": permissions.can(user, "orgs.manage", org.path),
        "can_view_learners": permissions.can(user, "accounts.view", org.path),
        "can_view_reviews": permissions.can(user, "reviews.view", org.path),
        "subtree_size": OrgUnit.objects.visible_to(user, "orgs.view").subtree_of(org).count() - 1,
    }
    if context["can_manage_staff"]:
        context["memberships"] = (
            org.memberships.select_related("user").prefetch_related("roles").order_by("user__username")
        )
    if context["can_view_learners"]:
        by_status = dict(
            Learner.objects.visible_to(user, "accounts.view")
            .filter(org_path__startswith=org.path)
            .order_by()
            .values_list("status")
            .annotate(count=Count("id"))
        )
        context["learner_counts"] = [(label, by_status.get(value, 0)) for value, label in LearnerStatus.choices]
        context["learners_total"] = sum(by_status.values())
    if context["can_view_reviews"]:
        context["open_applications"] = (
            Application.objects.visible_to(user, "reviews.view").open().filter(org_path__startswith=org.path).count()
        )
    return render(request, "orgs/org_detail.html", context)


def _parent_for_create(request: HttpRequest, user: User) -> OrgUnit:
    """``?parent=CODE``, or the user's own top-most node where they may manage orgs."""
    code = (request.POST.get("parent") or request.GET.get("parent") or "").strip()
    if code:
        return access_org(user, code, action="orgs.manage")
    managed = OrgUnit.objects.visible_to(user, "orgs.manage").order_by("depth", "path").first()
    if managed is None:
        require_action(user, "orgs.manage")  # raises 403
        raise Http404
    return managed


@staff_view
def org_create(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    parent = _parent_for_create(request, user)
    if not CHILD_KINDS.get(parent.kind):
        messages.error(request, _("An acceptance point cannot have sub-organisations."))
        return redirect("orgs:org-detail", code=parent.code)
    form = OrgCreateForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.create_org(
                actor=user, parent=parent, kind=form.cleaned_data["kind"], **form.service_values()
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_application_error(form, exc)
            form.mark_invalid()
        else:
            messages.success(request, _("Organisation {name} was created.").format(name=org.name))
            return redirect("orgs:org-detail", code=org.code)
    return render(request, "orgs/org_form.html", {"form": form, "parent": parent, "is_create": True})


@staff_view
def org_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = console_user(request)
    org = access_org(user, code, action="orgs.manage")
    if not _can_edit(user, org):
        raise PermissionDenied
    form = OrgEditForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.update_org(org, actor=user, **form.service_values())
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_application_error(form, exc)
            form.mark_invalid()
        else:
            messages.success(request, _("Organisation {name} was saved.").format(name=org.name))
            return redirect("orgs:org-detail", code=org.code)
    return render(request, "orgs/org_form.html", {"form": form, "org": org, "parent": org.parent, "is_create": False})


# --- staff -----------------------------------------------------------------------------------


def _staff_orgs(user: User) -> Any:
    """Orgs where ``user`` manages staff: the memberships they may see and change."""
    return OrgUnit.objects.visible_to(user, "staff.manage").active()


def _memberships_prefetch(orgs: Any) -> Prefetch:  # type: ignore[type-arg]
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(org__in=orgs)
        .select_related("org")
        .prefetch_related("roles")
        .order_by("org__path"),
        to_attr="scoped_memberships",
    )


@staff_view
def staff_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, "staff.manage")
    orgs = _staff_orgs(user)
    form = StaffFilterForm(request.GET or None)
    membership_filter = Q(org__in=orgs)
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        if form.cleaned_data["org"]:
            membership_filter &= Q(org__code__iexact=form.cleaned_data["org"].strip())
        if form.cleaned_data["role"] is not None:
            membership_filter &= Q(roles=form.cleaned_data["role"])
    staff = User.objects.filter(
        kind=UserKind.STAFF, pk__in=Membership.objects.filter(membership_filter).values("user_id")
    )
    if query:
        staff = staff.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    staff = staff.order_by("username").prefetch_related(_memberships_prefetch(orgs))
    context = {"form": form, "page_obj": paginate(request, staff), "filter_query": query_without_page(request)}
    return render(request, "orgs/staff_list.html", context)


@staff_view
def staff_create(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, "staff.manage")
    orgs = _staff_orgs(user).order_by("path")
    initial = {}
    if request.GET.get("org"):
        initial["org"] = request.GET["org"]
    form = StaffCreateForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff = services.create_staff_user(
                actor=user,
                org=data["org"],
                username=data["username"],
                password=data["password1"],
                display_name=data["display_name"],
                roles=[role.code for role in data["roles"]],
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_application_error(form, exc)
            form.mark_invalid()
        else:
            messages.success(request, _("Staff account {username} was created.").format(username=staff.username))
            return redirect("orgs:staff-memberships", username=staff.username)
    return render(request, "orgs/staff_form.html", {"form": form})


@staff_view
def staff_memberships(request: HttpRequest, username: str) -> HttpResponse:
    user = console_user(request)
    require_action(user, "staff.manage")
    orgs = _staff_orgs(user)
    staff = (
        User.objects.filter(kind=UserKind.STAFF, username=username, memberships__org__in=orgs)
        .prefetch_related(_memberships_prefetch(orgs))
        .distinct()
        .first()
    )
    if staff is None:
        raise Http404
    form = MembershipForm(request.POST or None, orgs=orgs.order_by("path"))
    if request.method == "POST" and form.is_valid():
        roles = [role.code for role in form.cleaned_data["roles"]]
        try:
            services.set_membership(actor=user, user=staff, org=form.cleaned_data["org"], roles=roles)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            add_application_error(form, exc)
            form.mark_invalid()
        else:
            messages.success(request, _("The roles of {username} were saved.").format(username=staff.username))
            if not Membership.objects.filter(user=staff, org__in=orgs).exists():
                return redirect("orgs:staff-list")  # their last membership in scope was removed
            return redirect(reverse("orgs:staff-memberships", kwargs={"username": staff.username}))
    roles = list(Role.objects.order_by("code"))
    rows = [
        {"membership": membership, "role_codes": {role.code for role in membership.roles.all()}}
        for membership in staff.scoped_memberships  # type: ignore[attr-defined]
    ]
    return render(request, "orgs/staff_memberships.html", {"staff": staff, "rows": rows, "roles": roles, "form": form})


@staff_view
def role_list(request: HttpRequest) -> HttpResponse:
    user = console_user(request)
    require_action(user, "staff.manage")
    roles = [
        {"role": role, "actions": [(action, permissions.ACTIONS.get(action, action)) for action in role.actions]}
        for role in selectors.list_roles().order_by("code")
    ]
    return render(request, "orgs/role_list.html", {"roles": roles, "all_actions": list(permissions.ACTIONS.items())})


# --- institution API tokens ------------------------------------------------------------------


_TOKEN_SESSION_KEY = "institution_token_secret"  # noqa: S105 - a session key name, not a secret


@staff_view
def org_tokens(request: HttpRequest, code: str) -> HttpResponse:
    """The organisation's tokens for pushing outcomes: issue one (its secret shown once), revoke."""
    from creditbank.orgs import tokens
    from creditbank.orgs.models import InstitutionToken

    user = console_user(request)
    require_action(user, tokens.MANAGE_ACTION)
    org = access_org(user, code, action=tokens.MANAGE_ACTION)
    error = ""
    if request.method == "POST":
        try:
            _token, new_secret = tokens.issue_institution_token(org, name=request.POST.get("name", ""), actor=user)
        except ApplicationError as exc:
            error = error_text(exc)
        else:
            # Post/redirect/get: a reload must not issue a second token. The secret rides in the
            # session to the next page only, and is gone once shown.
            request.session[_TOKEN_SESSION_KEY] = new_secret
            return redirect("orgs:org-tokens", code=org.code)
    secret = request.session.pop(_TOKEN_SESSION_KEY, "")
    context = {
        "org": org,
        "tokens": InstitutionToken.objects.visible_to(user).filter(org=org).select_related("created_by"),
        "secret": secret,
        "error": error,
    }
    response = render(request, "orgs/org_tokens.html", context)
    response["Cache-Control"] = "no-store"
    return response


@staff_view
def org_token_revoke(request: HttpRequest, code: str, token_id: int) -> HttpResponse:
    from creditbank.orgs import tokens
    from creditbank.orgs.models import InstitutionToken

    if request.method != "POST":
        return HttpResponse(status=405)
    user = console_user(request)
    require_action(user, tokens.MANAGE_ACTION)
    org = access_org(user, code, action=tokens.MANAGE_ACTION)
    token = InstitutionToken.objects.visible_to(user).filter(org=org, pk=token_id).first()
    if token is None:
        raise Http404
    tokens.revoke_institution_token(token, actor=user)
    messages.success(request, _("The token is revoked; calls with it are refused from now on."))
    return redirect("orgs:org-tokens", code=org.code)
