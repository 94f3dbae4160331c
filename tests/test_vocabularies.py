"""The shipped vocabularies: they parse, their concepts are well formed, and init loads them."""

from __future__ import annotations

import csv
import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph import cli, queries, vocabularies
from credgraph.graph import namespaces as ns
from credgraph.graph.sources import vocab

REPO = Path(__file__).resolve().parents[1]
SKOS = ns.SKOS
RDF_TYPE = ox.NamedNode(ns.RDF + "type")
PREF = ox.NamedNode(SKOS + "prefLabel")
IN_SCHEME = ox.NamedNode(SKOS + "inScheme")
TOP_OF = ox.NamedNode(SKOS + "topConceptOf")
BROADER = ox.NamedNode(SKOS + "broader")
NOTATION = ox.NamedNode(SKOS + "notation")
CONCEPT = ox.NamedNode(SKOS + "Concept")
SCHEME = ox.NamedNode(SKOS + "ConceptScheme")
DCT_SOURCE = ox.NamedNode(ns.DC + "source")

# The vocabularies this module covers (ESCO and the cg: stacking / recognition files are tested elsewhere).
SCHEMES = {
    "eqf": "http://data.europa.eu/snb/eqf/25831c2",
    "isced-f": "http://data.europa.eu/snb/isced-f/25831c2",
    "learning-setting": "http://data.europa.eu/snb/learning-setting/25831c2",
    "learning-assessment": "http://data.europa.eu/snb/learning-assessment/25831c2",
    "assessment": "http://data.europa.eu/snb/assessment/25831c2",
    "supervision-verification": "http://data.europa.eu/snb/supervision-verification/25831c2",
    "education-credit": "http://data.europa.eu/snb/education-credit/25831c2",
    "learning-opportunity": "http://data.europa.eu/snb/learning-opportunity/25831c2",
    "credential": "http://data.europa.eu/snb/credential/25831c2",
    "countries": "http://publications.europa.eu/resource/authority/country",
    "languages": "http://publications.europa.eu/resource/authority/language",
}
MINE = sorted([*SCHEMES, "elm", "credgraph"])


def load(name: str) -> ox.Store:
    store = ox.Store()
    store.load(vocabularies.read_bytes(f"{name}.ttl"), ox.RdfFormat.TURTLE)
    return store


def concepts(store: ox.Store) -> set[ox.NamedNode]:
    return {q.subject for q in store.quads_for_pattern(None, RDF_TYPE, CONCEPT)}


def labels(store: ox.Store, subject) -> dict[str, str]:
    return {q.object.language: q.object.value for q in store.quads_for_pattern(subject, PREF, None)}


def objects(store: ox.Store, subject, predicate) -> list:
    return [q.object for q in store.quads_for_pattern(subject, predicate, None)]


def build_script():
    spec = importlib.util.spec_from_file_location("build_vocabularies", REPO / "scripts/build_vocabularies.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", MINE)
def test_file_is_shipped_and_parses(name):
    assert name in vocab.shipped_vocabularies()
    triples = list(ox.parse(vocabularies.read_bytes(f"{name}.ttl"), ox.RdfFormat.TURTLE))
    assert len(triples) > 10


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_every_concept_is_labelled_in_english_and_in_its_scheme(name):
    store = load(name)
    scheme = ox.NamedNode(SCHEMES[name])
    assert list(store.quads_for_pattern(scheme, RDF_TYPE, SCHEME)), f"{name}: scheme {scheme} not declared"
    assert "en" in labels(store, scheme)
    found = concepts(store)
    assert found, f"{name}: no concepts"
    for concept in found:
        assert "en" in labels(store, concept), f"{name}: {concept} has no English label"
        assert objects(store, concept, IN_SCHEME) == [scheme], f"{name}: {concept} not (only) in {scheme}"
        assert objects(store, concept, DCT_SOURCE) or name == "isced-f", f"{name}: {concept} records no source"
        assert concept.value.startswith(SCHEMES[name].rsplit("/", 1)[0] + "/")
        is_top = objects(store, concept, TOP_OF) == [scheme]
        has_broader = bool(objects(store, concept, BROADER))
        assert is_top != has_broader, f"{name}: {concept} must be either a top concept or have a broader one"
        for lang, text in labels(store, concept).items():
            assert text.strip() == text and text, f"{name}: {concept} has a blank or padded {lang} label"


def test_eqf_has_eight_levels():
    store = load("eqf")
    found = concepts(store)
    assert {c.value for c in found} == {f"http://data.europa.eu/snb/eqf/{n}" for n in range(1, 9)}
    for c in found:
        code = c.value.rsplit("/", 1)[1]
        assert [o.value for o in objects(store, c, NOTATION)] == [code]
        assert labels(store, c) == {"en": f"Level {code}", "de": f"Niveau {code}", "fr": f"Niveau {code}"}


def test_isced_f_has_220_fields_with_hierarchy_and_three_languages():
    store = load("isced-f")
    scheme = ox.NamedNode(SCHEMES["isced-f"])
    found = concepts(store)
    assert len(found) == 220
    codes = {}
    for c in found:
        notation = [o.value for o in objects(store, c, NOTATION)]
        assert len(notation) == 1 and c.value.endswith("/" + notation[0])
        codes[notation[0]] = c
        assert set(labels(store, c)) == {"en", "de", "fr"}, f"{c}: labels {labels(store, c)}"
        assert [o.value for o in objects(store, c, ox.NamedNode(SKOS + "exactMatch"))] == [
            "http://data.europa.eu/esco/isced-f/" + notation[0]]
    roots = {code for code, c in codes.items() if objects(store, c, TOP_OF) == [scheme]}
    assert roots == {code for code in codes if len(code) == 2}
    assert len(roots) == 12
    assert {o for o in objects(store, scheme, ox.NamedNode(SKOS + "hasTopConcept"))} == {codes[r] for r in roots}
    for code, c in codes.items():
        if len(code) > 2:
            assert objects(store, c, BROADER) == [codes[code[:-1]]], f"{code}: wrong broader field"
    assert labels(store, codes["0613"])["en"] == "software and applications development and analysis"


def test_codes_are_in_the_ec_concept_list(shared_data):
    """Never invented: every snb code of a scheme the EC list enumerates comes from that list."""
    tsv = (shared_data / "elm-3.1/snb-concept-iris_ELMv2-genericschema_2020.tsv").read_text().splitlines()
    listed = {line.split("\t")[1].strip() for line in tsv if "\t" in line and not line.startswith("#")}
    for name in ("eqf", "isced-f", "learning-setting", "learning-assessment", "assessment",
                 "supervision-verification", "learning-opportunity"):
        for c in concepts(load(name)):
            assert c.value in listed, f"{name}: {c.value} is not in the EC concept list"
    assert len(concepts(load("assessment"))) == 14
    assert len(concepts(load("learning-assessment"))) == 6
    assert len(concepts(load("learning-opportunity"))) == 12


def test_known_concepts_have_the_expected_labels():
    assert labels(load("assessment"), ox.NamedNode("http://data.europa.eu/snb/assessment/6e6cb2cc78"))["en"] == "written examination"
    assert labels(load("learning-assessment"), ox.NamedNode("http://data.europa.eu/snb/learning-assessment/920fbb3cbe"))["en"] == "Online"
    assert labels(load("learning-setting"), ox.NamedNode("http://data.europa.eu/snb/learning-setting/6fd4685715"))["en"] == "formal learning"
    assert labels(load("education-credit"), ox.NamedNode("http://data.europa.eu/snb/education-credit/6fcec5c5af"))["en"] == "European Credit Transfer System"
    credential = load("credential")
    assert labels(credential, ox.NamedNode("http://data.europa.eu/snb/credential/e34929035b"))["en"] == "Generic"
    assert labels(credential, ox.NamedNode("http://data.europa.eu/snb/credential/6dff8a0f87"))["en"] == "Diploma Supplement"
    assert len(concepts(credential)) == 8
    supervision = load("supervision-verification")
    assert labels(supervision, ox.NamedNode("http://data.europa.eu/snb/supervision-verification/70be69aaf9"))["en"] == (
        "Supervised with ID Verification")
    # A code whose meaning no source gives is left out rather than guessed.
    assert ox.NamedNode("http://data.europa.eu/snb/supervision-verification/44314532f9") not in concepts(supervision)
    opportunity = load("learning-opportunity")
    assert labels(opportunity, ox.NamedNode("http://data.europa.eu/snb/learning-opportunity/74a4a268e8"))["en"] == "Short learning programme"


def test_sample_credential_labels_agree(shared_data):
    """Concepts the EC samples label inline carry the same English label here."""
    import json

    sample = json.loads((shared_data / "samples/Sample-CertOfPart-unsigned.jsonld").read_text(encoding="utf-8"))
    inline: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) and isinstance(node.get("prefLabel"), dict) and "en" in node["prefLabel"]:
                value = node["prefLabel"]["en"]
                inline[node["id"]] = value[0] if isinstance(value, list) else value
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(sample)
    shipped = {}
    for name in SCHEMES:
        store = load(name)
        shipped.update({c.value: labels(store, c)["en"] for c in concepts(store)})
    checked = [iri for iri in inline if iri in shipped]
    assert len(checked) >= 6  # Generic, Online, English, Italy, Spain, Belgium
    for iri in checked:
        assert shipped[iri] == inline[iri], f"{iri}: shipped {shipped[iri]!r}, sample {inline[iri]!r}"


def test_countries_and_languages():
    countries = load("countries")
    found = {c.value.rsplit("/", 1)[1] for c in concepts(countries)}
    assert len(found) == 30 and {"DEU", "FRA", "ITA", "NOR", "ISL", "LIE"} <= found
    assert labels(countries, ox.NamedNode("http://publications.europa.eu/resource/authority/country/DEU")) == {
        "en": "Germany", "de": "Deutschland", "fr": "Allemagne"}
    languages = load("languages")
    found = {c.value.rsplit("/", 1)[1] for c in concepts(languages)}
    assert len(found) == 24 and {"ENG", "DEU", "FRA", "GLE", "MLT"} <= found
    for store in (countries, languages):
        for c in concepts(store):
            assert set(labels(store, c)) == {"en", "de", "fr"}


def test_elm_subset_has_the_terms_credgraph_uses():
    store = load("elm")
    label = ox.NamedNode(ns.RDFS + "label")
    for name in ("EuropeanDigitalCredential", "LearningOpportunity", "LearningAchievementSpecification", "Qualification",
                 "LearningOutcome", "CreditPoint", "Accreditation", "Organisation", "Address", "AwardingProcess",
                 "LearningAssessment", "LearningAssessmentSpecification", "LearningAchievement",
                 "hasClaim", "specifiedBy", "learningOutcome", "relatedESCOSkill", "creditPoint", "volumeOfLearning",
                 "EQFLevel", "ISCEDFCode", "mode", "learningSetting", "idVerification", "entitlesTo", "isPartOf",
                 "hasPart", "isPartialQualification", "accreditation", "awardingBody", "countryCode", "grade"):
        term = ox.NamedNode(ns.ELM + name)
        assert objects(store, term, label), f"elm:{name} missing or unlabelled"
        assert objects(store, term, ox.NamedNode(ns.RDFS + "comment")), f"elm:{name} has no definition"
    # Location is dc:Location in ELM 3.1, described in ELM-external.ttl.
    assert objects(store, ox.NamedNode(ns.DC + "Location"), ox.NamedNode(SKOS + "definition"))
    # Terms only the EC samples or the EC's catalogue (LOQ) profile use are included too.
    assert objects(store, ox.NamedNode(ns.ELM + "displayParameter"), label)
    assert objects(store, ox.NamedNode(ns.ELM + "scheduleInformation"), label)
    header = vocabularies.read_bytes("elm.ttl").decode("utf-8")[:1200]
    assert "CC BY 4.0" in header and "European Commission" in header


def test_credgraph_vocabulary_documents_every_design_term():
    design = (REPO / "docs/DESIGN.md").read_text(encoding="utf-8")
    terms = set(re.findall(r"cg:([A-Za-z]+)", design))
    assert {"IssuanceRecord", "ComplianceResult", "SealVerification", "contentHash"} <= terms
    # Stacking-rule and recognition-policy terms live in their own files, never in credgraph.ttl.
    elsewhere = set()
    for name in ("credgraph-stacking", "credgraph-recognition"):
        if name in vocab.shipped_vocabularies():
            elsewhere |= {q.subject.value[len(ns.CG):] for q in load(name).quads_for_pattern(None, RDF_TYPE, None)
                          if q.subject.value.startswith(ns.CG)}
    store = load("credgraph")
    for term in sorted(terms - elsewhere):
        node = ox.NamedNode(ns.CG + term)
        assert objects(store, node, ox.NamedNode(ns.RDFS + "label")), f"cg:{term} has no label"
        assert objects(store, node, ox.NamedNode(ns.RDFS + "comment")), f"cg:{term} has no comment"
        kinds = {o.value for o in objects(store, node, RDF_TYPE)}
        assert kinds & {ns.OWL + "Class", ns.OWL + "ObjectProperty", ns.OWL + "DatatypeProperty", ns.OWL + "AnnotationProperty"}
    defined = {q.subject.value[len(ns.CG):] for q in store.quads_for_pattern(None, RDF_TYPE, None)
               if q.subject.value.startswith(ns.CG)}
    assert defined == terms - elsewhere, f"credgraph.ttl defines {sorted(defined - terms)} beyond DESIGN.md"
    assert not defined & {"StackingRule", "condition", "component", "target", "pathway"}


def test_load_shipped_into_named_graphs_then_unchanged(store):
    first = vocab.load_shipped(store, MINE)
    assert [(r.name, r.status) for r in first] == [(n, "loaded") for n in MINE]
    for result in first:
        assert result.graph == f"urn:credgraph:vocab:{result.name}"
        expected = len(set(ox.parse(vocabularies.read_bytes(f"{result.name}.ttl"), ox.RdfFormat.TURTLE)))
        assert result.triples == expected
    graphs = {g.name: g for g in store.graphs()}
    for name in MINE:
        assert graphs[f"urn:credgraph:vocab:{name}"].triples > 0
    second = vocab.load_shipped(store, MINE)
    assert [(r.name, r.status) for r in second] == [(n, "unchanged") for n in MINE]

    rows = store.select(queries.load("eqf-levels")).rows
    assert len(rows) == 8
    assert [r["label"].value for r in rows] == [f"Level {n}" for n in range(1, 9)]
    counts = {r["scheme"].value: int(r["concepts"].value) for r in store.select(queries.load("concepts-per-scheme")).rows}
    assert counts["http://data.europa.eu/snb/isced-f/25831c2"] == 220
    assert counts["http://data.europa.eu/snb/assessment/25831c2"] == 14


def test_cli_init_loads_each_vocabulary_and_reports_unchanged_on_rerun(tmp_path, capsys):
    data = tmp_path / "data"
    assert cli.main(["--data", str(data), "--store", str(tmp_path / "store"), "init"]) == 0
    first = capsys.readouterr().out
    for name in MINE:
        assert re.search(rf"loaded\s+urn:credgraph:vocab:{re.escape(name)}\s", first), first
    assert cli.main(["--data", str(data), "--store", str(tmp_path / "store"), "init"]) == 0
    second = capsys.readouterr().out
    for name in MINE:
        assert re.search(rf"unchanged\s+urn:credgraph:vocab:{re.escape(name)}$", second, re.M), second


def test_cli_init_on_a_memory_store(capsys):
    assert cli.main(["--store", "memory:", "init"]) == 0
    out = capsys.readouterr().out
    assert "urn:credgraph:vocab:eqf" in out and "urn:credgraph:vocab:isced-f" in out


def test_shipped_files_match_a_rebuild_and_a_stale_file_is_reported(full_data, tmp_path):
    """Opt-in ($CREDGRAPH_SHARED): the rebuild reads the full ESCO export."""
    build = build_script()
    assert build.main(["--shared", str(full_data), "--check"]) == 0
    out = tmp_path / "vocabularies"
    shutil.copytree(REPO / "vocabularies", out, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (out / "eqf.ttl").write_text((out / "eqf.ttl").read_text(encoding="utf-8").replace("Level 3", "Level three"),
                                 encoding="utf-8")
    assert build.main(["--shared", str(full_data), "--out", str(out), "--check"]) == 1


def test_build_refuses_incomplete_esco_data(shared_data, tmp_path):
    """The ISCED-F count is checked: a truncated skill-group file stops the build with a clear message."""
    build = build_script()
    fake = tmp_path / "data"
    shutil.copytree(shared_data / "elm-3.1", fake / "elm-3.1")
    for rel, _ in build.ESCO_FILES.values():
        target = fake / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(shared_data / rel, encoding="utf-8", newline="") as src, open(target, "w", encoding="utf-8", newline="") as dst:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, reader.fieldnames)
            writer.writeheader()
            # Drop one field from the English file only.
            writer.writerows(r for r in reader if not (rel.endswith("_en.csv") and r["conceptUri"].endswith("/isced-f/0613")))
    with pytest.raises(SystemExit, match=r"skillGroups_en.csv: expected 220 ISCED-F fields, found 219"):
        build.build_isced(fake)
