"""Run an untrusted lab script in a bubblewrap sandbox and relay what it produces.

The child (remotelab/runner.py, run by the system's Python) runs in new namespaces (no
network, its own process tree, no nested user namespaces) over a read-only root that holds
only the system's /usr, three device nodes and a private /tmp (also /dev/shm), and a clean
environment. Its memory is bounded as a whole, REMOTELAB_SCRIPT_MEMORY_MB for everything a
run holds:

- where the host delegates a cgroup v2 with the memory and pids controllers, each run gets a
  cgroup of its own (memory.max, no swap, pids.max), which counts every page it causes;
- otherwise prlimit bounds each process: /tmp (a tmpfs capped in bytes and in files) comes
  off the budget, and the rest is shared among the processes allowed, less what their open
  files may hold. Where the server is root, each run runs as a user id no other run on the
  machine holds, so RLIMIT_NPROC counts a run's processes; where it is not, a script cannot
  make processes at all (threads only).

Either way a seccomp filter refuses what no limit would count (SysV IPC, memfds, sockets,
pipe resizing and page splicing, inotify, fanotify, io_uring, shared anonymous mappings), and
prlimit also bounds CPU time, file size and open files. A wall-clock timeout ends the run.

Everything the child sends is untrusted: each line is size-capped and parsed strictly,
widgets are rebuilt from the keys the page knows and counted, instrument calls are counted
and checked like function strings, and the answers go out without ever blocking on a
child that stops reading.
"""

import contextlib
import errno
import fcntl
import functools
import json
import logging
import math
import os
import platform
import queue
import re
import selectors
import shlex
import shutil
import signal
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from openevent.errors import Conflict, Unavailable

from .functions import FUNCTIONS, FunctionError, bind
from .parser import parse

logger = logging.getLogger(__name__)

RUNNER = Path(__file__).with_name("runner.py")
MAX_LINE_BYTES = 256 * 1024
MAX_PENDING_REPLY_BYTES = 4 * 1024 * 1024
MAX_ERROR_CHARS = 4000
MAX_PLOT_POINTS = 10000
SANDBOX_TMP = "/tmp"  # noqa: S108 - inside the sandbox: its own private tmpfs
SANDBOX_SHM = "/dev/shm"  # noqa: S108 - a link to /tmp: one scratch space, one cap
# The sandbox's devices. Not /dev/zero: a shared mapping of it is shared anonymous memory, which
# the seccomp filter knows only by MAP_ANONYMOUS.
SANDBOX_DEVICES = ("/dev/null", "/dev/random", "/dev/urandom")
SANDBOX_UIDS = range(64000, 64256)  # where the server is root, each run holds one of these
RUN_USERS = Path("/run/openevent-lab")  # a lock for each of them, which a run holds, in any server process
WIDGET_NAME = re.compile(r"^[\w-]{1,64}$")
MB = 1024 * 1024
SCRATCH_INODES = 1024  # files and directories /tmp may hold
INODE_BYTES = 1024  # the kernel memory tmpfs reckons an inode takes (its BOGO_INODE_SIZE)
PIPE_PAGES = 17  # what an open file can hold outside an address space: a pipe's 16 pages, and its own
PYTHON_BYTES = 32 * MB  # the address space the sandbox's Python needs to start, with a thread
CGROUP_CONTROLLERS = ("memory", "pids")
CGROUP_LEAF = "server"  # where the server's processes go, so that its cgroup can share out controllers


class SandboxUnavailable(Unavailable):
    """This machine cannot make the sandbox, so scripts cannot run safely here."""


class SandboxBusy(Conflict):
    """Every run slot is taken."""


@dataclass
class RunResult:
    status: str = "done"  # done, error, timeout, stopped
    error: str | None = None
    widgets: list[dict] = field(default_factory=list)


@functools.cache
def _slots() -> queue.SimpleQueue:
    slots = queue.SimpleQueue()
    for slot in range(settings.REMOTELAB_MAX_RUNS):
        slots.put(slot)
    return slots


def bubblewrap() -> str:
    """The bubblewrap command, once it has shown it can make a sandbox here."""
    path = shutil.which("bwrap")
    if path is None or not os.access(settings.REMOTELAB_SANDBOX_PYTHON, os.X_OK):
        raise SandboxUnavailable(
            "Scripts cannot run on this server: the sandbox needs bubblewrap and the system's python3 "
            "(Debian packages bubblewrap and python3). Single function calls still work."
        )
    problem = _budget_problem() or _probe(path)
    if problem:
        raise SandboxUnavailable(
            f"Scripts cannot run on this server: {problem} Single function calls still work."
        )
    return path


def _budget_problem() -> str | None:
    """Why REMOTELAB_SCRIPT_MEMORY_MB cannot hold a run's processes here, or None if it can."""
    if _cgroup_root() is not None or _process_memory() >= PYTHON_BYTES:
        return None
    return (
        f"REMOTELAB_SCRIPT_MEMORY_MB={settings.REMOTELAB_SCRIPT_MEMORY_BYTES // MB} leaves each of a run's "
        f"REMOTELAB_SCRIPT_MAX_PROCESSES={settings.REMOTELAB_SCRIPT_MAX_PROCESSES} processes "
        f"{max(_process_memory(), 0) // MB} MB once REMOTELAB_SCRIPT_TMP_MB and the pipe buffers of "
        f"REMOTELAB_SCRIPT_MAX_FILES={settings.REMOTELAB_SCRIPT_MAX_FILES} open files are set aside, and "
        f"the sandbox's Python needs {PYTHON_BYTES // MB} MB: raise the first or lower the others."
    )


@functools.cache
def _probe(path: str) -> str | None:
    """Why the sandbox cannot be made here (say, no user namespaces), or None if it can."""
    for project_path in (settings.BASE_DIR, Path(str(settings.DATABASES["default"]["NAME"]))):
        if Path(project_path).resolve().is_relative_to("/usr"):
            return f"the project ({project_path}) lies under /usr, which the sandbox shows its scripts."
    with _run_user() as uid, _run_cgroup("probe") as cgroup, _seccomp_fd(cgroup) as seccomp:
        probe = subprocess.run(  # noqa: S603 - a fixed command line
            [*_sandbox_command(path, uid, cgroup, seccomp), "-c", "pass"],
            capture_output=True,
            text=True,
            timeout=30,
            env={"PATH": "/usr/bin:/bin"},
            pass_fds=[seccomp],
        )
    if probe.returncode != 0:
        return f"bubblewrap could not make a sandbox ({probe.stderr.strip()[:200]})."
    return None


def _process_memory() -> int:
    """The address space of each process where only rlimits bound a run: the budget less /tmp (its
    bytes and inodes), shared among the processes allowed, less what their open files may hold."""
    scratch = settings.REMOTELAB_SCRIPT_TMP_BYTES + SCRATCH_INODES * INODE_BYTES
    files = settings.REMOTELAB_SCRIPT_MAX_FILES * PIPE_PAGES * os.sysconf("SC_PAGE_SIZE")
    share = (settings.REMOTELAB_SCRIPT_MEMORY_BYTES - scratch) // settings.REMOTELAB_SCRIPT_MAX_PROCESSES
    return share - files


def _limits(cgroup: Path | None) -> list[str]:
    """prlimit's options for each of a run's processes."""
    cpu = settings.REMOTELAB_SCRIPT_CPU_SECONDS
    memory = settings.REMOTELAB_SCRIPT_MEMORY_BYTES if cgroup else _process_memory()
    limits = [
        f"--cpu={cpu}:{cpu + 1}",
        f"--as={memory}",
        f"--fsize={settings.REMOTELAB_SCRIPT_TMP_BYTES}",
        f"--nofile={settings.REMOTELAB_SCRIPT_MAX_FILES}",
        "--msgqueue=0",  # POSIX message queues: kernel memory
        "--sigpending=64",  # queued signals: kernel memory too
        "--core=0",
    ]
    if os.getuid() == 0:  # root is exempt from the process limit; the run's own uid is not
        limits.append(f"--nproc={_max_tasks()}")
    return limits


def _max_tasks() -> int:
    """A run's processes and threads, bubblewrap's monitor (outside the sandbox) included."""
    return settings.REMOTELAB_SCRIPT_MAX_PROCESSES + 1


def _sandbox_command(
    bwrap: str, uid: int, cgroup: Path | None, seccomp: int, info: int | None = None
) -> list[str]:
    """The run's own mount namespace, where its /tmp is mounted with a cap on bytes and files, then
    bubblewrap, limited by prlimit (as the run's own `uid`, where the server is root), about to start
    the sandbox's Python."""
    root = os.getuid() == 0
    owner = uid if root else 0  # 0: the server's own uid, in the namespace unshare makes for it
    setup = [
        f"mount -t tmpfs -o size={settings.REMOTELAB_SCRIPT_TMP_BYTES},nr_inodes={SCRATCH_INODES},"
        f"mode=0700,uid={owner},gid={owner},nosuid,nodev,noexec openevent-lab {SANDBOX_TMP}",
        'exec "$@"',
    ]
    if cgroup is not None:
        setup.insert(0, f"echo 0 > {shlex.quote(str(cgroup / 'cgroup.procs'))}")
    namespace = ["--mount"] if root else ["--user", "--map-root-user", "--mount"]
    as_run_user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"] if root else []
    devices = [argument for device in SANDBOX_DEVICES for argument in ("--dev-bind", device, device)]
    return [
        "unshare", *namespace, "--propagation", "private", "--",
        "sh", "-c", " && ".join(setup), "sh",
        *as_run_user,
        "prlimit", *_limits(cgroup), "--",
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",  # no reaper of bubblewrap's own in the sandbox, for a script to take over
        "--uid", str(uid),
        "--gid", str(uid),
        "--seccomp", str(seccomp),
        *(["--info-fd", str(info)] if info is not None else []),
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin",
        "--proc", "/proc",
        "--tmpfs", "/dev",
        *devices,
        "--symlink", "/proc/self/fd", "/dev/fd",
        "--symlink", SANDBOX_TMP, SANDBOX_SHM,
        "--remount-ro", "/dev",
        "--bind", SANDBOX_TMP, SANDBOX_TMP,
        "--remount-ro", "/",
        "--chdir", SANDBOX_TMP,
        "--clearenv",
        "--setenv", "HOME", SANDBOX_TMP,
        "--setenv", "PYTHONHASHSEED", "0",
        "--",
        settings.REMOTELAB_SANDBOX_PYTHON, "-I", "-S",
    ]  # fmt: skip


# seccomp: each refused call fails with EPERM. SysV IPC objects and memfds outlive their mappings,
# socket buffers grow to net.core.wmem_max, splice, tee and vmsplice pin pages, inotify, fanotify and
# io_uring hold kernel memory per watch, event or ring: none of it in an address space or a mount.
REFUSED_CALLS = (
    "shmget", "semget", "msgget", "memfd_create", "memfd_secret", "socket", "socketpair",
    "splice", "tee", "vmsplice", "inotify_init", "inotify_init1", "fanotify_init", "io_uring_setup",
)  # fmt: skip
SYSCALLS = {  # name: (x86_64, aarch64)
    "shmget": (29, 194), "semget": (64, 190), "msgget": (68, 186),
    "memfd_create": (319, 279), "memfd_secret": (447, 447),
    "socket": (41, 198), "socketpair": (53, 199),
    "splice": (275, 76), "tee": (276, 77), "vmsplice": (278, 75),
    "inotify_init": (253, None), "inotify_init1": (294, 26), "fanotify_init": (300, 262),
    "io_uring_setup": (425, 425),
    "mmap": (9, 222), "fcntl": (72, 25),
    "fork": (57, None), "vfork": (58, None), "clone": (56, 220), "clone3": (435, 435),
}  # fmt: skip
AUDIT_ARCHES = {"x86_64": (0, 0xC000003E), "aarch64": (1, 0xC00000B7)}  # column in SYSCALLS, AUDIT_ARCH_*
X32_SYSCALL_BIT = 0x40000000
MAP_SHARED_ANONYMOUS = 0x01 | 0x20  # shared anonymous memory stays whole while any page of it is mapped
F_SETPIPE_SZ = 1031
CLONE_THREAD = 0x10000
LD, AND, JEQ, JGE, RET = 0x20, 0x54, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, ALU|AND|K, JMP|JEQ|K, JMP|JGE|K, RET|K
ALLOW, REFUSE, NO_SUCH_CALL = 0x7FFF0000, 0x50000 | errno.EPERM, 0x50000 | errno.ENOSYS
ARCH, NR = 4, 0  # offsets in struct seccomp_data
ARG = [16 + 8 * n for n in range(6)]  # the low 32 bits of each argument, on these little-endian machines


@functools.cache
def _seccomp_program(processes: bool) -> bytes:
    """The seccomp filter bubblewrap applies to the script: it refuses REFUSED_CALLS, growing pipes,
    shared anonymous mappings, other ABIs and, unless `processes`, every new process but threads."""
    machine = platform.machine()
    if machine not in AUDIT_ARCHES:
        raise SandboxUnavailable(f"Scripts cannot run on this server: the sandbox knows no {machine} calls.")
    column, arch = AUDIT_ARCHES[machine]
    number = {name: row[column] for name, row in SYSCALLS.items() if row[column] is not None}
    refused = [name for name in (*REFUSED_CALLS, *([] if processes else ["fork", "vfork"])) if name in number]
    program = [(LD, ARCH), (JEQ, arch, "native"), (RET, REFUSE), "native", (LD, NR)]  # not another ABI
    if machine == "x86_64":
        program.append((JGE, X32_SYSCALL_BIT, "refuse"))  # nor x32's calls
    program += [(JEQ, number[name], "refuse") for name in refused]
    program += [(JEQ, number["mmap"], "mmap"), (JEQ, number["fcntl"], "fcntl")]
    if not processes:  # clone3's flags lie in memory a filter cannot read: glibc then falls back to clone
        program += [(JEQ, number["clone3"], "no such call"), (JEQ, number["clone"], "clone")]
    program += [(RET, ALLOW), "mmap", (LD, ARG[3]), (AND, MAP_SHARED_ANONYMOUS)]
    program += [(JEQ, MAP_SHARED_ANONYMOUS, "refuse"), (RET, ALLOW)]
    program += ["fcntl", (LD, ARG[1]), (JEQ, F_SETPIPE_SZ, "refuse"), (RET, ALLOW)]
    if not processes:
        program += ["clone", (LD, ARG[0]), (AND, CLONE_THREAD), (JEQ, 0, "refuse"), (RET, ALLOW)]
        program += ["no such call", (RET, NO_SUCH_CALL)]
    return _assemble([*program, "refuse", (RET, REFUSE)])


def _assemble(program: list) -> bytes:
    """Classic BPF from steps (code, k[, the label to jump to where a test holds]) and labels."""
    labels, steps = {}, []
    for step in program:
        if isinstance(step, str):
            labels[step] = len(steps)
        else:
            steps.append(step)
    return b"".join(
        struct.pack("=HBBI", code, labels[target[0]] - index - 1 if target else 0, 0, k)
        for index, (code, k, *target) in enumerate(steps)
    )


@contextlib.contextmanager
def _seccomp_fd(cgroup: Path | None) -> Iterator[int]:
    """A pipe to read the run's seccomp filter from, for bubblewrap --seccomp."""
    program = _seccomp_program(processes=os.getuid() == 0 or cgroup is not None)
    read, write = os.pipe()
    try:
        try:
            os.write(write, program)
        finally:
            os.close(write)
        yield read
    finally:
        os.close(read)


def _cgroup_paths() -> tuple[Path, Path] | None:
    """(the cgroup2 mount, this process's cgroup in it), or None where it has no cgroup v2."""
    mount = None
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[fields.index("-") + 1] == "cgroup2" and fields[3] == "/":
            mount = Path(fields[4])
            break
    own = [line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines() if line.startswith("0::")]
    if mount is None or not own:
        return None
    return mount, mount / own[0].lstrip("/")


def _delegated(cgroup: Path) -> bool:
    """Whether `cgroup` is handed to this server: marked so (systemd's Delegate= sets trusted.delegate
    or user.delegate), or, for a server that is not root, owned by it as systemd hands out a cgroup."""
    for attribute in ("trusted.delegate", "user.delegate"):
        with contextlib.suppress(OSError):
            if os.getxattr(cgroup, attribute) == b"1":
                return True
    owned = (cgroup, cgroup / "cgroup.procs", cgroup / "cgroup.subtree_control")
    return os.geteuid() != 0 and all(path.stat().st_uid == os.geteuid() for path in owned)


def _controllers(cgroup: Path, kind: str) -> bool:
    return set(CGROUP_CONTROLLERS) <= set((cgroup / f"cgroup.{kind}").read_text().split())


@functools.cache
def _cgroup_root() -> Path | None:
    """The delegated cgroup v2 under which each run gets one of its own, or None where the host
    delegates none to this server with the memory and pids controllers (runs are limited per process)."""
    try:
        paths = _cgroup_paths()
        if paths is None:
            return None
        mount, own = paths
        if own != mount and _delegated(own.parent) and _controllers(own.parent, "subtree_control"):
            return own.parent  # our leaf of a delegated cgroup (or one systemd's DelegateSubgroup= made)
        if not (_delegated(own) and _controllers(own, "controllers")):
            return None
        # cgroup v2 lets only a cgroup without processes share out controllers: move them to a leaf
        leaf = own / CGROUP_LEAF
        leaf.mkdir(exist_ok=True)
        for pid in (own / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                (leaf / "cgroup.procs").write_text(pid)
        (own / "cgroup.subtree_control").write_text(" ".join(f"+{name}" for name in CGROUP_CONTROLLERS))
        return own
    except OSError as error:
        logger.warning("Lab runs are limited per process: the server's cgroup cannot hold them (%s).", error)
        return None


@contextlib.contextmanager
def _run_user() -> Iterator[int]:
    """A uid of the run's own: one of SANDBOX_UIDS that no other run on the machine holds."""
    if os.getuid() != 0:
        yield SANDBOX_UIDS[0]  # a user namespace's alone: the run is the server's user either way
        return
    RUN_USERS.mkdir(mode=0o700, parents=True, exist_ok=True)
    for uid in SANDBOX_UIDS:
        lock = os.open(RUN_USERS / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            continue
        try:
            yield uid
        finally:
            os.close(lock)
        return
    raise SandboxBusy("Every lab sandbox on this machine is busy. Try again in a moment.")


@contextlib.contextmanager
def _run_cgroup(name: str) -> Iterator[Path | None]:
    """A cgroup of its own for one run (None where the host delegates none), removed afterwards."""
    root = _cgroup_root()
    if root is None:
        yield None
        return
    cgroup = root / f"lab-{os.getpid()}-{name}"
    try:
        try:
            cgroup.mkdir(exist_ok=True)
            (cgroup / "memory.max").write_text(str(settings.REMOTELAB_SCRIPT_MEMORY_BYTES))
            (cgroup / "memory.oom.group").write_text("1")
            (cgroup / "pids.max").write_text(str(_max_tasks()))
            if (cgroup / "memory.swap.max").exists():  # where the kernel accounts swap
                (cgroup / "memory.swap.max").write_text("0")
        except OSError as error:
            raise SandboxUnavailable(
                f"Scripts cannot run on this server: its cgroup {root} would not take a run ({error})."
            ) from error
        yield cgroup
    finally:
        _remove_cgroup(cgroup)


def _remove_cgroup(cgroup: Path) -> None:
    """Kill what is left of the run in `cgroup` and remove it."""
    try:
        if (cgroup / "cgroup.kill").exists():
            (cgroup / "cgroup.kill").write_text("1")
        deadline = time.monotonic() + 5
        while "populated 1" in (cgroup / "cgroup.events").read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
        cgroup.rmdir()
    except FileNotFoundError:
        pass
    except OSError as error:
        logger.warning("A lab run's cgroup %s could not be removed (%s).", cgroup, error)


def _oom_killed(cgroup: Path | None) -> bool:
    if cgroup is None:
        return False
    events = dict(line.split() for line in (cgroup / "memory.events").read_text().splitlines())
    return int(events.get("oom_kill", 0)) > 0


def _reject_constant(name: str):
    raise ValueError(f"it sent {name}, which is not a JSON number")


def _loads(line: bytes):
    return json.loads(line, parse_constant=_reject_constant)


def _finite_numbers(values: object) -> list:
    if not isinstance(values, list) or len(values) > MAX_PLOT_POINTS:
        raise ValueError(f"a plot's x and y must be lists of at most {MAX_PLOT_POINTS} numbers")
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
        raise ValueError("a plot's x and y must be numbers")
    if not all(_finite(value) for value in values):
        raise ValueError("a plot's numbers must be finite")
    return values


def _finite(number: int | float) -> bool:
    """A number the page can draw: finite as a float (an int past the floats' range is not)."""
    try:
        return math.isfinite(float(number))
    except OverflowError:
        return False


def check_widget(widget: object) -> dict:
    """The widget rebuilt from the keys the page knows; ValueError if it is not one it can show."""
    if (
        not isinstance(widget, dict)
        or not isinstance(widget.get("name"), str)
        or not WIDGET_NAME.match(widget["name"])
    ):
        raise ValueError("a widget needs a name of letters, digits, - and _")
    name, kind = widget["name"], widget.get("type")
    if kind in ("span", "label"):
        if not isinstance(widget.get("value"), str):
            raise ValueError(f"a {kind} needs a text value")
        rebuilt = {"type": kind, "name": name, "value": widget["value"]}
        if widget.get("class") == "row well":
            rebuilt["class"] = "row well"
        return rebuilt
    if kind == "button":
        action = widget.get("action")
        if not isinstance(widget.get("label"), str) or not isinstance(action, dict):
            raise ValueError("a button needs a label and an action")
        parse(action.get("endpoint"))  # a button may only call what a function string may
        success = {"datapoint": "result", "type": "display_number", "target": f"{name}-label"}
        return {
            "type": "button",
            "name": name,
            "label": widget["label"],
            "fetched_value": "",
            "action": {"type": "POST", "endpoint": action["endpoint"], "success": success},
        }
    if kind == "plot":
        data = widget.get("data")
        if not (isinstance(data, list) and len(data) == 2):
            raise ValueError("a plot needs [x, y]")
        x, y = _finite_numbers(data[0]), _finite_numbers(data[1])
        if len(x) != len(y):
            raise ValueError("a plot's x and y must have the same length")
        labels = {key: widget[key] for key in ("xlabel", "ylabel") if key in widget}
        if not all(isinstance(text, str) for text in labels.values()):
            raise ValueError("a plot's axis labels must be text")
        return {"type": "plot", "name": name, "data": [x, y], **labels}
    raise ValueError(f"an unknown widget type {kind!r}")


class _Child:
    """The sandboxed process and the two pipes to it, never blocking on either."""

    def __init__(self, uid: int, cgroup: Path | None):
        info, info_for_bwrap = os.pipe()
        try:
            try:
                with _seccomp_fd(cgroup) as seccomp:
                    self.process = subprocess.Popen(  # noqa: S603 - a fixed command line; the script goes through stdin
                        [
                            *_sandbox_command(bubblewrap(), uid, cgroup, seccomp, info_for_bwrap),
                            "-c",
                            RUNNER.read_text(),
                        ],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,
                        env={"PATH": "/usr/bin:/bin"},
                        pass_fds=[seccomp, info_for_bwrap],
                    )
            finally:
                os.close(info_for_bwrap)
            self.sandbox = _sandbox_process(info)
        finally:
            os.close(info)
        self.stdin, self.stdout = self.process.stdin.fileno(), self.process.stdout.fileno()
        os.set_blocking(self.stdin, False)
        self.incoming, self.outgoing = b"", bytearray()
        self.output_left = settings.REMOTELAB_SCRIPT_MAX_OUTPUT_BYTES
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.stdout, selectors.EVENT_READ)

    def send(self, message: dict) -> None:
        self.outgoing += (json.dumps(message) + "\n").encode()
        if len(self.outgoing) > MAX_PENDING_REPLY_BYTES:
            raise ValueError("it stopped reading the answers to its calls")

    def wait(self, timeout: float) -> list[object] | None:
        """Messages the child sent within `timeout` (maybe none); None once it has closed stdout."""
        events = self.selector.get_map().get(self.stdin)
        if self.outgoing and events is None:
            self.selector.register(self.stdin, selectors.EVENT_WRITE)
        elif not self.outgoing and events is not None:
            self.selector.unregister(self.stdin)
        messages: list[object] = []
        for key, _ in self.selector.select(timeout):
            if key.fd == self.stdin:
                with contextlib.suppress(BlockingIOError):
                    del self.outgoing[: os.write(self.stdin, self.outgoing)]
                continue
            chunk = os.read(self.stdout, 65536)
            if not chunk:
                return None
            self.output_left -= len(chunk)
            if self.output_left < 0:
                raise ValueError("it wrote more output than a run may have")
            *lines, self.incoming = (self.incoming + chunk).split(b"\n")
            if len(self.incoming) > MAX_LINE_BYTES:
                raise ValueError("it sent a message that is too large")
            messages += [_loads(line) for line in lines if line.strip()]
        return messages

    def end(self) -> int:
        """End the run and wait until all of it has gone; bubblewrap's exit code."""
        self.selector.close()
        if self.process.poll() is None and self.sandbox is not None:
            # Its namespace goes with it, and bubblewrap, its parent, reaps it: nothing is left orphaned.
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.sandbox, signal.SIGKILL)
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait()
        if self.sandbox is not None:
            os.close(self.sandbox)
        self.process.stdin.close()
        self.process.stdout.close()
        return code


def _sandbox_process(info: int) -> int | None:
    """A pidfd of the sandbox's first process, which bubblewrap reports on `info` (None if it failed)."""
    report = b""
    while chunk := os.read(info, 4096):
        report += chunk
    return os.pidfd_open(json.loads(report)["child-pid"]) if report else None


def run(
    code: str,
    call: Callable[[object, list], object],
    on_widget: Callable[[dict], None] = lambda widget: None,
    stop: threading.Event | None = None,
) -> RunResult:
    """Run `code` in the sandbox. `call(function, arguments)` runs a checked instrument call;
    `on_widget` gets each widget as the script makes it; setting `stop` ends the run.
    Raises SandboxUnavailable where there is no sandbox and SandboxBusy when all run slots are."""
    bubblewrap()
    try:
        slot = _slots().get_nowait()
    except queue.Empty as error:
        raise SandboxBusy("Every lab sandbox is busy. Try again in a moment.") from error
    try:
        with _run_user() as uid, _run_cgroup(str(slot)) as cgroup:
            child = _Child(uid, cgroup)
            result = RunResult()
            try:
                result.status, result.error = _converse(child, code, call, on_widget, stop, result)
            except Exception as error:  # whatever the child sends, the run ends cleanly
                if not isinstance(error, ValueError | TypeError | RecursionError | FunctionError):
                    logger.exception("A lab run failed")
                result.status, result.error = "error", f"The script was stopped: {error}"
            finally:
                exit_code = child.end()
            if result.status == "ended":
                result.status, result.error = _exit_reason(exit_code, _oom_killed(cgroup))
        result.error = result.error and result.error[:MAX_ERROR_CHARS]
        return result
    finally:
        _slots().put(slot)


def _converse(child: _Child, code, call, on_widget, stop, result) -> tuple[str, str | None]:
    """Serve the child until the run is over: (status, error); status "ended" if it just quit."""
    deadline = time.monotonic() + settings.REMOTELAB_SCRIPT_TIMEOUT
    calls_left = settings.REMOTELAB_SCRIPT_MAX_CALLS
    child.send({"code": code, "functions": sorted(FUNCTIONS)})
    while True:
        if stop is not None and stop.is_set():
            return "stopped", None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timeout", f"The script ran longer than {settings.REMOTELAB_SCRIPT_TIMEOUT} s."
        messages = child.wait(min(remaining, 0.1))
        if messages is None:
            return "ended", None
        for message in messages:
            if not isinstance(message, dict):
                raise ValueError("it sent something that is not a message")
            if "widget" in message:
                if len(result.widgets) >= settings.REMOTELAB_SCRIPT_MAX_WIDGETS:
                    raise ValueError(f"it made more than {settings.REMOTELAB_SCRIPT_MAX_WIDGETS} widgets")
                widget = check_widget(message["widget"])
                result.widgets.append(widget)
                on_widget(widget)
            elif "call" in message:
                calls_left -= 1
                if calls_left < 0:
                    raise ValueError(
                        f"it called the instrument more than {settings.REMOTELAB_SCRIPT_MAX_CALLS} times"
                    )
                child.send(_answer(message, call))
            elif message.get("done") is True:
                return "done", None
            elif isinstance(message.get("error"), str):
                return "error", message["error"]
            else:
                raise ValueError("it sent an unknown message")


def _answer(message: dict, call) -> dict:
    args, kwargs = message.get("args"), message.get("kwargs")
    if not isinstance(message["call"], str) or not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ValueError("it sent a malformed call")
    try:
        function, arguments = bind(message["call"], args, kwargs)
        return {"result": call(function, arguments)}
    except (FunctionError, Unavailable) as error:
        return {"error": str(error)}


def _exit_reason(code: int, out_of_memory: bool) -> tuple[str, str]:
    """Why a child quit before it finished: (status, error); past its CPU time is a timeout."""
    if out_of_memory:
        megabytes = settings.REMOTELAB_SCRIPT_MEMORY_BYTES // MB
        return "error", f"The script used more than {megabytes} MB of memory."
    killed = {signal.SIGXCPU, signal.SIGKILL}
    if -code in killed or code - 128 in killed:  # the signal itself, or bubblewrap's 128 + signal
        return "timeout", f"The script used more than {settings.REMOTELAB_SCRIPT_CPU_SECONDS} s of CPU time."
    return "error", f"The script ended without finishing (exit code {code}); it may have run out of memory."
