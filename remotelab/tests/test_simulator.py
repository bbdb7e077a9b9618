"""The simulated PSLab answers the real pslab instruments as the device would, on its simulated bench."""

import numpy as np
import pslab.protocol as CP
import pytest
from pslab.instrument.logic_analyzer import LogicAnalyzer
from pslab.instrument.multimeter import Multimeter
from pslab.instrument.oscilloscope import Oscilloscope
from pslab.instrument.power_supply import PowerSupply
from pslab.instrument.waveform_generator import PWMGenerator, WaveformGenerator
from pslab.sciencelab import ScienceLab

from remotelab.simulator import SimulatedPSLab

ADC12_STEP = 6.6 / 4095  # one step of a 12-bit reading on a 6.6 V wide input
ADC10_STEP = 6.6 / 1023


@pytest.fixture
def sim() -> SimulatedPSLab:
    return SimulatedPSLab()


def dominant_frequency(time_us: np.ndarray, volts: np.ndarray) -> float:
    """The frequency, in Hz, of the signal's rising zero crossings, interpolated between samples."""
    (index,) = np.nonzero((volts[:-1] < 0) & (volts[1:] >= 0))
    step = -volts[index] / (volts[index + 1] - volts[index])
    crossings = time_us[index] + step * (time_us[index + 1] - time_us[index])
    assert len(crossings) >= 3
    return (len(crossings) - 1) / (crossings[-1] - crossings[0]) * 1e6


def test_handshake(sim):
    assert "PSLab" in sim.get_version()
    assert sim.get_firmware_version().major == 3
    assert ScienceLab(device=sim).firmware.major == 3


def test_bytes_may_arrive_in_any_chunks_and_reads_time_out_empty(sim):
    assert sim.read(1) == b""
    command = CP.ADC + CP.GET_VOLTAGE_SUMMED + bytes([8])  # the VOL input
    for byte in command:
        sim.write(bytes([byte]))
    one = sim.read(10)
    sim.write(command)
    two = sim.read(10)
    assert len(one) == len(two) == 3  # a two-byte sum of 16 samples, then the acknowledge
    assert one[-1] == two[-1] == 1
    assert int.from_bytes(one[:2], "little") == pytest.approx(0, abs=16 * 4)  # PV2 is at 0 V


def test_disconnected_device_refuses_traffic(sim):
    sim.disconnect()
    with pytest.raises(ConnectionError):
        sim.write(CP.COMMON + CP.GET_VERSION)
    sim.connect()
    assert "PSLab" in sim.get_version()


@pytest.mark.parametrize("volts", [2.5, -1.5, 0.0])
def test_pv1_reads_back_on_ch3(sim, volts):
    PowerSupply(device=sim).pv1 = volts
    assert Multimeter(device=sim).measure_voltage("CH3") == pytest.approx(
        volts, abs=10 / 3300 + 2 * ADC12_STEP
    )


@pytest.mark.parametrize(("volts", "expected"), [(1.2, 1.2), (3.0, 3.0), (-1.5, 0.0)])
def test_pv2_reads_back_on_vol_which_reads_0_to_3v3(sim, volts, expected):
    PowerSupply(device=sim).pv2 = volts
    assert Multimeter(device=sim).measure_voltage("VOL") == pytest.approx(
        expected, abs=6.6 / 3300 + ADC12_STEP
    )


def test_unconnected_mic_reads_about_0v(sim):
    assert Multimeter(device=sim).measure_voltage("MIC") == pytest.approx(0, abs=2 * ADC12_STEP)


@pytest.mark.parametrize(("volts", "gain"), [(0.7, 16), (-0.3, 32), (2.5, 5), (-3.0, 5)])
def test_ch1_autoranges_its_gain(sim, volts, gain):
    """A constant waveform table makes W1, wired to CH1, a DC source; the multimeter picks the gain."""
    WaveformGenerator(device=sim).load_table("SI1", np.full(512, volts))
    multimeter = Multimeter(device=sim)
    assert multimeter.measure_voltage("CH1") == pytest.approx(volts, abs=0.02)
    assert multimeter._channels["CH1"].gain == gain


def test_resistance_of_the_10k_resistor(sim):
    assert Multimeter(device=sim).measure_resistance() == pytest.approx(10e3, rel=0.05)


def test_capacitance_of_the_1nf_capacitor(sim):
    assert Multimeter(device=sim).measure_capacitance() == pytest.approx(1e-9, rel=0.1)


def test_capture_ch1_shows_w1_and_follows_the_generator(sim):
    scope = Oscilloscope(device=sim)
    time_us, volts = scope.capture(1, 200, 20)
    assert len(time_us) == len(volts) == 200
    assert np.diff(time_us) == pytest.approx(20)
    assert dominant_frequency(time_us, volts) == pytest.approx(1000, rel=0.02)
    assert volts.max() == pytest.approx(3.3, abs=0.1)
    assert volts.min() == pytest.approx(-3.3, abs=0.1)

    assert WaveformGenerator(device=sim).generate(["SI1"], 2000) == [2000]
    time_us, volts = scope.capture(1, 200, 20)
    assert dominant_frequency(time_us, volts) == pytest.approx(2000, rel=0.02)


def test_trigger_starts_the_capture_on_a_rising_level(sim):
    _, volts = Oscilloscope(device=sim).capture(1, 100, 10, trigger=1.0)
    assert volts[0] == pytest.approx(1.0, abs=0.3)  # W1 rises about 0.2 V in 10 us
    assert volts[1] > volts[0]


def test_two_and_four_channel_captures(sim):
    PowerSupply(device=sim).pv1 = 1.0
    WaveformGenerator(device=sim).generate(["SI2"], 500)
    scope = Oscilloscope(device=sim)

    time_us, ch1, ch2 = scope.capture(2, 400, 20)
    assert dominant_frequency(time_us, ch1) == pytest.approx(1000, rel=0.02)
    assert dominant_frequency(time_us, ch2) == pytest.approx(500, rel=0.02)

    traces = scope.capture(4, 400, 20)
    assert len(traces) == 5
    time_us, ch1, ch2, ch3, mic = traces
    assert all(len(trace) == 400 for trace in traces)
    assert dominant_frequency(time_us, ch2) == pytest.approx(500, rel=0.02)
    assert ch3 == pytest.approx(np.full(400, 1.0), abs=10 / 3300 + 2 * ADC10_STEP)
    assert mic == pytest.approx(np.zeros(400), abs=2 * ADC10_STEP)


def test_logic_analyzer_measures_w1_and_w2(sim):
    analyzer = LogicAnalyzer(device=sim)
    assert analyzer.measure_frequency("LA1") == pytest.approx(1000, rel=0.02)
    assert analyzer.measure_frequency("LA2") == pytest.approx(1000, rel=0.02)

    (frequency,) = WaveformGenerator(device=sim).generate(["SI2"], 1500)
    assert analyzer.measure_frequency("LA2") == pytest.approx(frequency, rel=0.02)


def test_unknown_commands_raise_and_the_device_recovers(sim):
    with pytest.raises(NotImplementedError, match="01 02"):
        sim.write(CP.Byte.pack(1) + CP.Byte.pack(2))  # FLASH, WRITE_FLASH
    with pytest.raises(NotImplementedError, match="08 01"):
        PWMGenerator(device=sim).set_state(sq1=True)  # DOUT, SET_STATE
    assert "PSLab" in sim.get_version()
