"""A district admin imports a roster in the browser; the import's page follows it without reloading."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import RosterImport
from districts.roster import services as roster
from testing.fixtures import axe_check, login
from testing.roster_files import oneroster, org, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_dana_upload_a_oneroster_zip_and_see_the_counts(cast, page, live_server):
    zip_bytes = oneroster(
        [org("sch-1", "Lincoln Middle School"), org("sch-2", "Roosevelt Elementary School")],
        [user("t-1", "Ana", "Lopez"), user("t-2", "Ben", "Cho", orgs="sch-2"), user("t-3", "Cy", "Diaz")],
    )
    login(page, live_server, "dana@example.org")
    page.goto(live_server.url + reverse("rosters:index"))
    expect(page.get_by_role("heading", name="Rosters", exact=True)).to_be_visible()
    axe_check(page)

    page.get_by_label("Roster files").set_input_files(
        {"name": "riverside-oneroster.zip", "mimeType": "application/zip", "buffer": zip_bytes}
    )
    page.get_by_role("button", name="Upload and import").click()

    expect(page.get_by_role("heading", name=re.compile(r"Imported \d+ schools? and \d+ teachers?"))).to_be_visible()
    expect(page.get_by_text("3 added, 0 updated")).to_be_visible()  # teachers
    expect(page.get_by_text("1 added, 1 updated")).to_be_visible()  # schools: Lincoln was already there
    axe_check(page)
    page.get_by_role("link", name="Rosters").first.click()
    expect(page.get_by_role("table")).to_contain_text("riverside-oneroster.zip")
    axe_check(page)


def test_it_shows_the_progress_until_the_worker_is_done(cast, page, live_server):
    payload = oneroster([org("sch-1", "Lincoln Middle School")], [user("t-1"), user("t-1")])
    roster_import = RosterImport.objects.create(
        district=cast.district, uploaded_by=cast.dana, kind="oneroster", filename="roster.zip", payload=payload
    )
    login(page, live_server, "dana@example.org")
    page.goto(live_server.url + reverse("rosters:detail", args=[roster_import.pk]))
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    axe_check(page)

    roster.import_run(roster_import=roster_import)  # as the Celery worker would, meanwhile

    expect(page.get_by_role("heading", name=re.compile("Nothing was imported"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("already used on row 2"))).to_contain_text("users.csv")
    expect(bar).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("The import was rejected: 1 problem, nothing saved.")
    axe_check(page)
