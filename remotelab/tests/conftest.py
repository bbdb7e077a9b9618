import pytest

from remotelab import instrument


@pytest.fixture(autouse=True)
def _fresh_bench():
    """Every test starts with a newly connected simulated PSLab (outputs at their defaults)."""
    instrument.reset()
    yield
    instrument.reset()
