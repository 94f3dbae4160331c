"""ESCO: the CSV importer, ``credgraph import esco`` and the bundled subset.

The full English v1.1.1 export is imported once per backend (module scope:
it takes a while) when $CREDGRAPH_SHARED points at the full reference data;
the other tests use the small real slices of the exports in tests/data/esco.
"""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import free_port, oxigraph_binary, wait_for_http
from credgraph import queries, vocabularies
from credgraph.cli import main
from credgraph.graph.sources import esco
from credgraph.graph.sources.esco_export import COLLECTION_SCHEMES, RELATION_KINDS, SCHEME, scan_export
from credgraph.graph.sources import vocab
from credgraph.graph.store.interface import Store, open_store

SKOS = "http://www.w3.org/2004/02/skos/core#"
ESCO_M = "http://data.europa.eu/esco/model#"
JAVA = "http://data.europa.eu/esco/skill/19a8293b-8e95-4de3-983f-77484079c389"  # digital collection
SHOW_INITIATIVE = "http://data.europa.eu/esco/skill/001115fb-569f-4ee6-8381-c6807ef2527f"  # transversal
MUSICAL_STAFF = "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"
HASKELL = "http://data.europa.eu/esco/skill/000f1d3d-220f-4789-9c0a-cc742521fb02"
TECHNICAL_DIRECTOR = "http://data.europa.eu/esco/occupation/00030d09-2b3a-4efd-87cc-c4ea39d27c34"
LANGUAGE_ROOT = "http://data.europa.eu/esco/skill/e35a5936-091d-4e87-bafe-f264e55bd656"
ISCED_00 = "http://data.europa.eu/esco/isced-f/00"
DIGITAL = COLLECTION_SCHEMES["digitalSkillsCollection"]
TRANSVERSAL = COLLECTION_SCHEMES["transversalSkillsCollection"]


# -- helpers -------------------------------------------------------------------

def trim_copy(src: Path, dst: Path, rows: int, rename: dict[str, str] | None = None, only: set[str] | None = None) -> Path:
    """Copy the CSV files of ``src`` to ``dst``, each cut to its first ``rows`` records."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.glob("*.csv")):
        if only is not None and path.name not in only:
            continue
        if only is None and path.name.startswith("conceptSchemes"):
            continue  # 19 rows, but ~25,000 hasTopConcept values: the full import covers it
        name = (rename or {}).get(path.name, path.name)
        with path.open(newline="", encoding="utf-8") as inp, (dst / name).open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            for i, record in enumerate(csv.reader(inp)):
                if i > rows:
                    break
                writer.writerow(record)
    return dst


def concept(store: Store, iri: str) -> dict[str, list[ox.Term]]:
    """Every statement about ``iri`` in the ESCO graph, by predicate IRI."""
    out: dict[str, list] = {}
    for row in store.select(queries.load("esco-concept"), {"concept": ox.NamedNode(iri)}):
        out.setdefault(row["p"].value, []).append(row["o"])
    return out


def labels(store: Store, iri: str, kind: str = "prefLabel") -> dict[str, set[str]]:
    """Labels of ``iri`` by language."""
    out: dict[str, set[str]] = {}
    for term in concept(store, iri).get(SKOS + kind, []):
        out.setdefault(term.language, set()).add(term.value)
    return out


def summary(store: Store) -> dict[str, int]:
    row = store.select(queries.load("esco-summary")).rows[0]
    return {name: int(term.value) for name, term in row.items()}


def esco_info(store: Store):
    return next((g for g in store.graphs() if g.name == esco.ESCO_GRAPH), None)


# The full export takes 1-2.5 minutes per backend (benchmarks/esco_import.py):
# once per backend, shared by the tests of this module.
# Remote: 141 s on a quiet machine, up to 284 s under load, close to the remote
# store's 300 s request timeout; opt in with CREDGRAPH_ESCO_FULL_REMOTE=1.
FULL_BACKENDS = ["embedded"] + (["remote"] if os.environ.get("CREDGRAPH_ESCO_FULL_REMOTE") == "1" else [])


@pytest.fixture(scope="module")
def full_esco(request, full_data, tmp_path_factory):
    """The full English v1.1.1 export imported once into each backend (opt-in: $CREDGRAPH_SHARED)."""
    backend = request.param
    process = None
    if backend == "embedded":
        store = open_store("memory:")
    else:
        # Its own server: the shared one is wiped before every `store` test.
        port = free_port()
        process = subprocess.Popen(
            [oxigraph_binary(), "serve", "--location", str(tmp_path_factory.mktemp("esco-server")),
             "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_http(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D")
        store = open_store(f"http://127.0.0.1:{port}")
    try:
        result = esco.import_esco(store, [full_data / "esco" / "v1.1.1-en"])
        yield store, result
    finally:
        store.close()
        if process:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture
def en_slice(shared_data, tmp_path) -> Path:
    """The first 150 records of every English v1.1.1 file."""
    return trim_copy(shared_data / "esco" / "v1.1.1-en", tmp_path / "en", 150)


# -- the full export -------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("full_esco", FULL_BACKENDS, indirect=True)
def test_full_import_everything_arrives(full_esco):
    store, result = full_esco
    assert result.skills == 13_896
    assert result.occupation_skill_relations == 123_855
    assert result.skill_skill_relations == 5_899
    assert result.broader_relations == 20_656 + 3_617  # skill pillar + occupation pillar rows
    counts = summary(store)
    assert counts["skills"] == 13_896
    assert counts["essential"] == 64_946 and counts["optional"] == 58_909
    assert counts["essential"] + counts["optional"] == 123_855
    # 3,007 in occupations_en.csv plus one that v1.1.1 lists only in its relation files.
    assert counts["occupations"] == 3_008 == result.occupations
    assert counts["skillGroups"] == 640 and counts["iscoGroups"] == 619
    info = esco_info(store)
    assert info.kind == "vocab" and "v1.1.1" in info.source and info.content_hash.startswith("sha256:")
    assert info.triples == result.triples > 400_000


@pytest.mark.slow
@pytest.mark.parametrize("full_esco", FULL_BACKENDS, indirect=True)
def test_full_import_content(full_esco):
    store, _ = full_esco
    java = concept(store, JAVA)
    assert {t.value for t in java[SKOS + "prefLabel"]} == {"Java (computer programming)"}
    assert ox.NamedNode(ESCO_M + "Skill") in java["http://www.w3.org/1999/02/22-rdf-syntax-ns#type"]
    assert java[ESCO_M + "skillType"] == [ox.NamedNode("http://data.europa.eu/esco/skill-type/knowledge")]
    assert java[ESCO_M + "skillReuseLevel"] == [ox.NamedNode("http://data.europa.eu/esco/skill-reuse-level/sector-specific")]
    # inScheme cells are ",\n"-separated: every value must come out as a clean IRI.
    assert {t.value for t in java[SKOS + "inScheme"]} == {
        SCHEME + "skills", SCHEME + "member-skills", DIGITAL}
    assert ox.NamedNode(esco.ISCED_F + "0613") in java[SKOS + "broader"]
    # altLabels are newline-separated within one cell.
    assert labels(store, MUSICAL_STAFF, "altLabel")["en"] == {
        "manage staff of music", "coordinate duties of musical staff", "manage music staff",
        "direct musical staff", "manage musical staff"}
    isced = concept(store, esco.ISCED_F + "0613")
    assert isced[SKOS + "notation"] == [ox.Literal("0613")]
    # A short skillsHierarchy row (only Level 0 filled) still yields the pillar root.
    root = concept(store, LANGUAGE_ROOT)
    assert root[SKOS + "topConceptOf"] == [ox.NamedNode(SCHEME + "skills-hierarchy")]
    assert root[SKOS + "notation"] == [ox.Literal("L")]
    director = concept(store, TECHNICAL_DIRECTOR)
    # Occupation hierarchy: an occupation under an occupation, up through ISCO 2654 to major group 2.
    chain = store.select(queries.load("esco-broader-chain"), {"skill": ox.NamedNode(TECHNICAL_DIRECTOR)}).rows
    ancestors = [row["ancestor"].value for row in chain]
    assert director[SKOS + "broader"][0].value in ancestors
    assert {"http://data.europa.eu/esco/isco/C2654", "http://data.europa.eu/esco/isco/C2"} <= set(ancestors)
    assert len(director[ESCO_M + "relatedEssentialSkill"]) > 5
    schemes = {row["scheme"].value: int(row["concepts"].value) for row in store.select(queries.load("concepts-per-scheme"))}
    assert schemes[SCHEME + "member-skills"] == 13_896
    # The transversal scheme holds 96 skills and 30 transversal skill groups.
    assert schemes[DIGITAL] == 1_201 and schemes[TRANSVERSAL] == 96 + 30


# -- languages and file names ------------------------------------------------------

def test_languages_merge(store, shared_data, tmp_path):
    data = shared_data / "esco"
    en = trim_copy(data / "v1.1.1-en", tmp_path / "en", 150)
    de = trim_copy(data / "v1.2.0-de-partial", tmp_path / "de", 150)
    fr = trim_copy(data / "v1.1.1-fr-partial", tmp_path / "fr", 150)
    result = esco.import_esco(store, [en, de, fr])
    assert result.languages == ("en", "de", "fr")
    assert labels(store, ISCED_00) == {
        "en": {"generic programmes and qualifications"},
        "de": {"Allgemeine Bildungsprogramme und Qualifikationen"},
        "fr": {"programmes et certifications génériques"},
    }
    assert set(labels(store, TECHNICAL_DIRECTOR)) == {"en", "de", "fr"}
    assert set(labels(store, LANGUAGE_ROOT)) == {"en", "de", "fr"}
    # de and fr have no skills_<lang>.csv: their skill labels come from the collections.
    haskell = labels(store, HASKELL)
    assert set(haskell) == {"en", "de", "fr"} and all(len(v) == 1 for v in haskell.values())
    assert "en" in labels(store, HASKELL, "altLabel")


def test_languages_in_one_folder(shared_data, tmp_path):
    data = shared_data / "esco"
    both = trim_copy(data / "v1.1.1-en", tmp_path / "mixed", 20)
    trim_copy(data / "v1.1.1-fr-partial", both, 20)
    export = scan_export([both])
    assert export.languages == ("en", "fr") and export.version == "unknown version"
    relations = {f.kind: f for f in export.files if f.kind in RELATION_KINDS}
    # One copy of each relation file: the unsuffixed v1.1 one wins over _fr.
    assert relations["broaderRelationsSkillPillar"].name == "broaderRelationsSkillPillar.csv"
    assert relations["skillSkillRelations"].name == "skillSkillRelations.csv"
    triples = list(esco.esco_triples(export))
    langs = {t.object.language for t in triples if t.subject.value == ISCED_00 and t.predicate == esco.PREF}
    assert langs == {"en", "fr"}


def test_v12_file_names(store, shared_data, tmp_path):
    data = shared_data / "esco"
    folder = trim_copy(data / "v1.2.0-en-partial", tmp_path / "ESCO dataset - v1.2.0 - classification - en - csv", 200)
    # v1.2 names its relation files with the language suffix.
    trim_copy(data / "v1.1.1-en", folder, 200, only={"skills_en.csv", "occupationSkillRelations.csv"},
              rename={"occupationSkillRelations.csv": "occupationSkillRelations_en.csv"})
    export = scan_export([folder])
    names = {f.kind: f.name for f in export.files}
    assert names["broaderRelationsSkillPillar"] == "broaderRelationsSkillPillar_en.csv"
    assert names["occupationSkillRelations"] == "occupationSkillRelations_en.csv"
    assert export.version == "v1.2.0"
    result = esco.import_esco(store, [folder])
    assert result.occupation_skill_relations == 200 and result.broader_relations > 200
    counts = summary(store)
    assert counts["essential"] + counts["optional"] == 200
    assert "v1.2.0" in esco_info(store).source
    assert labels(store, LANGUAGE_ROOT) == {"en": {"language skills and knowledge"}}


# -- bad input ---------------------------------------------------------------------

def _drop_file(folder: Path) -> None:
    (folder / "skills_en.csv").unlink()


def _rewrite(folder: Path, name: str, edit) -> None:
    path = folder / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def _extra_cell_on_line_3(text: str) -> str:
    lines = text.split("\n")
    lines[2] += ",oops"
    return "\n".join(lines)


BAD_INPUTS = {
    "missing file": (_drop_file, ["skills_<lang>.csv", "missing ESCO file"]),
    "missing column": (
        lambda f: _rewrite(f, "skills_en.csv", lambda t: t.replace("preferredLabel", "prefLabel", 1)),
        ["skills_en.csv", "'preferredLabel'", "missing column"],
    ),
    "unterminated quote": (
        lambda f: _rewrite(f, "occupationSkillRelations.csv", lambda t: t + '"http://data.europa.eu/esco/occupation/x,essential\n'),
        ["occupationSkillRelations.csv", "malformed CSV"],
    ),
    "extra cells": (
        lambda f: _rewrite(f, "broaderRelationsSkillPillar.csv", _extra_cell_on_line_3),
        ["broaderRelationsSkillPillar.csv line 3", "5 cells but the header has 4"],
    ),
    "bad relation type": (
        lambda f: _rewrite(f, "occupationSkillRelations.csv", lambda t: t.replace(",essential,", ",required,", 1)),
        ["occupationSkillRelations.csv line 2", "'relationType'", "expected essential or optional"],
    ),
    "not an IRI": (
        lambda f: _rewrite(f, "skills_en.csv", lambda t: t.replace("http://data.europa.eu/esco/skill/0005c151", "skill 0005c151", 1)),
        ["skills_en.csv line 2", "'conceptUri'", "not an IRI"],
    ),
    "not UTF-8": (
        lambda f: (f / "skillGroups_en.csv").write_bytes((f / "skillGroups_en.csv").read_bytes() + b"\xff\xfe,x\n"),
        ["skillGroups_en.csv", "not UTF-8"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_rejected_and_store_unchanged(store, en_slice, tmp_path, case):
    esco.import_esco(store, [en_slice])
    before = esco_info(store)
    counts = summary(store)
    bad = trim_copy(en_slice, tmp_path / "bad", 150)
    damage, expected = BAD_INPUTS[case]
    damage(bad)
    with pytest.raises(ValueError) as caught:
        esco.import_esco(store, [bad])
    message = str(caught.value)
    assert "\n" not in message
    for part in expected:
        assert part in message
    after = esco_info(store)
    assert (after.content_hash, after.triples, after.imported_at) == (before.content_hash, before.triples, before.imported_at)
    assert summary(store) == counts
    assert not [g for g in store.graphs() if "staging" in g.name]


def test_same_language_twice(shared_data, tmp_path):
    one = trim_copy(shared_data / "esco" / "v1.1.1-en", tmp_path / "one", 5)
    two = trim_copy(shared_data / "esco" / "v1.1.1-en", tmp_path / "two", 5)
    with pytest.raises(ValueError, match=r"is in both .*one and .*two; expected each language once"):
        scan_export([one, two])


def test_not_a_folder(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        scan_export([tmp_path / "nowhere"])


# -- command line ------------------------------------------------------------------

def test_cli_import_summary_and_error(en_slice, tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["--data", str(data), "import", "esco", "--quiet", str(en_slice)]) == 0
    out = capsys.readouterr().out
    assert "imported into urn:credgraph:vocab:esco" in out
    assert "skills" in out and "occupation-skill relations" in out and "seconds" in out
    bad = trim_copy(en_slice, tmp_path / "bad", 150)
    _drop_file(bad)
    assert main(["--data", str(data), "import", "esco", "--quiet", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("credgraph: error:") and "skills_<lang>.csv" in err and "\n" not in err
    with open_store(str(data / "store")) as store:
        assert esco_info(store).source.startswith(str(en_slice))


def test_same_files_again_are_not_rewritten(store, en_slice):
    first = esco.import_esco(store, [en_slice])
    before = esco_info(store)
    again = esco.import_esco(store, [en_slice])
    assert not first.unchanged and again.unchanged
    assert esco_info(store).imported_at == before.imported_at
    assert (again.skills, again.triples) == (first.skills, first.triples)
    forced = esco.import_esco(store, [en_slice], force=True)
    assert not forced.unchanged and esco_info(store).imported_at != before.imported_at


def test_cli_help_has_example(capsys):
    with pytest.raises(SystemExit):
        main(["import", "esco", "--help"])
    assert "Example" in capsys.readouterr().out


# -- the bundled subset ------------------------------------------------------------

def test_bundled_subset(store):
    [load] = vocab.load_shipped(store, ["esco"])
    assert load.status == "loaded" and load.triples > 10_000
    assert labels(store, JAVA) == {
        "en": {"Java (computer programming)"},
        "de": {"Java (Computerprogrammierung)"},
        "fr": {"Java (programmation informatique)"},
    }
    assert set(labels(store, SHOW_INITIATIVE)) == {"en", "de", "fr"}
    rows = store.select(queries.load("esco-skill-labels"), {"skill": ox.NamedNode(JAVA)}).rows
    assert {(r["lang"].value, r["label"].value) for r in rows if r["kind"].value == "pref"} == {
        ("de", "Java (Computerprogrammierung)"), ("en", "Java (computer programming)"), ("fr", "Java (programmation informatique)")}
    assert {r["skillType"].value for r in rows} == {"http://data.europa.eu/esco/skill-type/knowledge"}
    chain = store.select(queries.load("esco-broader-chain"), {"skill": ox.NamedNode(JAVA)}).rows
    ancestors = {row["ancestor"].value for row in chain}
    assert esco.ISCED_F + "0613" in ancestors
    roots = [row for row in chain if row["root"].value == "true"]
    assert roots and all("label" in row for row in chain)
    schemes = {row["scheme"].value: int(row["concepts"].value) for row in store.select(queries.load("concepts-per-scheme"))}
    # The transversal scheme holds 96 skills and 30 transversal skill groups.
    assert schemes[DIGITAL] == 1_201 and schemes[TRANSVERSAL] == 96 + 30


def test_bundled_subset_is_the_collections_with_their_ancestors(full_data):
    graph = ox.Store()
    graph.load(vocabularies.read_bytes("esco.ttl"), ox.RdfFormat.TURTLE)
    broader = ox.NamedNode(SKOS + "broader")
    subjects = {q.subject for q in graph.quads_for_pattern(None, None, None, None)}
    for q in graph.quads_for_pattern(None, broader, None, None):
        assert q.object in subjects, f"{q.object} is broader than {q.subject} but missing from esco.ttl"
    members = set()
    for name in ("digitalSkillsCollection_en.csv", "transversalSkillsCollection_en.csv"):
        with (full_data / "esco" / "v1.1.1-en" / name).open(newline="", encoding="utf-8") as handle:
            members |= {row["conceptUri"] for row in csv.DictReader(handle)}
    assert members <= {s.value for s in subjects}


def test_init_loads_subset_and_keeps_a_full_import(en_slice, tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["--data", str(data), "init"]) == 0
    with open_store(str(data / "store")) as store:
        assert esco_info(store).source == "credgraph:vocabularies/esco.ttl"
        assert labels(store, JAVA)["de"] == {"Java (Computerprogrammierung)"}
    assert main(["--data", str(data), "import", "esco", "--quiet", str(en_slice)]) == 0
    capsys.readouterr()
    assert main(["--data", str(data), "init"]) == 0
    assert "kept (full ESCO import)" in capsys.readouterr().out
    with open_store(str(data / "store")) as store:
        assert esco_info(store).source.startswith(str(en_slice))
