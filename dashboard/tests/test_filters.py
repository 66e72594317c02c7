"""The leaders' dashboards under their filters: a refused value leaves out only itself; the schools, coaches and
stories shown are those of the programs, school and period chosen; the school's CSV holds what its page shows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from coaching import services
from coaching.models import Enrollment
from dashboard import selectors
from dashboard.tests.helpers import Status, enroll, story
from testing import factories as f

pytestmark = pytest.mark.django_db
DISTRICT, SCHOOL = reverse("dashboard:district"), reverse("dashboard:school")
SCHOOLS, COACHES = reverse("dashboard:district_schools"), reverse("dashboard:district_coaches")
IGNORED = "The dates chosen were ignored, as they do not make a valid period: this covers the school year of the "
IGNORED += "programs so far."


@pytest.fixture
def roosevelt(cast):
    """Roosevelt High in the program, with Bob's five teachers (Lincoln has Maria, on Alice's caseload)."""
    school = f.SchoolFactory(district=cast.district, name="Roosevelt High")
    cast.program.schools.add(school)
    enroll(cast, 5, status=Status.REFLECT, coach=cast.bob, school=school)
    return school


@pytest.fixture
def pilot(cast):
    """A second running program at Lincoln, with Alice."""
    program = f.ProgramFactory(district=cast.district, name="Pilot program")
    program.schools.add(cast.school)
    program.coaches.add(cast.alice)
    return program


def _covering(page: str) -> str:
    """The page's "Covering …" line on screen (the print header has its own)."""
    return page.split('<p class="small text-body-secondary no-print">Covering ')[1].split("</p>")[0]


def _listed(client, query: dict | None = None) -> tuple[list, list]:
    """The schools and the coaches the district dashboard's two lists show under the filters of `query`."""
    schools, coaches = client.get(SCHOOLS, query or {}).context["schools"], client.get(COACHES, query or {}).context
    return [row.school for row, _ in schools], [row.coach for row in coaches["coaches"]]


def _csv(client, url: str, query: dict) -> list[str]:
    return client.get(url, {**query, "format": "csv"}).content.decode("utf-8-sig").splitlines()


# --- a refused value leaves out only itself ----------------------------------------------------------------

REFUSED_DATES = [
    ({"start": "2026-11-01", "end": "2026-09-01"}, "“From” must come before “To”."),  # the tester's query
    ({"start": "2020-01-01", "end": "2026-11-30"}, "Choose a range of at most three years."),
    ({"end": "1900-01-01"}, "“From” must come before “To”."),  # backwards from the school year's start
    ({"start": "not a date", "end": "2026-10-15"}, "Enter a valid date."),  # one date refused: both ignored
]


@pytest.mark.parametrize(("dates", "message"), REFUSED_DATES)
def test_it_keeps_the_school_chosen_when_it_ignores_the_dates_and_says_so(client, cast, roosevelt, dates, message):
    client.force_login(cast.dana)
    response = client.get(DISTRICT, {"school": roosevelt.pk, **dates})

    page = response.content.decode()
    assert message in page
    assert response.context["chosen_school"] == roosevelt
    assert _listed(client, {"school": roosevelt.pk, **dates}) == ([roosevelt], [cast.bob])  # Alice: none there
    assert response.context["period"] == selectors.program_period([cast.program], timezone.localdate())
    assert IGNORED in _covering(page)
    assert "school: Roosevelt High. " + IGNORED in page  # the print header
    lines = _csv(client, DISTRICT, {"school": roosevelt.pk, **dates})
    assert lines[1] == '"Covering","Programs","School","Note"'
    assert lines[2].endswith(f'"Roosevelt High","{IGNORED}"')
    schools = lines[lines.index('"Schools"') + 2 : lines.index('"Coaches"') - 1]
    assert [line.split(",")[0] for line in schools] == ['"Roosevelt High"']


@pytest.mark.parametrize(("dates", "message"), REFUSED_DATES)
def test_it_keeps_the_program_chosen_on_the_school_dashboard_when_it_ignores_the_dates(
    client, cast, pilot, dates, message
):
    client.force_login(cast.paula)
    response = client.get(SCHOOL, {"program": pilot.pk, **dates})

    assert message in response.content.decode()
    assert response.context["programs"] == [pilot]
    assert IGNORED in _covering(response.content.decode())
    lines = _csv(client, SCHOOL, {"program": pilot.pk, **dates})
    assert lines[2].endswith(f'"Pilot program","Lincoln Middle School","{IGNORED}"')


def test_it_keeps_the_dates_chosen_when_it_refuses_the_school(client, cast, roosevelt):
    client.force_login(cast.dana)
    response = client.get(DISTRICT, {"school": "999999", "start": "2026-09-10", "end": "2026-10-15"})

    page = response.content.decode()
    assert "Select a valid choice." in page
    assert _covering(page).startswith("September 2026 to October 2026 (figures count whole months)")
    assert "ignored" not in _covering(page)
    assert "; all schools (filters with an error were ignored).</p>" in page  # the print header
    query = {"school": "999999", "start": "2026-09-10", "end": "2026-10-15"}
    assert _listed(client, query)[0] == [cast.school, roosevelt]  # all schools, the one refused left out


def test_it_says_nothing_was_ignored_when_the_filters_are_valid(client, cast):
    client.force_login(cast.dana)
    lines = _csv(client, DISTRICT, {"start": "2026-09-10", "end": "2026-10-15"})
    assert lines[1] == '"Covering","Programs","School"'
    assert "ignored" not in client.get(DISTRICT).content.decode()


# --- the schools and coaches of the programs chosen -------------------------------------------------------


def test_it_sets_side_by_side_the_schools_and_coaches_of_the_programs_chosen(client, cast, roosevelt):
    pilot = f.ProgramFactory(district=cast.district, name="Pilot program")
    pilot.schools.add(roosevelt)
    pilot.coaches.add(cast.bob)
    f.SchoolFactory(district=cast.district, name="Washington Elementary")  # in no program
    carol = f.UserFactory(full_name="Carol")
    f.MembershipFactory(user=carol, district=cast.district, role="coach")  # in no program
    client.force_login(cast.dana)

    assert _listed(client, {"program": pilot.pk}) == ([roosevelt], [cast.bob])
    assert _listed(client) == ([cast.school, roosevelt], [cast.alice, cast.bob])  # every running program

    lines = _csv(client, DISTRICT, {"program": pilot.pk})
    assert '"Washington Elementary"' not in "".join(lines) and '"Carol"' not in "".join(lines)
    assert [line.split(",")[0] for line in lines[lines.index('"Coaches"') + 2 :][:1]] == ['"Bob"']


def test_it_keeps_a_school_and_a_coach_whose_teachers_were_coached_in_the_program(client, cast, roosevelt):
    """A school or coach taken off a program once its caseloads ended keeps the year's figures on the page."""
    for enrollment in Enrollment.objects.filter(coach=cast.bob):
        enrollment.ends_on = timezone.localdate()
        enrollment.save()
    cast.program.schools.remove(roosevelt)
    cast.program.coaches.remove(cast.bob)
    client.force_login(cast.dana)

    assert _listed(client) == ([cast.school, roosevelt], [cast.alice, cast.bob])


def test_it_lists_only_the_coaches_with_teachers_at_the_school_chosen(client, cast, roosevelt):
    client.force_login(cast.dana)

    response = client.get(COACHES, {"school": cast.school.pk})

    assert [row.coach for row in response.context["coaches"]] == [cast.alice]
    page = response.content.decode()
    assert "Each coach with teachers at Lincoln Middle School in the program shown, counting those teachers" in page
    assert "the standards (of 18) tagged on the 1:1 work with them (not the coach's school-wide work)" in page
    assert "tagged on their 1:1 work in these programs and on their school-wide work" in client.get(COACHES).text
    page = client.get(DISTRICT, {"school": cast.school.pk}).content.decode()
    assert "<caption>School average per indicator (1–5), baseline → latest</caption>" in page
    assert "Coaching at Lincoln Middle School, month by month" in page
    page = client.get(DISTRICT).content.decode()
    assert "<caption>District average per indicator (1–5), baseline → latest</caption>" in page


def test_it_says_why_no_school_or_coach_is_listed(client, cast):
    empty = f.ProgramFactory(district=cast.district, name="Empty program")
    client.force_login(cast.dana)

    page = client.get(SCHOOLS, {"program": empty.pk}).content.decode()
    assert "No school takes part in the program shown yet." in page
    assert "No schools yet. Import your roster" not in page
    assert "No coach works in the program shown yet." in client.get(COACHES, {"program": empty.pk}).text


# --- stories of the school and period chosen ---------------------------------------------------------------


def test_it_shows_the_district_the_stories_told_at_the_school_and_in_the_period_chosen(client, cast, roosevelt):
    there = Enrollment.objects.filter(teacher__school=roosevelt).first()
    story(cast.enrollment, "At Lincoln", share_with_district=True)
    story(there, "At Roosevelt", share_with_district=True)
    story(there, "In September", share_with_district=True, told_on=datetime.date(2026, 9, 30))
    client.force_login(cast.dana)

    page = client.get(DISTRICT, {"school": roosevelt.pk}).content.decode()
    assert "At Roosevelt" in page and "In September" in page and "At Lincoln" not in page

    page = client.get(DISTRICT, {"start": "2026-09-10", "end": "2026-09-11"}).content.decode()
    assert "In September" in page  # the period's whole months, as its "Covering" line names them
    assert "At Roosevelt" not in page and "At Lincoln" not in page

    page = client.get(DISTRICT, {"school": cast.school.pk, "start": "2026-09-01", "end": "2026-09-30"}).content
    assert "No story shared with the district was told in this period about a teacher at Lincoln" in page.decode()


def test_it_shows_the_stories_of_the_program_chosen(client, cast, pilot):
    in_pilot = f.EnrollmentFactory(program=pilot, coach=cast.alice, teacher=f.TeacherFactory(school=cast.school))
    story(cast.enrollment, "In the school year's program", share_with_district=True, share_with_principal=True)
    story(in_pilot, "In the pilot", share_with_district=True, share_with_principal=True)

    for who, url in ((cast.dana, DISTRICT), (cast.paula, SCHOOL)):
        client.force_login(who)
        page = client.get(url, {"program": pilot.pk}).content.decode()
        assert "In the pilot" in page and "In the school year&#x27;s program" not in page
        page = client.get(url).content.decode()  # every running program
        assert "In the pilot" in page and "In the school year&#x27;s program" in page


def test_it_shows_a_principal_the_stories_told_in_the_period_chosen(client, cast):
    story(cast.enrollment, "This week", share_with_principal=True)
    story(cast.enrollment, "Last spring", share_with_principal=True, told_on=datetime.date(2026, 4, 20))
    client.force_login(cast.paula)

    page = client.get(SCHOOL).content.decode()  # the school year so far
    assert "This week" in page and "Last spring" not in page

    page = client.get(SCHOOL, {"start": "2026-04-01", "end": "2026-05-31"}).content.decode()
    assert "Last spring" in page and "This week" not in page


# --- the school's CSV holds what its page shows -----------------------------------------------------------------


@pytest.mark.parametrize(("teachers", "engaged"), [(1, "fewer than 5"), (6, "60")])
def test_it_exports_the_schools_roster_share_and_school_wide_activities(client, cast, teachers, engaged):
    enroll(cast, teachers - 1)
    for _ in range(10 - teachers):
        f.TeacherFactory(school=cast.school)  # rostered, on no caseload: 10 rostered in all
    for kind in ("plc", "principal_meeting"):
        services.activity_log(actor=cast.alice, kind=kind, school=cast.school, minutes=30)
    client.force_login(cast.paula)

    page = client.get(SCHOOL).content.decode()
    lines = _csv(client, SCHOOL, {})

    header, row = lines[5].split(","), lines[6].split(",")
    assert header[-4:] == ['"School-wide minutes"', '"School-wide activities"', '"Teachers rostered"',
                           '"Per cent of rostered on a caseload"']  # fmt: skip
    assert row[-4:] == ['"60"', '"2"', '"10"', f'"{engaged}"']
    assert "(2 activities)" in page
    if teachers >= 5:
        assert "60% of the 10 rostered" in page
