from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import scoping
from accounts.models import RosterImport
from accounts.permissions import district_admin_required
from config.forms import run_action, run_once
from districts.roster import selectors, services
from districts.roster.forms import RosterUploadForm


def _import(request, import_id: int) -> RosterImport:
    return scoping.get_in_district(request.membership, selectors.import_queryset(), pk=import_id)


@district_admin_required
def index(request):
    district = request.membership.district
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if form.is_valid() and (
        url := run_once(
            request, form, services.import_create, landing=lambda started: reverse("rosters:detail", args=[started.pk]),
            conflict=reverse("rosters:index"), district=district, actor=request.user, upload=form.cleaned_data["files"],
        )
    ):  # fmt: skip
        return redirect(url)
    context = {"form": form, "imports": list(selectors.district_imports(district))}
    return render(request, "rosters/index.html", context)


@district_admin_required
def detail(request, import_id: int):
    return render(request, "rosters/detail.html", {"roster_import": _import(request, import_id)})


@district_admin_required
def progress(request, import_id: int):
    """The status block of the import's page, which htmx polls every second until the import is done."""
    roster_import = _import(request, import_id)
    if request.GET.get("seen") == f"{roster_import.status}-{roster_import.progress}":
        return HttpResponse(status=204)  # nothing new: htmx leaves the page (and any screen reader) alone
    return render(request, "rosters/_status.html", {"roster_import": roster_import})


@district_admin_required
@require_POST
def retry(request, import_id: int):
    """Run an interrupted import again (a new import of the same upload); its page follows the new one."""
    roster_import = _import(request, import_id)
    again = run_action(
        request,
        services.import_retry,
        success="The import runs again.",
        actor=request.user,
        roster_import=roster_import,
    )
    return redirect("rosters:detail", import_id=(again or roster_import).pk)
