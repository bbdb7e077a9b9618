"""Run an untrusted lab script in a bubblewrap sandbox and relay what it produces.

The child (remotelab/runner.py, run by the system's Python) runs as nobody in new namespaces:
no network, its own process tree, a read-only view of the system's /usr (not of the project
nor its database), a small private /tmp, a clean environment, and limits on CPU time,
memory, file size and processes; a wall-clock timeout ends it. Everything it sends is untrusted:
each line is size-capped and schema-checked, widgets are counted, and instrument calls are
validated like function strings before they reach the instrument.
"""

import json
import os
import resource
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

from openevent.errors import Unavailable

from .functions import FUNCTIONS, FunctionError, bind
from .instrument import InstrumentError
from .parser import parse

RUNNER = Path(__file__).with_name("runner.py")
MAX_LINE_BYTES = 256 * 1024
MAX_ERROR_CHARS = 4000
SANDBOX_TMP = "/tmp"  # noqa: S108 - inside the sandbox: its own private tmpfs
SANDBOX_UID = 65534  # nobody


class SandboxUnavailable(Unavailable):
    """bubblewrap is not installed, so scripts cannot run safely here."""


@dataclass
class RunResult:
    status: str = "done"  # done, error, timeout, stopped
    error: str | None = None
    widgets: list[dict] = field(default_factory=list)


def bubblewrap() -> str:
    """The bubblewrap command; SandboxUnavailable where the sandbox cannot be made."""
    path = shutil.which("bwrap")
    if path is None or not os.access(settings.REMOTELAB_SANDBOX_PYTHON, os.X_OK):
        raise SandboxUnavailable(
            "Scripts cannot run on this server: the sandbox needs bubblewrap and the system's python3 "
            "(Debian packages bubblewrap and python3). Single function calls still work."
        )
    return path


def _command() -> list[str]:
    return [
        bubblewrap(),
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--uid", str(SANDBOX_UID),
        "--gid", str(SANDBOX_UID),
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin",
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(settings.REMOTELAB_SCRIPT_TMP_BYTES),
        "--tmpfs", SANDBOX_TMP,
        "--chdir", SANDBOX_TMP,
        "--clearenv",
        "--setenv", "HOME", SANDBOX_TMP,
        "--setenv", "PYTHONHASHSEED", "0",
        "--",
        settings.REMOTELAB_SANDBOX_PYTHON, "-I", "-S", "-c", RUNNER.read_text(),
    ]  # fmt: skip


def _limits() -> Callable[[], None]:
    """What the child does before it starts bubblewrap: limits the script inherits, and, if the
    server runs as root, becoming nobody, so that the process limit holds (root is exempt)."""
    cpu, memory = settings.REMOTELAB_SCRIPT_CPU_SECONDS, settings.REMOTELAB_SCRIPT_MEMORY_BYTES
    file_size, processes = settings.REMOTELAB_SCRIPT_TMP_BYTES, settings.REMOTELAB_SCRIPT_MAX_PROCESSES
    as_root = os.getuid() == 0

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if as_root:
            resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
            os.setgroups([])
            os.setgid(SANDBOX_UID)
            os.setuid(SANDBOX_UID)

    return limit


def check_widget(widget: object) -> dict:
    """The widget, if it is one the page can show; ValueError otherwise."""
    if not isinstance(widget, dict) or not isinstance(widget.get("name"), str) or len(widget["name"]) > 64:
        raise ValueError("a widget needs a name")
    kind = widget.get("type")
    if kind in ("span", "label"):
        if not isinstance(widget.get("value"), str) or widget.get("class", "row well") != "row well":
            raise ValueError(f"a malformed {kind}")
    elif kind == "button":
        action = widget.get("action")
        if not isinstance(widget.get("label"), str) or not isinstance(action, dict):
            raise ValueError("a malformed button")
        parse(action.get("endpoint"))  # a button may only call what a function string may
    elif kind == "plot":
        data = widget.get("data")
        if not (isinstance(data, list) and len(data) == 2 and all(isinstance(axis, list) for axis in data)):
            raise ValueError("a plot needs [x, y]")
        if len(data[0]) != len(data[1]) or not all(
            isinstance(value, int | float) and not isinstance(value, bool) for axis in data for value in axis
        ):
            raise ValueError("a plot's x and y must be numbers of the same length")
    else:
        raise ValueError(f"an unknown widget type {kind!r}")
    return widget


class _Lines:
    """The child's stdout as JSON messages, with a cap on line size and on total output."""

    def __init__(self, stream, budget: int):
        self.stream, self.buffer, self.budget = stream, b"", budget

    def feed(self) -> list[object] | None:
        chunk = os.read(self.stream.fileno(), 65536)
        if not chunk:
            return None
        self.budget -= len(chunk)
        if self.budget < 0:
            raise ValueError("The script wrote more output than a run may have.")
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        if len(self.buffer) > MAX_LINE_BYTES:
            raise ValueError("The script sent a message that is too large.")
        return [json.loads(line) for line in lines if line.strip()]


def run(
    code: str,
    call: Callable[[object, list], object],
    on_widget: Callable[[dict], None] = lambda widget: None,
    stop: threading.Event | None = None,
) -> RunResult:
    """Run `code` in the sandbox. `call(function, arguments)` runs a checked instrument call;
    `on_widget` gets each widget as the script makes it; setting `stop` ends the run."""
    result = RunResult()
    process = subprocess.Popen(  # noqa: S603 - a fixed command line; the script goes through stdin
        _command(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        preexec_fn=_limits(),  # setrlimit and setuid only, before exec
        start_new_session=True,
        env={},
    )
    deadline = time.monotonic() + settings.REMOTELAB_SCRIPT_TIMEOUT
    lines = _Lines(process.stdout, settings.REMOTELAB_SCRIPT_MAX_OUTPUT_BYTES)
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)

    def reply(message: dict) -> None:
        process.stdin.write((json.dumps(message) + "\n").encode())
        process.stdin.flush()

    def finish(status: str, error: str | None = None) -> RunResult:
        result.status, result.error = status, error and error[:MAX_ERROR_CHARS]
        return result

    try:
        reply({"code": code, "functions": sorted(FUNCTIONS)})
        while True:
            if stop is not None and stop.is_set():
                return finish("stopped")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return finish("timeout", f"The script ran longer than {settings.REMOTELAB_SCRIPT_TIMEOUT} s.")
            if not selector.select(timeout=min(remaining, 0.1)):
                continue
            messages = lines.feed()
            if messages is None:
                return finish("error", _exit_reason(process))
            for message in messages:
                if outcome := _handle(message, result, call, on_widget, reply):
                    return finish(*outcome)
    except (ValueError, TypeError, BrokenPipeError) as error:
        return finish("error", f"The script was stopped: {error}")
    finally:
        selector.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stdin.close()
        process.stdout.close()


def _handle(message, result, call, on_widget, reply) -> tuple[str, str | None] | None:
    """Act on one message of the child; (status, error) when the run is over."""
    if not isinstance(message, dict):
        raise ValueError("it sent something that is not a message")
    if "widget" in message:
        if len(result.widgets) >= settings.REMOTELAB_SCRIPT_MAX_WIDGETS:
            raise ValueError(f"it made more than {settings.REMOTELAB_SCRIPT_MAX_WIDGETS} widgets")
        widget = check_widget(message["widget"])
        result.widgets.append(widget)
        on_widget(widget)
    elif "call" in message:
        args, kwargs = message.get("args"), message.get("kwargs")
        if not isinstance(message["call"], str) or not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ValueError("it sent a malformed call")
        try:
            function, arguments = bind(message["call"], args, kwargs)
            reply({"result": call(function, arguments)})
        except (FunctionError, InstrumentError) as error:
            reply({"error": str(error)})
    elif message.get("done") is True:
        return ("done", None)
    elif isinstance(message.get("error"), str):
        return ("error", message["error"])
    else:
        raise ValueError("it sent an unknown message")
    return None


def _exit_reason(process: subprocess.Popen) -> str:
    code = process.wait()
    killed = {signal.SIGXCPU, signal.SIGKILL}
    if -code in killed or code - 128 in killed:  # the signal itself, or bubblewrap's 128 + signal
        return f"The script used more than {settings.REMOTELAB_SCRIPT_CPU_SECONDS} s of CPU time."
    return f"The script ended without finishing (exit code {code}); it may have run out of memory."
