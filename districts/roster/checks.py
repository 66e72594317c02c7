"""Checking a roster upload: every file and every row, collecting every problem.

Nothing here touches the database: the checks take what they need (the district's school
sourcedIds) as arguments and return a Plan of what to write, or leave the problems in `problems`.
"""

import csv
import io
import lzma
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import School
from coaching.models import GradeBand, Teacher
from config.text import has_control_characters, single_line

# A zip can unpack to far more than it weighs: the files we read from one may not exceed this.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# A wrong file can produce an error per row; past this many the page lists no more.
MAX_ERRORS = 1000

MANIFEST, ORGS, USERS, ROLES, TEACHERS = "manifest.csv", "orgs.csv", "users.csv", "roles.csv", "teachers.csv"
ONEROSTER_FILES = (MANIFEST, ORGS, USERS, ROLES)
# The shapes of roster Cadence reads. OneRoster 1.1 puts each user's role and orgs in users.csv; OneRoster
# 1.2 moves them to roles.csv (one row per user, role and org); Microsoft School Data Sync v2 has roles.csv
# too, but no manifest, no status and no enabledUser, and often no e-mail (its username is the sign-in).
V1_1, V1_2, SDS = "OneRoster 1.1", "OneRoster 1.2", "School Data Sync v2"
USERS_1_2, ROLES_1_2, USERS_SDS, ROLES_SDS = "users.csv 1.2", "roles.csv 1.2", "users.csv sds", "roles.csv sds"
# (required, optional) columns of each file; the others are ignored.
COLUMNS = {
    MANIFEST: (("propertyName", "value"), ()),
    ORGS: (("sourcedId", "name", "type"), ("status", "parentSourcedId")),
    USERS: (
        ("sourcedId", "orgSourcedIds", "role", "givenName", "familyName"),
        ("status", "email", "grades", "enabledUser"),
    ),
    USERS_1_2: (("sourcedId", "givenName", "familyName"), ("status", "email", "grades", "enabledUser")),
    ROLES_1_2: (("userSourcedId", "role", "orgSourcedId"), ("status", "roleType")),
    USERS_SDS: (("sourcedId", "givenName", "familyName"), ("username", "email", "grade", "grades")),
    ROLES_SDS: (("userSourcedId", "orgSourcedId", "role"), ("isPrimary", "grade")),
    TEACHERS: (("school", "name"), ("email", "subject", "grade_band")),
}
# Roles whose people lead a school: Cadence lists them as principals to invite.
LEADER_ROLES = {"administrator", "principal", "siteadministrator"}
MAX_NOTES = 200
FILE_MODES = ("bulk", "delta", "absent")
GRADE_BAND_NAMES = {
    **{name.lower(): value for value, label in GradeBand.choices for name in (value, label)},
    **{alias: GradeBand.ELEMENTARY for alias in ("k-5", "k–5")},
    **{alias: GradeBand.MIDDLE for alias in ("6-8", "6–8")},
    **{alias: GradeBand.HIGH for alias in ("9-12", "9–12")},
    **{alias: GradeBand.ALL for alias in ("k-12", "k–12")},
}
GRADE_BAND_HELP = "one of elementary, middle, high, all (or K-5, 6-8, 9-12), or blank"
PRE_K_GRADES = {"IT", "PR", "PK", "TK", "KG", "K"}
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    NotImplementedError,  # an unsupported compression method
    RuntimeError,  # an encrypted member
    ValueError,
    OverflowError,
    IndexError,  # a member with an empty name (ZipInfo.is_dir reads its last character)
    OSError,
)

Row = tuple[int, dict[str, str]]  # (row number as a spreadsheet shows it, header = 1; {column: value})


def _capped(rows: list[dict], what: str) -> list[dict]:
    if len(rows) <= MAX_ERRORS:
        return rows
    return [*rows[:MAX_ERRORS], {"file": "", "row": None, "message": f"… and {len(rows) - MAX_ERRORS} more {what}."}]


class Problems:
    """Every problem found in an upload, as the import's page lists them: file, row (header = 1), reason.

    Warnings are changes the import made and went on with (a name's line breaks became spaces): they do
    not stop it, and the page lists them beside the counts.
    """

    def __init__(self) -> None:
        self.errors: list[dict] = []
        self.warnings: list[dict] = []

    def add(self, file: str, row: int | None, message: str) -> None:
        self.errors.append({"file": file, "row": row, "message": message})

    def warn(self, file: str, row: int | None, message: str) -> None:
        self.warnings.append({"file": file, "row": row, "message": message})

    def __bool__(self) -> bool:
        return bool(self.errors)

    def listed(self) -> list[dict]:
        return _capped(self.errors, "problems")

    def listed_warnings(self) -> list[dict]:
        return _capped(self.warnings, "changes")


@dataclass
class TeacherRow:
    school: str  # the school's sourcedId (OneRoster) or name (teachers.csv)
    name: str
    sourced_id: str = ""
    # None: the upload says nothing about it, so an existing teacher keeps theirs.
    email: str | None = None
    subject: str | None = None
    grade_band: str | None = None


@dataclass
class Leaving:
    """A rostered teacher the upload says is gone: their active enrollments end (their records stay)."""

    sourced_id: str
    reason: str


@dataclass
class Leader:
    """A school leader (OneRoster role administrator or principal): a principal for the admin to invite."""

    name: str
    email: str
    schools: list[str]  # sourcedIds


@dataclass
class Plan:
    """What a checked upload will write."""

    schools: dict[str, str] = field(default_factory=dict)  # key (sourcedId, or name for teachers.csv) → name
    teachers: list[TeacherRow] = field(default_factory=list)
    # Schools and teachers marked tobedeleted, left out: {"file", "row", "name", "kind": "school"|"teacher"}.
    skipped: list[dict] = field(default_factory=list)
    leaving: list[Leaving] = field(default_factory=list)  # tobedeleted or enabledUser=false
    # users.csv is a complete (bulk) list: a rostered teacher it no longer lists has left.
    complete: bool = False
    leaders: list[Leader] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what Cadence decided, in words, for the import's result
    shape: str = V1_1

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        elif len(self.notes) == MAX_NOTES:
            self.notes.append("… and more like these.")


def unzip(payload: bytes, label: str, wanted: Iterable[str], problems: Problems) -> dict[str, bytes]:
    """The wanted files found in the zip, in any folder, by lower-case name."""
    wanted, found, budget = set(wanted), {}, MAX_UNZIPPED_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            for info in archive.infolist():
                path = PurePosixPath(info.filename)
                name = path.name.lower()
                if info.is_dir() or name not in wanted or "__MACOSX" in path.parts:
                    continue
                if name in found:
                    problems.add(label, None, f"The zip holds more than one {name}: keep only one.")
                    continue
                with archive.open(info) as member:
                    found[name] = member.read(budget + 1)
                budget -= len(found[name])
                if budget < 0:
                    problems.add(
                        label, None, f"The files in {label} unpack to more than {MAX_UNZIPPED_BYTES >> 20} MB."
                    )
                    return {}
    except _ZIP_ERRORS:
        problems.add(label, None, f"{label} is not a zip file Cadence can open: upload the OneRoster .zip export.")
        return {}
    return found


def _read_csv(file: str, data: bytes, problems: Problems, label: str | None = None) -> list[Row] | None:
    """The rows of one CSV file, or None (with the reason in problems) when it cannot be read.

    file: the key of its columns in COLUMNS ("users.csv", or "users.csv 1.2" for that shape's columns).
    """
    required, optional = COLUMNS[file]
    label = label or file.split(" ")[0]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        problems.add(label, row, f"{label} is not UTF-8 text: save it as “CSV UTF-8” and upload it again.")
        return None
    if "\x00" in text:  # a spreadsheet or UTF-16 file; PostgreSQL could not store it either
        row = text[: text.index("\x00")].count("\n") + 1
        problems.add(label, row, f"{label} contains binary data: save it as “CSV UTF-8” and upload it again.")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    number, rows = 0, []  # the last row read
    try:
        header = [name.strip() for name in next(reader, [])]
        number = 1
        if not any(header):
            problems.add(label, 1, f"{label} is empty: its first row must name the columns.")
            return None
        columns = _columns(header, (*required, *optional))
        missing = [name for name in required if name not in columns]
        if missing:
            columns_named = f"column{'s' * (len(missing) > 1)} {', '.join(missing)}"
            has = ", ".join(header[:10]) + ", …" * (len(header) > 10)
            problems.add(label, 1, f"{label} is missing the {columns_named} (its first row has {has}).")
            return None
        for number, values in enumerate(reader, start=2):  # noqa: B007 - a blank row still counts
            if any(value.strip() for value in values):
                rows.append((number, _one_line(label, number, {name: _cell(values, i) for name, i in columns.items()},
                                                problems)))  # fmt: skip
    except csv.Error as error:
        problems.add(label, number + 1, f"This row is not valid CSV ({error}).")
        return None
    return rows


def _one_line(label: str, number: int, row: dict[str, str], problems: Problems) -> dict[str, str]:
    """Every value we read is one line with single spaces (a name, an id, an address; config.text.single_line):
    control characters — a line break inside a quoted cell, a tab, NEL… — become spaces, with a warning naming the
    columns, and a run of spaces becomes one ("Maria  Rivera" is "Maria Rivera", as typed elsewhere)."""
    for name in (name for name, value in row.items() if has_control_characters(value)):
        problems.warn(label, number, f"{name} had line breaks or other control characters: each run became a space.")
    return {name: single_line(value) for name, value in row.items()}


def _columns(header: list[str], names: Iterable[str]) -> dict[str, int]:
    """Where each column we read is, matching names without regard to case."""
    lower = [name.lower() for name in header]
    return {name: lower.index(name.lower()) for name in names if name.lower() in lower}


def _cell(values: list[str], index: int) -> str:
    return values[index].strip() if index < len(values) else ""


def _too_long(model, field_name: str, value: str, column: str) -> str | None:
    limit = model._meta.get_field(field_name).max_length
    return f"{column} is longer than {limit} characters." if len(value) > limit else None


def _email_problem(email: str) -> str | None:
    try:
        validate_email(email)
    except ValidationError:
        return f"“{email}” is not a valid e-mail address."
    return _too_long(Teacher, "email", email, "email")


def _deleted(row: dict[str, str]) -> bool:
    return row.get("status", "").lower() == "tobedeleted"


def _disabled(row: dict[str, str]) -> bool:
    return row.get("enabledUser", "").lower() == "false"


def _first_use(seen: dict, key: object, number: int, already: str) -> str | None:
    """Remember where `key` first appeared; say so when it appears again: "<already> <row>."."""
    if key in seen:
        return f"{already} {seen[key]}."
    seen[key] = number
    return None


def grade_band(grades: str) -> str | None:
    """The band of OneRoster grades ("06,07,08" → middle); spanning bands → all; None when none is known."""
    bands = set()
    for code in (g.strip().upper() for g in grades.split(",")):
        if code in PRE_K_GRADES:
            bands.add(GradeBand.ELEMENTARY)
        elif code.isascii() and code.isdigit() and 1 <= int(code) <= 12:
            bands.add((GradeBand.ELEMENTARY, GradeBand.MIDDLE, GradeBand.HIGH)[(int(code) > 5) + (int(code) > 8)])
    if not bands:
        return None
    return bands.pop() if len(bands) == 1 else GradeBand.ALL


def _manifest(files: dict[str, bytes], label: str, problems: Problems) -> tuple[dict[str, str], str]:
    """How each file we read is supplied (bulk, delta or absent), as the manifest says (bulk without one),
    and the OneRoster version it states ("" without one)."""
    modes, rows, version = {ORGS: "bulk", USERS: "bulk"}, [], ""
    if MANIFEST in files:
        rows = _read_csv(MANIFEST, files[MANIFEST], problems) or []
    listed_on, seen = {}, {}
    for number, row in rows:
        prop, value = row["propertyName"], row["value"]
        if not prop:
            problems.add(MANIFEST, number, "propertyName is empty.")
        elif problem := _first_use(seen, prop.lower(), number, f"The property {prop} is already set on row"):
            problems.add(MANIFEST, number, problem)
        elif prop.lower() == "oneroster.version" and value not in ("1.1", "1.2"):
            problems.add(
                MANIFEST, number, f"This is a OneRoster {value} roster: export it as OneRoster 1.1 or 1.2 CSV."
            )
        elif prop.lower() == "oneroster.version":
            version = value
        elif prop.lower() in ("file.orgs", "file.users", "file.roles"):
            if value.lower() not in FILE_MODES:
                problems.add(MANIFEST, number, f"{prop} must be bulk, delta or absent, not “{value}”.")
            modes[prop.lower()[5:] + ".csv"] = value.lower()
            listed_on[prop.lower()[5:] + ".csv"] = number
    for name, mode in modes.items():
        if mode in ("bulk", "delta") and name not in files:
            if name in listed_on:
                problems.add(MANIFEST, listed_on[name], f"The manifest lists {name} as {mode}, but it is not there.")
            else:
                problems.add(label, None, f"The upload has no {name}: a OneRoster roster needs orgs.csv and users.csv.")
    return modes, version


def _check_orgs(rows: list[Row], plan: Plan, problems: Problems, on_row: Callable) -> dict[str, str]:
    """Schools go into the plan; every org's sourcedId is returned with its parent's ("" for none), to
    check references against and to follow a department up to its school."""
    seen: dict[str, int] = {}
    parents: dict[str, str] = {}
    for done, (number, row) in enumerate(rows):
        on_row(done)
        sid, name, is_school = row["sourcedId"], row["name"], row["type"].lower() == "school"
        if _deleted(row):
            if is_school:
                plan.skipped.append({"file": ORGS, "row": number, "name": name or sid, "kind": "school"})
            continue
        problem = (
            ("sourcedId is empty." if not sid else None)
            or _too_long(School, "sourced_id", sid, "sourcedId")
            or _first_use(seen, sid, number, f"sourcedId “{sid}” is already used on row")
            or (is_school and not name and "The school has no name.")
            or (is_school and _too_long(School, "name", name, "name"))
        )
        if problem:
            problems.add(ORGS, number, problem)
            continue
        parents[sid] = row.get("parentSourcedId", "")
        if is_school:
            plan.schools[sid] = name
    return {sid: parents.get(sid, "") for sid in seen}


def _school_up(sid: str, schools: set[str], parents: dict[str, str]) -> str | None:
    """The school an org belongs to: itself, or the first school up its parentSourcedId chain."""
    visited = set()
    while sid and sid not in visited:
        if sid in schools:
            return sid
        visited.add(sid)
        sid = parents.get(sid, "")
    return None


def _schools_of(ids: list[str], schools: set[str], parents: dict[str, str]) -> tuple[list[str], str | None]:
    """The teacher's schools, in the order their orgs are listed (a department counts as its school).

    (sourcedIds, problem); `parents` maps every known org to its parent ("" for none).
    """
    if not ids:
        return [], "orgSourcedIds is empty: every teacher needs a school."
    found = []
    for sid in ids:
        school = _school_up(sid, schools, parents)
        if school and school not in found:
            found.append(school)
    if found:
        return found, None
    unknown = [sid for sid in ids if sid not in parents and sid not in schools]
    if unknown:
        return [], f"orgSourcedIds refers to “{unknown[0]}”, an org neither in orgs.csv nor already in Cadence."
    return [], f"None of the orgs in orgSourcedIds ({', '.join(ids)}) is a school or belongs to one."


@dataclass
class UserRow:
    """One person of the roster, whatever its shape: their roles as (role, org sourcedId), primary first."""

    file: str
    number: int
    sourced_id: str
    given: str
    family: str
    email: str | None
    grades: str
    status: str
    enabled: str
    roles: list[tuple[str, str]]

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.given, self.family) if part)

    def orgs(self, roles: set[str]) -> list[str]:
        return [org for role, org in self.roles if role in roles and org]


def _check_users(users: list[UserRow], plan: Plan, parents: dict[str, str] | None, schools: set[str], problems, on_row):
    """Teachers go into the plan, leavers into plan.leaving, school leaders into plan.leaders.

    parents is None when orgs.csv could not be read: that problem is reported already, so its teachers'
    schools are not checked one by one.
    """
    seen: dict[str, int] = {}
    disabled = 0
    tree = None if parents is None else {**dict.fromkeys(schools, ""), **parents}
    for done, row in enumerate(users):
        on_row(done)
        kinds = {role for role, _ in row.roles}
        if "teacher" not in kinds:
            if kinds & LEADER_ROLES and not _gone(row):
                _check_leader(row, plan, tree or dict.fromkeys(schools, ""), schools)
            continue  # students, parents and others: Cadence keeps no record of them
        sid, email, name = row.sourced_id, row.email, row.name
        if row.status.lower() == "tobedeleted":
            plan.skipped.append({"file": row.file, "row": row.number, "name": name or sid, "kind": "teacher"})
            plan.leaving.append(Leaving(sid, "marked tobedeleted in users.csv"))
            continue
        if row.enabled.lower() == "false":
            disabled += 1
            plan.leaving.append(Leaving(sid, "enabledUser is false in users.csv"))
            continue
        found, school_problem = _schools_of(row.orgs({"teacher"}), schools, tree) if tree is not None else ([""], None)
        problem = (
            ("sourcedId is empty." if not sid else None)
            or _too_long(Teacher, "sourced_id", sid, "sourcedId")
            or _first_use(seen, sid, row.number, f"sourcedId “{sid}” is already used on row")
            or (not name and "The teacher has no name: givenName and familyName are both empty.")
            or _too_long(Teacher, "name", name, "givenName and familyName together")
            or (email and _email_problem(email))
            or school_problem
        )
        if problem:
            problems.add(row.file, row.number, problem)
            continue
        if len(found) > 1:
            others = ", ".join(plan.schools.get(s, s) for s in found[1:])
            plan.note(
                f"{name} teaches at {len(found)} schools; Cadence keeps a teacher at one school, so {name} is at "
                f"{plan.schools.get(found[0], found[0])} (listed first), not at {others}."
            )
        band = grade_band(row.grades)
        plan.teachers.append(TeacherRow(school=found[0], name=name, sourced_id=sid, email=email, grade_band=band))
    if disabled:
        plan.note(
            f"{disabled} teacher{'s' * (disabled > 1)} with enabledUser=false "
            f"{'were' if disabled > 1 else 'was'} treated as gone: not added, and taken off caseloads if here."
        )


def _gone(row: UserRow) -> bool:
    return row.status.lower() == "tobedeleted" or row.enabled.lower() == "false"


def _check_leader(row: UserRow, plan: Plan, tree: dict[str, str], schools: set[str]) -> None:
    """A school's administrator or principal: listed to invite as principal (Cadence sends nothing itself)."""
    orgs = row.orgs(LEADER_ROLES)
    found = _schools_of(orgs, schools, tree)[0] if orgs else []
    name = row.name or row.sourced_id
    if not row.email or _email_problem(row.email):
        plan.note(f"{name} (administrator) has no usable e-mail address, so cannot be invited as principal.")
    elif not found:
        plan.note(f"{name} (administrator) is at no school of the roster: invite them from People if they lead one.")
    else:
        plan.leaders.append(Leader(name=name, email=row.email.lower(), schools=found))


def _users_1_1(rows: list[Row]) -> list[UserRow]:
    users = []
    for number, row in rows:
        orgs = [ref.strip() for ref in row["orgSourcedIds"].split(",") if ref.strip()]
        role = row["role"].lower()
        users.append(
            UserRow(
                USERS, number, row["sourcedId"], row["givenName"], row["familyName"], row.get("email"),
                row.get("grades", ""), row.get("status", ""), row.get("enabledUser", ""),
                [(role, org) for org in orgs] or [(role, "")],
            )
        )  # fmt: skip
    return users


def _roles_by_user(rows: list[Row], primary: Callable[[dict], bool]) -> dict[str, list[tuple[str, str]]]:
    """roles.csv (OneRoster 1.2 or School Data Sync): each user's (role, org), primary roles first."""
    by_user: dict[str, list[tuple[bool, str, str]]] = {}
    for _, row in rows:
        if _deleted(row):
            continue
        entry = (not primary(row), row["role"].lower(), row["orgSourcedId"])
        by_user.setdefault(row["userSourcedId"], []).append(entry)
    return {
        user: [(role, org) for _, role, org in sorted(entries, key=lambda e: e[0])] for user, entries in by_user.items()
    }


def _users_with_roles(rows: list[Row], roles: dict[str, list[tuple[str, str]]], *, sds: bool) -> list[UserRow]:
    users = []
    for number, row in rows:
        email = row.get("email")
        if sds and not email and "@" in row.get("username", ""):
            email = row["username"]
        users.append(
            UserRow(
                USERS, number, row["sourcedId"], row["givenName"], row["familyName"], email,
                row.get("grades") or row.get("grade", ""), row.get("status", ""), row.get("enabledUser", ""),
                roles.get(row["sourcedId"], []),
            )
        )  # fmt: skip
    return users


def _shape(files: dict[str, bytes], version: str) -> str:
    """Which roster this is: the manifest's version, else what roles.csv and users.csv's header say."""
    if version == "1.2":
        return V1_2
    if version == "1.1" or ROLES not in files:
        return V1_1
    header = files[ROLES].decode("utf-8-sig", errors="replace").splitlines()[:1]
    columns = {name.strip().lower() for name in (header[0].split(",") if header else [])}
    users = files.get(USERS, b"").decode("utf-8-sig", errors="replace").splitlines()[:1]
    if users and "role" in {name.strip().lower() for name in users[0].split(",")}:
        return V1_1
    return V1_2 if "roletype" in columns or "sourcedid" in columns else SDS


def check_oneroster(
    files: dict[str, bytes], *, label: str, district_schools: set[str], problems: Problems, on_row: Callable
) -> Plan:
    """A OneRoster 1.1 or 1.2 CSV roster, or Microsoft School Data Sync v2 files, as manifest.csv says
    they are supplied: schools from orgs.csv, teachers (and school leaders) from users.csv and roles.csv.

    district_schools: the sourcedIds of the district's schools, which teachers may belong to too.
    The plan says in `notes` what Cadence decided where the roster leaves a choice.
    """
    plan = Plan()
    modes, version = _manifest(files, label, problems)
    plan.shape = _shape(files, version)
    with_roles = plan.shape in (V1_2, SDS)
    if with_roles and ROLES not in files and ROLES not in modes and modes[USERS] != "absent":
        problems.add(label, None, f"The upload has no roles.csv: a {plan.shape} roster keeps its roles there.")
    read = [name for name in (ORGS, USERS) if name in files and modes[name] != "absent"]
    users_columns = {V1_1: USERS, V1_2: USERS_1_2, SDS: USERS_SDS}[plan.shape]
    tables = {name: _read_csv(users_columns if name == USERS else name, files[name], problems) for name in read}
    roles = {}
    if with_roles and ROLES in files and USERS in read:
        role_rows = _read_csv(ROLES_1_2 if plan.shape == V1_2 else ROLES_SDS, files[ROLES], problems) or []
        if plan.shape == V1_2:
            roles = _roles_by_user(role_rows, lambda row: row.get("roleType", "").lower() == "primary")
        else:
            roles = _roles_by_user(role_rows, lambda row: row.get("isPrimary", "").lower() == "true")
    org_rows, user_rows = tables.get(ORGS) or [], tables.get(USERS) or []
    users = _users_with_roles(user_rows, roles, sds=plan.shape == SDS) if with_roles else _users_1_1(user_rows)
    total = len(org_rows) + len(users)
    parents = _check_orgs(org_rows, plan, problems, lambda done: on_row(done, total))
    schools = set(plan.schools) | district_schools
    known = None if modes[ORGS] != "absent" and tables.get(ORGS) is None else parents
    _check_users(users, plan, known, schools, problems, lambda done: on_row(len(org_rows) + done, total))
    plan.complete = USERS in read and modes[USERS] == "bulk"
    if plan.shape == SDS:
        _note_sds(plan, files, user_rows)
    return plan


def _note_sds(plan: Plan, files: dict[str, bytes], user_rows: list[Row]) -> None:
    """Say what School Data Sync files do not carry that a OneRoster roster would."""
    plan.note(
        "These are Microsoft School Data Sync v2 files, read as OneRoster: they have no manifest, status or "
        "enabledUser, so they count as a complete roster (a teacher no longer listed has left)."
    )
    header = files[USERS].decode("utf-8-sig", errors="replace").splitlines()[:1]
    columns = {name.strip().lower() for name in (header[0].split(",") if header else [])}
    if "email" not in columns:
        without = sum(1 for teacher in plan.teachers if not teacher.email)
        plan.note(
            "users.csv has no email column: each teacher's e-mail is their username where that is an address"
            + (f"; {without} teacher{'s have' if without != 1 else ' has'} none." if without else ".")
        )


def check_teachers_csv(files: dict[str, bytes], *, label: str, problems: Problems, on_row: Callable) -> Plan:
    """teachers.csv: one teacher per row, their school by name (created when new)."""
    plan, seen = Plan(), {}
    if TEACHERS not in files:
        problems.add(label, None, f"The upload has no {TEACHERS}.")
    rows = _read_csv(TEACHERS, files[TEACHERS], problems, label) if TEACHERS in files else None
    for done, (number, row) in enumerate(rows or []):
        on_row(done, len(rows))
        school, name, email, subject = row["school"], row["name"], row.get("email"), row.get("subject")
        band = _teachers_csv_band(row.get("grade_band"))
        teacher = (school, "email", email.lower()) if email else (school, "name", name)
        problem = (
            ("school is empty: give the school's name as Cadence shows it." if not school else None)
            or _too_long(School, "name", school, "school")
            or (not name and "name is empty.")
            or _too_long(Teacher, "name", name, "name")
            or (email and _email_problem(email))
            or (subject and _too_long(Teacher, "subject", subject, "subject"))
            or (band is False and f"grade_band “{row['grade_band']}” is not {GRADE_BAND_HELP}.")
            or _first_use(seen, teacher, number, f"{email or name} at {school} is already on row")
        )
        if problem:
            problems.add(label, number, problem)
        else:
            plan.schools[school] = school
            plan.teachers.append(TeacherRow(school=school, name=name, email=email, subject=subject, grade_band=band))
    return plan


def _teachers_csv_band(value: str | None) -> str | None | bool:
    """The grade band named in teachers.csv; None without the column; False when not a known name."""
    if value is None or value == "":
        return value
    return GRADE_BAND_NAMES.get(value.lower(), False)
