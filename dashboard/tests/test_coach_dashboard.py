"""The coach's own dashboard and growth page: own data only, in a fixed number of queries."""

import pytest
from django.urls import reverse
from django.utils import timezone

from coaching import services as coaching
from coaching.models import Activity, ITUIndicator, Step
from dashboard.models import EnrollmentCadence
from dashboard.tests.helpers import Status, enroll
from standards.models import SelfAssessment, Standard
from testing import factories as f
from testing.factories import challenge_at

pytestmark = pytest.mark.django_db
COACH_QUERIES = 16


def rate_all(enrollment, phase, score):
    coaching.itu_rate(
        enrollment=enrollment,
        phase=phase,
        rated_on=timezone.localdate(),
        scores=dict.fromkeys(ITUIndicator.values, (score, score)),
    )


def test_it_shows_the_coach_their_own_figures(client, cast):
    challenge_at(cast, Status.CLOSED)  # a cycle, a resolving reflection
    rate_all(cast.enrollment, "baseline", 2)
    rate_all(cast.enrollment, "end", 4)
    coaching.activity_log(
        actor=cast.alice, kind=Activity.Kind.PLC, school=cast.school, minutes=60,
        standards=Standard.objects.filter(code="3C"),
    )  # fmt: skip
    enroll(cast, 1, status=Status.CLOSED, coach=cast.bob)  # bob's work is not alice's
    client.force_login(cast.alice)

    response = client.get(reverse("dashboard:coach"))

    context = response.context
    assert (context["summary"].teachers, context["summary"].cycles, context["summary"].resolved) == (1, 1, 1)
    assert [row.enrollment for row in context["cadence"]] == [cast.enrollment]
    assert context["cadence"][0].plan_to_visit == 1 and context["cadence"][0].visit_to_debrief == 1
    hours = [(month.one_to_one, month.school_wide) for month in context["time"]]  # one month, or two on the 1st
    assert tuple(map(sum, zip(*hours, strict=True))) == (2.0, 1.0)  # 90 + 30 minutes 1:1; the 60-minute PLC
    assert {row.standard.code: row.total for row in context["coverage"]}["3C"] == 1
    assert "3C" not in [s.code for s in context["never"]]
    collaboration = next(row for row in context["itu"] if row.label == "Collaboration")
    assert (collaboration.proficiency[0].value, collaboration.proficiency[1].value) == (2.0, 4.0)
    page = response.content.decode()
    assert 'role="img" aria-labelledby="itu-title itu-desc"' in page and "Maria Rivera" in page


def test_a_coach_keeps_the_figures_of_their_own_work_when_teachers_leave_their_caseload(client, cast):
    """A tester's find: moving or ending teachers took their past work off the coach's own dashboards (31
    cycles became 8) while the district's row for the coach still counted it. The work is the coach's: its
    figures stay, and agree with the district's; the records behind them close (accounts.scoping)."""
    from districts import services as districts

    challenge_at(cast, Status.CLOSED)
    rate_all(cast.enrollment, "baseline", 2)
    rate_all(cast.enrollment, "end", 4)
    coaching.activity_log(
        actor=cast.alice, kind=Activity.Kind.TOUCHPOINT, enrollment=cast.enrollment, channel="email",
        standards=Standard.objects.filter(code="1D"),
    )  # fmt: skip
    client.force_login(cast.alice)
    before = client.get(reverse("dashboard:coach")).context
    growth_before = client.get(reverse("dashboard:growth")).context["rows"]

    districts.enrollment_move(actor=cast.dana, enrollment=cast.enrollment, coach=cast.bob)

    after = client.get(reverse("dashboard:coach")).context
    assert (after["summary"].cycles, after["summary"].resolved) == (before["summary"].cycles, 1) == (1, 1)
    assert [m.one_to_one for m in after["time"]] == [m.one_to_one for m in before["time"]]
    assert [row.total for row in after["coverage"]] == [row.total for row in before["coverage"]]
    assert [row.proficiency[1].value for row in after["itu"]] == [4.0] * 6
    growth = client.get(reverse("dashboard:growth")).context["rows"]
    assert [row.tagged for row in growth] == [row.tagged for row in growth_before] and any(r.tagged for r in growth)
    assert after["cadence"] == [] and after["summary"].teachers == 0  # the caseload now: Maria left it
    client.force_login(cast.bob)  # the new coach starts fresh: none of alice's work is his
    assert client.get(reverse("dashboard:coach")).context["summary"].cycles == 0


def test_it_shows_the_cadence_of_each_teachers_latest_cycle_as_the_read_model_keeps_it(client, cast):
    challenge_at(cast, Status.CLOSED)  # a full cycle on consecutive days
    newest = challenge_at(cast, Status.IMPLEMENT)  # then a new challenge, its steps dated earlier
    f.log(newest, Step.Kind.PLAN_MEETING, days=-20)
    visit = f.log(newest, Step.Kind.VISIT, days=-16)
    client.force_login(cast.alice)
    url = reverse("dashboard:coach")

    [row] = client.get(url).context["cadence"]
    assert (row.plan_to_visit, row.visit_to_debrief) == (4, None)  # the newest challenge's cycle, not the last dated

    coaching.step_update(step=visit, done=False)
    [row] = client.get(url).context["cadence"]
    assert (row.plan_to_visit, row.visit_to_debrief) == (None, None)
    assert not EnrollmentCadence.objects.exists()  # a row only while a gap is known


def test_it_draws_the_coach_dashboard_in_constant_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.alice)
    url = reverse("dashboard:coach")
    with django_assert_num_queries(COACH_QUERIES):
        client.get(url)
    for enrollment in enroll(cast, 6, status=Status.CLOSED):
        rate_all(enrollment, "baseline", 3)
    with django_assert_num_queries(COACH_QUERIES):
        assert client.get(url).status_code == 200


def ratings(rating=3):
    data = {"assessed_on": timezone.localdate().isoformat()}
    for standard in Standard.objects.all():
        data[f"rating_{standard.code}"] = rating
        data[f"evidence_{standard.code}"] = f"Evidence for {standard.code}"
    return data


def test_it_keeps_self_assessments_to_the_coach_unless_shared(client, cast):
    client.force_login(cast.alice)
    response = client.post(reverse("dashboard:self_assessment_new"), ratings(2))
    assert response.status_code == 302
    assessment = SelfAssessment.objects.get(coach=cast.alice)
    assert assessment.ratings.count() == 18 and not assessment.shared_with_district
    detail = reverse("dashboard:self_assessment", args=[assessment.pk])

    client.force_login(cast.dana)
    assert client.get(detail).status_code == 404
    assert "Alice" not in client.get(reverse("dashboard:shared_self_assessments")).content.decode()
    client.force_login(cast.bob)
    assert client.get(detail).status_code == 404

    client.force_login(cast.alice)
    client.post(reverse("dashboard:self_assessment_share", args=[assessment.pk]), {"shared": "1"})
    client.force_login(cast.dana)
    assert "Evidence for 1A" in client.get(detail).content.decode()
    assert "Alice" in client.get(reverse("dashboard:shared_self_assessments")).content.decode()
    client.force_login(cast.olga)  # another district's admin
    assert client.get(detail).status_code == 404


def test_it_shows_ratings_over_time_beside_the_tags(client, cast):
    client.force_login(cast.alice)
    client.post(reverse("dashboard:self_assessment_new"), ratings(1))
    client.post(reverse("dashboard:self_assessment_new"), ratings(3))
    coaching.activity_log(actor=cast.alice, kind=Activity.Kind.PD, standards=Standard.objects.filter(code="4A"))

    rows = {row.standard.code: row for row in client.get(reverse("dashboard:growth")).context["rows"]}

    assert rows["4A"].ratings == [1, 3] and rows["4A"].tagged == 1
    assert rows["1A"].tagged == 0


def test_it_says_what_is_missing_in_a_self_assessment(client, cast):
    client.force_login(cast.alice)
    data = ratings()
    del data["rating_2B"]
    data["rating_1A"] = 9

    page = client.post(reverse("dashboard:self_assessment_new"), data).content.decode()

    assert "2B Goal-oriented and data-driven: Choose a rating from 1 to 4." in page and "Select a valid choice." in page
    assert not SelfAssessment.objects.exists()


def test_it_exports_each_dashboard_as_the_viewer_sees_it_and_audits_leaders(client, cast):
    from accounts.models import AuditEvent

    enroll(cast, 3, status=Status.CLOSED)  # four teachers with maria: fewer than k = 5
    challenge_at(cast, Status.CLOSED)
    client.force_login(cast.paula)
    response = client.get(reverse("dashboard:school"), {"format": "csv"})
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert '"Lincoln Middle School","fewer than 5",' in text and "Month by month" in text

    client.force_login(cast.dana)
    text = client.get(reverse("dashboard:district"), {"format": "csv"}).content.decode()
    assert '"Alice","4","fewer than 5"' in text and "Maria" not in text
    # Each school's "ITU rose" of the page is in the CSV too, suppressed alike.
    assert '"School-wide minutes","Teachers rated twice","ITU rose"' in text
    assert '"Lincoln Middle School","fewer than 5",' in text and text.split("Lincoln Middle School")[1].split("\n")[
        0
    ].endswith('"fewer than 5","fewer than 5"\r')
    assert AuditEvent.objects.filter(action="export", actor__in=[cast.paula, cast.dana]).count() == 2

    client.force_login(cast.alice)
    text = client.get(reverse("dashboard:coach"), {"format": "csv"}).content.decode()
    assert "Standards coverage (tagged uses)" in text and '"1D",' in text
