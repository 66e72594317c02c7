"""Text that must stay on one line: names, titles, anything that may end up in an e-mail header or a
calendar (.ics) line, where a line break starts a new header or property.

A control character is what Unicode calls one (category Cc: C0 controls, DEL and C1 controls, so
CR, LF, tab, vertical tab, form feed, NEL…) or a line or paragraph separator (U+2028, U+2029): the
characters mail and calendar software may take for the end of a line.
"""

import re

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SINGLE_LINE_MESSAGE = "Use a single line of plain text: no line breaks, tabs or other control characters."


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value))


def single_line(value: object) -> str:
    """`value` as one line: each control character becomes a space, runs of white space become one, and
    the ends are trimmed. Used where imports clean a value, and wherever a header or calendar line is built."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", str(value)).split())
