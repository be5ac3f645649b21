"""Shared fixtures (root conftest, so that app tests under creditbank/ see them too): a small org tree with two centres, clients per role, settings for tests.

Tree:  MC (management)
       ├── A  (local centre, 合肥)  ── A-SUB (sub-centre) ── A-PT (point)
       └── B  (university centre, 芜湖)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from creditbank.accounts.sms import LoggingSmsBackend
from creditbank.accounts.tests.factories import make_learner
from creditbank.orgs.models import OrgUnit
from creditbank.orgs.tests.factories import make_org, make_staff

PASSWORD = "Staff@pass123"

# Timing targets live in the benchmarks (bench/), never in tests: no per-example deadline, which
# only flakes when CI's two cores are busy.
hypothesis_settings.register_profile("creditbank", deadline=None)
hypothesis_settings.load_profile("creditbank")


@dataclass
class Tree:
    mc: OrgUnit
    a: OrgUnit
    a_sub: OrgUnit
    a_point: OrgUnit
    b: OrgUnit


@pytest.fixture(autouse=True)
def _clean_outbox() -> Any:
    LoggingSmsBackend.outbox.clear()
    yield
    LoggingSmsBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _pinned_ratelimit_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees one fixed-window instant, so a limit test cannot flake when its requests
    straddle a minute boundary (a slow PDF render did, on CI). A test of windows rolling over
    patches ``ratelimit.now`` itself."""
    from creditbank.core import ratelimit

    instant = ratelimit.time.time()
    monkeypatch.setattr(ratelimit, "now", lambda: instant)


@pytest.fixture
def tree(db: Any) -> Tree:
    mc = make_org(None, kind="management", code="MC", name="管理中心", region="340000", category="")
    a = make_org(mc, kind="centre", code="A", name="合肥中心", region="340100", category="local")
    a_sub = make_org(a, kind="subcentre", code="A-SUB", name="蜀山分中心", region="340104")
    a_point = make_org(a_sub, kind="point", code="A-PT", name="三里庵受理点", region="340104")
    b = make_org(mc, kind="centre", code="B", name="安徽师范大学中心", region="340200", category="university")
    return Tree(mc=mc, a=a, a_sub=a_sub, a_point=a_point, b=b)


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def root_admin(tree: Tree) -> Any:
    return make_staff(tree.mc, "administrator", username="root_admin")


@pytest.fixture
def centre_admin(tree: Tree) -> Any:
    return make_staff(tree.a, "administrator", username="centre_admin")


@pytest.fixture
def centre_reviewer(tree: Tree) -> Any:
    return make_staff(tree.a, "reviewer", username="centre_reviewer")


@pytest.fixture
def centre_operator(tree: Tree) -> Any:
    return make_staff(tree.a, "operator", username="centre_operator")


@pytest.fixture
def point_operator(tree: Tree) -> Any:
    return make_staff(tree.a_point, "operator", username="point_operator")


@pytest.fixture
def point_reviewer(tree: Tree) -> Any:
    """A reviewer at an acceptance point (受理点): accepts, never skips a level or certifies."""
    return make_staff(tree.a_point, "reviewer", username="point_reviewer")


@pytest.fixture
def point_reviewer_client(point_reviewer: Any) -> Client:
    return _client_for(point_reviewer)


@pytest.fixture
def other_admin(tree: Tree) -> Any:
    return make_staff(tree.b, "administrator", username="other_admin")


@pytest.fixture
def root_reviewer(tree: Tree) -> Any:
    return make_staff(tree.mc, "reviewer", username="root_reviewer")


@pytest.fixture
def root_reviewer_client(root_reviewer: Any) -> Client:
    return _client_for(root_reviewer)


@pytest.fixture
def root_auditor(tree: Tree) -> Any:
    return make_staff(tree.mc, "auditor", username="root_auditor")


@pytest.fixture
def learner_a(tree: Tree) -> Any:
    return make_learner(tree.a_point)


@pytest.fixture
def learner_b(tree: Tree) -> Any:
    return make_learner(tree.b)


@pytest.fixture
def anon_client() -> Client:
    return Client()


@pytest.fixture
def learner_client(learner_a: Any) -> Client:
    return _client_for(learner_a.user)


@pytest.fixture
def root_admin_client(root_admin: Any) -> Client:
    return _client_for(root_admin)


@pytest.fixture
def centre_admin_client(centre_admin: Any) -> Client:
    return _client_for(centre_admin)


@pytest.fixture
def centre_reviewer_client(centre_reviewer: Any) -> Client:
    return _client_for(centre_reviewer)


@pytest.fixture
def centre_operator_client(centre_operator: Any) -> Client:
    return _client_for(centre_operator)


@pytest.fixture
def point_operator_client(point_operator: Any) -> Client:
    return _client_for(point_operator)


@pytest.fixture
def other_admin_client(other_admin: Any) -> Client:
    return _client_for(other_admin)


@pytest.fixture
def root_auditor_client(root_auditor: Any) -> Client:
    return _client_for(root_auditor)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Uploaded files (imports, evidence, attachments) go to a temporary media directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
