"""Hooks that fit django-axes (login throttling) to Cadence: see AXES_* in config/settings.py."""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.forms import LoginForm

LOCKOUT_MESSAGE = "Too many failed sign-ins."


def attempted_email(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a sign-in tried, normalised: "Dana@X.org " must count against dana@x.org."""
    value = (credentials or {}).get("username") or request.POST.get("username")
    return value.strip().lower() if value else None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: behind N trusted proxies, the one the outermost proxy saw.

    Each proxy appends the address it received from, so the N-th entry from the right was
    written by our outermost proxy; entries further left are whatever the client claimed.
    """
    count = settings.AXES_TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The login page again, saying why, with 429 Too Many Requests."""
    context = {
        "form": LoginForm(request, initial={"username": attempted_email(request, credentials)}),
        "lockout_message": LOCKOUT_MESSAGE,
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)


class SignInThrottle(AxesDatabaseHandler):
    """axes' database handler with a second, higher limit: failures from one address across accounts.

    axes compares one failure count with one limit. AXES_LOCKOUT_PARAMETERS counts an account's failures
    at one address against AXES_FAILURE_LIMIT, so nobody elsewhere can lock a coach out by guessing
    (they would have to guess from the coach's own address). An address that guesses across many accounts
    is stopped by SIGNIN_ADDRESS_FAILURE_LIMIT: on reaching it, every sign-in from there counts as at the
    limit, whatever the account. Both counts cover the cool-off time (AXES_COOLOFF_TIME) only.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if self._address_failures(request) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def _address_failures(self, request) -> int:
        recent = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
        )
        return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0
