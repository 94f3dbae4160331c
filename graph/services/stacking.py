"""Stacking: which larger credentials a set of credentials earns, and what is missing.

Rules are RDF data (``vocabularies/credgraph-stacking.ttl``): a ``cg:StackingRule``
has a target specification and conditions (all of, at least N of, minimum ECTS
from a set, required ESCO skills), optionally filtered by minimum EQF level,
maximum age at the application date and maximum span between the credentials
used. A specification with ``elm:hasPart`` and no explicit rule stacks by the
implied rule "all of its parts".

Per request the service runs a handful of targeted queries (the learner's
records, the rules that can concern them, those rules in full, the facts of the
specifications involved, the broader skills) and evaluates in Python, so every
answer reflects the store as it is. The rules and how they are read are in
:mod:`~credgraph.graph.services.stacking_rules`, their evaluation in
:mod:`~credgraph.graph.services.stacking_evaluation`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from pyoxigraph import Literal

from credgraph import queries
from credgraph.graph.services.specifications import covers, labels, load_specs, skill_ancestors
from credgraph.graph.store.interface import Store
from credgraph.graph.services.stacking_evaluation import (
    Context,
    SpecStacking,
    StackOption,
    StackingAnswer,
    _filter,
    describe_condition,
    describe_filters,
    evaluate_rule,
)
from credgraph.graph.services.stacking_rules import HeldCredential, Rule, candidate_rules, parse_date


def _context(store: Store, rules: list[Rule], specs: Iterable[str], at: date) -> Context:
    iris = set(specs)
    for rule in rules:
        iris.add(rule.target)
        iris |= rule.components()
    facts = load_specs(store, iris, core=True)
    needs_skills = any(c.kind == "skills" for r in rules for c in r.conditions)
    ancestors = skill_ancestors(store, {s for i in specs for s in facts[i].skills}) if needs_skills else {}
    return Context(facts, ancestors, at)


def evaluate(store: Store, held: Sequence[HeldCredential], *, at: date | None = None, closest: int = 5) -> StackingAnswer:
    """Every larger credential ``held`` fully satisfies, and the ``closest`` others with their gaps.

    ``held`` can come from the store (:func:`learner_credentials`) or from
    credential documents parsed by the ingest (specification IRI, issue date).
    ``at`` is the application date (default today) for age limits.
    """
    at = at or date.today()
    held = list(held)
    specs = sorted({h.spec for h in held})
    rules = candidate_rules(store, specs)
    ctx = _context(store, rules, specs, at)
    results = [evaluate_rule(rule, held, ctx) for rule in rules]
    satisfied = sorted((r for r in results if r.met), key=lambda r: (r.target_title, r.rule))
    near = sorted((r for r in results if not r.met and r.progress > 0), key=lambda r: (-r.progress, r.target_title, r.rule))
    titles = {iri: f.title for iri, f in ctx.facts.items() if f.found}
    missing_skills = {s for r in near[:closest] for c in r.conditions for s in c.missing_skills}
    titles.update(labels(store, missing_skills))
    return StackingAnswer(
        held=[{"spec": h.spec, "issued": h.issued.isoformat() if h.issued else None, "record": h.record} for h in held],
        application_date=at.isoformat(), satisfied=satisfied, closest=near[:closest], titles=titles,
    )


def learner_credentials(store: Store, pseudonym: str) -> list[HeldCredential]:
    """The credentials of one learner, from the pseudonymised issuance records."""
    result = store.select(queries.load("stacking-learner-credentials"), {"learner": Literal(pseudonym)})
    return [
        HeldCredential(row["spec"].value, parse_date(row["issued"].value if row.get("issued") else None), row["record"].value)
        for row in result.rows
    ]


def evaluate_learner(store: Store, pseudonym: str, *, at: date | None = None, closest: int = 5) -> StackingAnswer:
    """:func:`evaluate` for the learner with this pseudonym."""
    held = learner_credentials(store, pseudonym)
    if not held:
        raise ValueError("no issuance records for that learner pseudonym")
    return evaluate(store, held, at=at, closest=closest)


def stacks_into(store: Store, spec: str, *, at: date | None = None) -> SpecStacking:
    """What ``spec`` can stack into, and with which other components (per condition)."""
    at = at or date.today()
    rules = candidate_rules(store, [spec])
    ctx = _context(store, rules, [spec], at)
    if not ctx.facts[spec].found and not rules:
        raise ValueError(f"unknown specification {spec}")
    options = []
    for rule in rules:
        _, rule_excluded = _filter([HeldCredential(spec, at)], rule.min_level, None, ctx)
        conditions = []
        for cond in rule.conditions:
            _, cond_excluded = _filter([HeldCredential(spec, at)], cond.min_level, None, ctx)
            reasons = [e.reason for e in rule_excluded + cond_excluded]
            contributes = (
                spec in cond.components
                or (cond.kind == "min-credits" and not cond.components and ctx.credits(spec) is not None)
                or (cond.kind == "skills" and any(
                    covers(s, r, ctx.ancestors) for s in ctx.facts[spec].skills for r in cond.skills))
            )
            conditions.append({
                "kind": cond.kind, "rule_text": describe_condition(cond, ctx),
                "counts": contributes and not reasons,
                "other_components": [c for c in cond.components if c != spec],
                "note": "; ".join(reasons) if contributes else "",
            })
        if any(c["counts"] or c["note"] for c in conditions):
            options.append(StackOption(
                rule=rule.iri, target=rule.target, target_title=ctx.title(rule.target), implied=rule.implied,
                pathway=rule.pathway, pathway_title=rule.pathway_title, filters=describe_filters(rule, at),
                conditions=conditions, counts=any(c["counts"] for c in conditions),
            ))
    options.sort(key=lambda o: (o.target_title, o.rule))
    titles = {iri: f.title for iri, f in ctx.facts.items() if f.found}
    return SpecStacking(spec=spec, title=ctx.title(spec), options=options, titles=titles)
