"""Where people reach Cadence, for the links it gives out to be opened elsewhere (e-mails, calendars)."""

from django.conf import settings
from django.http import HttpRequest

# Where `make run` serves by default: the last resort of a link built with no request at hand.
DEVELOPMENT_URL = "http://127.0.0.1:8000"


def site_url(request: HttpRequest | None = None) -> str:
    """SITE_URL when it is set (production); otherwise the address `request` came to (development, on
    whatever PORT), else DEVELOPMENT_URL. Without a trailing slash."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/")
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return DEVELOPMENT_URL
