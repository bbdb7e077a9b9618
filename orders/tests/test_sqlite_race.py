"""Twenty buyers for the last three seats on the default SQLite settings (a file database, as
`make run` has it), served by the production layout's two daphne processes: SQLite takes one
writer at a time, and every checkout must get an answer, none a 5xx, and nobody a seat too many."""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the default settings' run: SQLite")

ROOT = Path(__file__).resolve().parents[2]
BUYERS, SEATS = 20, 3
SEED = f"""
import json
from datetime import timedelta
from django.utils import timezone
from accounts.factories import UserFactory
from accounts.services import issue_tokens
from events.factories import EventFactory
from orders.factories import AttendeeFactory, TicketFactory
event = EventFactory(owner=UserFactory(), can_pay_onsite=True)
ticket = TicketFactory(event=event, paid=True, quantity={SEATS})
checkouts = []
for _ in range({BUYERS}):
    attendee = AttendeeFactory(ticket=ticket, creator=UserFactory())
    checkouts.append([issue_tokens(attendee.creator)["access_token"], event.pk, attendee.pk])
print(json.dumps({{"ticket": ticket.pk, "checkouts": checkouts}}))
"""
COUNT = """
import sys
from orders.models import Attendee, Order
print(Attendee.objects.exclude(order=None).count(), Order.objects.count())
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(environment, *arguments) -> str:
    command = [sys.executable, "manage.py", *arguments]
    return subprocess.run(
        command, cwd=ROOT, env=environment, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def site(tmp_path):
    """Two daphne processes on one SQLite file, and the environment that points at it."""
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "DEBUG": "false",
        "SECRET_KEY": "a-secret-key-for-the-sqlite-race-test-only-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    manage(environment, "migrate", "--no-input", "--verbosity", "0")
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openevent.server",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "openevent.asgi:application",
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port in ports:
            for _ in range(200):
                try:
                    http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/v1")
                    break
                except OSError:
                    time.sleep(0.1)
        yield environment, ports
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def test_the_last_seats_on_sqlite_go_to_three_buyers_and_nobody_gets_a_5xx(site):
    environment, ports = site
    seeded = json.loads(manage(environment, "shell", "--verbosity", "0", "-c", SEED))
    barrier = threading.Barrier(BUYERS)

    def checkout(number: int, token: str, event: int, attendee: int) -> int:
        body = {
            "data": {
                "type": "order",
                "attributes": {"payment-mode": "onsite"},
                "relationships": {
                    "event": {"data": {"type": "event", "id": str(event)}},
                    "attendees": {"data": [{"type": "attendee", "id": str(attendee)}]},
                },
            }
        }
        connection = http.client.HTTPConnection("127.0.0.1", ports[number % 2], timeout=60)
        barrier.wait()
        connection.request(
            "POST",
            "/v1/orders",
            json.dumps(body),
            {"Authorization": f"JWT {token}", "Content-Type": "application/vnd.api+json"},
        )
        return connection.getresponse().status

    with ThreadPoolExecutor(BUYERS) as pool:
        statuses = list(pool.map(checkout, range(BUYERS), *zip(*seeded["checkouts"], strict=True)))
    assert sorted(statuses) == [201] * SEATS + [409] * (BUYERS - SEATS)
    assert manage(environment, "shell", "--verbosity", "0", "-c", COUNT).split() == [str(SEATS), str(SEATS)]
