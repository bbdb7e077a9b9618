"""The ASGI handler daphne serves HTTP with (openevent.handler): the answers Django's test client
gets, each request living on one worker thread from its start to its close."""

import json
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.core import signals
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD, make_user
from events.tests.factories import make_topic
from openevent.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)  # the handler's threads see committed rows


@async_to_sync
async def serve(method: str, path: str, body: bytes = b"", headers=()) -> dict:
    """The answer, once the handler is done with the request (the response closed)."""
    headers = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode()), *headers]
    communicator = HttpCommunicator(application, method, path, body, headers)
    response = await communicator.get_response()
    await communicator.wait()
    return response


def test_an_api_list_is_answered_as_the_test_client_answers_it():
    make_topic()  # a list with a row, made without the roles a transactional test may have flushed
    expected = Client().get("/v1/event-topics")
    response = serve("GET", "/v1/event-topics")
    assert response["status"] == 200
    assert response["body"] == expected.content
    assert dict(response["headers"])[b"Content-Type"] == b"application/vnd.api+json"


def test_a_posted_body_reaches_the_view():
    user = make_user()
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
