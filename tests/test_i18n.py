"""zh-hans is the default language and its catalog is complete: a missing translation fails here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "creditbank" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None and os.environ.get("CREDITBANK_REQUIRE_BROWSER") != "1",
    reason="GNU gettext (xgettext, msgmerge) is not installed; CI installs it",
)


def test_default_language_is_simplified_chinese(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


def test_catalog_has_no_untranslated_or_fuzzy_entries():
    catalog = polib.pofile(str(CATALOG))
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


@needs_gettext
def test_every_string_in_the_code_is_in_the_catalog(tmp_path):
    """Extract the strings afresh into a copy of the catalog; nothing new may appear."""
    # given a copy of the catalog that makemessages will update
    target = tmp_path / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(CATALOG, target / "django.po")
    env = {
        **os.environ,
        "CREDITBANK_LOCALE_DIR": str(tmp_path),
        "CREDITBANK_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "creditbank.settings",
    }
    env.pop("DATABASE_URL", None)
    # when
    subprocess.run(
        [
            sys.executable,
            "-m",
            "creditbank",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "-v0",
            "--ignore=.venv/*",
            "--ignore=node_modules/*",
            "--ignore=var/*",
            "--ignore=tests/*",
            "--ignore=bench/*",
            "--ignore=*/tests/*",
            "--ignore=build/*",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    # then
    fresh = polib.pofile(str(target / "django.po"))
    missing = sorted(entry.msgid for entry in fresh.untranslated_entries())
    fuzzy = sorted(entry.msgid for entry in fresh.fuzzy_entries())
    assert missing == [], "run `make messages` and translate these"
    assert fuzzy == []


def test_compiled_catalog_is_used():
    with translation.override("zh-hans"):
        assert translation.gettext("Accept") == "受理"
        assert translation.gettext("Learner") == "学习者"
    with translation.override("en"):
        assert translation.gettext("Accept") == "Accept"
