"""Stop `make test` with a clear instruction when Chromium is still missing or broken.

`make test` first installs Debian's chromium package when the binary is missing; this is the
check after that, for where it could not (no apt-get, no sudo, no network, a CHROMIUM_PATH
that points nowhere). Run as `python -m tests.browser.check_chromium`: exit 0 when the
browser the tests use answers `--version`, else print what to do and exit 1. Browser tests
are never skipped.
"""

import os
import subprocess
import sys

DEFAULT_CHROMIUM = "/usr/lib/chromium/chromium"


def chromium_path() -> str:
    """The Chromium binary the browser tests launch: $CHROMIUM_PATH, else Debian's."""
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


INSTRUCTION = """\
Chromium is needed for the browser tests, and {problem}.
  On Debian or Ubuntu run:  sudo apt-get update && sudo apt-get install -y chromium
  Or point CHROMIUM_PATH at a Chromium binary:  CHROMIUM_PATH=/path/to/chromium make test
  (Debian's binary is {default}; Playwright's own browser download is not used.)"""


def check(path: str) -> str | None:
    """None when `path --version` runs and names Chromium, else what went wrong."""
    if not os.path.isfile(path):
        return f"{path} does not exist"
    if not os.access(path, os.X_OK):
        return f"{path} is not executable"
    try:
        result = subprocess.run([path, "--version"], capture_output=True, text=True,
                                timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{path} --version failed: {error}"
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or "chrom" not in output.lower():
        return f"{path} --version failed (exit {result.returncode}): {output[:200]}"
    return None


def main() -> int:
    path = chromium_path()
    problem = check(path)
    if problem:
        print(INSTRUCTION.format(problem=problem, default=DEFAULT_CHROMIUM), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
