"""The ASGI handler daphne serves HTTP with (openevent.handler): the answers Django's test client
gets, each request living on one worker thread from its start to its close."""

import asyncio
import json
import threading

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.testing import HttpCommunicator
from django.core import signals
from django.test import Client

from accounts.factories import DEFAULT_PASSWORD, UserFactory
from events.factories import EventTopicFactory
from openevent.asgi import application
from openevent.handler import ASGIHandler

# The handler's threads see committed rows. Serialized like every transactional test: a plain one's
# flush makes the content types again, which a later serialized test's restore then collides with.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@async_to_sync
async def serve(method: str, path: str, body: bytes = b"", headers=()) -> dict:
    """The answer, once the handler is done with the request (the response closed)."""
    headers = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode()), *headers]
    communicator = HttpCommunicator(application, method, path, body, headers)
    response = await communicator.get_response()
    await communicator.wait()
    return response


def test_an_api_list_is_answered_as_the_test_client_answers_it():
    EventTopicFactory()  # a list with a row, made without the roles a transactional test may have flushed
    expected = Client().get("/v1/event-topics")
    response = serve("GET", "/v1/event-topics")
    assert response["status"] == 200
    assert response["body"] == expected.content
    assert dict(response["headers"])[b"Content-Type"] == b"application/vnd.api+json"


def test_a_posted_body_reaches_the_view():
    user = UserFactory()
    credentials = json.dumps({"email": user.email, "password": DEFAULT_PASSWORD}).encode()
    response = serve("POST", "/v1/auth/login", credentials, [(b"content-type", b"application/json")])
    assert response["status"] == 200
    assert "access_token" in json.loads(response["body"])


def test_a_page_sets_its_cookies():
    response = serve("GET", "/login/")
    assert response["status"] == 200
    cookies = [value for name, value in response["headers"] if name == b"Set-Cookie"]
    assert any(cookie.startswith(b"csrftoken=") for cookie in cookies)


def test_a_request_lives_on_one_worker_thread_from_start_to_close():
    threads = {}

    def started(**kwargs):
        threads["started"] = threading.get_ident()

    def finished(**kwargs):
        threads["finished"] = threading.get_ident()

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        assert serve("GET", "/v1/events")["status"] == 200
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert threads["started"] == threads["finished"] != threading.get_ident()


def http_scope(path: str, method: str = "GET", headers=(), **extra) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        **extra,
    }


@async_to_sync
async def exchange(app, scope: dict, *messages: dict) -> list[dict]:
    """What `app` sends back for `messages`, once it has finished by itself."""
    communicator = ApplicationCommunicator(app, scope)
    for message in messages:
        await communicator.send_input(message)
    try:
        await asyncio.wait_for(asyncio.shield(communicator.future), timeout=5)
    finally:
        await communicator.wait(timeout=0)  # a TimeoutError above fails the test; this cleans up
    answer = []
    while not communicator.output_queue.empty():
        answer.append(await communicator.receive_output())
    return answer


def test_a_request_whose_client_left_while_it_waited_for_a_thread_is_not_served(settings):
    settings.HTTP_THREADS = 1
    handler, served, busy = ASGIHandler(), [], threading.Event()
    handler.threads.submit(busy.wait)  # its one thread is taken

    def started(**kwargs):
        served.append(kwargs["scope"]["path"])

    signals.request_started.connect(started)
    try:
        request = {"type": "http.request", "body": b""}
        assert exchange(handler, http_scope("/v1/events"), request, {"type": "http.disconnect"}) == []
        busy.set()
        handler.threads.submit(lambda: None).result()  # the thread has taken the abandoned request
    finally:
        busy.set()
        signals.request_started.disconnect(started)
        handler.threads.shutdown()
    assert served == []


def test_a_chunked_body_is_read_like_one_with_its_length():
    user = UserFactory()
    credentials = json.dumps({"email": user.email, "password": DEFAULT_PASSWORD}).encode()
    scope = http_scope(
        "/v1/auth/login",
        "POST",
        [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
    )
    chunks = [credentials[:10], credentials[10:]]
    start, body = exchange(
        application,
        scope,
        {"type": "http.request", "body": chunks[0], "more_body": True},
        {"type": "http.request", "body": chunks[1]},
    )
    assert start["status"] == 200
    assert "access_token" in json.loads(body["body"])


def test_a_root_path_from_the_client_is_not_trusted():
    """daphne takes a root path from a `Daphne-Root-Path` header, which anyone may send."""
    start, body = exchange(
        application, http_scope("/login/", root_path="/evil"), {"type": "http.request", "body": b""}
    )
    assert start["status"] == 200
    assert b'href="/evil' not in body["body"]
    assert b'action="/login/' in body["body"] or b'href="/' in body["body"]


def test_the_server_loads_the_whole_site_and_leaves_it_out_of_garbage_collections():
    import gc

    from openevent import server

    try:
        server.load_the_site()
        assert gc.get_freeze_count() > 10_000  # Django, every app, view and serializer
    finally:
        gc.unfreeze()
