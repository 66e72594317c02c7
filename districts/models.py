"""The district's own settings that no lower app needs: how its people may sign in."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from accounts.models import District, Reach

# Microsoft tenants that are not one organisation: any work account, or personal accounts, could sign in.
SHARED_TENANTS = frozenset({"common", "organizations", "consumers"})


class SignInProvider(models.Model):
    """Single sign-on for a district: one provider, the district's app at that provider, allowed domains.

    The secret is stored (allauth needs it to redeem a sign-in code) but never shown back in full:
    pages show `secret_hint`. Only people with a membership in the district, at an allowed domain,
    are signed in (districts.signin).
    """

    reach = Reach(district="district")

    class Kind(models.TextChoices):
        GOOGLE = "google", "Google"
        MICROSOFT = "microsoft", "Microsoft"
        OIDC = "oidc", "OpenID Connect (Clever, ClassLink, …)"

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="sign_in_providers")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(default=False)
    # The button's words for an OpenID Connect provider ("Clever"); Google and Microsoft name themselves.
    label = models.CharField(max_length=60, blank=True)
    # OpenID Connect: the issuer, whose /.well-known/openid-configuration says everything else.
    server_url = models.CharField("issuer URL", max_length=300, blank=True)
    # Microsoft: the district's Entra ID (Azure AD) tenant, so only its own accounts can sign in.
    tenant = models.CharField("tenant ID", max_length=100, blank=True)
    client_id = models.CharField("client ID", max_length=300)
    secret = models.CharField("client secret", max_length=500)
    allowed_domains = models.JSONField(default=list, blank=True)  # ["riverside.k12.ca.us", ...], lower case
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["district", "kind"]
        constraints = [models.UniqueConstraint(fields=["district", "kind"], name="one_sign_in_provider_of_a_kind")]

    def __str__(self) -> str:
        return f"{self.name} sign-in for {self.district}"

    @property
    def name(self) -> str:
        """What the sign-in button says after "Sign in with"."""
        if self.kind == self.Kind.OIDC:
            return self.label or "OpenID Connect"
        return self.get_kind_display()

    @property
    def secret_hint(self) -> str:
        """The secret as pages may show it: its last four characters at most."""
        if not self.secret:
            return ""
        return "••••" + (self.secret[-4:] if len(self.secret) >= 12 else "")

    @property
    def allauth_provider_id(self) -> str:
        return self.provider_id_for(self.kind, self.district)

    @classmethod
    def provider_id_for(cls, kind: str, district: District) -> str:
        """The id allauth routes a provider by: one per district for OpenID Connect, the provider's otherwise."""
        return f"oidc-{district.slug}" if kind == cls.Kind.OIDC else kind

    @property
    def origin(self) -> str:
        """Where the sign-in page's button sends the browser (the page's CSP form-action must allow it)."""
        if self.kind == self.Kind.GOOGLE:
            return "https://accounts.google.com"
        if self.kind == self.Kind.MICROSOFT:
            return "https://login.microsoftonline.com"
        parts = urlsplit(self.server_url)
        return f"{parts.scheme}://{parts.netloc}"

    def domain_allowed(self, email: str) -> bool:
        return email.rpartition("@")[2].lower() in self.allowed_domains

    def clean(self) -> None:
        errors = {}
        if self.kind == self.Kind.OIDC:
            try:
                URLValidator(schemes=["https", "http"])(self.server_url)
            except ValidationError:
                errors["server_url"] = "Give the provider's issuer URL, e.g. https://clever.com."
        if self.kind == self.Kind.MICROSOFT and (not self.tenant or self.tenant.lower() in SHARED_TENANTS):
            errors["tenant"] = (
                "Give your district's tenant ID (Microsoft Entra admin center → Overview), "
                "not common or organizations: otherwise any Microsoft account could try to sign in."
            )
        if self.enabled and not self.allowed_domains:
            errors["allowed_domains"] = "List at least one e-mail domain whose people may sign in this way."
        if errors:
            raise ValidationError(errors)
