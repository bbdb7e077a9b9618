"""The remote lab's verbs: call one PSLab function, keep scripts, and run them sandboxed.

A user's function strings and their scripts' instrument calls share one budget of instrument
time and one line at the PSLab (remotelab.instrument)."""

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.models import User
from openevent import ratelimit
from openevent.errors import Conflict, Forbidden

from . import instrument, permissions, sandbox
from .models import MAX_SCRIPT_LENGTH, LabScript
from .parser import parse

EXAMPLES_DIR = Path(__file__).with_name("examples")
RUNS_PER_HOUR = 120
# One script at a time per user (in this process), so nobody holds every sandbox slot.
_running: set[int] = set()
_running_lock = threading.Lock()
# A function call holds its caller's thread (a web request's) while it waits for the PSLab, or for
# the instrument worker's answer: in this process each user has one under way at most, and all
# users REMOTELAB_INSTRUMENT_MAX_WAITING, so calls never hold more of the process's threads.
_calling: set[int] = set()
_calling_lock = threading.Lock()


def _require_lab_user(user: User) -> None:
    if not permissions.may_use_lab(user):
        raise Forbidden("Log in to use the remote lab.")


def call_function(user: User, source: object):
    """Run one function string such as "get_voltage('CH1')" on the PSLab; its JSON-safe result.

    Raises FunctionError for anything but one whitelisted call with valid literal arguments,
    OverBudget (a RateLimited) past the user's instrument time and Conflict while the user has a
    call under way already, at once, and InstrumentError when too many calls wait for the PSLab
    (at once) or it cannot be had within REMOTELAB_INSTRUMENT_WAIT."""
    _require_lab_user(user)
    function, arguments = parse(source)
    instrument.check_budget(str(user.pk))
    with _calling_slot(user):
        return instrument.run(function, arguments, str(user.pk))


@contextlib.contextmanager
def _calling_slot(user: User) -> Iterator[None]:
    """Hold one of this process's places for a function call under way, the user's one."""
    with _calling_lock:
        if user.pk in _calling:
            raise Conflict(
                "You have a function call waiting for the PSLab already. Wait for its answer first."
            )
        if len(_calling) >= settings.REMOTELAB_INSTRUMENT_MAX_WAITING:
            raise instrument.InstrumentError(instrument.BUSY)
        _calling.add(user.pk)
    try:
        yield
    finally:
        with _calling_lock:
            _calling.discard(user.pk)


def run_code(
    user: User,
    code: str,
    on_widget: Callable[[dict], None] = lambda widget: None,
    stop: threading.Event | None = None,
) -> sandbox.RunResult:
    """Run a script in the sandbox, streaming its widgets to `on_widget`; its instrument calls are
    the user's (past the user's instrument time, a call raises the script's LabError)."""
    _require_lab_user(user)
    if len(code) > MAX_SCRIPT_LENGTH:
        raise ValidationError({"code": [f"A script may have {MAX_SCRIPT_LENGTH} characters at most."]})
    ratelimit.check("lab-runs", str(user.pk), RUNS_PER_HOUR, 60 * 60)
    with _running_lock:
        if user.pk in _running:
            raise Conflict("You have a script running already. Stop it, or wait for it to finish.")
        _running.add(user.pk)
    try:
        call = functools.partial(instrument.run, user=str(user.pk))
        result = sandbox.run(code, call, on_widget, stop)  # refuses if it cannot run at all
    finally:
        with _running_lock:
            _running.discard(user.pk)
    ratelimit.record("lab-runs", str(user.pk), 60 * 60)
    return result


def save_script(owner: User, script: LabScript, **changes) -> LabScript:
    """Create (an unsaved `script`) or change one of the owner's scripts."""
    _require_lab_user(owner)
    if script.pk and script.owner_id != owner.pk:
        raise Forbidden("Only its owner may change a script.")
    script.owner = owner
    for field, value in changes.items():
        setattr(script, field, value)
    script.full_clean()
    script.save()
    return script


def delete_script(owner: User, script: LabScript) -> None:
    if script.owner_id != owner.pk:
        raise Forbidden("Only its owner may delete a script.")
    script.delete()


def examples() -> dict[str, str]:
    """The example scripts bundled with OpenEvent, by name."""
    return {path.stem: path.read_text() for path in sorted(EXAMPLES_DIR.glob("*.py"))}
