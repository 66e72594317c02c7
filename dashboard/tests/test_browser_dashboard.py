"""Leaders' pages in a real browser: paula's school summary, dana's district pages and export, alice's stories."""

import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditEvent
from coaching import services as coaching
from coaching.models import ITUIndicator
from dashboard import exports
from dashboard.models import DataExport
from dashboard.tasks import build_export
from dashboard.tests.helpers import Status, enroll, story
from standards.models import SelfAssessment, SelfAssessmentRating, Standard
from testing.fixtures import axe_check, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_paula_her_school_summary_with_consented_stories_only(cast, page, live_server):
    enroll(cast, 3, status=Status.REFLECT)  # four teachers with Maria: fewer than k = 5
    story(cast.enrollment, "Maria's groups now argue with evidence", share_with_principal=True)
    story(cast.enrollment, "A story Maria keeps to herself")

    login(page, live_server, "paula@example.org")
    page.goto(live_server.url + reverse("dashboard:school"))

    assert page.get_by_role("heading", level=1).inner_text() == "Lincoln Middle School"
    expect(page.get_by_role("heading", name="Maria's groups now argue with evidence")).to_be_visible()
    assert page.get_by_text("A story Maria keeps to herself").count() == 0
    enrolled = page.locator(".stat").first
    assert enrolled.inner_text() == "fewer than 5"
    expect(page.get_by_text("Why some figures say “fewer than 5”")).to_be_visible()
    axe_check(page)


def test_it_passes_axe_on_danas_district_pages(cast, page, live_server):
    enroll(cast, 5, status=Status.REFLECT)
    story(cast.enrollment, "Shared with the district", share_with_district=True)
    DataExport.objects.create(district=cast.district, requested_by=cast.dana, status="ready", content=b"PK")
    failed = DataExport.objects.create(district=cast.district, status="failed", error="It broke.")
    csv = DataExport.objects.create(
        district=cast.district, requested_by=cast.dana, kind="district_csv", status="ready", content=b"Headline\r\n"
    )
    AuditEvent.objects.create(district=cast.district, actor=cast.dana, action="export", summary="Requested an export")

    login(page, live_server, "dana@example.org")
    for url in (
        reverse("dashboard:district"),
        reverse("dashboard:district_schools"),
        reverse("dashboard:district_coaches"),
        reverse("dashboard:school", kwargs={"school_id": cast.school.pk}),
        reverse("dashboard:district_stories"),
        reverse("dashboard:data") + "?q=maria",
        reverse("dashboard:erase", kwargs={"teacher_id": cast.teacher.pk}),
        reverse("dashboard:audit"),
        reverse("dashboard:export", args=[csv.pk]),
        reverse("dashboard:export", args=[failed.pk]),
    ):
        page.goto(live_server.url + url)
        assert page.get_by_role("heading", level=1).count() == 1, url
        axe_check(page)


def test_it_lets_alice_write_a_shared_story(cast, page, live_server):
    login(page, live_server, "alice@example.org")
    page.goto(live_server.url + reverse("coaching:stories"))
    axe_check(page)

    page.get_by_role("link", name="Write a story").click()
    axe_check(page)
    page.locator("#id_enrollment").select_option(label="Maria Rivera")
    page.get_by_label("Title").fill("Lab groups argue with evidence")
    page.get_by_label("Story").fill("Every group used the claim-evidence frame without prompting.")
    page.get_by_label("The teacher agreed to share this with their principal").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Shared with the principal")).to_be_visible()
    axe_check(page)


def test_it_builds_danas_export_on_the_worker_and_lets_her_download_it(cast, page, live_server, celery_worker):
    login(page, live_server, "dana@example.org")
    page.goto(live_server.url + reverse("dashboard:data"))

    page.get_by_role("button", name="Export all district data").click()
    export = DataExport.objects.get()
    deadline = time.monotonic() + 30
    while export.status == DataExport.Status.PENDING and time.monotonic() < deadline:
        time.sleep(0.2)
        export.refresh_from_db()
    assert export.status == DataExport.Status.READY, export.error
    page.reload()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()

    with zipfile.ZipFile(download.value.path()) as archive:
        assert "Maria Rivera" in archive.read("teachers.csv").decode()
    assert AuditEvent.objects.filter(summary__startswith="Downloaded the export").exists()


def test_it_shows_danas_large_csv_being_prepared_then_its_download_link(
    cast, page, live_server, monkeypatch, unreachable_broker
):
    """The broker is down, so the job waits until the test runs it (as a worker would) and the page is seen at 0%."""
    enroll(cast, 5, status=Status.REFLECT)
    monkeypatch.setattr(exports, "LARGE_CSV_ROWS", 1)  # the live server runs in this process
    login(page, live_server, "dana@example.org")
    page.goto(live_server.url + reverse("dashboard:district"))

    page.get_by_role("button", name="Prepare CSV").click()

    bar = page.get_by_role("progressbar", name="Being prepared")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    axe_check(page)
    export = DataExport.objects.get()
    DataExport.objects.filter(pk=export.pk).update(progress=40)
    expect(bar).to_have_attribute("aria-valuenow", "40")  # the page refreshed itself
    expect(page.get_by_text("40% done.")).to_be_visible()
    build_export.apply(args=[export.pk])
    link = page.get_by_role("link", name="Download the CSV")
    expect(link).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Ready: the download link is below.")
    axe_check(page)
    with page.expect_download() as download:
        link.click()

    export.refresh_from_db()
    assert Path(download.value.path()).read_bytes() == bytes(export.content)
    assert b'"Alice","6",' in bytes(export.content)


def _rich_district(cast):
    """Six teachers at Lincoln through a whole challenge with ITU baseline and end, a self-assessment."""

    challenge_at = __import__("testing.factories", fromlist=["challenge_at"]).challenge_at
    challenge_at(cast, Status.CLOSED)
    for enrollment in [cast.enrollment, *enroll(cast, 5, status=Status.CLOSED)]:
        for phase, score in (("baseline", 2), ("end", 4)):
            coaching.itu_rate(
                enrollment=enrollment, phase=phase, rated_on=timezone.localdate(),
                scores=dict.fromkeys(ITUIndicator.values, (score, score)),
            )  # fmt: skip
    assessment = SelfAssessment.objects.create(
        coach=cast.alice, assessed_on=timezone.localdate(), shared_with_district=True
    )
    SelfAssessmentRating.objects.bulk_create(
        SelfAssessmentRating(assessment=assessment, standard=s, rating=3, evidence="Cycles with every teacher")
        for s in Standard.objects.all()
    )
    return assessment


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_it_passes_axe_on_every_dashboard_at_desktop_and_phone_widths(cast, page, live_server, viewport):
    assessment = _rich_district(cast)
    page.set_viewport_size(viewport)
    pages = {
        "alice@example.org": (
            reverse("dashboard:coach"),
            reverse("dashboard:growth"),
            reverse("dashboard:self_assessment_new"),
            reverse("dashboard:self_assessment", args=[assessment.pk]),
        ),
        "paula@example.org": (reverse("dashboard:school"),),
        "dana@example.org": (
            reverse("dashboard:district"),
            reverse("dashboard:district_schools"),
            reverse("dashboard:district_coaches"),
            reverse("dashboard:shared_self_assessments"),
            reverse("dashboard:self_assessment", args=[assessment.pk]),
        ),
    }
    for email, urls in pages.items():
        page.context.clear_cookies()
        login(page, live_server, email)
        for url in urls:
            page.goto(live_server.url + url)
            assert page.get_by_role("heading", level=1).count() == 1, url
            for chart in page.locator("svg.chart").all():  # every chart: an image with a title, beside a table
                assert chart.get_attribute("role") == "img"
                title = chart.get_attribute("aria-labelledby").split()[0]
                assert page.locator(f"#{title}").text_content().strip()
            no_sideways_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            assert no_sideways_scroll, url
            axe_check(page)


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_it_lets_alice_self_assess_by_keyboard_and_saves_once_through_back_and_save(cast, page, live_server, viewport):
    """The tester's journeys: Save with nothing rated (the summary takes the focus, Tab and Enter reach the first
    answer to fix); then a new one, every standard rated, Save, Back, Save again: one self-assessment. Then My
    growth, with more than two self-assessments (a phone's chart shows the newest two), passes axe."""
    page.set_viewport_size(viewport)
    login(page, live_server, "alice@example.org")
    page.goto(live_server.url + reverse("dashboard:growth"))
    page.get_by_role("link", name="New self-assessment").click()

    page.get_by_role("button", name="Save").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("18 answers to fix before it saves")
    axe_check(page)
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("link", name="1A Drives Impactful Technology Use: Choose a rating from 1 to 4.")
    ).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#id_rating_1A_0")).to_be_focused()

    page.goto(live_server.url + reverse("dashboard:growth"))  # Back to a page a POST answered would ask to resend it
    page.get_by_role("link", name="New self-assessment").click()
    expect(page.locator("fieldset")).to_have_count(18)  # one per standard; .all() does not wait for the page
    for fieldset in page.locator("fieldset").all():
        fieldset.get_by_text("3 · Proficient").click()  # the label: the whole option is the target
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My growth")
    page.go_back()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Already saved: it was sent twice, and it is saved once.")).to_be_visible()
    assert SelfAssessment.objects.filter(coach=cast.alice).count() == 1
    for days in (30, 60, 90):
        SelfAssessment.objects.create(coach=cast.alice, assessed_on=timezone.localdate() - timedelta(days=days))
    page.reload()
    phone = viewport["width"] < 576
    expect(page.locator("#growth-phone-title").locator("..")).to_be_visible(visible=phone)
    expect(page.locator("#growth-title").locator("..")).to_be_visible(visible=not phone)
    axe_check(page)
