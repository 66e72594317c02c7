import contextlib
import datetime
from pathlib import Path

import factory
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import District, Membership, Role, School, User
from coaching import services
from coaching.models import (
    Challenge,
    ChallengeCategory,
    Enrollment,
    Program,
    Reflection,
    Step,
    Strategy,
    StrategyCandidate,
    Teacher,
    Tool,
)
from config import rollups
from config.forms import next_moves

Status = Challenge.Status
Kind = Step.Kind


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    name = factory.Sequence(lambda n: f"District {n}")
    slug = factory.Sequence(lambda n: f"district-{n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"School {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "password")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    district = factory.SubFactory(DistrictFactory)
    role = Role.COACH

    @factory.post_generation
    def schools(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.schools.set(extracted)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    district = factory.SubFactory(DistrictFactory)
    name = "2026–27 coaching program"
    starts_on = datetime.date(2026, 8, 15)
    ends_on = datetime.date(2027, 6, 1)


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Teacher

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Teacher {n}")
    email = factory.Sequence(lambda n: f"teacher{n}@example.org")
    subject = "Science"
    grade_band = "middle"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    program = factory.SubFactory(ProgramFactory)
    coach = factory.SubFactory(UserFactory)
    teacher = factory.SubFactory(TeacherFactory)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> Enrollment:
        """Saved, and the read model told, as the services that put a teacher on a caseload do."""
        enrollment = super()._create(model_class, *args, **kwargs)
        rollups.changed(enrollment_ids=[enrollment.pk])
        return enrollment


class ToolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tool

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"Tool {n}")


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy

    district = factory.SubFactory(DistrictFactory)
    title = factory.Sequence(lambda n: f"Strategy {n}")
    category = "instructional"
    itu_indicator = "collaboration"


# --- walking a challenge through the real services ----------------------------------------------

PROBLEMS = ["Students wait for answers", "Group work stalls"]
IMPROVEMENT = "persistence with hard problems"  # what to improve, for PROBLEMS[0]


def day(days: int = 0) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def at(days: int = 0, hour: int = 10) -> datetime.datetime:
    """`days` from today at `hour` o'clock, local time: whole hours keep the dates unambiguous."""
    return timezone.make_aware(datetime.datetime.combine(day(days), datetime.time(hour)))


def log(challenge: Challenge, kind: str, *, days: int = 0, done: bool = True, **fields) -> Step:
    """Log (or, with done=False, schedule) a step of the current cycle `days` from today."""
    if kind == Kind.VISIT:
        fields.setdefault("visit_mode", Step.VisitMode.OBSERVE)
    return services.step_log(challenge=challenge, kind=kind, starts_at=at(days), done=done, **fields)


def complete_cycle(challenge: Challenge, *, days: int = -3) -> None:
    """Meet → visit → meet, all done, on consecutive days starting `days` from today."""
    for offset, kind in enumerate(Step.ORDER):
        log(challenge, kind, days=days + offset)


def challenge_at(cast, status: str, *, enrollment=None) -> Challenge:
    """A challenge brought to `status` the way a coach gets there: through the services, step by step."""
    challenge = services.challenge_start(enrollment=enrollment or cast.enrollment, problems=PROBLEMS)
    if status == Status.IDENTIFY:
        return challenge
    services.challenge_identify(
        challenge=challenge, problems=PROBLEMS, title=PROBLEMS[0], improvement=IMPROVEMENT,
        category=ChallengeCategory.INSTRUCTIONAL,
    )  # fmt: skip
    if status == Status.INVESTIGATE:
        return challenge
    services.candidate_add(challenge=challenge, strategy=cast.strategy, source=StrategyCandidate.Source.RESEARCH)
    services.investigation_finish(challenge=challenge)
    if status == Status.SELECT:
        return challenge
    services.challenge_select_strategy(challenge=challenge, strategy=cast.strategy, tools=[cast.tool])
    if status == Status.IMPLEMENT:
        return challenge
    complete_cycle(challenge)
    services.challenge_move(challenge=challenge, to=Status.REFLECT)
    if status == Status.REFLECT:
        return challenge
    services.challenge_reflect(challenge=challenge, decision=Reflection.Decision.RESOLVED, held_on=day(), minutes=30)
    return challenge


@contextlib.contextmanager
def refused(message: str, *, field: str | None = None, then: str | None = None):
    """The block raises a ValidationError carrying exactly this message (on `field` when given), and,
    with `then`, the label of the move it offers instead (coaching.moves, as config.forms links to it)."""
    with pytest.raises(ValidationError) as excinfo:
        yield
    if field:
        assert excinfo.value.message_dict == {field: [message]}
    else:
        assert excinfo.value.messages == [message]
    if then is not None:
        assert [move.label for move in next_moves(excinfo.value)] == [then]


def project_app_configs() -> list:
    """Cadence's own Django apps (a virtualenv inside the checkout holds other apps under BASE_DIR too)."""
    from django.apps import apps
    from django.conf import settings

    base = Path(settings.BASE_DIR)
    return [
        config
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(base) and "site-packages" not in Path(config.path).parts
    ]


def project_form_classes():
    """Every form class the project's apps define, in a module called forms (roster sub-package included)."""
    import importlib
    import inspect

    from django import forms

    for config in project_app_configs():
        for module_name in (f"{config.name}.forms", f"{config.name}.roster.forms"):
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    yield cls
