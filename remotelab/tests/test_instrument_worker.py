"""Production's shape: the PSLab is owned by one `runworker remotelab-instrument` process; the
web processes (here, this test process) reach it through the Redis channel layer."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.factories import UserFactory
from remotelab import instrument
from remotelab.functions import FunctionError
from remotelab.parser import parse
from remotelab.tests.conftest import needs_redis

pytestmark = needs_redis
USER = f"tester-{uuid.uuid4()}"  # the instrument worker keeps instrument time in Redis


def call(source):
    return instrument.run(*parse(source), USER)


def test_calls_reach_the_one_process_that_owns_the_pslab(settings, instrument_worker):
    settings.REMOTELAB_INSTRUMENT_TIMEOUT = 5
    assert call("set_pv1(1.5)") == 1.5
    assert call("get_voltage('CH3')") == pytest.approx(1.5, abs=0.02)  # the state lives in the worker
    assert instrument._lab is None  # this (web) process never opened a device
    with ThreadPoolExecutor(4) as pool:
        readings = list(pool.map(call, ["get_voltage('CH3')"] * 8))
    assert readings == pytest.approx([1.5] * 8, abs=0.02)


def test_the_worker_checks_calls_again(instrument_worker):
    with pytest.raises(FunctionError, match="channel must be one of"):
        instrument.ask_worker("get_voltage", ["CH9"], USER)  # unchecked here: the worker refuses it


def test_without_the_worker_calls_fail_clearly(settings, redis_layer):
    settings.REMOTELAB_INSTRUMENT_TIMEOUT = 6  # past the Redis client's own 5 s read timeout
    with pytest.raises(instrument.InstrumentError, match="runworker remotelab-instrument"):
        call("get_resistance()")


@pytest.mark.django_db(transaction=True)
def test_a_web_process_websocket_reaches_the_worker(instrument_worker):
    from asgiref.sync import async_to_sync

    from remotelab.tests.test_consumer import ORIGIN, lab, session_cookie

    cookie = session_cookie(UserFactory())

    async def scenario():
        communicator = lab(ORIGIN, cookie)  # its consumer listens on the shared Redis layer
        await communicator.connect()
        await communicator.send_json_to({"type": "eval", "function": "set_pv1(-1.25)", "id": 1})
        assert (await communicator.receive_json_from(timeout=10))["result"] == -1.25
        await communicator.disconnect()

    async_to_sync(scenario)()
    assert call("get_voltage('CH3')") == pytest.approx(-1.25, abs=0.02)


@pytest.mark.django_db(transaction=True)
def test_the_worker_and_a_websocket_stay_up_while_nothing_is_asked(instrument_worker):
    """Past channels_redis's 5 s wait on Redis, which a shorter client read timeout broke."""
    from asgiref.sync import async_to_sync

    from remotelab.tests.test_consumer import ORIGIN, lab, session_cookie

    cookie = session_cookie(UserFactory())

    async def scenario():
        communicator = lab(ORIGIN, cookie)
        await communicator.connect()
        assert await communicator.receive_nothing(timeout=7)  # idle: not closed
        await communicator.send_json_to({"type": "eval", "function": "get_resistance()", "id": 1})
        assert "result" in await communicator.receive_json_from(timeout=10)
        await communicator.disconnect()

    async_to_sync(scenario)()
    assert instrument_worker.poll() is None
