from django.urls import path

from districts import views

app_name = "district"

urlpatterns = [
    path("programs/", views.programs, name="programs"),
    path("programs/new/", views.program_new, name="program_new"),
    path("programs/<int:program_id>/", views.program_edit, name="program_edit"),
    path("goals/", views.goals, name="goals"),
    path("goals/<int:goal_id>/", views.goal_edit, name="goal_edit"),
    path("goals/<int:goal_id>/remove/", views.goal_remove, name="goal_remove"),
    path("caseloads/", views.caseloads, name="caseloads"),
    path("programs/<int:program_id>/coaches/<int:coach_id>/", views.coach_caseload, name="coach_caseload"),
    path("enrollments/<int:enrollment_id>/move/", views.enrollment_move, name="enrollment_move"),
    path("enrollments/<int:enrollment_id>/end/", views.enrollment_end, name="enrollment_end"),
    path("library/", views.library, name="library"),
    path("library/strategies/new/", views.strategy_new, name="strategy_new"),
    path("library/strategies/<int:strategy_id>/", views.strategy_edit, name="strategy_edit"),
    path("library/strategies/<int:strategy_id>/retire/", views.strategy_retire, name="strategy_retire"),
    path("library/strategies/<int:strategy_id>/restore/", views.strategy_restore, name="strategy_restore"),
    path("library/tools/new/", views.tool_new, name="tool_new"),
    path("library/tools/<int:tool_id>/", views.tool_edit, name="tool_edit"),
    path("library/tools/<int:tool_id>/retire/", views.tool_retire, name="tool_retire"),
    path("library/tools/<int:tool_id>/restore/", views.tool_restore, name="tool_restore"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/<str:kind>/", views.sign_in_edit, name="sign_in_edit"),
]
