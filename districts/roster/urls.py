from django.urls import path

from districts.roster import views

app_name = "rosters"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:import_id>/", views.detail, name="detail"),
    path("<int:import_id>/progress/", views.progress, name="progress"),
    path("<int:import_id>/retry/", views.retry, name="retry"),
]
