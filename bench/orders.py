"""Throughput of checkout: orders created over HTTP, served as in production.

    .venv/bin/python bench/orders.py [--database sqlite|postgresql] [--processes 2] [--requests 400]

Migrates a throwaway database (a file-backed SQLite one, or with `--database postgresql` a new
database on BENCH_POSTGRES_URL, dropped afterwards) and seeds one published event that takes
payment at the venue, with a ticket of plenty of seats, a ticket of LAST_SEATS seats and a
discount code, and buyers each with attendees made beforehand (a buyer holds at most
ORDER_PENDING_LIMIT pending orders, so there are enough of them). Starts `--processes` daphne
servers (`python -m openevent.server`, as the README's production layout) and, after a few
untimed requests, measures:

- `POST /v1/orders` of one attendee, paid at the venue (every rule of the contract runs), one at a
  time, then from 8 client threads at once, then from 8 threads with the discount code;
- 8 threads racing for the LAST_SEATS seats, twice as many orders as seats: 201 or 409 each;
- the organizer's `GET /v1/events/{id}/orders` of 50 rows.

Every answer must be the one expected (no 5xx), and afterwards no ticket may hold more attendees
in orders that hold their seats than it has seats. Prints a table and writes it as JSON to
bench/results/orders-<database>.json.
"""

import argparse
import http.client
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import serving

RESULTS = serving.ROOT / "bench" / "results"
CONCURRENCY = 8
LAST_SEATS = 40
WARMUP = 5


def seed(requests: int) -> dict:
    """The event, its tickets and code, and per scenario a queue of (token, body) to send."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from accounts.services import issue_tokens
    from events import services as event_services
    from events.models import Event
    from orders.models import Attendee, DiscountCode, Ticket

    start = timezone.now() + timedelta(days=30)
    with transaction.atomic():
        owner = User.objects.create_user(email="organizer@bench.test", first_name="Olga", last_name="Owner")
        event = event_services.create_event(
            owner,
            Event(
                name="Bench summit",
                starts_at=start,
                ends_at=start + timedelta(hours=8),
                state="published",
                can_pay_onsite=True,
                payment_currency="EUR",
            ),
        )
        plenty = Ticket.objects.create(
            event=event, name="Standard", ticket_type="paid", price="45.00", quantity=10 * requests + 1000
        )
        last = Ticket.objects.create(
            event=event, name="Last seats", ticket_type="paid", price="45.00", quantity=LAST_SEATS
        )
        code = DiscountCode.objects.create(
            event=event, code="BENCH", value="20", tickets_number=10 * requests
        )
        code.tickets.add(plenty)
        scenarios = {
            "sequential": (plenty, None, requests),
            "8-way": (plenty, None, requests),
            "8-way, discount code": (plenty, code, requests),
            "8-way, last seats": (last, None, 2 * LAST_SEATS),
        }
        queues = {}
        per_buyer = settings.ORDER_PENDING_LIMIT
        for name, (ticket, discount, count) in scenarios.items():
            count += WARMUP * CONCURRENCY if ticket is plenty else 0
            buyers = User.objects.bulk_create(
                User(email=f"buyer-{len(queues)}-{n}@bench.test", first_name="Bea", last_name=f"Buyer {n}")
                for n in range(-(-count // per_buyer))
            )
            attendees = Attendee.objects.bulk_create(
                Attendee(
                    event=event,
                    ticket=ticket,
                    creator=buyers[n // per_buyer],
                    firstname="Bea",
                    lastname=f"Buyer {n}",
                    email=f"bea{n}@bench.test",
                )
                for n in range(count)
            )
            tokens = {buyer.pk: f"JWT {issue_tokens(buyer)['access_token']}" for buyer in buyers}
            queues[name] = [
                (tokens[attendee.creator_id], order_body(event, attendee, discount)) for attendee in attendees
            ]
    from django.db import connection

    if connection.vendor == "postgresql":  # the statistics a database in use has (autovacuum's)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"event": event.pk, "owner": f"JWT {issue_tokens(owner)['access_token']}", "queues": queues}


def order_body(event, attendee, code) -> bytes:
    relationships = {
        "event": {"data": {"type": "event", "id": str(event.pk)}},
        "attendees": {"data": [{"type": "attendee", "id": str(attendee.pk)}]},
    }
    if code is not None:
        relationships["discount-code"] = {"data": {"type": "discount-code", "id": str(code.pk)}}
    document = {
        "data": {"type": "order", "attributes": {"payment-mode": "onsite"}, "relationships": relationships}
    }
    return json.dumps(document).encode()


def send(connection, method: str, path: str, token: str, body: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": token, "Accept": "application/vnd.api+json"}
    if body is not None:
        headers["Content-Type"] = "application/vnd.api+json"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def run(ports: list[int], concurrency: int, calls: list, expected: set[int]) -> dict:
    """Send `calls` ((method, path, token, body), ...) from `concurrency` threads, one keep-alive
    connection each, ports taken in turn; each answer's status must be in `expected`."""
    lock = threading.Lock()
    pending = iter(calls)
    latencies, statuses = [], {}

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", ports[number % len(ports)], timeout=60)
        while True:
            with lock:
                call = next(pending, None)
            if call is None:
                break
            started = time.perf_counter()
            status, body = send(connection, *call)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
            if status not in expected:
                raise RuntimeError(f"{call[0]} {call[1]}: {status} {body[:300]!r}")
        connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(client, number) for number in range(concurrency)]:
            future.result()
    seconds = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=20)
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(quantiles[18], 1),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
    }


def oversold() -> int:
    """Seats held past any ticket's quantity (0 when nothing was oversold)."""
    from django.db.models import Count

    from orders.models import Ticket, holding_attendees

    tickets = Ticket.objects.annotate(held=Count("attendees", filter=holding_attendees("attendees__")))
    return sum(max(ticket.held - ticket.quantity, 0) for ticket in tickets)


def measure(data: dict, ports: list[int], list_requests: int) -> dict:
    results = {}
    orders = "/v1/orders"
    for name, queue in data["queues"].items():
        calls = [("POST", orders, token, body) for token, body in queue]
        concurrency = 1 if name == "sequential" else CONCURRENCY
        if name != "8-way, last seats":
            run(ports, CONCURRENCY, calls[: WARMUP * CONCURRENCY], {201})  # untimed
            calls = calls[WARMUP * CONCURRENCY :]
        expected = {201, 409} if name == "8-way, last seats" else {201}
        results[f"POST /v1/orders, {name}"] = run(ports, concurrency, calls, expected)
    path = f"/v1/events/{data['event']}/orders?page[size]=50"
    listing = [("GET", path, data["owner"], None)] * list_requests
    run(ports, CONCURRENCY, listing[: WARMUP * CONCURRENCY], {200})
    results["GET 50-row order list, 8-way"] = run(ports, CONCURRENCY, listing, {200})
    return results


def postgres_database(base_url: str) -> tuple[str, callable]:
    """A new database on the server of `base_url`, and how to drop it."""
    import psycopg

    name = f"openevent_bench_{os.getpid()}"
    admin = psycopg.connect(base_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base_url)

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--processes", type=int, default=2, help="daphne servers (the README's layout: 2)")
    parser.add_argument("--requests", type=int, default=400, help="timed orders per scenario")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        drop = None
        if arguments.database == "postgresql":
            url = os.environ.get(
                "BENCH_POSTGRES_URL", "postgres://openevent:openevent-ci@127.0.0.1:5432/postgres"
            )
            database_url, drop = postgres_database(url)
        else:
            database_url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        try:
            serving.set_up(database_url, EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
            data = seed(arguments.requests)
            from django.db import connection

            connection.close()
            log_path = Path(directory) / "servers.log"
            with open(log_path, "w") as log:
                try:
                    with serving.servers(arguments.processes, log) as ports:
                        results = measure(data, ports, arguments.requests)
                except BaseException:
                    print("The servers' last lines:", *log_path.read_text().splitlines()[-200:], sep="\n  ")
                    raise
            report(arguments, results, oversold())
        finally:
            if drop is not None:
                drop()


def report(arguments, results: dict, oversold_seats: int) -> None:
    database, processes = arguments.database, arguments.processes
    print(f"{database}, {processes} daphne process(es), {arguments.requests} orders a scenario")
    print(f"  {'':44} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}  statuses")
    for name, result in results.items():
        statuses = ", ".join(f"{count} x {status}" for status, count in result["statuses"].items())
        figures = f"{result['per_second']:7.1f} {result['p50_ms']:7.1f} {result['p95_ms']:7.1f}"
        print(f"  {name:44} {figures}  {statuses}")
    print(f"  oversold seats after the run: {oversold_seats}")
    RESULTS.mkdir(exist_ok=True)
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "database": arguments.database,
        "processes": arguments.processes,
        "results": results,
        "oversold_seats": oversold_seats,
    }
    path = RESULTS / f"orders-{arguments.database}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"  written to {path.relative_to(serving.ROOT)}")
    if oversold_seats:
        raise SystemExit("oversold")


if __name__ == "__main__":
    main()
