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
