"""Run several commands as one, for `make run` and `make serve` (the web server and the
worker beside it):

    python scripts/together.py "flask --app wsgi run" "flask --app wsgi worker"

- Ctrl-C, or SIGTERM to this process, stops them all: each gets SIGTERM and may finish what
  it is doing (GRACE seconds, then SIGKILL); this exits 0. gunicorn is given its own
  graceful_timeout, read from its config file (-c), plus MARGIN: it waits that long for its
  workers to finish their requests, and killing it sooner would orphan them.
- When one of them exits by itself, the others are stopped the same way and this exits
  non-zero (that command's exit status, or 1), so make reports the failure.
- make passes no signal on to the command it runs: when make itself is killed, this notices
  that its parent is gone and stops them all. And should this be killed outright, Linux
  sends each command SIGTERM (PR_SET_PDEATHSIG), so nothing is left running.

The commands run in a process group of their own, so that a Ctrl-C reaches only this
process, which then stops them in order.
"""

import ctypes
import os
import runpy
import shlex
import signal
import subprocess
import sys
import time

GRACE = 10.0  # seconds a command has to stop after SIGTERM
MARGIN = 5.0  # seconds beyond gunicorn's own graceful_timeout
GUNICORN_GRACEFUL_TIMEOUT = 30.0  # gunicorn's default, when its config does not say
POLL = 0.2
PR_SET_PDEATHSIG = 1


# The C library, looked up before any fork (die_with_parent runs between fork and exec,
# where nothing that may start a process or take a lock should run).
LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None


def die_with_parent() -> None:
    """In the child, before it runs the command: SIGTERM when this process dies (Linux)."""
    if LIBC is not None:
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Stop(Exception):
    pass


def raise_stop(signum, frame) -> None:
    raise Stop(signal.Signals(signum).name)


def grace_for(argv: list[str]) -> float:
    """Seconds the command may take to stop after SIGTERM: GRACE, or for gunicorn the
    graceful_timeout its config file sets (gunicorn.conf.py in the current directory unless
    -c names one, as gunicorn itself reads it) plus MARGIN."""
    if not argv or os.path.basename(argv[0]) != "gunicorn":
        return GRACE
    config = "gunicorn.conf.py"
    for index, argument in enumerate(argv):
        if argument in ("-c", "--config") and index + 1 < len(argv):
            config = argv[index + 1]
        elif argument.startswith("--config="):
            config = argument.split("=", 1)[1]
    try:
        settings = runpy.run_path(config)
    except Exception:  # no such file, or one gunicorn itself will refuse: its default
        settings = {}
    graceful = float(settings.get("graceful_timeout", GUNICORN_GRACEFUL_TIMEOUT))
    return max(GRACE, graceful + MARGIN)


def stop_all(processes: list[subprocess.Popen], grace: float) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            print(f"together: {process.args[0]} did not stop in {grace:.0f} s; killing it",
                  file=sys.stderr, flush=True)
            process.kill()
            process.wait()


def main(commands: list[str]) -> int:
    if not commands:
        print("usage: together.py COMMAND [COMMAND …]", file=sys.stderr)
        return 2
    parent = os.getppid()
    grace = max(grace_for(shlex.split(command)) for command in commands)
    signal.signal(signal.SIGINT, raise_stop)
    signal.signal(signal.SIGTERM, raise_stop)
    signal.signal(signal.SIGHUP, raise_stop)
    processes: list[subprocess.Popen] = []
    try:
        for command in commands:
            # The commands are the Makefile's own, not input from anyone else.
            processes.append(subprocess.Popen(shlex.split(command),  # noqa: S603
                                              process_group=0, preexec_fn=die_with_parent))
        while True:
            for process in processes:
                status = process.poll()
                if status is not None:
                    name = shlex.join(process.args)
                    print(f"together: `{name}` exited with status {status}; stopping the "
                          "others", file=sys.stderr, flush=True)
                    stop_all(processes, grace)
                    return status if status > 0 else 1
            if os.getppid() != parent:
                raise Stop("its parent is gone")
            time.sleep(POLL)
    except Stop as reason:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut it short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(f"together: stopping ({reason})", file=sys.stderr, flush=True)
        stop_all(processes, grace)
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
