"""Tokens in emailed links stay out of the logs the documented servers write: `make run`'s
runserver and the production layout's `python -m openevent.server` (daphne)."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from openevent.logfilters import SCRUBBED, ScrubTokens, scrub_tokens

SECRET = "Zk3-secret_TOKEN-value"
LINKS = [f"/reset-password/?token={SECRET}", f"/invites/{SECRET}/", f"/verify-email/?token={SECRET}"]


@pytest.mark.parametrize(
    ("line", "scrubbed"),
    [
        (
            f'"GET /reset-password?token={SECRET} HTTP/1.1" 200',
            f'"GET /reset-password?token={SCRUBBED} HTTP/1.1" 200',
        ),
        (f"HTTP GET /invites/{SECRET}/ 302", f"HTTP GET /invites/{SCRUBBED}/ 302"),
        (f"Not Found: /invites/{SECRET}/", f"Not Found: /invites/{SCRUBBED}/"),
        (
            f"GET /verify-email/?next=/x&token={SECRET}&a=1",
            f"GET /verify-email/?next=/x&token={SCRUBBED}&a=1",
        ),
        ("HTTP GET /invites/answer/ 200", "HTTP GET /invites/answer/ 200"),
        (
            f'"GET /reset-password?%74oken={SECRET} HTTP/1.1"',
            f'"GET /reset-password?%74oken={SCRUBBED} HTTP/1.1"',
        ),
        (f"GET /invites/%{ord(SECRET[0]):X}{SECRET[1:]}/", f"GET /invites/{SCRUBBED}/"),
        ("GET /events/?q=100%25", "GET /events/?q=100%25"),
        (f"GET /?token={SECRET}&x=%0D%0Aforged", f"GET /?token={SCRUBBED}&x=%0D%0Aforged"),
        ("GET /v1/events?filter[state]=published", "GET /v1/events?filter[state]=published"),
    ],
)
def test_scrubbing_replaces_token_values_and_nothing_else(line, scrubbed):
    assert scrub_tokens(line) == scrubbed


def test_the_filter_rewrites_a_records_formatted_message():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "HTTP %(method)s %(path)s", None, None)
    record.args = {"method": "GET", "path": f"/invites/{SECRET}/"}
    assert ScrubTokens().filter(record)
    assert record.getMessage() == f"HTTP GET /invites/{SCRUBBED}/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server_environment(tmp_path_factory):
    database = tmp_path_factory.mktemp("logs") / "db.sqlite3"
    env = os.environ | {"DATABASE_URL": f"sqlite:///{database}", "PYTHONUNBUFFERED": "1"}
    migrate = [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"]
    subprocess.run(migrate, cwd=settings.BASE_DIR, env=env, check=True)
    return env


def status(url: str) -> int:
    """The status of the answer at the end of `url`'s redirects."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - http://127.0.0.1
            return response.status
    except urllib.error.HTTPError as error:  # an unknown token's page is a 404
        return error.code


def serve_and_log(command: list[str], port: int, env: dict) -> str:
    """Everything the server wrote while it answered the emailed links."""
    server = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        assert [status(f"http://127.0.0.1:{port}{link}") for link in LINKS] == [404, 200, 404]
        time.sleep(0.5)  # the access lines are written once the answers went out
    finally:
        server.terminate()
    return server.communicate(timeout=10)[0]


@pytest.mark.parametrize(
    "command",
    [
        ["manage.py", "runserver", "--noreload", "127.0.0.1:{port}"],
        ["-m", "openevent.server", "-b", "127.0.0.1", "-p", "{port}", "openevent.asgi:application"],
    ],
    ids=["runserver", "daphne"],
)
def test_the_servers_log_the_emailed_links_without_their_tokens(server_environment, command):
    port = free_port()
    log = serve_and_log(
        [sys.executable, *(part.format(port=port) for part in command)], port, server_environment
    )
    assert f"/invites/{SCRUBBED}/" in log, log  # the request lines are there ...
    assert f"token={SCRUBBED}" in log, log
    assert SECRET not in log  # ... without the tokens
