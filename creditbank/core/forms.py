"""Glue between services and Django forms: a service's ``ApplicationError`` becomes form errors."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from creditbank.core.errors import ApplicationError


def add_application_error(
    form: forms.Form, exc: ApplicationError, *, field_map: Mapping[str, str] | None = None
) -> None:
    """Put each ``{"field", "code", "message"}`` of ``exc.details`` on the matching form field.

    ``field_map`` renames service fields to form fields (e.g. ``password`` → ``password1``).
    Details for fields the form does not show, and errors without details, become non-field
    errors, so that nothing the service said is lost.
    """
    field_map = field_map or {}
    placed = False
    for detail in exc.details:
        name = field_map.get(str(detail.get("field", "")), str(detail.get("field", "")))
        message = str(detail.get("message") or exc.message)
        if name in form.fields:
            form.add_error(name, forms.ValidationError(message, code=str(detail.get("code") or exc.code)))
        else:
            form.add_error(None, forms.ValidationError(message, code=str(detail.get("code") or exc.code)))
        placed = True
    if not placed:
        form.add_error(None, forms.ValidationError(exc.message, code=exc.code))


def error_text(exc: ApplicationError) -> str:
    """One line for a flash message: every detail's message, or the error's own."""
    return "；".join(str(item.get("message")) for item in exc.details if item.get("message")) or exc.message
