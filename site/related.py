"""What relates specifications on the site beyond the catalogue: stacking rules, recorded matches, similarity.

:func:`read_related` reads the explicit stacking rules, the recorded matches
and the facts similarity is scored from; none of it depends on the catalogue,
so on a large site it runs in a forked process beside the catalogue's reading
(:mod:`credgraph.site.parallel`). :func:`all_rules` adds the rules implied by
``elm:hasPart``; :class:`Similarity` ranks each specification's similar
credentials of other providers.
"""

from __future__ import annotations

import heapq
import operator
from collections import Counter, defaultdict
from itertools import chain
from typing import Any

from pyoxigraph import NamedNode

from credgraph.graph import namespaces as ns
from credgraph.graph.services.catalogue_records import Catalogue
from credgraph.graph.services import specifications
from credgraph.graph.services.stacking_rules import implied_rules, load_rules
from credgraph.graph.services.equivalence import covered_skills, similarity_score
from credgraph.graph.store.interface import StoreError
from credgraph.graph.store.offer_copy import OfferCopy
from credgraph.site.snapshot import Snapshot

SIMILAR_CANDIDATES = 40
SIMILAR_SHOWN = 5
SIMILAR_MIN_SCORE = 0.3
_RDF_TYPE = NamedNode(ns.RDF + "type")


def read_related(snapshot: Snapshot) -> dict:
    """What the pages need beside the catalogue: explicit stacking rules, recorded matches, the facts for similarity.

    None of it depends on the catalogue, so on a large site it is read in a
    forked process while this one reads the catalogue. Facts are read for
    every typed specification; :class:`Similarity` keeps the catalogue's.
    """
    from credgraph import queries

    out: dict[str, Any] = {"explicit": None, "rules_note": None, "facts": None, "ancestors": {}, "similar_note": None}
    # The offer graphs kept apart: a specification's facts are read from one catalogue graph.
    data = snapshot.named()
    try:
        out["explicit"] = load_rules(data)
    except (StoreError, AttributeError, FileNotFoundError, KeyError) as exc:
        out["rules_note"] = f"stacking rules could not be read ({exc}): no pathway pages"
    matches: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in data.select(queries.load("catalogue-matches")):
        pair = (row["other"].value, row["relation"].value)
        if pair not in matches[row["spec"].value]:
            matches[row["spec"].value].append(pair)
    for values in matches.values():
        values.sort()
    out["matches"] = dict(matches)
    try:
        typed = {t.subject.value for kind in (ns.ELM + "LearningAchievementSpecification", ns.ELM + "Qualification")
                 for t in data.triples(None, _RDF_TYPE, NamedNode(kind)) if isinstance(t.subject, NamedNode)}
        facts = specifications.load_specs(data, sorted(typed), core=True)
        out["facts"] = facts
        out["ancestors"] = specifications.skill_ancestors(data, {s for f in facts.values() for s in f.skills})
    except (StoreError, ValueError, KeyError, FileNotFoundError) as exc:
        out["similar_note"] = f"similar credentials could not be computed ({exc})"
    return out


def all_rules(related: dict, cat: Catalogue, data: OfferCopy, notes: list[str]) -> list:
    """Stacking rules, explicit and implied by elm:hasPart (stacking service)."""
    if related["explicit"] is None:
        notes.append(related["rules_note"])
        return []
    explicit = related["explicit"]
    try:
        with_parts = [s.iri for s in cat.specs.values() if s.many("hasPart")]
        targets = {r.target for r in explicit}
        implied = [r for r in implied_rules(data, with_parts) if r.target not in targets]
    except (StoreError, AttributeError, FileNotFoundError, KeyError) as exc:
        notes.append(f"stacking rules could not be read ({exc}): no pathway pages")
        return []
    return explicit + implied


class Similarity:
    """The most similar specifications of other providers, scored in memory for a whole site."""

    def __init__(self, related: dict, cat: Catalogue, notes: list[str]) -> None:
        """What scoring similar specifications needs (scored per specification, in the workers).

        The equivalence service's per-specification search runs several
        queries; for a whole site the same scoring (:func:`equivalence.similarity`,
        as :func:`equivalence.similarity_score`) is applied to candidates found in memory:
        specifications sharing the most ESCO skills, else the same ISCED-F field.
        """
        self.facts: dict = {}
        self.candidate_cache: dict[frozenset[str], list[str]] = {}
        if related["facts"] is None:
            notes.append(related["similar_note"])
            return
        facts = {iri: f for iri, f in related["facts"].items() if iri in cat.specs}
        self.facts, self.ancestors = facts, related["ancestors"]
        self.field_codes = {iri: f.field_codes for iri, f in facts.items()}
        self.covered = {iri: covered_skills(f.skills, self.ancestors) for iri, f in facts.items()}
        self.specs_by_skill: dict[str, list[str]] = defaultdict(list)
        self.specs_by_field: dict[str, list[str]] = defaultdict(list)
        for iri, f in facts.items():
            for s in f.skills:
                self.specs_by_skill[s].append(iri)
            for fld in f.fields:
                self.specs_by_field[fld].append(iri)

    def similar(self, iri: str) -> list[tuple[str, float]]:
        """The most similar specifications of other providers, with their scores."""
        base = self.facts.get(iri)
        if base is None:
            return []
        if base.skills:
            # Specifications with the same skills have the same candidates: ranked once, with one
            # more place for the specification itself (it shares all its skills, and is dropped).
            key = frozenset(base.skills)
            ranked_by_skills = self.candidate_cache.get(key)
            if ranked_by_skills is None:
                shared = Counter(chain.from_iterable(self.specs_by_skill[s] for s in key))
                ranked_by_skills = self.candidate_cache[key] = [o for _, o in heapq.nsmallest(
                    SIMILAR_CANDIDATES + 1, zip(map(operator.neg, shared.values()), shared.keys()))]
            candidates = [o for o in ranked_by_skills if o != iri][:SIMILAR_CANDIDATES]
        else:
            shared = Counter({other: 0 for fld in base.fields for other in self.specs_by_field[fld][:SIMILAR_CANDIDATES]})
            shared.pop(iri, None)
            candidates = [o for o, _ in heapq.nsmallest(SIMILAR_CANDIDATES, shared.items(), key=lambda x: (-x[1], x[0]))]
        ranked = []
        for other in candidates:
            b = self.facts[other]
            if base.providers and b.providers & base.providers:
                continue
            score = similarity_score(base, b, self.ancestors, self.field_codes, self.covered)
            if score >= SIMILAR_MIN_SCORE:
                ranked.append((other, score))
        ranked.sort(key=lambda x: (-x[1], x[0]))
        return ranked[:SIMILAR_SHOWN]
