"""What the benchmarks share: a throwaway database migrated and Django set up in this process,
and the app served as the README's production layout serves it (`python -m openevent.server`
processes on consecutive ports)."""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent


def set_up(database_url: str, **environment) -> None:
    """Migrate `database_url` and set Django up on it here; the servers inherit the environment."""
    os.environ.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,testserver",
        DJANGO_SETTINGS_MODULE="openevent.settings",
        **environment,
    )
    manage = [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"]
    subprocess.run(manage, cwd=ROOT, check=True)  # noqa: S603
    sys.path.insert(0, str(ROOT))
    warnings.filterwarnings("ignore", "No directory at")  # WhiteNoise's: static files are not collected
    django.setup()


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def free_ports(count: int) -> list[int]:
    """`count` consecutive ports nothing listens on (yet)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports = list(range(probe.getsockname()[1], probe.getsockname()[1] + count))
        try:
            for port in ports:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
            return ports
        except OSError:
            continue
    raise SystemExit(f"no {count} consecutive free ports")


def wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode}")
        try:
            if get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "/v1/events")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server on port {port} did not answer")


@contextmanager
def servers(count: int, log) -> Iterator[list[int]]:
    """`count` daphne processes, with this process's environment, stopped on the way out."""
    ports, processes = free_ports(count), []
    try:
        for port in ports:
            command = [sys.executable, "-m", "openevent.server", "-b", "127.0.0.1", "-p", str(port)]
            command.append("openevent.asgi:application")
            processes.append(subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603
        for port, process in zip(ports, processes, strict=True):
            wait_until_up(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
