"""Roster import: a OneRoster 1.1 CSV roster, or a simple teachers.csv, imported all-or-nothing.

An import runs in two phases, so that it can be all-or-nothing *and* honest about its progress:

1. Check: read every file and every row, collecting every error rather than stopping at the first.
   Progress (0–60 %) is saved as it goes, each update committed on its own, so the import's page
   can show it.
2. Write: only when nothing is wrong, everything is written in one transaction with a handful of
   bulk queries. Nothing inside it is visible before it commits, so the bar waits at 60 %
   ("Saving") and jumps to 100 % with the counts.

A rejected import writes no school and no teacher. Re-importing matches by sourcedId, so it
updates rather than duplicates.
"""

import bz2
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
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent, District, RosterImport, School
from coaching.models import GradeBand, Teacher

Kind, Status = RosterImport.Kind, RosterImport.Status

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# A zip can unpack to far more than it weighs: the files we read from one may not exceed this.
MAX_UNZIPPED_BYTES = 4 * MAX_UPLOAD_BYTES
# A wrong file can produce an error per row; past this many the page lists no more.
MAX_ERRORS = 1000
CHECKED_PERCENT = 60
HISTORY_LENGTH = 50

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


# --- the upload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    kind: str
    filename: str
    payload: bytes  # always a zip, so any worker reads every kind the same way


def bundle_upload(files: list[UploadedFile]) -> Upload:
    """Recognise what was uploaded: a OneRoster zip, its separate CSV files, or one teachers.csv."""
    names = [PurePosixPath(f.name).name for f in files]
    lower = [name.lower() for name in names]
    for name in names:
        if not name.lower().endswith((".zip", ".csv")):
            raise ValidationError(f"{name} is not a .zip or .csv file. From Excel, use Save As → “CSV UTF-8”.")
    if len(files) == 1 and lower[0].endswith(".zip"):
        return Upload(Kind.ONEROSTER, names[0], files[0].read())
    if set(lower) <= set(ONEROSTER_FILES) and len(set(lower)) == len(lower):
        members = {name: upload.read() for name, upload in zip(lower, files, strict=True)}
        return Upload(Kind.ONEROSTER, ", ".join(names), _zip(members))
    if len(files) == 1:
        return Upload(Kind.TEACHERS_CSV, names[0], _zip({TEACHERS: files[0].read()}))
    raise ValidationError(
        "Upload one OneRoster .zip, or its orgs.csv and users.csv (and manifest.csv) together, or one teachers.csv."
    )


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@transaction.atomic
def import_create(*, district: District, actor, upload: Upload) -> RosterImport:
    """Store the upload, log it, and queue its import once the upload is committed."""
    from accounts.roster_tasks import import_roster
    from coaching.tasks import enqueue

    roster_import = RosterImport(
        district=district, uploaded_by=actor, kind=upload.kind, filename=upload.filename[:255], payload=upload.payload
    )
    roster_import.full_clean()
    roster_import.save()
    audit.record(
        district=district,
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        summary=f"Uploaded the roster {roster_import.filename} ({roster_import.get_kind_display()})",
        roster_import=roster_import.pk,
    )
    transaction.on_commit(lambda: enqueue(import_roster, roster_import.pk))
    return roster_import


# --- selectors -------------------------------------------------------------------------------


def district_imports(district: District) -> QuerySet[RosterImport]:
    """The district's latest imports, without their payloads."""
    return district.roster_imports.select_related("uploaded_by").defer("payload")[:HISTORY_LENGTH]


def import_queryset() -> QuerySet[RosterImport]:
    return RosterImport.objects.select_related("uploaded_by").defer("payload")


# --- checking --------------------------------------------------------------------------------


class Problems:
    """Every error found in an upload, as the import's page lists them: file, row (header = 1), reason."""

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


class Progress:
    """Saves the import's progress when it has moved by 5 points, committed at once so the page sees it."""

    def __init__(self, roster_import: RosterImport) -> None:
        self.pk, self.saved = roster_import.pk, roster_import.progress

    def __call__(self, percent: int) -> None:
        if percent >= self.saved + 5:
            RosterImport.objects.filter(pk=self.pk).update(progress=percent)
            self.saved = percent

    def rows(self, done: int, total: int) -> None:
        """Checking rows takes the bar from 5 % to CHECKED_PERCENT."""
        self(5 + (CHECKED_PERCENT - 5) * done // max(total, 1))


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


def _unzip(payload: bytes, label: str, wanted: Iterable[str], problems: Problems) -> dict[str, bytes]:
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
                    problems.add(label, None, f"The files in {label} unpack to more than {MAX_UNZIPPED_BYTES >> 20} MB.")
                    return {}
    except (*_ZIP_ERRORS, bz2.BZ2Decompressor and OSError):
        problems.add(label, None, f"{label} is not a zip file Cadence can open: upload the OneRoster .zip export.")
        return {}
    return found


def _read_csv(file: str, data: bytes, problems: Problems) -> list[Row] | None:
    """The rows of one CSV file, or None (with the reason in problems) when it cannot be read."""
    required, optional = COLUMNS[file]
    label = problems_label = file
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        problems.add(problems_label, row, f"{label} is not UTF-8 text: save it as “CSV UTF-8” and upload it again.")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    number, rows = 1, []
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if not any(header):
            problems.add(label, 1, f"{label} is empty: its first row must name the columns.")
            return None
        columns = {name: header.index(name.lower()) for name in (*required, *optional) if name.lower() in header}
        missing = [name for name in required if name not in columns]
        if missing:
            problems.add(label, 1, f"{label} is missing the column{'s' * (len(missing) > 1)} {', '.join(missing)}.")
            return None
        for number, values in enumerate(reader, start=2):  # noqa: B007 - kept for the error below
            if any(value.strip() for value in values):
                rows.append((number, {name: _cell(values, i) for name, i in columns.items()}))
    except csv.Error as error:
        problems.add(label, number + 1, f"This row of {label} is not valid CSV ({error}).")
        return None
    return rows


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


def _first_use(seen: dict[str, int], key: str, number: int, what: str) -> str | None:
    """Remember where `key` first appeared; say so when it appears again."""
    if key in seen:
        return f"{what} is already used on row {seen[key]}."
    seen[key] = number
    return None


def grade_band(grades: str) -> str | None:
    """The band of OneRoster grades ("06,07,08" → middle); spanning bands → all; None when none is known."""
    bands = set()
    for code in (g.strip().upper() for g in grades.split(",")):
        if code in PRE_K_GRADES:
            bands.add(GradeBand.ELEMENTARY)
        elif code.isdigit() and 1 <= int(code) <= 12:
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
        if problem := _first_use(seen, prop.lower(), number, f"The property {prop}"):
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


def _check_orgs(rows: list[Row], plan: Plan, problems: Problems, progress: Callable) -> set[str]:
    """Schools go into the plan; every org's sourcedId is returned, to check references against."""
    seen: dict[str, int] = {}
    for done, (number, row) in enumerate(rows):
        progress(done)
        sid, name, is_school = row["sourcedId"], row["name"], row["type"].lower() == "school"
        if _deleted(row):
            plan.skipped += is_school
            continue
        problem = (
            ("sourcedId is empty." if not sid else None)
            or _too_long(School, "sourced_id", sid, "sourcedId")
            or _first_use(seen, sid, number, f"sourcedId “{sid}”")
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
        return None, f"orgSourcedIds refers to “{unknown[0]}”, which is neither in orgs.csv nor a school of the district."
    return None, f"None of the orgs in orgSourcedIds ({', '.join(ids)}) is a school."


def _check_users(rows: list[Row], plan: Plan, orgs: set[str], schools: set[str], problems, progress) -> None:
    seen: dict[str, int] = {}
    for done, (number, row) in enumerate(rows):
        progress(done)
        if row["role"].lower() != "teacher":
            continue  # students, parents and others: Cadence keeps no record of them
        if _deleted(row):
            plan.skipped += 1
            continue
        sid, email = row["sourcedId"], row.get("email")
        name = " ".join(part for part in (row["givenName"], row["familyName"]) if part)
        school, school_problem = _school_of(row["orgSourcedIds"], schools, orgs)
        problem = (
            ("sourcedId is empty." if not sid else None)
            or _too_long(Teacher, "sourced_id", sid, "sourcedId")
            or _first_use(seen, sid, number, f"sourcedId “{sid}”")
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


def check_oneroster(files: dict[str, bytes], *, district: District, label: str, problems: Problems, progress) -> Plan:
    plan, modes = Plan(), _manifest(files, label, problems)
    tables = {name: _read_csv(name, files[name], problems) for name in (ORGS, USERS) if modes[name] != "absent"}
    tables = {name: rows for name, rows in tables.items() if rows is not None}
    total, org_rows = sum(map(len, tables.values())), tables.get(ORGS, [])
    orgs = _check_orgs(org_rows, plan, problems, lambda done: progress.rows(done, total))
    known_schools = set(plan.schools) | set(district.schools.exclude(sourced_id="").values_list("sourced_id", flat=True))
    if USERS in tables:
        report = lambda done: progress.rows(len(org_rows) + done, total)  # noqa: E731
        _check_users(tables[USERS], plan, orgs | known_schools, known_schools, problems, report)
    return plan


def check_teachers_csv(files: dict[str, bytes], *, label: str, problems: Problems, progress, **_) -> Plan:
    plan = Plan()
    data = files.get(TEACHERS)
    rows = _read_csv(TEACHERS, data, problems) if data is not None else None
    for error in problems.errors:  # the user knows the file by the name they gave it
        error["file"] = error["file"].replace(TEACHERS, label)
    seen: dict[tuple, int] = {}
    for done, (number, row) in enumerate(rows or []):
        progress.rows(done, len(rows))
        school, name, email = row["school"], row["name"], row.get("email")
        band = GRADE_BAND_NAMES.get(row["grade_band"].lower()) if "grade_band" in row else None
        same = f"The same teacher ({email or name} at {school})"
        problem = (
            ("school is empty: give the school's name as Cadence shows it." if not school else None)
            or _too_long(School, "name", school, "school")
            or (not name and "name is empty.")
            or _too_long(Teacher, "name", name, "name")
            or (email and _email_problem(email))
            or ("subject" in row and _too_long(Teacher, "subject", row["subject"], "subject"))
            or (band is None and "grade_band" in row and _grade_band_problem(row["grade_band"]))
            or _first_use(seen, (school, "email", email.lower()) if email else (school, "name", name), number, same)
        )
        if problem:
            problems.add(label, number, problem)
        else:
            plan.schools[school] = school
            teacher = TeacherRow(school=school, name=name, email=email, subject=row.get("subject"), grade_band=band)
            plan.teachers.append(teacher)
    return plan


def _grade_band_problem(value: str) -> str | None:
    if not value:
        return None
    return f"grade_band “{value}” is not one of elementary, middle, high, all (or K-5, 6-8, 9-12), or blank."


# --- writing ---------------------------------------------------------------------------------


def _assign(obj, **values) -> bool:
    """Set the values that differ (None: leave as is); say whether anything changed."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _save_schools(district: District, plan: Plan, *, by_sourced_id: bool) -> tuple[dict[str, School], dict]:
    """The district's schools by key (sourcedId or name), the plan's created or updated."""
    existing = list(School.objects.filter(district=district).order_by("-pk"))  # the oldest wins a tie
    key = (lambda s: s.sourced_id) if by_sourced_id else (lambda s: s.name)
    by_key = {key(s): s for s in existing if key(s)}
    # A school made by hand or from teachers.csv is adopted by the roster entry of the same name.
    unsourced = {s.name: s for s in existing if by_sourced_id and not s.sourced_id}
    created, updated = [], []
    for sid, name in plan.schools.items():
        school = by_key.get(sid) or unsourced.pop(name, None)
        if school is None:
            created.append(School(district=district, name=name, sourced_id=sid if by_sourced_id else ""))
        elif by_sourced_id and _assign(school, name=name, sourced_id=sid):
            updated.append(school)
    School.objects.bulk_create(created)
    School.objects.bulk_update(updated, ["name", "sourced_id"])
    by_key.update({key(s): s for s in (*created, *updated)})
    return by_key, {"schools_created": len(created), "schools_updated": len(updated)}


def _teacher_keys(teacher: Teacher, by_sourced_id: bool) -> list:
    if by_sourced_id:
        # A teacher entered by hand or from teachers.csv is adopted through their e-mail.
        return [teacher.sourced_id] if teacher.sourced_id else [("email", teacher.email.lower())] * bool(teacher.email)
    keys = [(teacher.school_id, "name", teacher.name)]
    return keys + [(teacher.school_id, "email", teacher.email.lower())] * bool(teacher.email)


def _row_key(row: TeacherRow, school: School, by_sourced_id: bool) -> tuple | str:
    if by_sourced_id:
        return row.sourced_id
    return (school.pk, "email", row.email.lower()) if row.email else (school.pk, "name", row.name)


def _save_teachers(district: District, plan: Plan, schools: dict[str, School], *, by_sourced_id: bool) -> dict:
    existing = {}
    for teacher in Teacher.objects.filter(school__district=district).order_by("-pk"):
        existing.update(dict.fromkeys(_teacher_keys(teacher, by_sourced_id), teacher))
    created, updated = [], []
    for row in plan.teachers:
        school = schools[row.school]
        teacher = existing.get(_row_key(row, school, by_sourced_id))
        if teacher is None and by_sourced_id and row.email:
            teacher = existing.pop(("email", row.email.lower()), None)
        values = {"school_id": school.pk, "name": row.name, "email": row.email, "sourced_id": row.sourced_id or None}
        values |= {"subject": row.subject, "grade_band": row.grade_band}
        if teacher is None:
            created.append(Teacher(**{k: v for k, v in values.items() if v is not None}))
        elif _assign(teacher, **values):
            updated.append(teacher)
    Teacher.objects.bulk_create(created, batch_size=2000)
    fields = ["school", "name", "email", "subject", "grade_band", "sourced_id"]
    Teacher.objects.bulk_update(updated, fields, batch_size=1000)
    return {"teachers_created": len(created), "teachers_updated": len(updated)}


def _write(district: District, plan: Plan, kind: str) -> dict:
    # One import per district at a time: two concurrent ones would both create the same schools.
    District.objects.select_for_update().filter(pk=district.pk).exists()
    by_sourced_id = kind == Kind.ONEROSTER
    schools, counts = _save_schools(district, plan, by_sourced_id=by_sourced_id)
    counts |= _save_teachers(district, plan, schools, by_sourced_id=by_sourced_id)
    return counts | {"skipped": plan.skipped}


# --- running an import -----------------------------------------------------------------------


def _finish(roster_import: RosterImport, *, status: str, counts=None, errors=None) -> RosterImport:
    roster_import.status, roster_import.progress, roster_import.finished_at = status, 100, timezone.now()
    roster_import.counts, roster_import.errors = counts or {}, errors or []
    roster_import.save(update_fields=["status", "progress", "finished_at", "counts", "errors"])
    return roster_import


def import_run(*, roster_import: RosterImport) -> RosterImport:
    """Check the upload, then write it all or nothing.

    Deliberately not atomic as a whole (see the module docstring): the checking phase commits its
    progress as it goes, and only the write phase is one transaction.
    """
    if roster_import.status in (Status.SUCCEEDED, Status.FAILED):
        return roster_import  # a redelivered task: the import already ran
    roster_import.status, roster_import.progress = Status.RUNNING, 0
    roster_import.save(update_fields=["status", "progress"])
    progress, problems = Progress(roster_import), Problems()
    is_oneroster = roster_import.kind == Kind.ONEROSTER
    label = roster_import.filename
    wanted = ONEROSTER_FILES if is_oneroster else (TEACHERS,)
    files = _unzip(bytes(roster_import.payload), label, wanted, problems)
    check = check_oneroster if is_oneroster else check_teachers_csv
    plan = check(files, district=roster_import.district, label=label, problems=problems, progress=progress) if files or not problems else Plan()
    if problems:
        return _finish(roster_import, status=Status.FAILED, errors=problems.listed())
    progress(CHECKED_PERCENT)
    with transaction.atomic():
        counts = _write(roster_import.district, plan, roster_import.kind)
        return _finish(roster_import, status=Status.SUCCEEDED, counts=counts)


def import_crashed(*, roster_import: RosterImport) -> RosterImport:
    """An import that stopped on an unexpected error is failed, never left "running" for ever."""
    message = "The import stopped on an unexpected error and saved nothing. Try again; if it happens again, tell us."
    return _finish(roster_import, status=Status.FAILED, errors=[{"file": "", "row": None, "message": message}])
