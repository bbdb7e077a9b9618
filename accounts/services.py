"""The accounts domain: registration, profile changes, JWT login and the two-step password reset.

Services take the acting user and plain values, never a request. Failures are
`django.core.exceptions.ValidationError` (bad input), `RateLimited`, or the exceptions below.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from openevent import ratelimit
from openevent.errors import NotFound
from openevent.mail import send_templated_mail
from openevent.tokens import hash_token, new_token

from .models import PasswordResetToken, User, normalize_email

# Every JWT carries the user's session auth hash (an HMAC of the password hash), so a
# password change voids every token issued before it, as it voids Django sessions.
AUTH_HASH_CLAIM = "auth_hash"
PASSWORD_MAX_LENGTH = 4096  # hashing is slow by design: no megabyte passwords
VERIFY_EMAIL_SALT = "accounts.verify-email"


class InvalidCredentials(Exception):
    """Wrong email or password, or a refresh token that is expired, malformed or revoked."""


class InvalidResetToken(NotFound):
    """A reset token that is unknown, already used, voided or expired."""


EMAIL_TAKEN = "A user with this email address already exists."


def register_user(
    *, email: str, password: str, ip_address: str, first_name: str = "", last_name: str = ""
) -> User:
    """Open an account and mail it a confirmation link.

    Attempts count against limits per IP address and per (normalized) address, whatever their
    outcome: a success sends mail, and any answer tells whether the address has an account.
    """
    user = User(email=normalize_email(email), first_name=first_name.strip(), last_name=last_name.strip())
    window = settings.REGISTRATION_LIMIT_WINDOW
    ratelimit.hit("register-ip", ip_address, settings.REGISTRATION_LIMIT_PER_IP, window)
    ratelimit.hit("register-email", user.email, settings.REGISTRATION_LIMIT_PER_EMAIL, window)
    errors = {}
    try:  # the normalized address must be a valid one too
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if "email" not in errors and User.objects.filter(email=user.email).exists():
        errors["email"] = [EMAIL_TAKEN]
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # registered concurrently with the same address
        raise ValidationError({"email": [EMAIL_TAKEN]}) from error
    send_verification_email(user)
    return user


class InvalidVerificationToken(NotFound):
    """A verification link that is forged, expired or for another address."""


def _verification_token(user: User) -> str:
    return signing.dumps({"id": user.pk, "email": user.email}, salt=VERIFY_EMAIL_SALT)


def send_verification_email(user: User) -> None:
    """Email a link that proves the user reads their address (a signed token, stored nowhere)."""
    ratelimit.hit("verify-email", str(user.pk), settings.EMAIL_VERIFICATION_LIMIT, 60 * 60)
    context = {
        "user": user,
        "verify_url": f"{settings.FRONTEND_URL}/verify-email?token={_verification_token(user)}",
        "valid_days": settings.EMAIL_VERIFICATION_TIMEOUT // (24 * 60 * 60),
    }
    send_templated_mail(
        "accounts/email/verify_email", context, user.email, "Confirm your OpenEvent email address"
    )


def verify_email(*, token: str) -> User:
    try:
        claim = signing.loads(token, salt=VERIFY_EMAIL_SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT)
    except signing.BadSignature as error:  # SignatureExpired is one too
        raise InvalidVerificationToken("This confirmation link is invalid or expired.") from error
    user = User.objects.filter(pk=claim.get("id"), email=claim.get("email"), is_active=True).first()
    if user is None:
        raise InvalidVerificationToken("This confirmation link is invalid or expired.")
    mark_verified(user)
    return user


def mark_verified(user: User) -> None:
    """The user showed they read their mailbox (a confirmation, reset or invite link)."""
    if not user.is_verified:
        user.is_verified = True
        user.save(update_fields=["is_verified"])


def update_profile(user: User, *, first_name: str, last_name: str) -> User:
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.save(update_fields=["first_name", "last_name"])
    return user


def issue_tokens(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh[AUTH_HASH_CLAIM] = user.get_session_auth_hash()
    return {"access_token": str(refresh.access_token), "refresh_token": str(refresh)}


def check_credentials(*, email: str, password: str, ip_address: str) -> User:
    """The active user with this email and password, for the API's and the pages' logins.

    Failed attempts count per address and per IP; past either limit every attempt is refused
    with RateLimited until the window passes, whatever the password, so guessing stalls. An
    attempt is counted before the password is checked, and uncounted if it succeeds, so that
    concurrent guesses cannot all pass the limit while the first ones are being checked.
    """
    email = normalize_email(email)
    window = settings.LOGIN_LIMIT_WINDOW
    limits = [
        ("login-ip", ip_address, settings.LOGIN_LIMIT_PER_IP),
        ("login-email", email, settings.LOGIN_LIMIT_PER_EMAIL),
    ]
    reserved = []
    try:
        for scope, identity, limit in limits:
            reserved.append(ratelimit.reserve(scope, identity, limit, window))
    except ratelimit.RateLimited:
        for key in reserved:
            ratelimit.release(key)
        raise
    user = authenticate(email=email, password=password)
    if user is None:
        raise InvalidCredentials("No active account has this email and password.")
    for key in reserved:
        ratelimit.release(key)
    return user


def login(*, email: str, password: str, ip_address: str) -> dict[str, str]:
    user = check_credentials(email=email, password=password, ip_address=ip_address)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return issue_tokens(user)


def token_is_current(token, user: User) -> bool:
    """False for a token issued before the user's password last changed."""
    return constant_time_compare(str(token.get(AUTH_HASH_CLAIM, "")), user.get_session_auth_hash())


def refresh_access_token(raw_refresh_token: str) -> str:
    try:
        refresh = RefreshToken(raw_refresh_token)
    except TokenError as error:
        raise InvalidCredentials("The refresh token is invalid or expired.") from error
    user = User.objects.filter(pk=refresh.get("user_id"), is_active=True).first()
    if user is None or not token_is_current(refresh, user):
        raise InvalidCredentials("The refresh token is invalid or expired.")
    return str(refresh.access_token)


def request_password_reset(*, email: str, ip_address: str) -> None:
    """Email a one-time reset link if an active account has this address; the same either way.

    Requests count against limits per IP address and per email address, known or not, so the
    answer never tells which addresses have accounts; nor does its time: an unknown address
    gets a token made, hashed and stored too (with no user: nothing opens it) and its mail
    composed, just not sent.
    """
    email = normalize_email(email)
    window = settings.PASSWORD_RESET_LIMIT_WINDOW
    ratelimit.hit("password-reset-ip", ip_address, settings.PASSWORD_RESET_LIMIT_PER_IP, window)
    ratelimit.hit("password-reset-email", email, settings.PASSWORD_RESET_LIMIT_PER_EMAIL, window)
    user = User.objects.filter(email=email, is_active=True).first()
    raw_token, token_hash = new_token()
    now = timezone.now()
    PasswordResetToken.objects.create(
        user=user,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
    )
    _send_password_reset_email(user or User(email=email), raw_token, deliver=user is not None)


def _send_password_reset_email(user: User, raw_token: str, deliver: bool = True) -> None:
    context = {
        "user": user,
        "reset_url": f"{settings.FRONTEND_URL}/reset-password?token={raw_token}",
        "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    send_templated_mail(
        "accounts/email/password_reset", context, user.email, "Reset your OpenEvent password", deliver
    )


def _usable_reset_tokens():
    return PasswordResetToken.objects.filter(
        used_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True
    )


def reset_token_is_valid(raw_token: str) -> bool:
    return bool(raw_token) and _usable_reset_tokens().filter(token_hash=hash_token(raw_token)).exists()


def reset_password(*, token: str, password: str) -> User:
    """Set a new password with an emailed token, and void every other way into the account:
    the user's other reset tokens, their sessions and every JWT issued before now."""
    with transaction.atomic():
        reset = (
            _usable_reset_tokens()
            .select_for_update()
            .select_related("user")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if reset is None:
            raise InvalidResetToken("This reset link is invalid, used or expired.")
        user = reset.user
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
        user.set_password(password)
        user.save(update_fields=["password"])
        mark_verified(user)  # the reset link reached their mailbox
        PasswordResetToken.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    return user


def purge_reset_tokens() -> int:
    """Delete reset tokens that are used or expired; how many went."""
    stale = PasswordResetToken.objects.filter(Q(used_at__isnull=False) | Q(expires_at__lte=timezone.now()))
    return stale.delete()[0]
