from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordMixin

from accounts import scoping
from accounts.models import District, Role, School, User
from config.forms import SingleLineField, SubmissionKeyMixin


class LoginForm(AuthenticationForm):
    username = SingleLineField(widget=forms.TextInput(attrs={"autocapitalize": "none"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "E-mail address"
        self.fields["username"].widget.attrs.update(autocomplete="email", autofocus=True)

    def clean_username(self) -> str:
        # Addresses are stored in lower case; "Dana@Example.org" is the same person.
        return self.cleaned_data["username"].strip().lower()


class ResetForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail address"


class SchoolsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, district: District, **kwargs):
        kwargs.setdefault("help_text", "Coaches and principals work in these schools. District admins need none.")
        super().__init__(queryset=scoping.district_rows(district, School), required=False, **kwargs)


class RoleFilterForm(forms.Form):
    role = forms.ChoiceField(
        label="Role",
        choices=[("", "All roles"), *Role.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class MemberForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, widget=forms.RadioSelect)

    def __init__(self, *args, district: District, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schools"] = SchoolsField(district)


class InviteForm(SubmissionKeyMixin, MemberForm):
    email = forms.EmailField(label="E-mail address", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    full_name = SingleLineField(label="Full name", max_length=200)

    field_order = ["email", "full_name", "role", "schools"]


class AcceptForm(SetPasswordMixin, forms.Form):
    """Your name and a password, checked by the site's password validators."""

    full_name = SingleLineField(
        label="Full name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password1, password2 = SetPasswordMixin.create_password_fields("Choose a password", "Repeat the password")

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        self.validate_passwords()
        # An unsaved user, so the validators can refuse a password too close to the name or address.
        user = User(email=self.email, full_name=self.cleaned_data.get("full_name", ""))
        self.validate_password_for_user(user)
        return super().clean()
