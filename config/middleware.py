"""A lost database connection answers 503 "briefly unavailable", never 500 "something went wrong"."""

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

# Seconds a client (or a proxy) should wait before trying again: a PostgreSQL restart takes a few.
RETRY_AFTER_SECONDS = 10
DATABASE_ERRORS = (OperationalError, InterfaceError)


def unavailable() -> HttpResponse:
    """The 503 page. Rendered without a request, so no context processor (the user, messages) reaches for the
    database, and from a template that needs nothing but itself."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns OperationalError / InterfaceError raised by a view into the 503 page.

    Errors raised outside the view (loading the session or the membership in a middleware, saving
    the session on the way out) reach the handler500 instead: config.views.server_error answers
    the same page for them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return unavailable()
        return None
