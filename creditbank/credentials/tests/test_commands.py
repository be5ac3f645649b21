"""``creditbank credential verify FILE [--json]``: exit 0 valid, 1 invalid, 2 bad usage."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from creditbank.credentials import services
from creditbank.credentials.tests import helpers
from creditbank.credentials.tests.factories import make_certified_outcome

pytestmark = pytest.mark.django_db


def _run(*args):
    out = StringIO()
    try:
        call_command("credential", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def test_a_valid_credential_exits_0_with_the_verdict_as_json(tmp_path, learner_a):
    # given
    path = tmp_path / "credential.json"
    path.write_text(services.issue_outcome_credential(make_certified_outcome(learner=learner_a)).document)
    # when
    code, output = _run("verify", str(path), "--json")
    # then
    assert code == 0
    verdict = json.loads(output.strip().splitlines()[-1])
    assert (verdict["valid"], verdict["code"], verdict["kind"]) == (True, "valid", "outcome")


def test_an_invalid_credential_exits_1_and_says_why(tmp_path):
    # given
    issuer = helpers.did_key_issuer()
    document = issuer.sign(issuer.credential())
    document["name"] = "changed"
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document))
    # when
    code, output = _run("verify", str(path), "--json")
    text_code, text_output = _run("verify", str(path))
    # then
    assert code == text_code == 1
    assert json.loads(output.strip().splitlines()[-1])["code"] == "signature_invalid"
    assert text_output.startswith("✘")


def test_a_file_that_is_not_json_is_invalid_not_bad_usage(tmp_path):
    path = tmp_path / "credential.json"
    path.write_bytes(b"\x00\x01 not json")
    code, output = _run("verify", str(path), "--json")
    assert code == 1
    assert json.loads(output.strip().splitlines()[-1])["code"] == "malformed_json"


def test_a_missing_file_is_bad_usage(tmp_path):
    code, _output = _run("verify", str(tmp_path / "missing.json"))
    assert code == 2


def test_the_console_script_exits_2_without_a_file():
    # when: bad usage on the command line (argparse)
    result = subprocess.run(
        [sys.executable, "-m", "creditbank", "credential", "verify"], capture_output=True, text=True, check=False
    )
    # then
    assert result.returncode == 2
    assert "file" in result.stderr
