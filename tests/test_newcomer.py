"""What a first-time user trips over: one-line errors, one progress line, the access log of `serve`."""

from __future__ import annotations

import io
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from conftest import free_port, start_credgraph_server

from credgraph.cli import main
from credgraph.progress import Progress


def test_unknown_named_query_is_one_line(tmp_path, capsys):
    assert main(["--store", "memory:", "query", "no-such-query"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "credgraph: error: no named query 'no-such-query'; 'credgraph query --list' lists them"


def test_missing_data_directory_is_one_line_and_stays_missing(tmp_path, capsys):
    missing = tmp_path / "no" / "such" / "dir"
    for command in (["stats"], ["query", "eqf-levels"], ["graphs"], ["dump", str(tmp_path / "out.nq")]):
        assert main(["--data", str(missing), *command]) == 2, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"the data directory {missing} does not exist" in err, (command, err)
        assert "credgraph --data" in err and "init" in err
    assert not missing.exists()
    # init creates it.
    assert main(["--data", str(missing), "init"]) == 0 and (missing / "store").is_dir()
    assert main(["--data", str(missing), "stats"]) == 0


def test_a_short_job_prints_one_progress_line():
    out = io.StringIO()  # not a terminal: lines, not redraws
    progress = Progress("importing credentials", total=50, stream=out)
    for _ in range(50):
        progress.advance()
    progress.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "50/50" in lines[0]


def test_serve_writes_an_access_log_without_query_strings(tmp_path):
    log = tmp_path / "access.log"
    server, base = start_credgraph_server(tmp_path, "--access-log", str(log))
    try:
        secret = "SELECT * WHERE { ?s ?p 'a-secret-term' }"
        urllib.request.urlopen(base + "/sparql?" + urllib.parse.urlencode({"query": secret}), timeout=10).read()
        # A line is written once the response has gone out: wait for it (bounded).
        deadline = time.monotonic() + 10
        while True:
            lines = Path(log).read_text(encoding="utf-8").splitlines()
            if any(" GET /sparql " in line for line in lines) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert any(" GET /api/v1/ 200 " in line for line in lines), lines
    assert any(" GET /sparql 200 " in line for line in lines), lines
    assert not any("secret" in line or "?" in line for line in lines), lines


def test_a_benchmark_server_that_dies_stops_the_benchmark_at_once_with_its_error():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from servers import ServerDidNotStart, start
    finally:
        sys.path.pop(0)
    began = time.monotonic()
    try:
        start([sys.executable, "-c", "import sys; print('port 1 is taken', file=sys.stderr); sys.exit(3)"],
              f"http://127.0.0.1:{free_port()}/", timeout=300)
    except ServerDidNotStart as exc:
        message = str(exc)
    else:
        raise AssertionError("start() returned for a server that exited")
    assert time.monotonic() - began < 10
    assert "exited with status 3" in message and "port 1 is taken" in message
