"""Every page each role can reach, on the demo district, at 1366×900 and 390×844: axe-core finds no
WCAG 2.1 AA violation, nothing is wider than the screen, and no page fails.

Each role signs in and follows every link it is shown (same site, GET), from Home outwards. Pages of
one kind are visited once (ids aside), except the coach's teacher pages: each is in another state.
"""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from testing.fixtures import axe_check, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = {
    "coach": "coach@demo.cadence.test",
    "principal": "principal@demo.cadence.test",
    "district admin": "admin@demo.cadence.test",
}
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
EVERY_ONE = {"coaching:teacher"}  # views whose pages differ by more than their ids
NOT_PAGES = {"logout", "dashboard:export_download", "rosters:progress"}  # a POST, a file, a fragment


def _kind(path: str, query: str) -> str | None:
    """What makes a page new to visit: its view (and query keys), or the whole path for EVERY_ONE."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name in NOT_PAGES or match.namespace == "admin":
        return None
    if match.view_name in EVERY_ONE:
        return path
    return match.view_name + "?" + ",".join(sorted(re.findall(r"(\w+)=", query)))


@pytest.fixture
def demo(transactional_db):
    call_command("demo", stdout=io.StringIO())


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ROLES)
def test_it_passes_axe_on_every_page_each_role_reaches(demo, page, live_server, role, width):
    page.set_viewport_size(WIDTHS[width])
    login(page, live_server, ROLES[role], password="cadence-demo")  # noqa: S106 - the demo's published password
    queue, seen, visited = ["/"], {_kind("/", "")}, []
    while queue:
        url = queue.pop(0)
        response = page.goto(live_server.url + url)
        assert response.status == 200, f"{role}: {url} answered {response.status}"
        axe_check(page)
        if width == "phone":
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{role}: {url} is {overflow}px wider than the phone's screen"
        visited.append(url)
        # A link that downloads a file (a dashboard's CSV) is not a page.
        for href in page.locator("a[href]:not([download])").evaluate_all("links => links.map(a => a.href)"):
            parts = urlsplit(href)
            if parts.netloc != urlsplit(live_server.url).netloc or "page=" in parts.query:
                continue
            kind = _kind(parts.path, parts.query)
            if kind and kind not in seen:
                seen.add(kind)
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    print(f"{role} at {width}: {len(visited)} pages")
    assert len(visited) >= {"coach": 30, "principal": 8, "district admin": 20}[role], visited
