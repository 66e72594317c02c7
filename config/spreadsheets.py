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
"""

import codecs
import csv
import datetime
import decimal
import json
from collections.abc import Iterable
from typing import TextIO

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
