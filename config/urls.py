from allauth.socialaccount.providers.google.views import oauth2_callback as google_callback
from allauth.socialaccount.providers.microsoft.views import oauth2_callback as microsoft_callback
from allauth.socialaccount.providers.openid_connect.views import callback as openid_connect_callback
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views
from districts import signin

# The Django admin is the site operator's tool: superusers only, whatever is_staff says.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser

# A database outage met outside a view is a 503 too (config.middleware handles the ones inside).
handler500 = "config.views.server_error"
handler400 = "config.views.bad_request"  # a session save cut short by the outage

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("login/", signin.LoginView.as_view(), name="login"),
    # Single sign-on: the sign-in page's buttons start here; the providers send people back to the
    # callbacks (django-allauth's views; its other account pages are not routed: see config/settings.py).
    path("login/sso/<int:provider_id>/", signin.start, name="sso_start"),
    path("sso/google/login/callback/", signin.callback(google_callback), name="google_callback"),
    path("sso/microsoft/login/callback/", signin.callback(microsoft_callback), name="microsoft_callback"),
    path(
        "sso/oidc/<str:provider_id>/login/callback/",
        signin.callback(openid_connect_callback),
        name="openid_connect_callback",
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
