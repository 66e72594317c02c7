from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("coach/", views.coach, name="coach"),
    path("growth/", views.growth, name="growth"),
    path("growth/new/", views.self_assessment_new, name="self_assessment_new"),
    path("growth/<int:assessment_id>/", views.self_assessment, name="self_assessment"),
    path("growth/<int:assessment_id>/share/", views.self_assessment_share, name="self_assessment_share"),
    path("growth/shared/", views.shared_self_assessments, name="shared_self_assessments"),
    # Without an id: the school picked in the switcher, or the leader's first school (their landing page).
    path("school/", views.school, name="school"),
    path("school/<int:school_id>/", views.school, name="school"),
    path("district/", views.district, name="district"),
    path("district/schools/", views.district_schools, name="district_schools"),
    path("district/coaches/", views.district_coaches, name="district_coaches"),
    path("district/stories/", views.district_stories, name="district_stories"),
    path("district/csv/", views.district_csv, name="district_csv"),  # a large CSV, prepared by a job
    path("data/", views.data, name="data"),
    path("data/exports/", views.export_new, name="export_new"),
    path("data/exports/<int:export_id>/", views.export_detail, name="export"),
    path("data/exports/<int:export_id>/download/", views.export_download, name="export_download"),
    path("data/teachers/<int:teacher_id>/erase/", views.erase, name="erase"),
    path("audit/", views.audit, name="audit"),
    path("digest/", views.digest, name="digest"),
]
