"""Run an untrusted lab script in a bubblewrap sandbox and relay what it produces.

The child (remotelab/runner.py, run by the system's Python) runs in new namespaces (no
network, its own process tree, no nested user namespaces) over a read-only root that holds
only the system's /usr, a small private /tmp and /dev/shm, and a clean environment. Limits
on CPU time, memory, file size, open files and (where the server runs as root, which is
otherwise exempt) processes come from prlimit; where the server is root the run also gets
a user id of its own per run slot, so one run's processes don't count against another's.
A wall-clock timeout ends it.

Everything the child sends is untrusted: each line is size-capped and parsed strictly,
widgets are rebuilt from the keys the page knows and counted, instrument calls are counted
and checked like function strings, and the answers go out without ever blocking on a
child that stops reading.
"""

import contextlib
import functools
import json
import logging
import math
import os
import queue
import re
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from openevent.errors import Conflict, Unavailable

from .functions import FUNCTIONS, FunctionError, bind
from .parser import parse

logger = logging.getLogger(__name__)

RUNNER = Path(__file__).with_name("runner.py")
MAX_LINE_BYTES = 256 * 1024
MAX_PENDING_REPLY_BYTES = 4 * 1024 * 1024
MAX_ERROR_CHARS = 4000
MAX_PLOT_POINTS = 10000
SANDBOX_TMP = "/tmp"  # noqa: S108 - inside the sandbox: its own private tmpfs
SANDBOX_SHM = "/dev/shm"  # noqa: S108 - likewise, and small
SANDBOX_UID_BASE = 64000  # run slot n runs as uid 64000 + n where the server is root
WIDGET_NAME = re.compile(r"^[\w-]{1,64}$")


class SandboxUnavailable(Unavailable):
    """This machine cannot make the sandbox, so scripts cannot run safely here."""


class SandboxBusy(Conflict):
    """Every run slot is taken."""


@dataclass
class RunResult:
    status: str = "done"  # done, error, timeout, stopped
    error: str | None = None
    widgets: list[dict] = field(default_factory=list)


@functools.cache
def _slots() -> queue.SimpleQueue:
    slots = queue.SimpleQueue()
    for slot in range(settings.REMOTELAB_MAX_RUNS):
        slots.put(slot)
    return slots


def bubblewrap() -> str:
    """The bubblewrap command, once it has shown it can make a sandbox here."""
    path = shutil.which("bwrap")
    if path is None or not os.access(settings.REMOTELAB_SANDBOX_PYTHON, os.X_OK):
        raise SandboxUnavailable(
            "Scripts cannot run on this server: the sandbox needs bubblewrap and the system's python3 "
            "(Debian packages bubblewrap and python3). Single function calls still work."
        )
    problem = _probe(path)
    if problem:
        raise SandboxUnavailable(
            f"Scripts cannot run on this server: {problem} Single function calls still work."
        )
    return path


@functools.cache
def _probe(path: str) -> str | None:
    """Why the sandbox cannot be made here (say, no user namespaces), or None if it can."""
    for project_path in (settings.BASE_DIR, Path(str(settings.DATABASES["default"]["NAME"]))):
        if Path(project_path).resolve().is_relative_to("/usr"):
            return f"the project ({project_path}) lies under /usr, which the sandbox shows its scripts."
    probe = subprocess.run(  # noqa: S603 - a fixed command line
        [*_sandbox_command(path, SANDBOX_UID_BASE), "-c", "pass"],
        capture_output=True,
        text=True,
        timeout=30,
        **_as_sandbox_user(SANDBOX_UID_BASE),
    )
    if probe.returncode != 0:
        return f"bubblewrap could not make a sandbox ({probe.stderr.strip()[:200]})."
    return None


def _sandbox_command(bwrap: str, uid: int) -> list[str]:
    """bubblewrap, limited by prlimit, about to start the sandbox's Python."""
    cpu, memory = settings.REMOTELAB_SCRIPT_CPU_SECONDS, settings.REMOTELAB_SCRIPT_MEMORY_BYTES
    limits = [
        f"--cpu={cpu}:{cpu + 1}",
        f"--as={memory}",
        f"--fsize={settings.REMOTELAB_SCRIPT_TMP_BYTES}",
        f"--nofile={settings.REMOTELAB_SCRIPT_MAX_FILES}",
        "--core=0",
    ]
    if os.getuid() == 0:  # root is exempt from the process limit; the run's own uid is not
        limits.append(f"--nproc={settings.REMOTELAB_SCRIPT_MAX_PROCESSES}")
    return [
        "prlimit", *limits, "--",
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--uid", str(uid),
        "--gid", str(uid),
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin",
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(1024 * 1024),
        "--tmpfs", SANDBOX_SHM,
        "--size", str(settings.REMOTELAB_SCRIPT_TMP_BYTES),
        "--tmpfs", SANDBOX_TMP,
        "--remount-ro", "/",
        "--chdir", SANDBOX_TMP,
        "--clearenv",
        "--setenv", "HOME", SANDBOX_TMP,
        "--setenv", "PYTHONHASHSEED", "0",
        "--",
        settings.REMOTELAB_SANDBOX_PYTHON, "-I", "-S",
    ]  # fmt: skip


def _as_sandbox_user(uid: int) -> dict:
    """Popen's arguments to start the sandbox as `uid`, where the server is root."""
    if os.getuid() != 0:
        return {}
    return {"user": uid, "group": uid, "extra_groups": []}


def _reject_constant(name: str):
    raise ValueError(f"it sent {name}, which is not a JSON number")


def _loads(line: bytes):
    return json.loads(line, parse_constant=_reject_constant)


def _finite_numbers(values: object) -> list:
    if not isinstance(values, list) or len(values) > MAX_PLOT_POINTS:
        raise ValueError(f"a plot's x and y must be lists of at most {MAX_PLOT_POINTS} numbers")
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
        raise ValueError("a plot's x and y must be numbers")
    if not all(math.isfinite(value) for value in values if isinstance(value, float)):
        raise ValueError("a plot's numbers must be finite")
    return values


def check_widget(widget: object) -> dict:
    """The widget rebuilt from the keys the page knows; ValueError if it is not one it can show."""
    if (
        not isinstance(widget, dict)
        or not isinstance(widget.get("name"), str)
        or not WIDGET_NAME.match(widget["name"])
    ):
        raise ValueError("a widget needs a name of letters, digits, - and _")
    name, kind = widget["name"], widget.get("type")
    if kind in ("span", "label"):
        if not isinstance(widget.get("value"), str):
            raise ValueError(f"a {kind} needs a text value")
        rebuilt = {"type": kind, "name": name, "value": widget["value"]}
        if widget.get("class") == "row well":
            rebuilt["class"] = "row well"
        return rebuilt
    if kind == "button":
        action = widget.get("action")
        if not isinstance(widget.get("label"), str) or not isinstance(action, dict):
            raise ValueError("a button needs a label and an action")
        parse(action.get("endpoint"))  # a button may only call what a function string may
        success = {"datapoint": "result", "type": "display_number", "target": f"{name}-label"}
        return {
            "type": "button",
            "name": name,
            "label": widget["label"],
            "fetched_value": "",
            "action": {"type": "POST", "endpoint": action["endpoint"], "success": success},
        }
    if kind == "plot":
        data = widget.get("data")
        if not (isinstance(data, list) and len(data) == 2):
            raise ValueError("a plot needs [x, y]")
        x, y = _finite_numbers(data[0]), _finite_numbers(data[1])
        if len(x) != len(y):
            raise ValueError("a plot's x and y must have the same length")
        return {"type": "plot", "name": name, "data": [x, y]}
    raise ValueError(f"an unknown widget type {kind!r}")


class _Child:
    """The sandboxed process and the two pipes to it, never blocking on either."""

    def __init__(self, uid: int):
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line; the script goes through stdin
            [*_sandbox_command(bubblewrap(), uid), "-c", RUNNER.read_text()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={"PATH": "/usr/bin:/bin"},
            **_as_sandbox_user(uid),
        )
        self.stdin, self.stdout = self.process.stdin.fileno(), self.process.stdout.fileno()
        os.set_blocking(self.stdin, False)
        self.incoming, self.outgoing = b"", bytearray()
        self.output_left = settings.REMOTELAB_SCRIPT_MAX_OUTPUT_BYTES
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.stdout, selectors.EVENT_READ)

    def send(self, message: dict) -> None:
        self.outgoing += (json.dumps(message) + "\n").encode()
        if len(self.outgoing) > MAX_PENDING_REPLY_BYTES:
            raise ValueError("it stopped reading the answers to its calls")

    def wait(self, timeout: float) -> list[object] | None:
        """Messages the child sent within `timeout` (maybe none); None once it has closed stdout."""
        events = self.selector.get_map().get(self.stdin)
        if self.outgoing and events is None:
            self.selector.register(self.stdin, selectors.EVENT_WRITE)
        elif not self.outgoing and events is not None:
            self.selector.unregister(self.stdin)
        messages: list[object] = []
        for key, _ in self.selector.select(timeout):
            if key.fd == self.stdin:
                with contextlib.suppress(BlockingIOError):
                    del self.outgoing[: os.write(self.stdin, self.outgoing)]
                continue
            chunk = os.read(self.stdout, 65536)
            if not chunk:
                return None
            self.output_left -= len(chunk)
            if self.output_left < 0:
                raise ValueError("it wrote more output than a run may have")
            *lines, self.incoming = (self.incoming + chunk).split(b"\n")
            if len(self.incoming) > MAX_LINE_BYTES:
                raise ValueError("it sent a message that is too large")
            messages += [_loads(line) for line in lines if line.strip()]
        return messages

    def end(self) -> int:
        self.selector.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        code = self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()
        return code


def run(
    code: str,
    call: Callable[[object, list], object],
    on_widget: Callable[[dict], None] = lambda widget: None,
    stop: threading.Event | None = None,
) -> RunResult:
    """Run `code` in the sandbox. `call(function, arguments)` runs a checked instrument call;
    `on_widget` gets each widget as the script makes it; setting `stop` ends the run.
    Raises SandboxUnavailable where there is no sandbox and SandboxBusy when all run slots are."""
    bubblewrap()
    try:
        slot = _slots().get_nowait()
    except queue.Empty as error:
        raise SandboxBusy("Every lab sandbox is busy. Try again in a moment.") from error
    try:
        child = _Child(SANDBOX_UID_BASE + slot)
        result = RunResult()
        try:
            result.status, result.error = _converse(child, code, call, on_widget, stop, result)
        except Exception as error:  # whatever the child sends, the run ends cleanly
            if not isinstance(error, ValueError | TypeError | RecursionError | FunctionError):
                logger.exception("A lab run failed")
            result.status, result.error = "error", f"The script was stopped: {error}"
        finally:
            exit_code = child.end()
        if result.status == "ended":
            result.status, result.error = "error", _exit_reason(exit_code)
        result.error = result.error and result.error[:MAX_ERROR_CHARS]
        return result
    finally:
        _slots().put(slot)


def _converse(child: _Child, code, call, on_widget, stop, result) -> tuple[str, str | None]:
    """Serve the child until the run is over: (status, error); status "ended" if it just quit."""
    deadline = time.monotonic() + settings.REMOTELAB_SCRIPT_TIMEOUT
    calls_left = settings.REMOTELAB_SCRIPT_MAX_CALLS
    child.send({"code": code, "functions": sorted(FUNCTIONS)})
    while True:
        if stop is not None and stop.is_set():
            return "stopped", None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timeout", f"The script ran longer than {settings.REMOTELAB_SCRIPT_TIMEOUT} s."
        messages = child.wait(min(remaining, 0.1))
        if messages is None:
            return "ended", None
        for message in messages:
            if not isinstance(message, dict):
                raise ValueError("it sent something that is not a message")
            if "widget" in message:
                if len(result.widgets) >= settings.REMOTELAB_SCRIPT_MAX_WIDGETS:
                    raise ValueError(f"it made more than {settings.REMOTELAB_SCRIPT_MAX_WIDGETS} widgets")
                widget = check_widget(message["widget"])
                result.widgets.append(widget)
                on_widget(widget)
            elif "call" in message:
                calls_left -= 1
                if calls_left < 0:
                    raise ValueError(
                        f"it called the instrument more than {settings.REMOTELAB_SCRIPT_MAX_CALLS} times"
                    )
                child.send(_answer(message, call))
            elif message.get("done") is True:
                return "done", None
            elif isinstance(message.get("error"), str):
                return "error", message["error"]
            else:
                raise ValueError("it sent an unknown message")


def _answer(message: dict, call) -> dict:
    args, kwargs = message.get("args"), message.get("kwargs")
    if not isinstance(message["call"], str) or not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ValueError("it sent a malformed call")
    try:
        function, arguments = bind(message["call"], args, kwargs)
        return {"result": call(function, arguments)}
    except (FunctionError, Unavailable) as error:
        return {"error": str(error)}


def _exit_reason(code: int) -> str:
    killed = {signal.SIGXCPU, signal.SIGKILL}
    if -code in killed or code - 128 in killed:  # the signal itself, or bubblewrap's 128 + signal
        return f"The script used more than {settings.REMOTELAB_SCRIPT_CPU_SECONDS} s of CPU time."
    return f"The script ended without finishing (exit code {code}); it may have run out of memory."
