"""Servers the benchmarks start: started, watched while they come up, stopped.

A server that dies while starting (a missing package, a port taken, a store
locked) stops the benchmark at once with the server's own last lines of
output, instead of a wait until the time-out with the output thrown away.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import urllib.error
import urllib.request


class ServerDidNotStart(SystemExit):
    """A benchmark's server exited or never answered; the message holds its output."""


def start(cmd: list[str], url: str, env: dict | None = None, timeout: float = 300) -> subprocess.Popen:
    """Run ``cmd`` and wait until ``url`` answers (any HTTP status); fail fast if the process exits.

    Runs from a neutral folder: ``python -c`` puts the working directory first
    on sys.path, and a checkout's credgraph/ there would shadow the package under test.
    """
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tempfile.gettempdir())
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return process
        except urllib.error.HTTPError:
            return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                stop(process)
                why = f"did not answer at {url} within {timeout:.0f} s"
            else:
                why = f"exited with status {process.returncode}"
            log.seek(0)
            tail = log.read().decode("utf-8", "replace").strip().splitlines()[-15:]
            raise ServerDidNotStart(f"server {cmd[0]} {' '.join(cmd[1:3])} ... {why}; its output:\n  " + "\n  ".join(tail or ["(none)"]))
        time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    """Terminate ``process``; kill it if it does not end within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
