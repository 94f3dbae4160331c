"""Planning: which pages the site has, and the tasks that write them.

A :class:`SitePlan` groups the catalogue's specifications by provider,
skill, EQF level and field (one list page each), counts what the home page
shows, notes which stacking rules each specification counts towards, and
cuts the page work into tasks (:meth:`SitePlan.tasks`) for
:mod:`credgraph.site.parallel` to share out.
"""

from __future__ import annotations

from collections import defaultdict

from credgraph.graph.services import catalogue as cg
from credgraph.graph.services.catalogue_records import Catalogue
from credgraph.site.page import LANGS


class SitePlan:
    """The pages of one catalogue: its groups, counts and stacking rules."""

    def __init__(self, cat: Catalogue, rules: list) -> None:
        self.cat = cat
        self.rules = rules
        self.by_provider = cg.specs_by(cat, "provider")
        self.by_skill = cg.specs_by(cat, "skill")
        self.by_eqf = cg.specs_by(cat, "eqf")
        self.by_field = cg.specs_by(cat, "field")
        countries = {cat.country_of(s) for s in cat.specs.values()} - {None}
        qualifications = sum(1 for s in cat.specs.values() if s.kind == "qualification")
        self.stats = {"specs": len(cat.specs), "micro": len(cat.specs) - qualifications, "qualifications": qualifications,
                      "providers": len(self.by_provider), "countries": len(countries), "skills": len(self.by_skill)}
        # Which rules each specification counts towards, and which it is the target of.
        self.rules_with: dict[str, list] = defaultdict(list)
        self.rules_for: dict[str, list] = defaultdict(list)
        for rule in rules:
            self.rules_for[rule.target].append(rule)
            for component in sorted(rule.components()):
                self.rules_with[component].append(rule)

    def groups(self, facet: str) -> dict[str, list]:
        """The specifications of each provider, skill, EQF level or field (by its IRI)."""
        return {"provider": self.by_provider, "skill": self.by_skill, "eqf": self.by_eqf, "field": self.by_field}[facet]

    def tasks(self) -> list[tuple]:
        """The work shared out to the worker processes, largest first (for an even share)."""
        tasks: list[tuple] = [("index",)]
        tasks += [("all", lang) for lang in LANGS]
        for facet, groups in (("eqf", self.by_eqf), ("field", self.by_field), ("skill", self.by_skill),
                              ("provider", self.by_provider)):
            tasks += [("list", facet, iri) for iri in sorted(groups, key=lambda i: (-len(groups[i]), i))]
        tasks += [("pathway", i) for i in range(len(self.rules))]
        tasks += [("spec", iri) for iri in self.cat.specs]
        return tasks
