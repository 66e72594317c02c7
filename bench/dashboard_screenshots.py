"""Screenshots of the dashboards for docs/screenshots/, at 1366×900 and 390×844, and a print-to-PDF of each.

.venv/bin/python manage.py demo --reset && .venv/bin/python manage.py runserver 127.0.0.1:8000
.venv/bin/python bench/dashboard_screenshots.py [http://127.0.0.1:8000] [outdir]
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).parent.parent / "docs" / "screenshots")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PAGES = (  # (who, name, path)
    ("coach@demo.cadence.test", "dashboard-coach", "/dashboard/coach/"),
    ("coach@demo.cadence.test", "dashboard-growth", "/dashboard/growth/"),
    ("principal@demo.cadence.test", "dashboard-principal", "/dashboard/school/"),
    ("admin@demo.cadence.test", "dashboard-district", "/dashboard/district/"),
    ("admin@demo.cadence.test", "dashboard-district-schools", "/dashboard/district/schools/"),
    ("admin@demo.cadence.test", "dashboard-district-coaches", "/dashboard/district/coaches/"),
)


def sign_in(page, email):
    page.goto(f"{BASE}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("cadence-demo")
    page.get_by_role("button", name="Sign in").click()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for who, name, path in PAGES:
            for label, viewport in (
                ("desktop", {"width": 1366, "height": 900}),
                ("phone", {"width": 390, "height": 844}),
            ):
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                sign_in(page, who)
                page.goto(f"{BASE}{path}")
                page.screenshot(path=OUT / f"{name}-{label}.png", full_page=True)
                if label == "desktop" and len(sys.argv) > 3:
                    page.pdf(path=str(Path(sys.argv[3]) / f"{name}.pdf"), format="A4")
                print(f"{name}-{label}: {page.title()}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
