from django.urls import path

from accounts import roster_views

app_name = "rosters"

urlpatterns = [
    path("", roster_views.index, name="index"),
    path("<int:import_id>/", roster_views.detail, name="detail"),
    path("<int:import_id>/progress/", roster_views.progress, name="progress"),
]
