from django.urls import path

from coaching import views

app_name = "coaching"

urlpatterns = [
    path("", views.home, name="home"),
    path("caseload/", views.caseload, name="caseload"),
    path("teachers/<int:teacher_id>/", views.teacher, name="teacher"),
    path("teachers/<int:teacher_id>/challenges/new/", views.challenge_new, name="challenge_new"),
    path("teachers/<int:teacher_id>/itu/", views.itu_rate, name="itu_rate"),
    path("challenges/<int:challenge_id>/identify/", views.identify, name="identify"),
    path("challenges/<int:challenge_id>/brainstorm/", views.brainstorm, name="brainstorm"),
    path("challenges/<int:challenge_id>/investigate/", views.investigate, name="investigate"),
    path("challenges/<int:challenge_id>/strategies/new/", views.strategy_new, name="strategy_new"),
    path("challenges/<int:challenge_id>/investigate/done/", views.investigation_done, name="investigation_done"),
    path("challenges/<int:challenge_id>/select/", views.select, name="select"),
    path("challenges/<int:challenge_id>/select/back/", views.back_to_investigate, name="back_to_investigate"),
    path("challenges/<int:challenge_id>/steps/<str:kind>/new/", views.step_new, name="step_new"),
    path("challenges/<int:challenge_id>/cycles/new/", views.cycle_new, name="cycle_new"),
    path("challenges/<int:challenge_id>/reflect/", views.reflect, name="reflect"),
    path("steps/<int:step_id>/", views.step_edit, name="step_edit"),
    path("steps/<int:step_id>/cancel/", views.step_cancel, name="step_cancel"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/new-link/", views.calendar_renew, name="calendar_renew"),
    path("calendar/turn-off/", views.calendar_revoke, name="calendar_revoke"),
    # A secret URL that calendars poll without signing in (config/log_filters.py keeps it out of logs).
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("activities/", views.activities, name="activities"),
    path("activities/<str:kind>/new/", views.activity_new, name="activity_new"),
    path("stories/", views.stories, name="stories"),
    path("stories/new/", views.story_new, name="story_new"),
    path("stories/<int:story_id>/", views.story_edit, name="story_edit"),
]
