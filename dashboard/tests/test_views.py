"""The dashboard's pages: who may open each, what they show, and in how many queries."""

import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Role
from coaching.models import Goal, ImpactStory, Teacher
from dashboard import selectors
from dashboard.models import DataExport
from dashboard.tests.helpers import Status, enroll, full_record, story
from testing import factories as f
from testing.fixtures import form_on, post_twice_at_once

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


# --- the school summary -----------------------------------------------------------------------------------


def test_it_shows_a_principal_suppressed_figures_and_says_why(client, cast):
    enroll(cast, 3, status=Status.REFLECT)  # four teachers with Maria
    client.force_login(cast.paula)

    page = client.get(reverse("dashboard:school")).content.decode()

    assert '<h1 class="h2 mb-0">Lincoln Middle School</h1>' in page
    assert page.count("fewer than 5") >= 6
    assert "Why some figures say “fewer than 5”" in page


def test_it_shows_the_numbers_once_the_group_is_large_enough(client, cast):
    enroll(cast, 5, status=Status.REFLECT)  # and Maria, who has no challenge yet
    client.force_login(cast.paula)

    page = client.get(reverse("dashboard:school", kwargs={"school_id": cast.school.pk})).content.decode()

    assert '<div class="stat">6</div>' in page
    assert page.count('<td class="text-end text-nowrap">5</td>') == 4  # each kind of step, and the open challenges


def test_it_never_shows_a_principal_a_teachers_coaching_record(client, cast):
    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool, note="Maria cried after the visit")
    ImpactStory.objects.update(share_with_principal=False)
    enroll(cast, 5, status=Status.REFLECT)
    client.force_login(cast.paula)

    page = client.get(reverse("dashboard:school")).content.decode()

    for secret in ("Maria", "cried", "Quiet groups", cast.strategy.title, "Students wait for answers"):
        assert secret not in page


def test_it_shows_the_principal_consented_stories_only(client, cast):
    story(cast.enrollment, "Shared with Paula", share_with_principal=True)
    story(cast.enrollment, "Kept private")
    story(cast.enrollment, "Shared with the district", share_with_district=True)
    client.force_login(cast.paula)

    page = client.get(reverse("dashboard:school")).content.decode()

    assert "Shared with Paula" in page and "Maria Rivera" in page
    assert "Kept private" not in page and "Shared with the district" not in page


def test_it_switches_schools_for_an_admin(client, cast):
    other = f.SchoolFactory(district=cast.district, name="Roosevelt Elementary")
    client.force_login(cast.dana)

    page = client.get(reverse("dashboard:school"), {"school": other.pk}).content.decode()

    assert ">Roosevelt Elementary</h1>" in page and "Show another school" in page
    assert "District overview" in page


def test_it_keeps_a_principal_to_their_own_schools(client, cast):
    other = f.SchoolFactory(district=cast.district, name="Roosevelt Elementary")
    client.force_login(cast.paula)

    assert client.get(reverse("dashboard:school", kwargs={"school_id": other.pk})).status_code == 403
    page = client.get(reverse("dashboard:school"), {"school": other.pk}).content.decode()
    assert ">Lincoln Middle School</h1>" in page and "Roosevelt" not in page


def test_it_shows_the_school_summary_in_constant_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.paula)
    url = reverse("dashboard:school")
    with django_assert_num_queries(17) as small:
        client.get(url)
    goals = [Goal.objects.create(district=cast.district, school=school, title="Talk") for school in (cast.school, None)]
    for n, enrollment in enumerate(enroll(cast, 8, status=Status.CLOSED)):
        story(enrollment, "A story", share_with_principal=True)
        enrollment.challenges.update(goal=goals[n % 2])
    with django_assert_num_queries(len(small.captured_queries)):  # a school goal's name reads its school too
        response = client.get(url)
    assert response.content.decode().count("<article") == 8
    assert response.content.decode().count(f"{cast.school.name}: ") == 1


# --- the district overview ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "queries", "grows"),
    [
        ("district", 15, ("<article", 3)),  # the newest stories
        ("district_schools", 17, ('href="/dashboard/school/', 4)),  # a page of schools and their figures
        ("district_coaches", 16, ('<th scope="row">', 2)),  # a page of coaches (Alice, Bob) and their figures
    ],
)
def test_it_shows_the_district_dashboard_in_constant_queries(
    client, cast, django_assert_num_queries, name, queries, grows
):
    client.force_login(cast.dana)
    url = reverse(f"dashboard:{name}")
    with django_assert_num_queries(queries):
        client.get(url)
    for _ in range(3):
        school = f.SchoolFactory(district=cast.district)
        for enrollment in enroll(cast, 5, status=Status.REFLECT, school=school, coach=cast.bob):
            story(enrollment, "District story", share_with_district=True)
    with django_assert_num_queries(queries):
        page = client.get(url).content.decode()
    text, count = grows
    assert page.count(text) == count


def test_it_asks_once_per_page_whether_the_chosen_programs_share_a_teacher(client, cast):
    """With several programs, `level_two` is one query for the page (its four readers once asked it each)."""
    f.ProgramFactory(district=cast.district).schools.add(cast.school)
    client.force_login(cast.dana)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard:district")).status_code == 200
    shared_teacher = 'COUNT(DISTINCT "coaching_enrollment"."program_id")'
    asked = [q["sql"] for q in queries.captured_queries if shared_teacher in q["sql"]]
    assert len(asked) == 1, asked


def test_it_shows_per_coach_counts_to_the_admin_suppressed_below_k(client, cast):
    enroll(cast, 2, status=Status.IDENTIFY)
    client.force_login(cast.dana)
    alice = '<th scope="row">Alice</th>\n      <td class="text-end text-nowrap">'

    contacted = '\n      <td class="text-end text-nowrap">'  # the next cell: teachers contacted in 14 days

    page = client.get(reverse("dashboard:district_coaches")).content.decode()
    # The caseload's size is shown as it is (the admin assigns it); the rest of a 3-teacher row is not.
    assert alice + "3</td>" + contacted + '<span class="fst-italic">fewer than 5</span>' in page
    assert "Oscar" not in page

    cast.district.suppression_k = 3
    cast.district.save()
    page = client.get(reverse("dashboard:district_coaches")).content.decode()
    assert alice + "3</td>" + contacted + "0</td>" in page


def test_it_lists_district_stories_without_principal_only_ones(client, cast):
    story(cast.enrollment, "For the board", share_with_district=True)
    story(cast.enrollment, "For Paula", share_with_principal=True)
    client.force_login(cast.dana)

    page = client.get(reverse("dashboard:district_stories")).content.decode()

    assert "For the board" in page and "For Paula" not in page


def test_it_lists_district_stories_in_constant_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.dana)
    for enrollment in enroll(cast, 2):
        story(enrollment, "For the board", share_with_district=True)
    with django_assert_num_queries(DISTRICT_STORIES_QUERIES):
        client.get(reverse("dashboard:district_stories"))
    for enrollment in enroll(cast, 8, coach=cast.bob):
        story(enrollment, "For the board", share_with_district=True)
    with django_assert_num_queries(DISTRICT_STORIES_QUERIES):
        page = client.get(reverse("dashboard:district_stories")).content.decode()
    assert page.count("For the board") == 20  # each story: its title, and its body (helpers.story)


DISTRICT_STORIES_QUERIES = 10


# --- coaches' stories -----------------------------------------------------------------------------------------


def test_it_lets_a_coach_write_a_story_about_a_teacher_on_their_caseload(client, cast):
    client.force_login(cast.alice)
    data = {"enrollment": cast.enrollment.pk, "title": "Lab groups talk", "story": "Every group argued.",
            "told_on": "2026-11-02", "share_with_principal": "on"}  # fmt: skip

    response = client.post(reverse("coaching:story_new"), data)

    assert response["Location"] == reverse("coaching:stories")
    saved = ImpactStory.objects.get()
    assert (saved.coach, saved.share_with_principal, saved.share_with_district) == (cast.alice, True, False)
    page = client.get(reverse("coaching:stories")).content.decode()
    assert "Lab groups talk" in page and "Shared with the principal" in page


def test_it_offers_only_the_coachs_own_caseload(client, cast):
    bobs = enroll(cast, 1, coach=cast.bob)[0]
    client.force_login(cast.alice)

    page = client.get(reverse("coaching:story_new"), follow=True).content.decode()  # to its keyed URL
    response = client.post(reverse("coaching:story_new"), {"enrollment": bobs.pk, "title": "x", "story": "y",
                                                             "told_on": "2026-11-02"})  # fmt: skip

    assert "Maria Rivera" in page and bobs.teacher.name not in page
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not ImpactStory.objects.exists()


def test_it_lets_the_coach_withdraw_a_teachers_consent(client, cast):
    shared = story(cast.enrollment, "Shared", share_with_principal=True, share_with_district=True)
    client.force_login(cast.alice)
    url = reverse("coaching:story_edit", kwargs={"story_id": shared.pk})
    assert (
        'name="share_with_principal" class="checkboxinput form-check-input" id="id_share_with_principal" checked'
        in (client.get(url).content.decode())
    )

    client.post(url, {"enrollment": cast.enrollment.pk, "title": "Shared", "story": "s", "told_on": "2026-11-02"})

    shared.refresh_from_db()
    assert not (shared.share_with_principal or shared.share_with_district)


def test_it_lists_a_coachs_stories_in_constant_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.alice)
    story(cast.enrollment, "One")
    with django_assert_num_queries(9):
        client.get(reverse("coaching:stories"))
    for enrollment in enroll(cast, 5):
        story(enrollment, "More")
    with django_assert_num_queries(9):
        client.get(reverse("coaching:stories"))


# --- data rights --------------------------------------------------------------------------------------------------


def test_it_exports_and_audits_the_download(client, cast, django_capture_on_commit_callbacks):
    client.force_login(cast.dana)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dashboard:export_new"))
    assert response["Location"] == reverse("dashboard:data")
    export = DataExport.objects.get()
    page = client.get(reverse("dashboard:data")).content.decode()
    download = reverse("dashboard:export_download", kwargs={"export_id": export.pk})
    assert f'href="{download}"' in page and "Ready" in page

    response = client.get(download)

    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="cadence-riverside-')
    assert "teachers.csv" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    summaries = list(AuditEvent.objects.filter(action=Action.EXPORT).values_list("summary", flat=True))
    assert len(summaries) == 2 and summaries[0].startswith("Downloaded the export of")


def test_it_takes_a_new_export_request_while_another_is_pending(client, cast):
    client.force_login(cast.dana)
    client.post(reverse("dashboard:export_new"))

    response = client.post(reverse("dashboard:export_new"), follow=True)

    assert "Export requested." in response.content.decode()
    assert DataExport.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_it_prepares_one_export_for_a_double_click(client, cast):
    client.force_login(cast.dana)
    url, data = form_on(client, reverse("dashboard:data"), action=reverse("dashboard:export_new"))

    first, second = post_twice_at_once(client, url, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert DataExport.objects.count() == 1


def test_it_refuses_to_download_an_export_that_is_not_ready(client, cast):
    export = DataExport.objects.create(district=cast.district)
    client.force_login(cast.dana)

    assert client.get(reverse("dashboard:export_download", kwargs={"export_id": export.pk})).status_code == 404


def test_it_shows_the_data_page_in_constant_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.dana)
    url = reverse("dashboard:data")
    with django_assert_num_queries(10):
        client.get(url, {"q": "mar"})
    for status in DataExport.Status.values * 3:
        DataExport.objects.create(district=cast.district, requested_by=cast.dana, status=status, content=b"x")
    enroll(cast, 4)
    Teacher.objects.update(name="Mara")
    with django_assert_num_queries(10):
        page = client.get(url, {"q": "mar"}).content.decode()
    assert page.count("Erase…") == 5 and page.count("Download") == 3


def test_it_finds_a_teacher_and_erases_them_after_confirmation(client, cast):
    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool)
    client.force_login(cast.dana)
    url = reverse("dashboard:erase", kwargs={"teacher_id": cast.teacher.pk})
    assert f'href="{url}"' in client.get(reverse("dashboard:data"), {"q": "rivera"}).content.decode()
    page = client.get(url).content.decode()
    assert "<li>Cycle steps: 3</li>" in page and "<li>Impact stories: 1</li>" in page

    response = client.post(url, {"confirmation": "Maria"})
    assert response.status_code == 200 and "Type the teacher&#x27;s name exactly" in response.content.decode()
    assert Teacher.objects.filter(pk=cast.teacher.pk).exists()

    response = client.post(url, {"confirmation": "Maria Rivera"})
    assert response["Location"] == reverse("dashboard:data")
    assert not Teacher.objects.filter(pk=cast.teacher.pk).exists()
    assert AuditEvent.objects.filter(action=Action.ERASE).count() == 1


# --- the audit log ---------------------------------------------------------------------------------------------------


def _events(cast, n: int, action: str = Action.INVITE) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(district=cast.district, actor=cast.dana, action=action, summary=f"Event {i}") for i in range(n)
    )


def test_it_pages_the_audit_log_by_fifty(client, cast):
    _events(cast, 120)
    client.force_login(cast.dana)

    first = client.get(reverse("dashboard:audit")).content.decode()
    last = client.get(reverse("dashboard:audit"), {"page": 3}).content.decode()

    assert first.count("<tr>") == 51 and "Page 1 of 3" in first
    assert last.count("<tr>") == 21


def test_it_filters_the_audit_log_by_action(client, cast):
    _events(cast, 60)
    _events(cast, 2, Action.ERASE)
    f.MembershipFactory(district=cast.oscar.membership.district, role=Role.DISTRICT_ADMIN)
    AuditEvent.objects.create(district=cast.oscar.membership.district, action=Action.ERASE, summary="Elsewhere")
    client.force_login(cast.dana)

    page = client.get(reverse("dashboard:audit"), {"action": "erase"}).content.decode()

    assert page.count("<tr>") == 3 and "Elsewhere" not in page
    assert '<option value="erase" selected>' in page


def test_it_shows_the_audit_log_in_constant_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.dana)
    _events(cast, 3)
    with django_assert_num_queries(10):
        client.get(reverse("dashboard:audit"))
    _events(cast, 100, Action.EXPORT)
    with django_assert_num_queries(10):
        client.get(reverse("dashboard:audit"))


HOSTILE_PERIODS = [
    ({"end": "9999-12-31"}, "at most three years"),  # overflowed a date while counting months: a 500
    ({"start": "0001-01-01"}, "at most three years"),  # a query of one clause per year: a 503
    ({"start": "9999-12-01"}, "must come before"),  # ran backwards to today, silently
    ({"end": "1900-01-01"}, "must come before"),  # ran backwards from the school year's start
    ({"start": "2026-06-01", "end": "2025-01-01"}, "must come before"),
    ({"start": "2020-01-01", "end": "2026-11-30"}, "at most three years"),
    ({"start": "9999-01-01", "end": "9999-12-31"}, "before the year 9999"),  # counted months past the calendar: a 500
]


@pytest.mark.parametrize(("query", "message"), HOSTILE_PERIODS)
@pytest.mark.parametrize("page", ["dashboard:school", "dashboard:district"])
def test_it_refuses_a_period_that_runs_backwards_or_too_long_with_a_message(client, cast, page, query, message):
    client.force_login(cast.paula if page == "dashboard:school" else cast.dana)
    response = client.get(reverse(page), query)
    assert response.status_code == 200
    assert message in response.content.decode()
    period = response.context["period"]
    assert period.problem() is None and period.end == timezone.localdate()  # the school year, as unfiltered
    csv = client.get(reverse(page), {**query, "format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert f'"{period.label}",' in csv.content.decode().splitlines()[2]  # it says the period it covers instead


@pytest.mark.parametrize("page", ["dashboard:coach", "dashboard:school", "dashboard:district"])
def test_it_says_in_each_csv_which_months_programs_and_school_it_covers(client, cast, page):
    """A CSV passed on to a board still says what it counts, as the page's "Covering" line does."""
    client.force_login({"dashboard:coach": cast.alice, "dashboard:school": cast.paula}.get(page, cast.dana))
    query = {} if page == "dashboard:coach" else {"start": "2026-09-10", "end": "2026-10-15"}
    lines = client.get(reverse(page), {**query, "format": "csv"}).content.decode("utf-8-sig").splitlines()

    assert lines[0] == '"Report"'
    school_year = selectors.program_period([cast.program], timezone.localdate()).label
    assert lines[2].startswith(f'"{"September 2026 to October 2026" if query else school_year}",')
    assert cast.program.name in lines[2]
    if page != "dashboard:coach":
        assert lines[1].endswith('"School"')
        assert lines[2].endswith('"Lincoln Middle School"' if page == "dashboard:school" else '"All schools"')


def test_it_names_the_whole_months_a_chosen_period_covers(client, cast):
    """The figures count whole months (the rollups' grain): a period chosen from 10 September to 15 October
    is September and October, and the page says so rather than naming a day the figures do not keep."""
    client.force_login(cast.dana)
    page = client.get(reverse("dashboard:school", args=[cast.school.pk]), {"start": "2026-09-10", "end": "2026-10-15"})

    text = page.content.decode()
    assert "Covering September 2026 to October 2026 (figures count whole months)" in text
    assert "15 October" not in text
