"""Digest e-mails: due in each person's district time zone, sent once per slot, and a principal's holds
aggregates only. The last tests run the periodic task in a real Celery worker."""

import datetime
import email
import email.policy
import time
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from coaching import services as coaching_services
from coaching.models import Activity, Challenge, ChallengeCategory, Step, StrategyCandidate
from config.celery import enqueue
from dashboard import digests
from dashboard.models import DigestSetting
from dashboard.tests.helpers import enroll, full_record
from testing import factories as f

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
MONDAY = datetime.date(2026, 11, 30)


def at(day: datetime.date, hour: int, minute: int = 0, tz=CHICAGO) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)


def setting(user, **fields) -> DigestSetting:
    obj, _ = DigestSetting.objects.update_or_create(user=user, defaults=fields)
    return obj


# --- when a digest is due --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (at(MONDAY, 6, 59), None),  # before today's slot; yesterday's is long past
        (at(MONDAY, 7, 0), MONDAY),
        (at(MONDAY, 8, 59), MONDAY),
        (at(MONDAY, 9, 0), None),  # two hours late: skipped rather than sent at night
    ],
)
def test_it_makes_a_coachs_digest_due_at_their_time(cast, now, due):
    assert digests.due_on(DigestSetting(user=cast.alice), Role.COACH, now, CHICAGO) == due


def test_it_counts_a_slot_just_before_midnight_on_its_own_day(cast):
    late = DigestSetting(user=cast.alice, send_at=datetime.time(23, 55))

    assert digests.due_on(late, Role.COACH, at(MONDAY + datetime.timedelta(days=1), 0, 5), CHICAGO) == MONDAY


def test_it_makes_a_principals_digest_due_once_a_week(cast):
    thursday = DigestSetting(user=cast.paula, weekday=DigestSetting.Weekday.THURSDAY, send_at=datetime.time(16))
    thursday_day = MONDAY + datetime.timedelta(days=3)

    assert digests.due_on(thursday, Role.PRINCIPAL, at(thursday_day, 16, 10), CHICAGO) == thursday_day
    assert digests.due_on(thursday, Role.PRINCIPAL, at(MONDAY, 16, 10), CHICAGO) is None
    assert digests.due_on(thursday, Role.PRINCIPAL, at(thursday_day, 15, 50), CHICAGO) is None


def test_it_reads_the_time_in_the_districts_zone(cast):
    pacific = zoneinfo.ZoneInfo("America/Los_Angeles")
    seven_in_chicago = at(MONDAY, 7, 5)  # 05:05 in Los Angeles

    assert digests.due_on(DigestSetting(user=cast.alice), Role.COACH, seven_in_chicago, pacific) is None
    assert digests.due_on(DigestSetting(user=cast.alice), Role.COACH, at(MONDAY, 7, 5, pacific), pacific) == MONDAY


def test_it_is_never_due_when_turned_off(cast):
    assert digests.due_on(DigestSetting(user=cast.alice, enabled=False), Role.COACH, at(MONDAY, 7, 5), CHICAGO) is None


# --- sending ---------------------------------------------------------------------------------------


@pytest.fixture
def chicago(cast):
    """The cast in Chicago; paula's weekly digest (Mondays) off unless a test turns it on."""
    cast.district.timezone = "America/Chicago"
    cast.district.save()
    setting(cast.paula, enabled=False)
    return cast


def test_it_sends_a_coach_their_morning_once_however_often_it_runs(chicago, mailoutbox):
    now = at(MONDAY, 7, 5)

    assert digests.send_due_digests(now=now) == 1  # alice: Maria not seen yet; bob: nothing to say
    assert digests.send_due_digests(now=now) == 0
    assert digests.send_due_digests(now=now + datetime.timedelta(minutes=15)) == 0
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]
    assert DigestSetting.objects.get(user=chicago.alice).last_sent_on == MONDAY
    assert digests.send_due_digests(now=now + datetime.timedelta(days=1)) == 1  # the next morning


def test_it_lists_todays_steps_waiting_debriefs_and_teachers_not_seen(chicago, implementing_challenge, mailoutbox):
    now = at(MONDAY, 7, 5)
    visit_day = at(MONDAY - datetime.timedelta(days=10), 9)
    for kind, starts_at in [
        (Step.Kind.PLAN_MEETING, visit_day - datetime.timedelta(days=1)),
        (Step.Kind.VISIT, visit_day),
    ]:
        coaching_services.step_log(
            challenge=implementing_challenge, kind=kind, done=True, starts_at=starts_at, visit_mode="observe"
        )
    other = enroll(chicago, 1)[0]
    other.teacher.name = "Nadia Okafor"
    other.teacher.save()
    challenge = f.challenge_at(chicago, Challenge.Status.IMPLEMENT, enrollment=other)
    coaching_services.step_log(
        challenge=challenge, kind=Step.Kind.PLAN_MEETING, done=False, starts_at=at(MONDAY, 13, 30), minutes=40
    )

    digests.send_due_digests(now=now)
    [message] = mailoutbox
    assert message.subject == "Your coaching day, Monday 30 November: 1 step scheduled"
    body = message.body
    assert "- 13:30 Planning meeting with Nadia Okafor (40 min)" in body
    assert "Visits waiting for a debrief" in body and "- Maria Rivera, visited 20 November" in body
    assert "Teachers not seen in 14 days:\n- Nadia Okafor, not seen yet\n" in body
    assert body.count("Maria Rivera") == 1  # seen at the visit
    assert reverse("dashboard:digest") in body


def test_it_sends_nothing_on_a_day_with_nothing_to_say(chicago, mailoutbox):
    chicago.enrollment.last_contact_on = MONDAY
    chicago.enrollment.save()

    assert digests.send_due_digests(now=at(MONDAY, 7, 5)) == 0
    assert mailoutbox == []


def test_it_sends_nothing_to_someone_who_turned_it_off(chicago, mailoutbox):
    setting(chicago.alice, enabled=False)

    assert digests.send_due_digests(now=at(MONDAY, 7, 5)) == 0


def test_it_sends_a_principal_the_schools_figures_once_a_week(chicago, mailoutbox):
    setting(chicago.alice, enabled=False)
    setting(chicago.paula, enabled=True)
    enroll(chicago, 5)  # six teachers at Lincoln: enough to show

    assert digests.send_due_digests(now=at(MONDAY, 7, 5)) == 1
    assert digests.send_due_digests(now=at(MONDAY + datetime.timedelta(days=1), 7, 5)) == 0
    [message] = mailoutbox
    assert message.to == ["paula@example.org"]
    assert "Lincoln Middle School\n- Teachers on a caseload: 6\n" in message.body


def test_it_suppresses_a_principals_small_groups_as_the_dashboard_does(chicago, mailoutbox):
    setting(chicago.alice, enabled=False)
    setting(chicago.paula, enabled=True)
    coaching_services.activity_log(
        actor=chicago.alice, kind=Activity.Kind.TOUCHPOINT, enrollment=chicago.enrollment, channel="email"
    )

    digests.send_due_digests(now=at(MONDAY, 7, 5))
    body = mailoutbox[0].body
    assert "- Teachers on a caseload: fewer than 5" in body
    assert "1:1 coaching time this program: not shown (fewer than 5 teachers)" in body


# --- the preferences page --------------------------------------------------------------------------


def test_it_lets_a_coach_choose_a_time_or_turn_it_off(client, cast):
    client.force_login(cast.alice)
    page = client.get(reverse("dashboard:digest")).content.decode()
    assert 'name="send_at"' in page and 'name="weekday"' not in page

    client.post(reverse("dashboard:digest"), {"enabled": "on", "send_at": "06:30"})
    assert DigestSetting.objects.get(user=cast.alice).send_at == datetime.time(6, 30)
    response = client.post(reverse("dashboard:digest"), {"send_at": "06:30"}, follow=True)
    assert "Digest turned off." in response.content.decode()
    assert DigestSetting.objects.get(user=cast.alice).enabled is False


def test_it_lets_a_principal_choose_the_day(client, cast):
    client.force_login(cast.paula)
    client.post(reverse("dashboard:digest"), {"enabled": "on", "send_at": "15:00", "weekday": "4"})

    saved = DigestSetting.objects.get(user=cast.paula)
    assert (saved.weekday, saved.send_at) == (DigestSetting.Weekday.FRIDAY, datetime.time(15))


def test_it_explains_a_bad_time(client, cast):
    client.force_login(cast.alice)

    response = client.post(reverse("dashboard:digest"), {"enabled": "on", "send_at": "25:99"})
    assert response.status_code == 200 and "Enter a valid time." in response.content.decode()


# --- with a real worker ----------------------------------------------------------------------------

MARKER = "CONFIDENTIAL-MARKER-91c2"
SEPARATOR = b"-" * 79 + b"\n"


def plant_markers(cast) -> None:
    """A unique marker in every confidential field of Maria's record, and in her name and e-mail."""
    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool, note=f"{MARKER} note")
    challenge = coaching_services.challenge_start(enrollment=cast.enrollment, problems=[f"{MARKER} problem"])
    coaching_services.challenge_identify(
        challenge=challenge, problems=[f"{MARKER} problem"], title=f"{MARKER} problem",
        improvement=f"{MARKER} improvement", category=ChallengeCategory.INSTRUCTIONAL,
        root_cause_notes=f"{MARKER} root cause",
    )  # fmt: skip
    coaching_services.candidate_add(
        challenge=challenge, strategy=cast.strategy, source=StrategyCandidate.Source.PLN, notes=f"{MARKER} cand"
    )
    Step.objects.update(notes=f"{MARKER} n", data_collected=f"{MARKER} d", next_steps=f"{MARKER} s")
    cast.teacher.name, cast.teacher.email = f"Maria {MARKER}", f"{MARKER.lower()}@example.org"
    cast.teacher.subject = f"{MARKER} science"
    cast.teacher.save()


def read_mail(mail_dir, count: int, seconds: float = 30) -> list[email.message.EmailMessage]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        raws = [p.read_bytes() for p in mail_dir.iterdir()]
        if len(raws) >= count and all(raw.endswith(SEPARATOR) for raw in raws):
            return [email.message_from_bytes(raw.removesuffix(SEPARATOR), policy=email.policy.default) for raw in raws]
        time.sleep(0.2)
    pytest.fail(f"The worker sent {len(list(mail_dir.iterdir()))} e-mails within {seconds} s, not {count}.")


def due_now(user, tz) -> None:
    """Make the person's digest due now: their time a few minutes ago, today (their weekday too)."""
    slot = timezone.localtime(timezone=tz) - datetime.timedelta(minutes=5)
    setting(user, send_at=slot.time().replace(second=0, microsecond=0), weekday=slot.weekday())


@pytest.mark.django_db(transaction=True)
def test_it_sends_digests_from_the_worker_and_the_principals_holds_nothing_confidential(cast, celery_worker):
    plant_markers(cast)
    enroll(cast, 1)  # a teacher alice has not seen: her digest has something to say
    tz = zoneinfo.ZoneInfo(cast.district.timezone)
    due_now(cast.alice, tz)
    due_now(cast.paula, tz)

    enqueue("dashboard.tasks.send_due_digests")
    enqueue("dashboard.tasks.send_due_digests")  # a second beat, or a re-run: nothing twice

    messages = {m["To"]: m for m in read_mail(celery_worker, 2)}
    assert set(messages) == {"alice@example.org", "paula@example.org"}
    principal = messages["paula@example.org"].get_content()
    assert "Lincoln Middle School" in principal and "fewer than 5" in principal
    assert MARKER not in principal and MARKER.lower() not in principal
    assert MARKER.lower() not in str(messages["paula@example.org"])  # headers too
    # The worker ran both tasks; still two e-mails.
    log = celery_worker.parent / "worker.log"
    deadline = time.monotonic() + 15
    # Wait for both tasks to finish ("send_due_digests" also appears once in the worker's list of tasks).
    while log.read_text().count("succeeded") < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert log.read_text().count("succeeded") >= 2
    assert len(list(celery_worker.iterdir())) == 2


def test_it_schedules_the_periodic_tasks_every_15_minutes():
    import importlib

    from config.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["send-due-digests"]["task"] == "dashboard.tasks.send_due_digests"
    for entry in schedule.values():
        importlib.import_module(entry["task"].rsplit(".", 1)[0])
        assert entry["task"] in app.tasks
    assert schedule["send-due-digests"]["schedule"] == schedule["relay-calendar-events"]["schedule"] == 15 * 60
