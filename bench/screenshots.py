"""Screenshots of Cadence's pages for docs/screenshots/ (run against `make run`).

.venv/bin/python bench/screenshots.py [http://127.0.0.1:8000] [outdir]
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).parent / "screenshots")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def sign_in(page, email):
    page.goto(f"{BASE}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("cadence-demo")
    page.get_by_role("button", name="Sign in").click()


def shoot(page, name, path, full_page=True):
    page.goto(f"{BASE}{path}")
    page.screenshot(path=OUT / f"{name}.png", full_page=full_page)
    print(f"{name}: {page.title()}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for label, viewport in (("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})):
            page = browser.new_page(viewport=viewport)
            if label == "desktop":
                page.goto(f"{BASE}/login/")
                page.screenshot(path=OUT / "login.png")
            sign_in(page, "coach@demo.cadence.test")
            shoot(page, f"{label}-home", "/")
            shoot(page, f"{label}-caseload", "/caseload/")
            page.goto(f"{BASE}/caseload/")
            teachers = page.locator("table a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
            for href in teachers:
                page.goto(f"{BASE}{href}")
                name = page.locator("h1").inner_text().split()[-1].lower()
                shoot(page, f"{label}-teacher-{name}", href)
                for link in page.locator(".border-top a.btn-primary").evaluate_all(
                    "els => els.map(e => e.getAttribute('href'))"
                ):
                    shoot(page, f"{label}-action-{link.strip('/').replace('/', '-')}", link)
            shoot(page, f"{label}-activities", "/activities/")
            shoot(page, f"{label}-activity-touchpoint", "/activities/touchpoint/new/")
            shoot(page, f"{label}-standards", "/standards/")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
