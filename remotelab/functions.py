"""The PSLab functions a lab user may call, by the classic names their scripts use.

Each function names its parameters with their types and limits; `bind` checks a call's
arguments against them, so a function string, a script's call and a button's action are all
validated the same way before anything reaches the instrument.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ANALOG_CHANNELS = ("CH1", "CH2", "CH3", "MIC", "CAP", "RES", "VOL")
DIGITAL_CHANNELS = ("LA1", "LA2", "LA3", "LA4")
MAX_CAPTURE_SECONDS = 1.0  # samples times timegap: no capture holds the instrument longer


class FunctionError(ValueError):
    """A call that is not one whitelisted function with valid arguments."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: type  # str, int or float
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def check(self, value: Any) -> Any:
        if self.kind is str:
            if not isinstance(value, str) or value not in self.choices:
                raise FunctionError(f"{self.name} must be one of {', '.join(self.choices)}.")
            return value
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (self.kind is int and isinstance(value, float))
        ):
            raise FunctionError(
                f"{self.name} must be {'a whole number' if self.kind is int else 'a number'}."
            )
        if (
            isinstance(value, float) and not math.isfinite(value)
        ) or not self.minimum <= value <= self.maximum:
            raise FunctionError(f"{self.name} must be between {self.minimum:g} and {self.maximum:g}.")
        return self.kind(value)

    @property
    def signature(self) -> str:
        if self.kind is str:
            return f"{self.name}: {' | '.join(repr(choice) for choice in self.choices)}"
        return f"{self.name}: {self.kind.__name__} ({self.minimum:g} to {self.maximum:g})"


@dataclass(frozen=True)
class LabFunction:
    name: str
    params: tuple[Param, ...]
    doc: str
    run: Callable[..., Any]  # (lab, *arguments) -> result; lab is remotelab.instrument.Lab
    check: Callable[[list], None] | None = None  # a rule across arguments, raising FunctionError
    unit: str = ""  # of a number it returns: "V", "Hz", "Ω", "F"

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(param.signature for param in self.params)})"


def _capture(channels):
    def run(lab, *arguments):
        *channel, samples, timegap = arguments
        return lab.oscilloscope.capture(channel[0] if channel else channels, samples, timegap)

    return run


def _short_capture(arguments: list) -> None:
    *_, samples, timegap = arguments
    if samples * timegap / 1e6 > MAX_CAPTURE_SECONDS:
        raise FunctionError(
            f"A capture may last {MAX_CAPTURE_SECONDS:g} s at most: fewer samples or a shorter timegap."
        )


def _set_pv(number):
    def run(lab, volts):
        setattr(lab.power_supply, f"pv{number}", volts)
        return volts

    return run


def _set_sine(channel):
    def run(lab, frequency):
        return lab.waveform_generator.generate([channel], frequency)[0]

    return run


def _samples(channels: int) -> Param:
    return Param("samples", int, minimum=10, maximum=10000 // channels)


def _timegap(minimum: float) -> Param:
    # pslab sends timegap * 8 as a 16-bit number: 8191.875 µs is the longest gap it can ask for.
    return Param("timegap", float, minimum=minimum, maximum=65535 / 8)


_VOLTS = {1: (-5, 5), 2: (-3.3, 3.3), 3: (0, 3.3)}
_FREQUENCY = Param("frequency", float, minimum=0.1, maximum=5000)

FUNCTIONS: dict[str, LabFunction] = {
    function.name: function
    for function in [
        LabFunction(
            "get_voltage",
            (Param("channel", str, ANALOG_CHANNELS),),
            "The voltage on an analog input, in volts.",
            lambda lab, channel: lab.multimeter.measure_voltage(channel),
            unit="V",
        ),
        LabFunction(
            "capture1",
            (Param("channel", str, ANALOG_CHANNELS), _samples(1), _timegap(0.5)),
            "Sample one channel: [times in µs, volts]. timegap is in µs.",
            _capture(1),
            _short_capture,
        ),
        LabFunction(
            "capture2",
            (_samples(2), _timegap(0.875)),
            "Sample CH1 and CH2 together: [times in µs, CH1 volts, CH2 volts].",
            _capture(2),
            _short_capture,
        ),
        LabFunction(
            "capture4",
            (_samples(4), _timegap(1.75)),
            "Sample CH1, CH2, CH3 and MIC together: [times in µs, and the volts of each].",
            _capture(4),
            _short_capture,
        ),
        LabFunction(
            "get_resistance",
            (),
            "The resistance between RES and GND, in ohms.",
            lambda lab: lab.multimeter.measure_resistance(),
            unit="Ω",
        ),
        LabFunction(
            "get_capacitance",
            (),
            "The capacitance between CAP and GND, in farads.",
            lambda lab: lab.multimeter.measure_capacitance(),
            unit="F",
        ),
        *(
            LabFunction(
                f"set_pv{number}",
                (Param("volts", float, minimum=low, maximum=high),),
                f"Set the programmable voltage source PV{number}, in volts; returns what was set.",
                _set_pv(number),
                unit="V",
            )
            for number, (low, high) in _VOLTS.items()
        ),
        LabFunction(
            "set_sine1",
            (_FREQUENCY,),
            "Output a sine on W1; returns the frequency set, in Hz.",
            _set_sine("SI1"),
            unit="Hz",
        ),
        LabFunction(
            "set_sine2",
            (_FREQUENCY,),
            "Output a sine on W2; returns the frequency set, in Hz.",
            _set_sine("SI2"),
            unit="Hz",
        ),
        LabFunction(
            "get_freq",
            (Param("channel", str, DIGITAL_CHANNELS),),
            "The frequency of the signal on a logic analyzer input, in Hz.",
            lambda lab, channel: lab.logic_analyzer.measure_frequency(channel),
            unit="Hz",
        ),
    ]
}

UNITS = {function.name: function.unit for function in FUNCTIONS.values()}


def bind(name: str, args: list, kwargs: dict) -> tuple[LabFunction, list]:
    """The whitelisted function and its checked arguments, in order."""
    function = FUNCTIONS.get(name)
    if function is None:
        raise FunctionError(f'"{name}" is not a lab function. See GET /v1/remotelab/functions.')
    if len(args) > len(function.params):
        raise FunctionError(f"{function.signature} takes {len(function.params)} arguments.")
    names = [param.name for param in function.params]
    if unknown := sorted(set(kwargs) - set(names)):
        raise FunctionError(f"{function.name} has no argument {unknown[0]}.")
    values = dict(zip(names, args, strict=False))
    if duplicate := sorted(set(values) & set(kwargs)):
        raise FunctionError(f"{function.name} got {duplicate[0]} twice.")
    values |= kwargs
    if missing := [name for name in names if name not in values]:
        raise FunctionError(f"{function.signature} needs {missing[0]}.")
    arguments = [param.check(values[param.name]) for param in function.params]
    if function.check:
        function.check(arguments)
    return function, arguments


def json_safe(value: Any) -> Any:
    """Results as JSON: arrays and tuples become lists, numpy numbers Python ones, NaN/inf null."""
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    raise TypeError(f"A lab result cannot be {type(value).__name__}.")
