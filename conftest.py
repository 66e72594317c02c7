"""The fixed cast of every test (STYLE.md): in Riverside, Lincoln school has two coaches (alice
owns the caseload, bob is the other coach), paula is its principal and dana the district admin;
oscar (a coach) and olga (its admin) belong to another district and "should have no access"."""

from types import SimpleNamespace

import pytest

from accounts.models import Role
from testing import factories as f

# The shared fixtures that leave the test process (a Celery worker, headless Chromium) and build data.
pytest_plugins = ["testing.fixtures"]


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
