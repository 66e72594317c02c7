"""The project's URLs plus a page during which the database goes away (config/tests/test_unavailable.py)."""

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path

from config.urls import handler400, handler500, urlpatterns

__all__ = ["handler400", "handler500", "urlpatterns"]


@transaction.non_atomic_requests
def database_goes_away(request):
    request.session["seen"] = True  # the session must be saved on the way out
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: PostgreSQL stopped mid-request
    return HttpResponse("done")


urlpatterns = [path("outage/", database_goes_away), *urlpatterns]
