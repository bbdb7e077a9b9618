from django.contrib.auth.password_validation import password_validators_help_texts
from rest_framework import serializers as drf_serializers
from rest_framework_json_api import serializers

from accounts import services
from accounts.models import User
from accounts.services import PASSWORD_MAX_LENGTH
from openevent.ratelimit import client_ip
from openevent.resources import ResourceSerializer


def new_password_field():
    """A password being set: write-only, as typed, its rules (AUTH_PASSWORD_VALIDATORS) said."""
    return drf_serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        help_text=" ".join(password_validators_help_texts()),
    )


class UserSerializer(ResourceSerializer):
    """A user as its owner (or a site admin) sees it; the password is write-only."""

    password = new_password_field()
    is_admin = serializers.BooleanField(source="is_staff", read_only=True)
    created_at = serializers.DateTimeField(source="date_joined", read_only=True)

    class Meta:
        model = User
        resource_name = "user"
        fields = ["email", "password", "first_name", "last_name", "is_verified", "is_admin", "created_at"]
        read_only_fields = ["is_verified"]
        # Uniqueness (of the normalized address) is the registration service's to check.
        extra_kwargs = {"email": {"validators": []}}

    def create(self, validated_data):
        return services.register_user(**validated_data, ip_address=client_ip(self.context["request"]))


class UserUpdateSerializer(UserSerializer):
    """PATCH changes the name only: the address is the login, the password has its reset flow."""

    class Meta(UserSerializer.Meta):
        fields = ["email", "first_name", "last_name", "is_verified", "is_admin", "created_at"]
        read_only_fields = ["email", "is_verified"]

    def update(self, instance, validated_data):
        return services.update_profile(
            instance,
            first_name=validated_data.get("first_name", instance.first_name),
            last_name=validated_data.get("last_name", instance.last_name),
        )


class LoginSerializer(drf_serializers.Serializer):
    email = drf_serializers.CharField(max_length=254)
    password = drf_serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class TokenRefreshSerializer(drf_serializers.Serializer):
    refresh_token = drf_serializers.CharField(max_length=4096)


class PasswordResetRequestSerializer(drf_serializers.Serializer):
    email = drf_serializers.EmailField()


class PasswordResetSerializer(drf_serializers.Serializer):
    token = drf_serializers.CharField(max_length=256)
    password = new_password_field()


class TokenSerializer(drf_serializers.Serializer):
    token = drf_serializers.CharField(max_length=1024)
