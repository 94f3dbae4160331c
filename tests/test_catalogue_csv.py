"""Catalogue spreadsheets: the example imports, every bad cell is reported where it is."""

from __future__ import annotations

from importlib import resources

import pyoxigraph as ox
import pytest

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.catalogue_csv import catalogue_source_id, parse_catalogue_csv, skill_label_resolver
from credgraph.graph.store.interface import Provenance, content_hash

SKOS_PREF = ox.NamedNode(ns.SKOS + "prefLabel")
THINK_ANALYTICALLY = "http://data.europa.eu/esco/skill/4707da90-9cfc-46ca-8de0-38a0b7bfb137"
WORK_IN_TEAMS = "http://data.europa.eu/esco/skill/60c78287-22eb-4103-9c8c-28deaa460da0"
DS_101 = "https://w3id.org/credgraph/id/spec/hs-beispielstadt/DS-101"


def example_bytes() -> bytes:
    return (resources.files("credgraph.vocabularies") / "examples" / "catalogue-example.csv").read_bytes()


def esco_labels(store, pairs: list[tuple[str, str]]) -> None:
    """A tiny ESCO graph: skills with English preferred labels."""
    triples = [ox.Triple(ox.NamedNode(iri), SKOS_PREF, ox.Literal(label, language="en")) for iri, label in pairs]
    store.load_graph(ns.vocab_graph("esco-test"), triples, Provenance(kind="vocab", source="test", content_hash=content_hash(b"x")))


def lookup(mapping: dict[str, str]):
    return mapping.get


MINIMAL_HEADER = "id,title_en,provider_name,country,ects,eqf_level,outcome_1_en,outcome_1_skills"
GOOD_ROW = f"mc-1,Good course,Provider A (fictional),DE,5,6,Do things,{WORK_IN_TEAMS}"


def parse_rows(*rows: str, header: str = MINIMAL_HEADER, resolve=None):
    text = "\n".join([header, *rows]) + "\n"
    return parse_catalogue_csv(text.encode("utf-8"), "courses.csv", resolve)


# --- the shipped example ------------------------------------------------------------


def test_example_imports_and_answers_queries(store):
    esco_labels(store, [(THINK_ANALYTICALLY, "think analytically")])
    parsed = parse_catalogue_csv(example_bytes(), "catalogue-example.csv", skill_label_resolver(store))
    assert parsed.errors == []
    assert parsed.source_id == catalogue_source_id("catalogue-example.csv")
    assert len(parsed.specifications) == 6 and len(parsed.opportunities) == 6
    graph = ns.source_graph(parsed.source_id)
    store.load_graph(graph, parsed.triples, Provenance(kind="source", source="catalogue-example.csv", content_hash=content_hash(example_bytes())))

    rows = {r["spec"].value: r for r in store.select(queries.load("catalogue-csv-specs"), {"graph": ox.NamedNode(graph)}).rows}
    assert set(rows) == set(parsed.specifications)
    ds101 = rows[DS_101]
    assert ds101["kind"].value == ns.ELM + "LearningAchievementSpecification"
    assert ds101["title"].value == "Data Analysis with Python"
    assert ds101["ects"].value == "5"
    # Oxigraph stores durations canonically: PT125H comes back as P5DT5H.
    assert ds101["workload"].datatype == ox.NamedNode(ns.XSD + "duration")
    assert ds101["workload"].value in {"PT125H", "P5DT5H"}
    assert ds101["eqf"].value == "http://data.europa.eu/snb/eqf/6"
    assert ds101["isced"].value == "http://data.europa.eu/snb/isced-f/0688"
    assert ds101["providerName"].value == "Hochschule Beispielstadt (fictional)"
    cert = rows["https://w3id.org/credgraph/id/spec/hs-beispielstadt/DS-CERT"]
    assert cert["kind"].value == ns.ELM + "Qualification"
    assert rows["https://w3id.org/credgraph/id/spec/univ-exemple/CYB-01"]["eqf"].value.endswith("/5")


def _objects(triples, subject: str, predicate: str) -> set:
    return {t.object for t in triples if t.subject == ox.NamedNode(subject) and t.predicate == ox.NamedNode(predicate)}


def test_example_maps_every_annex_element():
    parsed = parse_catalogue_csv(example_bytes(), "catalogue-example.csv", lookup({"think analytically": THINK_ANALYTICALLY}))
    assert parsed.errors == []
    t = parsed.triples
    elm = ns.ELM
    assert _objects(t, DS_101, elm + "mode") == {ox.NamedNode("http://data.europa.eu/snb/learning-assessment/920fbb3cbe")}
    assert _objects(t, DS_101, elm + "learningSetting") == {ox.NamedNode("http://data.europa.eu/snb/learning-setting/6fd4685715")}
    assessments = _objects(t, DS_101, elm + "provenBy")
    types = {o for a in assessments for o in _objects(t, a.value, ns.DC + "type")}
    assert types == {ox.NamedNode("http://data.europa.eu/snb/assessment/6e6cb2cc78"), ox.NamedNode("http://data.europa.eu/snb/assessment/795dac4096")}
    (credit,) = _objects(t, DS_101, elm + "creditPoint")
    assert _objects(t, credit.value, elm + "framework") == {ox.NamedNode("http://data.europa.eu/snb/education-credit/6fcec5c5af")}
    (acc,) = _objects(t, DS_101, elm + "accreditation")
    assert _objects(t, acc.value, ns.DC + "type") == {ox.NamedNode("http://data.europa.eu/snb/accreditation/bb4618238e")}
    (agent,) = _objects(t, acc.value, elm + "accreditingAgent")
    assert _objects(t, agent.value, ns.ROV + "legalName") == {ox.Literal("Akkreditierungsrat Beispiel (fictional)", language="en")}
    outcomes = _objects(t, DS_101, elm + "learningOutcome")
    assert len(outcomes) == 2
    skills = {o for oc in outcomes for o in _objects(t, oc.value, elm + "relatedESCOSkill")}
    assert ox.NamedNode(THINK_ANALYTICALLY) in skills and len(skills) == 4
    (note,) = _objects(t, DS_101, elm + "entryRequirement")
    assert _objects(t, note.value, elm + "noteLiteral") == {ox.Literal("Basic programming; school mathematics.", language="en")}
    cert = "https://w3id.org/credgraph/id/spec/hs-beispielstadt/DS-CERT"
    assert ox.NamedNode(cert) in _objects(t, DS_101, elm + "isPartOf")
    assert len(_objects(t, cert, elm + "hasPart")) == 3
    org = "https://w3id.org/credgraph/id/org/hs-beispielstadt"
    (loc,) = _objects(t, org, elm + "location")
    (addr,) = _objects(t, loc.value, elm + "address")
    assert _objects(t, addr.value, elm + "countryCode") == {ox.NamedNode("http://publications.europa.eu/resource/authority/country/DEU")}
    opp = "https://w3id.org/credgraph/id/opportunity/hs-beispielstadt/DS-101"
    assert _objects(t, opp, elm + "learningAchievementSpecification") == {ox.NamedNode(DS_101)}
    assert _objects(t, opp, elm + "duration") == {ox.Literal("P12W", datatype=ox.NamedNode(ns.XSD + "duration"))}
    (price,) = _objects(t, opp, elm + "priceDetail")
    (amount,) = _objects(t, price.value, elm + "amount")
    assert _objects(t, amount.value, ns.RDF + "value") == {ox.Literal("450", datatype=ox.NamedNode(ns.XSD + "decimal"))}
    # French provider given with the NAL alpha-3 code.
    org_fr = "https://w3id.org/credgraph/id/org/univ-exemple"
    (loc_fr,) = _objects(t, org_fr, elm + "location")
    (addr_fr,) = _objects(t, loc_fr.value, elm + "address")
    assert _objects(t, addr_fr.value, elm + "countryCode") == {ox.NamedNode("http://publications.europa.eu/resource/authority/country/FRA")}


def test_source_id_is_hash_of_base_name():
    import hashlib

    expected = "catalogue-" + hashlib.sha256(b"courses.csv").hexdigest()[:16]
    assert catalogue_source_id("courses.csv") == expected
    assert catalogue_source_id("/some/dir/courses.csv") == expected


# --- bad cells ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("ects", "five", "courses.csv row 3, column ects: 'five' is not a number"),
        ("ects", "0", "courses.csv row 3, column ects: '0' is out of range"),
        ("eqf_level", "9", "courses.csv row 3, column eqf_level: '9' is not an EQF level (1-8)"),
        ("country", "XX", "courses.csv row 3, column country: 'XX' is not an ISO 3166"),
        ("outcome_1_skills", "http://example.org/skill/1", "courses.csv row 3, column outcome_1_skills: 'http://example.org/skill/1' is not an ESCO skill IRI"),
        ("outcome_1_skills", "juggling", "courses.csv row 3, column outcome_1_skills: no ESCO skill has the English preferred label 'juggling'"),
        ("id", "bad id!", "courses.csv row 3, column id: 'bad id!' is not a valid id"),
    ],
)
def test_bad_minimal_cell(column, value, message):
    cells = dict(zip(MINIMAL_HEADER.split(","), GOOD_ROW.split(","), strict=True))
    cells["id"] = "mc-2"
    cells[column] = value
    parsed = parse_rows(GOOD_ROW, ",".join(cells.values()), resolve=lookup({}))
    assert parsed.triples == [] and parsed.specifications == []
    assert any(e.startswith(message) for e in parsed.errors), parsed.errors


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("isced_f", "0699", "column isced_f: '0699' is not an ISCED-F 2013 field code"),
        ("mode", "online|telepathic", "column mode: 'telepathic' is not one of: online, blended, on-site"),
        ("assessment", "written exam|vibes", "column assessment: 'vibes' is not one of: written exam"),
        ("language", "xx", "column language: 'xx' is not an ISO 639-1"),
        ("learning_setting", "informal", "column learning_setting: 'informal' is not one of: formal, non-formal"),
        ("qa_type", "excellent", "column qa_type: 'excellent' is not one of"),
        ("start_date", "2025-02-30", "column start_date: '2025-02-30' is not a date"),
        ("duration", "a while", "column duration: 'a while' is not a duration"),
        ("price", "cheap", "column price: 'cheap' is not an amount"),
        ("homepage", "www.example.org", "column homepage: 'www.example.org' is not an http(s) URL"),
        ("part_of", "nowhere", "column part_of: 'nowhere' is neither an id in this file nor an IRI"),
        ("kind", "degree", "column kind: 'degree' is not one of: micro-credential, qualification"),
        ("hours", "1,000.5", "column hours: '1,000.5' is not a number"),
    ],
)
def test_bad_code_cells(column, value, message):
    header = MINIMAL_HEADER + f",{column}"
    parsed = parse_rows(GOOD_ROW + ",", f"mc-2,Other,Provider A (fictional),DE,5,6,Do,{WORK_IN_TEAMS},\"{value}\"", header=header)
    assert parsed.triples == []
    assert [e for e in parsed.errors if e.startswith(f"courses.csv row 3, {message}")], parsed.errors


def test_all_errors_of_all_rows_reported_and_nothing_kept():
    parsed = parse_rows(
        GOOD_ROW,
        f"mc-2,Two,Provider A (fictional),DE,five,9,Do,{WORK_IN_TEAMS}",
        f"mc-3,Three,Provider A (fictional),DE,5,6,Do,{WORK_IN_TEAMS}",
        f"mc-1,Dup,Provider A (fictional),DE,5,6,Do,{WORK_IN_TEAMS}",
    )
    assert parsed.triples == []
    assert "courses.csv row 3, column ects: 'five' is not a number" in parsed.errors
    assert "courses.csv row 3, column eqf_level: '9' is not an EQF level (1-8)" in parsed.errors
    assert "courses.csv row 5, column id: 'mc-1' already used in row 2" in parsed.errors
    assert len(parsed.errors) == 3


def test_qa_agent_required_with_qa_type():
    parsed = parse_rows(GOOD_ROW + ",programme-quality", header=MINIMAL_HEADER + ",qa_type")
    assert parsed.errors == ["courses.csv row 2, column qa_agent: the quality assurance agency is required when qa_type is given"]


def test_missing_required_values():
    parsed = parse_rows(f"mc-1,,Provider A (fictional),,5,6,Do,{WORK_IN_TEAMS}")
    assert "courses.csv row 2, column country: a value is required" in parsed.errors
    assert any(e.startswith("courses.csv row 2, column title_en: a title is required") for e in parsed.errors)


# --- file-level problems -------------------------------------------------------------


def test_not_utf8():
    data = (MINIMAL_HEADER + "\nmc-1,Caf\u00e9,P,DE,5,6,Do,\n").encode("latin-1")
    parsed = parse_catalogue_csv(data, "courses.csv")
    assert parsed.triples == []
    assert parsed.errors[0].startswith("courses.csv: not UTF-8 text (byte 0xe9 at offset")


def test_empty_file_and_header_only():
    assert parse_catalogue_csv(b"", "courses.csv").errors == ["courses.csv: the file is empty"]
    assert parse_catalogue_csv(b"  \n", "courses.csv").errors == ["courses.csv: the file is empty"]
    assert parse_catalogue_csv((MINIMAL_HEADER + "\n").encode(), "courses.csv").errors == ["courses.csv: no data rows below the header"]


def test_missing_and_unknown_columns():
    parsed = parse_rows("mc-1,T,5", header="id,title_en,ectz")
    assert "courses.csv row 1, column ectz: unknown column (see docs/catalogue-csv.md)" in parsed.errors
    assert "courses.csv row 1: missing required column(s): provider_name, country" in parsed.errors
    parsed = parse_rows("mc-1,P,DE", header="id,provider_name,country")
    assert parsed.errors == ["courses.csv row 1: missing required column: at least one of title_en, title_de, title_fr"]


def test_too_many_cells_names_the_row():
    parsed = parse_rows(GOOD_ROW + ",extra")
    assert parsed.errors[0].startswith("courses.csv row 2: 9 cells but the header has 8 columns")


# --- CSV dialects ---------------------------------------------------------------------


def test_semicolon_delimiter_quotes_and_multiline_cells():
    text = (
        'id;title_en;title_de;description_en;provider_name;country;ects;hours;outcome_1_en;outcome_1_skills;assessment\n'
        'mc-1;"Data, data; and more data";"Daten ""richtig"" nutzen";"Line one;\nline two, with a comma";'
        f'Provider A (fictional);AT;2,5;62.5;"Outcome with ; semicolon";{WORK_IN_TEAMS} | think analytically;written exam | oral exam\n'
        '\n'
        f'mc-2;Second;;;Provider A (fictional);AUT;1;;Outcome;;quiz\n'
    )
    parsed = parse_catalogue_csv(text.encode("utf-8"), "kurse.csv", lookup({"think analytically": THINK_ANALYTICALLY}))
    assert parsed.errors == []
    spec = "https://w3id.org/credgraph/id/spec/provider-a-fictional/mc-1"
    t = parsed.triples
    assert _objects(t, spec, ns.DC + "title") == {ox.Literal("Data, data; and more data", language="en"), ox.Literal('Daten "richtig" nutzen', language="de")}
    assert _objects(t, spec, ns.DC + "description") == {ox.Literal("Line one;\nline two, with a comma", language="en")}
    (credit,) = _objects(t, spec, ns.ELM + "creditPoint")
    assert _objects(t, credit.value, ns.ELM + "point") == {ox.Literal("2.5")}
    assert _objects(t, spec, ns.ELM + "volumeOfLearning") == {ox.Literal("PT62H30M", datatype=ox.NamedNode(ns.XSD + "duration"))}
    (outcome,) = _objects(t, spec, ns.ELM + "learningOutcome")
    assert _objects(t, outcome.value, ns.DC + "title") == {ox.Literal("Outcome with ; semicolon", language="en")}
    assert _objects(t, outcome.value, ns.ELM + "relatedESCOSkill") == {ox.NamedNode(WORK_IN_TEAMS), ox.NamedNode(THINK_ANALYTICALLY)}
    assert len(_objects(t, spec, ns.ELM + "provenBy")) == 2
    assert len(parsed.specifications) == 2


def test_byte_order_mark_and_crlf():
    text = "\ufeff" + MINIMAL_HEADER + "\r\n" + GOOD_ROW + "\r\n"
    parsed = parse_catalogue_csv(text.encode("utf-8"), "courses.csv")
    assert parsed.errors == [] and len(parsed.specifications) == 1


# --- ESCO labels through the store ----------------------------------------------------


def test_skill_label_resolver(store):
    esco_labels(store, [
        (THINK_ANALYTICALLY, "think analytically"),
        ("http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000001", "same label"),
        ("http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000002", "same label"),
    ])
    resolve = skill_label_resolver(store)
    assert resolve("think analytically") == THINK_ANALYTICALLY
    assert resolve("Think analytically") is None  # exact labels only
    with pytest.raises(ValueError, match="is the English label of 2 ESCO skills"):
        resolve("same label")
    parsed = parse_rows("mc-1,T,P (fictional),DE,5,6,Do,think analytically|same label", resolve=resolve)
    assert parsed.errors and "column outcome_1_skills: 'same label' is the English label of 2 ESCO skills" in parsed.errors[0]
    parsed = parse_rows("mc-1,T,P (fictional),DE,5,6,Do,think analytically", resolve=resolve)
    assert parsed.errors == []
    assert any(t.object == ox.NamedNode(THINK_ANALYTICALLY) for t in parsed.triples)


def test_example_resolves_labels_against_the_shipped_esco_subset(embedded_store):
    from credgraph.graph.sources import vocab

    vocab.load_shipped(embedded_store, ["esco"])
    parsed = parse_catalogue_csv(example_bytes(), "catalogue-example.csv", skill_label_resolver(embedded_store))
    assert parsed.errors == []
    skills = {t.object.value for t in parsed.triples if t.predicate.value == ns.ELM + "relatedESCOSkill"}
    assert THINK_ANALYTICALLY in skills
    shipped = {r["skill"].value for r in embedded_store.select(queries.load("catalogue-csv-skill-by-label"), {"label": ox.Literal("think analytically", language="en")}).rows}
    assert shipped == {THINK_ANALYTICALLY}


def test_broken_quoting_is_reported_with_its_row():
    parsed = parse_catalogue_csv(b'id,title_en,provider_name,country\nx1,"T"x,P,DE\n', "courses.csv")
    assert parsed.triples == [] and parsed.errors[0].startswith("courses.csv row 2: not valid CSV")
    parsed = parse_catalogue_csv(b'id,title_en,provider_name,country\nx1,"T,P,DE\n', "courses.csv")
    assert parsed.errors == ["courses.csv row 2: not valid CSV (unexpected end of data)"]
