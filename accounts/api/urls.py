from django.urls import path

from openevent.resources import registry

from .views import (
    LoginView,
    PasswordResetView,
    ResendVerificationView,
    TokenRefreshView,
    UserViewSet,
    VerifyEmailView,
)

registry.register("users", UserViewSet)

urlpatterns = [
    path("auth/login", LoginView.as_view(), name="login"),
    path("auth/token/refresh", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/reset-password", PasswordResetView.as_view(), name="reset-password"),
    path("auth/verify-email", VerifyEmailView.as_view(), name="verify-email"),
    path("auth/verify-email/resend", ResendVerificationView.as_view(), name="resend-verification"),
]
