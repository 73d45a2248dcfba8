"""`make bench`: issue 6's figures on this machine. It prints them and asserts nothing.

A fresh SQLite database in a temporary directory gets the migrations, an account of 100,000
demo users (`flask seed-demo`) and an Admin (`flask create-admin`). gunicorn serves it with
the repository's gunicorn.conf.py on a free 127.0.0.1 port; wrk drives /healthz, the users
list fragment and three searches, and a Python loop creates and deletes users. Then it reads
each worker's resident memory and weighs a first page load and a 25-row fragment. Every
throughput and latency is also given as a ratio to /healthz measured in the same run. Last,
the allocator section (bench/allocator.py) sends new chats through the API to 200 Online
agents over 100,000 past chats, and counts what went over capacity.

On a machine with two or more CPUs, gunicorn is pinned to one CPU and wrk to another: the
server then has what a 1-vCPU VPS has, and the load generator does not compete with it.
"""

import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import allocator  # bench/allocator.py: the allocator section

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USERS = int(os.environ.get("BENCH_USERS", "100000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))
WARMUP_SECONDS = 1
# Throughput with twice as many connections as gunicorn.conf.py's 2 workers × 2 threads, so
# no thread waits for its next request; latency with one request at a time, as an admin sees
# it when the server is not saturated (at 8 connections on one CPU each request also waits
# for those ahead of it).
SATURATING, ONE_AT_A_TIME = 8, 1
CYCLE_CLIENTS = 4
ACCOUNT = "Bench"
ADMIN = "benchadmin"
PASSWORD = "bench-" + secrets.token_hex(8)
# Searches of these lengths, each with many, few and no matches (chosen from the data).
SEARCH_LENGTHS = (1, 2, 3, 6)
FEW_AT_MOST = 10
# Lists sorted other than newest first (no search), and one sorted search.
SORTED = ("name", "-username", "email", "-role")
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"
GZIP_LEVEL = 6  # what nginx and Caddy setups commonly use
KB = 1024

SIGNED_IN_FLOOR = "signed-in floor: /users/presence, no rows"
TARGETS = {
    "memory": "< 100 MB per worker",
    "page": "< 40 KB gzipped",
    "fragment": "< 10 KB",
}


@dataclass
class Load:
    """What one load run measured: throughput and latency percentiles (milliseconds)."""

    rps: float
    p50: float
    p95: float
    p99: float
    errors: int = 0
    note: str = ""


# -- setting up -------------------------------------------------------------------------------

def flask(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603  (our own commands, no shell)
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=240)
    if result.returncode:
        sys.exit(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def prepare_database(env: dict) -> None:
    flask(env, "db", "upgrade")
    began = time.perf_counter()
    print("  " + flask(env, "seed-demo", "--account", ACCOUNT, "--users", str(USERS),
                       "--seed", "6"))
    print(f"  (seed-demo took {time.perf_counter() - began:.1f} s including app start)")
    flask(env, "create-admin", "--account", ACCOUNT, "--username", ADMIN,
          "--email", f"{ADMIN}@bench.example", "--password", PASSWORD)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pinned(cpu: int | None, command: list[str]) -> list[str]:
    if cpu is None or not shutil.which("taskset"):
        return command
    return ["taskset", "-c", str(cpu), *command]


def start_server(env: dict, port: int, workdir: Path, cpu: int | None) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    log = open(workdir / "gunicorn.log", "wb")  # the server writes it until it stops
    server = subprocess.Popen(pinned(cpu, command), cwd=ROOT, stdout=log,  # noqa: S603
                              stderr=subprocess.STDOUT,
                              env=env | {"GUNICORN_ACCESS_LOG": str(workdir / "access.log")})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Client(port).get("/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz within 60 s; see " + str(workdir))


# -- a logged-in admin --------------------------------------------------------------------------

@dataclass
class Client:
    """One keep-alive connection with the session cookie and CSRF token of a logged-in admin."""

    port: int
    cookies: dict = field(default_factory=dict)
    csrf: str = ""

    def __post_init__(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str, form: dict | None = None,
                htmx: bool = False) -> tuple[int, bytes]:
        try:
            return self.send(method, path, form, htmx)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()  # the server ended a keep-alive connection left idle
            return self.send(method, path, form, htmx)

    def send(self, method: str, path: str, form: dict | None, htmx: bool) -> tuple[int, bytes]:
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        if htmx:
            headers["HX-Request"] = "true"
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.csrf
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def get(self, path: str, htmx: bool = False) -> tuple[int, bytes]:
        return self.request("GET", path, htmx=htmx)

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def log_in(self) -> None:
        login_page = self.get("/login")[1]
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
        status, _ = self.request("POST", "/login", {
            "username": ADMIN, "password": PASSWORD, "csrf_token": token.decode()})
        if status != 302:
            sys.exit(f"Logging in answered {status}, not a redirect.")
        page = self.get("/users")[1]
        self.csrf = re.search(rb'"X-CSRFToken": "([^"]+)"', page).group(1).decode()

    def twin(self) -> "Client":
        """Another connection in the same session, for a concurrent client."""
        return Client(self.port, dict(self.cookies), self.csrf)


# -- load -------------------------------------------------------------------------------------

SUMMARY_LUA = ROOT / "bench" / "summary.lua"


def wrk(url: str, headers: list[str], connections: int, seconds: int,
        cpu: int | None, script: Path = SUMMARY_LUA) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(script)]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(pinned(cpu, command + [url]),  # noqa: S603  (no shell)
                            capture_output=True, text=True, check=True,
                            env=os.environ | {"BENCH_SUMMARY_LUA": str(SUMMARY_LUA)},
                            timeout=seconds + 60).stdout
    figures = json.loads(output.split("BENCH ", 1)[1].splitlines()[0])
    return Load(rps=figures["requests"] / (figures["duration_us"] / 1e6),
                p50=figures["p50_us"] / 1000, p95=figures["p95_us"] / 1000,
                p99=figures["p99_us"] / 1000, errors=figures["errors"])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load_from(latencies: list[float], seconds: float, note: str = "") -> Load:
    if not latencies:
        return Load(0, 0, 0, 0, note=note)
    return Load(rps=len(latencies) / seconds, p50=statistics.median(latencies),
                p95=percentile(latencies, 0.95), p99=percentile(latencies, 0.99), note=note)


def division_id(client: Client) -> str:
    form = client.get("/users/new", htmx=True)[1]
    return re.search(rb'<option value="(\d+)"', form.split(b'name="division"', 1)[1]).group(1)


def create_then_delete(client: Client, division: str, name: str, timings: dict) -> None:
    """One cycle as an admin does it: create, find the new row, delete it."""
    began = time.perf_counter()
    status, _ = client.request("POST", "/users", {
        "first_name": "Bench", "last_name": name, "username": name,
        "email": f"{name}@bench.example", "phone": "", "role": "Agent",
        "division": division, "password": PASSWORD, "confirm_password": PASSWORD}, htmx=True)
    created = time.perf_counter()
    found = re.search(rb'id="user-(\d+)"', client.get(f"/users?q={name}", htmx=True)[1])
    if status != 201 or not found:
        timings["failed"].append(f"create {status}")
        return
    listed = time.perf_counter()
    status, _ = client.request("POST", f"/users/{found.group(1).decode()}/delete", {}, htmx=True)
    deleted = time.perf_counter()
    if status != 204:
        timings["failed"].append(f"delete {status}")
    timings["create"].append((created - began) * 1000)
    timings["delete"].append((deleted - listed) * 1000)
    timings["cycle"].append((deleted - began) * 1000)


def cycles(client: Client, seconds: int) -> dict[str, Load]:
    """CYCLE_CLIENTS admins creating and deleting users for `seconds`."""
    try:
        division = division_id(client).decode()
    except (AttributeError, IndexError):
        division = ""  # the form changed: creating then reports what it answered
    timings = {"create": [], "delete": [], "cycle": [], "failed": []}
    stop = time.monotonic() + seconds

    def admin(number: int) -> None:
        own = client.twin()
        count = 0
        while time.monotonic() < stop:
            count += 1
            create_then_delete(own, division, f"bench{number}x{count}{secrets.token_hex(2)}",
                               timings)

    threads = [threading.Thread(target=admin, args=(n,)) for n in range(CYCLE_CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    note = f"{len(timings['cycle'])} cycles" + (
        f", failed: {', '.join(timings['failed'])}" if timings["failed"] else "")
    return {name: load_from(timings[name], elapsed, note)
            for name in ("cycle", "create", "delete")}


# -- memory and bytes ---------------------------------------------------------------------------

def worker_memory(master_pid: int) -> list[tuple[int, float, float]]:
    """(pid, VmRSS MB, VmHWM MB) of each gunicorn worker: the master's child processes."""
    workers = []
    for status_file in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status_file.read_text().splitlines()
        except OSError:
            continue
        status = dict(line.split(":", 1) for line in lines if ":" in line)
        if status.get("PPid", "").strip() == str(master_pid):
            workers.append((int(status_file.parent.name), megabytes(status["VmRSS"]),
                            megabytes(status["VmHWM"])))
    return sorted(workers)


def megabytes(kilobytes: str) -> float:
    return int(kilobytes.split()[0]) / 1024


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


def first_page_load(client: Client) -> list[tuple[str, int, int]]:
    """(what, bytes, gzipped bytes) of the users page and each stylesheet and script it loads."""
    html = client.get("/users")[1]
    parts = [("HTML /users", len(html), gzipped(html))]
    assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html)
    assets += re.findall(rb'<script src="([^"]+)"', html)
    for asset in assets:
        body = client.get(asset.decode())[1]
        parts.append((asset.decode(), len(body), gzipped(body)))
    return parts


# -- report -------------------------------------------------------------------------------------

def ratio(value: float, base: float) -> str:
    return f"{value / base:5.2f}" if base else "   - "


def print_loads(title: str, loads: dict[str, Load], health: Load, verdict) -> None:
    print(f"\n{title}")
    print(f"{'':44} {'req/s':>8} {'×hz':>5} {'p50 ms':>7} {'×hz':>5} {'p95 ms':>7} {'×hz':>5}"
          f" {'p99 ms':>7} {'×hz':>5}")
    for name, load in loads.items():
        print(f"{name:44.44} {load.rps:8.1f} {ratio(load.rps, health.rps)} "
              f"{load.p50:7.2f} {ratio(load.p50, health.p50)} "
              f"{load.p95:7.2f} {ratio(load.p95, health.p95)} "
              f"{load.p99:7.2f} {ratio(load.p99, health.p99)}  {verdict(name, load, health)}"
              + (f"  [{load.note}]" if load.note else "")
              + (f"  [{load.errors} errors]" if load.errors else ""))


def throughput_verdict(name: str, load: Load, health: Load) -> str:
    share = {"users list fragment": 0.35, "search": 0.25}
    for prefix, least in share.items():
        if name.startswith(prefix):
            met = load.rps >= least * health.rps
            return f"target ≥ {least:.0%} of /healthz req/s " + ("✓" if met else "✗ missed")
    return ""


def latency_verdict(name: str, load: Load, health: Load) -> str:
    if name.startswith("search"):
        return "target p95 < 20 ms " + ("✓" if load.p95 < 20 else "✗ missed")
    return ""


def print_memory(reading: list, after_writes: list) -> None:
    print(f"\nResident memory per worker ({TARGETS['memory']}): VmRSS, and VmHWM (the peak)")
    for when, workers in (("after the read loads", reading),
                          ("after creating users", after_writes)):
        for pid, rss, peak in workers:
            print(f"  worker {pid} {when}: {rss:.1f} MB, peak {peak:.1f} MB  "
                  + ("✓" if peak < 100 else "✗ missed"))
    print("  (peaks include password hashing, the bench's own login too: scrypt with N=2^16 "
          "holds 64 MiB per hash while it runs)")


def print_bytes(client: Client) -> dict[str, float]:
    parts = first_page_load(client)
    total = sum(part[2] for part in parts)
    print(f"\nFirst page load, gzip level {GZIP_LEVEL} ({TARGETS['page']}):")
    for what, raw, packed in parts:
        print(f"  {what:40} {raw / KB:7.1f} KB  → {packed / KB:6.1f} KB")
    print(f"  {'total':40} {sum(p[1] for p in parts) / KB:7.1f} KB  → {total / KB:6.1f} KB  "
          + ("✓" if total < 40 * KB else "✗ missed"))
    fragment = client.get("/users", htmx=True)[1]
    rows = len(re.findall(rb'<tr id="user-', fragment))
    print(f"\nUsers list fragment, {rows} rows ({TARGETS['fragment']}): "
          f"{len(fragment) / KB:.1f} KB as sent by the app "
          + ("✓" if len(fragment) < 10 * KB else "✗ missed")
          + f", {gzipped(fragment) / KB:.1f} KB gzipped "
          + ("✓" if gzipped(fragment) < 10 * KB else "✗ missed"))
    return {"page": total / KB, "fragment": len(fragment) / KB,
            "fragment_gzipped": gzipped(fragment) / KB, "rows": rows}


def matches(fragment: bytes) -> str:
    """How many users the list says it found: "3", "more than 500"."""
    found = re.search(rb"Showing (?:\S+ of )?(.*?) users?\b", fragment)
    return found.group(1).decode() if found else "0"


def pieces(text: str, length: int) -> set[str]:
    """The substrings of `length` a search could ask for: none holds a space or line break
    (a query is stripped, and fields are one per line)."""
    return {text[start:start + length] for start in range(len(text) - length + 1)
            if not any(character in " \n" for character in text[start:start + length])}


def search_queries(database: Path) -> dict[str, str]:
    """For each length, a search matching many users (the commonest piece of that length),
    few (the rarest piece found at least twice, at most FEW_AT_MOST times when one is), and
    none (the first of a few unlikely strings that nobody's text holds)."""
    with sqlite3.connect(database) as connection:
        texts = [row[0] for row in connection.execute(
            "SELECT search_text FROM users JOIN accounts ON accounts.id = users.account_id "
            "WHERE accounts.name = ?", (ACCOUNT,))]
    chosen = {}
    for length in SEARCH_LENGTHS:
        holders: dict[str, int] = {}
        for text in texts:
            for piece in pieces(text, length):
                holders[piece] = holders.get(piece, 0) + 1
        ranked = sorted(holders.items(), key=lambda item: (-item[1], item[0]))
        several = [piece for piece, count in ranked if count >= 2]
        few = [piece for piece in several if holders[piece] <= FEW_AT_MOST] or several[-1:]
        nobody = next("".join(letters)[:length] for letters in (
            "qxzjvw", "xqjzwv", "jqxvzw", "ж#~ç", "~#жç") if "".join(letters)[:length]
            not in holders)
        chosen[f"{length} char, many"] = ranked[0][0]
        chosen[f"{length} char, few"] = few[0]
        chosen[f"{length} char, none"] = nobody
    return chosen


def endpoints(client: Client, queries: dict) -> dict[str, tuple[list[str], str]]:
    """What to load: name → (request headers, path)."""
    session = [f"Cookie: {client.cookie_header()}", "HX-Request: true"]
    chosen = {"/healthz": ([], "/healthz"),
              # What any page costs a signed-in Admin before its own work: the session, the
              # user's row, the role check, one small query and template (no ids: no rows).
              SIGNED_IN_FLOOR: (session, "/users/presence"),
              "users list fragment (25 rows)": (session, "/users")}
    for sort in SORTED:
        chosen[f"users list sorted by {sort}"] = (session, "/users?sort=" + sort)
    for kind, query in queries.items():
        path = "/users?" + urllib.parse.urlencode({"q": query})
        found = matches(client.get(path, htmx=True)[1])
        chosen[f'search {kind}: "{query}" ({found} found)'] = (session, path)
    many = queries["1 char, many"]
    chosen[f'sorted search: "{many}" by name'] = (
        session, "/users?" + urllib.parse.urlencode({"q": many, "sort": "name"}))
    return chosen


def measure(port: int, chosen: dict, connections: int, cpu: int | None) -> dict[str, Load]:
    loads = {}
    for name, (headers, path) in chosen.items():
        url = f"http://127.0.0.1:{port}{path}"
        wrk(url, headers, connections, WARMUP_SECONDS, cpu)
        loads[name] = wrk(url, headers, connections, SECONDS, cpu)
    return loads


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def bench_allocator(port: int, token: str, database: Path, cpu: int | None) -> list[str]:
    """The allocator section; its rows for the README's table."""
    url = f"http://127.0.0.1:{port}/healthz"
    wrk(url, [], allocator.CONNECTIONS, WARMUP_SECONDS, cpu)
    health = wrk(url, [], allocator.CONNECTIONS, SECONDS, cpu)
    load = allocator.intake_load(port, token, SECONDS, WARMUP_SECONDS, wrk, cpu)
    result = allocator.outcome(f"sqlite:///{database}")
    allocator.report(load, health, result)
    return allocator.readme_rows(load, health, result)


def bench(server: subprocess.Popen, port: int, database: Path, cpu: int | None,
          token: str) -> None:
    client = Client(port)
    client.log_in()
    chosen = endpoints(client, search_queries(database))
    saturated = measure(port, chosen, SATURATING, cpu)
    health = saturated["/healthz"]
    print_loads(f"Throughput: {SATURATING} connections (every gunicorn thread busy)",
                saturated, health, throughput_verdict)
    single = measure(port, chosen, ONE_AT_A_TIME, cpu)
    print_loads(f"Latency: {ONE_AT_A_TIME} connection (one request at a time)",
                single, single["/healthz"], latency_verdict)
    reading = worker_memory(server.pid)  # before any password is hashed
    writes = cycles(client, SECONDS)
    print_loads(f"Create then delete: {CYCLE_CLIENTS} admins at once, each create hashes a "
                "password (×hz against the 8-connection /healthz)",
                {"create + find + delete" if name == "cycle" else f"  {name}": load
                 for name, load in writes.items()}, health, lambda *args: "")
    after_writes = worker_memory(server.pid)
    print_memory(reading, after_writes)
    weights = print_bytes(client)
    allocator_rows = bench_allocator(port, token, database, cpu)
    if USERS == 100_000:
        write_readme(saturated, single, reading, after_writes, weights, allocator_rows)
        print(f"\nThe table in README.md ({README_START}) now holds these figures.")


def readme_table(saturated: dict[str, Load], single: dict[str, Load], reading: list,
                 after_writes: list, weights: dict, allocator_rows: list[str]) -> str:
    """The README's table of this run: each page's req/s as a share of /healthz's, p95 alone."""
    health = saturated["/healthz"]
    lines = ["| | req/s, share of `/healthz` (8 connections) | p95 alone | goal |",
             "| --- | --- | --- | --- |"]
    goals = {"users list fragment": 0.35, "search": 0.25}
    for name, load in saturated.items():
        share = load.rps / health.rps if health.rps else 0
        goal = next((least for prefix, least in goals.items() if name.startswith(prefix)), None)
        verdict = "yardstick" if name == "/healthz" else (
            "ceiling of any signed-in page" if name == SIGNED_IN_FLOOR else
            f"≥ {goal:.0%} " + ("✓" if share >= goal else "✗ missed") if goal else "")
        label = name.replace("|", "\\|")
        lines.append(f"| {label} | {load.rps:,.0f} = {share:.0%} | {single[name].p95:.1f} ms "
                     f"| {verdict} |")
    rest = max(rss for _, rss, _ in reading) if reading else 0
    peak = max(hwm for _, _, hwm in after_writes) if after_writes else 0
    lines.append(f"| memory per worker | {rest:.0f} MB at rest; {peak:.0f} MB peak "
                 "(while hashing a password) | | < 100 MB at rest "
                 + ("✓" if rest < 100 else "✗ missed") + " |")
    lines.append(f"| first page load | {weights['page']:.1f} KB gzipped | | < 40 KB "
                 + ("✓" if weights["page"] < 40 else "✗ missed") + " |")
    lines.append(f"| {weights['rows']}-row fragment | {weights['fragment']:.1f} KB raw, "
                 f"{weights['fragment_gzipped']:.1f} KB gzipped | | < 10 KB raw "
                 + ("✓" if weights["fragment"] < 10 else "✗ missed") + " |")
    return "\n".join(lines + allocator_rows)


def write_readme(*figures) -> None:
    """Put this run's table between the README's bench markers, dated."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        print(f"README.md has no {README_START} … {README_END} section; left as it is.")
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    table = (f"Figures of {time.strftime('%Y-%m-%d')} ({os.cpu_count()} CPUs, "
             f"{load_average()} at the end):\n\n" + readme_table(*figures))
    readme.write_text(f"{head}{README_START}\n{table}\n{README_END}{tail}", encoding="utf-8")


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `make bench` installs it (Debian package wrk).")
    server_cpu, load_cpu = (0, 1) if (os.cpu_count() or 1) >= 2 else (None, None)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        database = workdir / "bench.sqlite3"
        env = {key: value for key, value in os.environ.items() if key != "HTTPS"}
        env |= {"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": secrets.token_hex(32)}
        print(f"Preparing a fresh SQLite database with {USERS:,} users in {workdir} …")
        prepare_database(env)
        token = allocator.prepare(env["DATABASE_URL"])
        env |= allocator.server_settings()
        port = free_port()
        server = start_server(env, port, workdir, server_cpu)
        print(f"gunicorn with gunicorn.conf.py on 127.0.0.1:{port}"
              + (f", pinned to CPU {server_cpu}; wrk on CPU {load_cpu}" if load_cpu else "")
              + f". Each figure: {SECONDS} s after {WARMUP_SECONDS} s of warm-up; "
              "×hz = ratio to /healthz in the same table.")
        print(f"Machine at start: {load_average()} over {os.cpu_count()} CPUs.")
        try:
            bench(server, port, database, load_cpu, token)
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(f"\nMachine at the end: {load_average()}.")


if __name__ == "__main__":
    main()
