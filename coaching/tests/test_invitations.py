"""Calendar invitations of scheduled steps (RFC 5545/5546), built and sent in-process (eager Celery, locmem
mail). Every .ics is read by three parsers (testing.ical): icalendar, vobject and ics must agree."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from coaching import invitations, services
from coaching.models import CalendarEvent, Step
from testing.ical import lines_fold_right, read_one

pytestmark = pytest.mark.django_db

HOST = "cadence.riverside.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = f"https://{HOST}"
    settings.DEFAULT_FROM_EMAIL = "Cadence <cadence@riverside.example>"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write as if it committed: its queued tasks run (eagerly) right after it."""

    def committed(write, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(**kwargs)

    return committed


@pytest.fixture
def schedule(implementing_challenge, tomorrow_at_ten, committed):
    """Schedule the planning meeting of cycle 1, committed (its invitation is sent)."""

    def schedule(**fields) -> Step:
        fields = {"done": False, "starts_at": tomorrow_at_ten, "minutes": 45, **fields}
        return committed(services.step_log, challenge=implementing_challenge, kind=Step.Kind.PLAN_MEETING, **fields)

    return schedule


def calendar_parts(message) -> tuple[bytes, bytes]:
    """The text/calendar alternative (its method) and the invite.ics attachment of a sent message."""
    mime = message.message()
    alternative = [p for p in mime.walk() if p.get_content_type() == "text/calendar"]
    attachment = [p for p in mime.walk() if p.get_filename() == "invite.ics"]
    assert len(alternative) == 1 and len(attachment) == 1
    [part] = alternative
    assert part.get_filename() is None  # shown inline as the invitation, not as a file
    return part.get_param("method"), part.get_payload(decode=True), attachment[0].get_payload(decode=True)


def sent(message):
    """The one event of a sent message, after checking that both copies of it agree."""
    method, inline, attached = calendar_parts(message)
    assert inline == attached
    event = read_one(inline)
    assert event.method == method
    return event


def test_it_sends_an_invitation_that_calendars_show_as_one(schedule, mailoutbox, tomorrow_at_ten):
    step = schedule()

    [message] = mailoutbox
    method, inline, _ = calendar_parts(message)
    assert method == "REQUEST"
    assert message.alternatives[0].mimetype.startswith("text/calendar; method=REQUEST")
    event = read_one(inline)
    assert event.method == "REQUEST" and event.status == "CONFIRMED"
    assert event.uid == f"step-{step.pk}@{HOST}"
    assert event.sequence == 0
    assert event.summary == "Planning meeting with Maria Rivera"
    assert event.start == tomorrow_at_ten.astimezone(datetime.UTC)
    assert event.end == tomorrow_at_ten.astimezone(datetime.UTC) + datetime.timedelta(minutes=45)


def test_it_names_cadence_the_organizer_on_the_coachs_behalf(schedule, mailoutbox):
    schedule(invite_teacher=True)

    event = sent(mailoutbox[0])
    assert event.organizer == ("cadence@riverside.example", "Alice via Cadence")
    assert event.attendees == (
        ("alice@example.org", "Alice", "ACCEPTED"),  # the coach scheduled it: not asked to reply to herself
        ("maria@example.org", "Maria Rivera", "NEEDS-ACTION"),
    )
    assert mailoutbox[0].to == ["alice@example.org", "maria@example.org"]


def test_it_invites_only_the_coach_by_default(schedule, mailoutbox):
    schedule(invite_teacher=False)

    assert mailoutbox[0].to == ["alice@example.org"]
    assert sent(mailoutbox[0]).attendees == (("alice@example.org", "Alice", "ACCEPTED"),)


def test_it_skips_a_teacher_without_an_email_address(cast, schedule, mailoutbox):
    cast.teacher.email = ""
    cast.teacher.save()
    schedule(invite_teacher=True)

    assert mailoutbox[0].to == ["alice@example.org"]


def test_it_writes_times_in_utc(schedule, mailoutbox):
    schedule()

    _, raw, _ = calendar_parts(mailoutbox[0])
    times = [line for line in raw.decode().splitlines() if line.startswith(("DTSTART", "DTEND", "DTSTAMP"))]
    assert len(times) == 3 and all(line.endswith("Z") and ";" not in line for line in times), times


def test_it_folds_long_lines_and_every_parser_unfolds_them(cast, schedule, mailoutbox):
    cast.teacher.name = "Maria José Rivera-Castellanos de la Fuente " + "é" * 40
    cast.teacher.save()
    schedule(invite_teacher=True)

    _, raw, _ = calendar_parts(mailoutbox[0])
    assert lines_fold_right(raw)
    assert b"\r\n " in raw  # something long enough was folded
    assert sent(mailoutbox[0]).summary == f"Planning meeting with {cast.teacher.name}"


def test_it_puts_the_installations_host_in_the_uid(settings, schedule, mailoutbox):
    settings.SITE_URL = "https://coaching.other-district.example:8443/"
    step = schedule()

    assert sent(mailoutbox[0]).uid == f"step-{step.pk}@coaching.other-district.example"


def test_it_takes_the_host_from_allowed_hosts_without_a_site_url(settings):
    settings.SITE_URL, settings.ALLOWED_HOSTS = "", [".example.org", "cadence.example.org"]

    assert invitations.step_uid(7) == "step-7@cadence.example.org"


def test_it_increments_the_sequence_across_three_updates_in_one_second(schedule, committed, mailoutbox):
    step = schedule()
    started = datetime.datetime.now()
    for minutes in (50, 55, 60):
        committed(services.step_update, step=step, starts_at=step.starts_at, minutes=minutes, done=False)
    assert datetime.datetime.now() - started < datetime.timedelta(seconds=1)

    events = [sent(message) for message in mailoutbox]
    assert [e.sequence for e in events] == [0, 1, 2, 3]
    assert {e.uid for e in events} == {f"step-{step.pk}@{HOST}"}  # the same event, updated
    assert [e.end - e.start for e in events][-1] == datetime.timedelta(minutes=60)
    step.refresh_from_db()
    assert step.sequence == 3


def test_it_keeps_the_uid_when_a_step_is_rescheduled(schedule, committed, mailoutbox):
    step = schedule()
    later = step.starts_at + datetime.timedelta(days=1)
    committed(services.step_update, step=step, starts_at=later, done=False)

    first, second = (sent(m) for m in mailoutbox)
    assert first.uid == second.uid and second.sequence == first.sequence + 1
    assert second.start == later.astimezone(datetime.UTC)


def test_it_sends_nothing_when_nothing_a_calendar_shows_changed(schedule, committed, mailoutbox):
    step = schedule()
    committed(services.step_update, step=step, starts_at=step.starts_at, done=False, notes="Bring the rubric.")

    assert len(mailoutbox) == 1


def test_it_invites_the_teacher_ticked_later_without_a_new_time(schedule, committed, mailoutbox):
    step = schedule(invite_teacher=False)
    committed(services.step_update, step=step, starts_at=step.starts_at, done=False, invite_teacher=True)

    assert len(mailoutbox) == 2
    assert mailoutbox[1].to == ["alice@example.org", "maria@example.org"]
    event = sent(mailoutbox[1])
    assert event.method == "REQUEST" and event.sequence == 1
    assert [a[0] for a in event.attendees] == ["alice@example.org", "maria@example.org"]


def test_it_cancels_the_teachers_copy_when_unticked(schedule, committed, mailoutbox):
    step = schedule(invite_teacher=True)
    committed(services.step_update, step=step, starts_at=step.starts_at, done=False, invite_teacher=False)

    _, update, cancel = mailoutbox
    assert update.to == ["alice@example.org"] and sent(update).method == "REQUEST"
    assert cancel.to == ["maria@example.org"]
    event = sent(cancel)
    assert (event.method, event.status, event.sequence) == ("CANCEL", "CANCELLED", 1)
    assert [a[0] for a in event.attendees] == ["maria@example.org"]


def test_it_cancels_a_step_the_coach_cancels(schedule, committed, mailoutbox):
    step = schedule(invite_teacher=True)
    step_id = step.pk
    committed(services.step_cancel, step=step)

    assert not Step.objects.filter(pk=step_id).exists()
    cancel = mailoutbox[1]
    assert cancel.subject.startswith("Cancelled: Planning meeting with Maria Rivera")
    assert cancel.to == ["alice@example.org", "maria@example.org"]
    event = sent(cancel)
    assert (event.method, event.status, event.sequence) == ("CANCEL", "CANCELLED", 1)
    assert event.uid == f"step-{step_id}@{HOST}"
    assert not CalendarEvent.objects.exists()  # sent, then forgotten: the step is gone


def test_it_lets_the_cycle_schedule_the_kind_again_after_a_cancel(schedule, committed, implementing_challenge):
    step = schedule()
    committed(services.step_cancel, step=step)

    again = schedule()
    assert again.kind == step.kind and again.pk != step.pk


def test_it_refuses_to_cancel_a_done_step(schedule):
    step = schedule(done=True, starts_at=datetime.datetime(2026, 9, 1, 10, tzinfo=datetime.UTC))

    with pytest.raises(ValidationError, match="it happened"):
        services.step_cancel(step=step)


def test_it_refuses_to_cancel_a_step_with_a_later_step_after_it(schedule, implementing_challenge, tomorrow_at_ten):
    plan = schedule()
    services.step_log(
        challenge=implementing_challenge,
        kind=Step.Kind.VISIT,
        visit_mode=Step.VisitMode.OBSERVE,
        done=False,
        starts_at=tomorrow_at_ten + datetime.timedelta(days=2),
    )

    with pytest.raises(ValidationError, match="Cancel the classroom visit of this cycle first"):
        services.step_cancel(step=plan)
    assert Step.objects.filter(pk=plan.pk).exists()


def test_it_cancels_scheduled_steps_when_the_teacher_is_erased(cast, schedule, committed, mailoutbox):
    from dashboard import services as dashboard_services

    step = schedule(invite_teacher=True)
    committed(dashboard_services.teacher_erase, actor=cast.dana, teacher=cast.teacher, confirmation="Maria Rivera")

    cancel = mailoutbox[1]
    assert cancel.to == ["alice@example.org", "maria@example.org"]
    event = sent(cancel)
    assert (event.uid, event.method, event.status) == (f"step-{step.pk}@{HOST}", "CANCEL", "CANCELLED")
    assert not CalendarEvent.objects.exists()  # nothing of the erased teacher stays


def test_it_keeps_nothing_of_an_erased_teachers_done_steps(cast, schedule, committed, mailoutbox):
    from dashboard import services as dashboard_services

    step = schedule()
    committed(services.step_update, step=step, starts_at=step.starts_at, done=True)
    committed(dashboard_services.teacher_erase, actor=cast.dana, teacher=cast.teacher, confirmation="Maria Rivera")

    assert len(mailoutbox) == 1  # the done step happened: no cancellation
    assert not CalendarEvent.objects.exists()


def test_it_cancels_scheduled_steps_when_the_enrollment_ends(cast, schedule, committed, mailoutbox):
    from districts import services as district_services

    step = schedule()
    committed(district_services.enrollment_end, actor=cast.dana, enrollment=cast.enrollment)

    event = sent(mailoutbox[1])
    assert (event.method, event.status, event.sequence) == ("CANCEL", "CANCELLED", 1)
    assert Step.objects.filter(pk=step.pk).exists()  # the coach's record stays


def test_it_sends_nothing_more_once_the_enrollment_ended(cast, schedule, committed, mailoutbox):
    from districts import services as district_services

    step = schedule()
    committed(district_services.enrollment_end, actor=cast.dana, enrollment=cast.enrollment)
    step.refresh_from_db()
    committed(services.step_update, step=step, starts_at=step.starts_at, minutes=90, done=False)

    assert [sent(m).method for m in mailoutbox] == ["REQUEST", "CANCEL"]


def test_it_cancels_scheduled_steps_when_the_teacher_moves_to_another_coach(cast, schedule, committed, mailoutbox):
    from districts import services as district_services

    schedule(invite_teacher=True)
    committed(district_services.enrollment_move, actor=cast.dana, enrollment=cast.enrollment, coach=cast.bob)

    assert [sent(m).method for m in mailoutbox] == ["REQUEST", "CANCEL"]
    assert mailoutbox[1].to == ["alice@example.org", "maria@example.org"]


def test_it_sends_each_sequence_once(schedule, mailoutbox):
    step = schedule()
    event = CalendarEvent.objects.get(step=step)

    assert invitations.send_calendar_event(event_id=event.pk) == 0  # a redelivered task
    assert len(mailoutbox) == 1


def test_it_does_not_invite_for_a_step_logged_as_done(schedule, mailoutbox):
    schedule(done=True, starts_at=datetime.datetime(2026, 9, 1, 10, tzinfo=datetime.UTC))

    assert mailoutbox == []
    assert not CalendarEvent.objects.exists()


def test_it_sends_the_invitation_only_once_the_step_is_committed(
    implementing_challenge, tomorrow_at_ten, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.step_log(
            challenge=implementing_challenge, kind=Step.Kind.PLAN_MEETING, done=False, starts_at=tomorrow_at_ten
        )
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1


def test_it_relays_a_change_whose_task_was_lost(schedule, committed, mailoutbox, django_capture_on_commit_callbacks):
    step = schedule()
    with django_capture_on_commit_callbacks(execute=False):  # the broker lost the task
        services.step_update(step=step, starts_at=step.starts_at, minutes=90, done=False)
    assert len(mailoutbox) == 1

    from coaching.tasks import relay_calendar_events

    relay_calendar_events()
    assert [sent(m).sequence for m in mailoutbox] == [0, 1]


# --- the Cancel action -------------------------------------------------------------------------------


def test_it_asks_before_cancelling(client, cast, schedule):
    step = schedule()
    client.force_login(cast.alice)

    response = client.get(reverse("coaching:step_cancel", args=[step.pk]))
    assert response.status_code == 200
    assert "Cancel the planning meeting?" in response.content.decode()
    assert Step.objects.filter(pk=step.pk).exists()


def test_it_cancels_on_post_and_says_so(client, cast, schedule, mailoutbox):
    step_id = schedule().pk
    client.force_login(cast.alice)

    response = client.post(reverse("coaching:step_cancel", args=[step_id]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("coaching:teacher", args=[cast.teacher.pk])
    assert "Planning meeting cancelled." in response.content.decode()
    assert not Step.objects.filter(pk=step_id).exists()


def test_it_explains_why_a_step_cannot_be_cancelled(client, cast, schedule):
    step = schedule(done=True, starts_at=datetime.datetime(2026, 9, 1, 10, tzinfo=datetime.UTC))
    client.force_login(cast.alice)

    page = client.get(reverse("coaching:step_cancel", args=[step.pk])).content.decode()
    assert "it happened, so it cannot be cancelled" in page
    response = client.post(reverse("coaching:step_cancel", args=[step.pk]), follow=True)
    assert "it happened, so it cannot be cancelled" in response.content.decode()
    assert Step.objects.filter(pk=step.pk).exists()


def test_it_offers_the_cancel_action_on_a_scheduled_step_only(client, cast, schedule):
    step = schedule()
    client.force_login(cast.alice)
    cancel_url = reverse("coaching:step_cancel", args=[step.pk])

    assert cancel_url in client.get(reverse("coaching:step_edit", args=[step.pk])).content.decode()
    Step.objects.filter(pk=step.pk).update(done=True)
    assert cancel_url not in client.get(reverse("coaching:step_edit", args=[step.pk])).content.decode()


def test_it_keeps_another_coachs_steps_out_of_reach(client, cast, schedule):
    step = schedule()
    client.force_login(cast.bob)

    assert client.post(reverse("coaching:step_cancel", args=[step.pk])).status_code == 404
    assert Step.objects.filter(pk=step.pk).exists()


def test_it_gives_each_step_its_own_uid(cast, schedule, implementing_challenge, mailoutbox):
    plan = schedule()
    visit = services.step_log(
        challenge=implementing_challenge,
        kind=Step.Kind.VISIT,
        visit_mode=Step.VisitMode.OBSERVE,
        done=False,
        starts_at=plan.starts_at + datetime.timedelta(days=1),
    )
    assert CalendarEvent.objects.get(step=plan).uid != CalendarEvent.objects.get(step=visit).uid
