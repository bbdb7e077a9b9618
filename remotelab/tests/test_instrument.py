"""Every lab function, at the edges of what it accepts, on the simulated PSLab through the real
pslab code: each either answers or is refused up front, and the instrument stays sane."""

import itertools
from dataclasses import replace

import pytest

from remotelab import instrument
from remotelab.functions import FUNCTIONS, FunctionError, bind


def edge_calls():
    for function in FUNCTIONS.values():
        choices = [
            param.choices if param.kind is str else (param.minimum, param.maximum)
            for param in function.params
        ]
        for arguments in map(list, itertools.product(*choices)):
            if function.name == "get_freq" and arguments[0] in ("LA3", "LA4"):
                continue  # unconnected on the bench: pslab waits out its 1 s timeout and answers 0
            yield pytest.param(function.name, arguments, id=f"{function.name}{tuple(arguments)}")


@pytest.mark.parametrize(("name", "arguments"), list(edge_calls()))
def test_every_function_at_its_limits(name, arguments):
    try:
        function, checked = bind(name, arguments, {})
    except FunctionError:
        return  # refused before reaching the instrument (e.g. a capture too long)
    result = instrument.run(function, checked, "tester")
    assert result is not None
    assert instrument.run(*bind("get_resistance", [], {}), "tester") == pytest.approx(10_000, rel=0.05)


def test_a_failing_call_leaves_a_fresh_device_for_the_next():
    function, arguments = bind("get_resistance", [], {})
    instrument.run(function, arguments, "tester")

    def broken(lab):
        raise OverflowError("half a command was sent")

    with pytest.raises(instrument.InstrumentError, match="half a command"):
        instrument.run(replace(function, run=broken), [], "tester")
    assert instrument._lab is None
    assert instrument.run(function, arguments, "tester") == pytest.approx(10_000, rel=0.05)
