"""The lab websocket, driven through the real ASGI application (origin check and session auth
included) with Channels' WebsocketCommunicator."""

import asyncio
import time

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.factories import UserFactory
from openevent.asgi import application
from remotelab.factories import LabScriptFactory
from remotelab.tests.conftest import needs_sandbox

pytestmark = pytest.mark.django_db(transaction=True)
HOST, ORIGIN = (b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def lab(*headers, host=HOST) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/remotelab/", headers=[host, *headers])


def connects(*headers, **host) -> bool:
    """Whether a logged-in user's browser, sending these headers, gets the lab's websocket."""
    cookie = session_cookie(UserFactory())

    async def scenario():
        communicator = lab(*headers, cookie, **host)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    return async_to_sync(scenario)()


async def until(communicator, kind, timeout=10):
    """Messages up to and including the first of type `kind`."""
    messages = []
    while not messages or messages[-1]["type"] != kind:
        messages.append(await communicator.receive_json_from(timeout=timeout))
    return messages


def test_anonymous_visitors_are_closed_with_4401():
    async def scenario():
        communicator = lab(ORIGIN)
        connected, _ = await communicator.connect()
        assert connected
        assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()


def test_another_sites_pages_cannot_connect():
    for headers, host in [
        ([(b"origin", b"http://127.0.0.1:9999")], HOST),  # another port: only the host used to count
        ([(b"origin", b"https://127.0.0.1:8000")], HOST),  # another scheme
        ([(b"origin", b"https://evil.example")], HOST),  # another site
        ([], HOST),  # no Origin at all
        ([(b"origin", b"http://evil.example")], (b"host", b"evil.example")),  # not a host the site serves
    ]:
        assert not connects(*headers, host=host), headers


def test_the_sites_own_origin_and_trusted_ones_connect(settings):
    assert connects(ORIGIN)
    settings.CSRF_TRUSTED_ORIGINS = ["https://lab.example.org", "https://*.example.com"]
    assert connects((b"origin", b"https://lab.example.org"))
    assert connects((b"origin", b"https://pages.example.com"))
    assert not connects((b"origin", b"http://lab.example.org"))
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # behind an HTTPS proxy
    assert connects((b"origin", b"https://127.0.0.1:8000"), (b"x-forwarded-proto", b"https"))
    assert not connects(ORIGIN, (b"x-forwarded-proto", b"https"))


def test_eval_answers_with_the_result_and_echoes_the_id():
    cookie = session_cookie(UserFactory())

    async def scenario():
        communicator = lab(ORIGIN, cookie)
        await communicator.connect()
        await communicator.send_json_to({"type": "eval", "function": "set_pv1(1.25)", "id": 7})
        assert await communicator.receive_json_from() == {
            "type": "result",
            "function": "set_pv1(1.25)",
            "id": 7,
            "result": 1.25,
        }
        await communicator.send_json_to({"type": "eval", "function": "__import__('os')", "id": 8})
        refused = await communicator.receive_json_from()
        assert (refused["type"], refused["id"]) == ("error", 8)
        await communicator.send_to(text_data="not json")
        assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.send_json_to({"type": "dance"})
        assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.disconnect()

    async_to_sync(scenario)()


@needs_sandbox
def test_a_run_streams_its_widgets_in_order_then_finishes():
    user = UserFactory()
    script = LabScriptFactory(
        owner=user, title="Stream", code="for n in range(3):\n    print(n)\nplot([0, 1], [1, 0])"
    )
    cookie = session_cookie(user)

    async def scenario():
        communicator = lab(ORIGIN, cookie)
        await communicator.connect()
        await communicator.send_json_to({"type": "run", "script": script.pk})
        messages = await until(communicator, "finished")
        assert messages[0] == {"type": "started", "run": 1}
        widgets = [message["widget"] for message in messages if message["type"] == "widget"]
        assert [widget.get("value") for widget in widgets] == ["0", "1", "2", None]
        assert widgets[-1]["type"] == "plot"
        assert messages[-1] == {"type": "finished", "run": 1, "status": "done", "error": None}
        await communicator.disconnect()

    async_to_sync(scenario)()


@needs_sandbox
def test_someone_elses_script_is_not_found():
    script = LabScriptFactory(title="Theirs", code="print(1)")
    cookie = session_cookie(UserFactory())

    async def scenario():
        communicator = lab(ORIGIN, cookie)
        await communicator.connect()
        await communicator.send_json_to({"type": "run", "script": script.pk})
        assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("script", ["\u00b2", "9" * 5000, 2**70, -1, True, 1.5])
def test_a_script_id_that_is_no_id_is_answered_plainly(script):
    cookie = session_cookie(UserFactory())

    async def scenario():
        communicator = lab(ORIGIN, cookie)
        await communicator.connect()
        await communicator.send_json_to({"type": "run", "script": script})
        assert await communicator.receive_json_from() == {
            "type": "error",
            "error": "Name one of your scripts, or send code.",
        }
        await communicator.disconnect()

    async_to_sync(scenario)()


@needs_sandbox
def test_stop_ends_a_run_and_the_lab_keeps_answering_meanwhile():
    cookie = session_cookie(UserFactory())

    async def scenario():
        communicator = lab(ORIGIN, cookie)
        await communicator.connect()
        await communicator.send_json_to(
            {"type": "run", "code": "import time\nprint('going')\ntime.sleep(30)"}
        )
        assert (await communicator.receive_json_from())["type"] == "started"
        assert (await communicator.receive_json_from())["widget"]["value"] == "going"
        started = time.monotonic()
        await communicator.send_json_to({"type": "eval", "function": "get_resistance()", "id": 1})
        answer = await communicator.receive_json_from()
        assert answer["type"] == "result"
        assert time.monotonic() - started < 2  # the running script does not hold up the server
        await communicator.send_json_to({"type": "run", "code": "print(1)"})
        assert "running already" in (await communicator.receive_json_from())["error"]
        await communicator.send_json_to({"type": "stop"})
        finished = await until(communicator, "finished")
        assert finished[-1]["status"] == "stopped"
        await communicator.disconnect()

    async_to_sync(scenario)()


@needs_sandbox
def test_two_labs_run_at_once():
    cookies = [session_cookie(UserFactory()) for _ in range(2)]

    async def scenario():
        labs = [lab(ORIGIN, cookie) for cookie in cookies]
        for communicator in labs:
            await communicator.connect()
            await communicator.send_json_to(
                {"type": "run", "code": "import time\ntime.sleep(0.5)\nprint('ok')"}
            )
        results = await asyncio.gather(*(until(communicator, "finished") for communicator in labs))
        assert [messages[-1]["status"] for messages in results] == ["done", "done"]
        for communicator in labs:
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_an_unexpected_failure_is_reported_and_the_socket_stays_up(monkeypatch):
    from remotelab import services

    cookie = session_cookie(UserFactory())
    real_call = services.call_function
    calls = []

    def flaky(user, function):
        calls.append(function)
        if len(calls) == 1:
            raise RuntimeError("the PSLab library tripped")
        return real_call(user, function)

    monkeypatch.setattr(services, "call_function", flaky)

    async def scenario():
        communicator = lab(ORIGIN, cookie)
        await communicator.connect()
        await communicator.send_json_to({"type": "eval", "function": "get_resistance()", "id": 1})
        assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.send_json_to({"type": "eval", "function": "get_resistance()", "id": 2})
        assert (await communicator.receive_json_from())["type"] == "result"
        await communicator.disconnect()

    async_to_sync(scenario)()
