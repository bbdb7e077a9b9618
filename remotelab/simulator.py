"""A simulated PSLab that speaks the device's serial byte protocol, for demos and tests.

`SimulatedPSLab` is a `pslab.connection.ConnectionHandler`: the real pslab instruments run on it
unmodified. Bytes written to it feed a command parser that answers as the PSLab firmware (3.x)
does: the same argument layouts, little-endian integers, sample buffer and acknowledge byte
(0x01). A command the simulator does not implement raises NotImplementedError naming its bytes.

The simulated bench (PSLab V5 pinout, as pslab's instruments model it):

- W1 (SI1) is wired to CH1 and LA1; W2 (SI2) is wired to CH2 and LA2. Both start as the
  firmware's default full-scale sine (amplitude 3.3 V) at 1 kHz; WaveformGenerator.generate
  changes the frequency and load_function/load_table the waveform (the 512-point table below
  1100 Hz, the 32-point table above, as on the device; the analog output interpolates
  linearly between table points).
- PV1 is wired to CH3 and PV2 to VOL; every power output starts at 0 V. VOL, like the real
  input, measures 0 to 3.3 V only: a negative PV2 reads 0 V.
- MIC and AN4 are not connected and read 0 V. PV3, PCS, LA3, LA4 and the SQ pins are open.
- RES (SEN on the V6) has a 10 kOhm resistor to ground (against the 5.1 kOhm pull-up to 3.3 V
  that pslab's measure_resistance assumes).
- CAP has a 1 nF capacitor to ground, a value pslab's constant-current (CTMU) method measures
  well: its first step (0.55 uA for 10 us) charges 1 nF to 5 mV, six ADC steps, and it then
  charges it to 2.97 V in about 5.7 ms. (On 100 nF that first step gives 55 uV, which reads
  as 0 V, and measure_capacitance divides by it.) The CAP pin's 46 pF stray capacitance is
  simulated too, so the measurement comes out at the nominal value. SET_CAP charges or
  discharges the capacitor through 10 kOhm.
- The logic analyzer's inputs switch at 1.65 V.

Time is simulated, never slept: the clock advances 10 us per byte on the wire (1 MBd, 8N1),
by the duration of blocking firmware steps (summed voltage readings, SET_CAP, capacitance
charging), and over whole oscilloscope captures, whose samples are taken when the capture
command arrives. A logic analyzer capture records all its events when it starts. Each analog
sample gets Gaussian noise (`noise` volts rms, from a generator seeded with `seed`), so runs are
reproducible.
"""

import struct
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import numpy.typing as npt
import pslab.protocol as CP
from pslab.connection import ConnectionHandler
from pslab.instrument.analog import GAIN_VALUES, INPUT_RANGES, PIC_ADC_MULTIPLEX

Floats = npt.NDArray[np.float64]
Parser = Generator[int, bytes, None]  # yields how many bytes it needs next, is sent those bytes

VERSION = b"PSLab V5\n"
FIRMWARE_VERSION = (3, 0, 0)

_ACK = b"\x01"
_BYTE_TIME = 10e-6  # one byte at 1 MBd, 8N1
_RAIL = 3.3
_LOGIC_THRESHOLD = 1.65
_QUARTER = CP.MAX_SAMPLES // 4  # the firmware splits its sample buffer in four regions
_PINS = {mux: pin for pin, mux in PIC_ADC_MULTIPLEX.items()}
_PGA_PINS = {1: "CH1", 2: "CH2"}
_CH123_MUXES = (0, 1, 2)  # ADC inputs CH1-CH3 sample AN0-AN2: the CH2, CH3 and MIC pins
_SUMMED_SAMPLE_GAP = 5e-6
_TRIGGER_TIMEOUT = 8e-3
_PRESCALERS = (1, 8, 64, 256)
_PWM_PERIODS = {True: 512, False: 64}  # full-scale duty of the high- and low-resolution tables
_POWER_RANGES = {3: (-5.0, 5.0), 2: (-3.3, 3.3), 1: (0.0, 3.3), 0: (3.3e-3, 0.0)}  # at 0 and 3300
_PV1, _PV2 = 3, 2
_DAC_FULL_SCALE = 3300
_RES_PULL_UP = 5.1e3
_CAP_SERIES_RESISTANCE = 10e3
_CAP_STRAY = 46e-12
_CTMU_CURRENTS = (5.5e-4, 5.5e-7, 5.5e-6, 5.5e-5)  # by current range (IRNG)
_CTMU_SETTLE = 52.5e-3  # the firmware discharges CAP for 52.5 ms before charging it
# Logic analyzer modes (input capture ICM bits): rising edges, falling edges, keep every n-th.
_LA_MODES = {
    1: (True, True, 1),
    2: (False, True, 1),
    3: (True, False, 1),
    4: (True, False, 4),
    5: (True, False, 16),
}


def _sine_table(size: int, full_scale: int) -> Floats:
    """The firmware's default waveform: a full-scale sine starting at mid-scale."""
    return np.round(full_scale / 2 * (1 - np.sin(2 * np.pi * np.arange(size) / size)))


@dataclass
class _WaveOutput:
    """One analog output, W1 or W2: a table of PWM duties played at a frequency."""

    high: Floats = field(default_factory=lambda: _sine_table(512, _PWM_PERIODS[True]))
    low: Floats = field(default_factory=lambda: _sine_table(32, _PWM_PERIODS[False]))
    highres: bool = True
    frequency: float = 1e3
    origin: float = 0.0  # a time at which the table's first point played

    def levels(self) -> Floats:
        """The voltages of the table in use."""
        table = self.high if self.highres else self.low
        return 2 * _RAIL * table / _PWM_PERIODS[self.highres] - _RAIL

    def start(self, highres: bool, prescaler: int, wavelength: int, now: float) -> None:
        """Play a table from its start, one point per `wavelength + 1` timer ticks."""
        self.highres = highres
        self.frequency = CP.CLOCK_RATE / prescaler / (wavelength + 1) / len(self.levels())
        self.origin = now

    def voltage(self, times: Floats) -> Floats:
        """The output at `times`, interpolated linearly between table points."""
        levels = self.levels()
        position = (times - self.origin) * self.frequency % 1.0 * len(levels)
        index = position.astype(np.int64)
        fraction = position - index
        following = levels[(index + 1) % len(levels)]
        return levels[index % len(levels)] * (1 - fraction) + following * fraction

    def edges(self, after: float, rising: bool, falling: bool, count: int) -> Floats:
        """The times of the first `count` logic level changes after `after`."""
        levels = self.levels()
        following = np.roll(levels, -1)
        up = (levels < _LOGIC_THRESHOLD) & (following >= _LOGIC_THRESHOLD)
        down = (levels >= _LOGIC_THRESHOLD) & (following < _LOGIC_THRESHOLD)
        (index,) = np.nonzero((up & rising) | (down & falling))
        if not index.size:
            return np.empty(0)
        step = (_LOGIC_THRESHOLD - levels[index]) / (following[index] - levels[index])
        phases = (index + step) / len(levels)  # within one period, ascending
        first = (after - self.origin) * self.frequency
        cycles = np.floor(first) + np.arange(count // index.size + 2)
        crossings = (cycles[:, np.newaxis] + phases).ravel()
        return self.origin + crossings[crossings > first][:count] / self.frequency


class SimulatedPSLab(ConnectionHandler):
    """A PSLab on a simulated bench (see the module docstring), connected from the start.

    Parameters
    ----------
    resistance : float
        The resistor on RES, in ohm.
    capacitance : float
        The capacitor on CAP, in farad.
    noise : float
        Rms noise added to every analog sample, in volt.
    seed : int
        Seed of the noise generator.
    """

    def __init__(
        self, *, resistance: float = 10e3, capacitance: float = 1e-9, noise: float = 1e-3, seed: int = 0
    ) -> None:
        self.resistance = resistance
        self.capacitance = capacitance
        self.noise = noise
        self._rng = np.random.default_rng(seed)
        self._connected = True
        self._clock = 0.0
        self._inbox = bytearray()
        self._outbox = bytearray()
        self._buffer = np.zeros(CP.MAX_SAMPLES, dtype=np.uint16)
        self._waves = (_WaveOutput(), _WaveOutput())
        self._power = dict.fromkeys(_POWER_RANGES, 0.0)
        self._gains = {"CH1": 1, "CH2": 1}
        self._cap_voltage = 0.0
        self._trigger_channel = 0
        self._trigger_level = 0
        self._captured = 0
        self._handlers: dict[bytes, Callable[[], Parser | None]] = {
            CP.COMMON + CP.GET_VERSION: self._get_version,
            CP.COMMON + CP.GET_FW_VERSION: self._get_firmware_version,
            CP.COMMON + CP.RETRIEVE_BUFFER: self._retrieve_buffer,
            CP.COMMON + CP.CLEAR_BUFFER: self._clear_buffer,
            CP.COMMON + CP.FILL_BUFFER: self._fill_buffer,
            CP.COMMON + CP.GET_CAPACITANCE: self._get_capacitance,
            CP.ADC + CP.SET_PGA_GAIN: self._set_pga_gain,
            CP.ADC + CP.GET_VOLTAGE_SUMMED: self._get_voltage_summed,
            CP.ADC + CP.SET_CAP: self._set_cap,
            CP.ADC + CP.CONFIGURE_TRIGGER: self._configure_trigger,
            CP.ADC + CP.GET_CAPTURE_STATUS: self._get_capture_status,
            CP.ADC + CP.CAPTURE_ONE: partial(self._capture, 1, dma=False),
            CP.ADC + CP.CAPTURE_TWO: partial(self._capture, 2, dma=False),
            CP.ADC + CP.CAPTURE_FOUR: partial(self._capture, 4, dma=False),
            CP.ADC + CP.CAPTURE_DMASPEED: partial(self._capture, 1, dma=True),
            CP.DAC + CP.SET_POWER: self._set_power,
            CP.WAVEGEN + CP.SET_SINE1: partial(self._set_sine, 0),
            CP.WAVEGEN + CP.SET_SINE2: partial(self._set_sine, 1),
            CP.WAVEGEN + CP.SET_BOTH_WG: self._set_both_sines,
            CP.WAVEGEN + CP.LOAD_WAVEFORM1: partial(self._load_waveform, 0),
            CP.WAVEGEN + CP.LOAD_WAVEFORM2: partial(self._load_waveform, 1),
            CP.TIMING + CP.STOP_LA: self._ack,
            CP.TIMING + CP.START_ALTERNATE_ONE_CHAN_LA: self._start_one_channel_la,
            CP.TIMING + CP.FETCH_LONG_DMA_DATA: self._fetch_long,
        }
        self._reset_parser()

    # ConnectionHandler

    def connect(self) -> None:
        """Open the connection with empty serial buffers; the device keeps its state."""
        self._connected = True
        self._outbox.clear()
        self._reset_parser()

    def disconnect(self) -> None:
        self._connected = False

    def write(self, data: bytes) -> int:
        """Feed bytes to the command parser; replies queue up for `read`."""
        self._check_connected()
        self._inbox += data
        while len(self._inbox) >= self._need:
            chunk = bytes(self._inbox[: self._need])
            del self._inbox[: self._need]
            self._clock += len(chunk) * _BYTE_TIME
            try:
                self._need = self._parser.send(chunk)
            except Exception:
                self._reset_parser()
                raise
        return len(data)

    def read(self, numbytes: int) -> bytes:
        """Up to `numbytes` queued reply bytes: fewer, or none, as a serial port times out."""
        self._check_connected()
        data = bytes(self._outbox[:numbytes])
        del self._outbox[:numbytes]
        self._clock += len(data) * _BYTE_TIME
        return data

    # Protocol plumbing

    def _check_connected(self) -> None:
        if not self._connected:
            raise ConnectionError("The simulated PSLab is disconnected.")

    def _reset_parser(self) -> None:
        self._inbox.clear()
        self._parser = self._parse()
        self._need = next(self._parser)

    def _parse(self) -> Parser:
        while True:
            command = yield 2
            handler = self._handlers.get(command)
            if handler is None:
                raise NotImplementedError(
                    f"SimulatedPSLab does not implement command bytes {command.hex(' ')} "
                    f"(group {command[0]}, command {command[1]})."
                )
            steps = handler()
            if steps is not None:
                yield from steps

    @staticmethod
    def _receive(layout: str) -> Generator[int, bytes, tuple[int, ...]]:
        """Arguments in struct `layout`, little-endian."""
        data = yield struct.calcsize("<" + layout)
        return struct.unpack("<" + layout, data)

    def _reply(self, data: bytes) -> None:
        self._outbox += data

    def _ack(self) -> None:
        self._outbox += _ACK

    # The bench

    def _pin_voltage(self, pin: str, times: Floats) -> Floats:
        match pin:
            case "CH1":
                return self._waves[0].voltage(times)
            case "CH2":
                return self._waves[1].voltage(times)
            case "CH3":
                level = self._power[_PV1]
            case "VOL":
                level = self._power[_PV2]
            case "CAP":
                level = self._cap_voltage
            case "RES":
                level = _RAIL * self.resistance / (self.resistance + _RES_PULL_UP)
            case _:
                level = 0.0
        return np.full_like(times, level)

    def _adc(self, mux: int, times: Floats, bits: int) -> npt.NDArray[np.uint16]:
        """Convert the analog input `mux` at `times`, through its front end's range and gain."""
        pin = _PINS[mux]
        volts = self._pin_voltage(pin, times) + self.noise * self._rng.standard_normal(times.size)
        gain = self._gains.get(pin, 1)
        at_zero, at_full = (limit / gain for limit in INPUT_RANGES[pin])
        full = 2**bits - 1
        codes = np.round((volts - at_zero) / (at_full - at_zero) * full)
        return np.clip(codes, 0, full).astype(np.uint16)

    def _logic_events(self, channel: int, mode: int, count: int) -> npt.NDArray[np.uint32]:
        """Timestamps, in 64 MHz ticks from now, of the first `count` events on LA1-LA4."""
        rising, falling, every = _LA_MODES.get(mode, (False, False, 1))
        if channel >= len(self._waves):
            return np.empty(0, dtype=np.uint32)
        times = self._waves[channel].edges(self._clock, rising, falling, count * every)[every - 1 :: every]
        ticks = np.round((times - self._clock) * CP.CLOCK_RATE).astype(np.int64)
        return (ticks & 0xFFFFFFFF).astype(np.uint32)

    # Version

    def _get_version(self) -> None:
        self._reply(VERSION)

    def _get_firmware_version(self) -> None:
        self._reply(bytes(FIRMWARE_VERSION))

    # Sample buffer

    def _retrieve_buffer(self) -> Parser:
        start, count = yield from self._receive("HH")
        self._reply(self._buffer[start : start + count].astype("<u2").tobytes())
        self._ack()

    def _clear_buffer(self) -> Parser:
        start, end = yield from self._receive("HH")
        self._buffer[start:end] = 0
        self._ack()

    def _fill_buffer(self) -> Parser:
        start, count = yield from self._receive("HH")
        self._buffer[start : start + count] = yield from self._receive(f"{count}H")
        self._ack()

    # Multimeter

    def _set_pga_gain(self) -> Parser:
        pga, gain = yield from self._receive("BB")
        self._gains[_PGA_PINS[pga]] = GAIN_VALUES[gain]
        self._ack()

    def _get_voltage_summed(self) -> Parser:
        (mux,) = yield from self._receive("B")
        times = self._clock + _SUMMED_SAMPLE_GAP * np.arange(16)
        self._reply(struct.pack("<H", int(self._adc(mux, times, 12).sum())))
        self._clock += 16 * _SUMMED_SAMPLE_GAP
        self._ack()

    def _set_cap(self) -> Parser:
        state, period = yield from self._receive("BH")
        target = _RAIL if state else 0.0
        time_constant = _CAP_SERIES_RESISTANCE * (self.capacitance + _CAP_STRAY)
        self._cap_voltage = target + (self._cap_voltage - target) * np.exp(-period * 1e-6 / time_constant)
        self._clock += period * 1e-6
        self._ack()

    def _get_capacitance(self) -> Parser:
        current_range, trim, charge_time = yield from self._receive("BBH")
        trim_steps = ((trim & 0x3F) ^ 0x20) - 0x20  # six-bit two's complement, 2 % a step
        current = _CTMU_CURRENTS[current_range] * (1 + 0.02 * trim_steps)
        charge = current * charge_time * 1e-6
        self._cap_voltage = min(charge / (self.capacitance + _CAP_STRAY), _RAIL)
        self._clock += _CTMU_SETTLE + charge_time * 1e-6
        reading = self._adc(PIC_ADC_MULTIPLEX["CAP"], np.array([self._clock]), 12)[0]
        self._reply(struct.pack("<H", reading))
        self._ack()

    # Oscilloscope

    def _configure_trigger(self) -> Parser:
        config, level = yield from self._receive("BH")
        channels = config & 0x0F
        if channels:
            self._trigger_channel = (channels & -channels).bit_length() - 1
        self._trigger_level = level
        self._ack()

    def _get_capture_status(self) -> None:
        self._reply(struct.pack("<BH", 1, self._captured))
        self._ack()

    def _capture(self, channels: int, dma: bool) -> Parser:
        config, samples, delay = yield from self._receive("BHH")
        gap = delay / 8e6  # in 1/8 us
        muxes = (config & 0x0F, *_CH123_MUXES)
        bits = 12 if dma and config & 0x80 else 10
        start = self._clock
        if config & 0x80 and not dma:
            start = self._await_trigger(muxes[self._trigger_channel], gap)
        times = start + gap * np.arange(samples)
        for index, mux in enumerate(muxes[:channels]):
            self._buffer[index * samples : (index + 1) * samples] = self._adc(mux, times, bits)
        self._clock = start + gap * samples
        self._captured = samples
        self._ack()

    def _await_trigger(self, mux: int, gap: float) -> float:
        """When sampling starts: after the ADC code of input `mux` falls to the trigger level.

        As in the firmware, the trigger arms once the code is above the level and fires when it
        is back at or below it; that is a rising voltage on the inverting CH1 and CH2 inputs.
        """
        times = self._clock + gap * np.arange(int(_TRIGGER_TIMEOUT / gap))
        above = self._adc(mux, times, 10) > self._trigger_level
        (fired,) = np.nonzero(np.maximum.accumulate(above) & ~above)
        return self._clock + (gap * (fired[0] + 1) if fired.size else _TRIGGER_TIMEOUT)

    # Power supply

    def _set_power(self) -> Parser:
        channel, code = yield from self._receive("BH")
        at_zero, at_full = _POWER_RANGES[channel & 3]
        self._power[channel & 3] = at_zero + (at_full - at_zero) * (code & 0xFFF) / _DAC_FULL_SCALE
        self._ack()

    # Waveform generator

    def _set_sine(self, output: int) -> Parser:
        resolution, wavelength = yield from self._receive("BH")
        prescaler = _PRESCALERS[resolution >> 1 & 3]
        self._waves[output].start(bool(resolution & 1), prescaler, wavelength, self._clock)
        self._ack()

    def _set_both_sines(self) -> Parser:
        wavelength1, wavelength2, table_offset, timer_offset, resolution = yield from self._receive("HHHHB")
        w1, w2 = self._waves
        w1.start(bool(resolution & 1), _PRESCALERS[resolution >> 2 & 3], wavelength1, self._clock)
        w2.start(bool(resolution & 2), _PRESCALERS[resolution >> 4 & 3], wavelength2, self._clock)
        # W2 leads W1 by `table_offset` table points plus `timer_offset` timer ticks.
        lead = (table_offset + timer_offset / (wavelength2 + 1)) / len(w2.levels())
        w2.origin -= lead / w2.frequency
        self._ack()

    def _load_waveform(self, output: int) -> Parser:
        wave = self._waves[output]
        wave.high = np.array((yield from self._receive(f"{len(wave.high)}H")), dtype=np.float64)
        wave.low = np.array((yield from self._receive(f"{len(wave.low)}B")), dtype=np.float64)
        self._ack()

    # Logic analyzer

    def _start_one_channel_la(self) -> Parser:
        points, config, trigger = yield from self._receive("HBB")
        if trigger & 7:
            raise NotImplementedError("SimulatedPSLab does not simulate logic analyzer triggers.")
        stamps = np.zeros(points, dtype=np.uint32)
        events = self._logic_events(config >> 4, config & 0x0F, points)
        stamps[: events.size] = events
        self._buffer[:points] = stamps & 0xFFFF  # the 32-bit timer's low words, then its high words
        self._buffer[_QUARTER : _QUARTER + points] = stamps >> 16
        self._ack()

    def _fetch_long(self) -> Parser:
        count, channel = yield from self._receive("HB")
        low = self._buffer[2 * channel * _QUARTER :][:count]
        high = self._buffer[(2 * channel + 1) * _QUARTER :][:count]
        self._reply(np.column_stack([low, high]).astype("<u2").tobytes())
        self._ack()
