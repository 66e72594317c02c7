"""Single sign-on with django-allauth, on the district's own settings (districts.models.SignInProvider).

- The sign-in page (`LoginView`) shows a button per switched-on provider; pressing one POSTs to `start`,
  which remembers the chosen provider in the session and sends the browser to the provider.
- `DistrictSignIn` is allauth's social account adapter: it builds allauth's app from that provider (so
  each district brings its own client), never lets a sign-in create an account, and lets in only a
  person who already has a membership in the provider's district, active, whose verified e-mail address
  is at one of the district's allowed domains. Everyone else goes back to the sign-in page, told why.
- Password sign-in is Django's LoginView as before (django-axes throttles it); SSO does not go through
  `authenticate()`, so axes neither counts nor blocks it: the provider does the checking of credentials.
"""

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import MultipleObjectsReturned
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST

from accounts.forms import LoginForm
from accounts.models import User
from districts import selectors
from districts.models import SignInProvider

SESSION_KEY = "cadence_sso_provider"

UNKNOWN = (
    "{email} has no Cadence account in {district}. Ask your district admin for an invitation, "
    "or sign in with your password."
)
WRONG_DOMAIN = "{district} signs in only addresses at {domains} with {name}; {email} is not one of them."
DEACTIVATED = "The Cadence account for {email} is deactivated. Ask your district admin to reactivate it."
UNVERIFIED = "{name} did not confirm an e-mail address for this account, so Cadence cannot tell who you are."
NOT_SET_UP = "That sign-in is not switched on. Sign in with your password, or ask your district admin."
FAILED = "Signing in with {name} did not work ({reason}). Try again, or sign in with your password."


class LoginView(auth_views.LoginView):
    """Django's password sign-in page, with a "Sign in with …" button per switched-on provider."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        providers = self.providers
        several = len({provider.district_id for provider in providers}) > 1
        context["sso_providers"] = [
            (provider, f"Sign in with {provider.name}" + (f" ({provider.district})" if several else ""))
            for provider in providers
        ]
        return context

    @cached_property
    def providers(self) -> list[SignInProvider]:
        return selectors.enabled_sign_in_providers()

    def render_to_response(self, context, **kwargs):
        """The buttons' form is answered by a redirect to the provider: the CSP's form-action must allow it."""
        response = super().render_to_response(context, **kwargs)
        origins = sorted({provider.origin for provider in self.providers})
        if origins:
            response._csp_update = {"form-action": origins}
        return response


def _refuse(request: HttpRequest, message: str) -> ImmediateHttpResponse:
    """Back to the sign-in page with the reason."""
    messages.error(request, message)
    return ImmediateHttpResponse(redirect("login"))


def _chosen(request: HttpRequest | None) -> SignInProvider | None:
    provider_id = request.session.get(SESSION_KEY) if request is not None else None
    if provider_id is None:
        return None
    return SignInProvider.objects.filter(pk=provider_id, enabled=True).select_related("district").first()


def social_app(provider: SignInProvider) -> SocialApp:
    """allauth's app (unsaved: Cadence keeps it in SignInProvider) for a district's provider."""
    settings = {}
    if provider.kind == SignInProvider.Kind.OIDC:
        settings = {"server_url": provider.server_url}
    elif provider.kind == SignInProvider.Kind.MICROSOFT:
        settings = {"tenant": provider.tenant}
    kind = "openid_connect" if provider.kind == SignInProvider.Kind.OIDC else provider.kind
    return SocialApp(
        provider=kind,
        provider_id=provider.allauth_provider_id,
        name=provider.name,
        client_id=provider.client_id,
        secret=provider.secret,
        settings=settings,
    )


@require_POST
def start(request: HttpRequest, provider_id: int) -> HttpResponse:
    """The "Sign in with …" button: remember the district's provider, then off to it (a POST, with CSRF)."""
    provider = SignInProvider.objects.filter(pk=provider_id, enabled=True).select_related("district").first()
    if provider is None:
        messages.error(request, NOT_SET_UP)
        return redirect("login")
    request.session[SESSION_KEY] = provider.pk
    allauth_provider = get_adapter(request).get_provider(request, provider.allauth_provider_id)
    next_url = request.POST.get("next") or None
    return allauth_provider.redirect(request, AuthProcess.LOGIN, next_url=next_url)


def callback(view):
    """allauth's callback view, except that a callback without a provider chosen here is refused politely."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if _chosen(request) is None:  # a stale or forged callback, or one after the provider was switched off
            messages.error(request, NOT_SET_UP)
            return redirect("login")
        try:
            return view(request, *args, **kwargs)
        except (SocialApp.DoesNotExist, MultipleObjectsReturned):
            messages.error(request, NOT_SET_UP)
            return redirect("login")

    return wrapped


class DistrictSignIn(DefaultSocialAccountAdapter):
    """allauth's adapter for Cadence: apps from the district's settings, sign-in for existing members only."""

    def list_apps(self, request, provider=None, client_id=None) -> list[SocialApp]:
        """The app of the provider chosen on the sign-in page (none when nothing was chosen)."""
        chosen = _chosen(request)
        apps = [social_app(chosen)] if chosen else []
        if provider:
            apps = [app for app in apps if provider in (app.provider, app.provider_id)]
        if client_id:
            apps = [app for app in apps if app.client_id == client_id]
        return apps

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False  # accounts come from invitations and rosters, never from a sign-in

    def pre_social_login(self, request, sociallogin) -> None:
        """Let in an active member of the provider's district at an allowed domain; refuse anyone else.

        Links the provider's account to the Cadence user with the same verified e-mail address the first
        time; afterwards allauth finds the link, and every check here still runs on every sign-in.
        Raises ImmediateHttpResponse (the sign-in page with the reason) to refuse.
        """
        provider = _chosen(request)
        if provider is None:
            raise _refuse(request, NOT_SET_UP)
        email = self._verified_email(sociallogin, provider)
        if not email:
            raise _refuse(request, UNVERIFIED.format(name=provider.name))
        district = provider.district
        if not provider.domain_allowed(email):
            domains = ", ".join(provider.allowed_domains)
            raise _refuse(
                request, WRONG_DOMAIN.format(district=district, domains=domains, name=provider.name, email=email)
            )
        user = User.objects.filter(email__iexact=email, membership__district=district).first()
        if sociallogin.is_existing and sociallogin.user.pk != getattr(user, "pk", None):
            user = None  # linked to an account that is no longer this district's member with that address
        if user is None:
            raise _refuse(request, UNKNOWN.format(email=email, district=district))
        if not user.is_active:
            raise _refuse(request, DEACTIVATED.format(email=email))
        if not sociallogin.is_existing:
            sociallogin.connect(request, user)

    def _verified_email(self, sociallogin, provider: SignInProvider) -> str:
        """The address the provider vouches for, lower case; "" when it vouches for none.

        Google and OpenID Connect say so per address (email_verified). Microsoft Graph does not: the
        address of an account in the district's own tenant (required by SignInProvider.clean) is the
        tenant's to give, so it counts as verified.
        """
        verified = [address.email for address in sociallogin.email_addresses if address.verified]
        if not verified and provider.kind == SignInProvider.Kind.MICROSOFT:
            verified = [sociallogin.user.email] if sociallogin.user.email else []
        return verified[0].strip().lower() if verified else ""

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """A failed or cancelled sign-in at the provider: back to the sign-in page, saying so."""
        chosen = _chosen(request)
        name = chosen.name if chosen else getattr(provider, "name", "single sign-on")
        reason = "cancelled" if error == "cancelled" else "the provider's answer was not accepted"
        raise _refuse(request, FAILED.format(name=name, reason=reason))
