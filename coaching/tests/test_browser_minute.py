"""The coach's minute between classes, in a real browser on a 390×844 phone screen: a step is logged
from each way in within three taps of Home with Save in view on arrival; by keyboard within 15 keys
with a visible focus ring on every focused control; step 2's library filters as you type."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from coaching.models import Step, StrategyCandidate
from coaching.services import candidate_add
from testing import factories as f
from testing.factories import challenge_at, log
from testing.fixtures import axe_check, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
P, V, D = Step.Kind.PLAN_MEETING, Step.Kind.VISIT, Step.Kind.DEBRIEF


class Taps:
    """Counts what the coach taps, from Home."""

    def __init__(self, page) -> None:
        self.page, self.count = page, 0

    def tap(self, locator) -> None:
        self.count += 1
        locator.click()


def _on_home(page, live_server) -> Taps:
    page.set_viewport_size(PHONE)
    login(page, live_server, "alice@example.org")
    expect(page).to_have_url(live_server.url + reverse("coaching:home"))
    return Taps(page)


def _save_in_view_then_save(page, taps: Taps) -> None:
    """On the step form as it arrives (no scrolling), Save is on screen; the next tap saves."""
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_in_viewport()
    axe_check(page)
    taps.tap(save)


def test_it_logs_todays_step_from_home_in_two_taps(cast, page, live_server):
    challenge = challenge_at(cast, "implement")
    log(challenge, P, days=-2)
    visit = log(challenge, V, days=0, done=False)
    taps = _on_home(page, live_server)

    taps.tap(page.get_by_role("link", name=re.compile(r"^Log it")))
    expect(page.get_by_label("Done")).to_be_checked()  # "Log it" logs: Done comes ticked
    _save_in_view_then_save(page, taps)

    expect(page.get_by_role("status")).to_contain_text("Classroom visit logged as done.")
    visit.refresh_from_db()
    assert visit.done and taps.count == 2


def test_it_logs_the_debrief_of_a_waiting_visit_from_home_in_two_taps(cast, page, live_server):
    challenge = challenge_at(cast, "implement")
    log(challenge, P, days=-10)
    log(challenge, V, days=-9)
    taps = _on_home(page, live_server)

    taps.tap(page.get_by_role("link", name="Log the debrief with Maria Rivera"))
    _save_in_view_then_save(page, taps)

    expect(page.get_by_role("status")).to_contain_text("Debrief meeting logged as done.")
    assert challenge.cycles.get().steps.get(kind=D).done and taps.count == 2


def test_it_logs_the_next_step_from_the_caseload_in_three_taps(cast, page, live_server):
    challenge = challenge_at(cast, "implement")
    log(challenge, P, days=-1)
    taps = _on_home(page, live_server)

    taps.tap(page.get_by_role("link", name="Open caseload"))
    taps.tap(page.get_by_role("link", name="Log or schedule the classroom visit with Maria Rivera"))
    expect(page.get_by_label("Observe")).to_be_checked()  # the visit mode comes pre-selected
    _save_in_view_then_save(page, taps)

    expect(page.get_by_role("status")).to_contain_text("Classroom visit logged as done.")
    assert challenge.cycles.get().steps.get(kind=V).done and taps.count == 3


def test_it_logs_a_step_through_the_teacher_page_in_three_taps(cast, page, live_server):
    challenge = challenge_at(cast, "implement")
    plan = log(challenge, P, days=0, done=False)
    taps = _on_home(page, live_server)

    taps.tap(page.get_by_role("link", name="Maria Rivera", exact=True).first)
    taps.tap(page.get_by_role("link", name="Log the planning meeting"))
    _save_in_view_then_save(page, taps)

    expect(page.get_by_role("status")).to_contain_text("Planning meeting logged as done.")
    plan.refresh_from_db()
    assert plan.done and taps.count == 3


def test_it_links_a_refused_step_to_the_step_to_log_first(cast, page, live_server):
    """The issue's case, by hand: the debrief ticked done while the visit is only scheduled."""
    challenge = challenge_at(cast, "implement")
    log(challenge, P, days=-2)
    log(challenge, V, days=1, done=False)
    page.set_viewport_size(PHONE)
    login(page, live_server, "alice@example.org")
    page.goto(live_server.url + reverse("coaching:step_new", args=[challenge.pk, D]))

    page.get_by_label("Done").check()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".alert-danger")).to_contain_text("Log the classroom visit first")
    page.get_by_test_id("refusal-moves").get_by_role("link", name="Log the classroom visit").click()
    expect(page.locator("h1")).to_contain_text("Classroom visit")
    expect(page.get_by_label("Done")).to_be_checked()


# --- by keyboard ---------------------------------------------------------------------------------

FOCUS_RING = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return {tag: el.tagName, text: (el.innerText || el.value || el.id || "").trim().slice(0, 40),
          ring: outline || style.boxShadow !== "none", main: el.tagName === "MAIN"};
}"""


def _press(page, key: str, keys: list, *, navigates: bool = False) -> None:
    if navigates:
        with page.expect_navigation():
            page.keyboard.press(key)
    else:
        page.keyboard.press(key)
    keys.append(key)
    focused = page.evaluate(FOCUS_RING)
    # <main> takes the focus from the skip link only to start the next Tab there, and a new page
    # without autofocus starts at <body>: neither is a control.
    assert focused["ring"] or focused["main"] or focused["tag"] == "BODY", f"no focus ring on {focused} after {keys}"


def _tab_to(page, keys: list, is_target) -> None:
    while not is_target(page.evaluate(FOCUS_RING)):
        _press(page, "Tab", keys)
        assert len(keys) <= 15, f"still not there after {keys}"


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_it_logs_a_step_from_the_teacher_page_by_keyboard_in_15_keys(cast, page, live_server, viewport):
    challenge = challenge_at(cast, "implement")
    log(challenge, P, days=-1)
    page.set_viewport_size(viewport)
    login(page, live_server, "alice@example.org")
    page.goto(live_server.url + reverse("coaching:teacher", args=[cast.teacher.pk]))
    keys: list[str] = []

    _press(page, "Tab", keys)  # the skip link comes first
    assert page.evaluate(FOCUS_RING)["text"] == "Skip to main content"
    _press(page, "Enter", keys)
    _tab_to(page, keys, lambda el: el["text"] == "Log or schedule the classroom visit")
    _press(page, "Enter", keys, navigates=True)
    expect(page.get_by_label("Confidential notes")).to_be_focused()  # autofocus: the one thing to type
    _tab_to(page, keys, lambda el: el["tag"] == "BUTTON" and el["text"] == "Save")
    _press(page, "Enter", keys, navigates=True)

    expect(page.get_by_role("status")).to_contain_text("Classroom visit logged as done.")
    assert len(keys) <= 15, keys
    print(f"{len(keys)} keystrokes: {keys}")


def test_it_shows_a_focus_ring_on_date_and_time_inputs(cast, page, live_server):
    challenge = challenge_at(cast, "implement")
    login(page, live_server, "alice@example.org")
    page.goto(live_server.url + reverse("coaching:step_new", args=[challenge.pk, P]))

    for field in ("#id_date", "#id_time", "#id_minutes"):
        page.locator(field).focus()
        style = page.evaluate(FOCUS_RING)
        assert style["ring"], f"{field}: {style}"


NAV_RING = """() => {
  const style = getComputedStyle(document.activeElement);
  return {text: document.activeElement.innerText.trim(), style: style.outlineStyle,
          width: parseFloat(style.outlineWidth), color: style.outlineColor};
}"""


def test_it_rings_the_focused_link_of_the_dark_navigation_bar_in_white(cast, page, live_server):
    """A tester's find: Bootstrap gives a nav link a 25% blue shadow and no outline, ~1.3:1 on the bar."""
    login(page, live_server, "alice@example.org")
    page.goto(live_server.url + reverse("standards:catalog"))
    page.keyboard.press("Tab")  # the skip link
    seen = []
    for _ in range(4):  # the brand, then the bar's links
        page.keyboard.press("Tab")
        focused = page.evaluate(NAV_RING)
        seen.append(focused["text"])
        assert (focused["style"], focused["width"], focused["color"]) == ("solid", 3, "rgb(255, 255, 255)"), focused
    assert seen[0] == "Cadence" and len(set(seen)) == 4, seen


# --- step 2's library ---------------------------------------------------------------------------


def test_it_filters_the_library_as_you_type_and_shows_more_on_request(cast, page, live_server):
    challenge = challenge_at(cast, "investigate")
    for n in range(12):
        f.StrategyFactory(district=cast.district, title=f"Exit ticket variant {n:02}", category="professional_growth")
    candidate_add(challenge=challenge, strategy=cast.strategy, source=StrategyCandidate.Source.PLN)
    page.set_viewport_size(PHONE)
    login(page, live_server, "alice@example.org")
    page.goto(live_server.url + reverse("coaching:investigate", args=[challenge.pk]))
    results = page.locator("#library-results [data-strategy]:visible")

    expect(results).to_have_count(10)
    expect(results.first).to_contain_text("Think-pair-share")  # the best fit first
    page.get_by_label("Search").press_sequentially("variant 1")
    expect(page.locator("#library-count")).to_have_text("2 strategies match")
    expect(results).to_have_count(2)
    page.get_by_label("Search").fill("")
    page.get_by_label("Search").press_sequentially("x")  # "exit ticket" matches in every title
    expect(page.locator("#library-count")).to_have_text("12 strategies match")
    page.get_by_role("link", name="Show all 12 strategies").click()
    expect(results).to_have_count(12)
    axe_check(page)
