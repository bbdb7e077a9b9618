"""Function strings are parsed, never evaluated: one whitelisted call with literal arguments."""

import pytest

from remotelab.functions import FunctionError, json_safe
from remotelab.parser import parse


@pytest.mark.parametrize(
    ("source", "name", "arguments"),
    [
        ("get_voltage('CH1')", "get_voltage", ["CH1"]),
        ('  get_voltage("VOL")  ', "get_voltage", ["VOL"]),
        ("get_voltage(channel='CAP')", "get_voltage", ["CAP"]),
        ("capture1('CH1', 100, 1)", "capture1", ["CH1", 100, 1.0]),
        ("capture1('CH2', samples=200, timegap=2.5)", "capture1", ["CH2", 200, 2.5]),
        ("capture2(100, 0.875)", "capture2", [100, 0.875]),
        ("capture4(100, 2)", "capture4", [100, 2.0]),
        ("set_pv1(-4.5)", "set_pv1", [-4.5]),
        ("set_pv2(+3)", "set_pv2", [3.0]),
        ("set_pv3(0)", "set_pv3", [0.0]),
        ("set_sine1(1e3)", "set_sine1", [1000.0]),
        ("get_resistance()", "get_resistance", []),
        ("get_freq('LA2')", "get_freq", ["LA2"]),
    ],
)
def test_valid_calls_bind_their_checked_arguments(source, name, arguments):
    function, bound = parse(source)
    assert function.name == name
    assert bound == arguments


INJECTIONS = [
    "__import__('os').system('id')",
    "import os",
    "exec('print(1)')",
    "eval('1')",
    "open('/etc/passwd')",
    "get_voltage.__globals__",
    "get_voltage('CH1').__class__",
    "get_voltage('CH1')()",
    "(lambda: get_voltage('CH1'))()",
    "get_voltage(*['CH1'])",
    "get_voltage(**{'channel': 'CH1'})",
    "get_voltage([c for c in ['CH1']][0])",
    "get_voltage('CH1'); get_voltage('CH2')",
    "get_voltage('CH1')\nget_voltage('CH2')",
    "get_voltage('CH1') or exit()",
    "get_voltage(channel)",
    "get_voltage('CH' + '1')",
    "get_voltage(f'CH{1}')",
    "set_pv1(10**100)",
    "set_pv1(1e400)",
    "set_pv1(9" + "9" * 400 + ")",
    "set_pv1(True)",
    "set_pv1(None)",
    "set_pv1(-'a')",
    "set_pv1(float('nan'))",
    "get_voltage('" + "A" * 1000 + "')",
    "get_voltage('CH1')" + " " * 600,
    "(" * 300 + "get_voltage('CH1')" + ")" * 300,
    "get_voltage('CH1', 'CH2')",
    "get_voltage()",
    "get_voltage('CH1', channel='CH2')",
    "get_voltage(port='CH1')",
    "get_voltage(b'CH1')",
    "get_voltage('CH9')",
    "capture1('CH1', 100000, 1)",
    "capture1('CH1', 100.5, 1)",
    "capture1('CH1', 5000, 1000)",
    "capture1('CH1', 100, 0.1)",
    "set_sine1(-5)",
    "system('id')",
    "print('x')",
    "",
    "   ",
    "\x00",
    "get_voltage('CH1'\x00)",
    "async def f(): pass",
    "yield 1",
    "get_voltage(1j)",
    "get_voltage(...)",
    "os.system('id')",
]


@pytest.mark.parametrize("source", INJECTIONS)
def test_everything_else_is_refused(source):
    with pytest.raises(FunctionError):
        parse(source)


@pytest.mark.parametrize("source", [None, 42, ["get_voltage('CH1')"], {"f": 1}])
def test_non_strings_are_refused(source):
    with pytest.raises(FunctionError):
        parse(source)


def test_results_become_json():
    import numpy as np

    value = [np.array([1.0, float("nan"), 2.5]), (np.float64(3.0), float("inf")), np.int64(4), "x", None]
    assert json_safe(value) == [[1.0, None, 2.5], [3.0, None], 4, "x", None]
    with pytest.raises(TypeError):
        json_safe(object())
