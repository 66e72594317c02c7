"""Every offered action works: in every state a challenge can be in, each link and button that Home,
the caseload and the teacher page offer leads to a form that saves as it stands (with a first choice
where a person must choose), and a refusal links to what to do instead.

Each save runs in a savepoint that is rolled back, so every offer is tried from the same state.
"""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.urls import resolve, reverse

from coaching import services
from coaching.models import Challenge, Reflection, Step, StrategyCandidate
from testing.factories import StrategyFactory, challenge_at, day, log
from testing.html import read

Status, Kind = Challenge.Status, Step.Kind

# Coaching pages that hold a form to fill in (the rest are pages to read).
FORM_VIEWS = {
    "challenge_new", "identify", "investigate", "select", "step_new", "step_edit", "reflect", "itu_rate",
    "activity_new", "strategy_new", "story_new", "story_edit",
}  # fmt: skip


def _implementing(cast, *steps):
    """Implementing, with steps logged (done) or scheduled: (kind, days from today, done)."""
    challenge = challenge_at(cast, Status.IMPLEMENT)
    for kind, days, done in steps:
        log(challenge, kind, days=days, done=done)
    return challenge


def _iterated(cast):
    challenge = challenge_at(cast, Status.REFLECT)
    services.challenge_reflect(
        challenge=challenge, decision=Reflection.Decision.ITERATE, held_on=day(), minutes=20
    )  # fmt: skip
    return challenge


def _one_candidate(cast):
    challenge = challenge_at(cast, Status.INVESTIGATE)
    StrategyFactory(district=cast.district, title="Another strategy")
    services.candidate_add(challenge=challenge, strategy=cast.strategy, source=StrategyCandidate.Source.PLN)
    return challenge


P, V, D = Kind.PLAN_MEETING, Kind.VISIT, Kind.DEBRIEF
STATES = {
    "no challenge": lambda cast: None,
    "identify": lambda cast: challenge_at(cast, Status.IDENTIFY),
    "investigate": lambda cast: challenge_at(cast, Status.INVESTIGATE),
    "investigate, one candidate of two": _one_candidate,
    "select": lambda cast: challenge_at(cast, Status.SELECT),
    "implement, no step yet": lambda cast: _implementing(cast),
    "plan scheduled for tomorrow": lambda cast: _implementing(cast, (P, 1, False)),
    "plan overdue": lambda cast: _implementing(cast, (P, -1, False)),
    "plan done": lambda cast: _implementing(cast, (P, -1, True)),
    "visit scheduled for tomorrow": lambda cast: _implementing(cast, (P, -2, True), (V, 1, False)),
    "plan and visit scheduled": lambda cast: _implementing(cast, (P, 1, False), (V, 2, False)),
    "visit done 9 days ago": lambda cast: _implementing(cast, (P, -10, True), (V, -9, True)),
    "debrief scheduled for tomorrow": lambda cast: _implementing(cast, (P, -3, True), (V, -2, True), (D, 1, False)),
    "all three scheduled": lambda cast: _implementing(cast, (P, 0, False), (V, 1, False), (D, 2, False)),
    "cycle complete": lambda cast: _implementing(cast, (P, -3, True), (V, -2, True), (D, -1, True)),
    "reflect": lambda cast: challenge_at(cast, Status.REFLECT),
    "iterating: cycle 2": _iterated,
    "closed": lambda cast: challenge_at(cast, Status.CLOSED),
}


def _saves(client, url: str, form) -> str | None:
    """Submit the form as it stands in a savepoint rolled back afterwards; why it did not save, or None."""
    target = form.action or url
    with transaction.atomic():
        response = client.post(target, form.data())
        followed = client.get(response["Location"]) if response.status_code == 302 else response
        page = followed.content.decode()
        transaction.set_rollback(True)
    if response.status_code != 302:
        return f"{response.status_code} with errors: {_errors(page)}"
    if "alert-danger" in page:
        return f"refused: {_errors(page)}"
    return None


ERROR = re.compile(r'class="[^"]*(?:alert-danger|invalid-feedback)[^"]*"[^>]*>(.*?)</', re.S)


def _errors(page: str) -> str:
    return " | ".join(
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(r'class="[^"]*(?:alert-danger|invalid-feedback)[^"]*"[^>]*>(.*?)</', page, re.S)
    )


def _offers(client, page_url: str):
    """The form pages a page links to, and the forms (buttons) on the page itself."""
    page = read(client.get(page_url).content.decode())
    links = []
    for href, text in page.links:
        path = urlsplit(href).path
        match = resolve(path)
        if match.namespace == "coaching" and match.url_name in FORM_VIEWS:
            links.append((href, text))
    return links, [form for form in page.forms if form.method == "post"]


@pytest.mark.parametrize("state", list(STATES))
def test_it_offers_only_actions_that_save(client, cast, state):
    cast.strategy.tools.add(cast.tool)  # so that the select form comes with its tool ticked
    STATES[state](cast)
    client.force_login(cast.alice)
    pages = [
        reverse("coaching:teacher", args=[cast.teacher.pk]),
        reverse("coaching:home"),
        reverse("coaching:caseload"),
    ]
    failures, tried = [], set()
    for page_url in pages:
        links, buttons = _offers(client, page_url)
        for form in buttons:
            if reason := _saves(client, page_url, form):
                failures.append(f"{page_url}: the button “{form.submit_label}” → {reason}")
        for href, text in links:
            if href in tried:
                continue
            tried.add(href)
            response = client.get(href, follow=True)  # a create page first redirects to its keyed URL (to_keyed_page)
            assert response.status_code == 200, f"{page_url}: “{text}” → {href} answers {response.status_code}"
            at = response.redirect_chain[-1][0] if response.redirect_chain else href
            forms = [form for form in read(response.content.decode()).forms if form.method == "post"]
            assert forms, f"{page_url}: “{text}” → {href} has no form"
            for form in forms:
                if reason := _saves(client, at, form):
                    failures.append(f"{page_url}: “{text}” → {href}, “{form.submit_label}” → {reason}")
    assert not failures, "\n".join(failures)
    assert tried, "every state offers something to do"


def test_it_offers_to_log_the_visit_first_when_only_the_visit_is_scheduled(client, cast):
    """The issue's case: the visit is scheduled for tomorrow, so the debrief cannot be logged yet."""
    challenge = _implementing(cast, (P, -2, True), (V, 1, False))
    visit = challenge.cycles.get().steps.get(kind=V)
    client.force_login(cast.alice)

    page = read(client.get(reverse("coaching:teacher", args=[cast.teacher.pk])).content.decode())

    offered = {text: href for href, text in page.links if "/steps/" in href}
    assert offered["Log the classroom visit"] == reverse("coaching:step_edit", args=[visit.pk]) + "?log=1"
    assert "Schedule the debrief meeting" in offered
    assert not any(text.startswith("Log or schedule the debrief") for text in offered)


def test_it_links_a_refusal_to_what_unblocks_it(client, cast):
    challenge = _implementing(cast, (P, -2, True), (V, 1, False))
    visit = challenge.cycles.get().steps.get(kind=V)
    client.force_login(cast.alice)
    url = reverse("coaching:step_new", args=[challenge.pk, D])
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()

    response = client.post(url, {"done": "on", "date": tomorrow, "time": "10:00", "minutes": 30})

    html = response.content.decode()
    assert "Log the classroom visit first: the debrief meeting is done only after it." in html
    page = read(html)
    assert (reverse("coaching:step_edit", args=[visit.pk]) + "?log=1", "Log the classroom visit") in page.links


def test_it_pre_ticks_done_when_logging_and_says_what_happened(client, cast):
    challenge = _implementing(cast, (P, 0, False))
    plan = challenge.cycles.get().steps.get()
    client.force_login(cast.alice)
    url = reverse("coaching:step_edit", args=[plan.pk]) + "?log=1"

    form = next(form for form in read(client.get(url).content.decode()).forms if form.method == "post")
    assert ("done", "on") in form.fields
    response = client.post(url, form.data(), follow=True)

    plan.refresh_from_db()
    assert plan.done
    assert "Planning meeting logged as done." in response.content.decode()


def test_it_says_when_a_step_is_scheduled_for(client, cast):
    challenge = _implementing(cast)
    client.force_login(cast.alice)
    url = reverse("coaching:step_new", args=[challenge.pk, P])
    when = day(3)

    response = client.post(url, {"date": when.isoformat(), "time": "09:30", "minutes": 30}, follow=True)

    year = "" if when.year == day(0).year else f" {when.year}"  # in the last days of December, next year's
    assert f"Planning meeting scheduled for {when:%a} {when.day} {when:%b}{year}, 09:30." in response.content.decode()


def test_it_says_a_done_step_was_updated_when_it_is_edited(client, cast):
    """Correcting a step logged earlier (its minutes, say) says so: it was not "logged as done" again."""
    challenge = _implementing(cast, (P, -1, True))
    plan = challenge.cycles.get().steps.get()
    client.force_login(cast.alice)
    url = reverse("coaching:step_edit", args=[plan.pk])

    form = next(form for form in read(client.get(url).content.decode()).forms if form.method == "post")
    response = client.post(url, {**form.data(), "minutes": 50}, follow=True)

    plan.refresh_from_db()
    assert plan.minutes == 50
    page = response.content.decode()
    assert "Planning meeting updated." in page and "logged as done" not in page
