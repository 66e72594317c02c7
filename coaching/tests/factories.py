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
