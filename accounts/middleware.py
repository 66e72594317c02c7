import zoneinfo

from django.utils import timezone

from accounts.models import Membership


class DistrictMiddleware:
    """Puts the signed-in user's membership on the request and works in their district's time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        if request.user.is_authenticated:
            request.membership = Membership.objects.select_related("district").filter(user=request.user).first()
            if request.membership:
                request.user.membership = request.membership  # so that accounts.scoping asks no query again
        if request.membership:
            timezone.activate(zoneinfo.ZoneInfo(request.membership.district.timezone))
        else:
            timezone.deactivate()
        return self.get_response(request)


class NoStoreMiddleware:
    """Marks every response Django renders `Cache-Control: no-store, private`, unless it already says no-store.

    Signed-in pages carry teachers' notes and district data: a shared school computer's browser must not
    show them again after sign-out (back button, history), nor a proxy to anyone else. The pages of
    signed-out people carry a CSRF token or personal data (sign-in, password reset, an invitation), so
    they are kept out of caches too. Static files never reach this middleware (WhiteNoise answers them
    before it), so they stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        directives = {part.strip().split("=")[0].lower() for part in response.get("Cache-Control", "").split(",")}
        # A view's own no-store (e.g. Django's never_cache) is already as strict: keep its other directives.
        if "no-store" not in directives:
            response["Cache-Control"] = "no-store, private"
        return response
