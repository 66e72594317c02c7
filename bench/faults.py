"""Fault injection against a production-like Cadence: `make faults` (not a test; it takes a few minutes).

    .venv/bin/python bench/faults.py [--seconds 60] [--clients 32] [--keep]

It starts its own stack on private ports of 127.0.0.1 — a throwaway PostgreSQL cluster (initdb), a
Redis server (append-only file, as a broker must be), two gunicorn instances of two workers each,
two Celery workers and one beat, all with DEBUG off — loads a synthetic district, and replays each
fault of issue 9, printing what users got, requests lost, jobs stuck, and writes lost or duplicated.
It sends traffic to 127.0.0.1 only, starts and stops only the processes it starts (by PID), and stops
by itself: every wait is bounded. Run as root, it runs PostgreSQL as the `postgres` user.

Ports: web 8104 and 8105, PostgreSQL 8110, Redis 8111 (override with FAULTS_PORT_BASE).
"""

import argparse
import collections
import contextlib
import datetime
import email
import email.policy
import html.parser
import http.client
import http.cookies
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = int(os.environ.get("FAULTS_PORT_BASE", "8104"))
WEB_PORTS = (BASE, BASE + 1)
PG_PORT, REDIS_PORT = BASE + 6, BASE + 7
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
PASSWORD = "faults-Passphrase-42"
KILLED_IMPORT_ROWS = 60_000  # several seconds of work: time to find the process running it and kill it
PY = sys.executable


# --- the stack -------------------------------------------------------------------------------------------


class Stack:
    """Every process this script starts, by PID, and how to stop each."""

    def __init__(self, work: Path) -> None:
        self.work, self.procs = work, {}
        self.pg_user = "postgres" if os.geteuid() == 0 else None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "faults-only-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/cadence",
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(work / "mail"),
            "SITE_URL": f"https://127.0.0.1:{WEB_PORTS[0]}",
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
            # Shorter than production's, so that a job stranded by a whole worker's death ends within this run.
            "BROKER_VISIBILITY_TIMEOUT": "30",
            "JOB_DEADLINE_SECONDS": "90",
        }

    def start(self, name: str, command: list[str], *, user: str | None = None, env=None) -> subprocess.Popen:
        log = (self.work / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env or self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, user=user
        )
        self.procs[name] = process
        return process

    def stop(self, name: str, sig=signal.SIGTERM, timeout: float = 20) -> None:
        process = self.procs.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for name in [n for n in self.procs if not n.startswith(("postgres", "redis"))]:
            self.stop(name)
        self.stop("redis")
        self.stop("postgres", signal.SIGINT)

    # PostgreSQL: a cluster of our own in the work directory.
    def postgres_init(self) -> None:
        data = self.work / "pg"
        data.mkdir()
        if self.pg_user:
            shutil.chown(data, self.pg_user)
            self.work.chmod(0o755)
        subprocess.run(
            [PG_BIN / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            check=True, capture_output=True, user=self.pg_user,
        )  # fmt: skip

    def postgres_start(self) -> None:
        command = [PG_BIN / "postgres", "-D", self.work / "pg", "-p", str(PG_PORT), "-k", self.work / "pg"]
        command += ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "shared_buffers=64MB"]
        self.start("postgres", [str(part) for part in command], user=self.pg_user)
        wait_until(lambda: _pg_ready(), 30, "PostgreSQL to accept connections")

    def postgres_stop(self) -> None:
        self.stop("postgres", signal.SIGINT)  # fast shutdown: sessions are cut, as in a restart

    def redis_start(self) -> None:
        command = ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--dir", str(self.work)]
        command += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
        self.start("redis", command)
        wait_until(lambda: _redis_ready(), 15, "Redis to answer")

    def redis_stop(self) -> None:
        self.stop("redis")

    def manage(self, *args: str) -> None:
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True)

    def web_start(self, index: int) -> None:
        port = WEB_PORTS[index]
        command = [PY, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        command += ["--timeout", "30", "--graceful-timeout", "5", "--name", f"cadence-web-{index}"]
        self.start(f"web{index}", command)

    def worker_start(self, index: int) -> None:
        command = [PY, "-m", "celery", "-A", "config", "worker", "-n", f"worker{index}@%h", "--concurrency", "2"]
        self.start(f"worker{index}", command + ["--loglevel", "INFO"])

    def beat_start(self) -> None:
        schedule = self.work / "beat-schedule"
        self.start("beat", [PY, "-m", "celery", "-A", "config", "beat", "--schedule", str(schedule), "-l", "INFO"])


def _pg_ready() -> bool:
    result = subprocess.run([PG_BIN / "pg_isready", "-h", "127.0.0.1", "-p", str(PG_PORT)], capture_output=True)
    return result.returncode == 0


def _redis_ready() -> bool:
    result = subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True)
    return result.stdout.strip() == "PONG"


def wait_until(condition, seconds: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if value := condition():
                return value
        except Exception:  # noqa: S110 - a dependency still starting: try again until the deadline
            pass
        time.sleep(every)
    raise TimeoutError(f"Waited {seconds} s for {what}.")


# --- a browser-like client -----------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int | None  # None: no answer at all (a lost request)
    headers: dict = field(default_factory=dict)
    body: str = ""
    seconds: float = 0.0

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class FormParser(html.parser.HTMLParser):
    """The fields of the page's first POST form other than sign-out, with the values a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms, self.current, self.select, self.textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.current = {"action": a.get("action") or "", "fields": []}
            self.forms.append(self.current)
        if self.current is None or not a.get("name") and tag in ("input", "select", "textarea"):
            return
        if tag == "input" and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.current["fields"].append((a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self.select = [a["name"], None, None]
        elif tag == "option" and self.select:
            value = a.get("value", "")
            self.select[1] = self.select[1] if self.select[1] is not None else value
            if "selected" in a:
                self.select[2] = value
        elif tag == "textarea":
            self.textarea = [a["name"], ""]

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            name, first, chosen = self.select
            self.current["fields"].append((name, chosen if chosen is not None else first or ""))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.current["fields"].append(tuple(self.textarea))
            self.textarea = None
        elif tag == "form":
            self.current = None


def form_fields(page: str) -> list[tuple[str, str]]:
    parser = FormParser()
    parser.feed(page)
    forms = [f for f in parser.forms if not f["action"].endswith("/logout/")]
    return forms[0]["fields"] if forms else []


class Browser:
    """One person's browser: its own cookies and keep-alive connection to one web instance."""

    def __init__(self, port: int) -> None:
        self.port, self.cookies, self.conn = port, {}, None

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Reply:
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https"}  # as behind the TLS proxy
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            origin = f"https://127.0.0.1:{self.port}"
            headers.update({"Origin": origin, "Referer": origin + path, "Content-Type": content_type})
        started = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self.conn = None
            return Reply(None, seconds=time.monotonic() - started)
        for raw in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(raw).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        reply = Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, text)
        reply.seconds = time.monotonic() - started
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, fields: list[tuple[str, str]]) -> Reply:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def upload(self, path: str, fields: list[tuple[str, str]], name: str, filename: str, data: bytes) -> Reply:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields
        ]
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        parts.append(head.encode() + b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")

    def form(self, path: str, **values: str) -> tuple[Reply, list[tuple[str, str]]]:
        """Open the page's form and fill it as a person would: the page's own values, some changed."""
        page = self.get(path)
        fields = [(k, v) for k, v in form_fields(page.body) if k not in values]
        return page, fields + [(k, v) for k, v in values.items() if v is not None]

    def sign_in(self, email_address: str) -> None:
        _, fields = self.form("/login/", username=email_address, password=PASSWORD)
        reply = self.post("/login/", fields)
        if reply.status != 302:
            raise RuntimeError(f"Could not sign in as {email_address}: {reply.status}")


# --- measurements ------------------------------------------------------------------------------------------


class Log:
    def __init__(self) -> None:
        self.lock, self.rows = threading.Lock(), []

    def add(self, scenario: str, reply: Reply, what: str) -> Reply:
        with self.lock:
            self.rows.append((scenario, time.monotonic(), reply.status, reply.seconds, what, reply.headers))
        return reply

    def of(self, scenario: str) -> list:
        return [row for row in self.rows if row[0] == scenario]


def statuses(rows) -> str:
    counts = collections.Counter("lost" if r[2] is None else r[2] for r in rows)
    return ", ".join(f"{n}×{status}" for status, n in sorted(counts.items(), key=lambda kv: str(kv[0])))


def count(rows, *codes) -> int:
    return sum(1 for r in rows if r[2] in codes)


def lost(rows) -> int:
    return sum(1 for r in rows if r[2] is None)


# --- the district ----------------------------------------------------------------------------------------------


def seed(coaches: int):
    """A district with `coaches` coaches, each with five teachers whose challenges sit where the faults need them:
    a, d at step 4 with cycle 1 empty (a step to log, a step to schedule), b with cycle 1 complete (a new cycle),
    c and e with no challenge (touchpoints, page reads)."""
    from accounts.models import District, Membership, Role, School, User
    from coaching.models import Enrollment, Program, Strategy, Teacher, Tool

    district = District.objects.create(name="Faultline Unified", slug="faultline")
    school = School.objects.create(district=district, name="Faultline Middle School")
    today = datetime.date.today()
    program = Program.objects.create(
        district=district, name="Coaching", starts_on=today, ends_on=today + datetime.timedelta(days=300)
    )
    program.schools.add(school)
    strategy = Strategy.objects.create(
        district=district, title="Think-pair-share", category="instructional", itu_indicator="collaboration"
    )
    tool = Tool.objects.create(district=district, name="Shared docs")

    def person(address, role):
        user = User(email=address, full_name=address.split("@")[0].title())
        user.set_password(PASSWORD)
        user.save()
        Membership.objects.create(user=user, district=district, role=role).schools.add(school)
        return user

    admin = person("admin@faultline.test", Role.DISTRICT_ADMIN)
    people = []
    for i in range(coaches):
        coach = person(f"coach{i}@faultline.test", Role.COACH)
        program.coaches.add(coach)
        mine = {}
        for letter in "abcde":
            teacher = Teacher.objects.create(school=school, name=f"Teacher {i}{letter}", email=f"t{i}{letter}@x.test")
            enrollment = Enrollment.objects.create(program=program, coach=coach, teacher=teacher)
            challenge = _implementing(enrollment, strategy, tool, cycle_done=letter == "b") if letter in "abd" else None
            mine[letter] = SimpleEnrollment(teacher.pk, enrollment.pk, challenge and challenge.pk)
        people.append(Person(coach.email, i, mine))
    return admin.email, people


def _implementing(enrollment, strategy, tool, *, cycle_done: bool):
    """A challenge walked to step 4 by the services; with `cycle_done`, cycle 1's three steps are logged."""
    from coaching import services
    from coaching.models import ChallengeCategory, Step, StrategyCandidate

    problem = f"Problem of {enrollment.teacher.name}"
    challenge = services.challenge_start(enrollment=enrollment, problems=[problem])
    services.challenge_identify(
        challenge=challenge,
        problems=[problem],
        title=problem,
        improvement="how students explain their reasoning",
        category=ChallengeCategory.INSTRUCTIONAL,
    )
    services.candidate_add(challenge=challenge, strategy=strategy, source=StrategyCandidate.Source.PLN)
    services.investigation_finish(challenge=challenge)
    services.challenge_select_strategy(challenge=challenge, strategy=strategy, tools=[tool])
    now = datetime.datetime.now(datetime.UTC)
    for days, kind in ((3, Step.Kind.PLAN_MEETING), (2, Step.Kind.VISIT), (1, Step.Kind.DEBRIEF)) if cycle_done else ():
        starts_at = now - datetime.timedelta(days=days)
        services.step_log(
            challenge=challenge, kind=kind, starts_at=starts_at, done=True, minutes=30, visit_mode="observe"
        )
    return challenge


@dataclass(frozen=True)
class SimpleEnrollment:
    teacher: int
    enrollment: int
    challenge: int | None


@dataclass(frozen=True)
class Person:
    email: str
    index: int
    teachers: dict

    def browser(self) -> Browser:
        browser = Browser(WEB_PORTS[self.index % 2])
        browser.sign_in(self.email)
        return browser


def db():
    """Django's connection, reopened if a fault closed it."""
    from django.db import close_old_connections, connection

    close_old_connections()
    if connection.connection is not None and not connection.is_usable():
        connection.close()
    return connection


# --- traffic ---------------------------------------------------------------------------------------------------


def touchpoint(browser: Browser, person: Person, marker: str, log: Log, scenario: str) -> Reply:
    enrollment = str(person.teachers["c"].enrollment)
    page, fields = browser.form("/activities/touchpoint/new/", enrollment=enrollment, channel="hallway", notes=marker)
    log.add(scenario, page, "GET touchpoint form")
    if page.status != 200:
        return page
    return log.add(scenario, browser.post("/activities/touchpoint/new/", fields), "POST touchpoint")


def load(people: list, seconds: float, log: Log, scenario: str, acked: list, started: threading.Event | None = None):
    """Each person signs in, then reads pages and logs touchpoints for `seconds`; acknowledged writes go into
    `acked`. `started` is set when everyone is signed in and the traffic begins."""
    browsers = at_once(*(person.browser for person in people))
    (started or threading.Event()).set()
    deadline = time.monotonic() + seconds

    def run(person: Person, browser: Browser) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            for path in ("/", "/caseload/", f"/teachers/{person.teachers['e'].teacher}/", "/activities/"):
                log.add(scenario, browser.get(path), f"GET {path}")
            marker = f"{scenario}-{person.index}-{n}-{uuid.uuid4().hex[:6]}"
            if touchpoint(browser, person, marker, log, scenario).status == 302:
                acked.append(marker)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(people, browsers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)


def writes(markers: list[str]) -> tuple[int, int]:
    """(lost, duplicated) among acknowledged touchpoints: each must be saved exactly once."""
    from coaching.models import Activity

    db()
    found = collections.Counter(Activity.objects.filter(notes__in=markers).values_list("notes", flat=True))
    return sum(1 for m in markers if found[m] == 0), sum(1 for m in markers if found[m] > 1)


def at_once(*calls):
    """Run the calls in threads released together (a double tap); returns their results in order."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def double_tap(browser: Browser, path: str, fields) -> list[Reply]:
    """The same form POSTed twice at once from one browser, on two connections as a browser would."""
    twin = Browser(browser.port)
    twin.cookies = browser.cookies  # the same person, the same session
    return at_once(lambda: browser.post(path, fields), lambda: twin.post(path, fields))


# --- the report -----------------------------------------------------------------------------------------------


REPORT = []


def report(fault: str, users_got: str, lost_requests: int, stuck: str, writes_: str, ok: bool) -> None:
    REPORT.append((fault, users_got, lost_requests, stuck, writes_, ok))
    print(f"\n## {fault}\n  users got:      {users_got}\n  requests lost:  {lost_requests}\n"
          f"  jobs stuck:     {stuck}\n  writes:         {writes_}\n  as it should:   {'yes' if ok else 'NO'}",
          flush=True)  # fmt: skip


def summary() -> None:
    print("\n| fault | what users got | requests lost | jobs stuck | writes lost / duplicated | as it should |")
    print("| --- | --- | --- | --- | --- | --- |")
    for fault, users_got, lost_requests, stuck, writes_, ok in REPORT:
        print(f"| {fault} | {users_got} | {lost_requests} | {stuck} | {writes_} | {'yes' if ok else '**no**'} |")


# --- the faults ---------------------------------------------------------------------------------------------------


def fault_load(people, seconds, log):
    acked = []
    load(people, seconds, log, "load", acked)
    rows = log.of("load")
    server_errors = sum(1 for r in rows if r[2] and r[2] >= 500)
    missing, doubled = writes(acked)
    report(
        f"{len(people)} concurrent clients for {seconds:.0f} s (no fault)",
        f"{len(rows)} requests ({len(rows) / seconds:.1f}/s): {statuses(rows)}; median "
        f"{statistics.median(r[3] for r in rows) * 1000:.0f} ms",
        lost(rows), "—", f"{len(acked)} acknowledged touchpoints: {missing} lost, {doubled} duplicated",
        server_errors == 0 and lost(rows) == 0 and missing == doubled == 0,
    )  # fmt: skip


def fault_double_step(people, log):
    from coaching.models import Step

    pairs = [p for p in people][:30]
    outcomes = []
    for person in pairs:
        browser = person.browser()
        challenge, teacher = person.teachers["a"].challenge, person.teachers["a"].teacher
        path = f"/challenges/{challenge}/steps/plan_meeting/new/"
        _, fields = browser.form(path, done="on")
        replies = double_tap(browser, path, fields)
        for reply in replies:
            log.add("double-step", reply, "POST step")
        outcomes.append(all(r.status == 302 and r.location.endswith(f"/teachers/{teacher}/") for r in replies))
    rows = log.of("double-step")
    db()
    counts = [Step.objects.filter(cycle__challenge_id=p.teachers["a"].challenge, kind="plan_meeting").count()
              for p in pairs]  # fmt: skip
    report(
        f"the same step form POSTed twice at once ({len(pairs)} double taps)",
        f"{statuses(rows)}; {sum(outcomes)} of {len(pairs)} pairs both landed on the teacher page",
        lost(rows), "—", f"{sum(1 for c in counts if c == 1)} of {len(pairs)} cycles hold one planning meeting; "
        f"{sum(1 for c in counts if c > 1)} hold two, {sum(1 for c in counts if c == 0)} none",
        all(outcomes) and all(c == 1 for c in counts),
    )  # fmt: skip


def fault_double_cycle(people, log):
    from coaching.models import Cycle

    pairs = people[:10]
    for person in pairs:
        browser = person.browser()
        teacher, challenge = person.teachers["b"].teacher, person.teachers["b"].challenge
        page = browser.get(f"/teachers/{teacher}/")
        action = f"/challenges/{challenge}/cycles/new/"
        fields = _form_for(page.body, action)
        for reply in double_tap(browser, action, fields):
            log.add("double-cycle", reply, "POST new cycle")
            if reply.status == 302:
                follow = browser.get(reply.location)
                if "alert-danger" in follow.body:
                    log.add("double-cycle-error-message", follow, "error message")
    rows, errors = log.of("double-cycle"), log.of("double-cycle-error-message")
    db()
    counts = [Cycle.objects.filter(challenge_id=p.teachers["b"].challenge).count() for p in pairs]
    report(
        f'"new cycle" POSTed twice at once ({len(pairs)} double taps)',
        f"{statuses(rows)}; {len(errors)} pages showed an error message",
        lost(rows), "—", f"{sum(1 for c in counts if c == 2)} of {len(pairs)} challenges have exactly one new cycle",
        count(rows, 302) == len(rows) and not errors and all(c == 2 for c in counts),
    )  # fmt: skip


def _form_for(page: str, action: str) -> list[tuple[str, str]]:
    """The fields of the form on `page` that posts to `action` (a one-click button's form)."""
    parser = FormParser()
    parser.feed(page)
    for form in parser.forms:
        if form["action"] == action:
            return form["fields"]
    raise RuntimeError(f"No form posts to {action}")


def fault_double_touchpoint(people, log):
    from coaching.models import Activity

    markers, pairs = [], people[:20]
    for i, person in enumerate(pairs):
        browser = person.browser()
        marker = f"double-{i}-{uuid.uuid4().hex[:6]}"
        enrollment = str(person.teachers["c"].enrollment)
        path = "/activities/touchpoint/new/"
        _, fields = browser.form(path, enrollment=enrollment, channel="hallway", notes=marker)
        if i % 2 == 0:
            replies = double_tap(browser, path, fields)
        else:  # back to back: the second tap after the first one's answer
            replies = [browser.post(path, fields), browser.post(path, fields)]
        for reply in replies:
            log.add("double-touchpoint", reply, "POST touchpoint")
        markers.append(marker)
    rows = log.of("double-touchpoint")
    db()
    found = collections.Counter(Activity.objects.filter(notes__in=markers).values_list("notes", flat=True))
    report(
        f"a touchpoint POSTed twice ({len(pairs) - len(pairs) // 2} at once, {len(pairs) // 2} back to back)",
        statuses(rows), lost(rows), "—",
        f"{sum(1 for m in markers if found[m] == 1)} of {len(markers)} saved once, "
        f"{sum(1 for m in markers if found[m] > 1)} twice",
        all(found[m] == 1 for m in markers) and count(rows, 302) == len(rows),
    )  # fmt: skip


def fault_postgres(stack, people, log):
    acked, started = [], threading.Event()
    traffic = threading.Thread(target=load, args=(people, 35, log, "postgres", acked, started))
    traffic.start()
    started.wait(120)
    time.sleep(5)
    stack.postgres_stop()
    stack.postgres_start()  # a restart
    time.sleep(5)
    stack.postgres_stop()
    down_at = time.monotonic()
    time.sleep(10)  # stopped for 10 s
    stack.postgres_start()
    back_at = time.monotonic()
    traffic.join(120)
    rows = log.of("postgres")
    unavailable = [r for r in rows if r[2] == 503]
    with_retry_after = sum(1 for r in unavailable if r[5].get("retry-after"))
    after = sorted(r[1] for r in rows if r[1] > back_at and r[2] and r[2] < 400)
    recovery = after[0] - back_at if after else float("inf")
    missing, doubled = writes(acked)
    server_errors = count(rows, 500)
    report(
        "PostgreSQL restarted, then stopped for 10 s, under load",
        f"{statuses(rows)}; {with_retry_after} of {len(unavailable)} 503 pages carry Retry-After; first success "
        f"{recovery:.1f} s after PostgreSQL was back (down {back_at - down_at:.0f} s)",
        lost(rows), "—", f"{len(acked)} acknowledged touchpoints: {missing} lost, {doubled} duplicated",
        server_errors == 0 and with_retry_after == len(unavailable) and missing == doubled == 0 and recovery < 10,
    )  # fmt: skip


def invitations_sent(mail_dir: Path) -> collections.Counter:
    """How many invitation e-mails went out per step (by the UID in their .ics)."""
    sent = collections.Counter()
    for path in mail_dir.glob("*.log") if mail_dir.exists() else []:
        for raw in path.read_bytes().split(b"-" * 79 + b"\n"):
            if raw.strip():
                message = email.message_from_bytes(raw, policy=email.policy.default)
                for part in message.walk():
                    if part.get_content_type() == "text/calendar":
                        sent.update(re.findall(r"UID:step-(\d+)@", part.get_content()))
    return sent


def fault_redis(stack, people, log):
    from coaching.models import Step
    from config.models import OutboxMessage

    coaches = people[:10]
    browsers = [p.browser() for p in coaches]
    stack.redis_stop()
    stopped = time.monotonic()
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    for person, browser in zip(coaches, browsers, strict=True):
        path = f"/challenges/{person.teachers['d'].challenge}/steps/plan_meeting/new/"
        _, fields = browser.form(path, done=None, date=tomorrow, time="10:00", invite_teacher="on")
        log.add("redis", browser.post(path, fields), "POST schedule step")
    time.sleep(max(0, 20 - (time.monotonic() - stopped)))
    stack.redis_start()
    back = time.monotonic()
    db()
    steps = {str(pk) for pk in Step.objects.filter(cycle__challenge_id__in=[p.teachers["d"].challenge for p in coaches],
                                                   kind="plan_meeting").values_list("pk", flat=True)}  # fmt: skip
    try:
        wait_until(lambda: steps and steps <= set(invitations_sent(stack.work / "mail")), 60, "the invitations", 0.5)
        delivered_in = f"{time.monotonic() - back:.0f} s after Redis was back"
    except TimeoutError:
        delivered_in = "not within 60 s of Redis coming back"
    sent = invitations_sent(stack.work / "mail")
    rows = log.of("redis")
    times = sorted(r[3] for r in rows)
    waiting = OutboxMessage.objects.count()
    report(
        "Redis (broker) down 20 s while 10 coaches schedule steps",
        f"{statuses(rows)}; each schedule took median {statistics.median(times) * 1000:.0f} ms, "
        f"max {times[-1] * 1000:.0f} ms; invitations sent {delivered_in}",
        lost(rows), f"{waiting} tasks left in the outbox",
        f"{len(steps)} steps scheduled, {sum(1 for s in steps if sent[s])} invitations sent, "
        f"{sum(1 for s in steps if sent[s] > 1)} sent twice",
        count(rows, 302) == len(rows) == len(steps) and times[-1] < 1 and all(sent[s] == 1 for s in steps)
        and waiting == 0,
    )  # fmt: skip


def teachers_csv(rows: int, tag: str) -> bytes:
    lines = ["school,name,email,subject,grade_band"]
    lines += [f"Faultline Middle School,Rostered {tag} {i},r{tag}{i}@x.test,Math,middle" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def admin_upload(admin: Browser, rows: int, tag: str) -> int:
    _, fields = admin.form("/district/rosters/")
    reply = admin.upload("/district/rosters/", fields, "files", f"teachers-{tag}.csv", teachers_csv(rows, tag))
    if reply.status != 302:
        raise RuntimeError(f"The upload answered {reply.status}")
    return int(reply.location.rstrip("/").rsplit("/", 1)[1])


def admin_export(admin: Browser) -> Reply:
    _, fields = admin.form("/dashboard/data/")
    return admin.post("/dashboard/data/exports/", fields)


def job_states(import_ids, export_since):
    from accounts.models import RosterImport
    from dashboard.models import DataExport

    db()
    imports = list(RosterImport.objects.filter(pk__in=import_ids).values("status", "attempts", "errors"))
    exports = list(DataExport.objects.filter(created_at__gte=export_since).values("status", "attempts", "error"))
    return imports, exports


def fault_jobs_blip(stack, admin_email, log):
    from django.utils import timezone

    admin = Browser(WEB_PORTS[0])
    admin.sign_in(admin_email)
    since = timezone.now()
    log.add("jobs", admin_export(admin), "POST export")
    import_id = admin_upload(admin, KILLED_IMPORT_ROWS, "blip")
    from accounts.models import RosterImport

    running = RosterImport.objects.filter(pk=import_id, status="running")
    wait_until(lambda: db() and running.exists(), 60, "the import to run", 0.05)
    stack.postgres_stop()  # under the worker running them
    time.sleep(6)
    stack.postgres_start()
    back = time.monotonic()

    def ended():
        imports, exports = job_states([import_id], since)
        return all(j["status"] != "pending" and j["status"] != "running" for j in imports + exports) and exports

    try:
        wait_until(ended, 240, "the jobs to end", 1)
        took = f"both ended {time.monotonic() - back:.0f} s after PostgreSQL was back"
    except TimeoutError:
        took = "not ended within 240 s"
    imports, exports = job_states([import_id], since)
    since_again = timezone.now()
    log.add("jobs", admin_export(admin), "POST another export")
    try:
        second = wait_until(lambda: [e for e in job_states([], since_again)[1] if e["status"] == "ready"], 60, "", 1)
    except TimeoutError:
        second = []
    describe = [f"import {j['status']} after {j['attempts']} start(s)" for j in imports]
    describe += [f"export {e['status']} after {e['attempts']} start(s)" for e in exports]
    report(
        f"an export and a roster import ({KILLED_IMPORT_ROWS:,} teachers) requested, PostgreSQL stopped 6 s under "
        "the worker running them",
        f"{'; '.join(describe)}; {took}; a new export requested then: {'ready' if second else 'not ready'}",
        lost(log.of("jobs")), f"{sum(1 for j in imports + exports if j['status'] in ('pending', 'running'))}",
        "—", all(j["status"] in ("succeeded", "ready") for j in imports + exports) and bool(second),
    )  # fmt: skip


def running_import_pid(app) -> tuple[str, int] | None:
    """(worker hostname, pool process pid) of the worker running an import, from Celery's own inspect."""
    active = app.control.inspect(timeout=1.0).active() or {}
    for hostname, tasks in active.items():
        for task in tasks:
            if task["name"] == "districts.tasks.import_roster":
                return hostname, task["worker_pid"]
    return None


def fault_killed_worker(stack, admin_email, log, whole: bool):
    from accounts.models import RosterImport
    from config.celery import app

    admin = Browser(WEB_PORTS[1])
    admin.sign_in(admin_email)
    tag = "whole" if whole else "child"
    import_id = admin_upload(admin, KILLED_IMPORT_ROWS, tag)
    db()
    running = RosterImport.objects.filter(pk=import_id, status="running")
    wait_until(running.exists, 60, "the import to run", 0.05)
    hostname, pid = wait_until(lambda: running_import_pid(app), 10, "the import's worker process", 0.1)
    killed_at = time.monotonic()
    if whole:  # the worker and its pool, as when its machine or container dies
        name = hostname.split("@")[0]
        parent = stack.procs[name].pid
        pool = [int(p) for p in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
        stack.stop(name, signal.SIGKILL)
        for child in pool:  # processes our worker started: gone with it
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        time.sleep(2)
        stack.worker_start(int(name[-1]))  # the operator brings it back
    else:  # only the pool process running the import, as the out-of-memory killer does
        os.kill(pid, signal.SIGKILL)

    def ended():
        db()
        return RosterImport.objects.filter(pk=import_id, finished_at__isnull=False).first()

    try:
        done = wait_until(ended, 150, "the import to end", 0.5)
    except TimeoutError:
        done = RosterImport.objects.get(pk=import_id)
    took = time.monotonic() - killed_at
    message = done.errors[0]["message"] if done.errors else ""
    what = "the worker process and its pool" if whole else "the pool process running the import"
    report(
        f"{what} SIGKILLed mid-import ({KILLED_IMPORT_ROWS:,} teachers)",
        f"the import ended {done.status} {took:.0f} s later after {done.attempts} start(s)"
        + (f": “{message}”" if message else ""),
        0, "0" if done.finished_at else "1 (still running)",
        f"{done.counts.get('teachers_created', 0)} teachers created once",
        done.finished_at is not None and (done.status == "succeeded" or done.interrupted),
    )  # fmt: skip


# --- main -------------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the load run")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, mail, database)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cadence-faults-"))
    (work / "mail").mkdir()
    stack = Stack(work)
    os.environ.update(stack.env)
    sys.path.insert(0, str(ROOT))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    started = time.monotonic()
    try:
        print(f"Cadence faults: {os.cpu_count()} CPUs, PostgreSQL {PG_BIN.parent.name}, in {work}", flush=True)
        stack.postgres_init()
        stack.postgres_start()
        subprocess.run([PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "cadence"],
                       check=True)  # fmt: skip
        stack.redis_start()
        stack.manage("migrate", "--noinput")
        stack.manage("collectstatic", "--noinput")

        import django

        django.setup()
        admin_email, people = seed(args.clients)
        print(f"Seeded {len(people)} coaches with 5 teachers each, and a district admin.", flush=True)
        for index in (0, 1):
            stack.web_start(index)
            stack.worker_start(index)
        stack.beat_start()
        for port in WEB_PORTS:
            wait_until(lambda port=port: Browser(port).get("/healthz").status == 200, 60, f"gunicorn on {port}")
        wait_until(lambda: '"worker": {"ok": true' in Browser(WEB_PORTS[0]).get("/healthz").body, 90, "a heartbeat", 1)
        print(f"Stack up in {time.monotonic() - started:.0f} s: 2 gunicorn × 2 workers, 2 Celery workers × 2, 1 beat.",
              flush=True)  # fmt: skip

        log = Log()
        fault_load(people, args.seconds, log)
        fault_double_step(people, log)
        fault_double_cycle(people, log)
        fault_double_touchpoint(people, log)
        fault_postgres(stack, people[:16], log)
        fault_redis(stack, people, log)
        fault_jobs_blip(stack, admin_email, log)
        fault_killed_worker(stack, admin_email, log, whole=False)
        fault_killed_worker(stack, admin_email, log, whole=True)
        summary()
        print(f"\nFinished in {time.monotonic() - started:.0f} s.")
    finally:
        from django.db import connections

        connections.close_all()
        stack.stop_all()
        if args.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if all(row[-1] for row in REPORT) else 1)


if __name__ == "__main__":
    main()
