import os
import shutil

import pytest

from remotelab import instrument


def needs(available: bool, what: str):
    """Skip where `what` is missing on a developer's machine; in CI (CI=true), fail instead."""
    return pytest.mark.skipif(not available and not os.environ.get("CI"), reason=f"needs {what}")


needs_sandbox = needs(
    bool(shutil.which("bwrap")) and os.access("/usr/bin/python3", os.X_OK), "bubblewrap and python3"
)
needs_chromium = needs(bool(shutil.which("chromium")), "Debian's chromium (apt install chromium)")


@pytest.fixture(autouse=True)
def _fresh_bench():
    """Every test starts with a newly connected simulated PSLab (outputs at their defaults)."""
    instrument.reset()
    yield
    instrument.reset()
