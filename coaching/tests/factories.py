import datetime

import factory
from django.utils import timezone

from accounts.models import District, Membership, Role, School, User
from coaching.models import Enrollment, Program, Strategy, Teacher, Tool


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


def challenge_at(cast, status: str, *, cycle_done: bool = False):
    """Alice's challenge for the cast's teacher, walked through the real services up to `status`."""
    from coaching import services
    from coaching.models import Challenge

    Status = Challenge.Status
    order = [Status.IDENTIFY, Status.INVESTIGATE, Status.SELECT, Status.IMPLEMENT, Status.REFLECT]
    target = order.index(status)
    challenge = services.challenge_start(enrollment=cast.enrollment, problems=["Students are off task", "Grading"])
    if target >= 1:
        services.challenge_identify(
            challenge=challenge, problems=challenge.problems, title="Students are off task", category="instructional"
        )
        services.candidate_add(challenge=challenge, strategy=cast.strategy, source="research")
    if target >= 2:
        services.investigation_finish(challenge=challenge)
    if target >= 3:
        services.challenge_select_strategy(challenge=challenge, strategy=cast.strategy, tools=[cast.tool])
    if target >= 4 or cycle_done:
        start = timezone.now() - datetime.timedelta(days=3)
        for offset, kind in enumerate(("plan_meeting", "visit", "debrief")):
            extra = {"visit_mode": "observe"} if kind == "visit" else {}
            services.step_log(
                challenge=challenge, kind=kind, starts_at=start + datetime.timedelta(days=offset), done=True, **extra
            )
    if target >= 4:
        services.challenge_move(challenge=challenge, to=Status.REFLECT)
    challenge.refresh_from_db()
    return challenge
