"""Stacking completions kept in the data directory: a new process answers from the file while the store is unchanged.

On the demo catalogue and rules (every kind of condition and filter), with
synthetic learners issued directly and real demo credentials imported through
the CLI handler and the API.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import pytest

from credgraph.graph.services import completions_kept, completions_reading, issuance_stats
from credgraph.graph.services.issuance_stats import completions, completions_file
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings
from test_issuance_stats_demo import AT, demo, issue  # noqa: F401 (demo: a fixture)

@pytest.fixture
def ws(demo, tmp_path):
    """A workspace on the store under test (on-disk settings, so completions are kept) with the demo catalogue,
    rules and 160 learners issued directly; ``ws.files`` the demo files (credentials not imported)."""
    store, pathways, micro = demo
    ws = Workspace(Settings(data_dir=tmp_path / "data", private_store="memory:"), store=store)  # the store under test (embedded or oxigraph serve)
    issue(store, "first", [f"pseudo-{n}" for n in range(160)], pathways, micro, seed=1)
    # The same records with their pseudonyms in the research store, as an import writes them (docs/privacy.md).
    issue(ws.research, "first", [f"pseudo-{n}" for n in range(160)], pathways, micro, seed=1)
    ws.files = tmp_path / "demo"
    yield ws
    ws.close()


def kept_of(ws) -> Path:
    path = completions_file(ws.settings)
    assert path == ws.settings.data_dir / "derived" / "completions.json"
    return path


def cold() -> None:
    """What a new process starts with: nothing cached in memory (the file stays)."""
    issuance_stats._cache.clear()


def no_reading(monkeypatch) -> None:
    """Make any reading of the holdings from the store fail the test."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the holdings were read from the store")

    monkeypatch.setattr(issuance_stats, "read_completions", refuse)
    monkeypatch.setattr(completions_reading, "holding_tokens", refuse)
    monkeypatch.setattr(issuance_stats, "added_to", refuse)


def fingerprint_kept(path: Path) -> list:
    return json.loads(path.read_text(encoding="utf-8"))["fingerprint"]


def fingerprint_now(store) -> list:
    count, latest = issuance_stats._fingerprint(store)
    return [count, completions_kept._term_json(latest)]


def test_a_cold_process_answers_from_the_kept_file(ws, monkeypatch):
    store, path = ws.learners, kept_of(ws)
    uncached = completions(store, k=1, at=AT, cached=False)
    assert not path.exists()  # an uncached reading neither reads nor writes the file
    assert len(uncached.cells) >= 5
    first = completions(store, k=1, at=AT, kept=path)
    assert first.to_dict() == uncached.to_dict()
    assert fingerprint_kept(path) == fingerprint_now(store)
    later = date(2029, 6, 1)
    later_uncached = completions(store, k=1, at=later, cached=False)
    suppressed = completions(store, at=AT, cached=False)
    assert later_uncached.cells != uncached.cells  # the age limits exclude more
    cold()
    with monkeypatch.context() as patched:
        no_reading(patched)
        assert completions(store, k=1, at=AT, kept=path).to_dict() == uncached.to_dict()
        # Another date is evaluated from the kept rules and facts, and then kept too.
        assert completions(store, k=1, at=later, kept=path).to_dict() == later_uncached.to_dict()
        cold()
        assert completions(store, k=1, at=later, kept=path).to_dict() == later_uncached.to_dict()
        # The default suppression is applied to the kept counts as to read ones.
        assert completions(store, at=AT, kept=path).to_dict() == suppressed.to_dict()
    assert suppressed.suppressed_cells > 0


def test_the_kept_file_names_no_learner(ws):
    store, path = ws.learners, kept_of(ws)  # imported credentials' pseudonyms are in the research store
    cmd_import(ws, sorted(str(p) for p in (ws.files / "credentials").rglob("*.jsonld")))
    completions(store, k=1, at=AT, kept=path)
    completions(store, k=1, at=date(2029, 6, 1), kept=path)
    text = path.read_text(encoding="utf-8")
    learners = {row["learner"].value for s in (ws.store, ws.research) for row in s.select(
        "SELECT DISTINCT ?learner WHERE { GRAPH ?g { ?r <https://w3id.org/credgraph/ns#learner> ?learner } }").rows}
    assert len(learners) > 160  # the synthetic ones and the imported credentials' pseudonyms
    assert not [learner for learner in learners if learner in text]


def cmd_import(ws, paths: list[str]) -> int:
    from credgraph.commands.ingest import cmd_import_credentials

    args = argparse.Namespace(paths=paths, kind="credential", quarantine=False, require=[], trust_anchors=None,
                              json=True, quiet=True)
    return cmd_import_credentials(ws, args)


def test_an_import_through_the_cli_refreshes_the_kept_file(ws, monkeypatch, capsys):
    store, path = ws.learners, kept_of(ws)
    credentials = sorted(str(p) for p in (ws.files / "credentials").rglob("*.jsonld"))
    assert len(credentials) >= 4
    assert cmd_import(ws, credentials[:2]) == 0
    assert fingerprint_kept(path) == fingerprint_now(store)  # refreshed by a full reading (nothing was cached)
    full_reads = []
    read = issuance_stats.read_completions
    monkeypatch.setattr(issuance_stats, "read_completions", lambda *a: full_reads.append(1) or read(*a))
    assert cmd_import(ws, credentials[2:]) == 0
    capsys.readouterr()
    assert not full_reads  # brought up to date from the imported graphs alone
    assert fingerprint_kept(path) == fingerprint_now(store)
    uncached = completions(store, k=1, cached=False)
    cold()
    with monkeypatch.context() as patched:
        no_reading(patched)
        assert completions(store, k=1, kept=path).to_dict() == uncached.to_dict()
    # And through the CLI's statistics command, in a process of its own as far as the cache goes.
    from credgraph.commands.core import _issuance_stats

    cold()
    with monkeypatch.context() as patched:
        no_reading(patched)
        assert _issuance_stats(ws, argparse.Namespace(by="completions", k=1, json=True)) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(uncached.to_dict()))


def test_a_file_kept_for_another_fingerprint_is_ignored(ws):
    store, path = ws.learners, kept_of(ws)
    right = completions(store, k=1, at=AT, kept=path).to_dict()
    data = json.loads(path.read_text(encoding="utf-8"))
    data["fingerprint"][0] += 1
    data["learners"] = [n * 2 for n in data["learners"]]  # would double every count if it were used
    path.write_text(json.dumps(data), encoding="utf-8")
    cold()
    assert completions(store, k=1, at=AT, kept=path).to_dict() == right
    assert fingerprint_kept(path) == fingerprint_now(store)  # rewritten for the store as it is
    cold()
    assert completions(store, k=1, at=AT, kept=path).to_dict() == right


@pytest.mark.parametrize("damage", ["truncated", "not json", "a list", "unknown key", "earned misaligned", "no file but a directory"])
def test_a_damaged_file_is_ignored_and_replaced(ws, damage, caplog):
    store, path = ws.learners, kept_of(ws)
    right = completions(store, k=1, at=AT, kept=path).to_dict()
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if damage == "truncated":
        path.write_text(text[: len(text) // 2], encoding="utf-8")
    elif damage == "not json":
        path.write_bytes(b"\xff\xfe garbage")
    elif damage == "a list":
        path.write_text("[1, 2, 3]", encoding="utf-8")
    elif damage == "unknown key":
        data["holdings"][0] = [f"{len(data['specs']) + 5:x}"]
        path.write_text(json.dumps(data), encoding="utf-8")
    elif damage == "earned misaligned":
        data["earned"][AT.isoformat()].pop()
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path.unlink()
        path.mkdir()
    cold()
    assert completions(store, k=1, at=AT, kept=path).to_dict() == right
    if damage == "no file but a directory":
        assert path.is_dir()  # cannot be replaced: only a warning, the answer stands
        assert "not kept" in caplog.text
    else:
        assert fingerprint_kept(path) == fingerprint_now(store)
        cold()
        assert completions(store, k=1, at=AT, kept=path).to_dict() == right


def test_refresh_never_raises_and_keeps_nothing_for_a_memory_store(ws, tmp_path, monkeypatch):
    assert completions_file(Settings(store="memory:", data_dir=tmp_path)) is None
    cold()
    issuance_stats.refresh_completions(ws.store, None)  # nothing to keep: only the in-process cache
    assert not list(tmp_path.rglob("*.json"))
    uncached = completions(ws.store, k=1, cached=False)
    with monkeypatch.context() as patched:
        no_reading(patched)
        assert completions(ws.store, k=1).to_dict() == uncached.to_dict()

    class Broken:
        def select(self, *_args, **_kwargs):
            raise RuntimeError("the store is down")

    issuance_stats.refresh_completions(Broken(), tmp_path / "x.json")  # logged, not raised
    assert not (tmp_path / "x.json").exists()


def test_the_api_refreshes_after_an_import_and_warms_at_start_up(ws, monkeypatch):
    from fastapi.testclient import TestClient

    from credgraph.api import create_app
    from credgraph.api.config import ApiSettings
    from credgraph.api.keys import add_key

    store, path = ws.learners, kept_of(ws)
    keys = ws.settings.data_dir / "keys.json"
    ws.settings.data_dir.mkdir(parents=True, exist_ok=True)
    from provider_iris import of_demo

    key = add_key(keys, "issuer", "issuer-1", providers=of_demo())
    warmed = []
    warm = issuance_stats.warm_completions
    monkeypatch.setattr(issuance_stats, "warm_completions", lambda *a: warmed.append(warm(*a)) or warmed[-1])
    app = create_app(ws, ApiSettings(keys_file=keys, audit_log=ws.settings.data_dir / "audit.log"))
    with TestClient(app) as client:
        assert len(warmed) == 1
        warmed[0].join(timeout=60)
        assert fingerprint_kept(path) == fingerprint_now(store)  # kept by the start-up warming
        credential = next((ws.files / "credentials").rglob("*.jsonld")).read_bytes()
        made = client.post("/api/v1/credentials", content=credential,
                           headers={"Content-Type": "application/ld+json", "Authorization": f"Bearer {key}"})
        assert made.status_code == 201, made.text
        assert fingerprint_kept(path) == fingerprint_now(app.state.store)  # refreshed after the response
        uncached = completions(store, k=1, cached=False)
        cold()
        with monkeypatch.context() as patched:
            no_reading(patched)
            answer = client.get("/api/v1/stats/issuance", params={"by": "completions"})
        assert answer.status_code == 200
        assert answer.json()["cells"] == completions(store, cached=False).to_dict()["cells"]
        assert len(uncached.cells) >= 5
