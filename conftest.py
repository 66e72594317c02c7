"""The fixed cast of every test (STYLE.md): in Riverside, Lincoln school has two coaches (alice
owns the caseload, bob is the other coach), paula is its principal and dana the district admin;
oscar (a coach) and olga (its admin) belong to another district and "should have no access"."""

import os
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings
from hypothesis import settings as hypothesis_settings

from accounts.models import Role
from testing import factories as f

# The shared fixtures that leave the test process (a Celery worker, headless Chromium) and build data.
pytest_plugins = ["testing.fixtures"]


def _a_redis_database_per_test_process() -> None:
    """Under pytest-xdist (`make test` runs two processes), process gwN uses Redis database N after REDIS_URL's, as
    pytest-django gives it a test database of its own: a worker heartbeat one process's test deletes and waits for
    is then never another's. (Celery messages are kept apart already: each worker test has a queue of its own.)"""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not (worker.startswith("gw") and settings.REDIS_URL):
        return
    url = urlsplit(settings.REDIS_URL)
    database = (int(url.path.strip("/") or 0) + int(worker.removeprefix("gw"))) % 16
    redis = url._replace(path=f"/{database}").geturl()
    caches = {"default": {**settings.CACHES["default"], "LOCATION": redis}}
    override_settings(REDIS_URL=redis, CELERY_BROKER_URL=redis, CACHES=caches).enable()  # for the whole run

    from config.celery import app

    app.conf.broker_url = redis


_a_redis_database_per_test_process()

# CI (.ci/run sets CI) runs the property tests on a fixed sequence of examples, so that what lands never waits on a
# lucky draw; a run anywhere else draws new examples, and what one finds becomes an @example of its test.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A reused test database may have lost the catalog to a transactional test's flush: restore it."""
    from standards.catalog import load_catalog

    with django_db_blocker.unblock():
        load_catalog()


@pytest.fixture(autouse=True)
def _fast_tests(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process unless a test asks for the real worker (see testing/fixtures.py)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture
def cast(db):
    from standards.catalog import load_catalog
    from standards.models import Standard

    if not Standard.objects.exists():  # a transactional test before this one flushed the catalog
        load_catalog()
    district = f.DistrictFactory(name="Riverside Unified", slug="riverside")
    lincoln = f.SchoolFactory(district=district, name="Lincoln Middle School")
    other_district = f.DistrictFactory(name="Elsewhere District", slug="elsewhere")
    program = f.ProgramFactory(district=district)

    def member(name, role, district=district, schools=(lincoln,)):
        user = f.UserFactory(email=f"{name}@example.org", full_name=name.title())
        f.MembershipFactory(user=user, district=district, role=role, schools=list(schools))
        return user

    alice, bob = member("alice", Role.COACH), member("bob", Role.COACH)
    program.schools.add(lincoln)
    program.coaches.add(alice, bob)
    teacher = f.TeacherFactory(school=lincoln, name="Maria Rivera", email="maria@example.org")
    return SimpleNamespace(
        district=district,
        school=lincoln,
        program=program,
        alice=alice,
        bob=bob,
        paula=member("paula", Role.PRINCIPAL),
        dana=member("dana", Role.DISTRICT_ADMIN),
        oscar=member("oscar", Role.COACH, district=other_district, schools=()),
        olga=member("olga", Role.DISTRICT_ADMIN, district=other_district, schools=()),
        teacher=teacher,
        enrollment=f.EnrollmentFactory(program=program, coach=alice, teacher=teacher),
        strategy=f.StrategyFactory(district=district, title="Think-pair-share with a shared doc"),
        tool=f.ToolFactory(district=district, name="Google Docs"),
    )
