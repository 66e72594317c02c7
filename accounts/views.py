from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from accounts import scoping, selectors, services
from accounts.forms import AcceptForm, InviteForm, MemberForm, RoleFilterForm
from accounts.models import Invitation, Membership
from accounts.permissions import district_admin_required
from config.forms import run_action, run_once, run_service
from config.sites import site_url


def _member(request, membership_id: int) -> Membership:
    members = Membership.objects.select_related("user", "district")
    return scoping.get_in_district(request.membership, members, pk=membership_id)


def _act(request, success: str, service, **kwargs) -> HttpResponse:
    """Run a one-click action of the People page and go back there saying what happened."""
    run_action(request, service, success=success, actor=request.user, **kwargs)
    return redirect("accounts:people")


@district_admin_required
def people(request):
    district = request.membership.district
    form = RoleFilterForm(request.GET or None)
    role = form.cleaned_data["role"] if form.is_valid() else ""
    context = {
        "form": form,
        "filtered": bool(role),
        "members": list(selectors.people(district, role=role)),
        "invitations": list(selectors.pending_invitations(district, role=role)),
    }
    return render(request, "accounts/people.html", context)


@district_admin_required
def invite(request):
    district = request.membership.district
    form = InviteForm(request.POST or None, district=district)
    people_url = reverse("accounts:people")
    if form.is_valid() and (
        url := run_once(
            request, form, services.invitation_create, actor=request.user, district=district,
            site_url=site_url(request), **form.cleaned_data, landing=lambda invitation: people_url,
            conflict=people_url,
            success=lambda invitation: f"Invitation sent to {invitation.email}. The link works for 7 days.",
        )
    ):  # fmt: skip
        return redirect(url)
    return render(request, "accounts/invite.html", {"form": form})


@district_admin_required
@require_POST
def invitation_resend(request, invitation_id: int):
    invitation = scoping.get_in_district(request.membership, Invitation, pk=invitation_id)
    success = f"A new invitation link was sent to {invitation.email}; the earlier link no longer works."
    return _act(request, success, services.invitation_resend, invitation=invitation, site_url=site_url(request))


@district_admin_required
def member_edit(request, membership_id: int):
    membership = _member(request, membership_id)
    initial = {"role": membership.role, "schools": list(membership.schools.all())}
    form = MemberForm(request.POST or None, initial=initial, district=membership.district)
    caseload = selectors.caseload_by_school(membership.user)
    if form.is_valid() and run_service(
        form, services.member_update, actor=request.user, membership=membership, **form.cleaned_data
    ):
        messages.success(request, _member_saved(membership, before=sum(n for _, n in caseload)))
        return redirect("accounts:people")
    context = {"form": form, "member": membership, "caseload": caseload, "caseload_size": sum(n for _, n in caseload)}
    return render(request, "accounts/member_edit.html", context)


def _member_saved(membership: Membership, *, before: int) -> str:
    saved = f"{membership.user} is now {membership.get_role_display().lower()}."
    ended = before - scoping.caseload(membership.user).count()
    if ended:
        saved += (
            f" {ended} enrollment{'s' * (ended != 1)} ended today and the records closed: assign the teachers "
            "to another coach on Caseloads."
        )
    return saved


@district_admin_required
@require_POST
def member_deactivate(request, membership_id: int):
    membership = _member(request, membership_id)
    active = request.POST.get("active") == "true"
    if active:
        success = (
            f"{membership.user} is active again and can sign in. Their caseload stays empty until you assign teachers."
        )
    else:
        size = scoping.caseload(membership.user).count()
        success = f"{membership.user} is deactivated and can no longer sign in. Everything they logged stays."
        if size:
            success += f" Their {size} enrollment{'s' * (size != 1)} ended today."
    return _act(request, success, services.member_set_active, membership=membership, active=active)


def accept(request, token: str):
    """Public: the invitation link. A bad link gets a page saying what to do, never an error.

    Someone signed in is never switched to the invited account: the page says whose invitation it is and
    offers to sign out first (or says that it is theirs already).
    """
    invitation = selectors.invitation_for_token(token)
    user = request.user
    yours = invitation is not None and user.is_authenticated and user.email.lower() == invitation.email.lower()
    if not yours and (problem := services.invitation_problem(invitation=invitation)):
        status = 404 if invitation is None else 410
        return render(request, "accounts/invitation_invalid.html", {"problem": problem}, status=status)
    if user.is_authenticated:
        return render(request, "accounts/accept_signed_in.html", {"invitation": invitation, "yours": yours})
    form = AcceptForm(request.POST or None, email=invitation.email, initial={"full_name": invitation.full_name})
    if form.is_valid():
        name, password = form.cleaned_data["full_name"], form.cleaned_data["password1"]
        user = run_service(form, services.invitation_accept, invitation=invitation, full_name=name, password=password)
        if user:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Cadence, {user.get_short_name()}.")
            return redirect("coaching:home")
    return render(request, "accounts/accept.html", {"form": form, "invitation": invitation})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing a new password also lifts a sign-in lockout on the account, as the lockout page promises."""

    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The account's own failures, from every address (which also takes them off each address's count).
        axes_reset(username=form.user.email)
        return response
