from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    LoginView,
    PasswordResetView,
    ResendVerificationView,
    TokenRefreshView,
    UserViewSet,
    VerifyEmailView,
)

router = SimpleRouter(trailing_slash=False)
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    path("auth/login", LoginView.as_view(), name="login"),
    path("auth/token/refresh", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/reset-password", PasswordResetView.as_view(), name="reset-password"),
    path("auth/verify-email", VerifyEmailView.as_view(), name="verify-email"),
    path("auth/verify-email/resend", ResendVerificationView.as_view(), name="resend-verification"),
    *router.urls,
]
