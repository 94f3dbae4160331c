"""The catalogue service on both stores: search, facets with counts, paging, details."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from credgraph.graph.services import catalogue as cg
from credgraph.graph.services.catalogue_naming import key_of, normalise, page_path
from credgraph.graph.services.catalogue_reading import duration_hours, load_catalogue, offer_graphs, read_catalogue
from credgraph.graph.services.catalogue_records import Catalogue
from credgraph.graph.services.catalogue_results import Text
from credgraph.graph.store.interface import Provenance, content_hash

FIXTURES = Path(__file__).parent / "fixtures" / "site"
SPEC = "https://w3id.org/credgraph/id/spec/"
ORG = "https://w3id.org/credgraph/id/org/"
PYTHON_SKILL = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def load_fixture(store) -> None:
    """The hand-made catalogue and its concept labels, one source graph each."""
    for name in ("catalogue", "labels"):
        data = (FIXTURES / f"{name}.ttl").read_bytes()
        triples = [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(data, ox.RdfFormat.TURTLE)]
        store.load_graph(f"urn:credgraph:source:site-{name}", triples, Provenance("source", f"{name}.ttl", content_hash(data)))


@pytest.fixture
def cat_store(store):
    load_fixture(store)
    return store


def titles(result, lang="en"):
    return sorted(item.title.text for item in result.items)


def test_search_all_and_paging(cat_store):
    everything = cg.search(cat_store, page_size=2)
    assert everything.total == 5
    assert len(everything.items) == 2
    page3 = cg.search(cat_store, page=3, page_size=2)
    assert len(page3.items) == 1
    seen = {i.iri for p in (1, 2, 3) for i in cg.search(cat_store, page=p, page_size=2).items}
    assert len(seen) == 5


def test_text_search_in_each_language(cat_store):
    assert titles(cg.search(cat_store, "datenanalyse", lang="de")) == ["Datenanalyse mit Python"]
    # Accents and case are ignored; French title of the same specification.
    assert titles(cg.search(cat_store, "DONNEES python", lang="fr")) == ["Analyse de données avec Python"]
    # Words from an ESCO skill label in the chosen language match.
    assert {i.iri for i in cg.search(cat_store, "statistik", lang="de").items} == {
        SPEC + "data-analytics-python", SPEC + "machine-learning-basics"}
    assert cg.search(cat_store, "nothing-like-this").total == 0


def test_fallback_title_is_marked(cat_store):
    result = cg.search(cat_store, "cloud", lang="fr")
    assert result.items[0].title == Text("Cloud Security Fundamentals", "en", fallback=True)


def test_facets_filter_and_count(cat_store):
    result = cg.search(cat_store, filters={"eqf": ["7"]})
    assert result.total == 2
    eqf = {v.value: (v.count, v.selected) for v in result.facets["eqf"]}
    # Counts of the facet itself ignore its own selection (they show what choosing would give).
    assert eqf == {"5": (2, False), "6": (1, False), "7": (2, True)}
    assert {v.value: v.count for v in result.facets["country"]} == {"DEU": 2}
    both = cg.search(cat_store, filters={"eqf": ["7", "5"], "country": ["IRL"]})
    assert [i.iri for i in both.items] == [SPEC + "cloud-security"]


@pytest.mark.parametrize("facet, value, expected", [
    ("ects", "3-5", {"data-analytics-python", "gestion-de-projet"}),
    ("ects", "30+", {"data-science-certificate"}),
    ("field", "0613", {"data-analytics-python", "machine-learning-basics", "data-science-certificate"}),
    ("mode", "920fbb3cbe", {"data-analytics-python", "cloud-security"}),
    ("language", "FRA", {"gestion-de-projet"}),
    ("country", "FRA", {"gestion-de-projet"}),
    ("provider", "tu-berlin", {"data-analytics-python", "machine-learning-basics", "data-science-certificate"}),
    ("provider", ORG + "dublin-tech", {"cloud-security"}),
    ("skill", PYTHON_SKILL, {"data-analytics-python", "cloud-security"}),
])
def test_each_facet(cat_store, facet, value, expected):
    result = cg.search(cat_store, filters={facet: [value]})
    assert {key_of(i.iri) for i in result.items} == expected
    assert result.total == len(expected)


def test_bad_filters_are_named(cat_store):
    with pytest.raises(ValueError, match="unknown facet 'colour'"):
        cg.search(cat_store, filters={"colour": ["red"]})
    with pytest.raises(ValueError, match="unknown ECTS range"):
        cg.search(cat_store, filters={"ects": ["lots"]})
    with pytest.raises(ValueError, match="unsupported language"):
        cg.search(cat_store, lang="it")


def test_specification_has_every_annex_i_element(cat_store):
    d = cg.specification(cat_store, SPEC + "data-analytics-python", "de")
    assert d.title.text == "Datenanalyse mit Python" and not d.title.fallback
    assert d.provider.label.text == "Technische Universität Berlin"
    assert d.country.label.text == "Deutschland"
    assert (d.ects, d.hours) == (5.0, 125.0)
    assert d.eqf.key == "6" and d.field.key == "0613"
    assert [s.label.text for o in d.outcomes for s in o.skills] == ["Python (Computerprogrammierung)", "Statistik"]
    assert [a.label.text for a in d.assessment] == ["schriftliche Prüfung"]
    assert [m.key for m in d.modes] == ["920fbb3cbe"]
    assert d.quality_assurance[0].agent.label.text == "NVAO"
    assert d.prerequisites.text == "Grundkenntnisse im Programmieren."
    assert [r.key for r in d.id_verification] == ["c598449d64"]
    assert [r.iri for r in d.stackability.is_part_of] == [SPEC + "data-science-certificate"]
    assert all(e.present for e in d.annex_i)
    assert d.to_dict()["workload" if False else "ects"] == 5.0


def test_specification_reports_missing_elements(cat_store):
    d = cg.specification(cat_store, SPEC + "cloud-security", "en")
    missing = {e.element for e in d.annex_i if not e.present}
    assert missing == {"assessment", "quality_assurance", "prerequisites", "id_verification", "stackability"}
    assert cg.specification(cat_store, SPEC + "no-such-thing") is None


def test_provider_and_skill(cat_store):
    p = cg.provider(cat_store, ORG + "tu-berlin", "fr")
    assert p.country.label.text == "Allemagne"
    assert len(p.specifications) == 3
    assert p.homepage == "https://www.tu.berlin/"
    s = cg.skill(cat_store, PYTHON_SKILL, "fr")
    assert s.label.text == "Python (programmation informatique)"
    assert {x.slug for x in s.specifications} == {"data-analytics-python", "cloud-security"}
    assert cg.skill(cat_store, "http://data.europa.eu/esco/skill/unknown") is None
    assert s.to_dict()["specifications"][0]["path"].startswith("spec/")


def test_cache_follows_changes(cat_store):
    assert cg.search(cat_store).total == 5
    cat_store.drop_graphs(["urn:credgraph:source:site-catalogue"])
    assert cg.search(cat_store).total == 0


def test_paths_and_slugs():
    assert page_path("spec", SPEC + "hs-x/ds-101") == "spec/hs-x/ds-101/"
    assert page_path("provider", ORG + "tu-berlin") == "provider/tu-berlin/"
    assert page_path("spec", "http://example.org/a b").startswith("spec/x")
    assert page_path("spec", SPEC + "../evil") != "spec/../evil/"
    assert duration_hours("PT125H") == 125 and duration_hours("P1DT2H30M") == 26.5
    assert normalise("Straße Données") == "strasse donnees"


def test_issued_credentials_do_not_change_the_offer(cat_store):
    """A credential's graph repeats its specification's description; the catalogue reads the offer only."""
    before = cg.search(cat_store, page_size=50)
    spec = before.items[0].iri
    copy = [
        ox.Triple(ox.NamedNode(spec), ox.NamedNode("http://purl.org/dc/terms/title"), ox.Literal("A title only a credential states", language="en")),
        ox.Triple(ox.NamedNode("https://w3id.org/credgraph/id/spec/x/only-issued"), ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                  ox.NamedNode("http://data.europa.eu/snb/model/elm/LearningAchievementSpecification")),
    ]
    cat_store.load_graph("urn:credgraph:source:cred-0123456789abcdef", copy, Provenance("source", "credgraph:cred-0123456789abcdef", "sha256:c"))
    after = cg.search(cat_store, page_size=50)
    assert after.total == before.total
    assert titles(after) == titles(before)


# -- the offer copy: same catalogue as the explicit default graph list ------------

from credgraph import queries  # noqa: E402
from credgraph.graph.store import offer_copy  # noqa: E402
from credgraph.graph.store.embedded import EmbeddedStore  # noqa: E402

ELM = "http://data.europa.eu/snb/model/elm/"
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


class ExplicitList(offer_copy.OfferCopy):
    """The way the catalogue was read before the copy: the offer graphs as explicit default graphs."""

    def __init__(self, store, graphs) -> None:
        # Holds nothing itself: every query goes to the real store with the explicit list.
        self.path, self.location, self.offer = None, "explicit-list", ()
        self._real, self._graphs = store, list(graphs)

    def _query(self, text, bindings, default_graphs, named_graphs):
        return self._real._query(text, bindings, self._graphs, named_graphs)


def split_fixture(parts: int) -> list[list[ox.Triple]]:
    """The fixture catalogue in ``parts`` pieces; a blank node stays with the IRI it describes."""
    triples = [ox.Triple(t.subject, t.predicate, t.object)
               for t in ox.parse((FIXTURES / "catalogue.ttl").read_bytes(), ox.RdfFormat.TURTLE)]
    parent = {t.object: t.subject for t in triples if isinstance(t.object, ox.BlankNode)}

    def root(node):
        while isinstance(node, ox.BlankNode):
            node = parent[node]
        return node.value

    roots = sorted({root(t.subject) for t in triples})
    piece = {r: i % parts for i, r in enumerate(roots)}
    out: list[list[ox.Triple]] = [[] for _ in range(parts)]
    for t in triples:
        out[piece[root(t.subject)]].append(t)
    return out


def not_offer(spec_iri: str) -> dict[str, list[ox.Triple]]:
    """Graphs the catalogue must not read: a credential, a badge and a shared description."""
    spec = ox.NamedNode(spec_iri)
    only_desc = ox.NamedNode(SPEC + "described-only-in-a-desc-graph")
    badge_org = ox.NamedNode(ORG + "only-in-a-badge")
    return {
        "urn:credgraph:source:cred-00000000000000aa": [
            ox.Triple(spec, TITLE, ox.Literal("A title only a credential states", language="en"))],
        "urn:credgraph:source:desc-00000000000000bb": [
            ox.Triple(only_desc, RDF_TYPE, ox.NamedNode(ELM + "LearningAchievementSpecification")),
            ox.Triple(only_desc, TITLE, ox.Literal("Only in a description graph", language="en")),
            ox.Triple(spec, TITLE, ox.Literal("A title only a description states", language="en"))],
        "urn:credgraph:source:badge-00000000000000cc": [
            ox.Triple(badge_org, RDF_TYPE, ox.NamedNode(ELM + "Organisation")),
            ox.Triple(badge_org, ox.NamedNode("http://www.w3.org/ns/regorg#legalName"), ox.Literal("Badge issuer", language="en"))],
    }


@pytest.fixture
def split_store(store):
    """The fixture catalogue over three catalogue graphs, its labels, and graphs that are not the offer."""
    for i, triples in enumerate(split_fixture(3)):
        store.load_graph(f"urn:credgraph:source:catalogue-part{i}", triples, Provenance("source", f"part{i}.ttl", f"sha256:{i}"))
    data = (FIXTURES / "labels.ttl").read_bytes()
    store.load_graph("urn:credgraph:source:site-labels", ox.parse(data, ox.RdfFormat.TURTLE), Provenance("source", "labels.ttl", content_hash(data)))
    for name, triples in not_offer(SPEC + "cloud-security").items():
        store.load_graph(name, triples, Provenance("source", name, "sha256:" + name[-2:]))
    return store


def snapshot(cat: Catalogue) -> tuple:
    return cat.specs, cat.orgs, cat.labels


def test_offer_copy_reads_what_the_explicit_list_reads(split_store):
    graphs = [name for name, _, _ in offer_graphs(split_store)]
    assert len(graphs) == 4 and not any("cred-" in g or "desc-" in g or "badge-" in g for g in graphs)
    copied = read_catalogue(split_store)
    explicit = read_catalogue(ExplicitList(split_store, graphs), graphs=graphs)
    assert snapshot(copied) == snapshot(explicit)
    assert len(copied.specs) == 5 and copied.labels
    one = SPEC + "data-analytics-python"
    assert snapshot(read_catalogue(split_store, one)) == snapshot(read_catalogue(ExplicitList(split_store, graphs), one, graphs))
    assert list(read_catalogue(split_store, one).specs) == [one]


def test_offer_copy_leaves_out_credentials_badges_and_descriptions(split_store):
    cat = load_catalogue(split_store, cached=False)
    assert SPEC + "described-only-in-a-desc-graph" not in cat.specs
    assert ORG + "only-in-a-badge" not in cat.orgs
    assert cat.specs[SPEC + "cloud-security"].titles == {"en": "Cloud Security Fundamentals"}
    # The same catalogue as the fixture in one graph on a store with nothing else.
    whole = EmbeddedStore(None)
    load_fixture(whole)
    assert snapshot(cat) == snapshot(load_catalogue(whole, cached=False))
    assert cg.search(split_store, "description graph").total == 0


def test_copy_holds_the_offer_graphs_only(split_store):
    graphs = [name for name, _, _ in offer_graphs(split_store)]
    copy = offer_copy.copy_offer(split_store, graphs)
    assert isinstance(copy, offer_copy.OfferCopy)
    assert offer_copy.copy_offer(copy, graphs) is copy
    triples = {(t.subject, t.predicate, t.object) for t in copy.triples()}
    offered = {(t.subject, t.predicate, t.object) for t in split_store.construct(queries.load("catalogue-offer-copy"), default_graphs=graphs)}
    assert len(triples) == len(offered) > 100
    assert not any(s == ox.NamedNode(SPEC + "described-only-in-a-desc-graph") for s, _, _ in triples)
    # Writes after the copy do not reach it.
    split_store.drop_graphs(["urn:credgraph:source:catalogue-part0"])
    assert len({(t.subject, t.predicate, t.object) for t in copy.triples()}) == len(triples)


def test_copy_keeps_a_blank_node_shared_by_two_graphs_as_one():
    """Graphs written in one call may share a blank node; the explicit list sees one node, so must the copy."""
    store = EmbeddedStore(None)
    node, p = ox.BlankNode(), ox.NamedNode("http://example.org/p")
    prov = {g: Provenance("source", g, "sha256:" + g[-1]) for g in ("urn:credgraph:source:a", "urn:credgraph:source:b")}
    store.replace_graphs({"urn:credgraph:source:a": [ox.Triple(node, p, ox.Literal("1"))],
                          "urn:credgraph:source:b": [ox.Triple(node, p, ox.Literal("2"))]}, prov)
    copy = offer_copy.copy_offer(store, ["urn:credgraph:source:a", "urn:credgraph:source:missing", "urn:credgraph:source:b"])
    quads = list(copy.triples())
    assert len(quads) == 2 and len({q.subject for q in quads}) == 1
