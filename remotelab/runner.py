"""The program that runs a lab script inside the sandbox (see remotelab.sandbox).

It is started as `python -I -S -c <this file's text>` and uses the standard library only.
It speaks JSON lines with the server on its original stdin and stdout: it reads
{"code", "functions"}, then sends {"widget": {...}} for each widget, {"call", "args",
"kwargs"} for each instrument function the script calls (and reads back {"result"} or
{"error"}), and finally {"done": true} or {"error": "<traceback>"}. The server treats all
of it as untrusted input; the sandbox, not this program, is what keeps the server safe.
"""

import io
import json
import os
import sys
import traceback

_to_server = os.fdopen(os.dup(1), "w", buffering=1)
_from_server = os.fdopen(os.dup(0), "r")
_devnull = os.open(os.devnull, os.O_RDWR)
os.dup2(_devnull, 0)  # input() and stray writes can't reach the protocol
os.dup2(_devnull, 1)
sys.stdin, sys.stdout = io.StringIO(), io.StringIO()


class LabError(Exception):
    """An instrument function the server refused or could not run."""


def _send(message):
    _to_server.write(json.dumps(message, allow_nan=False) + "\n")


def _widget(widget):
    _send({"widget": widget})
    return widget["name"]


_counts = {}


def _name(prefix):
    number = _counts.get(prefix, 0)
    _counts[prefix] = number + 1
    return f"{prefix}{number}"


def lab_print(*args, sep=" ", end="\n", **_):
    """A span of the text as print writes it (sep and end honoured), less the line end it ends with."""
    buffer = io.StringIO()
    print(*args, sep=sep, end=end, file=buffer)  # print's own checks of sep and end
    text = buffer.getvalue()
    line_end = "\n" if end is None else end
    for terminator in ("\r\n", "\n"):
        if line_end.endswith(terminator):
            text = text[: -len(terminator)]
            break
    return _widget({"type": "span", "name": "print", "value": text})


def print_(text):
    return _widget({"type": "span", "name": "print", "class": "row well", "value": str(text)})


def button(label, action):
    name = _name("button-id")
    success = {"datapoint": "result", "type": "display_number", "target": f"{name}-label"}
    _widget(
        {
            "type": "button",
            "name": name,
            "label": str(label),
            "fetched_value": "",
            "action": {"type": "POST", "endpoint": str(action), "success": success},
        }
    )
    _widget({"type": "label", "name": f"{name}-label", "value": ""})
    return name


def label(text=""):
    return _widget({"type": "label", "name": _name("label"), "value": str(text)})


def plot(x, y, xlabel="", ylabel=""):
    widget = {"type": "plot", "name": _name("plot"), "data": [list(x), list(y)]}
    widget.update({key: str(text) for key, text in (("xlabel", xlabel), ("ylabel", ylabel)) if text})
    return _widget(widget)


def _instrument_function(name):
    def call(*args, **kwargs):
        _send({"call": name, "args": list(args), "kwargs": kwargs})
        reply = json.loads(_from_server.readline() or '{"error": "The server closed the lab."}')
        if "error" in reply:
            raise LabError(reply["error"])
        return reply["result"]

    call.__name__ = name
    return call


def main():
    request = json.loads(_from_server.readline())
    namespace = {
        "__name__": "__lab__",
        "print": lab_print,
        "print_": print_,
        "button": button,
        "label": label,
        "plot": plot,
        "LabError": LabError,
    }
    namespace.update({name: _instrument_function(name) for name in request["functions"]})
    try:
        exec(compile(request["code"], "<script>", "exec"), namespace)  # noqa: S102  # sandbox-ok: in bubblewrap
    except SystemExit as error:
        if error.code not in (None, 0):
            _send({"error": f"The script exited with {error.code!r}."})
            return
    except BaseException as error:  # every failure of the script is reported
        frames = traceback.extract_tb(error.__traceback__)
        script_frames = traceback.StackSummary.from_list([f for f in frames if f.filename == "<script>"])
        text = "".join(script_frames.format() + traceback.format_exception_only(error))
        _send({"error": "Traceback (most recent call last):\n" + text})
        return
    _send({"done": True})


main()
_to_server.flush()
os._exit(0)  # done: threads the script left behind do not keep the run alive
