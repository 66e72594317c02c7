"""Builders for the dashboard tests: teachers on a caseload at Lincoln, coached through the real services."""

from coaching import services
from coaching.models import Challenge, ChallengeCategory, ImpactStory, ITUIndicator, Step
from standards.models import Standard
from testing import factories as f
from testing.factories import challenge_at

Status = Challenge.Status


def enroll(cast, n: int, *, status: str | None = None, coach=None, school=None) -> list:
    """n more teachers on a caseload (alice's, at Lincoln, unless told), each with a challenge at `status`."""
    enrollments = []
    for _ in range(n):
        enrollment = f.EnrollmentFactory(
            program=cast.program, coach=coach or cast.alice, teacher=f.TeacherFactory(school=school or cast.school)
        )
        if status:
            challenge_at(cast, status, enrollment=enrollment)
        enrollments.append(enrollment)
    return enrollments


def story(enrollment, title: str, **consent) -> ImpactStory:
    return ImpactStory.objects.create(
        coach=enrollment.coach, enrollment=enrollment, title=title, story=f"{title}: what changed.", **consent
    )


def full_record(enrollment, *, strategy, tool, note: str = "Confidential note") -> None:
    """Everything a coach can record about a teacher, each write tagged with standards where it can be."""
    tags = list(Standard.objects.filter(code__in=["1B", "1C"]))
    challenge = services.challenge_start(enrollment=enrollment, problems=["Quiet groups"])
    services.challenge_identify(
        challenge=challenge, problems=["Quiet groups"], title="Quiet groups", improvement="group discussion",
        category=ChallengeCategory.INSTRUCTIONAL, root_cause_notes=note, standards=tags,
    )  # fmt: skip
    services.candidate_add(challenge=challenge, strategy=strategy, source="pln", notes=note)
    services.investigation_finish(challenge=challenge, standards=tags)
    services.challenge_select_strategy(challenge=challenge, strategy=strategy, tools=[tool], standards=tags)
    for offset, kind in enumerate(Step.ORDER):
        f.log(challenge, kind, days=offset - 5, notes=note, standards=tags)
    services.challenge_reflect(
        challenge=challenge, decision="resolved", held_on=f.day(-1), minutes=20, notes=note, standards=tags
    )
    scores = {indicator: (2, 3) for indicator in ITUIndicator.values}
    services.itu_rate(enrollment=enrollment, phase="baseline", rated_on=f.day(-30), scores=scores)
    services.activity_log(
        actor=enrollment.coach, kind="touchpoint", enrollment=enrollment, channel="email", notes=note, standards=tags
    )
    story(enrollment, f"Story: {note}", share_with_principal=True)
