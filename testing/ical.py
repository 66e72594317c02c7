"""Read an .ics that Cadence produced with three independent parsers, and say what each found.

icalendar (which Cadence writes with), vobject and ics each parse the text on their own; `read` returns
what every one of them sees for each event, normalised to the same shape, and fails if they disagree.
A test then checks the fields on that one agreed reading.
"""

import datetime
from dataclasses import dataclass

import ics
import vobject
from icalendar import Calendar


@dataclass(frozen=True)
class Seen:
    method: str
    uid: str
    sequence: int | None
    status: str
    summary: str
    start: datetime.datetime | datetime.date
    end: datetime.datetime | datetime.date
    organizer: tuple[str, str] | None  # (address, CN)
    attendees: tuple[tuple[str, str, str], ...]  # (address, CN, PARTSTAT), sorted


def _address(value: str) -> str:
    return value.removeprefix("mailto:").removeprefix("MAILTO:")


def _utc(value):
    return value.astimezone(datetime.UTC) if isinstance(value, datetime.datetime) else value


def _by_icalendar(text: str) -> list[Seen]:
    cal = Calendar.from_ical(text)
    seen = []
    for event in cal.walk("VEVENT"):
        attendees = event.get("attendee", [])
        attendees = attendees if isinstance(attendees, list) else [attendees]
        organizer = event.get("organizer")
        seen.append(
            Seen(
                method=str(cal.get("method", "")),
                uid=str(event["uid"]),
                sequence=int(event["sequence"]) if "sequence" in event else None,
                status=str(event.get("status", "")),
                summary=str(event["summary"]),
                start=_utc(event.decoded("dtstart")),
                end=_utc(event.decoded("dtend")),
                organizer=(_address(str(organizer)), str(organizer.params.get("cn", ""))) if organizer else None,
                attendees=tuple(
                    sorted(
                        (_address(str(a)), str(a.params.get("cn", "")), str(a.params.get("partstat", "")))
                        for a in attendees
                    )
                ),
            )
        )
    return seen


def _by_vobject(text: str) -> list[Seen]:
    cal = vobject.readOne(text)
    method = cal.method.value if hasattr(cal, "method") else ""
    seen = []
    for event in cal.vevent_list if hasattr(cal, "vevent_list") else []:
        organizer = getattr(event, "organizer", None)

        def param(line, name):
            return line.params.get(name, [""])[0]

        seen.append(
            Seen(
                method=method,
                uid=event.uid.value,
                sequence=int(event.sequence.value) if hasattr(event, "sequence") else None,
                status=event.status.value if hasattr(event, "status") else "",
                summary=event.summary.value,
                start=_utc(event.dtstart.value),
                end=_utc(event.dtend.value),
                organizer=(_address(organizer.value), param(organizer, "CN")) if organizer else None,
                attendees=tuple(
                    sorted(
                        (_address(a.value), param(a, "CN"), param(a, "PARTSTAT"))
                        for a in getattr(event, "attendee_list", [])
                    )
                ),
            )
        )
    return seen


def _by_ics(text: str) -> list[Seen]:
    cal = ics.Calendar(text)
    seen = []
    for event in cal.events:
        sequence = [line.value for line in event.extra if line.name == "SEQUENCE"]
        if event.all_day:
            start, end = event.begin.date(), event.end.date()
        else:
            start, end = event.begin.datetime.astimezone(datetime.UTC), event.end.datetime.astimezone(datetime.UTC)
        seen.append(
            Seen(
                method=cal.method or "",
                uid=event.uid,
                sequence=int(sequence[0]) if sequence else None,
                status=event.status or "",
                summary=event.name,
                start=start,
                end=end,
                organizer=(event.organizer.email, event.organizer.common_name or "") if event.organizer else None,
                attendees=tuple(sorted((a.email, a.common_name or "", a.partstat or "") for a in event.attendees)),
            )
        )
    return seen


def read(raw: bytes | str) -> list[Seen]:
    """The events of `raw` as all three parsers see them (sorted by UID); fails when they differ."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    readings = {
        "icalendar": sorted(_by_icalendar(text), key=lambda s: s.uid),
        "vobject": sorted(_by_vobject(text), key=lambda s: s.uid),
        "ics": sorted(_by_ics(text), key=lambda s: s.uid),
    }
    first = readings["icalendar"]
    for name, reading in readings.items():
        assert reading == first, f"{name} reads the calendar differently:\n{reading}\nicalendar:\n{first}"
    return first


def read_one(raw: bytes | str) -> Seen:
    [event] = read(raw)
    return event


def lines_fold_right(raw: bytes) -> bool:
    """Every physical line at most 75 octets and CRLF-terminated (RFC 5545 §3.1)."""
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    return all(len(line) <= 75 for line in lines) and b"\n" not in raw.replace(b"\r\n", b"")
