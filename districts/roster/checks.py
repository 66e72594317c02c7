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

# A zip can unpack to far more than it weighs: the files we read from one may not exceed this.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# A wrong file can produce an error per row; past this many the page lists no more.
MAX_ERRORS = 1000

MANIFEST, ORGS, USERS, TEACHERS = "manifest.csv", "orgs.csv", "users.csv", "teachers.csv"
ONEROSTER_FILES = (MANIFEST, ORGS, USERS)
# (required, optional) columns of each file; the others are ignored.
COLUMNS = {
    MANIFEST: (("propertyName", "value"), ()),
    ORGS: (("sourcedId", "name", "type"), ("status",)),
    USERS: (("sourcedId", "orgSourcedIds", "role", "givenName", "familyName"), ("status", "email", "grades")),
    TEACHERS: (("school", "name"), ("email", "subject", "grade_band")),
}
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
    OSError,
)

Row = tuple[int, dict[str, str]]  # (row number as a spreadsheet shows it, header = 1; {column: value})


class Problems:
    """Every problem found in an upload, as the import's page lists them: file, row (header = 1), reason."""

    def __init__(self) -> None:
        self.errors: list[dict] = []

    def add(self, file: str, row: int | None, message: str) -> None:
        self.errors.append({"file": file, "row": row, "message": message})

    def __bool__(self) -> bool:
        return bool(self.errors)

    def listed(self) -> list[dict]:
        if len(self.errors) <= MAX_ERRORS:
            return self.errors
        more = len(self.errors) - MAX_ERRORS
        return [*self.errors[:MAX_ERRORS], {"file": "", "row": None, "message": f"… and {more} more problems."}]


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
class Plan:
    """What a checked upload will write."""

    schools: dict[str, str] = field(default_factory=dict)  # key (sourcedId, or name for teachers.csv) → name
    teachers: list[TeacherRow] = field(default_factory=list)
    skipped: int = 0  # schools and teachers marked tobedeleted


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
    """The rows of one CSV file, or None (with the reason in problems) when it cannot be read."""
    required, optional = COLUMNS[file]
    label = label or file
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
                rows.append((number, {name: _cell(values, i) for name, i in columns.items()}))
    except csv.Error as error:
        problems.add(label, number + 1, f"This row is not valid CSV ({error}).")
        return None
    return rows


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


def _manifest(files: dict[str, bytes], label: str, problems: Problems) -> dict[str, str]:
    """How each file we read is supplied (bulk, delta or absent), as the manifest says; bulk without one."""
    modes, rows = {ORGS: "bulk", USERS: "bulk"}, []
    if MANIFEST in files:
        rows = _read_csv(MANIFEST, files[MANIFEST], problems) or []
    listed_on, seen = {}, {}
    for number, row in rows:
        prop, value = row["propertyName"], row["value"]
        if not prop:
            problems.add(MANIFEST, number, "propertyName is empty.")
        elif problem := _first_use(seen, prop.lower(), number, f"The property {prop} is already set on row"):
            problems.add(MANIFEST, number, problem)
        elif prop.lower() == "oneroster.version" and value != "1.1":
            problems.add(MANIFEST, number, f"This is a OneRoster {value} roster: export it as OneRoster 1.1 CSV.")
        elif prop.lower() in ("file.orgs", "file.users"):
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
    return modes


def _check_orgs(rows: list[Row], plan: Plan, problems: Problems, on_row: Callable) -> set[str]:
    """Schools go into the plan; every org's sourcedId is returned, to check references against."""
    seen: dict[str, int] = {}
    for done, (number, row) in enumerate(rows):
        on_row(done)
        sid, name, is_school = row["sourcedId"], row["name"], row["type"].lower() == "school"
        if _deleted(row):
            plan.skipped += is_school
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
        elif is_school:
            plan.schools[sid] = name
    return set(seen)


def _school_of(refs: str, schools: set[str], orgs: set[str]) -> tuple[str | None, str | None]:
    """The teacher's school: the first of their orgs that is a school. (sourcedId, problem)."""
    ids = [ref.strip() for ref in refs.split(",") if ref.strip()]
    if not ids:
        return None, "orgSourcedIds is empty: every teacher needs a school."
    for sid in ids:
        if sid in schools:
            return sid, None
    unknown = [sid for sid in ids if sid not in orgs]
    if unknown:
        return None, f"orgSourcedIds refers to “{unknown[0]}”, an org neither in orgs.csv nor already in Cadence."
    return None, f"None of the orgs in orgSourcedIds ({', '.join(ids)}) is a school."


def _check_users(rows: list[Row], plan: Plan, orgs: set[str] | None, schools: set[str], problems, on_row) -> None:
    """Teachers go into the plan. orgs is None when orgs.csv could not be read: that problem is
    reported already, so its teachers' schools are not checked one by one."""
    seen: dict[str, int] = {}
    for done, (number, row) in enumerate(rows):
        on_row(done)
        if row["role"].lower() != "teacher":
            continue  # students, parents and others: Cadence keeps no record of them
        if _deleted(row):
            plan.skipped += 1
            continue
        sid, email = row["sourcedId"], row.get("email")
        name = " ".join(part for part in (row["givenName"], row["familyName"]) if part)
        school, school_problem = _school_of(row["orgSourcedIds"], schools, orgs) if orgs is not None else ("", None)
        problem = (
            ("sourcedId is empty." if not sid else None)
            or _too_long(Teacher, "sourced_id", sid, "sourcedId")
            or _first_use(seen, sid, number, f"sourcedId “{sid}” is already used on row")
            or (not name and "The teacher has no name: givenName and familyName are both empty.")
            or _too_long(Teacher, "name", name, "givenName and familyName together")
            or (email and _email_problem(email))
            or school_problem
        )
        if problem:
            problems.add(USERS, number, problem)
        else:
            band = grade_band(row.get("grades", ""))
            plan.teachers.append(TeacherRow(school=school, name=name, sourced_id=sid, email=email, grade_band=band))


def check_oneroster(
    files: dict[str, bytes], *, label: str, district_schools: set[str], problems: Problems, on_row: Callable
) -> Plan:
    """OneRoster 1.1: schools from orgs.csv, teachers from users.csv, as manifest.csv says they are supplied.

    district_schools: the sourcedIds of the district's schools, which teachers may belong to too.
    """
    plan, modes = Plan(), _manifest(files, label, problems)
    read = [name for name in (ORGS, USERS) if name in files and modes[name] != "absent"]
    tables = {name: _read_csv(name, files[name], problems) for name in read}
    org_rows, user_rows = tables.get(ORGS) or [], tables.get(USERS) or []
    total = len(org_rows) + len(user_rows)
    orgs = _check_orgs(org_rows, plan, problems, lambda done: on_row(done, total))
    schools = set(plan.schools) | district_schools
    known = None if modes[ORGS] != "absent" and tables.get(ORGS) is None else orgs | schools
    _check_users(user_rows, plan, known, schools, problems, lambda done: on_row(len(org_rows) + done, total))
    return plan


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
