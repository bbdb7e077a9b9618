"""The bundled examples run to the end on the simulated PSLab and plot what its inputs can measure,
with axes that say what they show."""

import pytest

from accounts.factories import UserFactory
from remotelab import services
from remotelab.tests.conftest import needs_sandbox

pytestmark = [needs_sandbox, pytest.mark.django_db]


def run_example(name: str) -> list[dict]:
    result = services.run_code(UserFactory(), services.examples()[name])
    assert result.status == "done", result.error
    return result.widgets


def plot_of(widgets: list[dict]) -> dict:
    (plot,) = [widget for widget in widgets if widget["type"] == "plot"]
    return plot


@pytest.mark.parametrize("name", sorted(services.examples()))
def test_each_example_runs_to_the_end(name):
    assert run_example(name)


def test_the_power_supply_sweep_stays_within_what_ch3_measures():
    plot = plot_of(run_example("power_supply_sweep"))
    set_points, measured = plot["data"]

    assert (min(set_points), max(set_points)) == (-3.3, 3.3)
    assert all(abs(got - wanted) < 0.05 for wanted, got in zip(set_points, measured, strict=True))
    assert (plot["xlabel"], plot["ylabel"]) == ("PV1 set (V)", "CH3 measured (V)")


def test_the_sine_wave_is_plotted_against_milliseconds():
    plot = plot_of(run_example("sine_wave"))

    assert (plot["xlabel"], plot["ylabel"]) == ("Time (ms)", "Voltage (V)")
    assert 0 < max(plot["data"][0]) < 5  # 400 samples 10 µs apart: 4 ms
