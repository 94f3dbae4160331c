"""The built wheel works outside the checkout: package data comes along."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_LOG: list[str] = []  # the wheel build's output (verbose: setuptools' warnings included)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this checkout, unpacked into a folder outside it."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    BUILD_LOG.append(built.stdout + built.stderr)
    wheel = next(out.glob("credgraph-*.whl"))
    target = tmp_path_factory.mktemp("site-packages")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def run_cli(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(installed))
    env.pop("CREDGRAPH_STORE", None)
    return subprocess.run(
        [sys.executable, "-m", "credgraph", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_wheel_carries_data_files(installed):
    assert (installed / "credgraph" / "queries" / "eqf-levels.rq").is_file()
    assert list((installed / "credgraph" / "vocabularies").glob("*.ttl"))
    assert not (installed / "site").exists(), "site/ must never be importable as the standard library's site"


def test_build_gives_no_warning_about_our_configuration(installed):
    """A newcomer's install prints no setuptools warning boxes caused by pyproject.toml."""
    log = BUILD_LOG[0]
    assert "Successfully built credgraph" in log
    for warning in ("SetuptoolsDeprecationWarning", "is absent from the `packages` configuration", "_Warning"):
        assert warning not in log, [line for line in log.splitlines() if warning in line][:3]


def test_init_and_count_outside_checkout(installed, tmp_path):
    done = run_cli(installed, tmp_path, "init")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "credgraph-data" / "store").is_dir()
    done = run_cli(installed, tmp_path, "query", "vocabulary-counts", "--format", "json")
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)["results"]["bindings"][0]
    assert int(row["eqfLevels"]["value"]) == 8
    assert int(row["iscedFields"]["value"]) == 220
    # The bundled ESCO subset: as many skills in the store as in the shipped file.
    shipped = (installed / "credgraph" / "vocabularies" / "esco.ttl").read_bytes()
    skill = ox.NamedNode("http://data.europa.eu/esco/model#Skill")
    expected = {t.subject for t in ox.parse(shipped, ox.RdfFormat.TURTLE) if t.object == skill}
    assert int(row["escoSkills"]["value"]) == len(expected) > 1000
