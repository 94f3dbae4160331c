"""Stacking rules: what a rule is (a target specification and conditions: all of, at least N of,
minimum ECTS from a set, required ESCO skills, optionally filtered by minimum EQF level, maximum
age and maximum span), read from the store (RDF data, ``vocabularies/credgraph-stacking.ttl``),
implied by ``elm:hasPart`` ("all of its parts"), and imported from a Turtle file after a check;
and the credentials a learner holds, as rules take them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date

from pyoxigraph import BlankNode, NamedNode

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.store.interface import Store


CG = ns.CG
KINDS = {
    CG + "AllOf": "all-of",
    CG + "AtLeast": "at-least",
    CG + "MinimumCredits": "min-credits",
    CG + "RequiredSkills": "skills",
}
YEAR_DAYS = 365.25


@dataclass(frozen=True)
class HeldCredential:
    """One credential a learner holds: its specification and issue date.

    ``record`` is the issuance record IRI when it came from the store; credentials
    given as documents (parsed by the ingest) have none.
    """

    spec: str
    issued: date | None = None
    record: str | None = None


def parse_date(text: str | None) -> date | None:
    """An xsd:date / xsd:dateTime lexical value as a date (None if absent or unreadable)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


# -- rules -------------------------------------------------------------------
@dataclass
class Condition:
    """One condition of a stacking rule."""

    iri: str
    kind: str  # all-of | at-least | min-credits | skills
    components: list[str] = field(default_factory=list)
    min_count: int | None = None
    min_credits: float | None = None
    min_level: int | None = None
    max_age: float | None = None
    skills: list[str] = field(default_factory=list)


@dataclass
class Rule:
    """A stacking rule as read from the store (or implied by ``elm:hasPart``)."""

    iri: str
    target: str
    title: str | None = None
    pathway: str | None = None
    pathway_title: str | None = None
    min_level: int | None = None
    max_age: float | None = None
    max_span: float | None = None
    conditions: list[Condition] = field(default_factory=list)
    implied: bool = False

    def components(self) -> set[str]:
        """Every specification named by any condition."""
        return {c for cond in self.conditions for c in cond.components}


def _num(term) -> float | None:
    try:
        return float(term.value)
    except (ValueError, AttributeError):
        return None


def load_rules(store: Store, rule_iris: Iterable[str] | None = None) -> list[Rule]:
    """The stacking rules ``rule_iris`` in full (every rule when None); one query."""
    iris = None if rule_iris is None else sorted(set(rule_iris))
    if iris is not None and not iris:
        return []
    values = None if iris is None else [{"rule": NamedNode(i)} for i in iris]
    result = store.select(queries.load("stacking-rule-details"), values=values)
    rules: dict[str, Rule] = {}
    conds: dict[tuple[str, str], Condition] = {}
    for row in result.rows:
        rid = row["rule"].value
        rule = rules.setdefault(rid, Rule(rid, target=""))
        key, value = row["key"].value, row["value"]
        cond_term = row.get("condition")
        if cond_term is None:
            if key == "target":
                rule.target = value.value
            elif key == "title":
                rule.title = rule.title or value.value
            elif key == "pathway":
                rule.pathway = value.value
            elif key == "pathwayTitle":
                rule.pathway_title = rule.pathway_title or value.value
            elif key == "minLevel":
                rule.min_level = int(_num(value) or 0) or None
            elif key == "maxAge":
                rule.max_age = _num(value)
            elif key == "maxSpan":
                rule.max_span = _num(value)
            continue
        ckey = (rid, cond_term.value)
        cond = conds.get(ckey)
        if cond is None:
            # A blank-node condition gets a stable name below (blank node ids differ per backend).
            cond = conds[ckey] = Condition("" if isinstance(cond_term, BlankNode) else cond_term.value, kind="")
            rule.conditions.append(cond)
        if key == "type" and value.value in KINDS:
            cond.kind = KINDS[value.value]
        elif key == "component":
            if value.value not in cond.components:
                cond.components.append(value.value)
        elif key == "minCount":
            cond.min_count = int(_num(value) or 0)
        elif key == "minCredits":
            cond.min_credits = _num(value)
        elif key == "minLevel":
            cond.min_level = int(_num(value) or 0) or None
        elif key == "maxAge":
            cond.max_age = _num(value)
        elif key == "skill":
            if value.value not in cond.skills:
                cond.skills.append(value.value)
    for rule in rules.values():
        for cond in rule.conditions:
            cond.components.sort()
            cond.skills.sort()
            if not cond.kind:  # untyped: infer from what it states
                cond.kind = ("skills" if cond.skills else "min-credits" if cond.min_credits is not None
                             else "at-least" if cond.min_count is not None else "all-of")
        rule.conditions.sort(key=lambda c: (c.iri == "", c.iri, c.kind, c.components, c.skills))
        for n, cond in enumerate(rule.conditions, 1):
            cond.iri = cond.iri or f"{rule.iri}#condition-{n}"
    return sorted((r for r in rules.values() if r.target), key=lambda r: r.iri)


def implied_rules(store: Store, specs: Iterable[str] | None) -> list[Rule]:
    """Rules "all of its parts" for larger specifications (elm:hasPart) that have no explicit rule.

    With ``specs`` None: every such specification (declared with elm:hasPart).
    """
    if specs is None:
        result = store.select(queries.load("stacking-all-implied-rules"))
    else:
        wanted = sorted(set(specs))
        if not wanted:
            return []
        # Two steps, each with one side bound: in one query the parts would be joined across every
        # credential graph's copy of the description.
        found = store.select(queries.load("stacking-implied-rules"), values=[{"spec": NamedNode(s)} for s in wanted])
        targets = sorted({row["target"].value for row in found.rows})
        if targets:
            ruled = store.select(queries.load("stacking-ruled-targets"), values=[{"target": NamedNode(t)} for t in targets])
            targets = sorted(set(targets) - {row["target"].value for row in ruled.rows})
        if not targets:
            return []
        result = store.select(queries.load("stacking-parts"), values=[{"target": NamedNode(t)} for t in targets])
    parts: dict[str, set[str]] = {}
    for row in result.rows:
        parts.setdefault(row["target"].value, set()).add(row["part"].value)
    return [
        Rule(iri=target, target=target, title=None, implied=True,
             conditions=[Condition(iri=target + "#parts", kind="all-of", components=sorted(p))])
        for target, p in sorted(parts.items())
    ]


def candidate_rules(store: Store, specs: Iterable[str]) -> list[Rule]:
    """Every rule (explicit or implied) that any of ``specs`` may count towards."""
    wanted = sorted(set(specs))
    if not wanted:
        return []
    result = store.select(queries.load("stacking-candidate-rules"), values=[{"spec": NamedNode(s)} for s in wanted])
    rule_iris = {row["rule"].value for row in result.rows}
    return load_rules(store, rule_iris) + implied_rules(store, wanted)


# -- importing a rules file ----------------------------------------------------------
@dataclass
class RulesImport:
    """What ``credgraph import rules`` wrote."""

    graph: str
    triples: int
    rules: int
    status: str  # loaded | replaced | unchanged

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


def rules_source_id(name: str) -> str:
    """The source id of a rules file: ``rules-<16 hex of SHA-256 of its base name>``."""
    import hashlib
    from pathlib import Path

    return "rules-" + hashlib.sha256(Path(name).name.encode("utf-8")).hexdigest()[:16]


def import_rules_file(store: Store, path: str) -> RulesImport:
    """Load a Turtle file of stacking rules, equivalences and decisions as one source graph.

    The file is checked first (named query ``stacking-rule-problems`` on a scratch
    store); any problem rejects the whole file with messages naming the file and
    the resource, and the store keeps its earlier state.
    """
    from pathlib import Path

    import pyoxigraph as ox

    from credgraph.graph.store.interface import Provenance, content_hash
    from credgraph.graph.store.embedded import EmbeddedStore

    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        triples = [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(data, ox.RdfFormat.TURTLE, base_iri=file.resolve().as_uri())]
    except SyntaxError as exc:
        raise ValueError(f"{path}: not valid Turtle: {exc}") from exc
    scratch = EmbeddedStore(None)
    scratch.load_graph("urn:credgraph:check", triples, Provenance("source", str(path), content_hash(data)))
    problems = scratch.select(queries.load("stacking-rule-problems")).rows
    if problems:
        lines = []
        for row in problems:
            subject = row["subject"]
            where = f"a condition of {row['rule'].value}" if isinstance(subject, BlankNode) and row.get("rule") else subject.value
            lines.append(f"{path}: {where}: {row['problem'].value}")
        raise ValueError("; ".join(lines))
    rules = sum(1 for t in triples if t.predicate.value == ns.RDF + "type" and t.object.value == CG + "StackingRule")
    graph = ns.source_graph(rules_source_id(file.name))
    digest = content_hash(data)
    current = store.graph_hash(graph)
    if current == digest:
        return RulesImport(graph, len(set(triples)), rules, "unchanged")
    store.load_graph(graph, triples, Provenance(kind="source", source=file.name, content_hash=digest, title=f"rules: {file.name}"))
    return RulesImport(graph, len(set(triples)), rules, "loaded" if current is None else "replaced")
