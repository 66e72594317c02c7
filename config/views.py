"""The bottom layer's own pages: the load balancer's health check, and the error page for an outage."""

import sys

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.defaults import bad_request as default_bad_request
from django.views.defaults import server_error as default_server_error

from config import health
from config.middleware import DATABASE_ERRORS, unavailable


@require_safe
@never_cache
@transaction.non_atomic_requests  # a request transaction would need the database before the view could say it is down
def healthz(request):
    """JSON for a load balancer or a monitor: 200 while this process can serve (the database answers),
    503 when it cannot; each check's result (database, cache, broker, worker heartbeat) in the body."""
    report = health.report()
    return JsonResponse(report, status=503 if report["status"] == "down" else 200)


def server_error(request):
    """handler500: a database outage met outside a view (in a middleware) is the 503 page too."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return unavailable()
    return default_server_error(request)


def bad_request(request, exception):
    """handler400: a session that could not be saved because the database went away (SessionInterrupted,
    raised from the DatabaseError) is an outage, not the person's bad request."""
    cause = exception
    while cause is not None:
        if isinstance(cause, DATABASE_ERRORS):
            return unavailable()
        cause = cause.__cause__ or cause.__context__
    return default_bad_request(request, exception)
