"""Migration 0009 settles, before its constraints, what a double submit could leave before they existed."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from coaching.models import Enrollment, Goal
from testing import factories as f

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("coaching.migrations.0009_one_goal_of_a_title_and_one_caseload_per_program")
CONSTRAINTS = ["one_caseload_per_program", "one_district_goal_of_a_title", "one_school_goal_of_a_title"]


def test_it_settles_a_second_caseload_and_goals_of_one_wording_losing_no_record(cast):
    with connection.cursor() as cursor:  # as a database before the migration: the test's transaction puts them back
        for name in CONSTRAINTS:
            cursor.execute(f"DROP INDEX {name}")
    twice = f.EnrollmentFactory(program=cast.program, coach=cast.bob, teacher=cast.teacher)
    other_program = f.EnrollmentFactory(coach=cast.bob, teacher=cast.teacher)
    goals = Goal.objects.bulk_create(
        Goal(district=cast.district, school=school, title=title)
        for school, title in [(None, "Raise ITU"), (None, "raise itu"), (None, "Raise ITU (2)"),
                              (cast.school, "Raise ITU"), (cast.school, "Writing"), (cast.school, "Writing")]
    )  # fmt: skip

    MIGRATION.settle(apps, None)

    assert Enrollment.objects.get(pk=cast.enrollment.pk).ends_on is None  # the earliest stays
    assert Enrollment.objects.get(pk=twice.pk).ends_on == timezone.localdate()
    assert Enrollment.objects.get(pk=other_program.pk).ends_on is None
    titles = [Goal.objects.get(pk=goal.pk).title for goal in goals]
    assert titles == ["Raise ITU", "raise itu (3)", "Raise ITU (2)", "Raise ITU", "Writing", "Writing (2)"]
