import collections
import contextlib
import hashlib
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.authentication import JWTAuthentication
from accounts.factories import DEFAULT_PASSWORD, UserFactory
from accounts.models import PasswordResetToken, User
from openevent import mail
from openevent.ratelimit import RateLimited
from openevent.tokens import new_token

from .helpers import reset_link_in

NEW_PASSWORD = "a-brand-new-passphrase"

pytestmark = pytest.mark.django_db


def ask_reset(email="ada@example.com", ip="10.0.0.1"):
    services.request_password_reset(email=email, ip_address=ip)


def register(email="grace@example.com", password=DEFAULT_PASSWORD, ip="10.0.0.1", **names):
    return services.register_user(email=email, password=password, ip_address=ip, **names)


def test_register_user_stores_a_hashed_password():
    user = register(email="New@Example.com", first_name=" Grace ")
    assert user.email == "new@example.com"
    assert user.first_name == "Grace"
    assert user.password != DEFAULT_PASSWORD
    assert user.check_password(DEFAULT_PASSWORD)


def test_register_user_refuses_a_taken_address_in_any_case(user):
    with pytest.raises(ValidationError) as error:
        register(email="ADA@example.com")
    assert "email" in error.value.message_dict
    assert User.objects.count() == 1


@pytest.mark.parametrize("weak", ["short", "12345678901", "password123", "ada@example.com"])
def test_register_user_refuses_a_weak_password_and_creates_nobody(weak):
    with pytest.raises(ValidationError) as error:
        register(email="ada@example.com", password=weak)
    assert "password" in error.value.message_dict
    assert not User.objects.exists()


def log_in(password=DEFAULT_PASSWORD, email="ada@example.com", ip="10.0.0.1"):
    return services.login(email=email, password=password, ip_address=ip)


def test_login_issues_tokens_for_the_right_password_only(user):
    tokens = log_in(email="ADA@example.com")
    assert AccessToken(tokens["access_token"])["user_id"] == str(user.pk)
    with pytest.raises(services.InvalidCredentials):
        log_in("wrong")
    user.is_active = False
    user.save()
    with pytest.raises(services.InvalidCredentials):
        log_in()


def test_failed_logins_are_limited_per_address_even_for_the_right_password(user, settings):
    settings.LOGIN_LIMIT_PER_EMAIL = 3
    for attempt in range(3):
        with pytest.raises(services.InvalidCredentials):
            log_in("guess", ip=f"10.1.{attempt}.1")
    with pytest.raises(RateLimited):
        log_in(ip="10.9.9.9")  # the right password, but guessing has stalled this address
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.LOGIN_LIMIT_WINDOW)):
        assert log_in(ip="10.9.9.9")


def test_failed_logins_are_limited_per_ip(user, settings):
    settings.LOGIN_LIMIT_PER_IP = 2
    for number in range(2):
        with pytest.raises(services.InvalidCredentials):
            log_in("guess", email=f"person{number}@example.com", ip="192.0.2.1")
    with pytest.raises(RateLimited):
        log_in(ip="192.0.2.1")
    assert log_in(ip="192.0.2.2")


def test_concurrent_guesses_cannot_pass_the_limit_while_the_first_are_checked(settings, monkeypatch):
    """Requests are served by many threads at once: guesses made together, each checking its
    password for a while, must not all pass a limit that none of them has been counted against."""
    settings.LOGIN_LIMIT_PER_EMAIL = 10
    checking = threading.Barrier(10, timeout=5)  # the first ten check their passwords together

    def slow_authenticate(**credentials):
        with contextlib.suppress(threading.BrokenBarrierError):
            checking.wait()
        return None

    monkeypatch.setattr(services, "authenticate", slow_authenticate)
    outcomes, start = collections.Counter(), threading.Barrier(30)

    def guess(number):
        start.wait()
        try:
            services.check_credentials(
                email="ada@example.com", password=f"guess {number}", ip_address="10.3.9.1"
            )
        except (services.InvalidCredentials, RateLimited) as error:
            outcomes[type(error)] += 1

    threads = [threading.Thread(target=guess, args=(number,)) for number in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == {services.InvalidCredentials: 10, RateLimited: 20}


def test_a_login_refused_by_one_limit_is_not_counted_by_the_other(user, settings):
    settings.LOGIN_LIMIT_PER_EMAIL, settings.LOGIN_LIMIT_PER_IP = 1, 2
    with pytest.raises(services.InvalidCredentials):
        log_in("guess", ip="192.0.2.7")
    for _ in range(3):
        with pytest.raises(RateLimited):
            log_in("guess", ip="192.0.2.7")  # refused for the address: not a guess from this IP
    with pytest.raises(services.InvalidCredentials):
        log_in("guess", email="someone@example.com", ip="192.0.2.7")


def test_successful_logins_are_not_limited(user, settings):
    settings.LOGIN_LIMIT_PER_EMAIL = 1
    for _ in range(3):
        assert log_in()


def test_reset_request_for_a_known_address_mails_a_link_with_text_and_html(user, mailoutbox, settings):
    settings.FRONTEND_URL = "https://events.example.org"
    ask_reset("ADA@example.com")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@example.com"]
    link = reset_link_in(message)
    assert link["url"].startswith("https://events.example.org/reset-password?token=")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert link["url"] in html


def test_reset_token_is_stored_only_as_its_hash(user, mailoutbox):
    ask_reset()
    raw = reset_link_in(mailoutbox[0])["token"]
    assert len(raw) >= 40  # 32 random bytes from `secrets`
    stored = PasswordResetToken.objects.get()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    row_values = PasswordResetToken.objects.values_list().get()
    assert not any(raw in str(value) for value in row_values)


def test_reset_tokens_differ_each_time(user, mailoutbox):
    ask_reset()
    ask_reset()
    assert reset_link_in(mailoutbox[0])["token"] != reset_link_in(mailoutbox[1])["token"]


@pytest.mark.parametrize("email", ["nobody@example.com", "ada@example.com"])
def test_reset_request_for_an_unknown_or_inactive_address_sends_nothing(email, mailoutbox):
    UserFactory(email="ada@example.com", is_active=False)
    ask_reset(email)  # no error either: the caller cannot tell the difference
    assert mailoutbox == []
    assert not PasswordResetToken.objects.filter(user__isnull=False).exists()


def test_reset_requests_are_limited_per_address_known_or_not(user, settings, mailoutbox):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 3
    for email in ["ada@example.com", "nobody@example.com"]:
        for attempt in range(3):
            ask_reset(email, ip=f"10.0.{attempt}.1")
        with pytest.raises(RateLimited):
            ask_reset(email, ip="10.9.9.9")
    assert len(mailoutbox) == 3


@pytest.mark.parametrize(
    "spelling",
    ["SIS@example.com", "\u017fis@example.com", "s\u0131s@example.com", "\uff53is@example.com"],
    ids=["upper", "long-s", "dotless-i", "fullwidth"],
)
def test_look_alike_spellings_cannot_multiply_the_mails_to_one_account(db, settings, mailoutbox, spelling):
    """Some databases match these to sis@example.com; at most the limit of mails goes out anyway."""
    UserFactory(email="sis@example.com")
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 1
    ask_reset("sis@example.com")
    for attempt in range(3):
        with contextlib.suppress(RateLimited):
            ask_reset(spelling, ip=f"10.2.{attempt}.1")
    assert len(mailoutbox) == 1


def test_reset_requests_are_limited_per_ip_across_addresses(db, settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 4
    for number in range(4):
        ask_reset(f"person{number}@example.com", ip="192.0.2.7")
    with pytest.raises(RateLimited) as error:
        ask_reset("someone-else@example.com", ip="192.0.2.7")
    assert 0 < error.value.retry_after <= settings.PASSWORD_RESET_LIMIT_WINDOW
    ask_reset("someone-else@example.com", ip="192.0.2.8")  # another address still may


def test_rate_limit_lifts_when_the_window_passes(user, settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 1
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask_reset()
        with pytest.raises(RateLimited):
            ask_reset()
        traveller.shift(timedelta(seconds=settings.PASSWORD_RESET_LIMIT_WINDOW))
        ask_reset()


def test_reset_password_sets_the_new_password_once(user, mailoutbox):
    ask_reset()
    token = reset_link_in(mailoutbox[0])["token"]
    assert services.reset_token_is_valid(token)
    services.reset_password(token=token, password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not services.reset_token_is_valid(token)
    with pytest.raises(services.InvalidResetToken):
        services.reset_password(token=token, password="yet-another-passphrase")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_completed_reset_voids_the_other_outstanding_tokens(user, mailoutbox):
    ask_reset()
    ask_reset()
    first, second = (reset_link_in(message)["token"] for message in mailoutbox)
    services.reset_password(token=second, password=NEW_PASSWORD)
    with pytest.raises(services.InvalidResetToken):
        services.reset_password(token=first, password="yet-another-passphrase")


def test_reset_token_expires_after_the_timeout(user, mailoutbox, settings):
    settings.PASSWORD_RESET_TIMEOUT = 600
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask_reset()
        token = reset_link_in(mailoutbox[0])["token"]
        traveller.shift(timedelta(seconds=599))
        assert services.reset_token_is_valid(token)
        traveller.shift(timedelta(seconds=2))
        assert not services.reset_token_is_valid(token)
        with pytest.raises(services.InvalidResetToken):
            services.reset_password(token=token, password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 256])
def test_unknown_reset_tokens_are_refused(user, token):
    with pytest.raises(services.InvalidResetToken):
        services.reset_password(token=token, password=NEW_PASSWORD)


def test_a_weak_new_password_changes_nothing_and_keeps_the_token(user, mailoutbox):
    ask_reset()
    token = reset_link_in(mailoutbox[0])["token"]
    with pytest.raises(ValidationError) as error:
        services.reset_password(token=token, password="ada")
    assert "password" in error.value.message_dict
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert services.reset_token_is_valid(token)


def test_a_completed_reset_revokes_every_jwt_issued_before_it(user, mailoutbox):
    old = services.issue_tokens(user)
    ask_reset()
    services.reset_password(token=reset_link_in(mailoutbox[0])["token"], password=NEW_PASSWORD)
    user.refresh_from_db()

    with pytest.raises(services.InvalidCredentials):
        services.refresh_access_token(old["refresh_token"])
    assert not services.token_is_current(AccessToken(old["access_token"]), user)

    new = services.issue_tokens(user)
    assert services.token_is_current(AccessToken(new["access_token"]), user)
    assert services.refresh_access_token(new["refresh_token"])
    authentication = JWTAuthentication()
    assert authentication.get_user(authentication.get_validated_token(new["access_token"])) == user


def test_refresh_refuses_garbage_and_deleted_users(user):
    with pytest.raises(services.InvalidCredentials):
        services.refresh_access_token("not.a.jwt")
    refresh_token = services.issue_tokens(user)["refresh_token"]
    user.delete()
    with pytest.raises(services.InvalidCredentials):
        services.refresh_access_token(refresh_token)


def test_registrations_are_limited_per_address_in_any_spelling(settings, mailoutbox):
    settings.REGISTRATION_LIMIT_PER_EMAIL = 2
    register(email="grace@example.com", ip="10.3.0.1")
    with pytest.raises(ValidationError):  # taken: an answer that tells, so it counts too
        register(email="GRACE@example.com", ip="10.3.0.2")
    with pytest.raises(RateLimited):
        register(email="\uff47race@example.com", ip="10.3.0.3")  # a full-width g
    assert User.objects.count() == 1
    assert len(mailoutbox) == 1


def test_registrations_are_limited_per_ip_until_the_window_passes(settings, mailoutbox):
    settings.REGISTRATION_LIMIT_PER_IP = 2
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        register(email="one@example.com", ip="192.0.2.9")
        register(email="two@example.com", ip="192.0.2.9")
        with pytest.raises(RateLimited) as error:
            register(email="three@example.com", ip="192.0.2.9")
        assert 0 < error.value.retry_after <= settings.REGISTRATION_LIMIT_WINDOW
        assert not User.objects.filter(email="three@example.com").exists()
        register(email="four@example.com", ip="192.0.2.10")  # another IP still may
        traveller.shift(timedelta(seconds=settings.REGISTRATION_LIMIT_WINDOW))
        register(email="three@example.com", ip="192.0.2.9")
    assert len(mailoutbox) == 4


def statement_shapes(queries) -> list[str]:
    """Each SQL statement's verb and the identifiers it names, without the values it carries."""
    return [" ".join(re.findall(r'^\w+|"\w+"', query["sql"])) for query in queries]


def test_a_reset_request_does_the_same_work_for_known_and_unknown_addresses(
    user, mailoutbox, monkeypatch, settings
):
    """Not a timing test: both answers run the same statements and make, hash and store a token,
    so they take the same time (`bench/reset_timing.py` measures it); only the mail differs."""
    made = []

    def recording_new_token():
        made.append(new_token())
        return made[-1]

    monkeypatch.setattr(services, "new_token", recording_new_token)
    rendered = []

    def recording_render(template, context):
        rendered.append(template)
        return render_to_string(template, context)

    monkeypatch.setattr(mail, "render_to_string", recording_render)
    work = {}
    for email in ["ada@example.com", "nobody@example.com"]:
        with CaptureQueriesContext(connection) as queries:
            ask_reset(email)
        work[email] = (statement_shapes(queries), rendered[:])
        rendered.clear()
    assert (
        work["ada@example.com"] == work["nobody@example.com"]
    )  # the same statements, the same mail composed
    assert work["ada@example.com"][1] == [
        "accounts/email/password_reset.txt",
        "accounts/email/password_reset.html",
    ]
    assert [shape.split()[0] for shape in work["nobody@example.com"][0]] == ["SELECT", "INSERT"]
    stored = PasswordResetToken.objects.order_by("pk")
    assert [(row.user, row.token_hash) for row in stored] == [(user, made[0][1]), (None, made[1][1])]
    assert len(mailoutbox) == 1

    unknowns_token = made[1][0]  # no link opens the unknown address's row
    assert not services.reset_token_is_valid(unknowns_token)
    with pytest.raises(services.InvalidResetToken):
        services.reset_password(token=unknowns_token, password=NEW_PASSWORD)
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)):
        assert services.purge_reset_tokens() == 2
