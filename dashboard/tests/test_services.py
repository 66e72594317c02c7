"""The district export and a teacher's erasure."""

import csv
import datetime
import io
import json
import zipfile

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts.models import AuditEvent
from coaching import services as coaching_services
from coaching.models import Step, Teacher
from dashboard import services
from dashboard.models import DataExport
from dashboard.tests.helpers import enroll, full_record
from testing import factories as f

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


# --- the export -----------------------------------------------------------------------------------------


@pytest.fixture
def two_districts(cast):
    """Maria's full record in Riverside, and a teacher's full record in oscar's district, full of secrets."""
    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool, note="Riverside note")
    elsewhere = cast.oscar.membership.district
    school = f.SchoolFactory(district=elsewhere, name="Elsewhere High")
    program = f.ProgramFactory(district=elsewhere, name="Elsewhere program")
    teacher = f.TeacherFactory(school=school, name="Secret Teacher", email="secret@elsewhere.org")
    full_record(
        f.EnrollmentFactory(program=program, coach=cast.oscar, teacher=teacher),
        strategy=f.StrategyFactory(district=elsewhere, title="Secret strategy"),
        tool=f.ToolFactory(district=elsewhere, name="Secret tool"),
        note="Elsewhere secret note",
    )
    services.export_request(actor=cast.oscar, district=elsewhere)  # an audit line of theirs
    return cast


def _read(archive: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:  # each file starts with a byte order mark, for Excel
        return {
            name: list(csv.reader(io.StringIO(zipped.read(name).decode("utf-8-sig"))))
            for name in zipped.namelist()
            if name.endswith(".csv")
        }


def test_it_exports_every_table_with_its_header(two_districts):
    files = _read(services.export_archive(district=two_districts.district))

    assert list(files) == ["data_dictionary.csv"] + [table.filename for table in services.TABLES]
    for table in services.TABLES:
        assert files[table.filename][0] == table.headings, table.filename
    filled = ["teachers", "steps", "reflections", "itu_scores", "impact_stories", "step_standards", "challenge_tools",
              "activities", "users", "candidates"]  # fmt: skip
    assert all(len(files[f"{name}.csv"]) > 1 for name in filled)


def test_it_exports_the_confidential_record_of_this_district_only(two_districts):
    files = _read(services.export_archive(district=two_districts.district))

    everything = json.dumps(files)
    assert "Riverside note" in everything and "Maria Rivera" in everything
    for secret in ("Elsewhere", "Secret", "secret@elsewhere.org", "oscar@example.org"):
        assert secret not in everything
    steps = files["steps.csv"]
    assert [row[steps[0].index("Notes")] for row in steps[1:]] == ["Riverside note"] * 3
    assert {row[1] for row in files["step_standards.csv"][1:]} == {"1B", "1C"}


def test_it_builds_a_requested_export_after_commit_and_audits_it(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_request(actor=cast.dana, district=cast.district)

    export.refresh_from_db()
    assert export.status == DataExport.Status.READY and export.finished_at
    assert "teachers.csv" in _read(bytes(export.content))
    event = AuditEvent.objects.get()
    assert (event.district, event.actor, event.action, event.details) == (
        cast.district, cast.dana, Action.EXPORT, {"export_id": export.pk}
    )  # fmt: skip


def test_it_never_lets_a_stuck_export_block_the_next(cast):
    services.export_request(actor=cast.dana, district=cast.district)  # its task never runs: not committed

    services.export_request(actor=cast.dana, district=cast.district)

    assert DataExport.objects.filter(status=DataExport.Status.PENDING).count() == 2


def test_it_keeps_a_failed_export_with_a_reason(cast, monkeypatch):
    export = DataExport.objects.create(district=cast.district, requested_by=cast.dana)
    monkeypatch.setattr(services, "export_archive", lambda district: 1 / 0)

    services.export_build(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == DataExport.Status.FAILED
    assert export.error == "The export could not be built (ZeroDivisionError)."


def test_it_builds_an_export_once(cast):
    export = DataExport.objects.create(district=cast.district, status=DataExport.Status.READY, content=b"zip")

    services.export_build(export_id=export.pk)

    export.refresh_from_db()
    assert bytes(export.content) == b"zip"


# --- erasure ----------------------------------------------------------------------------------------------


def _paths_to_teacher(model, depth: int = 6) -> list[str]:
    """Every chain of foreign keys from `model` to Teacher, as ORM lookups."""
    if model is Teacher:
        return ["pk"]
    if depth == 0:
        return []
    paths = []
    for field in model._meta.get_fields():
        if isinstance(field, models.ForeignKey):
            target = field.related_model
            paths += [f"{field.name}__{p}" if p != "pk" else field.name for p in _paths_to_teacher(target, depth - 1)]
    return paths


def _records_of(teacher: Teacher) -> dict[type, tuple[int, int]]:
    """For each model with a path to Teacher: (rows about this teacher, all rows)."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if paths := _paths_to_teacher(model):
            about = Q()
            for path in paths:
                about |= Q(**{path: teacher.pk})
            counts[model] = (model.objects.filter(about).distinct().count(), model.objects.count())
    return counts


def test_it_erases_every_row_about_the_teacher_in_every_table(cast, django_capture_on_commit_callbacks):
    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool)
    # Maria on a second caseload too (in another program: one caseload per program), with a step scheduled (a
    # calendar event), and a colleague whose records must survive.
    with_bob = f.EnrollmentFactory(
        program=f.ProgramFactory(district=cast.district), coach=cast.bob, teacher=cast.teacher
    )
    coaching_services.story_save(actor=cast.bob, enrollment=with_bob, title="Lab reports", story="They own it now.",
                                 told_on=f.day())  # fmt: skip
    f.log(f.challenge_at(cast, "implement", enrollment=with_bob), "plan_meeting", days=3, done=False)
    colleague = enroll(cast, 1)[0]
    full_record(colleague, strategy=cast.strategy, tool=cast.tool)
    before = _records_of(cast.teacher)
    colleagues_before = _records_of(colleague.teacher)
    assert all(about > 0 for about, _ in before.values()), [m for m, (n, _) in before.items() if not n]

    # The cancellation of her scheduled step is sent after the commit, and then nothing of it stays.
    with django_capture_on_commit_callbacks(execute=True):
        services.teacher_erase(actor=cast.dana, teacher=cast.teacher, confirmation="maria  rivera")

    after = _records_of(cast.teacher)
    for model, (about, total) in before.items():
        # Nothing refers to her any more, and nothing was merely detached (SET_NULL): the rows are gone.
        assert after[model] == (0, total - about), model
    assert _records_of(colleague.teacher) == {
        model: (about, total - before[model][0]) for model, (about, total) in colleagues_before.items()
    }


def test_it_audits_an_erasure_without_the_teachers_name(cast):
    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool)
    teacher_id = cast.teacher.pk

    counts = services.teacher_erase(actor=cast.dana, teacher=cast.teacher, confirmation="Maria Rivera")

    event = AuditEvent.objects.get(action=Action.ERASE)
    assert (event.actor, event.details) == (
        cast.dana,
        {"teacher_id": teacher_id, "counts": counts, "exports_withdrawn": 0, "roster_imports_scrubbed": 0},
    )
    assert counts["cycle steps"] == 3 and counts["impact stories"] == 1
    logged = event.summary + json.dumps(event.details)
    assert "Maria" not in logged and "maria@example.org" not in logged


def test_it_refuses_to_erase_without_the_teachers_name(cast):
    with pytest.raises(ValidationError, match="Type the teacher's name"):
        services.teacher_erase(actor=cast.dana, teacher=cast.teacher, confirmation="Maria")
    assert Teacher.objects.filter(pk=cast.teacher.pk).exists()
    assert not AuditEvent.objects.exists()


# --- an export people can read ----------------------------------------------------------------------------


def _zip(archive: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(archive))


def test_it_names_columns_for_people_not_for_the_orm(two_districts):
    files = _read(services.export_archive(district=two_districts.district))

    assert files["users.csv"][0] == ["User ID", "E-mail", "Full name", "Role", "Active", "Joined at"]
    headings = [heading for table in services.TABLES for heading in table.headings]
    assert not [heading for heading in headings if "__" in heading or "_id" in heading or heading != heading.strip()]


def test_it_describes_every_file_and_column_in_a_data_dictionary(two_districts):
    files = _read(services.export_archive(district=two_districts.district))

    header, *rows = files["data_dictionary.csv"]
    assert header == ["File", "Column", "Meaning"]
    described = {(file, column) for file, column, meaning in rows if meaning.strip()}
    for table in services.TABLES:
        assert (table.filename, "") in described
        assert {(table.filename, heading) for heading in table.headings} <= described
    meanings = {(file, column): meaning for file, column, meaning in rows}
    assert "plan_meeting = Planning meeting" in meanings[("steps.csv", "Kind")]  # coded values spelled out
    assert "Local time in America/Chicago" in meanings[("steps.csv", "Starts at")]
    assert ("cadence_export.xlsx", "") in described


def test_it_writes_times_in_the_district_time_zone_to_the_second(cast):
    cast.district.timezone = "America/Los_Angeles"
    cast.district.save()
    full_record(cast.enrollment, strategy=cast.strategy, tool=cast.tool)
    Step.objects.update(starts_at=datetime.datetime(2025, 3, 4, 15, 30, 45, 123456, tzinfo=datetime.UTC))

    steps = _read(services.export_archive(district=cast.district))["steps.csv"]

    assert {row[steps[0].index("Starts at")] for row in steps[1:]} == {"2025-03-04T07:30:45"}  # PST, to the second


def test_it_puts_a_workbook_with_every_table_beside_the_csv_files(two_districts):
    import openpyxl

    archive = _zip(services.export_archive(district=two_districts.district))
    files = _read(services.export_archive(district=two_districts.district))
    book = openpyxl.load_workbook(io.BytesIO(archive.read("cadence_export.xlsx")), read_only=True)

    assert book.sheetnames == ["data_dictionary"] + [table.sheet for table in services.TABLES]
    for table in services.TABLES:
        rows = list(book[table.sheet].iter_rows(values_only=True))
        assert list(rows[0]) == table.headings
        assert len(rows) == len(files[table.filename]), table.filename
    steps = list(book["steps"].iter_rows(values_only=True))
    assert isinstance(steps[1][steps[0].index("Starts at")], datetime.datetime)  # a date Excel can sort
    assert [row[steps[0].index("Notes")] for row in steps[1:]] == ["Riverside note"] * 3
