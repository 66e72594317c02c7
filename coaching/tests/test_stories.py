"""Stories of impact (3F): written by the coach, shared only with the teacher's consent."""

import pytest
from django.core.exceptions import ValidationError

from coaching import services
from coaching.models import ImpactStory
from testing import factories as f

pytestmark = pytest.mark.django_db


def _story(cast, **overrides) -> dict:
    fields = dict(actor=cast.alice, enrollment=cast.enrollment, title="Lab reports", story="They own it now.",
                  told_on=f.day(), share_with_principal=True)  # fmt: skip
    return fields | overrides


def test_it_saves_a_story_with_the_teachers_consent(cast):
    story = services.story_save(**_story(cast))

    assert (story.coach, story.share_with_principal, story.share_with_district) == (cast.alice, True, False)


def test_it_refuses_a_story_about_another_coachs_teacher(cast):
    other = f.EnrollmentFactory(program=cast.program, coach=cast.bob, teacher=f.TeacherFactory(school=cast.school))

    with pytest.raises(ValidationError, match="Choose a teacher on your caseload"):
        services.story_save(**_story(cast, enrollment=other))
    assert not ImpactStory.objects.exists()


def test_it_lets_only_the_author_withdraw_consent(cast):
    story = services.story_save(**_story(cast))

    services.story_save(**_story(cast, share_with_principal=False, instance=story))
    story.refresh_from_db()
    assert not story.share_with_principal
    bobs = f.EnrollmentFactory(program=cast.program, coach=cast.bob, teacher=f.TeacherFactory(school=cast.school))
    with pytest.raises(ValidationError, match="Only the coach who wrote"):
        services.story_save(**_story(cast, actor=cast.bob, enrollment=bobs, instance=story))


def test_it_requires_a_title_and_a_story(cast):
    with pytest.raises(ValidationError) as error:
        services.story_save(**_story(cast, title="", story=""))
    assert set(error.value.message_dict) == {"title", "story"}
