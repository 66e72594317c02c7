"""The coach's reads: the home page's buckets, the caseload, and the strategy library."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from coaching import selectors, services
from coaching.models import Challenge, ChallengeCategory, GradeBand, ITUIndicator, Step
from testing import factories as f
from testing.factories import challenge_at, complete_cycle, day

pytestmark = pytest.mark.django_db

Status = Challenge.Status
Kind = Step.Kind


@pytest.fixture
def now() -> datetime.datetime:
    """Wednesday noon of this week, so that "today" and "this week" have room on either side."""
    today = timezone.localdate()
    wednesday = today + datetime.timedelta(days=2 - today.weekday())
    return timezone.make_aware(datetime.datetime.combine(wednesday, datetime.time(12)))


def enroll(cast, name: str, *, coach=None, **teacher):
    return f.EnrollmentFactory(
        program=cast.program,
        coach=coach or cast.alice,
        teacher=f.TeacherFactory(school=cast.school, name=name, **teacher),
    )


def end(enrollment) -> None:
    enrollment.ends_on = timezone.localdate()
    enrollment.save()


def log(challenge: Challenge, kind: str, starts_at: datetime.datetime, *, done: bool) -> Step:
    visit_mode = Step.VisitMode.OBSERVE if kind == Kind.VISIT else ""
    return services.step_log(challenge=challenge, kind=kind, starts_at=starts_at, done=done, visit_mode=visit_mode)


def names(rows) -> list[str]:
    return [row.teacher.name for row in rows]


# --- coach_home ----------------------------------------------------------------------------------


def test_it_buckets_scheduled_steps_into_overdue_today_and_this_week(cast, now) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    plan = log(challenge, Kind.PLAN_MEETING, now - datetime.timedelta(days=2), done=False)
    visit = log(challenge, Kind.VISIT, now - datetime.timedelta(hours=2), done=False)
    debrief = log(challenge, Kind.DEBRIEF, now + datetime.timedelta(days=2), done=False)
    anns = challenge_at(cast, Status.IMPLEMENT, enrollment=enroll(cast, "Ann"))
    later_today = log(anns, Kind.PLAN_MEETING, now + datetime.timedelta(hours=5), done=False)
    bens = challenge_at(cast, Status.IMPLEMENT, enrollment=enroll(cast, "Ben"))
    log(bens, Kind.PLAN_MEETING, now + datetime.timedelta(days=5), done=False)  # next Monday

    home = selectors.coach_home(cast.alice, now=now)

    assert home.overdue == [plan]
    assert home.today == [visit, later_today]
    assert home.this_week == [debrief]


def test_it_leaves_done_steps_and_ended_enrollments_off_the_schedule(cast, now) -> None:
    log(challenge_at(cast, Status.IMPLEMENT), Kind.PLAN_MEETING, now - datetime.timedelta(hours=1), done=True)
    ended = enroll(cast, "Ann")
    log(challenge_at(cast, Status.IMPLEMENT, enrollment=ended), Kind.PLAN_MEETING, now, done=False)
    end(ended)

    home = selectors.coach_home(cast.alice, now=now)

    assert (home.overdue, home.today, home.this_week) == ([], [], [])


def visit_days_ago(cast, name: str, now: datetime.datetime, days: int, *, coach=None) -> Challenge:
    """A teacher whose cycle got as far as a done visit `days` ago."""
    challenge = challenge_at(cast, Status.IMPLEMENT, enrollment=enroll(cast, name, coach=coach))
    log(challenge, Kind.PLAN_MEETING, now - datetime.timedelta(days=days + 1), done=True)
    log(challenge, Kind.VISIT, now - datetime.timedelta(days=days), done=True)
    return challenge


def test_it_flags_visits_a_week_old_without_a_done_debrief(cast, now) -> None:
    visit_days_ago(cast, "Eight days", now, 8)
    visit_days_ago(cast, "Six days", now, 6)
    scheduled_debrief = visit_days_ago(cast, "Debrief scheduled", now, 9)
    log(scheduled_debrief, Kind.DEBRIEF, now + datetime.timedelta(days=1), done=False)
    debriefed = visit_days_ago(cast, "Debriefed", now, 10)
    log(debriefed, Kind.DEBRIEF, now - datetime.timedelta(days=9), done=True)

    home = selectors.coach_home(cast.alice, now=now)

    assert [visit.cycle.challenge.enrollment.teacher.name for visit in home.stale_visits] == [
        "Debrief scheduled",
        "Eight days",
    ]


def test_it_does_not_flag_visits_of_closed_challenges_or_ended_enrollments(cast, now) -> None:
    closed = visit_days_ago(cast, "Closed", now, 8)
    # The services close a challenge only after a debrief; this guards the home page all the same.
    Challenge.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    end(visit_days_ago(cast, "Ended", now, 8).enrollment)

    assert selectors.coach_home(cast.alice, now=now).stale_visits == []


def test_it_lists_teachers_not_contacted_for_two_weeks_or_never(cast, now) -> None:
    today = timezone.localdate(now)
    for name, days in [("Fifteen days", 15), ("Thirteen days", 13), ("Today", 0), ("Thirty days", 30)]:
        enrollment = enroll(cast, name)
        enrollment.last_contact_on = today - datetime.timedelta(days=days)
        enrollment.save()
    end(enroll(cast, "Ended, never contacted"))

    home = selectors.coach_home(cast.alice, now=now)

    # Longest without contact first: never, then the oldest contact.
    assert names(home.not_contacted) == ["Maria Rivera", "Thirty days", "Fifteen days"]
    assert home.caseload_size == 5


def test_it_shows_alice_nothing_of_bobs_caseload(cast, now) -> None:
    bobs = visit_days_ago(cast, "Bob's teacher", now, 8, coach=cast.bob)
    bobs_other = challenge_at(cast, Status.IMPLEMENT, enrollment=enroll(cast, "Bob's other", coach=cast.bob))
    log(bobs_other, Kind.PLAN_MEETING, now, done=False)

    alices = selectors.coach_home(cast.alice, now=now)
    bobs_home = selectors.coach_home(cast.bob, now=now)

    assert (alices.today, alices.stale_visits, names(alices.not_contacted)) == ([], [], ["Maria Rivera"])
    assert alices.caseload_size == 1
    assert [v.cycle.challenge for v in bobs_home.stale_visits] == [bobs]
    assert names(selectors.caseload_rows(cast.alice)) == ["Maria Rivera"]


# --- caseload_rows -------------------------------------------------------------------------------


def test_it_annotates_each_teacher_with_the_open_challenge(cast) -> None:
    challenge_at(cast, Status.INVESTIGATE)
    only_closed = enroll(cast, "Closed only")
    challenge_at(cast, Status.CLOSED, enrollment=only_closed)
    closed_then_new = enroll(cast, "Closed then new")
    challenge_at(cast, Status.CLOSED, enrollment=closed_then_new)
    services.challenge_start(enrollment=closed_then_new, problems=["Feedback comes too late"])
    enroll(cast, "Aaron, no challenge")
    end(enroll(cast, "Ended"))

    rows = selectors.caseload_rows(cast.alice)

    assert [(row.teacher.name, row.challenge_status, row.challenge_title) for row in rows] == [
        ("Aaron, no challenge", None, None),
        ("Closed only", None, None),
        ("Closed then new", Status.IDENTIFY, ""),
        ("Maria Rivera", Status.INVESTIGATE, "Students wait for answers"),
    ]


# --- library_search ------------------------------------------------------------------------------


# cast.strategy, "Think-pair-share with a shared doc", is instructional, collaboration, any subject, all grades.
LIBRARY = [
    {
        "title": "Podcasting lab reports",
        "description": "Students record audio notes.",
        "itu_indicator": ITUIndicator.COMMUNICATION,
        "subject": "Science",
        "grade_band": GradeBand.MIDDLE,
    },
    {
        "title": "Peer feedback with comment banks",
        "category": ChallengeCategory.PROFESSIONAL_GROWTH,
        "itu_indicator": ITUIndicator.CRITICAL_THINKING,
        "subject": "English",
        "grade_band": GradeBand.HIGH,
    },
    {
        "title": "Choice boards",
        "itu_indicator": ITUIndicator.STUDENT_AGENCY,
        "subject": "Mathematics",
        "grade_band": GradeBand.ELEMENTARY,
    },
]
EVERY_ACTIVE = {"Think-pair-share with a shared doc"} | {fields["title"] for fields in LIBRARY}


@pytest.fixture
def library(cast):
    for fields in LIBRARY:
        f.StrategyFactory(district=cast.district, **fields)
    # Neither ever shows: retired, and another district's.
    f.StrategyFactory(district=cast.district, title="Retired podcast idea", retired_at=timezone.now())
    f.StrategyFactory(district=f.DistrictFactory(), title="Podcasting elsewhere")
    return cast.district


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, EVERY_ACTIVE),
        ({"q": "PODCAST"}, {"Podcasting lab reports"}),
        ({"q": "audio"}, {"Podcasting lab reports"}),  # the description counts too
        ({"category": ChallengeCategory.PROFESSIONAL_GROWTH}, {"Peer feedback with comment banks"}),
        ({"itu_indicator": ITUIndicator.STUDENT_AGENCY}, {"Choice boards"}),
        # A strategy with no subject fits any subject, one for all grades fits any grade band.
        ({"subject": "science"}, {"Podcasting lab reports", "Think-pair-share with a shared doc"}),
        ({"subject": "History"}, {"Think-pair-share with a shared doc"}),
        ({"grade_band": GradeBand.HIGH}, {"Peer feedback with comment banks", "Think-pair-share with a shared doc"}),
        ({"grade_band": GradeBand.ALL}, {"Think-pair-share with a shared doc"}),
        (
            {"subject": "Math", "grade_band": GradeBand.MIDDLE, "category": ChallengeCategory.INSTRUCTIONAL},
            {"Think-pair-share with a shared doc"},
        ),
    ],
)
def test_it_searches_the_districts_active_library(library, filters, expected) -> None:
    assert {s.title for s in selectors.library_search(library, **filters)} == expected


def test_it_lists_challenges_whose_cycle_is_complete_as_ready_to_reflect(cast):
    challenge = challenge_at(cast, Status.IMPLEMENT)
    assert selectors.coach_home(cast.alice).ready_to_reflect == []
    complete_cycle(challenge)
    assert selectors.coach_home(cast.alice).ready_to_reflect == [challenge]
    assert selectors.coach_home(cast.bob).ready_to_reflect == []
    services.cycle_start(challenge=challenge)
    assert selectors.coach_home(cast.alice).ready_to_reflect == []


# --- step 2: the library ranked by fit ---------------------------------------------------------


def _rate(enrollment, weakest: str) -> None:
    scores = {indicator: (3, 3) for indicator in ITUIndicator.values} | {weakest: (1, 2)}
    services.itu_rate(enrollment=enrollment, phase="baseline", rated_on=timezone.localdate(), scores=scores)


def test_it_ranks_the_library_by_fit_to_the_challenge_and_its_teacher(library, cast) -> None:
    challenge = challenge_at(cast, Status.INVESTIGATE)  # instructional; Maria teaches middle-school science
    _rate(cast.enrollment, ITUIndicator.STUDENT_AGENCY)

    fit = selectors.challenge_fit(challenge)
    ranked = selectors.library_ranked(library, fit)

    assert fit == selectors.Fit("instructional", "student_agency", "Science", "middle")
    assert [(s.title, s.fit, s.fits) for s in ranked] == [
        ("Podcasting lab reports", 8, ["category", "subject", "grade band"]),  # 4 + 2 + 2
        ("Choice boards", 7, ["category", "ITU indicator"]),  # 4 + 3
        ("Think-pair-share with a shared doc", 6, ["category"]),  # 4, + 1 for any subject, + 1 for all grades
        ("Peer feedback with comment banks", 0, []),
    ]
    assert [s.title for s in selectors.library_ranked(library, fit, q="board")] == ["Choice boards"]


def test_it_ranks_without_a_rating_or_a_subject(library, cast) -> None:
    cast.teacher.subject = ""
    cast.teacher.save()
    fit = selectors.challenge_fit(challenge_at(cast, Status.INVESTIGATE))

    assert fit.itu_indicator == "" and fit.phrases == ["instructional challenges", "Middle (6–8)"]
    assert [s.title for s in selectors.library_ranked(library, fit)][:2] == [
        "Podcasting lab reports",
        "Think-pair-share with a shared doc",
    ]


# --- words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "words"),
    [(6, "Good morning"), (11, "Good morning"), (12, "Good afternoon"), (16, "Good afternoon"),
     (17, "Good evening"), (22, "Good evening"), (2, "Good evening")],
)  # fmt: skip
def test_it_greets_by_the_districts_local_hour(cast, hour, words) -> None:
    tz = zoneinfo.ZoneInfo("America/Los_Angeles")
    moment = datetime.datetime.combine(timezone.localdate(), datetime.time(hour, 5), tzinfo=tz)
    with timezone.override(tz):  # as accounts.middleware does for the district
        assert selectors.coach_home(cast.alice, now=moment).greeting == words


def test_it_says_good_evening_on_home_when_it_is_22h_in_the_district(client, cast) -> None:
    """The district's clock, not the server's: a time zone where it is 22:xx now."""
    offset = (22 - timezone.now().astimezone(datetime.UTC).hour + 12) % 24 - 12
    cast.district.timezone = f"Etc/GMT{-offset:+d}"  # Etc/GMT-5 is five hours ahead of UTC
    cast.district.save()
    client.force_login(cast.alice)

    page = client.get(reverse("coaching:home")).content.decode()

    assert "Good evening, Alice" in page


def test_it_orders_itu_ratings_in_time_and_labels_them_by_challenge(cast) -> None:
    first = challenge_at(cast, Status.CLOSED)
    Challenge.objects.filter(pk=first.pk).update(opened_on=day(-60), closed_on=day(-30))
    second = challenge_at(cast, Status.INVESTIGATE)
    scores = {indicator: (2, 2) for indicator in ITUIndicator.values}
    services.itu_rate(enrollment=cast.enrollment, phase="end", rated_on=day(-30), scores=scores)
    services.itu_rate(enrollment=cast.enrollment, phase="mid", rated_on=day(-45), scores=scores)
    services.itu_rate(enrollment=cast.enrollment, phase="baseline", rated_on=day(-20), scores=scores)

    ratings = selectors.itu_ratings(cast.enrollment, selectors.teacher_challenges(cast.enrollment))

    assert [(r.phase, r.challenge_label) for r in ratings] == [
        ("mid", first.title),
        ("end", first.title),
        ("baseline", f"After “{first.title}”"),  # before the second challenge opened today
    ]
    assert second.opened_on == day()
