"""Keep the secrets that travel in URLs out of log lines.

An invitation link (/account/invitations/<token>/) signs someone in as the invitee, and a reset link
(/account/password-reset/<uidb64>/<token>/) sets their password, and a coach's calendar feed
(/calendar/feed/<token>.ics) shows their week. Django logs the path of every
4xx and 5xx response ("Not Found: /account/invitations/…/"), so a database outage while someone opens
their link would otherwise write a working token into the log.
"""

import logging
import re

REDACTED = "[redacted]"
# Each pattern captures what comes before the token; the token is what follows, up to the next "/".
# A new URL with a <token> in it needs its pattern here: accounts/tests/test_secrets.py checks them all.
SECRET_IN_PATH = (
    re.compile(r"(/invitations/)(?!\d+/resend/)[^/\s?#'\"]+"),
    re.compile(r"(/password-reset/[^/\s?#'\"]+/)(?!set-password/)[^/\s?#'\"]+"),
    re.compile(r"(/calendar/feed/)[^/\s?#'\"]+"),
)


def redact(text: str) -> str:
    """`text` with the token of every secret-bearing path in it replaced by [redacted]."""
    for pattern in SECRET_IN_PATH:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record's message without the tokens of secret-bearing paths (see `redact`).

    On the `django.request` and `django.server` loggers, which log request paths, and on the console
    handler, which everything else reaches.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to the handler's own error reporting
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class AnswerNotFault(logging.Filter):
    """A 4xx response (a refused or missing page) is Cadence answering as designed: its record keeps
    its one line and loses the traceback Django attaches. 5xx records keep theirs.

    On the `django.request` logger, whose records carry the response's `status_code`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info, record.exc_text = None, None
        return True
