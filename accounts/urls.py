from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from . import views
from .forms import LoginForm

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("account/", views.profile, name="profile"),
    path("forgot-password/", views.forgot_password, name="forgot-password"),
    # The emailed link is {FRONTEND_URL}/reset-password?token=…, without the slash.
    re_path(r"^reset-password/?$", views.reset_password, name="reset-password"),
    re_path(r"^verify-email/?$", views.verify_email, name="verify-email"),
    path("account/verify/", views.resend_verification, name="resend-verification"),
]
