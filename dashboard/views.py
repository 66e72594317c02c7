from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import scoping
from accounts.models import Role
from accounts.permissions import coach_required, district_admin_required, leader_required, role_required
from coaching.models import ITUIndicator, Teacher
from config.forms import landed_at, page_key, run_action, run_action_once, run_once, run_service, to_keyed_page
from dashboard import digests, exports, selectors, services, tables
from dashboard.charts import BarChart, Series
from dashboard.forms import (
    AuditFilterForm,
    DashboardFilterForm,
    DigestForm,
    EraseForm,
    SchoolPickerForm,
    SelfAssessmentForm,
    TeacherSearchForm,
)
from dashboard.models import CoachMonth, CoachStandardMonth, DataExport, EnrollmentITU, EnrollmentMonth
from standards.models import Standard

AUDIT_PAGE_SIZE = 50
STORIES_PAGE_SIZE = 20
ROWS_PAGE_SIZE = 25  # schools and coaches on the district dashboard
GROWTH_SHOWN = 4  # self-assessments side by side on the growth page
GROWTH_PAGE_SIZE = 20  # self-assessments listed on the growth page
PHONE_SHOWN = 2  # self-assessments in the growth chart a phone shows


def _month_axis(months) -> dict:
    """A chart's month labels: "Aug" on the axis, the year under the first month and each new year."""
    months = list(months)
    return {"labels": [f"{month:%b}" for month in months], "years": [f"{month:%Y}" for month in months]}


def _trend_chart(key: str, title: str, trend) -> BarChart:
    return BarChart(
        key=key,
        title=title,
        **_month_axis(row.month for row in trend),
        series=[
            Series("Coaching steps done", [row.steps for row in trend]),
            Series("Hours of 1:1 coaching", [row.hours for row in trend]),
        ],
    )


# The indicators as a chart's axis has room for them (the table beside it names them in full).
ITU_SHORT = {
    ITUIndicator.STUDENT_AGENCY.label: "Agency",
    ITUIndicator.CRITICAL_THINKING.label: "Critical thinking",
    ITUIndicator.SELECTING_TOOLS.label: "Tech tools",
}


def _itu_chart(key: str, title: str, rows) -> BarChart:
    return BarChart(
        key=key,
        title=title,
        labels=[ITU_SHORT.get(row.label, row.label) for row in rows],
        series=[
            Series("Proficiency at baseline", [row.proficiency[0] for row in rows]),
            Series("Proficiency latest", [row.proficiency[1] for row in rows]),
        ],
        top=5,  # the rating scale's top
    )


def _csv(request, filename: str, what: str, sections) -> HttpResponse:
    """The dashboard's tables as CSV, exactly as the viewer sees them; a leader's export is audited."""
    if request.membership.role != "coach":
        services.dashboard_exported(actor=request.user, district=request.membership.district, what=what)
    response = HttpResponse(services.dashboard_csv(sections), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{timezone.localdate():%Y%m%d}.csv"'
    return response


class Filters(NamedTuple):
    form: DashboardFilterForm
    programs: list  # the program chosen, or every one offered
    period: selectors.Period
    school: object  # the School chosen, or None
    dates_ignored: bool  # the dates asked for were refused: `period` is the programs' school year


def _filters(request, *, programs, schools=None) -> Filters:
    """The dashboard filters, the programs and the period they select. A value with an error is shown with it and
    left out, the others kept: a date that is not one, or a period that runs backwards or over more than three
    years, leaves out both dates (the period is then the programs' school year, as when no date is given: a
    date left empty is the school year's), and the program and school chosen still apply."""
    form = DashboardFilterForm(request.GET or None, programs=programs, schools=schools)
    form.is_valid()  # cleans each field: its value is kept whatever the others' errors
    data = getattr(form, "cleaned_data", {})  # none when unbound
    today = timezone.localdate()
    chosen = [data["program"]] if data.get("program") else list(programs)
    period = selectors.program_period(chosen, today)
    dates_ignored = "start" in form.errors or "end" in form.errors
    if not dates_ignored and (data.get("start") or data.get("end")):
        asked = selectors.Period(data.get("start") or period.start, data.get("end") or today)
        if problem := asked.problem():
            form.add_error(None, problem)
            dates_ignored = True
        else:
            period = asked
    return Filters(form, chosen, period, data.get("school"), dates_ignored)


# --- the coach's own dashboard and growth page ----------------------------------------------------


@coach_required
def coach(request):
    """My coaching: the coach's own figures (nothing to suppress: it is the coach's own work)."""
    user = request.user
    today = timezone.localdate()
    programs = selectors.coach_programs(user, today)
    period = selectors.program_period(programs, today)
    # The caseload now, read with what cadence health shows of each entry: cadence health and challenges.
    records = scoping.CoachRecords(user, select_related=selectors.CADENCE_RELATED)
    # The figures of the coach's own work: with every teacher they coached, ended enrollments included.
    work = selectors.month_sums(scoping.coach_figures(user, EnrollmentMonth), period)
    time = selectors.coach_time(scoping.coach_figures(user, CoachMonth), period, work)
    trend = selectors.trend(work, period, k=None)
    itu = selectors.itu_change(scoping.coach_figures(user, EnrollmentITU), k=None)
    coverage = selectors.standards_coverage(scoping.coach_figures(user, CoachStandardMonth), period)
    if request.GET.get("format") == "csv":
        months = [f"{m:%Y-%m}" for m in period.months]
        return _csv(
            request, "cadence-my-coaching", "my coaching",
            [
                exports.report_section(period, programs),
                ("Time by kind of work (hours)", ["Month", "1:1 coaching", "School-wide", "PD and PLN"],
                 [[f"{r.month:%Y-%m}", r.one_to_one, r.school_wide, r.learning] for r in time]),
                ("Standards coverage (tagged uses)", ["Standard", *months, "Total"],
                 [[r.standard.code, *(n for n, _ in r.cells), r.total] for r in coverage]),
                exports.itu_section(itu),
                exports.trend_section(trend),
            ],
        )  # fmt: skip
    cadence = selectors.cadence_health(records, today=today)
    statuses = selectors.coach_challenges_by_status(records)
    never = [row.standard for row in coverage if not row.total]
    months = [f"{month:%b %Y}" for month in period.months]
    context = {
        "period": period,
        "months": months,
        "month_headers": tables.month_headers(months),
        "summary": selectors.coach_summary(work, cadence),
        "statuses": statuses,
        "status_rows": tables.status_rows(statuses),
        "implementing": statuses[3][1],  # the fourth step of the model
        "cadence": cadence,
        "cadence_rows": tables.cadence_rows(cadence),
        "contact_days": selectors.CONTACT_DAYS,
        "time": time,
        "time_rows": tables.time_rows(time),
        "time_chart": BarChart(
            key="time",
            title="Hours of work by kind, month by month",
            **_month_axis(row.month for row in time),
            series=[
                Series("1:1 coaching", [row.one_to_one for row in time]),
                Series("School-wide work", [row.school_wide for row in time]),
                Series("PD and PLN", [row.learning for row in time]),
            ],
        ),
        "trend": trend,
        "trend_chart": _trend_chart("trend", "Coaching steps and hours, month by month", trend),
        "coverage": coverage,
        "coverage_rows": tables.coverage_rows(coverage),
        "never": never,
        "never_html": tables.never_exercised(never),
        "itu": itu,
        "itu_chart": _itu_chart("itu", "ITU proficiency per indicator, baseline and latest (1–5)", itu),
    }
    return render(request, "dashboard/coach.html", context)


@coach_required
def growth(request):
    """The coach's self-assessments over time beside the coverage their tagged work shows: the newest four side by
    side (a phone's chart: the newest two), and every one listed, newest first, a page at a time."""
    user = request.user
    today = timezone.localdate()
    programs = selectors.coach_programs(user, today)
    period = selectors.program_period(programs, today)
    every = selectors.numbered(selectors.self_assessments(user)).prefetch_related(None)  # growth() reads the ratings
    page = Paginator(every, GROWTH_PAGE_SIZE).get_page(request.GET.get("page"))
    newest = list(page)[:GROWTH_SHOWN] if page.number == 1 else list(every[:GROWTH_SHOWN])  # page 1 has them
    assessments = newest[::-1]
    coverage = selectors.standards_coverage(scoping.coach_figures(user, CoachStandardMonth), period)
    rows = selectors.growth(assessments, coverage)
    context = {
        "assessments": assessments,
        "rows": rows,
        "chart": _growth_chart("growth", "oldest to newest self-assessment", assessments, rows),
        "phone_chart": (  # more than two: 18 groups of 3 or 4 bars are too thin to read on a phone
            _growth_chart("growth-phone", "your two newest self-assessments", assessments[-PHONE_SHOWN:], rows)
            if len(assessments) > PHONE_SHOWN
            else None
        ),
        "page": page,
        "page_rows": tables.self_assessment_rows(page),
        "period": period,
    }
    return render(request, "dashboard/growth.html", context)


def _growth_chart(key: str, which: str, assessments: list, rows) -> BarChart:
    """Self-ratings per standard, a series per self-assessment ("27 Nov 2026 (2)": two of a day read apart), every
    standard's code under the axis (18 of them: more than a month chart's 12)."""
    offset = len(rows[0].ratings) - len(assessments) if rows else 0  # the phone's two: the last of each row's
    return BarChart(
        key=key,
        title=f"Self-ratings per standard (1–4), {which}",
        labels=[row.standard.code for row in rows],
        max_labels=len(rows),
        top=4,  # the rating scale's top, whatever the ratings
        series=[
            Series(f"{a.assessed_on.day} {a.assessed_on:%b %Y}{a.same_day}", [row.ratings[offset + i] for row in rows])
            for i, a in enumerate(assessments)
        ],
    )


@coach_required
def self_assessment_new(request):
    """Safe to send twice, Back after saving then Save included: its key is in the page's URL (config.forms.page_key),
    so it is saved once, and both land on My growth."""
    if keyed := to_keyed_page(request):
        return keyed
    key = page_key(request)
    today = timezone.localdate()  # the district's (accounts.middleware)
    form = SelfAssessmentForm(
        request.POST or None, standards=Standard.objects.order_by("code"), today=today,
        initial={"assessed_on": today, "submission_key": key},
    )  # fmt: skip
    growth_url = reverse("dashboard:growth")
    if form.is_valid() and (
        url := run_once(
            request, form, services.self_assessment_save,
            landing=lambda assessment: growth_url, conflict=growth_url, success="Self-assessment saved.",
            actor=request.user, assessed_on=form.cleaned_data["assessed_on"], ratings=form.ratings(),
            shared_with_district=form.cleaned_data["shared_with_district"],
        )
    ):  # fmt: skip
        return redirect(url)
    saved_at = landed_at(request, key) if request.method == "GET" else None
    return render(request, "dashboard/self_assessment_form.html", {"form": form, "saved_at": saved_at})


def _visible_self_assessments(request):
    """The coach's own, or (district admin) those shared with them; nobody else's."""
    membership = request.membership
    if membership and membership.is_district_admin:
        return selectors.shared_self_assessments(membership)
    return selectors.self_assessments(request.user)


def _self_assessment(request, assessment_id: int):
    """One of `_visible_self_assessments`; everyone else a 404."""
    assessments = _visible_self_assessments(request)
    assessment = (
        assessments.prefetch_related("ratings__standard").select_related("coach").filter(pk=assessment_id).first()
    )
    if assessment is None:
        raise Http404
    return assessment


@login_required
def self_assessment(request, assessment_id: int):
    """Named as My growth names it: "27 November 2026 (2)" for the second of a day the viewer sees."""
    assessment = selectors.number_of_its_day(
        _visible_self_assessments(request), _self_assessment(request, assessment_id)
    )
    return render(request, "dashboard/self_assessment.html", {"assessment": assessment})


@coach_required
@require_POST
def self_assessment_share(request, assessment_id: int):
    assessment = _self_assessment(request, assessment_id)
    shared = request.POST.get("shared") == "1"
    done = "Shared with your district admin." if shared else "No longer shared with your district admin."
    run_action(
        request, services.self_assessment_share, success=done, actor=request.user, assessment=assessment, shared=shared
    )
    return redirect("dashboard:self_assessment", assessment_id=assessment.pk)


@district_admin_required
def shared_self_assessments(request):
    shared = selectors.numbered(selectors.shared_self_assessments(request.membership))
    page = Paginator(shared, STORIES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dashboard/shared_self_assessments.html", {"page": page})


# --- leaders' summaries ---------------------------------------------------------------------------


@leader_required
def school(request, school_id: int | None = None):
    """A school's dashboard; without an id, the one picked in the switcher or the leader's first school.

    Aggregates only, each suppressed below the district's k teachers (dashboard.selectors.suppress).
    """
    membership = request.membership
    district = membership.district
    schools = scoping.schools(membership)
    if school_id is None and "school" in request.GET:  # without it the picker's form is not valid: not built
        picker = SchoolPickerForm(request.GET, schools=schools)
        if picker.is_valid():
            school_id = picker.cleaned_data["school"].pk
    visible = list(schools)  # read by the picker, when it was built
    school = scoping.summary_school(membership, school_id) if school_id else next(iter(visible), None)
    if school is None:
        return render(request, "dashboard/school.html", {"school": None})
    today = timezone.localdate()
    running = selectors.current_programs(district, today).filter(schools=school)
    filters, programs, period, _, dates_ignored = _filters(request, programs=running)
    k = district.suppression_k
    levels = selectors.Levels(programs)
    months = selectors.school_month_sums(levels, school, period)
    roster = selectors.school_roster(district, school, programs, today=today)
    [figures] = selectors.school_figures(
        district, [school], programs=programs, period=period, levels=levels, months=months,
        participation=roster.participation,
    )  # fmt: skip
    group = figures.group  # the school's teachers: every figure below is over a part of them
    trend = selectors.trend(months, period, k=k, group=group)
    itu, itu_headline = selectors.school_itu_figures(levels, school, k=k, group=group)
    teachers = roster.teachers
    challenges, goals = selectors.school_challenges(district, school, programs, roster=roster, goals_group=group)
    engaged_percent = selectors.percent(figures.enrolled, teachers.rostered)
    if request.GET.get("format") == "csv":
        return _csv(
            request, f"cadence-{school.name}".replace(" ", "-").lower(), f"the dashboard of {school.name}",
            [
                exports.report_section(period, programs, school=school.name, dates_ignored=dates_ignored),
                exports.school_section(figures, rostered=teachers.rostered, engaged=engaged_percent),
                ("Challenges by category", ["Category", "Open", "Closed"],
                 [[r.label, r.open, r.closed] for r in challenges]),
                ("Goals", ["Goal", "Challenges aligned"], [[str(r.goal), r.challenges] for r in goals]),
                exports.itu_section(itu),
                exports.trend_section(trend),
            ],
        )  # fmt: skip
    context = {
        "school": school,
        # shown only to a leader of several schools: a form built for one school would not be written
        "picker": SchoolPickerForm(initial={"school": school}, schools=schools) if len(visible) > 1 else None,
        "several_schools": len(visible) > 1,
        "filters": filters,
        "period": period,
        "dates_ignored": exports.dates_ignored_note(programs) if dates_ignored else "",
        "figures": figures,
        "rostered": teachers.rostered,
        "engaged_percent": engaged_percent,
        "challenges": challenges,
        "goals": goals,
        "programs": programs,
        "trend": trend,
        "trend_chart": _trend_chart("trend", f"Coaching at {school.name}, month by month", trend),
        "itu": itu,
        "itu_headline": itu_headline,
        "itu_chart": _itu_chart("itu", "Average ITU proficiency per indicator, baseline and latest (1–5)", itu),
        "stories": selectors.shared_stories(membership, school=school, programs=programs, period=period)[
            :STORIES_PAGE_SIZE
        ],
        "k": k,
    }
    return render(request, "dashboard/school.html", context)


class DistrictPage(NamedTuple):
    filters: Filters
    schools: object  # the admin's schools (scoping.schools), read by the filters
    context: dict  # what the three pages of the district dashboard show alike


def _district_page(request, tab: str) -> DistrictPage:
    """The filters of the district dashboard's pages (the overview, its schools, its coaches) and what each shows:
    the tabs, the filters and period, and whether its CSV is prepared by a job (`exports.is_large`)."""
    membership = request.membership
    district = membership.district
    running = selectors.current_programs(district, timezone.localdate())
    schools = scoping.schools(membership)
    filters = _filters(request, programs=running, schools=schools)
    context = {
        "tab": tab,
        "filters": filters.form,
        "period": filters.period,
        "dates_ignored": exports.dates_ignored_note(filters.programs) if filters.dates_ignored else "",
        "programs": filters.programs,
        "chosen_school": filters.school,
        "k": district.suppression_k,
        "recommended": selectors.CASELOAD_RECOMMENDED,
        # the CSV is prepared by a job (dashboard.exports.is_large), asked for with a POST
        "csv_job": exports.is_large(*selectors.district_size(district, schools)),
    }
    return DistrictPage(filters, schools, context)


@district_admin_required
def district(request):
    """The district at a glance: the headline ITU figure, the programs, ITU outcomes, the month-by-month trend and
    the newest stories, over the filters' programs, period and school. Its schools and coaches side by side are
    the dashboard's two other pages (district_schools, district_coaches); the CSV holds all three.

    Every figure is suppressed below k teachers: the district's (or the chosen school's) teachers in the programs.
    """
    page = _district_page(request, "overview")
    programs, period, school = page.filters.programs, page.filters.period, page.filters.school
    if request.GET.get("format") == "csv":  # every school and coach, not only a page's
        return _district_csv(request, page.context["csv_job"], programs=programs, period=period, school=school,
                             dates_ignored=page.filters.dates_ignored)  # fmt: skip
    k = page.context["k"]
    levels = selectors.Levels(programs)
    group = selectors.population(programs=programs, school=school)
    itu, itu_headline = selectors.itu_figures(levels.itu_rows(school), k=k, group=group)
    trend = selectors.trend(levels.month_rows(school), period, k=k, group=group)
    where = f"at {school.name}" if school else "across the district"
    context = page.context | {
        "itu": itu,
        "itu_headline": itu_headline,
        "itu_chart": _itu_chart("itu", "Average ITU proficiency per indicator, baseline and latest (1–5)", itu),
        "itu_caption": f"{'School' if school else 'District'} average per indicator (1–5), baseline → latest",
        "trend": trend,
        "trend_chart": _trend_chart("trend", f"Coaching {where}, month by month", trend),
        "stories": selectors.shared_stories(request.membership, school=school, programs=programs, period=period)[:3],
    }
    return render(request, "dashboard/district.html", context)


@district_admin_required
def district_schools(request):
    """The district dashboard's schools side by side, ROWS_PAGE_SIZE a page (the same size and queries whatever
    the district's size): each school's figures and the share of its teachers whose ITU rose, suppressed below k."""
    page = _district_page(request, "schools")
    programs, school = page.filters.programs, page.filters.school
    district = request.membership.district
    if school:
        shown = [school]
    else:  # among the schools the filters read, by name: the programs' (1 query for any page)
        taking_part = set(selectors.program_schools(page.schools, programs).values_list("pk", flat=True))
        shown = [s for s in page.schools if s.pk in taking_part]
    school_page = Paginator(shown, ROWS_PAGE_SIZE).get_page(request.GET.get("schools"))
    levels = selectors.Levels(programs)
    figures = selectors.school_figures(
        district, list(school_page.object_list), programs=programs, period=page.filters.period, levels=levels
    )
    # Each school's figures beside its ITU (itu_by_school keeps the rows' order).
    per_school = list(zip(figures, selectors.itu_by_school(district, figures, levels), strict=True))
    context = page.context | {
        "schools": per_school,
        "school_rows": tables.school_rows(per_school),
        "school_page": school_page,
        "any_school": bool(page.schools),  # read by the filters: no query
    }
    return render(request, "dashboard/district_schools.html", context)


@district_admin_required
def district_coaches(request):
    """The district dashboard's coaches, ROWS_PAGE_SIZE a page: each one's caseload against the recommended size,
    contact, cycles, hours and standards coverage in the programs (at the chosen school), suppressed below k."""
    page = _district_page(request, "coaches")
    programs, school = page.filters.programs, page.filters.school
    district = request.membership.district
    coaches = selectors.district_coaches(district, programs=programs, school=school)
    coach_page = Paginator(coaches, ROWS_PAGE_SIZE).get_page(request.GET.get("coaches"))
    per_coach = selectors.coach_rows(
        district, list(coach_page.object_list), programs=programs, period=page.filters.period, school=school
    )
    context = page.context | {
        "coaches": per_coach,
        "coach_rows": tables.coach_rows(per_coach, warning=selectors.CASELOAD_WARNING),
        "coach_page": coach_page,
        "warning_size": selectors.CASELOAD_WARNING,
    }
    return render(request, "dashboard/district_coaches.html", context)


def _district_csv(request, large: bool, **filters):
    """The district dashboard's CSV, built in the request; a large one is asked for with a POST (district_csv)."""
    if large:
        messages.info(request, "This CSV is large: use “Prepare CSV” and it is prepared in the background.")
        query = request.GET.copy()
        del query["format"]
        return redirect(f"{reverse('dashboard:district')}?{query.urlencode()}")
    sections = exports.district_sections(request.membership, **filters)
    return _csv(request, f"cadence-{request.membership.district.slug}", "the district dashboard", sections)


@district_admin_required
@require_POST
def district_csv(request):
    """Prepare the district dashboard's CSV (the filters of the query string) in a job; land on its page."""
    district = request.membership.district
    running = selectors.current_programs(district, timezone.localdate())
    _, programs, period, school, dates_ignored = _filters(
        request, programs=running, schools=scoping.schools(request.membership)
    )
    return redirect(
        run_action_once(
            request, services.export_request, actor=request.user, district=district, kind=DataExport.Kind.DISTRICT_CSV,
            filters=exports.filters_json(programs=programs, period=period, school=school, dates_ignored=dates_ignored),
            landing=lambda export: reverse("dashboard:export", args=[export.pk]),
            conflict=reverse("dashboard:district"),
        )
    )  # fmt: skip


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
    recent = list(selectors.exports(district)[:20])
    covering = exports.covering(request.membership, recent)
    rows = [(export, covering.get(export.pk, "")) for export in recent]
    context = {"exports": rows, "search": search, "teachers": teachers}
    return render(request, "dashboard/data.html", context)


@district_admin_required
@require_POST
def export_new(request):
    success = "Export requested. It is being prepared; reload this page in a minute to download it."
    data_url = reverse("dashboard:data")
    return redirect(
        run_action_once(
            request, services.export_request, actor=request.user, district=request.membership.district,
            landing=lambda export: data_url, conflict=data_url, success=success,
        )
    )  # fmt: skip


@district_admin_required
def export_detail(request, export_id: int):
    """An export's page: its progress while it is prepared, then its download link or why it failed.

    htmx polls it for its status block, which is left alone (204) while nothing has changed.
    """
    export = scoping.get_in_district(request.membership, selectors.exports(request.membership.district), pk=export_id)
    if request.htmx and request.GET.get("seen") == f"{export.status}-{export.progress}":
        return HttpResponse(status=204)
    template = "dashboard/_export_status.html" if request.htmx else "dashboard/export.html"
    covering = "" if request.htmx else exports.covering(request.membership, [export]).get(export.pk, "")
    return render(request, template, {"export": export, "covering": covering})


DOWNLOADS = {  # content type and file extension
    DataExport.Kind.ARCHIVE: ("application/zip", "zip"),
    DataExport.Kind.DISTRICT_CSV: ("text/csv; charset=utf-8", "csv"),
}


@district_admin_required
def export_download(request, export_id: int):
    ready = DataExport.objects.filter(status=DataExport.Status.READY).select_related("district")
    export = scoping.get_in_district(request.membership, ready, pk=export_id)
    services.export_downloaded(actor=request.user, export=export)
    content_type, extension = DOWNLOADS[export.kind]
    response = HttpResponse(bytes(export.content), content_type=content_type)
    filename = f"cadence-{export.district.slug}-{timezone.localtime(export.created_at):%Y%m%d-%H%M}.{extension}"
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
