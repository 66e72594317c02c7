"""Each dashboard prints as a one- or two-page report: Chromium's print to PDF on the demo district.

The district's program gets 30 schools and 30 coaches (the demo's two of each, and factories' long-named rest), so
its tables print a whole page of 25 rows each and say which page of the list they are.
"""

import io
import re
import unicodedata

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import District, Role
from standards.catalog import load_catalog
from testing.factories import MembershipFactory, SchoolFactory
from testing.fixtures import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the screen shows around the figures: the navigation bar (each role's own links and the shared ones),
# the skip link, the buttons, the filters' Apply, the pagers' links, the footer.
SCREEN_ONLY = ["Skip to main content", "Sign out", "Library", "Print report", "Download CSV", "Apply", "Previous",
               "Next", "Overview", "Cadence — coaching that keeps its rhythm"]  # fmt: skip
NAVIGATION = {
    "coach@demo.cadence.test": ["Activities", "Calendar"],
    "principal@demo.cadence.test": ["Programs", "E-mail"],
    "admin@demo.cadence.test": ["Caseloads", "People", "Rosters", "Audit log", "Shared self-assessments"],
}
DASHBOARDS = {  # (who, page, what the printed report must say)
    "coach": (
        "coach@demo.cadence.test", reverse("dashboard:coach"),
        ["Cadence report", "My coaching · Jordan Ellis", "teachers on your caseload", "cycles completed",
         "challenges resolved", "Time by kind of work", "ITU change", "Month by month", "Standards coverage",
         "the printed report names no teacher"],
    ),
    "growth": (
        "coach@demo.cadence.test", reverse("dashboard:growth"),
        ["Cadence report", "My growth · Jordan Ellis", "Self-ratings (1–4) per standard", "4B Builds and contributes"],
    ),
    "school": (
        "principal@demo.cadence.test", reverse("dashboard:school"),
        ["Cadence report", "Lincoln Middle School", "Figures over fewer than 5 teachers are suppressed",
         "teachers on a coaching caseload", "cycles completed", "Impactful technology use", "ITU rose for",
         "Month by month", "Coaching time", "Challenges aligned to goals", "Stories of impact"],
    ),
    "district": (
        "admin@demo.cadence.test", reverse("dashboard:district"),
        ["Cadence report", "Riverside Unified School District", "District overview", "all schools",
         "Figures over fewer than 5 teachers are suppressed", "The headline", "Impactful technology use rose for",
         "Month by month", "Stories of impact shared with the district"],
    ),
    "district schools": (
        "admin@demo.cadence.test", reverse("dashboard:district_schools"),
        ["Cadence report", "Riverside Unified School District", "District schools", "all schools",
         "Figures over fewer than 5 teachers are suppressed", "Lincoln Middle School", "ITU rose",
         "page 1 of 2 of schools (1–25 of 30); download the CSV for all"],
    ),
    "district coaches": (
        "admin@demo.cadence.test", reverse("dashboard:district_coaches"),
        ["Cadence report", "Riverside Unified School District", "District coaches", "all schools",
         "Figures over fewer than 5 teachers are suppressed", "Alexandra Montgomery-Okonkwo 1", "Caseload",
         "page 1 of 2 of coaches (1–25 of 30); download the CSV for all"],
    ),
}  # fmt: skip


@pytest.fixture
def demo(transactional_db):
    load_catalog()  # the demo tags its work with the standards, which an earlier transactional test flushed
    call_command("demo", stdout=io.StringIO())
    district = District.objects.get(slug="demo")
    program = district.programs.get()  # the overview lists the schools and coaches of the running programs
    for n in range(28):
        program.schools.add(SchoolFactory(district=district, name=f"Martin Luther King Jr. Elementary School {n + 1}"))
        coach = MembershipFactory(
            district=district, role=Role.COACH, user__full_name=f"Alexandra Montgomery-Okonkwo {n + 1}"
        )
        program.coaches.add(coach.user)


def _pdf_text(reader: PdfReader) -> str:
    """The text of every page, ligatures undone ("ﬁ" → "fi"), runs of white space as one space."""
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def test_it_prints_each_dashboard_as_a_report_of_one_or_two_pages(demo, page, live_server, tmp_path):
    for dashboard, (email, url, labels) in DASHBOARDS.items():  # one demo district for them all
        page.context.clear_cookies()
        login(page, live_server, email, password="cadence-demo")  # noqa: S106 - the demo's published password
        page.goto(live_server.url + url)
        page.emulate_media(media="print")

        for paper in ("A4", "Letter"):
            reader = PdfReader(io.BytesIO(page.pdf(path=tmp_path / f"{dashboard}-{paper}.pdf", format=paper)))
            assert len(reader.pages) in (1, 2), f"{dashboard} prints on {len(reader.pages)} {paper} pages"
            text = _pdf_text(reader)
            assert [label for label in labels if label not in text] == [], (dashboard, text)
            assert [label for label in SCREEN_ONLY + NAVIGATION[email] if label in text] == [], (dashboard, text)
        if dashboard == "coach":  # a report for a board or a grant: no teacher is named
            assert "Maya Thompson" in page.content()
            assert "Maya Thompson" not in text
        page.emulate_media(media="screen")
