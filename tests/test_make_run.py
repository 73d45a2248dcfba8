"""`make run` for real (without its install step: `make -o install run`): it serves the app
and runs the worker beside it; Ctrl-C stops both, so does killing make, and when either dies
the other is stopped and make fails."""

import os
import runpy
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.live import free_port

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 60  # seconds: a loaded machine is slow, never wrong


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return status != "Z"


def wait_for(condition, seconds: float = DEADLINE) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not there in time")
        time.sleep(0.1)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (loopback, from the test)
            return True
    except OSError:
        return False


class Run:
    def __init__(self, process, log, url):
        self.process, self.log, self.url = process, log, url

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def server_and_worker(self) -> tuple[int, int]:
        """The pids of `flask run` and `flask worker` under make."""
        below = {pid: command_line(pid) for pid in descendants(self.process.pid)}
        server = [pid for pid, line in below.items() if "flask" in line and " run " in line
                  and "together" not in line]
        worker = [pid for pid, line in below.items() if line.rstrip().endswith(" worker")
                  and "together" not in line]
        assert len(server) == len(worker) == 1, below
        return server[0], worker[0]


@contextmanager
def make_run(database_url: str):
    """`make run` in a session of its own, as a terminal would start it, until it is up."""
    port = free_port()
    env = os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "make-run-test",
                        "PYTHONUNBUFFERED": "1"}
    env.pop("MAKEFLAGS", None)
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", "install", "run", "HOST=127.0.0.1",
             f"PORT={port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        run = Run(process, log, f"http://127.0.0.1:{port}")
        try:
            wait_for(lambda: process.poll() is not None or (
                answers(run.url + "/healthz") and "worker INFO Started" in run.output()))
            assert process.poll() is None, run.output()
            yield run
        finally:
            for pid in descendants(process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def started(database_url):
    with make_run(database_url) as run:
        yield run


def test_make_run_serves_and_ctrl_c_stops_both(started):
    server, worker = started.server_and_worker()
    assert "Password (shown only this once)" in started.output()  # bootstrapped
    os.killpg(started.process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    started.process.wait(timeout=DEADLINE)
    assert not alive(server) and not alive(worker)
    assert not answers(started.url + "/healthz")
    log = started.output()
    assert "together: stopping (SIGINT)" in log and "worker INFO Stopped" in log


def test_killing_make_stops_both(started):
    server, worker = started.server_and_worker()
    os.kill(started.process.pid, signal.SIGTERM)  # make alone: it passes nothing on
    started.process.wait(timeout=DEADLINE)
    wait_for(lambda: not alive(server) and not alive(worker))
    assert "together: stopping (its parent is gone)" in started.output()


@pytest.mark.parametrize("dies", ["server", "worker"])
def test_when_either_dies_the_other_stops_and_make_fails(started, dies):
    server, worker = started.server_and_worker()
    victim, other = (server, worker) if dies == "server" else (worker, server)
    os.kill(victim, signal.SIGKILL)
    assert started.process.wait(timeout=DEADLINE) != 0
    assert not alive(other)
    assert "exited with status -9; stopping the others" in started.output()


def test_when_together_itself_is_killed_outright_its_commands_go_too():
    """SIGKILL leaves no time to stop anything: Linux sends each command SIGTERM."""
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "together.py"),
                                "sleep 300", "sleep 301"])
    wait_for(lambda: len(descendants(process.pid)) == 2)
    commands = descendants(process.pid)
    process.kill()
    process.wait()
    wait_for(lambda: not any(alive(pid) for pid in commands))


def test_gunicorn_is_given_its_graceful_timeout_before_it_is_killed(tmp_path):
    """gunicorn waits graceful_timeout for its workers to finish their requests after
    SIGTERM: together.py reads that number from gunicorn's config (-c) and waits longer, so
    it never kills the master mid-shutdown and orphans its workers. Here a stand-in named
    gunicorn takes a little longer than together's default GRACE to stop."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import together
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    slow = together.GRACE + 2
    (tmp_path / "gunicorn.conf.py").write_text(f"graceful_timeout = {slow}\n")
    finished = tmp_path / "finished"
    stand_in = tmp_path / "gunicorn"
    stand_in.write_text(
        f"#!{sys.executable}\n"
        "import signal, sys, time\n"
        "def stop(signum, frame):\n"
        f"    time.sleep({slow})  # its workers finish their requests\n"
        f"    open({str(finished)!r}, 'w').close()\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "print('up', flush=True)\n"
        "while True:\n"
        "    time.sleep(1)\n")
    stand_in.chmod(0o755)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "together.py"),
         f"{stand_in} -c {tmp_path / 'gunicorn.conf.py'}", "sleep 300"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "up\n"
    process.send_signal(signal.SIGTERM)
    _out, errors = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, errors
    assert "killing it" not in errors
    assert finished.exists()  # it stopped by itself, not by SIGKILL
    # The real config's number is the one read for `make serve`.
    served = together.grace_for(["gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"])
    assert served > runpy.run_path(str(ROOT / "gunicorn.conf.py"))["graceful_timeout"]
