import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings as django_settings

from openevent.settings import redis_channel_layers
from openevent.tests.browser import needs
from remotelab import instrument
from remotelab.parser import parse

REDIS_URL = os.environ.get("REDIS_TEST_URL", "")


needs_sandbox = needs(
    bool(shutil.which("bwrap")) and os.access("/usr/bin/python3", os.X_OK), "bubblewrap and python3"
)
needs_redis = needs(bool(REDIS_URL), "REDIS_TEST_URL, a Redis server (CI starts one)")


@pytest.fixture(autouse=True)
def _fresh_bench():
    """Every test starts with a newly connected simulated PSLab (outputs at their defaults)."""
    instrument.reset()
    yield
    instrument.reset()


@pytest.fixture
def redis_layer(settings):
    settings.CHANNEL_LAYERS = redis_channel_layers(REDIS_URL)
    settings.REMOTELAB_INSTRUMENT_PROCESS = "worker"
    instrument._worker_client.cache_clear()
    yield
    instrument._worker_client.cache_clear()


@pytest.fixture
def worker_env() -> dict[str, str]:
    """More environment for the instrument worker (its settings); a test may parametrize it."""
    return {}


@pytest.fixture
def instrument_worker(redis_layer, worker_env):
    """`manage.py runworker remotelab-instrument` in its own process, as in production."""
    env = os.environ | {"REDIS_URL": REDIS_URL, "REMOTELAB_INSTRUMENT_PROCESS": "worker"} | worker_env
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "runworker", instrument.INSTRUMENT_CHANNEL],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:  # ready once it answers
            try:
                instrument.run(*parse("get_resistance()"), f"warm-up-{uuid.uuid4()}")
                break
            except instrument.InstrumentError:
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise
        yield worker
    finally:
        worker.terminate()
        worker.wait(10)
