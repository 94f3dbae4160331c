"""Equivalence of specifications: recorded, and computed.

Recorded: ``skos:exactMatch`` / ``skos:closeMatch`` between specifications and
recognition decisions that recognised one as comparable to another, taken in
their symmetric and transitive closure (breadth first, one query per step),
each equivalent with the chain of links that makes it one.

Computed: a similarity score that ranks the specifications most comparable to
a given one, from ESCO skill overlap (a narrower skill counts for a broader
one; a broader one half), EQF level, workload and ISCED-F field, with the
score broken down per factor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from pyoxigraph import NamedNode

from credgraph import queries
from credgraph.graph.services.specifications import SpecFacts, load_specs, skill_ancestors
from credgraph.graph.store.interface import Store

# A chain is as strong as its weakest link.
STRENGTH = {"exact": 0, "close": 1, "recognised": 2}
WEIGHTS = {"skills": 0.5, "level": 0.2, "workload": 0.15, "field": 0.15}
MAX_STEPS = 10


@dataclass
class Link:
    """One recorded equivalence between two specifications."""

    source: str
    target: str
    relation: str  # exact | close | recognised
    evidence: str | None = None  # the decision, for "recognised"


@dataclass
class Equivalent:
    """A specification recorded as equivalent, directly or through a chain."""

    spec: str
    title: str
    strength: str  # the weakest relation on the chain
    distance: int
    path: list[Link]


@dataclass
class EquivalenceAnswer:
    """The recorded equivalents of one specification (its closure)."""

    spec: str
    title: str
    equivalents: list[Equivalent]

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


def closure(store: Store, spec: str, *, max_steps: int = MAX_STEPS, decisions: bool = True) -> dict[str, list[Link]]:
    """Every specification reachable from ``spec`` by recorded equivalences, with a shortest chain.

    ``spec`` itself maps to an empty chain. With ``decisions=False`` only
    skos:exactMatch / skos:closeMatch count (recognising decisions do not).
    """
    paths: dict[str, list[Link]] = {spec: []}
    frontier = [spec]
    for _ in range(max_steps):
        if not frontier:
            break
        result = store.select(queries.load("equivalence-links"), values=[{"spec": NamedNode(s)} for s in sorted(frontier)])
        found: dict[str, list[Link]] = {}
        for row in sorted(result.rows, key=lambda r: (r["spec"].value, STRENGTH[r["relation"].value], r["other"].value)):
            src, dst = row["spec"].value, row["other"].value
            if dst in paths or (not decisions and row["relation"].value == "recognised"):
                continue
            link = Link(src, dst, row["relation"].value, row["evidence"].value if row.get("evidence") else None)
            candidate = paths[src] + [link]
            if dst not in found or _weakest(candidate) < _weakest(found[dst]):
                found[dst] = candidate
        paths.update(found)
        frontier = sorted(found)
    return paths


def _weakest(path: list[Link]) -> int:
    return max((STRENGTH[link.relation] for link in path), default=0)


def recorded_equivalents(store: Store, spec: str) -> EquivalenceAnswer:
    """The symmetric and transitive closure of the recorded equivalences of ``spec``."""
    paths = closure(store, spec)
    facts = load_specs(store, paths)
    equivalents = [
        Equivalent(
            spec=other, title=facts[other].title,
            strength=next(k for k, v in STRENGTH.items() if v == _weakest(path)),
            distance=len(path), path=path,
        )
        for other, path in paths.items() if other != spec
    ]
    equivalents.sort(key=lambda e: (e.distance, STRENGTH[e.strength], e.title, e.spec))
    return EquivalenceAnswer(spec=spec, title=facts[spec].title, equivalents=equivalents)


# -- computed similarity ------------------------------------------------------
@dataclass
class Factor:
    """One factor of a similarity score."""

    factor: str
    weight: float
    score: float
    contribution: float
    detail: str


@dataclass
class Similar:
    """A specification ranked by similarity, with the score broken down."""

    spec: str
    title: str
    score: float
    factors: list[Factor]
    providers: list[str] = field(default_factory=list)


@dataclass
class SimilarityAnswer:
    """The specifications most comparable to one specification."""

    spec: str
    title: str
    weights: dict[str, float]
    results: list[Similar]
    candidates: int

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


def skill_match(skill: str, others: set[str], ancestors: dict[str, set[str]]) -> float:
    """How well ``others`` cover ``skill``: 1 if the same or a narrower skill is there, 0.5 if a broader one, else 0."""
    if skill in others or any(skill in ancestors.get(o, ()) for o in others):
        return 1.0
    if ancestors.get(skill, set()) & others:
        return 0.5
    return 0.0


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def field_score(a: Iterable[str], b: Iterable[str]) -> tuple[float, int]:
    """ISCED-F closeness: 1 for the same field, 0.66 for the same narrow field (3 digits), 0.33 for the same broad field (2)."""
    best = 0
    for x in a:
        for y in b:
            best = max(best, 4 if x == y else _shared_prefix(x, y))
    return {4: 1.0, 3: 0.66, 2: 0.33}.get(best, 0.0), best


def similarity(a: SpecFacts, b: SpecFacts, ancestors: dict[str, set[str]], weights: dict[str, float] = WEIGHTS) -> tuple[float, list[Factor]]:
    """The similarity of ``b`` to ``a`` and its breakdown."""
    factors: list[Factor] = []
    if a.skills and b.skills:
        forward = sum(skill_match(s, b.skills, ancestors) for s in a.skills)
        backward = sum(skill_match(s, a.skills, ancestors) for s in b.skills)
        score = (forward + backward) / (len(a.skills) + len(b.skills))
        detail = f"{forward:g} of {len(a.skills)} skills matched one way, {backward:g} of {len(b.skills)} the other"
    else:
        score, detail = 0.0, "no ESCO skills on " + ("either" if not a.skills and not b.skills else "one side")
    factors.append(Factor("skills", weights["skills"], round(score, 4), 0.0, detail))
    if a.eqf is not None and b.eqf is not None:
        diff = abs(a.eqf - b.eqf)
        factors.append(Factor("level", weights["level"], max(0.0, 1 - diff / 4), 0.0, f"EQF {a.eqf} vs {b.eqf}"))
    else:
        factors.append(Factor("level", weights["level"], 0.0, 0.0, "EQF level unknown"))
    ca, cb = a.credits(), b.credits()
    if ca and cb:
        factors.append(Factor("workload", weights["workload"], round(min(ca, cb) / max(ca, cb), 4), 0.0, f"{ca:g} vs {cb:g} ECTS"))
    else:
        factors.append(Factor("workload", weights["workload"], 0.0, 0.0, "workload unknown"))
    fscore, digits = field_score(a.field_codes, b.field_codes)
    if a.fields and b.fields:
        detail = f"ISCED-F {', '.join(sorted(a.field_codes))} vs {', '.join(sorted(b.field_codes))} ({digits} digits shared)"
    else:
        detail = "field unknown"
    factors.append(Factor("field", weights["field"], fscore, 0.0, detail))
    for f in factors:
        f.contribution = round(f.weight * f.score, 4)
    return round(sum(f.contribution for f in factors), 4), factors


def similarity_score(a, b, ancestors: dict[str, set[str]], field_codes: dict[str, set[str]],
                     covered: dict[str, set[str]]) -> float:
    """``equivalence.similarity(a, b, ancestors)[0]``: the same factors, weights and rounding, without the
    explanation of each factor (its texts were half the cost of scoring 140,000 pairs at 10,000
    specifications for the static site). Worked out once per specification: ``field_codes``, its
    ISCED-F codes, and ``covered`` (:func:`covered_skills`). ``tests/test_equivalence.py`` holds the two equal.
    """
    if a.skills and b.skills:
        # equivalence.skill_match: 1 for a skill the other side has or has a narrower one of, else
        # 0.5 if it has a broader one. Sums of halves are exact, whatever their order.
        forward = _matched(a.skills, covered[b.iri], b.skills, ancestors)
        backward = _matched(b.skills, covered[a.iri], a.skills, ancestors)
        skills = round((forward + backward) / (len(a.skills) + len(b.skills)), 4)
    else:
        skills = 0.0
    level = max(0.0, 1 - abs(a.eqf - b.eqf) / 4) if a.eqf is not None and b.eqf is not None else 0.0
    ca, cb = a.credits(), b.credits()
    workload = round(min(ca, cb) / max(ca, cb), 4) if ca and cb else 0.0
    fields = field_score(field_codes[a.iri], field_codes[b.iri])[0]
    return round(sum([round(WEIGHTS["skills"] * skills, 4), round(WEIGHTS["level"] * level, 4),
                      round(WEIGHTS["workload"] * workload, 4), round(WEIGHTS["field"] * fields, 4)]), 4)


def covered_skills(skills: set[str], ancestors: dict[str, set[str]]) -> set[str]:
    """The skills a specification covers fully: its own and every broader one (their ancestors)."""
    covered = set(skills)
    for skill in skills:
        covered.update(ancestors.get(skill, ()))
    return covered


def _matched(skills: set[str], covered: set[str], others: set[str], ancestors: dict[str, set[str]]) -> float:
    full = half = 0
    for skill in skills:
        if skill in covered:
            full += 1
        elif not ancestors.get(skill, _NONE).isdisjoint(others):
            half += 1
    return full + 0.5 * half


_NONE: frozenset[str] = frozenset()


def most_similar(store: Store, spec: str, *, top: int = 10, other_providers_only: bool = True) -> SimilarityAnswer:
    """The ``top`` specifications most comparable to ``spec``, best first, each with its score broken down.

    Candidates are the specifications that share an ESCO skill with ``spec``
    (the same, or one a step broader or narrower) or its ISCED-F field, found in
    the catalogue graphs (all graphs when there is no catalogue). With
    ``other_providers_only`` a specification of the same provider is left out.
    """
    base = load_specs(store, [spec], core=True)[spec]
    if not base.found:
        raise ValueError(f"unknown specification {spec}")
    # Candidates come from the catalogue graphs when there are any: there each specification is
    # described once, while every issued credential's graph repeats its description.
    catalogues = [r["graph"].value for r in store.select(queries.load("equivalence-catalogue-graphs")).rows] or None
    candidates: set[str] = set()

    def step(name: str, var: str, items: set[str], key: str = "skill", graphs: list[str] | None = None) -> list:
        if not items:
            return []
        rows = store.select(queries.load(name), values=[{key: NamedNode(i)} for i in sorted(items)], default_graphs=graphs).rows
        return [r[var] for r in rows]

    if base.skills:
        # The same skill, or one a step broader or narrower (each a lookup with the object bound:
        # transitive paths down ESCO's skill groups are slow, and siblings would score 0 on skills).
        related = base.skills | {t.value for t in step("equivalence-skill-parents", "parent", base.skills)}
        related |= {t.value for t in step("equivalence-skill-children", "child", base.skills)}
        if catalogues:
            candidates |= {t.value for t in step("equivalence-candidates-by-skill", "candidate", related, graphs=catalogues)}
        else:
            # Over all graphs: outcome by skill, then specification by outcome, each with one side
            # bound, so that copies of a description are scanned, never joined with each other.
            outcomes = step("equivalence-outcomes-by-skill", "outcome", related)
            named = {t.value for t in outcomes if isinstance(t, NamedNode)}
            candidates |= {t.value for t in step("equivalence-specs-by-outcome", "candidate", named, key="outcome")}
            if len(named) < len(outcomes):  # blank-node outcomes cannot be bound: ask by skill
                candidates |= {t.value for t in step("equivalence-specs-by-skill-blank", "candidate", related)}
    if base.fields:
        candidates |= {t.value for t in step("equivalence-candidates-by-field", "candidate", base.fields, key="field", graphs=catalogues)}
    candidates.discard(spec)
    facts = load_specs(store, candidates, core=True)
    ancestors = skill_ancestors(store, base.skills | {s for f in facts.values() for s in f.skills})
    ranked = []
    for iri, other in facts.items():
        if other_providers_only and base.providers and other.providers & base.providers:
            continue
        score, factors = similarity(base, other, ancestors)
        ranked.append(Similar(iri, other.title, score, factors, sorted(other.providers)))
    ranked.sort(key=lambda s: (-s.score, s.title, s.spec))
    return SimilarityAnswer(spec=spec, title=base.title, weights=dict(WEIGHTS), results=ranked[:top], candidates=len(ranked))
