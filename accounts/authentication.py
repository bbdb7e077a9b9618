from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication

from .services import token_is_current


class JWTAuthentication(authentication.JWTAuthentication):
    """`Authorization: JWT <token>` (or `Bearer`), refusing tokens issued before a password change."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if not token_is_current(validated_token, user):
            raise AuthenticationFailed(_("The token was revoked by a password change."), code="token_revoked")
        return user
