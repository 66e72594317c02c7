"""Control characters never reach an e-mail header or an .ics line (issue 7, item 6).

A name is one line of text. Forms refuse control characters in every single-line field
(config.forms.SingleLineField); roster imports replace them with spaces and say so on the import's
page; and whatever is stored, the invitation builds its headers and calendar lines through
config.text.single_line, so nothing stored can break them.
"""

import csv
import email
import email.policy
import io
import itertools
import re

import pytest
from django import forms
from django.core import mail
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from accounts.models import RosterImport
from coaching import services as coaching
from coaching.invitations import send_calendar_event
from coaching.models import CalendarEvent, Challenge, Step, Teacher
from config.forms import SingleLineField
from config.text import CONTROL_CHARACTERS, single_line
from testing import factories as f
from testing.roster_files import TEACHERS_HEADER, make_zip, run_import

pytestmark = pytest.mark.django_db
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

INJECTION = "Newline Teacher\r\nBcc: attacker@example.invalid"
# Every character Unicode calls a control (C0, DEL, C1: CR, LF, tab, NEL…) or a line/paragraph separator.
CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)]


def teachers_csv(*rows: list[str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(TEACHERS_HEADER.split(","))
    writer.writerows(rows)
    return make_zip(teachers=buffer.getvalue().encode())


def import_teacher(cast, name: str, email_address: str) -> RosterImport:
    payload = teachers_csv([cast.school.name, name, email_address, "Science", "middle"])
    return run_import(cast.district, payload, kind=RosterImport.Kind.TEACHERS_CSV, filename="teachers.csv")


def implementing(cast, teacher) -> Challenge:
    enrollment = f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=teacher)
    challenge = coaching.challenge_start(enrollment=enrollment, problems=["Quiet groups"])
    coaching.challenge_identify(challenge=challenge, problems=["Quiet groups"], title="Quiet groups",
                                improvement="group discussion", category="instructional")  # fmt: skip
    coaching.candidate_add(challenge=challenge, strategy=cast.strategy, source="research")
    coaching.investigation_finish(challenge=challenge)
    return coaching.challenge_select_strategy(challenge=challenge, strategy=cast.strategy, tools=[cast.tool])


def schedule(client, challenge, capture):
    """Schedule the planning meeting with the teacher invited, as the coach does on the page."""
    url = reverse("coaching:step_new", args=[challenge.pk, Step.Kind.PLAN_MEETING])
    data = {"date": f.day(2).isoformat(), "time": "10:00", "minutes": "30", "invite_teacher": "on"}
    with capture(execute=True):  # the invitation is queued on commit and sent (eager Celery)
        return client.post(url, data)


def assert_well_formed(message, *, recipients: list[str]) -> None:
    """One line per header, no header the sender did not write, and an .ics whose every line is a content line."""
    raw = message.message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert {name.lower() for name in parsed.keys()} <= {
        "content-type", "mime-version", "subject", "from", "to", "date", "message-id",
    }  # fmt: skip
    headers = raw.split(b"\n\n", 1)[0]
    assert not re.search(rb"^bcc:", headers, re.IGNORECASE | re.MULTILINE)  # a header line, not folded text
    assert message.recipients() == recipients
    for value in (message.subject, str(parsed["subject"])):
        assert not CONTROL_CHARACTERS.search(value), repr(value)
    [(_, ics, _)] = message.attachments
    [(alternative, _)] = message.alternatives  # the same iTIP object as a text/calendar part
    ics = ics.encode() if isinstance(ics, str) else ics
    assert alternative.encode() == ics
    assert ics.endswith(b"\r\n") and b"\r\n\r\n" not in ics
    unfolded = ics.replace(b"\r\n ", b"").decode()
    for line in unfolded.split("\r\n")[:-1]:
        # RFC 5545 §3.1: name *(";" param) ":" value, and no control character but tab in a value.
        assert re.fullmatch(r"[A-Z-]+(;[^\x00-\x1f\x7f:]+(:[^\x00-\x1f\x7f;:]*)?)*:[^\x00-\x08\x0a-\x1f\x7f]*", line), (
            line
        )
        assert not re.search("[\x80-\x9f\u2028\u2029]", line), repr(line)
    [vevent] = Calendar.from_ical(ics).walk("VEVENT")
    assert str(vevent["summary"]).startswith("Planning meeting with ")


# --- the probe's input -------------------------------------------------------------------------------


def test_it_imports_the_probes_name_on_one_line_and_schedules_without_an_error(
    cast, client, django_capture_on_commit_callbacks
):
    done = import_teacher(cast, INJECTION, "newline@example.org")

    assert done.status == RosterImport.Status.SUCCEEDED
    teacher = Teacher.objects.get(email="newline@example.org")
    assert teacher.name == "Newline Teacher Bcc: attacker@example.invalid"
    assert done.warnings == [
        {"file": "teachers.csv", "row": 2, "message": "name had line breaks or other control characters: "
                                                      "each run became a space."}
    ]  # fmt: skip
    client.force_login(cast.alice)

    response = schedule(client, implementing(cast, teacher), django_capture_on_commit_callbacks)

    assert response.status_code == 302
    [message] = mail.outbox
    assert_well_formed(message, recipients=["alice@example.org", "newline@example.org"])
    assert "attacker@example.invalid" not in message.recipients()


def test_it_shows_the_rows_an_import_changed(cast, client):
    done = import_teacher(cast, INJECTION, "newline@example.org")
    client.force_login(cast.dana)

    page = " ".join(client.get(reverse("rosters:detail", args=[done.pk])).content.decode().split())

    assert "The import changed 1 value" in page
    assert "name had line breaks or other control characters: each run became a space." in page


# --- forms refuse --------------------------------------------------------------------------------------


def test_it_uses_the_single_line_field_for_every_single_line_text_field():
    checked, wrong = 0, []
    for form in f.project_form_classes():
        for name, field in form.base_fields.items():
            multi_line = isinstance(field.widget, forms.Textarea | forms.PasswordInput | forms.HiddenInput)
            if not isinstance(field, forms.CharField) or multi_line:
                continue
            checked += 1
            if not isinstance(field, SingleLineField | forms.EmailField | forms.URLField):
                wrong.append(f"{form.__module__}.{form.__name__}.{name}")
    assert checked >= 15
    assert wrong == [], f"Make these config.forms.SingleLineField (or a ModelForm of config.forms): {wrong}"


@pytest.mark.parametrize("control", ["\r\n", "\n", "\r", "\t", "\x0b", "\x85", "\u2028", "\x1b"], ids=repr)
def test_it_refuses_a_name_with_a_control_character_in_a_form(cast, client, control):
    client.force_login(cast.dana)

    response = client.post(reverse("accounts:invite"), {
        "email": "new@example.org", "full_name": f"New{control}Bcc: attacker@example.invalid", "role": "coach",
        "schools": [cast.school.pk],
    })  # fmt: skip

    assert response.status_code == 200
    assert "Use a single line of plain text" in response.content.decode()
    assert not mail.outbox


def test_it_refuses_control_characters_in_a_library_title(cast, client):
    client.force_login(cast.dana)
    data = {"title": "Think\r\npair", "category": "instructional", "itu_indicator": "collaboration",
            "grade_band": "all"}  # fmt: skip
    response = client.post(reverse("district:strategy_new"), data)
    assert "Use a single line of plain text" in response.content.decode()


# --- the property: whatever the name, import → schedule → invitation holds ---------------------------------

NAMES = st.builds(
    lambda head, middle, tail: f"{head}{middle}{tail}",
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzéñ ", min_size=1, max_size=20).filter(
        str.strip
    ),
    st.lists(
        st.sampled_from(CONTROLS) | st.text(max_size=5) | st.just("\r\nBcc: attacker@example.invalid"), max_size=6
    ).map("".join),  # fmt: skip
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=10),
)


TEACHERS = itertools.count()


@EXAMPLES
@given(name=NAMES)
@example(name="A  A")  # CI drew it: a run of spaces in a name without a control character was kept
def test_it_survives_any_name_from_import_to_invitation(cast, client, django_capture_on_commit_callbacks, name):
    mail.outbox.clear()
    # A new teacher each example (they share the test's database): the same name drawn twice, given one address,
    # was the same teacher, put on a caseload of the program a second time (which the database refuses).
    address = f"t{next(TEACHERS)}@example.org"
    done = import_teacher(cast, name, address)
    event(done.status)
    if done.status != RosterImport.Status.SUCCEEDED:  # too long once cleaned, say: refused in words
        assert done.errors and all(error["message"] for error in done.errors)
        return
    teacher = Teacher.objects.get(email=address)
    assert not CONTROL_CHARACTERS.search(teacher.name)
    assert teacher.name == single_line(name)
    client.force_login(cast.alice)

    response = schedule(client, implementing(cast, teacher), django_capture_on_commit_callbacks)

    assert response.status_code == 302
    [message] = mail.outbox
    assert_well_formed(message, recipients=["alice@example.org", address])


# What a column can hold: PostgreSQL stores no NUL in text, and a name is at most 200 characters (the teacher's,
# the school's and the coach's alike).
STORABLE = NAMES.map(lambda name: name.replace("\x00", "")[:200])


@EXAMPLES
@given(name=STORABLE, school=STORABLE, coach=STORABLE)
def test_it_builds_a_well_formed_invitation_whatever_is_stored(cast, implementing_challenge, name, school, coach):
    """Defence in depth: a value stored some other way (the Django admin, an old import) still cannot break a header."""
    mail.outbox.clear()
    with transaction.atomic():
        Teacher.objects.filter(pk=cast.teacher.pk).update(name=name)
        type(cast.school).objects.filter(pk=cast.school.pk).update(name=school)
        type(cast.alice).objects.filter(pk=cast.alice.pk).update(full_name=coach)
        step = coaching.step_log(challenge=implementing_challenge, kind=Step.Kind.PLAN_MEETING, starts_at=f.at(2, 10),
                                 done=False, invite_teacher=True)  # fmt: skip
        # And the calendar event as it might have been stored before: raw names in every field.
        attendees = [{"email": "alice@example.org", "name": coach}, {"email": "maria@example.org", "name": name}]
        CalendarEvent.objects.filter(step=step).update(summary=f"Planning meeting with {name}"[:300],
                                                       location=school[:200], attendees=attendees)  # fmt: skip

        assert send_calendar_event(event_id=step.calendar_event.pk) == 1

        [message] = mail.outbox
        assert_well_formed(message, recipients=["alice@example.org", "maria@example.org"])
        transaction.set_rollback(True)  # the next example schedules the same meeting afresh
