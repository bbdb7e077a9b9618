from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from openevent.ratelimit import RateLimited, client_ip

from . import services
from .forms import ForgotPasswordForm, ProfileForm, RegisterForm, ResetPasswordForm

GET_OR_POST = require_http_methods(["GET", "HEAD", "POST"])


class LogoutView(auth_views.LogoutView):
    """Logging out is a POST (the button in the header); a GET asks to confirm it."""

    http_method_names = ["get", "head", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "accounts/logout.html")


@GET_OR_POST
@sensitive_post_parameters("password1", "password2")
def register(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.register_user(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                ip_address=client_ip(request),
            )
        except ValidationError as error:
            form.add_service_error(error)
        except RateLimited as error:
            form.add_error(
                None, f"Too many registrations. Please try again in {error.retry_after // 60 + 1} minutes."
            )
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to OpenEvent! Your account is ready.")
            return redirect("accounts:profile")
    return render(request, "accounts/register.html", {"form": form})


@GET_OR_POST
@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.update_profile(
            request.user, first_name=form.cleaned_data["first_name"], last_name=form.cleaned_data["last_name"]
        )
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@require_http_methods(["GET", "HEAD"])
def verify_email(request):
    """The link in the confirmation email."""
    try:
        services.verify_email(token=request.GET.get("token", ""))
    except services.InvalidVerificationToken:
        return render(request, "accounts/verify_email_invalid.html", status=404)
    messages.success(request, "Thank you: your email address is confirmed.")
    return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")


@require_POST
@login_required
def resend_verification(request):
    try:
        services.send_verification_email(request.user)
    except RateLimited:
        messages.error(
            request, "We sent several links already. Please check your mailbox, or try again later."
        )
    else:
        messages.success(request, f"A new confirmation link is on its way to {request.user.email}.")
    return redirect("accounts:profile")


@GET_OR_POST
def forgot_password(request):
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_password_reset(email=form.cleaned_data["email"], ip_address=client_ip(request))
        except RateLimited as error:
            form.add_error(
                None, f"Too many reset requests. Please try again in {error.retry_after // 60 + 1} minutes."
            )
        else:
            return render(
                request, "accounts/forgot_password_sent.html", {"email": form.cleaned_data["email"]}
            )
    return render(request, "accounts/forgot_password.html", {"form": form})


# The emailed reset link's token, kept in the session so that no URL after the first carries it.
RESET_SESSION_KEY = "reset_password"


@GET_OR_POST
@sensitive_post_parameters("password1", "password2")
def reset_password(request):
    """The emailed link: its token moves into the session, and the browser on to this page without
    it (as Django's PasswordResetConfirmView does), so it stays out of later requests and logs."""
    if "token" in request.GET:
        request.session[RESET_SESSION_KEY] = request.GET["token"]
        return redirect("accounts:reset-password")
    token = request.session.get(RESET_SESSION_KEY, "")
    if not services.reset_token_is_valid(token):
        return render(request, "accounts/reset_password_invalid.html", status=404)
    form = ResetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(token=token, password=form.cleaned_data["password1"])
        except ValidationError as error:
            form.add_service_error(error)
        except services.InvalidResetToken:  # used or expired while the form was open
            return render(request, "accounts/reset_password_invalid.html", status=404)
        else:
            del request.session[RESET_SESSION_KEY]
            messages.success(request, "Your password is changed. Log in with the new one.")
            return redirect("accounts:login")
    return render(request, "accounts/reset_password.html", {"form": form})
