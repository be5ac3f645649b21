"""Forms of the identity pages. The services validate everything, and
``creditbank.core.forms.add_application_error`` turns what they say into field errors; the forms
run the same field validators early only so that a person sees every mistake at once."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from creditbank.accounts.choices import CodePurpose, IdType
from creditbank.core import validators
from creditbank.core.errors import ValidationFailed
from creditbank.orgs import selectors as org_selectors
from creditbank.orgs.models import OrgUnit

# Service field names → the form field that shows the error.
PASSWORD_FIELD_MAP = {"password": "password1"}


def _text(
    label: Any,
    *,
    autocomplete: str = "off",
    inputmode: str = "",
    max_length: int = 64,
    help_text: Any = "",
    required: bool = True,
) -> forms.CharField:
    attrs = {"autocomplete": autocomplete, "class": "form-control form-control-lg"}
    if inputmode:
        attrs["inputmode"] = inputmode
    return forms.CharField(
        label=label, max_length=max_length, help_text=help_text, required=required, widget=forms.TextInput(attrs=attrs)
    )


def _password(label: Any, *, autocomplete: str = "new-password", help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=128,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete, "class": "form-control form-control-lg"}),
    )


def _select(choices: Any, *, label: Any, required: bool = True, help_text: Any = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=required,
        help_text=help_text,
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )


_NEW_PASSWORD_HELP = _("At least 8 characters, not only digits. Use something others cannot guess.")


class _NewPasswordMixin(forms.Form):
    """Two password boxes that must agree; the strength rules live in the service."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error(
                "password2", forms.ValidationError(_("The two passwords are not the same."), code="password_mismatch")
            )
        return cleaned


def _check(validator: Callable[..., Any], *args: Any) -> None:
    """Run a ``core.validators`` function; its ``ValidationFailed`` becomes a form field error."""
    try:
        validator(*args)
    except ValidationFailed as exc:
        raise forms.ValidationError(
            [forms.ValidationError(detail["message"], code=detail["code"]) for detail in exc.details]
        ) from None


class _IdentityChecks(forms.Form):
    """Name, ID number and phone checked with the validators the services use (GB 11643, CN mobile)."""

    def clean_name(self) -> str:
        value: str = self.cleaned_data["name"]
        _check(validators.validate_real_name, value)
        return value

    def clean_id_number(self) -> str:
        value: str = self.cleaned_data["id_number"]
        _check(validators.validate_id_document, self.cleaned_data.get("id_type") or IdType.RESIDENT_ID, value)
        return value

    def clean_phone(self) -> str:
        value: str = self.cleaned_data["phone"]
        _check(validators.validate_cn_mobile, value)
        return value


def _phone_field() -> forms.CharField:
    return _text(_("Mobile phone number"), autocomplete="tel", inputmode="tel", max_length=20)


def _code_field() -> forms.CharField:
    return _text(
        _("Verification code"),
        autocomplete="one-time-code",
        inputmode="numeric",
        max_length=8,
        help_text=_("Press “Send code”; we send a 6-digit code to your phone by text message."),
    )


class LoginForm(forms.Form):
    identifier = _text(
        _("Account number, ID number or mobile number"),
        autocomplete="username",
        max_length=64,
        help_text=_("Staff: use your staff username."),
    )
    password = _password(_("Password"), autocomplete="current-password")


def region_choices() -> list[tuple[Any, Any]]:
    """Anhui's cities and their counties as option groups (GB/T 2260 codes)."""
    groups: OrderedDict[str, tuple[str, list[tuple[str, str]]]] = OrderedDict()
    regions = list(org_selectors.list_regions().exclude(level="province").order_by("code"))
    for region in regions:
        if region.level == "city":
            groups[region.code] = (
                region.name,
                [(region.code, gettext("{city} (whole city)").format(city=region.name))],
            )
    for region in regions:
        if region.level != "city":
            city = groups.get(region.code[:4] + "00")
            if city is not None:
                city[1].append((region.code, region.name))
    return [("", gettext("Not chosen")), *[(name, options) for name, options in groups.values()]]


def org_choices() -> list[tuple[Any, Any]]:
    """Organisations that accept opening applications, grouped by city so that people find theirs."""
    cities = {region.code: region.name for region in org_selectors.list_regions().filter(level="city")}
    province = gettext("Province-wide")
    groups: dict[str, list[tuple[str, str]]] = {}
    for org in org_selectors.list_accepting_orgs().order_by("region_id", "path"):
        city_code = org.region_id[:4] + "00"
        group = cities.get(city_code, province)
        groups.setdefault(group, []).append((str(org.pk), f"{org.name} · {org.get_kind_display()}"))
    ordered = sorted(groups.items(), key=lambda item: (item[0] != province, item[0]))
    return [("", gettext("Please choose")), *ordered]


class RegisterForm(_IdentityChecks, _NewPasswordMixin):
    name = _text(_("Real name"), autocomplete="name", help_text=_("As written on your ID card."))
    id_type = _select(IdType.choices, label=_("ID type"))
    id_number = _text(_("ID number"), max_length=32)
    phone = _phone_field()
    phone_code = _code_field()
    region = _select([], label=_("Where you live"), required=False)
    org = _select(
        [],
        label=_("Service organisation"),
        help_text=_("The centre or service point that will check your application. Choose one near you."),
    )
    password1 = _password(_("Password"), help_text=_NEW_PASSWORD_HELP)
    password2 = _password(_("Password again"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["id_type"].initial = IdType.RESIDENT_ID
        self.fields["region"].choices = region_choices()  # type: ignore[attr-defined]
        self.fields["org"].choices = org_choices()  # type: ignore[attr-defined]

    def clean_org(self) -> OrgUnit:
        value = self.cleaned_data["org"]
        org = org_selectors.list_accepting_orgs().filter(pk=value).first() if str(value).isdigit() else None
        if org is None:
            raise forms.ValidationError(_("This organisation is not accepting applications."), code="org_not_accepting")
        return org


class ActivateForm(_IdentityChecks, _NewPasswordMixin):
    name = _text(_("Real name"), autocomplete="name", help_text=_("As written on your ID card."))
    id_type = _select(IdType.choices, label=_("ID type"), required=False)  # empty means resident ID card
    id_number = _text(_("ID number"), max_length=32)
    phone = _phone_field()
    phone_code = _code_field()
    password1 = _password(_("New password"), help_text=_NEW_PASSWORD_HELP)
    password2 = _password(_("New password again"))


class PasswordResetForm(_IdentityChecks, _NewPasswordMixin):
    phone = _text(
        _("Mobile phone number"),
        autocomplete="tel",
        inputmode="tel",
        max_length=20,
        help_text=_("The number on your account."),
    )
    phone_code = _code_field()
    password1 = _password(_("New password"), help_text=_NEW_PASSWORD_HELP)
    password2 = _password(_("New password again"))


class PasswordChangeForm(_NewPasswordMixin):
    old_password = _password(_("Current password"), autocomplete="current-password")
    password1 = _password(_("New password"), help_text=_NEW_PASSWORD_HELP)
    password2 = _password(_("New password again"))


class SendCodeForm(forms.Form):
    phone = forms.CharField(max_length=20)
    purpose = forms.ChoiceField(choices=CodePurpose.choices)


class LargeTextForm(forms.Form):
    enabled = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")
