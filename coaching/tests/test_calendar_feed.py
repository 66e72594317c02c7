"""A coach's calendar subscription: a secret, revocable URL serving METHOD:PUBLISH with titles and times only."""

import datetime

import pytest
from django.urls import reverse

from coaching import selectors, services
from coaching.models import Activity, CalendarFeed, Step
from testing import factories as f
from testing.ical import lines_fold_right, read

pytestmark = pytest.mark.django_db

SECRET = "NOTE-MARKER-7f3a"  # planted in every free-text field of the coach's records


@pytest.fixture
def week(cast, implementing_challenge, tomorrow_at_ten):
    """Alice's week: a planning meeting done yesterday, a visit tomorrow, a PLC and a touchpoint; notes everywhere."""
    plan = services.step_log(
        challenge=implementing_challenge,
        kind=Step.Kind.PLAN_MEETING,
        starts_at=tomorrow_at_ten - datetime.timedelta(days=2),
        minutes=30,
        notes=f"{SECRET} notes",
        next_steps=f"{SECRET} next",
    )
    visit = services.step_log(
        challenge=implementing_challenge,
        kind=Step.Kind.VISIT,
        starts_at=tomorrow_at_ten,
        minutes=50,
        done=False,
        visit_mode=Step.VisitMode.OBSERVE,
        notes=f"{SECRET} visit notes",
        data_collected=f"{SECRET} data",
    )
    plc = services.activity_log(
        actor=cast.alice, kind=Activity.Kind.PLC, school=cast.school, minutes=45, notes=f"{SECRET} plc"
    )
    touch = services.activity_log(
        actor=cast.alice,
        kind=Activity.Kind.TOUCHPOINT,
        enrollment=cast.enrollment,
        channel=Activity.Channel.HALLWAY,
        notes=f"{SECRET} hallway",
    )
    return plan, visit, plc, touch


def feed_url(coach) -> str:
    feed = CalendarFeed.objects.get(coach=coach)
    return reverse("coaching:calendar_feed", args=[services.feed_token(feed)])


def test_it_serves_the_coachs_week_to_every_parser(client, cast, week, settings):
    settings.SITE_URL = "https://cadence.riverside.example"
    plan, visit, plc, touch = week
    services.calendar_feed_renew(actor=cast.alice)

    response = client.get(feed_url(cast.alice))  # no one signed in: a calendar polls it
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert lines_fold_right(response.content)
    events = {e.uid: e for e in read(response.content)}
    assert {e.method for e in events.values()} == {"PUBLISH"}
    host = "cadence.riverside.example"
    assert set(events) == {f"step-{plan.pk}@{host}", f"step-{visit.pk}@{host}",
                           f"activity-{plc.pk}@{host}", f"activity-{touch.pk}@{host}"}  # fmt: skip
    seen_visit = events[f"step-{visit.pk}@{host}"]
    assert seen_visit.summary == "Classroom visit with Maria Rivera"
    assert seen_visit.start == visit.starts_at.astimezone(datetime.UTC)
    assert seen_visit.end - seen_visit.start == datetime.timedelta(minutes=50)
    assert events[f"activity-{plc.pk}@{host}"].summary == "PLC or staff meeting (45 min)"
    assert events[f"activity-{touch.pk}@{host}"].summary == "Informal touchpoint with Maria Rivera (15 min)"
    assert events[f"activity-{plc.pk}@{host}"].start == plc.held_on  # a day, not a time
    assert all(e.organizer is None and e.attendees == () for e in events.values())
    assert SECRET not in response.content.decode()


def test_it_shows_no_one_elses_work(client, cast, week):
    bobs_teacher = f.TeacherFactory(school=cast.school, name="Bob's Teacher")
    f.EnrollmentFactory(program=cast.program, coach=cast.bob, teacher=bobs_teacher)
    services.activity_log(actor=cast.bob, kind=Activity.Kind.PD, minutes=60)
    services.calendar_feed_renew(actor=cast.bob)

    events = read(client.get(feed_url(cast.bob)).content)
    assert [e.summary for e in events] == ["Professional development attended (60 min)"]


def test_it_leaves_out_teachers_no_longer_on_the_caseload(client, cast, week):
    cast.enrollment.ends_on = datetime.date.today()
    cast.enrollment.save()
    services.calendar_feed_renew(actor=cast.alice)

    summaries = {e.summary for e in read(client.get(feed_url(cast.alice)).content)}
    # Her touchpoints went with her steps: an ended enrollment's record is closed (accounts.scoping).
    assert summaries == {"PLC or staff meeting (45 min)"}


def test_it_answers_in_a_fixed_number_of_queries(client, cast, week, django_assert_num_queries):
    services.calendar_feed_renew(actor=cast.alice)
    url = feed_url(cast.alice)

    # the feed and its coach, the coach's membership (scoping), the caseload steps, the activities;
    # plus the savepoint of ATOMIC_REQUESTS.
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("token", ["wrong", "0" * 64, "a" * 200])
def test_it_is_a_404_with_a_wrong_token(client, cast, token):
    services.calendar_feed_renew(actor=cast.alice)

    assert client.get(reverse("coaching:calendar_feed", args=[token])).status_code == 404


def test_it_kills_the_old_link_when_a_new_one_is_made(client, cast):
    services.calendar_feed_renew(actor=cast.alice)
    old = feed_url(cast.alice)
    services.calendar_feed_renew(actor=cast.alice)

    assert client.get(old).status_code == 404
    assert client.get(feed_url(cast.alice)).status_code == 200


def test_it_is_a_404_once_revoked(client, cast):
    services.calendar_feed_renew(actor=cast.alice)
    url = feed_url(cast.alice)
    services.calendar_feed_revoke(actor=cast.alice)

    assert client.get(url).status_code == 404


def test_it_is_a_404_for_a_deactivated_coach(client, cast):
    services.calendar_feed_renew(actor=cast.alice)
    url = feed_url(cast.alice)
    cast.alice.is_active = False
    cast.alice.save()

    assert client.get(url).status_code == 404


def test_it_stores_only_the_hash_of_the_token(cast):
    feed = services.calendar_feed_renew(actor=cast.alice)
    token = services.feed_token(feed)

    assert token not in (feed.token_nonce, feed.token_hash)
    assert selectors.feed_for_token(token) == feed


def test_it_shows_copies_and_replaces_the_link_on_the_settings_page(client, cast):
    client.force_login(cast.alice)
    page = client.get(reverse("coaching:calendar")).content.decode()
    assert "Make my calendar link" in page

    response = client.post(reverse("coaching:calendar_renew"), follow=True)
    page = response.content.decode()
    assert "Your calendar link is ready." in page
    assert feed_url(cast.alice) in page and "Copy link" in page
    first = feed_url(cast.alice)

    page = client.post(reverse("coaching:calendar_renew"), follow=True).content.decode()
    assert "the old one no longer works" in page and feed_url(cast.alice) != first

    page = client.post(reverse("coaching:calendar_revoke"), follow=True).content.decode()
    assert "Calendar link turned off." in page and not CalendarFeed.objects.filter(coach=cast.alice).exists()


def test_it_keeps_the_feed_token_out_of_logs():
    from config.log_filters import redact

    path = reverse("coaching:calendar_feed", args=["s3cr3t-t0ken-value"])
    assert "s3cr3t-t0ken-value" not in redact(f"Not Found: {path}")
