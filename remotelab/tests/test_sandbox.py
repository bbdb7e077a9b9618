"""Scripts run in bubblewrap: they make widgets and call the instrument through the server,
and can do nothing else to it."""

import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings

from remotelab import sandbox
from remotelab.functions import FUNCTIONS
from remotelab.tests.conftest import needs_sandbox

pytestmark = needs_sandbox


@pytest.fixture(autouse=True)
def _quick_limits(settings):
    settings.REMOTELAB_SCRIPT_CPU_SECONDS = 1
    settings.REMOTELAB_SCRIPT_TIMEOUT = 5
    settings.REMOTELAB_SCRIPT_MEMORY_BYTES = 256 * 1024 * 1024


class FakeInstrument:
    """Stands in for remotelab.instrument.run: answers 1.5 V and records each checked call."""

    def __init__(self):
        self.calls = []

    def __call__(self, function, arguments):
        self.calls.append((function.name, arguments))
        return 1.5


def run(code, **kwargs):
    instrument = FakeInstrument()
    widgets = []
    result = sandbox.run(code, instrument, widgets.append, **kwargs)
    assert result.widgets == widgets
    return result, instrument


def test_a_script_makes_the_contracts_widgets_in_order():
    result, _ = run(
        "print('Hello', 42)\n"
        "print_('note')\n"
        "button('Read CH1', \"get_voltage('CH1')\")\n"
        "label('units: V')\n"
        "plot([0, 1, 2], [0.5, 1.5, 2.5])\n"
    )
    assert result.status == "done", result.error
    assert result.widgets == [
        {"type": "span", "name": "print", "value": "Hello 42"},
        {"type": "span", "name": "print", "class": "row well", "value": "note"},
        {
            "type": "button",
            "name": "button-id0",
            "label": "Read CH1",
            "fetched_value": "",
            "action": {
                "type": "POST",
                "endpoint": "get_voltage('CH1')",
                "success": {"datapoint": "result", "type": "display_number", "target": "button-id0-label"},
            },
        },
        {"type": "label", "name": "button-id0-label", "value": ""},
        {"type": "label", "name": "label0", "value": "units: V"},
        {"type": "plot", "name": "plot0", "data": [[0, 1, 2], [0.5, 1.5, 2.5]]},
    ]


PRINTS = [  # (a print call, the value of its span: what print writes, less its line end)
    ('print("a", 1)', "a 1"),
    ('print("x", end="")', "x"),
    ('print("a", "b", sep="-")', "a-b"),
    ("print()", ""),
    ('print("a", "b", sep="", end="!")', "ab!"),
    ('print("a", end="!\\n")', "a!"),
    ('print("a", end="\\r\\n")', "a"),
    ('print("a", end="\\n\\n")', "a\n"),
    ('print("two\\nlines")', "two\nlines"),
    ('print("a\\n", end="")', "a\n"),
    ('print("a", "b", sep=None, end=None)', "a b"),
    ('print("a", file=None, flush=True)', "a"),
]


def test_a_print_span_holds_the_text_as_print_writes_it_without_its_line_end():
    result, _ = run("\n".join(call for call, _ in PRINTS))
    assert result.status == "done", result.error
    assert [widget["value"] for widget in result.widgets] == [value for _, value in PRINTS]
    assert {widget["name"] for widget in result.widgets} == {"print"}


def test_print_refuses_what_print_refuses():
    result, _ = run('print("a", end=1)')
    assert result.status == "error"
    assert "TypeError: end must be None or a string, not int" in result.error


def test_instrument_calls_are_checked_by_the_server():
    result, instrument = run(
        "print(get_voltage('CH1'))\n"
        "try:\n    get_voltage('CH9')\nexcept LabError as error:\n    print('refused:', error)\n"
        "capture1(channel='CH2', samples=100, timegap=2)\n"
    )
    assert result.status == "done", result.error
    assert [widget["value"] for widget in result.widgets] == [
        "1.5",
        "refused: channel must be one of CH1, CH2, CH3, MIC, CAP, RES, VOL.",
    ]
    assert instrument.calls == [("get_voltage", ["CH1"]), ("capture1", ["CH2", 100, 2.0])]


def test_every_lab_function_is_there_and_nothing_from_the_server():
    result, _ = run("print(sorted(n for n in dir() if not n.startswith('_')))")
    names = eval(result.widgets[0]["value"])  # noqa: S307  # sandbox-ok: a test reading its own output
    assert set(FUNCTIONS) <= set(names)
    assert "django" not in result.widgets[0]["value"]


def test_a_failing_script_reports_its_traceback():
    result, _ = run("x = 1\n1 / 0\n")
    assert result.status == "error"
    assert 'File "<script>", line 2' in result.error
    assert "ZeroDivisionError" in result.error


@pytest.mark.parametrize(
    "code",
    [
        f"open({str(settings.BASE_DIR / 'manage.py')!r})",
        f"open({str(settings.DATABASES['default']['NAME'])!r})",
        "open('/etc/passwd')",
        "import os; os.listdir('/work')",
    ],
    ids=["project", "database", "etc", "work"],
)
def test_the_project_and_the_system_are_out_of_reach(code):
    # and the script runs as nobody, with nothing of the server's environment
    result, _ = run(code)
    assert result.status == "error"
    assert "FileNotFoundError" in result.error


def test_nothing_outside_its_temp_dir_is_writable():
    result, _ = run(
        "open('/tmp/scratch.txt', 'w').write('fine')\n"
        "print(open('/tmp/scratch.txt').read())\n"
        "open('/usr/evil', 'w')\n"
    )
    assert result.widgets[0]["value"] == "fine"
    assert "Read-only file system" in result.error


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("open('/anywhere', 'w')", "Read-only file system"),
        (
            "for n in range(3):\n    open(f'/dev/shm/{n}', 'wb').write(b'x' * 4_000_000)",
            "No space left on device",
        ),
        ("open('/tmp/big', 'wb').write(b'x' * 20_000_000)", "File too large"),
        ("files = [open('/dev/null') for n in range(1000)]", "Too many open files"),
    ],
    ids=["root", "shm", "tmp", "files"],
)
def test_disk_memory_and_namespaces_are_bounded(code, message):
    result, _ = run(code)
    assert result.status == "error"
    assert message in result.error


def test_no_namespaces_can_be_made_inside():
    result, _ = run(
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print('unshared' if libc.unshare(0x10000000) == 0 else 'refused')\n"  # CLONE_NEWUSER
    )
    assert [widget["value"] for widget in result.widgets] == ["refused"]


def test_there_is_no_network():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        result, _ = run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)")
    assert result.status == "error"
    assert "PermissionError" in result.error  # no sockets at all


def test_cpu_time_is_limited():
    started = time.monotonic()
    result, _ = run("while True:\n    pass")
    assert result.status == "timeout"  # as the wall clock's limit is
    assert "CPU time" in result.error
    assert time.monotonic() - started < 5


def test_memory_is_limited():
    result, _ = run("hoard = 'x' * (1024 ** 3)")
    assert result.status == "error"
    assert "MemoryError" in result.error


def flood(directory: str) -> str:
    """A script that writes files of 1 MB into `directory`, up to 1 GB, printing how much it wrote."""
    return (
        "import os\n"
        "written = 0\n"
        "try:\n"
        f"    os.makedirs({directory!r}, exist_ok=True)\n"
        "    while written < 1024 ** 3:\n"
        f"        with open(os.path.join({directory!r}, f'flood{{written}}'), 'wb') as file:\n"
        "            written += file.write(b'x' * 1024 * 1024)\n"
        "finally:\n"
        "    print(written)\n"
    )


def test_a_dev_flood_ends_at_a_cap(settings):
    settings.REMOTELAB_SCRIPT_CPU_SECONDS = 5  # time enough to write 1 GB where nothing stops it
    # bubblewrap's own /dev is an unbounded tmpfs: 1 GB went into it
    for directory in ["/dev", "/dev/shm", "/dev/pts", "/dev/mqueue", "/dev/flood"]:  # noqa: S108
        result, _ = run(flood(directory))
        assert result.status == "error", directory
        assert "Read-only file system" in result.error or "No space left on device" in result.error
        assert int(result.widgets[0]["value"]) <= settings.REMOTELAB_SCRIPT_TMP_BYTES  # /dev/shm is /tmp


def test_a_tmp_flood_ends_at_its_caps_on_bytes_and_files(settings):
    settings.REMOTELAB_SCRIPT_CPU_SECONDS = 5
    result, _ = run(
        "import errno\n"
        "try:\n"
        "    written = 0\n"
        "    while written < 1024 ** 3:\n"
        "        with open(f'/tmp/data{written}', 'wb') as file:\n"
        "            written += file.write(b'x' * 1024 * 1024)\n"
        "except OSError as error:\n"
        "    assert error.errno == errno.ENOSPC\n"
        "print(written)\n"
        "files = 0\n"
        "try:\n"
        "    while files < 50_000:\n"  # no bytes on /tmp, but some 600 bytes of the kernel's each
        "        open(f'/tmp/empty{files}', 'w').close()\n"
        "        files += 1\n"
        "finally:\n"
        "    print(files)\n"
    )
    assert result.status == "error"
    assert "No space left on device" in result.error
    written, files = (int(widget["value"]) for widget in result.widgets)
    assert written <= settings.REMOTELAB_SCRIPT_TMP_BYTES
    assert files <= sandbox.SCRATCH_INODES


def test_forked_children_share_one_budget():
    # prlimit --as used to give each process the whole budget: three children held three budgets
    size = settings.REMOTELAB_SCRIPT_MEMORY_BYTES * 4 // 5
    result, _ = run(
        "import os, time\n"
        "done, report = os.pipe()\n"
        "for _ in range(3):\n"
        "    if os.fork() == 0:\n"
        f"        hoard = b'x' * {size}\n"
        "        print('allocated')\n"
        "        os.write(report, b'+')\n"
        "        time.sleep(30)\n"
        "for _ in range(3):\n"
        "    os.read(done, 1)\n"
    )
    assert result.status == "error"
    assert "MemoryError" in result.error
    allocated = [widget for widget in result.widgets if widget["value"] == "allocated"]
    assert len(allocated) * size <= settings.REMOTELAB_SCRIPT_MEMORY_BYTES


LIBC = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
CHECK = "if {call} < 0:\n    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))\n"


@pytest.mark.parametrize(
    "code",
    [
        LIBC + CHECK.format(call="libc.shmget(0, 64 << 20, 0o600)"),  # outlives its mapping
        "import mmap\nmmap.mmap(-1, 64 << 20)",  # shared: a page left mapped keeps all of it
        "import os\nos.memfd_create('hoard')",  # a file outside every mount
        "import socket\nsocket.socketpair()",  # buffers up to net.core.wmem_max
        "import fcntl, os\nfcntl.fcntl(os.pipe()[1], fcntl.F_SETPIPE_SZ, 1 << 20)",
        "import os\nos.splice(os.open('/usr/bin/python3', os.O_RDONLY), os.pipe()[1], 4096)",
        LIBC + CHECK.format(call="libc.inotify_init1(0)"),
        LIBC + CHECK.format(call="libc.syscall(425, 4096, ctypes.create_string_buffer(120))"),  # io_uring
    ],
    ids=["sysv-shm", "shared-mapping", "memfd", "socket", "pipe-size", "splice", "inotify", "io_uring"],
)
def test_memory_that_no_limit_counts_is_refused(code):
    result, _ = run(code)
    assert result.status == "error"
    assert "Operation not permitted" in result.error


def test_a_budget_too_small_for_its_processes_is_refused_clearly(settings):
    settings.REMOTELAB_SCRIPT_MAX_PROCESSES = 64
    with pytest.raises(sandbox.SandboxUnavailable, match="REMOTELAB_SCRIPT_MEMORY_MB=256 leaves each"):
        sandbox.run("print(1)", FakeInstrument())


def test_without_root_a_script_gets_threads_but_no_processes(monkeypatch):
    monkeypatch.setattr(sandbox.os, "getuid", lambda: 1000)  # the server's path when it is not root
    result, _ = run(
        "import os, threading\n"
        "thread = threading.Thread(target=print, args=('thread',))\n"
        "thread.start()\n"
        "thread.join()\n"
        "os.fork()\n"
    )
    assert result.status == "error"
    assert [widget["value"] for widget in result.widgets] == ["thread"]
    assert "PermissionError" in result.error


@pytest.fixture
def delegated_cgroup(tmp_path, monkeypatch):
    """A stand-in for the cgroup v2 systemd hands a service with Delegate=memory pids."""
    service = tmp_path / "openevent.service"
    service.mkdir()
    (service / "cgroup.controllers").write_text("cpu memory pids\n")
    (service / "cgroup.subtree_control").write_text("\n")
    (service / "cgroup.procs").write_text(f"{os.getpid()}\n")
    os.setxattr(service, "trusted.delegate", b"1")
    monkeypatch.setattr(sandbox, "_cgroup_paths", lambda: (tmp_path, service))
    sandbox._cgroup_root.cache_clear()
    yield service
    sandbox._cgroup_root.cache_clear()


@pytest.mark.skipif(os.getuid() != 0, reason="marking a directory trusted.delegate takes root")
def test_a_delegated_cgroup_gets_a_cgroup_for_each_run(delegated_cgroup, monkeypatch):
    assert sandbox._cgroup_root() == delegated_cgroup
    assert (delegated_cgroup / "server" / "cgroup.procs").read_text() == str(os.getpid())  # moved out
    assert (delegated_cgroup / "cgroup.subtree_control").read_text() == "+memory +pids"
    with sandbox._run_cgroup("0") as cgroup:
        assert (cgroup / "memory.max").read_text() == str(settings.REMOTELAB_SCRIPT_MEMORY_BYTES)
        assert (cgroup / "pids.max").read_text() == str(settings.REMOTELAB_SCRIPT_MAX_PROCESSES + 1)
        assert (cgroup / "memory.oom.group").read_text() == "1"
    assert sandbox._budget_problem() is None  # the run's cgroup bounds it as a whole: no sharing out
    # a server started later inside the leaf uses the cgroup made ready before
    (delegated_cgroup / "cgroup.subtree_control").write_text("memory pids\n")  # as the kernel shows it
    leaf = delegated_cgroup / "server"
    monkeypatch.setattr(sandbox, "_cgroup_paths", lambda: (delegated_cgroup.parent, leaf))
    sandbox._cgroup_root.cache_clear()
    assert sandbox._cgroup_root() == delegated_cgroup


def test_a_thread_bomb_fizzles():
    result, _ = run(
        "import threading, time\n"
        "try:\n"
        "    while True:\n"
        "        threading.Thread(target=time.sleep, args=(60,)).start()\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
    )
    assert result.status == "done"  # and it did not wait for its sleeping threads
    assert result.widgets[0]["value"] == "can't start new thread"


@pytest.mark.skipif(os.getuid() != 0, reason="the process limit is set where the server runs as root")
def test_a_fork_bomb_fizzles():
    result, _ = run("import os\nwhile True:\n    os.fork()")
    assert result.status == "error"
    assert "Resource temporarily unavailable" in result.error
    deadline = time.monotonic() + 5  # the killed namespace's processes go within moments
    uids = ",".join(map(str, sandbox.SANDBOX_UIDS))
    while subprocess.run(["pgrep", "-u", uids], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "the fork bomb's processes outlived its run"
        time.sleep(0.05)


@pytest.mark.skipif(os.getuid() != 0, reason="runs have users of their own where the server is root")
def test_a_run_never_shares_its_user_with_another_server_process():
    # otherwise RLIMIT_NPROC would count both runs' processes against one of them
    taken = [str(uid) for uid in sandbox.SANDBOX_UIDS[: settings.REMOTELAB_MAX_RUNS]]
    locks = ", ".join(f"os.open('{sandbox.RUN_USERS / uid}', os.O_RDWR | os.O_CREAT)" for uid in taken)
    sandbox.RUN_USERS.mkdir(mode=0o700, exist_ok=True)
    other_server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import fcntl, os, time\nfor lock in [{locks}]:\n    fcntl.flock(lock, fcntl.LOCK_EX)\n"
            "print('holding', flush=True)\ntime.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert other_server.stdout.readline() == b"holding\n"
        result, _ = run("import os\nprint(os.getuid())")
    finally:
        other_server.kill()
        other_server.wait()
    assert result.widgets[0]["value"].strip() not in taken


def test_wall_time_is_limited(settings):
    settings.REMOTELAB_SCRIPT_TIMEOUT = 1
    result, _ = run("import time\ntime.sleep(30)")
    assert result.status == "timeout"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("while True:\n    print('spam')", "more than 500 widgets"),
        ("print('x' * 2_000_000)", "too large"),
        ("import __main__\n__main__._to_server.write('not json\\n')", "stopped"),
        (
            "import __main__\n__main__._send({'widget': {'type': 'button', 'name': 'b', 'label': 'b',"
            " 'action': {'endpoint': \"__import__('os')\"}}})",
            "is not a lab function",
        ),
        ("import __main__\n__main__._send({'widget': {'type': 'script', 'name': 'x'}})", "unknown widget"),
        ("plot([1, 2], [10**400, 1])", "a plot's numbers must be finite"),  # past any float the page has
    ],
    ids=["widget-flood", "huge-widget", "garbage", "bad-button", "unknown-widget", "huge-int-plot"],
)
def test_the_childs_output_is_untrusted(code, message):
    result, _ = run(code)
    assert result.status == "error"
    assert message in result.error


def test_a_script_that_stops_reading_answers_cannot_hang_the_server(settings):
    settings.REMOTELAB_SCRIPT_MAX_CALLS = 10**6
    started = time.monotonic()
    result = sandbox.run(
        "import __main__, time\n"
        "for _ in range(1000):\n"
        "    __main__._send({'call': 'capture1', 'args': ['CH1', 10000, 0.5], 'kwargs': {}})\n"
        "time.sleep(30)\n",
        lambda function, arguments: [[0.5] * 10000] * 2,  # a capture's worth of answer, unread
    )
    assert result.status == "error"
    assert "stopped reading the answers" in result.error
    assert time.monotonic() - started < settings.REMOTELAB_SCRIPT_TIMEOUT


def test_instrument_calls_per_run_are_limited(settings):
    settings.REMOTELAB_SCRIPT_MAX_CALLS = 5
    result, instrument = run("while True:\n    get_resistance()")
    assert result.status == "error"
    assert "more than 5 times" in result.error
    assert len(instrument.calls) == 5


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"widget": {"type": "plot", "name": "p", "data": [[NaN], [1]]}}', "not a JSON number"),
        ('{"widget": {"type": "plot", "name": "p", "data": [[1], [Infinity]]}}', "not a JSON number"),
        ("[" * 100_000, "stopped"),
        ('{"widget": {"type": "span", "name": "<img src=x>", "value": "x"}}', "needs a name"),
        ('{"call": "set_pv1", "args": [1' + "0" * 400 + '], "kwargs": {}}', "stopped"),
    ],
    ids=["nan", "infinity", "nested", "bad-name", "huge-number"],
)
def test_malformed_messages_end_the_run_cleanly(line, message):
    result, instrument = run(
        f"import __main__\n__main__._to_server.write({line!r} + '\\n')\nimport time\ntime.sleep(5)"
    )
    if "huge" in line or "set_pv1" in line:  # answered with an error: out of range
        assert instrument.calls == []
        return
    assert result.status == "error"
    assert message in result.error


def test_widgets_are_rebuilt_from_what_the_page_knows():
    result, _ = run(
        "import __main__\n"
        "__main__._send({'widget': {'type': 'button', 'name': 'b', 'label': 'x', 'onclick': 'evil()',"
        " 'action': {'type': 'DELETE', 'endpoint': \"get_resistance()\", 'success': {'target': 'other'}}}})\n"
    )
    assert result.widgets == [
        {
            "type": "button",
            "name": "b",
            "label": "x",
            "fetched_value": "",
            "action": {
                "type": "POST",
                "endpoint": "get_resistance()",
                "success": {"datapoint": "result", "type": "display_number", "target": "b-label"},
            },
        }
    ]


def test_a_plot_may_name_its_axes_in_text():
    result, _ = run(
        "plot([0, 1], [0.5, 1.5], xlabel='Time (ms)', ylabel='Voltage (V)')\n"
        "import __main__\n"
        "__main__._send({'widget': {'type': 'plot', 'name': 'p', 'data': [[0], [1]], 'xlabel': 5}})\n"
    )
    assert result.widgets == [
        {
            "type": "plot",
            "name": "plot0",
            "data": [[0, 1], [0.5, 1.5]],
            "xlabel": "Time (ms)",
            "ylabel": "Voltage (V)",
        }
    ]
    assert result.status == "error"
    assert "a plot's axis labels must be text" in result.error


def test_a_run_can_be_stopped():
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    result, _ = run("import time\ntime.sleep(30)", stop=stop)
    assert result.status == "stopped"


def test_without_bubblewrap_scripts_are_refused_clearly(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="bubblewrap"):
        sandbox.run("print(1)", FakeInstrument())
