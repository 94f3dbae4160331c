"""Demo data: deterministic, the promised counts, documents that parse and import."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph.demo import generator as demo_data
from credgraph.demo.catalogue import build_catalogue
from credgraph.demo.learners import plan_issues
from credgraph.demo.topics import SKILLS
from credgraph.graph.sources import edc
from credgraph.graph.sources import jsonld
from credgraph.graph.sources.datatypes import literal_problems
from credgraph.graph.sources.jsonld_contexts import inline_contexts
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.catalogue_csv import parse_catalogue_csv

SCALE = 0.02  # 100 credentials: enough to see the shape, fast on two cores
CG = ns.CG


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, demo_data.DemoSummary]:
    out = tmp_path_factory.mktemp("demo")
    return out, demo_data.generate(out, scale=SCALE, seed=11)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_files_other_seed_other_files(demo, tmp_path):
    root, _ = demo
    demo_data.generate(tmp_path / "again", scale=SCALE, seed=11)
    assert _files(tmp_path / "again") == _files(root)
    demo_data.generate(tmp_path / "other", scale=SCALE, seed=12)
    other = _files(tmp_path / "other")
    assert other.keys() != _files(root).keys() or other != _files(root)


def test_regenerating_removes_credentials_of_an_earlier_run(tmp_path):
    demo_data.generate(tmp_path, scale=0.01, seed=1)
    demo_data.generate(tmp_path, scale=0.004, seed=2)
    assert len(list((tmp_path / "credentials").rglob("*.jsonld"))) == 20


def test_zipped_credentials_are_deterministic_and_readable(tmp_path):
    from credgraph.graph.sources import document_reading

    first = demo_data.generate(tmp_path / "a", scale=0.004, seed=9, zip_credentials=True)
    demo_data.generate(tmp_path / "b", scale=0.004, seed=9, zip_credentials=True)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert not list((tmp_path / "a" / "credentials").rglob("*.jsonld"))
    documents = list(document_reading.iter_documents([tmp_path / "a" / "credentials"], 5 * 1024 * 1024))
    assert len(documents) == first.credentials == 20
    assert all(d.error is None and d.data.startswith(b'{"@context"') for d in documents)


def _catalogue_rows(root: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((root / "catalogues").glob("*.csv")):
        rows += list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    return rows


def test_catalogue_counts_and_variety(demo):
    root, summary = demo
    rows = _catalogue_rows(root)
    micro = [r for r in rows if r["kind"] == "micro-credential"]
    quals = [r for r in rows if r["kind"] == "qualification"]
    assert summary.providers >= 12 and len({r["provider_id"] for r in rows}) >= 12
    assert len({r["country"] for r in rows}) >= 6
    assert all("(fictional)" in r["provider_name"] and "(fictional)" in r["qa_agent"] for r in rows)
    assert len(micro) >= 150 and len(quals) >= 8
    assert {int(r["eqf_level"]) for r in micro} == {4, 5, 6, 7, 8}
    assert all(1 <= float(r["ects"]) <= 15 for r in micro)
    assert all(r["title_en"] and (r["title_de"] or r["title_fr"]) for r in rows)
    assert all(r["outcome_1_en"] and (r["outcome_1_de"] or r["outcome_1_fr"]) for r in rows)
    assessments = Counter(a for r in micro for a in r["assessment"].split("|"))
    modes = Counter(m.strip() for r in micro for m in r["mode"].split("|"))
    assert len(assessments) >= 8 and len(modes) >= 4
    # Every larger credential has parts that name it.
    for q in quals:
        parts = [r for r in micro if r["provider_id"] == q["provider_id"] and q["id"] in r["part_of"].split("|")]
        assert len(parts) >= 3


def test_skills_are_real_esco_skills(demo, full_data):
    """Opt-in ($CREDGRAPH_SHARED): the full ESCO collections; the shipped subset is checked below."""
    root, _ = demo
    known = set()
    for name in ("digitalSkillsCollection_en.csv", "transversalSkillsCollection_en.csv"):
        with open(full_data / "esco" / "v1.1.1-en" / name, encoding="utf-8") as f:
            known |= {r["conceptUri"] for r in csv.DictReader(f)}
    used = {s for r in _catalogue_rows(root) for n in range(1, 5) for s in r.get(f"outcome_{n}_skills", "").split("|") if s}
    assert len(used) >= 40
    assert used <= known
    # The German and French outcome texts carry ESCO's own labels of the same skill.
    labels = SKILLS["2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f"]
    assert labels == ("perform data analysis", "Datenanalyse durchführen", "effectuer une analyse de données")


def test_skills_are_in_the_shipped_esco_subset():
    from importlib import resources

    data = (resources.files("credgraph.vocabularies") / "esco.ttl").read_bytes()
    shipped = {t.subject.value for t in ox.parse(data, ox.RdfFormat.TURTLE) if t.subject.value.startswith(ns.ESCO_SKILL)}
    assert {ns.ESCO_SKILL + k for k in SKILLS} <= shipped


def test_catalogues_parse_without_errors(demo):
    root, _ = demo
    specs = []
    for path in sorted((root / "catalogues").glob("*.csv")):
        parsed = parse_catalogue_csv(path.read_bytes(), path.name)
        assert parsed.errors == [], parsed.errors[:5]
        specs += parsed.specifications
    assert len(specs) == len(set(specs)) >= 158


def test_rules_use_every_kind_and_record_equivalences(demo):
    root, summary = demo
    triples = list(ox.parse((root / "rules" / "stacking-rules.ttl").read_bytes(), ox.RdfFormat.TURTLE))
    types = Counter(t.object.value for t in triples if t.predicate.value == ns.RDF + "type")
    for kind in ("StackingRule", "AllOf", "AtLeast", "MinimumCredits", "RequiredSkills", "Pathway", "RecognitionDecision"):
        assert types[CG + kind] >= 1, kind
    predicates = {t.predicate.value for t in triples}
    for prop in ("minEQFLevel", "maxAgeYears", "maxSpanYears", "pathway", "minCount", "minCredits", "requiredSkill"):
        assert CG + prop in predicates, prop
    assert types[CG + "StackingRule"] >= 8
    matches = [t for t in triples if t.predicate.value in (ns.SKOS + "exactMatch", ns.SKOS + "closeMatch")]
    assert len(matches) >= 30 and summary.equivalences == len(matches)
    catalogue_specs = {r for path in (root / "catalogues").glob("*.csv") for r in parse_catalogue_csv(path.read_bytes(), path.name).specifications}
    for t in matches:
        a, b = t.subject.value, t.object.value
        assert a in catalogue_specs and b in catalogue_specs
        assert a.split("/")[-2] != b.split("/")[-2]  # different providers
    targets = {t.object.value for t in triples if t.predicate.value == CG + "target"}
    components = {t.object.value for t in triples if t.predicate.value == CG + "component"}
    assert targets <= catalogue_specs and components <= catalogue_specs


def test_credentials_parse_and_split(demo):
    root, summary = demo
    files = sorted((root / "credentials").rglob("*.jsonld"))
    assert len(files) == summary.credentials == round(5000 * SCALE)
    issued = []
    for path in files[:25]:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["@context"] == ["https://www.w3.org/2018/credentials/v1", "http://data.europa.eu/snb/model/context/edc-ap"]
        assert document["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
        name = document["credentialSubject"]["fullName"]["en"]
        doc = inline_contexts(jsonld.decode_json(path.read_bytes(), path.name), path.name)
        triples = jsonld.normalise(jsonld.to_triples(doc, path.name))
        assert literal_problems(triples) == []
        split = edc.split_edc(triples, path.name, b"k" * 32)
        assert split.learner and split.issued and split.issuer_country is not None
        assert split.specifications
        public_text = " ".join(str(t) for t in split.public)
        assert name not in public_text and "mailto:" not in public_text
        issued.append(date.fromisoformat(split.issued[:10]))
    assert all(date(2024, 1, 1) <= d <= date(2025, 12, 31) for d in issued)


def test_scale_multiplies_issued_credentials():
    rng = random.Random(3)
    specs = build_catalogue(rng)
    plan, learners = plan_issues(random.Random(4), specs, round(5000 * 20))
    assert len(plan) == 100_000
    assert 20_000 < learners < 100_000
    years = Counter(d.year for _, d, _ in plan)
    assert set(years) == {2024, 2025} and min(years.values()) > 30_000
    assert sum(1 for s, _, _ in plan if s.kind == "qualification") > 0


def test_demo_imports_cleanly(tmp_path):
    from credgraph.graph.sources import vocab
    from credgraph.graph.workspace import Workspace
    from credgraph.settings import Settings

    out = tmp_path / "demo"
    summary = demo_data.generate(out, scale=0.004, seed=5)
    with Workspace(Settings(data_dir=tmp_path / "data", store="memory:")) as ws:
        vocab.load_shipped(ws.store)
        loaded = demo_data.load(ws, out)
        assert loaded.problems == []
        assert [c.status for c in loaded.catalogues] == ["imported"] * 14
        assert sum(c.specifications for c in loaded.catalogues) == summary.specifications + summary.qualifications
        assert loaded.credentials.count("imported") == summary.credentials == 20
        # Annex I: every mandatory element present; only optional ones (O1-O5) may be missing.
        assert all(c.compliance.conforms for c in loaded.catalogues)
        assert all(d.compliance.conforms for d in loaded.credentials.documents)
        missing = {m for d in loaded.credentials.documents for m in d.compliance.missing}
        missing |= {m for c in loaded.catalogues for m in c.compliance.missing}
        assert all(m.startswith("O") for m in missing), missing
        graphs = {g.name for g in ws.store.graphs()}
        assert loaded.rules_graph in graphs
        # Importing again changes nothing.
        again = demo_data.load(ws, out)
        assert [c.status for c in again.catalogues] == ["unchanged"] * 14
        assert again.credentials.count("unchanged") == 20


def test_credentials_parse_the_same_from_templates(demo):
    # Demo credentials come from a few templates: most are read from a parsed
    # template; each must give exactly what parsing it alone gives.
    import pyoxigraph as ox

    from credgraph.graph.sources import jsonld_templates

    def canonical(triples):
        d = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        d.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        return {str(q) for q in d}

    root, _ = demo
    jsonld_templates.TEMPLATES.clear()
    for path in sorted((root / "credentials").rglob("*.jsonld"))[:80]:
        document = json.loads(path.read_bytes())
        inlined = inline_contexts(document, path.name)
        reference = jsonld.normalise(q.triple for q in ox.parse(json.dumps(inlined).encode(), ox.RdfFormat.JSON_LD))
        ours = jsonld.to_triples(document, path.name)
        assert len(ours) == len(reference) and canonical(ours) == canonical(reference), path.name
    assert 0 < len(jsonld_templates.TEMPLATES) < 80
