"""Lint by test (STYLE.md §3.4, §3.9, §3.12): rules that ruff and mypy cannot express."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from creditbank.core.pii import EncryptedTextField
from creditbank.core.querysets import ScopedQuerySet

PACKAGE = Path(__file__).resolve().parent.parent / "creditbank"
INTERFACE_FILES = [
    path
    for pattern in ("*/views.py", "*/api.py", "*/console_views.py", "*/views/*.py", "*/api/*.py")
    for path in PACKAGE.glob(pattern)
]


def _project_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if model.__module__.startswith("creditbank.")]


def _scoped_model_names() -> set[str]:
    names = set()
    for model in _project_models():
        if isinstance(model._default_manager.all(), ScopedQuerySet):
            names.add(model.__name__)
    return names


def test_there_are_scoped_models_and_interface_files_to_check():
    assert {"Learner", "OrgUnit", "Application", "AuditEntry"} <= _scoped_model_names()


@pytest.mark.parametrize("path", INTERFACE_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_views_and_api_reach_scoped_rows_only_through_visible_to(path):
    """``Learner.objects.get(...)`` in a view skips the data scope; use ``access_*`` or ``.visible_to``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    scoped = _scoped_model_names()
    offences = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "objects"
            and isinstance(node.value, ast.Name)
            and node.value.id in scoped
        ):
            parent = parents.get(node)
            if not (isinstance(parent, ast.Attribute) and parent.attr == "visible_to"):
                offences.append(f"{path.name}:{node.lineno} {node.value.id}.objects")
    assert offences == []


def test_migration_names_say_what_they_do():
    auto = re.compile(r"_auto_\d{8}_\d{4}")
    names = [path.name for path in PACKAGE.glob("*/migrations/0*.py")]
    assert names, "no migrations found"
    assert [name for name in names if auto.search(name)] == []


def test_migrations_do_not_import_project_code():
    offenders = []
    for path in PACKAGE.glob("*/migrations/0*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders.extend(
            path.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("creditbank")
        )
    assert offenders == []


def test_every_model_declares_its_personal_data():
    missing = [model.__name__ for model in _project_models() if "pii_fields" not in model.__dict__]
    assert missing == []


def test_every_encrypted_field_is_declared_as_personal_data():
    undeclared = [
        f"{model.__name__}.{field.name}"
        for model in _project_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField) and field.name not in model.pii_fields
    ]
    assert undeclared == []


GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def test_no_f_strings_or_positional_fields_inside_gettext():
    offences = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in GETTEXT_NAMES
                and node.args
            ):
                first = node.args[0]
                if isinstance(first, ast.JoinedStr):
                    offences.append(f"{path.relative_to(PACKAGE)}:{node.lineno} f-string")
                elif (
                    isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                    and re.search(r"\{\d*\}|%s", first.value)
                ):
                    offences.append(f"{path.relative_to(PACKAGE)}:{node.lineno} positional placeholder")
    assert offences == []


def test_no_bare_select_related():
    offences = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if ".select_related()" in line:
                offences.append(f"{path.relative_to(PACKAGE)}:{number}")
    assert offences == []
