"""Screenshots of the coach's pages for docs/screenshots/, at 1366×900 and 390×844.

Run against a server with the demo district loaded (`make run`, or `.venv/bin/python manage.py demo
--reset` first so that the steps are dated around today):

    .venv/bin/python bench/screenshots.py [http://127.0.0.1:8000] [docs/screenshots]

Each page is reached the way a coach gets there (by clicking), so the names stay right whatever ids
the demo got. Files: coach-<page>-desktop.png and coach-<page>-phone.png; the step form as it first
appears on the screen (Save in view), the other pages whole.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent / "docs" / "screenshots")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
COACH, PASSWORD = "coach@demo.cadence.test", "cadence-demo"  # noqa: S105 - the demo's published password
# Demo teachers whose challenge is at the step the page shows (coaching/management/commands/demo.py).
TEACHER_PAGE, STEP_PAGES = (
    "Maya Thompson",
    {
        "identify": ("Ben Carter", "Identify the challenge"),
        "investigate": ("Hannah Lee", "Investigate strategies"),
        "select": ("Tyrone Jackson", "Select strategy and tools"),
        "reflect": ("Elena Vasquez", "Reflect on outcomes"),
    },
)


def sign_in(page) -> None:
    page.goto(f"{BASE}/login/")
    page.get_by_label("E-mail address").fill(COACH)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def shoot(page, name: str, width: str, *, full_page: bool = True) -> None:
    path = OUT / f"coach-{name}-{width}.png"
    page.wait_for_load_state("networkidle")  # a page reached by a click may still be loading
    page.screenshot(path=path, full_page=full_page)
    print(f"{path.name}: {page.title()}")


def teacher(page, name: str) -> None:
    page.goto(f"{BASE}/caseload/")
    page.get_by_role("link", name=name, exact=True).click()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for width, viewport in WIDTHS.items():
            page = browser.new_page(viewport=viewport)
            sign_in(page)
            shoot(page, "home", width)
            page.get_by_role("link", name="Log it").first.click()
            shoot(page, "log-step", width, full_page=False)
            page.goto(f"{BASE}/caseload/")
            shoot(page, "caseload", width)
            teacher(page, TEACHER_PAGE)
            shoot(page, "teacher", width)
            for step, (name, action) in STEP_PAGES.items():
                teacher(page, name)
                page.get_by_test_id("next-moves").get_by_role("link", name=action).click()
                shoot(page, step, width)
            for name, path in (("activities", "/activities/"), ("touchpoint", "/activities/touchpoint/new/")):
                page.goto(f"{BASE}{path}")
                shoot(page, name, width)
            page.goto(f"{BASE}/stories/")
            shoot(page, "stories", width)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
