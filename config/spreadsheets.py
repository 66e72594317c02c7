"""The one way Cadence writes CSV, so that every file opens safely and legibly in a spreadsheet.

- Text that a spreadsheet would run as a formula is prefixed with a single quote, OWASP's rule
  against CSV injection: a cell starting with = + - @, a tab, a carriage return or a NUL, also after
  leading white space (Excel skips it), because a district admin opens the export in Excel and a
  coach's note such as `=HYPERLINK("http://…", "x")` would otherwise run there. Numbers are
  values, not text, so a real -5 stays -5; the text "-5" does not.
- Every text cell is quoted, numbers are not (OWASP again: a quoted cell cannot be split into a new
  one at a separator inside it, whatever separator the spreadsheet's locale expects).
- UTF-8 with a byte order mark, without which Excel reads "José Núñez" as "JosÃ© NÃºÃ±ez".
- Dates and datetimes in ISO 8601, lists and dicts as JSON, None as an empty cell.

Use `csv_writer(stream)` on a text stream opened with `newline=""`, never the csv module directly.
`xlsx_writer()` writes the same cells into an Excel workbook, by the same rule (text neutralised and
stored as text, numbers and dates as values).
"""

import codecs
import csv
import datetime
import decimal
import json
from collections.abc import Iterable
from typing import BinaryIO, TextIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

BOM = "\ufeff"
# What makes a spreadsheet read a cell as a formula (or, for tab, CR and NUL, hide what precedes one).
FORMULA_STARTS = frozenset("=+-@\t\r\0")

Cell = str | int | float | decimal.Decimal


def neutralise(text: str) -> str:
    """`text` as a spreadsheet must show it: prefixed with `'` when it would otherwise run as a formula."""
    if text[:1] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def cell(value: object) -> Cell:
    """One value as the CSV cell it becomes: numbers as numbers, everything else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: True is an int to Python, a word to a reader
        return str(value)
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, list | dict):
        return neutralise(json.dumps(value, ensure_ascii=False))
    return neutralise(str(value))


class SpreadsheetWriter:
    """A csv.writer lookalike that turns every value into a safe cell (see `cell`)."""

    def __init__(self, stream: TextIO):
        encoding = getattr(stream, "encoding", None)  # None for io.StringIO
        if encoding and codecs.lookup(encoding).name != "utf-8":
            raise ValueError(f"CSV files are written in UTF-8, not {encoding}.")
        stream.write(BOM)
        self._writer = csv.writer(stream, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: TextIO) -> SpreadsheetWriter:
    """A writer onto `stream` (a text stream opened with newline=""), which first writes the byte order mark.

    Raises ValueError when the stream encodes in anything but UTF-8.
    """
    return SpreadsheetWriter(stream)


# A sheet holds at most this many rows (Excel's limit); a longer table continues on "name (2)", ...
XLSX_MAX_ROWS = 1_048_576


class XlsxWriter:
    """An Excel workbook written row by row (openpyxl's write-only mode: memory stays flat).

    Each cell as `cell` makes it, so a coach's "=HYPERLINK(...)" is text with a leading quote here
    too, and stored as a string (openpyxl would otherwise store text starting with "=" as a formula).
    Naive datetimes and dates stay dates in Excel; characters XML cannot hold (NUL and other control
    characters) become U+FFFD.
    """

    max_rows = XLSX_MAX_ROWS

    def __init__(self):
        self._book = Workbook(write_only=True)

    def _cell(self, sheet, value: object) -> WriteOnlyCell:
        if isinstance(value, datetime.datetime) and value.tzinfo is None:
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = "yyyy-mm-dd hh:mm:ss"
            return written
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = "yyyy-mm-dd"
            return written
        value = cell(value)
        if isinstance(value, str):
            written = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
            written.data_type = "s"
            return written
        return WriteOnlyCell(sheet, value=value)

    def add_sheet(self, title: str, headings: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
        """A sheet called `title` (continued on "title (2)"... past Excel's row limit) with a heading row."""
        headings, part, sheet, used = list(headings), 1, None, self.max_rows
        for row in rows:
            if used >= self.max_rows:
                part += 1 if sheet is not None else 0
                name = title if part == 1 else f"{title[:25]} ({part})"
                sheet, used = self._book.create_sheet(name), 1
                sheet.append([self._cell(sheet, heading) for heading in headings])
            sheet.append([self._cell(sheet, value) for value in row])
            used += 1
        if sheet is None:  # no rows: the headings alone
            sheet = self._book.create_sheet(title)
            sheet.append([self._cell(sheet, heading) for heading in headings])

    def save(self, stream: BinaryIO) -> None:
        self._book.save(stream)


def xlsx_writer() -> XlsxWriter:
    """A new workbook: `add_sheet(title, headings, rows)` per table, then `save(binary_stream)`."""
    return XlsxWriter()
