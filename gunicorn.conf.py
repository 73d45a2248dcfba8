"""gunicorn settings for a small VPS (1 vCPU, ~1 GB RAM) behind nginx or Caddy.

`make serve` uses them; so does bench/. The GUNICORN_* variables below override the main ones.
"""

import os

# Loopback only: the reverse proxy in front terminates HTTPS and forwards here.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Two processes even on one vCPU: while one is being recycled (max_requests) or is stuck in
# a slow request, the other answers; the threads of one process share its one GIL.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads let a process overlap database waits; Python runs one at a time, so two are
# enough (the reverse proxy buffers slow clients). Fewer is also safer: each thread may be
# hashing a password, and scrypt holds 64 MiB while it runs, so 2 workers × 2 threads cap
# that at 256 MiB for the whole server (at 4 threads the bench saw 277 MB in one worker).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))

# No request here should take long; one stuck past this is killed and its worker replaced.
timeout = 30
graceful_timeout = 20
# The proxy on the same host reuses connections; a few seconds keeps that cheap.
keepalive = 5

# Recycle each worker after a while so slow leaks cannot grow forever; the jitter keeps the
# two workers from restarting at the same moment.
max_requests = 20000
max_requests_jitter = 2000

# Not preloaded: each worker imports the app itself after the fork, so no database
# connection or pool can ever be shared between processes, and a restarted worker always
# runs the code on disk. The cost, a second copy of the app's memory, is small here.
preload_app = False

# The heartbeat file in shared memory: a slow or full disk cannot stall the workers.
# (gunicorn makes it with mkstemp, so a world-writable directory is safe here.)
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# gunicorn's control socket sits at one path per user: two servers would fight over it.
control_socket_disable = True

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
