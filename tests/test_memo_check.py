"""The memos are checked while running: a sampled use is recomputed without the memo; a broken memo stops the import.

Each test breaks one memo on purpose and imports (or validates) real
documents with every use checked (``memo_check.EVERY = 1``): the import must
stop with :class:`MemoMismatch` naming the memo, and write nothing. Unbroken,
the same run passes, so the check does not cry wolf.
"""

from __future__ import annotations

import io
from collections import OrderedDict

import pytest

from credgraph.demo import generator as demo_data
from credgraph.graph.sources import jsonld_templates
from credgraph.graph.sources import memo_check
from credgraph.graph.sources import privacy
from credgraph.graph.sources import validation
from credgraph.graph.sources.validation_profiles import PROFILES, shapes_for
from credgraph.graph.sources import vocab
from credgraph.graph.sources.document_reading import SourceDocument
from credgraph.graph.sources.ingest import ingest_documents
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings
from test_validation import COMPLETE, ttl


@pytest.fixture(scope="module")
def credentials(tmp_path_factory) -> list[SourceDocument]:
    """Demo credentials (fictional): many documents of few templates, as an issuer's batch."""
    out = tmp_path_factory.mktemp("memo-demo")
    demo_data.generate(out, scale=0.02, seed=5)
    # One provider's credentials: its learners share courses, so descriptions repeat.
    providers = sorted((out / "credentials").iterdir(), key=lambda d: -len(list(d.glob("*.jsonld"))))
    files = sorted(providers[0].glob("*.jsonld"))[:16]
    assert len(files) >= 8
    return [SourceDocument(f.name, f.read_bytes()) for f in files]


@pytest.fixture
def every_use(monkeypatch):
    monkeypatch.setattr(memo_check, "EVERY", 1)
    # Memos filled by earlier tests would hold entries made before a memo was broken here: start empty.
    memos = [jsonld_templates.TEMPLATES, privacy._MINTED] + [shapes_for(p).memo for p in PROFILES]
    for memo in memos:
        monkeypatch.setattr(memo, "_items", OrderedDict())


def workspace(tmp_path) -> Workspace:
    ws = Workspace(Settings(data_dir=tmp_path, store="memory:"))
    vocab.load_shipped(ws.store)
    return ws


def dataset(store) -> bytes:
    out = io.BytesIO()
    store.dump(out)
    return out.getvalue()


def test_unbroken_memos_pass_the_check_on_every_use(tmp_path, credentials, every_use):
    checked: dict[str, int] = {}
    due = memo_check.due

    def counted(memo: str) -> bool:
        checked[memo] = checked.get(memo, 0) + 1
        return due(memo)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(memo_check, "due", counted)
        with workspace(tmp_path) as ws:
            summary = ingest_documents(ws, credentials)
    assert summary.count("imported") == len(credentials), summary
    # Each memo was used, and each use was recomputed and found equal.
    assert checked.get("JSON-LD template", 0) >= len(credentials)
    assert checked.get("minted description", 0) >= 1
    assert checked.get("validation skeleton", 0) >= 1


def test_a_broken_json_ld_template_stops_the_import(tmp_path, credentials, every_use, monkeypatch):
    instantiate = jsonld_templates.Template.instantiate
    # Broken on purpose: the template forgets the last statement of every document.
    monkeypatch.setattr(jsonld_templates.Template, "instantiate", lambda self, *a, **k: list(instantiate(self, *a, **k))[:-1])
    with workspace(tmp_path) as ws:
        before = dataset(ws.store)
        with pytest.raises(memo_check.MemoMismatch, match=r"the JSON-LD template memo gave a different result .*0 statements only from the memo, 1 only from the recomputation"):
            ingest_documents(ws, credentials)
        assert dataset(ws.store) == before  # nothing of the batch was written


def test_a_broken_minted_description_stops_the_import(tmp_path, credentials, every_use, monkeypatch):
    put = privacy._MINTED.put

    def broken_put(key, value):  # broken on purpose: the remembered description loses a statement
        out, mapping = value
        put(key, (out[1:], mapping))

    monkeypatch.setattr(privacy._MINTED, "put", broken_put)
    with workspace(tmp_path) as ws:
        before = dataset(ws.store)
        with pytest.raises(memo_check.MemoMismatch, match="the minted description memo gave a different result"):
            ingest_documents(ws, credentials)
        assert dataset(ws.store) == before


def test_a_broken_validation_skeleton_stops_validation(every_use, monkeypatch):
    documents = []
    for n in range(3):  # one shape, other learners: the memo's case
        text = COMPLETE.replace('"Ada"@en', f'"Learner{n}"@en')
        documents.append([t for t in ttl(text) if t.predicate.value != "http://data.europa.eu/snb/model/elm/grade"])
    assert validation.validate_many(documents, "annex-i-credential")  # unbroken: passes with every use checked
    rebind = validation.rebind
    # Broken on purpose: the remembered report loses its first result.
    monkeypatch.setattr(validation, "rebind", lambda results, *a: rebind(results, *a)[1:])
    with pytest.raises(memo_check.MemoMismatch, match=r"document \d of the batch \(annex-i-credential\): the validation skeleton memo"):
        validation.validate_many(documents, "annex-i-credential")
