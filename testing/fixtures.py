"""Fixtures that leave the test process: a real Celery worker, and headless Chromium.

Both run through `make test`, which points the suite at PostgreSQL and Redis. They fail rather
than skip when that environment is missing, so CI can never pass by quietly not running them.
"""

import contextlib
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from coaching import services
from coaching.models import Challenge, ChallengeCategory, StrategyCandidate

# Playwright's sync API keeps an event loop running in the test thread; Django would otherwise
# refuse every ORM call made from it (fixtures, assertions) as "unsafe in an async context".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WORKER_READY_SECONDS = 30


# --- data ------------------------------------------------------------------------------------


@pytest.fixture
def implementing_challenge(cast) -> Challenge:
    """Alice's challenge with Maria, walked through steps 1–3 by the real services: cycle 1 is open."""
    problem = "Students rarely discuss their reasoning with each other"
    challenge = services.challenge_start(enrollment=cast.enrollment, problems=[problem])
    services.challenge_identify(
        challenge=challenge, problems=[problem], title=problem, improvement="students' discussion of their reasoning",
        category=ChallengeCategory.INSTRUCTIONAL,
    )  # fmt: skip
    services.candidate_add(challenge=challenge, strategy=cast.strategy, source=StrategyCandidate.Source.RESEARCH)
    services.investigation_finish(challenge=challenge)
    return services.challenge_select_strategy(challenge=challenge, strategy=cast.strategy, tools=[cast.tool])


@pytest.fixture
def tomorrow_at_ten(cast) -> datetime.datetime:
    """10:00 tomorrow in the district's own time zone: a typical time to schedule a step for."""
    tz = zoneinfo.ZoneInfo(cast.district.timezone)
    day = timezone.localdate(timezone=tz) + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=tz)


# --- the Celery worker -------------------------------------------------------------------------


def _test_database_url() -> str:
    """The URL of the database this test writes to (pytest-django renamed it test_<name>)."""
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.fail(
            f"The worker tests need PostgreSQL (a separate process cannot see the {connection.vendor} "
            "test database). Run them with `make test`, which sets DATABASE_URL."
        )
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_until_ready(process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + WORKER_READY_SECONDS
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if " ready." in text:
            return
        if process.poll() is not None:
            pytest.fail(f"The Celery worker exited with {process.returncode} before it was ready:\n{text}")
        time.sleep(0.2)
    pytest.fail(f"The Celery worker was not ready within {WORKER_READY_SECONDS} s:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()  # warm shutdown: finish the task in hand
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _delete_queue(app, queue: str) -> None:
    """Leave no per-test queue behind in Redis."""
    try:
        with app.connection_for_write() as conn:
            # Kombu's Redis transport unbinds only what this channel declared: declare, then delete.
            bound = app.amqp.queues[queue].bind(conn.default_channel)
            bound.declare()
            bound.delete()
    except Exception:  # noqa: S110 - tidying up must not turn a passing test red
        pass


@contextlib.contextmanager
def _worker(tmp_path: Path, settings, pool: str) -> Iterator[SimpleNamespace]:
    """A `celery worker` process with `pool` (solo: the task runs in it; prefork: in its one child)."""
    from config.celery import app

    if not settings.REDIS_URL:
        pytest.fail("The worker tests need Redis: set REDIS_URL (`make test` does).")
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    # A queue of its own, so messages left by an earlier or concurrent run cannot interfere.
    queue = f"cadence-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "CONN_MAX_AGE": "0",  # the test database is flushed between tests; hold no connection open
        "CELERY_QUEUE": queue,  # what the worker queues itself (the outbox relay) stays in this test's queue
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}", "--concurrency=1"]
    command += ["-Q", queue, "-n", f"{queue}@%h", "--loglevel=INFO"]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]

    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    with log.open("wb") as output:  # the worker logs to stderr; import errors land there too
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    try:
        _wait_until_ready(process, log)
        yield SimpleNamespace(mail_dir=mail_dir, process=process, log=log, queue=queue)
    finally:
        _stop(process)
        app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue
        _delete_queue(app, queue)


@pytest.fixture
def celery_worker(transactional_db, tmp_path, settings):
    """A real `celery worker` process consuming this test's own queue.

    It reads the test database, so rows must be committed (hence transactional_db), and it
    e-mails into `tmp_path / "mail"` (returned), where the test process's locmem outbox cannot.
    """
    with _worker(tmp_path, settings, pool="solo") as worker:
        yield worker.mail_dir


@pytest.fixture
def celery_prefork_worker(transactional_db, tmp_path, settings):
    """Like celery_worker, but tasks run in a child process, as in production: killing that child (the
    out-of-memory killer's way) is a lost worker that the parent notices. Yields .process, .mail_dir, .log."""
    with _worker(tmp_path, settings, pool="prefork") as worker:
        yield worker


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point the Celery app of this process at another broker for the block (e.g. a port nobody listens on)."""
    from config.celery import app

    saved = app.conf.broker_url
    app.conf.broker_url = url
    app._pool, app.amqp._producer_pool = None, None  # connection pools remember the old URL
    try:
        yield
    finally:
        app.conf.broker_url = saved
        app._pool, app.amqp._producer_pool = None, None


UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: as when Redis is down


@pytest.fixture
def unreachable_broker():
    """The broker is down for the whole test, and tasks are not run eagerly (they go through the broker)."""
    from config.celery import app

    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    with broker_at(UNREACHABLE_BROKER):
        yield
    app.conf.task_always_eager = eager


def worker_children(process: subprocess.Popen) -> list[int]:
    """The pids of a worker's pool processes (Linux /proc)."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


# --- a double tap -------------------------------------------------------------------------------

SUBMISSION_KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')


def submission_key(page: str) -> str:
    """The key the form on `page` was rendered with (config.forms.SubmissionKeyMixin)."""
    match = SUBMISSION_KEY.search(page)
    if match is None:
        pytest.fail("The page's form carries no submission key: it is not safe to send twice.")
    return match.group(1)


def form_on(client, page_url: str, *, action: str = "", where=None, **values) -> tuple[str, dict]:
    """The POST form of `page_url` that posts to `action` ("": the page itself) and whose data satisfies
    `where`, filled in as a person would send it (testing.html), with `values` changed. Returns the URL it
    posts to and its data."""
    from testing.html import read

    response = client.get(page_url, follow=True)  # a create page may first redirect to its keyed URL (page_key)
    page_url = response.redirect_chain[-1][0] if response.redirect_chain else page_url
    for form in read(response.content.decode()).forms:
        data = form.data()
        posts_to = "" if form.action == page_url else form.action  # its own URL, written out
        if form.method == "post" and posts_to == action and (where is None or where(data)):
            data.update({name: [value] for name, value in values.items()})
            return action or page_url, data
    pytest.fail(f"No form on {page_url} posts to {action or 'the page itself'}.")


def post_twice_at_once(client, url: str, data: dict, second_data: dict | None = None) -> list:
    """POST `data` to `url` twice at the same moment in `client`'s session, as a double tap does (or `data` and
    `second_data`, as two tabs do): two threads, each with its own database connection (so use
    transactional_db). A 500 comes back as a response."""
    from django.db import connections
    from django.test import Client

    start, responses = threading.Barrier(2), [None, None]

    def tap(index: int) -> None:
        twin = Client(raise_request_exception=False)
        twin.cookies.load({name: morsel.value for name, morsel in client.cookies.items()})
        start.wait()
        try:
            responses[index] = twin.post(url, second_data if index and second_data is not None else data)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=tap, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return responses


# --- another process's database session ------------------------------------------------------


@pytest.fixture
def other_session(django_db_setup, django_db_blocker):
    """A second PostgreSQL session on the test database (autocommit), as another process holds one:
    to hold a job's lock or a row lock while the code under test runs."""
    import psycopg2

    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL: run it with `make test`, which sets DATABASE_URL.")
    with django_db_blocker.unblock():
        session = psycopg2.connect(**connection.get_connection_params())
    session.autocommit = True
    yield session
    session.close()


def hold_job_lock(session, kind: str, pk: int) -> None:
    """Take the job's advisory lock (config.jobs.job_lock) in `session`, as a worker running it does."""
    from config.jobs import _lock_key

    with session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", _lock_key(kind, pk))


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Browser tests need Chromium at {CHROMIUM} (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) per test; the live server runs the app on the test DB."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def login(page, live_server, email: str, password: str = "password") -> None:  # noqa: S107 - the factories' password
    """Sign in through the real login page, as a person would."""
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("E-mail address").fill(email)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():  # to the next page, or back to the form when refused
        page.get_by_role("button", name="Sign in").click()
    if page.url.startswith(live_server.url + reverse("login")):
        pytest.fail(f"Could not sign in as {email}: still on {page.url}")


def axe_check(page) -> None:
    """Fail listing every WCAG 2.1 AA violation axe-core finds on the page, once it has loaded.

    A click on a link returns when the next page is committed, which may still be an empty document; axe-core run
    then fails on it ("reading 'documentElement'") or checks nothing. Waiting for the load event checks it whole.
    """
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    if results.violations_count:
        pytest.fail(f"axe-core on {page.url}:\n{results.generate_report()}", pytrace=False)


# --- a real OpenID Connect provider ----------------------------------------------------------------

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
OIDC_READY_SECONDS = 20


def oidc_install() -> None:
    """Install the provider's npm packages from package-lock.json, unless the installed ones are current.

    npm writes node_modules/.package-lock.json on every install; when it matches the committed lock
    the packages are already there (the same check CI's .ci/run makes).
    """
    installed = OIDC_DIR / "node_modules" / ".package-lock.json"
    lock = json.loads((OIDC_DIR / "package-lock.json").read_text())["packages"]
    if installed.exists() and json.loads(installed.read_text())["packages"].keys() == lock.keys() - {""}:
        return
    if not shutil.which("npm"):
        pytest.fail("The sign-in tests run a real OpenID Connect provider on Node.js: install nodejs and npm.")
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=OIDC_DIR, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode:
        pytest.fail(f"npm ci in {OIDC_DIR} failed:\n{result.stdout}\n{result.stderr}")


def _free_port() -> int:
    """A free port on 127.0.0.1: from OIDC_TEST_PORTS ("8120-8129") when set, else any the system offers."""
    low, _, high = os.environ.get("OIDC_TEST_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    pytest.fail(f"No free port in OIDC_TEST_PORTS={os.environ['OIDC_TEST_PORTS']}")


@pytest.fixture
def oidc_provider(cast, live_server, tmp_path):
    """panva/oidc-provider (Node.js) on 127.0.0.1, switched on as Riverside's OpenID Connect sign-in.

    Its development login page signs in whoever types an address (see testing/oidc/provider.mjs).
    Returns the district's SignInProvider; allowed domain: example.org, the cast's.
    """
    from districts.models import SignInProvider

    oidc_install()
    port, client_id, secret = _free_port(), "cadence-test", "cadence-test-secret-0123456789"
    redirect_uri = f"{live_server.url}/sso/oidc/oidc-{cast.district.slug}/login/callback/"
    log = tmp_path / "oidc.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["node", "provider.mjs", str(port), client_id, secret, redirect_uri],
            cwd=OIDC_DIR, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + OIDC_READY_SECONDS
        while "ready " not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The OpenID Connect provider did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield SignInProvider.objects.create(
            district=cast.district, kind=SignInProvider.Kind.OIDC, enabled=True, label="Clever",
            server_url=f"http://127.0.0.1:{port}", client_id=client_id, secret=secret,
            allowed_domains=["example.org"],
        )  # fmt: skip
    finally:
        _stop(process)
