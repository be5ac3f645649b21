"""Two "add" forms of the console sent at the same moment (issue 7, console editing): one adds,
the other is told the name is taken — never a 500. On PostgreSQL, with two real connections."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from creditbank.conversion import services
from creditbank.conversion.models import Course, Programme, RequirementGroup
from creditbank.conversion.tests.factories import make_programme
from creditbank.core.errors import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real database connections")


def _race(step, times=2):
    barrier = threading.Barrier(times)
    results: list[object] = [None] * times

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = step()
        except Exception as exc:  # a refusal is the expected outcome of all but one
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _one_won(results, code):
    refusals = [result for result in results if isinstance(result, ApplicationError)]
    assert len(refusals) == 1, results
    assert refusals[0].code == code
    assert len([result for result in results if isinstance(result, tuple) and result[1] == "created"]) == 1


@needs_postgres
def test_two_new_courses_with_one_code_at_once(tree):
    programme = make_programme(tree.b, code="P-RACE", courses={"C1": (3, "专业必修")})
    group = RequirementGroup.objects.get(programme=programme)
    results = _race(
        lambda: services.save_course(
            Programme.objects.get(pk=programme.pk), code="C9", name="新课", credits=Decimal(2), group=group,
            actor=None, new=True,
        )
    )  # fmt: skip
    _one_won(results, "course_exists")
    assert Course.objects.filter(programme=programme, code="C9").count() == 1


@needs_postgres
def test_two_new_groups_with_one_name_at_once(tree):
    programme = make_programme(tree.b, code="P-RACE", courses={"C1": (3, "专业必修")})
    results = _race(
        lambda: services.save_group(
            Programme.objects.get(pk=programme.pk), name="专业选修", min_credits=Decimal(4), actor=None, new=True
        )
    )
    _one_won(results, "group_exists")


@needs_postgres
def test_two_new_programmes_with_one_code_at_once(tree):
    values = services.ProgrammeValues(
        code="P-NEW", name="新专业", level="bachelor", org=tree.b, total_credits=Decimal(80),
        conversion_cap=Decimal("0.3"),
    )  # fmt: skip
    results = _race(lambda: services.save_programme(values, actor=None, new=True))
    _one_won(results, "programme_exists")
    assert Programme.objects.filter(code="P-NEW").count() == 1
