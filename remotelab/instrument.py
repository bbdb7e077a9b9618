"""The one PSLab, driven by one process, one call at a time, shared fairly among its users.

REMOTELAB_INSTRUMENT chooses the device: `sim` (a simulated PSLab speaking the real byte
protocol, remotelab.simulator) or `serial:<port>` (real hardware over pyserial). pslab's
instruments are always given this device explicitly: left to themselves they autodetect,
probing serial ports and the network. Calls block (serial I/O), so async code runs them in
a thread.

The process that drives the PSLab runs its calls on one thread, taking the users in turn
(remotelab.scheduler), and charges each call's time to its user: past
REMOTELAB_INSTRUMENT_BUDGET seconds in REMOTELAB_INSTRUMENT_BUDGET_WINDOW a user's calls are
refused (OverBudget, a 429) until the window has moved on; a call whose turn does not come
within REMOTELAB_INSTRUMENT_WAIT seconds is an InstrumentError (503).

With REMOTELAB_INSTRUMENT_PROCESS=worker (production, with REDIS_URL), the web processes
never open the device: `run` sends each checked call over the channel layer to the one
process that owns it, `manage.py runworker remotelab-instrument`, and waits for the answer.
"""

import asyncio
import functools
import logging
import threading
import time
from concurrent.futures import Future
from functools import cached_property

from channels.layers import DEFAULT_CHANNEL_LAYER, BaseChannelLayer, channel_layers
from django.conf import settings
from pslab.connection import ConnectionHandler, SerialHandler
from pslab.instrument.logic_analyzer import LogicAnalyzer
from pslab.instrument.multimeter import Multimeter
from pslab.instrument.oscilloscope import Oscilloscope
from pslab.instrument.power_supply import PowerSupply
from pslab.instrument.waveform_generator import WaveformGenerator

from openevent import ratelimit
from openevent.errors import Unavailable

from . import scheduler
from .functions import FunctionError, LabFunction, json_safe


class InstrumentError(Unavailable):
    """The instrument could not be reached or did not answer."""


class OverBudget(ratelimit.RateLimited, Unavailable):
    """The user has used up their instrument time for now: a 429 to the API, a LabError to a script."""

    def __init__(self, retry_after: int):
        super().__init__(
            retry_after,
            f"You have used the {settings.REMOTELAB_INSTRUMENT_BUDGET:g} s of instrument time a user "
            f"may have in {settings.REMOTELAB_INSTRUMENT_BUDGET_WINDOW} s.",
        )


def open_device(spec: str) -> ConnectionHandler:
    if spec == "sim":
        from .simulator import SimulatedPSLab  # only the simulated bench needs it

        device = SimulatedPSLab()
    elif spec.startswith("serial:"):
        device = SerialHandler(port=spec.removeprefix("serial:"), baudrate=1000000, timeout=1)
    else:
        raise InstrumentError(f'REMOTELAB_INSTRUMENT must be "sim" or "serial:<port>", not "{spec}".')
    device.connect()
    return device


class Lab:
    """The instruments of one connected PSLab, each made on first use."""

    def __init__(self, device: ConnectionHandler):
        self.device = device

    @cached_property
    def multimeter(self) -> Multimeter:
        return Multimeter(device=self.device)

    @cached_property
    def oscilloscope(self) -> Oscilloscope:
        return Oscilloscope(device=self.device)

    @cached_property
    def power_supply(self) -> PowerSupply:
        return PowerSupply(device=self.device)

    @cached_property
    def waveform_generator(self) -> WaveformGenerator:
        return WaveformGenerator(device=self.device)

    @cached_property
    def logic_analyzer(self) -> LogicAnalyzer:
        return LogicAnalyzer(device=self.device)


logger = logging.getLogger(__name__)
INSTRUMENT_CHANNEL = "remotelab-instrument"
BUDGET_SCOPE = "lab-instrument-time"
BUSY = "The PSLab is busy with other users' calls. Try again in a moment."
_device = scheduler.RoundRobin("pslab")
_lab: Lab | None = None


def run(function: LabFunction, arguments: list, user: str):
    """Run a checked call on the PSLab in `user`'s turn (`user`: whom it is charged to, a user's
    pk); its JSON-safe result."""
    if settings.REMOTELAB_INSTRUMENT_PROCESS == "worker":
        return ask_worker(function.name, arguments, user)
    return run_here(function, arguments, user)


@functools.cache
def _worker_client() -> tuple[asyncio.AbstractEventLoop, BaseChannelLayer]:
    """An event loop (in a thread of its own) and a channel layer of its own for the requests
    this process sends the instrument worker: a channel layer lets one loop wait for replies,
    and the websocket consumers' loop has the shared layer."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="instrument-client", daemon=True).start()
    return loop, channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)


def ask_worker(name: str, arguments: list, user: str):
    loop, _ = _worker_client()
    return asyncio.run_coroutine_threadsafe(_ask_worker(name, arguments, user), loop).result()


async def _ask_worker(name: str, arguments: list, user: str):
    _, layer = _worker_client()
    try:
        reply_to = await layer.new_channel()
        await layer.send(
            INSTRUMENT_CHANNEL,
            {
                "type": "instrument.call",
                "function": name,
                "arguments": arguments,
                "user": user,
                "reply_to": reply_to,
            },
        )
    except Exception as error:  # Redis down, or the worker's channel full
        raise InstrumentError(f"The instrument process cannot be reached: {error}") from error
    try:
        reply = await asyncio.wait_for(layer.receive(reply_to), timeout=settings.REMOTELAB_INSTRUMENT_TIMEOUT)
    except Exception as error:  # a timeout, or the channel layer (Redis) failing
        raise InstrumentError(
            "The instrument process did not answer. Is `manage.py runworker remotelab-instrument` running?"
        ) from error
    if "retry_after" in reply:
        raise OverBudget(reply["retry_after"])
    if "error" in reply:
        raise (FunctionError if reply.get("refused") else InstrumentError)(reply["error"])
    return reply["result"]


def run_here(function: LabFunction, arguments: list, user: str):
    """Run a checked call on this process's PSLab in `user`'s turn; a JSON-safe result."""
    try:
        return scheduler.wait(_queue(function, arguments, user), settings.REMOTELAB_INSTRUMENT_WAIT)
    except scheduler.NoTurn:
        raise InstrumentError(BUSY) from None


async def serve(function: LabFunction, arguments: list, user: str):
    """`run_here` for the instrument worker, whose event loop takes the next call meanwhile."""
    try:
        return await scheduler.wait_async(
            _queue(function, arguments, user), settings.REMOTELAB_INSTRUMENT_WAIT
        )
    except scheduler.NoTurn:
        raise InstrumentError(BUSY) from None


def _queue(function: LabFunction, arguments: list, user: str) -> Future:
    return _device.submit(user, functools.partial(_charged, function, arguments, user))


def check_budget(user: str) -> None:
    """Raise OverBudget if `user` has no instrument time left now."""
    budget, window = settings.REMOTELAB_INSTRUMENT_BUDGET, settings.REMOTELAB_INSTRUMENT_BUDGET_WINDOW
    if retry_after := ratelimit.budget_wait(BUDGET_SCOPE, user, budget, window):
        raise OverBudget(retry_after)


def _charged(function: LabFunction, arguments: list, user: str):
    """Run the call if `user` has instrument time left (it may have run out while the call
    waited), and charge them the time it takes."""
    check_budget(user)
    started = time.monotonic()
    try:
        return _call(function, arguments)
    finally:
        spent = time.monotonic() - started
        ratelimit.spend(BUDGET_SCOPE, user, spent, settings.REMOTELAB_INSTRUMENT_BUDGET_WINDOW)


def _call(function: LabFunction, arguments: list):
    global _lab
    try:
        lab = _lab
        if lab is None:
            lab = _lab = Lab(open_device(settings.REMOTELAB_INSTRUMENT))
        return json_safe(function.run(lab, *arguments))
    except Exception as error:  # the device may be mid-command: start afresh next time
        _lab = None
        logger.warning("The PSLab failed on %s%s: %r", function.name, tuple(arguments), error)
        raise InstrumentError(f"The PSLab could not do that: {error}") from error


def reset() -> None:
    """Forget the connected PSLab; the next call connects afresh."""
    global _lab
    _lab = None
