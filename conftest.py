"""Fixtures shared by every app's tests."""

import json
import sys
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _isolated(settings):
    """A fast password hasher, mail sent at once, and a cache (rate limits) no other test touched."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_SEND_IN_BACKGROUND = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _connections_closed_after_each_request():
    """Threads that outlive a test (the ASGI handler's, channels') would keep their connections to
    the test database past the tests (CONN_MAX_AGE), and PostgreSQL refuses to drop a database
    with sessions: here each request closes its connection. The dict is the connections' own."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


class JSONClient(APIClient):
    """An API client that sends JSON:API documents by default, or plain JSON with `plain=True`."""

    def _send(self, method, path, data, plain, **extra):
        content_type = "application/json" if plain else "application/vnd.api+json"
        body = data if isinstance(data, str | bytes) or data is None else json.dumps(data)
        return getattr(super(), method)(path, body, content_type=content_type, **extra)

    def post(self, path, data=None, plain=False, **extra):
        return self._send("post", path, data, plain, **extra)

    def patch(self, path, data=None, plain=False, **extra):
        return self._send("patch", path, data, plain, **extra)

    def as_user(self, user) -> "JSONClient":
        """Authenticate every request with a fresh JWT of `user`, as an API consumer would."""
        from accounts.services import issue_tokens

        self.credentials(HTTP_AUTHORIZATION=f"JWT {issue_tokens(user)['access_token']}")
        return self


class _SentForm(HTMLParser):
    """What a browser sends for the page's first <form method="post"> that posts to the page
    itself: its inputs' values (of checked boxes only), each select's chosen option (or its
    first) and each textarea's text, its line breaks as CRLF."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data, self.state = [], "before"  # before, in or after the form
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.state == "before" and attrs.get("method", "").lower() == "post":
            self.state = "in" if not attrs.get("action") else "before"  # the one posting to its page
        if self.state != "in" or "disabled" in attrs:
            return
        kind, name = attrs.get("type", "text"), attrs.get("name")
        if tag == "input" and name and kind not in ("submit", "button", "file", "image"):
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self.data.append([name, attrs.get("value", "on" if kind in ("checkbox", "radio") else "")])
        elif tag == "select" and name:
            self.select = {"name": name, "first": None, "chosen": []}
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            self.select["first"] = value if self.select["first"] is None else self.select["first"]
            if "selected" in attrs:
                self.select["chosen"].append(value)
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.state == "in":
            self.state = "after"
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"] or [self.select["first"]] * (self.select["first"] is not None)
            self.data += [[self.select["name"], value] for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            text = text.removeprefix("\n")  # the newline after <textarea> is not its text
            self.data.append([name, text.replace("\r\n", "\n").replace("\n", "\r\n")])  # sent as CRLF
            self.textarea = None


def form_as_sent(page: str) -> dict:
    """The page's post form as a browser sends it unchanged: `{name: value or [values]}`."""
    parser = _SentForm()
    parser.feed(page)
    sent = {}
    for name, value in parser.data:
        sent.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in sent.items()}


@pytest.fixture
def api():
    return JSONClient()


@pytest.fixture
def client_for():
    """A client of its own for each user (None: an anonymous one): `client_for(user).get(...)`."""

    def client(user) -> JSONClient:
        return JSONClient().as_user(user) if user is not None else JSONClient()

    return client


@pytest.fixture
def user(db):
    from accounts.factories import UserFactory

    return UserFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def site_admin(db):
    from accounts.factories import UserFactory

    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_saves_after(monkeypatch):
    """`admin_saves_after(Model, write)`: the model's admin runs `write`, as another request
    would, once it has checked a posted form and before it saves it."""
    from django.contrib import admin

    def meanwhile(model, write):
        model_admin = admin.site._registry[model]
        save_form, pending = model_admin.save_form, [write]

        def checked_then_written(request, form, change):
            while pending:
                pending.pop()()
            return save_form(request, form, change)

        monkeypatch.setattr(model_admin, "save_form", checked_then_written)

    return meanwhile


def pytest_terminal_summary(terminalreporter):
    """The contract test's figures (openevent/tests/test_contract.py), when it ran."""
    contract = sys.modules.get("openevent.tests.test_contract")
    if contract is not None and contract.cases_sent:
        terminalreporter.write_line(contract.coverage_line())
