from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import LoginForm

# The Django admin is the site operator's tool: superusers only, whatever is_staff says.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("accounts.urls")),
    path("standards/", include("standards.urls")),
    path("district/rosters/", include("districts.roster.urls")),
    path("district/", include("districts.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("", include("coaching.urls")),
    path("admin/", admin.site.urls),
]
