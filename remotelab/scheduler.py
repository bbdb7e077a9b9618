"""Turns at one device that many users share: each user's jobs in the order they came, the
users round robin, so nobody waits for more than one job of each other waiting user."""

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future


class NoTurn(Exception):
    """A job's turn did not come in time, and it was withdrawn."""


class RoundRobin:
    """Runs the jobs it is given on a thread of its own, one at a time.

    A user has one job at the device at most: the user then waits behind everyone waiting, and
    a user who starts waiting joins the end of the round. A job given up on before its turn
    (its future cancelled) is dropped unrun.
    """

    def __init__(self, name: str):
        self.name = name
        self._changed = threading.Condition()
        self._jobs: dict[str, deque[tuple[Future, Callable[[], object]]]] = {}  # each user's, waiting
        self._round: dict[str, None] = {}  # the users whose turn is to come, in order
        self._serving: str | None = None
        self._thread: threading.Thread | None = None

    def submit(self, user: str, job: Callable[[], object]) -> Future:
        """Queue `job` in `user`'s line; its future has the job's result."""
        future: Future = Future()
        with self._changed:
            self._jobs.setdefault(user, deque()).append((future, job))
            if user != self._serving:
                self._round.setdefault(user, None)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
                self._thread.start()
            self._changed.notify()
        return future

    def _next(self) -> tuple[Future, Callable[[], object]]:
        """The next user's first job not given up on, once there is one."""
        with self._changed:
            while True:
                self._changed.wait_for(lambda: self._round)
                user = next(iter(self._round))
                del self._round[user]
                jobs = self._jobs[user]
                while jobs:
                    future, job = jobs.popleft()
                    if future.set_running_or_notify_cancel():
                        self._serving = user
                        return future, job
                del self._jobs[user]

    def _done(self) -> None:
        with self._changed:
            user, self._serving = self._serving, None
            if self._jobs[user]:
                self._round[user] = None  # behind everyone waiting
            else:
                del self._jobs[user]

    def _serve(self) -> None:
        while True:
            future, job = self._next()
            try:
                result = job()
            except BaseException as error:  # the job's caller gets it; the device keeps serving
                future.set_exception(error)
            else:
                future.set_result(result)
            self._done()


def wait(future: Future, timeout: float):
    """The job's result. Raises NoTurn if it has not started within `timeout` seconds."""
    try:
        return future.result(timeout)
    except TimeoutError:
        if future.cancel():
            raise NoTurn from None
        return future.result()  # it is running, or it raised TimeoutError itself


async def wait_async(future: Future, timeout: float):
    """`wait`, for a coroutine: the event loop serves on meanwhile."""
    try:
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)
    except TimeoutError:
        if future.cancel():
            raise NoTurn from None
        return await asyncio.wrap_future(future)
