"""Throughput of the JSON:API list endpoints, served as in production.

    .venv/bin/python bench/lists.py [--processes 1] [--concurrency N] [--requests 300] [--only NAME ...]

Migrates a throwaway file-backed SQLite database (DATABASE_URL, DEBUG=false, a random SECRET_KEY)
and seeds it: 60 published events, one of them with 60 accepted sessions (each on a track, with a
creator and 2 speakers), 60 speakers and a few sponsors (under a page, so their list is skipped;
raise SPONSORS to 50 to add it). Starts `--processes` daphne servers (`python -m openevent.server`,
as the README's production layout) on consecutive ports, then for each endpoint sends `--requests`
GETs of a 50-row page from `--concurrency` threads, one keep-alive connection each, ports taken in
turn, after a few untimed ones; the endpoints take turns, a tenth of the requests at a time.
Every answer must be a 200 with 50 rows in `data`: a timed one is parsed only where it differs
from the warm-up's, so that the client's JSON parsing, on the same 2 cores, stays out of the
server's figures.
Prints each endpoint's requests per second, median latency and the SQL queries one request makes
(counted in-process with Django's test client). Compare runs made on the same machine.
"""

import argparse
import http.client
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import serving

PAGE = 50
ROUNDS = 10  # turns the endpoints take
EVENTS, SESSIONS, SPEAKERS, SPONSORS = 60, 60, 60, 5
ENDPOINTS = {  # {event}: the event with the sessions
    "events": f"/v1/events?page[size]={PAGE}",
    "speakers": f"/v1/events/{{event}}/speakers?page[size]={PAGE}",
    "sessions": f"/v1/events/{{event}}/sessions?page[size]={PAGE}",
    "sessions+speakers": f"/v1/events/{{event}}/sessions?page[size]={PAGE}&include=speakers",
    **({"sponsors": f"/v1/events/{{event}}/sponsors?page[size]={PAGE}"} if SPONSORS >= PAGE else {}),
}


def seed() -> int:
    """The rows described above; returns the id of the event with the programme."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from events import services
    from events.models import Event
    from speakers.models import Session, Speaker, Sponsor, Track

    start = (timezone.now() + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
    fields = {"state": Event.State.PUBLISHED, "location_name": "Singapore"}
    with transaction.atomic():
        owner = User.objects.create_user(email="organizer@bench.test", first_name="Olga", last_name="Owner")
        events = []
        for number in range(EVENTS):
            day = start + timedelta(days=number)
            event = Event(name=f"Event {number}", starts_at=day, ends_at=day + timedelta(hours=8), **fields)
            events.append(services.create_event(owner, event))
        event = events[0]
        tracks = [Track.objects.create(event=event, name=name) for name in ("Hardware", "Software", "Data")]
        # The programme past the services (which check permissions and mail), as after review.
        users = [
            User.objects.create_user(
                email=f"speaker{n}@bench.test", first_name="Sam", last_name=f"Speaker {n}"
            )
            for n in range(SPEAKERS)
        ]
        talk = {"state": Session.State.ACCEPTED, "short_abstract": "What we built.", "level": "beginner"}
        sessions = Session.objects.bulk_create(
            Session(
                event=event, track=tracks[n % 3], title=f"Session {n:02}", creator=users[n % SPEAKERS], **talk
            )
            for n in range(SESSIONS)
        )
        bio = {"organisation": "Pocket Science Lab", "short_biography": "Builds pocket-sized instruments."}
        speakers = Speaker.objects.bulk_create(
            Speaker(event=event, user=user, creator=user, name=user.get_full_name(), email=user.email, **bio)
            for user in users
        )
        Speaker.sessions.through.objects.bulk_create(  # 2 speakers a session, 2 sessions a speaker
            Speaker.sessions.through(speaker=speakers[(n + offset) % SPEAKERS], session=session)
            for n, session in enumerate(sessions)
            for offset in (0, 1)
        )
        Sponsor.objects.bulk_create(
            Sponsor(event=event, name=f"Sponsor {n}", level=1 + n % 3) for n in range(SPONSORS)
        )
    return event.pk


def check(name: str, status: int, body: bytes) -> None:
    """Raise unless the answer is a 200 with a full page."""
    rows = len(json.loads(body)["data"]) if status == 200 else None
    if rows != PAGE:
        raise RuntimeError(f"{name}: {status}, {rows} rows: {body[:300]!r}")


def count_queries(paths: dict[str, str]) -> dict[str, int]:
    """SQL queries of one request to each path, made in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client, counts = Client(), {}
    for name, path in paths.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        check(name, response.status_code, response.content)
        counts[name] = len(queries)
    return counts


def load(name: str, path: str, ports: list[int], arguments, requests: int) -> tuple[float, list[float]]:
    """Seconds taken by `requests` GETs of `path`, and each one's milliseconds."""
    connections = [
        http.client.HTTPConnection("127.0.0.1", ports[number % len(ports)], timeout=30)
        for number in range(arguments.concurrency)
    ]
    expected = []  # the warm-up's answer: a timed one equal to it is not parsed again
    for connection in connections:  # warm-up, untimed
        for _ in range(arguments.warmup):
            status, body = serving.get(connection, path)
            check(name, status, body)
            expected[:] = [(status, body)]
    stop = threading.Event()  # set when a client fails or the run is interrupted: the others end too

    def client(connection: http.client.HTTPConnection, requests: int) -> list[float]:
        latencies = []
        try:
            for _ in range(requests):
                started = time.perf_counter()
                answer = serving.get(connection, path)
                if not expected or answer != expected[0]:
                    check(name, *answer)
                latencies.append((time.perf_counter() - started) * 1000)
                if stop.is_set():
                    break
        except BaseException:
            stop.set()
            raise
        return latencies

    share, rest = divmod(requests, arguments.concurrency)
    shares = [share + (number < rest) for number in range(arguments.concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(arguments.concurrency) as pool:
        try:
            latencies = [ms for each in pool.map(client, connections, shares) for ms in each]  # raises theirs
        finally:
            stop.set()
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=1, help="daphne servers, on consecutive ports")
    parser.add_argument("--concurrency", type=int, help="client threads (default: --processes)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per thread first")
    parser.add_argument("--only", nargs="+", choices=ENDPOINTS, metavar="NAME", help=", ".join(ENDPOINTS))
    arguments = parser.parse_args()
    arguments.concurrency = arguments.concurrency or arguments.processes
    with tempfile.TemporaryDirectory() as directory:
        serving.set_up(f"sqlite:///{Path(directory) / 'bench.sqlite3'}")
        from django.db import connection

        event = seed()
        names = arguments.only or list(ENDPOINTS)
        paths = {name: ENDPOINTS[name].format(event=event) for name in names}
        queries = count_queries(paths)
        connection.close()
        print(
            f"{connection.vendor}, {arguments.processes} daphne process(es), {arguments.concurrency} "
            f"client thread(s), {arguments.requests} requests per endpoint"
        )
        print(f"  {'endpoint':18} {'req/s':>8} {'median ms':>10} {'queries':>8}")
        log_path = Path(directory) / "servers.log"
        with open(log_path, "w") as log:
            try:
                with serving.servers(arguments.processes, log) as ports:
                    # The endpoints take turns, a tenth of their requests at a time, so that a slow
                    # spell of the machine falls on all of them alike and their ratios hold.
                    elapsed, latencies = dict.fromkeys(paths, 0.0), {name: [] for name in paths}
                    for _ in range(ROUNDS):
                        for name, path in paths.items():
                            seconds, each = load(name, path, ports, arguments, arguments.requests // ROUNDS)
                            elapsed[name] += seconds
                            latencies[name] += each
                    for name in paths:
                        rate = len(latencies[name]) / elapsed[name]
                        median = statistics.median(latencies[name])
                        print(f"  {name:18} {rate:8.1f} {median:10.2f} {queries[name]:>8}", flush=True)
            except BaseException:
                print("The servers' last lines:", *log_path.read_text().splitlines()[-20:], sep="\n  ")
                raise


if __name__ == "__main__":
    main()
