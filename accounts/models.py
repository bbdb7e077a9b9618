import contextlib
import unicodedata

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


def normalize_email(address: str) -> str:
    """The one spelling of an email address that is stored, compared and unique: the whole
    address in NFKC, then case-folded.

    Look-alikes become one: `Kate@evil.test` written with a Kelvin sign (U+212A), in full-width
    letters, as `KATE@EVIL.TEST` or with invisible characters in its domain is `kate@evil.test`.
    The domain is the one IDNA 2003 gives (`ß` is `ss`, `xn--bcher-kva` is `bücher`), which is
    how Django's mail reaches it anyway.
    """
    folded = unicodedata.normalize("NFKC", address.strip()).casefold()
    local, at, domain = folded.rpartition("@")
    if not at:
        return folded
    # IDNA's nameprep drops what mail drops (soft hyphens, zero-width characters) and makes a
    # punycode and a Unicode spelling one; what is no domain name, the address validator refuses.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("idna")
    return f"{local}@{domain}"


class NormalizedEmailField(models.EmailField):
    """An email address kept in its `normalize_email` spelling: what is saved (by `save()`,
    `create()`, `bulk_create()` or `update()`) and what an exact or `in` lookup matches, so a
    unique constraint on the column holds for the normalized address on every database."""

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_email(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return normalize_email(email or "")

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email=normalize_email(email))


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. The email address is the login, stored normalized and unique."""

    email = NormalizedEmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_verified = models.BooleanField(default=False, help_text="The user has confirmed their email address.")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def name(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class PasswordResetToken(models.Model):
    """One emailed reset link. Only the SHA-256 of the token is stored, never the token.

    A request for an address without an account is stored too, with no user and no mail
    sent: no link opens it, and both answers cost the same work."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="password_reset_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"Password reset for {self.user or 'an unknown address'} at {self.created_at:%Y-%m-%d %H:%M}"
