"""The PSLab is shared fairly (issue 8, point 6): one user hammering it with slow calls from many
threads, sockets or web processes neither starves another user's quick call nor goes past
their budget of instrument time; scripts' calls spend the same budget. Nor do function strings
waiting for the PSLab hold every thread of a web process."""

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings

from accounts.factories import UserFactory
from openevent import ratelimit
from remotelab import instrument, services
from remotelab.functions import FUNCTIONS, LabFunction
from remotelab.parser import parse
from remotelab.tests.conftest import REDIS_URL, needs_redis, needs_sandbox

pytestmark = pytest.mark.django_db(transaction=True)
SLOW_CAPTURE = "capture1('CH1', 10000, 100)"  # a second of the PSLab's time: 10000 samples 100 µs apart


class Bench:
    """Test-only lab functions that note the order the PSLab serves them in: `hold()` runs until
    the test lets it end, `quick()` at once."""

    def __init__(self):
        self.served: list[str] = []
        self.holding = threading.Event()
        self.release = threading.Event()

    def hold(self, lab):
        self.served.append("hold")
        self.holding.set()
        self.release.wait(10)
        return "held"

    def quick(self, lab):
        self.served.append("quick")
        return "quick"


@pytest.fixture
def bench(monkeypatch):
    bench = Bench()
    for name in ("hold", "quick"):
        monkeypatch.setitem(FUNCTIONS, name, LabFunction(name, (), "A test's.", getattr(bench, name)))
    yield bench
    bench.release.set()


def waiting(user) -> int:
    """How many of `user`'s calls wait for their turn at the PSLab."""
    return len(instrument._device._jobs.get(str(user.pk), ()))


def until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def eval_call(api, function):
    return api.post("/v1/remotelab/eval", {"function": function}, plain=True)


def from_elsewhere(user, function: str):
    """`user`'s call as the PSLab gets it from another web process (or a script): one process lets a
    user's function strings wait one at a time."""
    return instrument.run(*parse(function), str(user.pk))


@pytest.mark.parametrize("queued", [2, 6])
def test_a_hammered_pslab_serves_another_user_after_at_most_one_of_the_hammerers_calls(bench, queued):
    hammerer, other = UserFactory(), UserFactory()
    with ThreadPoolExecutor(queued + 2) as pool:
        first = pool.submit(from_elsewhere, hammerer, "hold()")
        assert bench.holding.wait(10)
        more = [pool.submit(from_elsewhere, hammerer, "hold()") for _ in range(queued)]
        until(lambda: waiting(hammerer) == queued)
        quick = pool.submit(services.call_function, other, "quick()")
        until(lambda: waiting(other) == 1)
        bench.release.set()
        assert quick.result(10) == "quick"
        assert [call.result(10) for call in [first, *more]] == ["held"] * (queued + 1)
    assert bench.served == ["hold", "quick"] + ["hold"] * queued  # whatever the hammerer queued


def test_looping_slow_captures_do_not_hold_up_another_users_get_voltage(monkeypatch):
    """The attack as reported: captures looping in several threads of one account (here, as if
    from several web processes)."""
    served = []

    def noted(function):
        def run(lab, *arguments):
            served.append(function.name)
            return function.run(lab, *arguments)

        return replace(function, run=run)

    for name in ("capture1", "get_voltage"):
        monkeypatch.setitem(FUNCTIONS, name, noted(FUNCTIONS[name]))
    hammerer, other = UserFactory(), UserFactory()
    fast_capture = "capture1('CH1', 10000, 20)"  # 0.2 s each, so that the test stays short

    def hammer():
        for _ in range(2):
            from_elsewhere(hammerer, fast_capture)

    with ThreadPoolExecutor(5) as pool:
        loops = [pool.submit(hammer) for _ in range(5)]
        until(lambda: served and waiting(hammerer) == 4)
        before = len(served)
        voltage = services.call_function(other, "get_voltage('CH1')")
        for loop in loops:
            loop.result(30)
    assert isinstance(voltage, float)
    assert served.index("get_voltage") <= before + 1  # at most one capture began after it asked
    assert served.count("capture1") == 10


def test_past_its_instrument_time_a_user_is_429_with_retry_after(api, settings):
    settings.REMOTELAB_INSTRUMENT_BUDGET = 0.5
    api.as_user(UserFactory())
    assert eval_call(api, SLOW_CAPTURE).status_code == 200  # a second of the PSLab's time
    refused = eval_call(api, "get_voltage('CH1')")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["status"] is False
    assert "instrument time" in body["errors"][0]["detail"]
    assert f"Try again in {refused['Retry-After']} seconds" in body["errors"][0]["detail"]
    another = eval_call(api.as_user(UserFactory()), "get_voltage('CH1')")
    assert another.status_code == 200  # another user's time is their own


def test_instrument_time_is_free_again_once_it_slides_out_of_the_window(monkeypatch):
    now = [1000.0]  # slices of 6 s: the one at 996-1002 s leaves a 60 s window at 1056 s
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    ratelimit.spend("test", "kate", 1.0, 60)
    now[0] = 1030.0
    ratelimit.spend("test", "kate", 1.0, 60)
    assert ratelimit.budget_wait("test", "kate", 2.5, 60) == 0
    assert ratelimit.budget_wait("test", "kate", 1.5, 60) == 26  # until the first second leaves
    assert ratelimit.budget_wait("test", "someone else", 1.5, 60) == 0
    now[0] = 1056.0
    assert ratelimit.budget_wait("test", "kate", 1.5, 60) == 0
    assert ratelimit.budget_wait("test", "kate", 1.0, 60) == 30


def test_past_its_instrument_time_the_websocket_says_when_to_retry(settings):
    from remotelab.tests.test_consumer import ORIGIN, lab, session_cookie

    settings.REMOTELAB_INSTRUMENT_BUDGET = 0.5
    cookie = session_cookie(UserFactory())

    async def scenario():
        communicator = lab(ORIGIN, cookie)
        await communicator.connect()
        for request_id, function in enumerate([SLOW_CAPTURE, "get_voltage('CH1')"]):
            await communicator.send_json_to({"type": "eval", "function": function, "id": request_id})
        assert (await communicator.receive_json_from(timeout=10))["type"] == "result"
        refused = await communicator.receive_json_from(timeout=10)
        assert (refused["type"], refused["id"]) == ("error", 1)
        assert "instrument time" in refused["error"]
        assert "Try again in" in refused["error"]
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_one_users_many_sockets_do_not_take_every_lab_thread(bench):
    """Each socket's call would otherwise hold one of the websockets' eight lab threads."""
    from remotelab.tests.test_consumer import ORIGIN, lab, session_cookie

    hammerer, other = UserFactory(), UserFactory()
    hammerer_cookie, other_cookie = session_cookie(hammerer), session_cookie(other)

    async def scenario():
        sockets = [lab(ORIGIN, hammerer_cookie) for _ in range(10)]
        mine = lab(ORIGIN, other_cookie)
        for communicator in [*sockets, mine]:
            await communicator.connect()
        await sockets[0].send_json_to({"type": "eval", "function": "hold()"})
        assert await asyncio.to_thread(bench.holding.wait, 10)
        for communicator in sockets[1:]:
            await communicator.send_json_to({"type": "eval", "function": "hold()"})
        await asyncio.sleep(0.2)  # the sockets take their calls (without the fix, a lab thread each)
        await mine.send_json_to({"type": "eval", "function": "quick()"})
        deadline = time.monotonic() + 10
        while waiting(other) == 0:
            assert time.monotonic() < deadline, "the other user's call never reached the PSLab"
            await asyncio.sleep(0.01)
        bench.release.set()
        assert (await mine.receive_json_from(timeout=10))["result"] == "quick"
        for communicator in sockets:
            assert (await communicator.receive_json_from(timeout=10))["result"] == "held"
        for communicator in [*sockets, mine]:
            await communicator.disconnect()

    async_to_sync(scenario)()
    assert bench.served == ["hold", "quick"] + ["hold"] * 9


@needs_sandbox
def test_a_scripts_calls_spend_its_users_instrument_time(settings):
    settings.REMOTELAB_INSTRUMENT_BUDGET = 0.5
    user = UserFactory()
    code = f"{SLOW_CAPTURE}\ntry:\n    get_voltage('CH1')\nexcept LabError as error:\n    print(error)\n"
    outcome = services.run_code(user, code)
    assert outcome.status == "done"
    [refusal] = outcome.widgets
    assert "instrument time" in refusal["value"]
    assert "Try again in" in refusal["value"]
    with pytest.raises(instrument.OverBudget):  # the same budget as the user's function strings
        services.call_function(user, "get_voltage('CH1')")


def test_a_call_that_cannot_have_the_pslab_in_time_is_503_and_never_runs(api, settings, bench):
    settings.REMOTELAB_INSTRUMENT_WAIT = 0.2
    api.as_user(UserFactory())
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(services.call_function, UserFactory(), "hold()")
        assert bench.holding.wait(10)
        busy = eval_call(api, "quick()")
        bench.release.set()
        assert held.result(10) == "held"
    assert busy.status_code == 503
    assert busy.json()["status"] is False
    assert "busy" in busy.json()["errors"][0]["detail"]
    assert eval_call(api, "quick()").status_code == 200
    assert bench.served == ["hold", "quick"]  # the refused call was dropped, not run late


# A function string holds its web request's thread while it waits for the PSLab (or for the
# instrument worker's answer), so a process lets each user wait once and only so many wait at all.


def client(api, user):
    """Another API client, as `user`, for a request of its own thread."""
    return type(api)().as_user(user)


def quickly(request) -> tuple:
    """The response to `request()` and whether it came at once (not after a wait for the PSLab)."""
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started < 3  # the PSLab wait is 5 s


def test_a_users_second_eval_while_the_first_waits_is_409_at_once(api, bench):
    user = UserFactory()
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(services.call_function, UserFactory(), "hold()")
        assert bench.holding.wait(10)
        first = pool.submit(eval_call, client(api, user), "quick()")
        until(lambda: waiting(user) == 1)
        second, at_once = quickly(lambda: eval_call(api.as_user(user), "quick()"))
        assert waiting(user) == 1  # the second never joined the line
        bench.release.set()
        assert held.result(10) == "held"
        assert first.result(10).json() == {"status": True, "result": "quick", "stringified": False}
    assert (second.status_code, at_once) == (409, True)
    [error] = second.json()["errors"]
    assert error["status"] == "409"
    assert "waiting for the PSLab already" in error["detail"]
    assert eval_call(api, "quick()").status_code == 200  # once the first has its answer
    assert bench.served == ["hold", "quick", "quick"]


def test_past_the_process_cap_an_eval_is_503_busy_at_once(api, bench, settings):
    cap = settings.REMOTELAB_INSTRUMENT_MAX_WAITING
    assert cap == 4  # the default
    holder, *others = [UserFactory() for _ in range(cap)]
    extra = UserFactory()
    with ThreadPoolExecutor(cap) as pool:
        held = pool.submit(eval_call, client(api, holder), "hold()")
        assert bench.holding.wait(10)
        calls = [pool.submit(eval_call, client(api, user), "quick()") for user in others]
        until(lambda: all(waiting(user) == 1 for user in others))
        refused, at_once = quickly(lambda: eval_call(api.as_user(extra), "quick()"))
        assert waiting(extra) == 0  # never queued
        bench.release.set()
        assert held.result(10).json()["result"] == "held"
        assert [call.result(10).json()["result"] for call in calls] == ["quick"] * (cap - 1)
    assert (refused.status_code, at_once) == (503, True)
    body = refused.json()
    assert body["status"] is False
    assert body["errors"][0]["detail"] == instrument.BUSY
    assert eval_call(api, "quick()").status_code == 200  # room again
    assert bench.served == ["hold"] + ["quick"] * cap


def test_an_over_budget_user_is_refused_at_once_without_queueing(api, bench, settings):
    settings.REMOTELAB_INSTRUMENT_BUDGET = 0.5
    user = UserFactory()
    ratelimit.spend(instrument.BUDGET_SCOPE, str(user.pk), 1.0, settings.REMOTELAB_INSTRUMENT_BUDGET_WINDOW)
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(services.call_function, UserFactory(), "hold()")
        assert bench.holding.wait(10)
        refused, at_once = quickly(lambda: eval_call(api.as_user(user), "quick()"))
        assert waiting(user) == 0
        bench.release.set()
        assert held.result(10) == "held"
    assert (refused.status_code, at_once) == (429, True)
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "instrument time" in refused.json()["errors"][0]["detail"]
    settings.REMOTELAB_INSTRUMENT_BUDGET = 20
    assert eval_call(api, "quick()").status_code == 200  # the refusal held no slot
    assert bench.served == ["hold", "quick"]


def test_calls_that_fail_or_time_out_give_their_slots_back(api, bench, settings, monkeypatch):
    settings.REMOTELAB_INSTRUMENT_MAX_WAITING = 2  # the holder and one more
    settings.REMOTELAB_INSTRUMENT_WAIT = 0.2

    def broken(lab):
        raise RuntimeError("the PSLab went away")

    monkeypatch.setitem(FUNCTIONS, "broken", LabFunction("broken", (), "A test's.", broken))
    api.as_user(UserFactory())
    for _ in range(3):  # were a slot kept, the second would be 409 and the third 503
        failed = eval_call(api, "broken()")
        assert failed.status_code == 503
        assert "went away" in failed.json()["errors"][0]["detail"]
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(services.call_function, UserFactory(), "hold()")
        assert bench.holding.wait(10)
        for _ in range(3):  # each waits its 0.2 s, is withdrawn and gives its slot back
            timed_out = eval_call(api, "quick()")
            assert timed_out.status_code == 503
            assert timed_out.json()["errors"][0]["detail"] == instrument.BUSY
        bench.release.set()
        assert held.result(10) == "held"
    assert eval_call(api, "quick()").status_code == 200
    assert eval_call(api.as_user(UserFactory()), "quick()").status_code == 200


def test_a_wait_for_the_instrument_workers_answer_takes_a_slot_too(api, settings, monkeypatch):
    settings.REMOTELAB_INSTRUMENT_PROCESS = "worker"
    settings.REMOTELAB_INSTRUMENT_MAX_WAITING = 2
    asked, answer = threading.Semaphore(0), threading.Event()

    def ask_worker(name, arguments, user):  # as if the worker were slow to answer, then did not
        asked.release()
        answer.wait(10)
        raise instrument.InstrumentError("The instrument process did not answer.")

    monkeypatch.setattr(instrument, "ask_worker", ask_worker)
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    with ThreadPoolExecutor(2) as pool:
        calls = [pool.submit(eval_call, client(api, user), "get_resistance()") for user in (first, second)]
        for _ in calls:
            assert asked.acquire(timeout=10)  # both wait for the worker's answer
        again, again_at_once = quickly(lambda: eval_call(api.as_user(first), "get_resistance()"))
        over, over_at_once = quickly(lambda: eval_call(api.as_user(third), "get_resistance()"))
        answer.set()
        assert [call.result(10).status_code for call in calls] == [503, 503]
    assert (again.status_code, again_at_once) == (409, True)
    assert (over.status_code, over_at_once) == (503, True)
    assert over.json()["errors"][0]["detail"] == instrument.BUSY
    monkeypatch.setattr(instrument, "ask_worker", lambda name, arguments, user: 10_000.0)
    assert eval_call(api.as_user(first), "get_resistance()").json()["result"] == 10_000.0


# Production's shape: one instrument worker serves every web process (remotelab.tests.conftest).


@needs_redis
@pytest.mark.parametrize("worker_env", [{"REMOTELAB_INSTRUMENT_WAIT": "20"}])
def test_the_instrument_worker_serves_users_in_turn(settings, instrument_worker):
    settings.REMOTELAB_INSTRUMENT_TIMEOUT = 30
    hammerer, other = f"hammerer-{uuid.uuid4()}", f"other-{uuid.uuid4()}"
    finished = []

    def capture():
        instrument.run(*parse(SLOW_CAPTURE), hammerer)
        finished.append("capture")

    with ThreadPoolExecutor(4) as pool:
        captures = [pool.submit(capture) for _ in range(4)]
        until(lambda: finished)  # the other three are queued at the worker by now
        assert isinstance(instrument.run(*parse("get_voltage('CH1')"), other), float)
        finished_before = len(finished)
        for call in captures:
            call.result(30)
    assert finished_before <= 2  # served after the capture it found running, not after all four


@needs_redis
@pytest.mark.parametrize("worker_env", [{"REMOTELAB_INSTRUMENT_BUDGET": "0.5"}])
def test_the_instrument_worker_keeps_one_budget_for_every_web_process(instrument_worker):
    hammerer = f"hammerer-{uuid.uuid4()}"
    instrument.run(*parse(SLOW_CAPTURE), hammerer)
    with pytest.raises(instrument.OverBudget) as refused:
        instrument.run(*parse("get_voltage('CH1')"), hammerer)
    assert 1 <= refused.value.retry_after <= 60
    ask = (
        "from remotelab import instrument\n"
        "from remotelab.parser import parse\n"
        "try:\n"
        f"    instrument.run(*parse(\"get_voltage('CH1')\"), {hammerer!r})\n"
        "except instrument.OverBudget as error:\n"
        "    print('refused', error.retry_after)\n"
    )
    another_web_process = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", ask],
        cwd=django_settings.BASE_DIR,
        env=os.environ | {"REDIS_URL": REDIS_URL, "REMOTELAB_INSTRUMENT_PROCESS": "worker"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "refused" in another_web_process.stdout.split(), another_web_process.stderr
    assert isinstance(instrument.run(*parse("get_voltage('CH1')"), f"other-{uuid.uuid4()}"), float)


@needs_redis
@pytest.mark.parametrize("worker_env", [{"REMOTELAB_INSTRUMENT_WAIT": "0.3"}])
def test_the_instrument_worker_answers_busy_when_a_call_cannot_have_the_pslab_in_time(instrument_worker):
    other = f"other-{uuid.uuid4()}"
    refusal = None
    with ThreadPoolExecutor(1) as pool:
        capture = pool.submit(instrument.run, *parse(SLOW_CAPTURE), f"hammerer-{uuid.uuid4()}")
        while refusal is None and not capture.done():  # a slow machine may begin the capture late
            try:
                instrument.run(*parse("get_voltage('CH1')"), other)  # served before it began: again
            except instrument.InstrumentError as error:
                refusal = error
        capture.result(30)
    assert "busy" in str(refusal)
