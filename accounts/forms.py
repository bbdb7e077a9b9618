from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from openevent.ratelimit import RateLimited, client_ip

from . import services
from .models import User
from .services import PASSWORD_MAX_LENGTH


class LoginForm(AuthenticationForm):
    """Django's login form, checked by the accounts service with its failed-login limits."""

    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email and password:
            try:
                self.user_cache = services.check_credentials(
                    email=email, password=password, ip_address=client_ip(self.request)
                )
            except RateLimited as error:
                raise ValidationError(
                    f"Too many failed logins. Try again in {error.retry_after // 60 + 1} minutes."
                ) from error
            except services.InvalidCredentials as error:
                raise self.get_invalid_login_error() from error
        return self.cleaned_data


class SetPasswordFieldsMixin(forms.Form):
    """A new password typed twice; the strength rules run in the service."""

    password1 = forms.CharField(
        label="New password",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="New password again",
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self):
        password1, password2 = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise ValidationError("The two passwords differ.")
        return password2

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's errors next to the fields they name (its `password` is `password1` here)."""
        for field, messages in error.message_dict.items():
            self.add_error("password1" if field == "password" else field, messages)


class RegisterForm(SetPasswordFieldsMixin):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)

    field_order = ["email", "first_name", "last_name", "password1", "password2"]


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name"]


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class ResetPasswordForm(SetPasswordFieldsMixin):
    """A new password; the reset link's token waits in the session (accounts.views.reset_password)."""
