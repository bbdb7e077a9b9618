from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions
from rest_framework import serializers as fields
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import services
from accounts.permissions import visible_users
from openevent.api import PlainJSONView
from openevent.ratelimit import client_ip
from openevent.schema import MESSAGE, plain
from openevent.viewsets import ResourceViewSet

from .serializers import (
    LoginSerializer,
    PasswordResetRequestSerializer,
    PasswordResetSerializer,
    TokenRefreshSerializer,
    TokenSerializer,
    UserSerializer,
    UserUpdateSerializer,
)


class UserViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, ResourceViewSet
):
    """`POST /v1/users` registers; a user reads and renames only themself, unless a site admin."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = UserUpdateSerializer
    error_answers = {
        "post": {429: "Too many registrations from this network address, or for this email, for now."}
    }
    summaries = {
        "create": "Register an account (anyone)",
        "retrieve": "Read a user (the user themself, and site admins)",
        "partial_update": "Change a user's name (the user themself, and site admins)",
        "me": "Read the logged-in user (logged-in users)",
    }

    def get_permissions(self):
        if self.action == "create":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @classmethod
    def visible(cls, user):
        return visible_users(user)

    def get_serializer_class(self):
        return UserSerializer if self.action == "create" else UserUpdateSerializer

    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(self.get_serializer(request.user).data)


class CredentialsView(PlainJSONView):
    """Takes credentials in its body and ignores any `Authorization` header; bad ones are 401."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    body_key = None
    error_answers = {
        "post": {401: "The credentials are wrong or expired.", 429: "Too many failed attempts for now."}
    }

    def get_authenticate_header(self, request):
        return 'JWT realm="api"'


class LoginView(CredentialsView):
    """`POST /v1/auth/login {"email", "password"}` → `{"access_token", "refresh_token"}`."""

    @extend_schema(
        summary="Log in: an access and a refresh token for an email and password (anyone)",
        request=LoginSerializer,
        responses={200: plain("Tokens", access_token=fields.CharField(), refresh_token=fields.CharField())},
    )
    def post(self, request):
        data = self.validated(LoginSerializer)
        try:
            return Response(services.login(**data, ip_address=client_ip(request)))
        except services.InvalidCredentials as error:
            raise exceptions.AuthenticationFailed(str(error)) from error


class TokenRefreshView(CredentialsView):
    """`POST /v1/auth/token/refresh {"refresh_token"}` → `{"access_token"}`."""

    @extend_schema(
        summary="A new access token for a refresh token (anyone)",
        request=TokenRefreshSerializer,
        responses={200: plain("AccessToken", access_token=fields.CharField())},
    )
    def post(self, request):
        data = self.validated(TokenRefreshSerializer)
        try:
            return Response({"access_token": services.refresh_access_token(data["refresh_token"])})
        except services.InvalidCredentials as error:
            raise exceptions.AuthenticationFailed(str(error)) from error


class VerifyEmailView(PlainJSONView):
    """`POST /v1/auth/verify-email {"data": {"token"}}`: the token of the confirmation email."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    error_answers = {"post": {404: "The token is unknown or expired."}}

    @extend_schema(
        summary="Confirm an email address with the emailed token (anyone)",
        request=TokenSerializer,
        responses={
            200: plain(
                "VerifiedEmail",
                id=fields.CharField(),
                email=fields.EmailField(),
                is_verified=fields.BooleanField(),
            )
        },
    )
    def post(self, request):
        user = services.verify_email(token=self.validated(TokenSerializer)["token"])
        return Response({"id": str(user.pk), "email": user.email, "is_verified": user.is_verified})


class ResendVerificationView(PlainJSONView):
    """`POST /v1/auth/verify-email/resend`: mail the logged-in user a new confirmation link."""

    permission_classes = [permissions.IsAuthenticated]
    error_answers = {"post": {429: "Too many confirmation emails asked for in the last hour."}}

    @extend_schema(
        summary="Mail the logged-in user a new confirmation link (logged-in users)",
        request=None,
        responses={200: MESSAGE},
    )
    def post(self, request):
        services.send_verification_email(request.user)
        return Response({"message": f"A confirmation link is on its way to {request.user.email}."})


class PasswordResetView(PlainJSONView):
    """`POST` asks for a reset email; `PATCH` sets the new password with the emailed token."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    error_answers = {
        "post": {429: "Too many reset requests from this address, or for this email, for now."},
        "patch": {404: "The token is unknown, used or expired."},
    }

    @extend_schema(
        summary="Ask for a password reset email (anyone; the answer is the same for any address)",
        request=PasswordResetRequestSerializer,
        responses={200: MESSAGE},
    )
    def post(self, request):
        data = self.validated(PasswordResetRequestSerializer)
        services.request_password_reset(email=data["email"], ip_address=client_ip(request))
        return Response({"message": "If an account has this email address, a reset link is on its way."})

    @extend_schema(
        summary="Set a new password with the emailed reset token (anyone)",
        request=PasswordResetSerializer,
        responses={
            200: plain("ResetUser", id=fields.CharField(), email=fields.EmailField(), name=fields.CharField())
        },
    )
    def patch(self, request):
        data = self.validated(PasswordResetSerializer)
        user = services.reset_password(token=data["token"], password=data["password"])
        return Response({"id": str(user.pk), "email": user.email, "name": user.name})
