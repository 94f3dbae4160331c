"""Publishing the catalogue to Europass: ELM Learning Opportunities and Qualifications (LOQ) data.

The export is the catalogue as the store holds it (every graph in which a
learning opportunity offers a specification: specifications, qualifications,
learning opportunities, organisations, their outcomes, credits, accreditation,
prices and periods), plus what a LOQ consumer cannot look up by itself: each
cited concept (EQF level, ISCED-F field, mode, language, ESCO skill, ...) typed
``skos:Concept`` with its scheme and labels from the loaded vocabularies.

One mapping is made, because the EC profile says so: a qualification's parts
are stated only from the part's side (``elm:isPartOf``); the LOQ profile allows
``elm:hasPart`` of a qualification only towards other qualifications, and the
catalogue's micro-credentials are learning achievement specifications.

The result is validated by the EC's ``LOQ-constraints`` SHACL profile (shipped
unchanged as ``vocabularies/shapes/loq-constraints.ttl``) and reported by
shape: for each node shape, how many nodes of its class were checked and which
constraints failed how often. Two of the EC's regular expressions are written
for Java (``^(?i)...``, ``\\p{L}``); they are adapted for Python's ``re`` when
the shapes are read (the file itself is not changed).
"""

from __future__ import annotations

import collections
import io
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import rdflib
from pyshacl import validate as shacl_validate

from credgraph import queries, vocabularies
from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Store

LOQ_SHAPES = "shapes/loq-constraints.ttl"
SKOS_CONCEPT = ox.NamedNode(ns.SKOS + "Concept")
SKOS_SCHEME = ox.NamedNode(ns.SKOS + "ConceptScheme")
RDF_TYPE = ox.NamedNode(ns.RDF + "type")
IN_SCHEME = ox.NamedNode(ns.SKOS + "inScheme")
PREF_LABEL = ox.NamedNode(ns.SKOS + "prefLabel")
HAS_PART = ox.NamedNode(ns.ELM + "hasPart")
QUALIFICATION = ox.NamedNode(ns.ELM + "Qualification")
_SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
PREFIXES = {"elm": ns.ELM, "dc": ns.DC, "skos": ns.SKOS, "foaf": ns.FOAF, "adms": ns.ADMS, "rov": ns.ROV, "xsd": ns.XSD,
            "rdf": ns.RDF}


@dataclass
class ShapeLine:
    """One node shape of the profile: the nodes of its class in the export, and its failed constraints."""

    shape: str
    target: str
    nodes: int
    failures: list[tuple[str, str, int, str]] = field(default_factory=list)  # (path, constraint, count, example node)

    @property
    def violations(self) -> int:
        return sum(count for _, _, count, _ in self.failures)


@dataclass
class LoqExport:
    """The exported statements, and the validation report by shape."""

    triples: list[ox.Triple]
    graphs: int
    conforms: bool = False
    shapes: list[ShapeLine] = field(default_factory=list)
    other: list[tuple[str, str, int, str]] = field(default_factory=list)  # failures of shapes without a class target

    @property
    def violations(self) -> int:
        return sum(s.violations for s in self.shapes) + sum(c for _, _, c, _ in self.other)

    def counts(self) -> dict[str, int]:
        """Nodes per exported class (short names)."""
        found = collections.Counter(_short(t.object.value) for t in self.triples if t.predicate == RDF_TYPE)
        return dict(sorted(found.items()))

    def report_text(self) -> str:
        lines = [f"LOQ-constraints: {'conforms' if self.conforms else 'does not conform'} "
                 f"({len(self.triples):,} triples from {self.graphs} catalogue graph(s); {self.violations} violation(s))"]
        for line in self.shapes:
            if not line.nodes and not line.failures:
                continue
            verdict = "ok" if not line.failures else f"{line.violations} violation(s)"
            lines.append(f"  {line.shape} ({line.target}): {line.nodes} node(s), {verdict}")
            for path, constraint, count, example in line.failures:
                lines.append(f"      {count} x {path} {constraint} (e.g. {example})")
        for path, constraint, count, example in self.other:
            lines.append(f"  other: {count} x {path} {constraint} (e.g. {example})")
        return "\n".join(lines)


def export_loq(store: Store) -> LoqExport:
    """The catalogue as LOQ data, validated by the EC profile."""
    graphs = [row["graph"] for row in store.select(queries.load("equivalence-catalogue-graphs")).rows]
    triples: dict[ox.Triple, None] = {}
    for graph in graphs:
        for t in store.construct(queries.load("ingest-graph-triples"), {"graph": graph}):
            triples[ox.Triple(t.subject, t.predicate, t.object)] = None
    qualifications = {t.subject for t in triples if t.predicate == RDF_TYPE and t.object == QUALIFICATION}
    kept = [t for t in triples if not (t.predicate == HAS_PART and t.subject in qualifications and t.object not in qualifications)]
    kept += _concepts(store, kept)
    export = LoqExport(kept, len(graphs))
    _validate(export)
    return export


def _concepts(store: Store, triples: list[ox.Triple]) -> list[ox.Triple]:
    described = {t.subject for t in triples}
    cited = sorted({t.object for t in triples if isinstance(t.object, ox.NamedNode) and t.predicate != RDF_TYPE
                    and t.object not in described}, key=str)
    if not cited:
        return []
    out: dict[ox.Triple, None] = {}
    languages: set = set()
    for row in store.select(queries.load("concept-schemes-labels"), values=[{"concept": c} for c in cited]).rows:
        concept, scheme, label = row["concept"], row["scheme"], row.get("label")
        out[ox.Triple(concept, RDF_TYPE, SKOS_CONCEPT)] = None
        out[ox.Triple(concept, IN_SCHEME, scheme)] = None
        out[ox.Triple(scheme, RDF_TYPE, SKOS_SCHEME)] = None
        if label is not None and label.language and (concept, label.language) not in languages:
            languages.add((concept, label.language))  # the profile allows one label per language
            out[ox.Triple(concept, PREF_LABEL, label)] = None
    return list(out)


# -- validation, reported by shape ------------------------------------------------------------------


@cache
def _shapes() -> rdflib.Graph:
    graph = rdflib.Graph().parse(data=vocabularies.read_bytes(LOQ_SHAPES), format="turtle")
    for subject, pattern in list(graph.subject_objects(_SH.pattern)):
        adapted = _python_pattern(str(pattern))
        if adapted != str(pattern):
            graph.remove((subject, _SH.pattern, pattern))
            graph.add((subject, _SH.pattern, rdflib.Literal(adapted)))
    return graph


def _python_pattern(pattern: str) -> str:
    """The EC's Java regular expressions in Python's dialect (inline flags first; ``\\p{L}\\p{Nl}\\p{Nd}`` as ``\\w``)."""
    if pattern.startswith("^(?i)"):
        pattern = "(?i)^" + pattern[5:]
    pattern = pattern.replace("\\p{L}\\p{Nl}\\p{Nd}", "\\w").replace("[[", "[\\[")
    re.compile(pattern)
    return pattern


def _validate(export: LoqExport) -> None:
    data = rdflib.Graph()
    data.parse(data=_ntriples(export.triples), format="nt")
    shapes = _shapes()
    conforms, report, _ = shacl_validate(data, shacl_graph=shapes, advanced=True, allow_warnings=True)
    export.conforms = bool(conforms)
    owner = {prop: node for node, prop in shapes.subject_objects(_SH.property)}
    failures: dict[rdflib.term.Node, collections.Counter] = collections.defaultdict(collections.Counter)
    examples: dict = {}
    for result in report.subjects(rdflib.RDF.type, _SH.ValidationResult):
        if report.value(result, _SH.resultSeverity) != _SH.Violation:
            continue
        source = report.value(result, _SH.sourceShape)
        node_shape = owner.get(source, source)
        path = report.value(result, _SH.resultPath)
        constraint = str(report.value(result, _SH.sourceConstraintComponent)).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
        key = (_short(str(path)) if path is not None else "-", constraint)
        failures[node_shape][key] += 1
        examples[(node_shape, key)] = str(report.value(result, _SH.focusNode))
    seen = set()
    for node_shape, target in sorted(shapes.subject_objects(_SH.targetClass), key=lambda x: str(x[0])):
        seen.add(node_shape)
        label = str(shapes.value(node_shape, rdflib.RDFS.label) or _short(str(node_shape)))
        nodes = len(set(data.subjects(rdflib.RDF.type, target)))
        line = ShapeLine(label, _short(str(target)), nodes)
        for key, count in sorted(failures.get(node_shape, {}).items()):
            line.failures.append((key[0], key[1], count, examples[(node_shape, key)]))
        export.shapes.append(line)
    for node_shape, counter in failures.items():
        if node_shape not in seen:
            for key, count in sorted(counter.items()):
                export.other.append((key[0], key[1], count, examples[(node_shape, key)]))


def _ntriples(triples: list[ox.Triple]) -> str:
    return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)


def _short(iri: str) -> str:
    for prefix, base in PREFIXES.items():
        if iri.startswith(base):
            return f"{prefix}:{iri[len(base):]}"
    return iri


# -- files ------------------------------------------------------------------------------------------


def write_loq(export: LoqExport, out_dir: str | Path) -> list[Path]:
    """``loq.ttl``, ``loq.jsonld`` and ``loq-report.txt`` in ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fmt in (("loq.ttl", ox.RdfFormat.TURTLE), ("loq.jsonld", ox.RdfFormat.JSON_LD)):
        buffer = io.BytesIO()
        kwargs = {"prefixes": PREFIXES} if fmt == ox.RdfFormat.TURTLE else {}
        ox.serialize(export.triples, buffer, fmt, **kwargs)
        path = out / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(path)
        written.append(path)
    report = out / "loq-report.txt"
    report.write_text(export.report_text() + "\n", encoding="utf-8")
    written.append(report)
    return written
