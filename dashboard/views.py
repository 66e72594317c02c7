from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import scoping
from accounts.models import Role
from accounts.permissions import district_admin_required, leader_required, role_required
from coaching.models import Challenge, Teacher
from config.forms import run_action, run_service
from dashboard import digests, selectors, services
from dashboard.forms import AuditFilterForm, DigestForm, EraseForm, SchoolPickerForm, TeacherSearchForm
from dashboard.models import DataExport

AUDIT_PAGE_SIZE = 50
STORIES_PAGE_SIZE = 20


# --- leaders' summaries ---------------------------------------------------------------------------


@leader_required
def school(request, school_id: int | None = None):
    """A school's summary; without an id, the one picked in the switcher or the leader's first school."""
    membership = request.membership
    schools = scoping.schools(membership)
    picker = SchoolPickerForm(request.GET or None, schools=schools)
    if school_id is None and picker.is_valid():
        school_id = picker.cleaned_data["school"].pk
    school = scoping.summary_school(membership, school_id) if school_id else schools.first()
    if school is None:
        return render(request, "dashboard/school.html", {"school": None})
    context = {
        "school": school,
        "picker": SchoolPickerForm(initial={"school": school}, schools=schools),
        "figures": selectors.school_figures(membership.district, [school])[0],
        "challenges": selectors.challenge_categories(membership.district, school),
        "programs": selectors.current_programs(membership.district, timezone.localdate()).filter(schools=school),
        "stories": selectors.shared_stories(membership, school=school)[:STORIES_PAGE_SIZE],
        "k": membership.district.suppression_k,
    }
    return render(request, "dashboard/school.html", context)


@district_admin_required
def district(request):
    district = request.membership.district
    context = {
        "schools": selectors.school_figures(district, list(district.schools.all())),
        "coaches": selectors.coach_progress(district),
        "statuses": Challenge.Status.labels,
        "programs": selectors.current_programs(district, timezone.localdate()),
        "stories": selectors.shared_stories(request.membership)[:3],
        "k": district.suppression_k,
    }
    return render(request, "dashboard/district.html", context)


@district_admin_required
def district_stories(request):
    page = Paginator(selectors.shared_stories(request.membership), STORIES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dashboard/district_stories.html", {"page": page})


# --- data rights and the audit log ----------------------------------------------------------------


@district_admin_required
def data(request):
    district = request.membership.district
    search = TeacherSearchForm(request.GET or None)
    teachers = selectors.teacher_search(district, search.cleaned_data["q"]) if search.is_valid() else None
    context = {"exports": selectors.exports(district)[:20], "search": search, "teachers": teachers}
    return render(request, "dashboard/data.html", context)


@district_admin_required
@require_POST
def export_new(request):
    success = "Export requested. It is being prepared; reload this page in a minute to download it."
    run_action(
        request, services.export_request, success=success, actor=request.user, district=request.membership.district
    )
    return redirect("dashboard:data")


@district_admin_required
def export_download(request, export_id: int):
    ready = DataExport.objects.filter(status=DataExport.Status.READY).select_related("district")
    export = scoping.get_in_district(request.membership, ready, pk=export_id)
    services.export_downloaded(actor=request.user, export=export)
    response = HttpResponse(bytes(export.content), content_type="application/zip")
    filename = f"cadence-{export.district.slug}-{timezone.localtime(export.created_at):%Y%m%d-%H%M}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@district_admin_required
def erase(request, teacher_id: int):
    teacher = scoping.get_in_district(
        request.membership, Teacher.objects.select_related("school__district"), pk=teacher_id
    )
    form = EraseForm(request.POST or None)
    if form.is_valid() and run_service(
        form, services.teacher_erase, actor=request.user, teacher=teacher, **form.cleaned_data
    ):
        messages.success(
            request,
            "The teacher and all their coaching records were erased. The district's earlier exports were withdrawn: "
            "request a new export when you need one.",
        )
        return redirect("dashboard:data")
    context = {"teacher": teacher, "counts": selectors.erasure_counts(teacher), "form": form}
    return render(request, "dashboard/erase.html", context)


@district_admin_required
def audit(request):
    filters = AuditFilterForm(request.GET or None)
    action = filters.cleaned_data["action"] if filters.is_valid() else ""
    events = selectors.audit_events(request.membership.district, action=action)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters, "action": action}
    return render(request, "dashboard/audit.html", context)


# --- the person's digest e-mail -------------------------------------------------------------------


@role_required(Role.COACH, Role.PRINCIPAL)
def digest(request):
    """When the coach's morning e-mail or the principal's weekly summary comes, or turn it off."""
    weekly = request.membership.is_principal
    setting = digests.digest_setting(request.user)
    initial = {"enabled": setting.enabled, "send_at": setting.send_at, "weekday": setting.weekday}
    form = DigestForm(request.POST or None, weekly=weekly, initial=initial)
    if form.is_valid() and run_service(form, digests.digest_setting_save, actor=request.user, **form.cleaned_data):
        messages.success(request, "Digest settings saved." if form.cleaned_data["enabled"] else "Digest turned off.")
        return redirect("dashboard:digest")
    context = {"form": form, "weekly": weekly, "time_zone": request.membership.district.timezone}
    return render(request, "dashboard/digest.html", context)
