"""Every CSV Cadence writes opens safely in a spreadsheet: no cell runs as a formula, accents survive."""

import codecs
import csv
import datetime
import decimal
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from coaching import services as coaching
from coaching.models import Activity, ChallengeCategory
from config.spreadsheets import csv_writer
from dashboard import services
from testing import factories as f

pytestmark = pytest.mark.django_db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
HYPERLINK = '=HYPERLINK("http://example.invalid","x")'


def _files(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist() if name.endswith(".csv")}


def _rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _starts_a_formula(text: str) -> bool:
    """What Excel does with a cell's text: a formula when it starts (after white space) with one of these."""
    return text[:1] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS


def _runs_as_formula(cell: str) -> bool:
    return not _is_number(cell) and _starts_a_formula(cell)  # a number's minus sign is just a minus


@pytest.fixture
def hostile(cast):
    """Text a coach typed that a spreadsheet would run, in a challenge and in activities."""
    challenge = coaching.challenge_start(enrollment=cast.enrollment, problems=[HYPERLINK])
    coaching.challenge_identify(
        challenge=challenge, problems=[HYPERLINK], title=HYPERLINK, improvement="@SUM(2+2)",
        category=ChallengeCategory.INSTRUCTIONAL,
        root_cause_notes="  @SUM(1+1)*cmd|' /C calc'!A0",
    )  # fmt: skip
    for notes in ("-5+3", "+1", "\t=1+1", "\r\n=1+1", "Plain words"):
        coaching.activity_log(actor=cast.alice, kind=Activity.Kind.PLN, notes=notes)
    f.TeacherFactory(school=cast.school, name="José Núñez")
    return cast


def test_it_neutralises_formulas_in_the_export(hostile):
    files = _files(services.export_archive(district=hostile.district))

    [challenge] = _rows(files["challenges.csv"])
    assert challenge["Title"] == "'" + HYPERLINK
    assert challenge["Root cause notes"] == "'  @SUM(1+1)*cmd|' /C calc'!A0"
    notes = [row["Notes"] for row in _rows(files["activities.csv"])]
    assert notes == ["'-5+3", "'+1", "'\t=1+1", "'\r\n=1+1", "Plain words"]
    assert {row["Minutes"] for row in _rows(files["activities.csv"])} == {"15"}  # numbers stay numbers


def test_it_leaves_no_cell_of_the_export_that_runs_as_a_formula(hostile):
    for name, raw in _files(services.export_archive(district=hostile.district)).items():
        for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")):
            assert not any(_runs_as_formula(cell) for cell in row), (name, row)


def test_it_writes_utf8_with_a_byte_order_mark_for_excel(hostile):
    files = _files(services.export_archive(district=hostile.district))

    assert all(raw.startswith(codecs.BOM_UTF8) for raw in files.values())
    assert not any(raw[3:].startswith(codecs.BOM_UTF8) for raw in files.values())  # one, not two
    assert "José Núñez" in {row["Name"] for row in _rows(files["teachers.csv"])}


# --- the writer itself ----------------------------------------------------------------------------


def _write(*rows) -> str:
    buffer = io.StringIO(newline="")
    writer = csv_writer(buffer)
    writer.writerows(rows)
    return buffer.getvalue()


def _read_back(text: str) -> list[list[str]]:
    """The cells a spreadsheet gets from the file, quotes and byte order mark taken off."""
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_it_keeps_numbers_as_numbers_and_neutralises_text_that_looks_like_one():
    text = _write([-5, "-5+3", "-5", 2.5, decimal.Decimal("-1.20"), True, None])

    assert text == '\ufeff-5,"\'-5+3","\'-5",2.5,-1.20,"True",""\r\n'
    assert _read_back(text) == [["-5", "'-5+3", "'-5", "2.5", "-1.20", "True", ""]]


def test_it_writes_dates_in_iso_8601_and_structures_as_json():
    moment = datetime.datetime(2025, 3, 1, 9, 30, tzinfo=datetime.UTC)
    row = [datetime.date(2025, 3, 1), moment, {"file": "users.csv", "row": 2}, ["=x"]]

    assert _read_back(_write(row)) == [
        ["2025-03-01", "2025-03-01T09:30:00+00:00", '{"file": "users.csv", "row": 2}', '["=x"]']
    ]


def test_it_writes_the_byte_order_mark_once_and_refuses_other_encodings():
    assert _write(["José Núñez"], ["Zoë"]).count("\ufeff") == 1
    with pytest.raises(ValueError, match="UTF-8"):
        csv_writer(io.TextIOWrapper(io.BytesIO(), encoding="cp1252"))


@given(st.text())
def test_it_never_lets_a_text_cell_start_a_formula(text):
    [[seen]] = _read_back(_write([text]))  # what the spreadsheet reads from the file

    assert not _starts_a_formula(seen)  # "-5" too: text is text, only numbers are written as numbers
    assert seen in (text, "'" + text)  # nothing is lost: at most a leading quote is added


def test_it_writes_every_csv_through_the_one_writer():
    """A new CSV anywhere in Cadence must go through config.spreadsheets, not the csv module."""
    apps = ("config", "standards", "accounts", "coaching", "dashboard")
    writers = re.compile(r"\bcsv\.(writer|DictWriter)\b|\bfrom csv import\b.*\b(writer|DictWriter)\b")
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for app in apps
        for path in Path(settings.BASE_DIR, app).rglob("*.py")
        if "tests" not in path.parts and path.name != "spreadsheets.py" and writers.search(path.read_text())
    ]
    assert offenders == []


def test_it_neutralises_formulas_in_the_workbook_too(hostile):
    import openpyxl

    with zipfile.ZipFile(io.BytesIO(services.export_archive(district=hostile.district))) as zipped:
        book = openpyxl.load_workbook(io.BytesIO(zipped.read("cadence_export.xlsx")))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]

    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]  # no formula anywhere
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [text for text in texts if _runs_as_formula(text)]
    assert "'" + HYPERLINK in texts
    notes = [row[-1] for row in book["activities"].iter_rows(min_row=2, values_only=True)]
    assert notes == ["'-5+3", "'+1", "'\t=1+1", "'\n=1+1", "Plain words"]  # XML reads a CR LF as LF
    assert {row[7] for row in book["activities"].iter_rows(min_row=2, values_only=True)} == {15}


def test_it_continues_a_table_longer_than_a_sheet_on_the_next_sheet():
    from openpyxl import load_workbook

    from config.spreadsheets import xlsx_writer

    workbook = xlsx_writer()
    workbook.max_rows = 3  # Excel's 1,048,576, made small
    workbook.add_sheet("steps", ["n", "note"], [(n, "\0=x") for n in range(5)])
    buffer = io.BytesIO()
    workbook.save(buffer)

    book = load_workbook(buffer)
    assert book.sheetnames == ["steps", "steps (2)", "steps (3)"]
    assert [list(sheet.values) for sheet in book] == [
        [("n", "note"), (0, "'\ufffd=x"), (1, "'\ufffd=x")],
        [("n", "note"), (2, "'\ufffd=x"), (3, "'\ufffd=x")],
        [("n", "note"), (4, "'\ufffd=x")],
    ]


def test_it_writes_dashboard_figures_as_numbers_a_spreadsheet_adds_up():
    from dashboard.selectors import Figure

    text = services.dashboard_csv([("T", ["a", "b", "c", "d"], [[Figure(86370, 5), Figure(None, 5), 8760, None]])])
    assert text.splitlines()[2] == '"86370","fewer than 5","8760",""'
