"""The lab's websocket, `/ws/remotelab/`: run scripts with their widgets streamed as they come,
stop them, and call single functions (what the buttons of a script do).

Client: {"type": "run", "script": <id>} or {"type": "run", "code": "..."}, {"type": "stop"},
{"type": "eval", "function": "get_voltage('CH1')", "id": <any, echoed>}.
Server: {"type": "started", "run": n}, {"type": "widget", "widget": {...}} per widget,
{"type": "finished", "run": n, "status": "done" | "error" | "timeout" | "stopped", "error": ...},
{"type": "result", "function": ..., "result": ..., "id": ...}, and {"type": "error", "error": ...}.

Instrument calls and sandboxes block, so they run in threads: the event loop keeps serving.
"""

import asyncio
import functools
import json
import logging
import re
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

from channels.consumer import AsyncConsumer
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError

from openevent.errors import DomainError
from openevent.ratelimit import RateLimited

from . import instrument, permissions, services
from .functions import FunctionError, bind

logger = logging.getLogger(__name__)
NOT_LOGGED_IN = 4401
SCRIPT_ID = re.compile(r"[0-9]{1,18}")  # a script's id as text: ASCII digits a row's key can hold
# The lab's blocking work (instrument calls, sandboxes) has threads of its own, so a few slow
# calls cannot starve the rest of the server's sync work, nor the other way round.
_lab_threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lab")
_answering: set[asyncio.Task] = set()  # the instrument worker's answers under way
# A user's function calls take a lab thread one at a time (the rest wait on the event loop),
# so one user's many sockets cannot hold every thread while others' calls queue behind them.
_calling: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()


def _in_lab_thread(function, *args):
    return asyncio.get_running_loop().run_in_executor(_lab_threads, functools.partial(function, *args))


REFUSALS = (FunctionError, DomainError, RateLimited, ValidationError)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


class LabConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        self.runs = 0
        self.running: asyncio.Task | None = None
        self.stop_running = threading.Event()
        await self.accept()
        if not (self.user and permissions.may_use_lab(self.user)):
            await self.close(code=NOT_LOGGED_IN)

    async def disconnect(self, code):
        self.stop_running.set()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            content = json.loads(text_data or "")
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "error": "Send JSON objects with a type."})
            return
        handlers = {"run": self.run, "eval": self.call_function, "stop": self.stop}
        handler = handlers.get(content.get("type"))
        if handler is None:
            await self.send_json({"type": "error", "error": 'The type must be "run", "eval" or "stop".'})
            return
        try:
            await handler(content)
        except Exception:  # the socket stays up; the failure is logged
            logger.exception("The lab websocket failed on %r", content.get("type"))
            await self.send_json({"type": "error", "error": "The lab failed to do that. Please try again."})

    async def call_function(self, content):
        function, request_id = content.get("function"), content.get("id")
        try:
            async with _calling.setdefault(self.user.pk, asyncio.Lock()):
                result = await _in_lab_thread(services.call_function, self.user, function)
        except REFUSALS as error:
            await self.send_json(
                {"type": "error", "function": function, "id": request_id, "error": _message(error)}
            )
        else:
            await self.send_json({"type": "result", "function": function, "id": request_id, "result": result})

    async def stop(self, content):
        self.stop_running.set()

    async def run(self, content):
        if self.running is not None and not self.running.done():
            await self.send_json({"type": "error", "error": "A script is running already. Stop it first."})
            return
        code = await self._code(content)
        if code is None:
            await self.send_json({"type": "error", "error": "Name one of your scripts, or send code."})
            return
        self.runs += 1
        self.stop_running = threading.Event()
        await self.send_json({"type": "started", "run": self.runs})
        self.running = asyncio.create_task(self._stream(self.runs, code, self.stop_running))

    @database_sync_to_async
    def _script_code(self, script_id) -> str | None:
        script = permissions.visible_scripts(self.user).filter(pk=script_id).first()
        return script.code if script else None

    async def _code(self, content) -> str | None:
        if isinstance(content.get("code"), str):
            return content["code"]
        script_id = content.get("script")
        if isinstance(script_id, str) and SCRIPT_ID.fullmatch(script_id):
            script_id = int(script_id)
        if isinstance(script_id, int) and not isinstance(script_id, bool) and 0 < script_id < 2**63:
            return await self._script_code(script_id)
        return None

    async def _stream(self, run: int, code: str, stop: threading.Event) -> None:
        """Run the script in a thread and forward each widget the moment it is made."""
        loop = asyncio.get_running_loop()
        widgets: asyncio.Queue = asyncio.Queue()

        def on_widget(widget):
            loop.call_soon_threadsafe(widgets.put_nowait, widget)

        job = asyncio.ensure_future(_in_lab_thread(services.run_code, self.user, code, on_widget, stop))
        while not job.done() or not widgets.empty():
            next_widget = asyncio.ensure_future(widgets.get())
            await asyncio.wait({next_widget, job}, return_when=asyncio.FIRST_COMPLETED)
            if next_widget.done():
                await self.send_json({"type": "widget", "run": run, "widget": next_widget.result()})
            else:
                next_widget.cancel()
        try:
            outcome = job.result()
        except REFUSALS as error:
            await self.send_json(
                {"type": "finished", "run": run, "status": "error", "error": _message(error)}
            )
        else:
            await self.send_json(
                {"type": "finished", "run": run, "status": outcome.status, "error": outcome.error}
            )


class InstrumentConsumer(AsyncConsumer):
    """The process that owns the PSLab (`manage.py runworker remotelab-instrument`): it queues
    the calls the web processes send (remotelab.instrument.run), checking them once more, and
    answers each once the PSLab has run it in its user's turn."""

    async def instrument_call(self, message):
        # Answered by a task of its own, so the next call joins its user's line at once.
        task = asyncio.create_task(self._answer(message))
        _answering.add(task)
        task.add_done_callback(_answering.discard)

    async def _answer(self, message):
        try:
            function, arguments = bind(message["function"], message["arguments"], {})
            reply = {"result": await instrument.serve(function, arguments, message["user"])}
        except FunctionError as error:
            reply = {"error": str(error), "refused": True}
        except RateLimited as error:
            reply = {"error": str(error), "retry_after": error.retry_after}
        except Exception as error:  # whatever happens, the worker answers and keeps serving
            reply = {"error": str(error)}
        await self.channel_layer.send(message["reply_to"], reply)
