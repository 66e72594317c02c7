"""Role checks for views. Which *objects* a user may see is decided in accounts.scoping."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.models import Role


def role_required(*roles: str):
    """Signed in (else the login page), with one of these roles in a district (else 403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not (request.membership and request.membership.role in roles):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


coach_required = role_required(Role.COACH)
# A page of one teacher's record carries no role check up front: the scoped fetch
# (accounts.scoping.get_confidential) answers 403 or 404 itself, and another district's user
# must get a 404 whatever their role.
coach_record = login_required
district_admin_required = role_required(Role.DISTRICT_ADMIN)
leader_required = role_required(Role.PRINCIPAL, Role.DISTRICT_ADMIN)
