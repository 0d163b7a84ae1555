"""Dashboard forms. They check shape; the services decide (their errors arrive via synthos.dashboard)."""

from django import forms

from accounts import services
from accounts.models import User
from synthos.dashboard import form_add_application_error
from synthos.errors import ApplicationError, PermissionDeniedError


class SignupForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Full name")
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; not a common or all-numeric password.",
    )


class VerifyForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="6-digit code",
        error_messages={"invalid": "Enter the 6-digit code from the email."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6, "autofocus": True}
        ),
    )


class ResendCodeForm(forms.Form):
    email = forms.EmailField()


class LoginForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user: User | None = None
        self.needs_verification = False

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.user = services.user_authenticate(email=cleaned["email"], password=cleaned["password"])
        except PermissionDeniedError:
            # The template adds the link to the verify page next to this message.
            self.needs_verification = True
            raise forms.ValidationError("Your email is not verified yet.", code="unverified") from None
        except ApplicationError as error:
            form_add_application_error(self, error)
        return cleaned


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Full name")
    company = forms.CharField(max_length=150, required=False)


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password_again = forms.CharField(
        strip=False, label="New password, again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password") and cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", "The two new passwords differ.")
        return cleaned


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. CI pipeline", "autocomplete": "off"})
    )
