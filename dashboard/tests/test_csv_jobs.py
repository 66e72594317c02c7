"""A large district dashboard CSV is prepared by a job (dashboard.exports.is_large), followed on its page.

The job's CSV is the one the request would have built, to the byte; it holds what the admin may see
and no more, ends like every export job, and is withdrawn by an erasure.
"""

import datetime
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Membership, Role
from dashboard import exports, selectors, services
from dashboard.models import DataExport
from dashboard.tasks import build_export
from dashboard.tests.helpers import Status, enroll
from testing import factories as f
from testing.factories import challenge_at
from testing.fixtures import form_on, post_twice_at_once

pytestmark = pytest.mark.django_db

DISTRICT = reverse("dashboard:district")


@pytest.fixture
def large(monkeypatch):
    """Every district dashboard CSV counts as large."""
    monkeypatch.setattr(exports, "LARGE_CSV_ROWS", 1)


@pytest.fixture
def busy(cast):
    """Two schools and two coaches at work: Alice's five teachers at Lincoln, Bob's five at Roosevelt."""
    challenge_at(cast, Status.CLOSED)
    enroll(cast, 4, status=Status.CLOSED)
    roosevelt = f.SchoolFactory(district=cast.district, name="Roosevelt High")
    cast.program.schools.add(roosevelt)
    enroll(cast, 5, status=Status.REFLECT, coach=cast.bob, school=roosevelt)
    return cast


def _filters(cast) -> dict:
    today = timezone.localdate()
    return {"program": cast.program.pk, "start": f"{today - datetime.timedelta(days=200):%Y-%m-%d}", "end": today}


def _prepare(client, filters: dict, capture):
    with capture(execute=True):  # the job runs (eagerly) once the request commits
        response = client.post(f"{reverse('dashboard:district_csv')}?{urlencode(filters)}")
    return response, DataExport.objects.get()


def test_it_counts_schools_and_coaches_to_decide_what_is_large():
    assert not exports.is_large(schools=98, coaches=2)
    assert exports.is_large(schools=99, coaches=2)


def test_it_prepares_a_large_csv_in_a_job_equal_to_the_csv_of_the_request(
    client, busy, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(busy.dana)
    filters = _filters(busy)
    inline = client.get(DISTRICT, {**filters, "format": "csv"})
    assert inline["Content-Type"].startswith("text/csv") and b"Roosevelt High" in inline.content

    monkeypatch.setattr(exports, "LARGE_CSV_ROWS", 1)
    monkeypatch.setattr(exports, "CHUNK", 1)  # a school or a coach at a time: chunks change nothing
    page = client.get(DISTRICT, filters).content.decode()
    assert "Prepare CSV" in page and "Download CSV" not in page
    refused = client.get(DISTRICT, {**filters, "format": "csv"})
    assert refused.status_code == 302 and "format" not in refused["Location"] and not DataExport.objects.exists()

    response, export = _prepare(client, filters, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"] == reverse("dashboard:export", args=[export.pk])
    assert (export.kind, export.status, export.progress) == (DataExport.Kind.DISTRICT_CSV, "ready", 100)
    assert bytes(export.content) == inline.content
    page = client.get(response["Location"]).content.decode()
    assert "Download the CSV" in page and 'role="progressbar"' not in page
    download = client.get(reverse("dashboard:export_download", args=[export.pk]))
    assert download.content == inline.content and download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"].endswith('.csv"')
    summaries = list(AuditEvent.objects.filter(actor=busy.dana).values_list("summary", flat=True).order_by("pk"))
    assert summaries[:2] == ["Exported the district dashboard as CSV", "Requested the district dashboard as CSV"]
    assert len(summaries) == 3 and summaries[2].startswith("Downloaded the district dashboard CSV of ")


def test_it_says_what_each_prepared_csv_covers_on_the_data_page_and_its_own(client, cast, large):
    """A tester's find: three prepared CSVs all read "District dashboard (CSV)", and the export's page gave
    ISO dates without its program or school. Each says it as the dashboard's "Covering" line does."""
    client.force_login(cast.dana)
    for school in (None, cast.school):
        query = {"start": "2026-10-01", "end": "2026-11-30", **({"school": school.pk} if school else {})}
        client.post(f"{reverse('dashboard:district_csv')}?{urlencode(query)}")
    lincoln, everyone = DataExport.objects.order_by("-pk")
    expected = "October 2026 to November 2026; 2026–27 coaching program; "
    page = client.get(reverse("dashboard:data")).content.decode()
    assert page.index(expected + "Lincoln Middle School") < page.index(expected + "All schools")
    page = client.get(reverse("dashboard:export", args=[lincoln.pk])).content.decode()
    assert f"It covers {expected}Lincoln Middle School." in page and "2026-10-01" not in page


def test_it_says_in_the_jobs_csv_that_the_dates_were_ignored_as_the_request_would(
    client, busy, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(busy.dana)
    roosevelt = busy.program.schools.get(name="Roosevelt High")
    filters = {"school": roosevelt.pk, "start": "2026-11-01", "end": "2026-09-01"}
    inline = client.get(DISTRICT, {**filters, "format": "csv"})
    monkeypatch.setattr(exports, "LARGE_CSV_ROWS", 1)

    _, export = _prepare(client, filters, django_capture_on_commit_callbacks)

    assert bytes(export.content) == inline.content
    report = inline.content.decode("utf-8-sig").splitlines()[2]
    assert report.endswith('"Roosevelt High","The dates chosen were ignored, as they do not make a valid period: this '
                           'covers the school year of the programs so far."')  # fmt: skip


def test_it_saves_the_progress_as_each_chunk_is_done(busy, monkeypatch):
    export = DataExport.objects.create(
        district=busy.district, requested_by=busy.dana, kind=DataExport.Kind.DISTRICT_CSV,
        filters=exports.filters_json(programs=[busy.program], period=selectors.program_period([busy.program],
                                     timezone.localdate()), school=None),
    )  # fmt: skip
    seen, coach_rows = [], selectors.coach_rows
    monkeypatch.setattr(exports, "CHUNK", 1)
    monkeypatch.setattr(
        selectors, "coach_rows", lambda *a, **kw: seen.append(DataExport.objects.get().progress) or coach_rows(*a, **kw)
    )

    services.export_build(export_id=export.pk)

    assert seen == [50, 75]  # two schools done of four rows, then a coach; 100 once saved
    export.refresh_from_db()
    assert (export.status, export.progress) == ("ready", 100)


def test_it_suppresses_small_groups_in_the_jobs_csv(client, cast, large, django_capture_on_commit_callbacks):
    enroll(cast, 3, status=Status.CLOSED)  # four teachers with Maria: fewer than k = 5
    challenge_at(cast, Status.CLOSED)
    client.force_login(cast.dana)

    _, export = _prepare(client, {}, django_capture_on_commit_callbacks)

    text = bytes(export.content).decode()
    assert '"Alice","4","fewer than 5"' in text and '"Lincoln Middle School","fewer than 5",' in text
    assert "Maria" not in text


def test_it_creates_one_job_for_a_double_submit(transactional_db, client, cast, large):
    client.force_login(cast.dana)
    url, data = form_on(client, DISTRICT, action=reverse("dashboard:district_csv"))

    responses = post_twice_at_once(client, url, data)

    export = DataExport.objects.get()
    assert {response["Location"] for response in responses} == {reverse("dashboard:export", args=[export.pk])}


def test_it_withdraws_the_csv_when_a_teacher_is_erased(client, cast, large, django_capture_on_commit_callbacks):
    client.force_login(cast.dana)
    _, export = _prepare(client, {}, django_capture_on_commit_callbacks)
    assert export.status == "ready"

    services.teacher_erase(actor=cast.dana, teacher=cast.teacher, confirmation="Maria Rivera")

    export.refresh_from_db()
    assert (export.status, export.content, export.error) == ("withdrawn", None, services.EXPORT_WITHDRAWN)
    assert services.EXPORT_WITHDRAWN in client.get(reverse("dashboard:export", args=[export.pk])).content.decode()
    assert client.get(reverse("dashboard:export_download", args=[export.pk])).status_code == 404


@pytest.mark.parametrize("change", ["made principal", "deactivated", "moved to another district"])
def test_it_fails_the_job_of_a_requester_no_longer_admin_of_the_district(client, cast, large, change):
    client.force_login(cast.dana)
    client.post(reverse("dashboard:district_csv"))  # not committed: the job waits
    export = DataExport.objects.get()
    if change == "made principal":
        Membership.objects.filter(user=cast.dana).update(role=Role.PRINCIPAL)
    elif change == "deactivated":
        type(cast.dana).objects.filter(pk=cast.dana.pk).update(is_active=False)
    else:
        Membership.objects.filter(user=cast.dana).update(district=cast.olga.membership.district)

    build_export.apply(args=[export.pk])

    export.refresh_from_db()
    assert (export.status, export.content, export.error) == ("failed", None, services.NOT_AN_ADMIN)


def test_it_shows_the_progress_and_leaves_the_page_alone_while_nothing_changes(client, cast):
    export = DataExport.objects.create(
        district=cast.district, requested_by=cast.dana, kind=DataExport.Kind.DISTRICT_CSV, progress=40
    )
    url = reverse("dashboard:export", args=[export.pk])
    client.force_login(cast.dana)

    page = client.get(url).content.decode()
    assert 'role="progressbar" aria-labelledby="export-status-heading"' in page and 'aria-valuenow="40"' in page
    assert 'hx-trigger="every 2s"' in page and "40% done" in page
    assert client.get(url, {"seen": "pending-40"}, headers={"HX-Request": "true"}).status_code == 204

    DataExport.objects.filter(pk=export.pk).update(status="failed", error="The export stopped: the database was down.")
    block = client.get(url, {"seen": "pending-40"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in block and "The export stopped: the database was down." in block
    assert "hx-trigger" not in block and "Prepare CSV" in block  # polling ends; what to do next is said
