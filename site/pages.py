"""What each page of the site shows, unit by unit, handed to the renderer.

A *unit* is what :class:`~credgraph.site.output.SiteOutput` skips as a whole
when nothing it is made from changed: a specification's pages in three
languages with its linked-data files, one page of a list, a pathway, one page
of the list of all specifications. :class:`Pages` works out each unit's view
data from the catalogue, the plan and the related data, fingerprints it, and
has the :class:`~credgraph.site.rendering.Renderer` write it unless it is
unchanged; then the site-wide pages (browse, home, search, about).
"""

from __future__ import annotations

import functools
import math
from typing import Any

from markupsafe import Markup

from credgraph.graph.services import catalogue as cg
from credgraph.graph.services.catalogue_naming import FACETS, normalise, page_path, slug_of
from credgraph.graph.services.catalogue_reading import offer_graphs
from credgraph.graph.services.catalogue_records import Catalogue, SpecRecord
from credgraph.graph.services.catalogue_results import Ref, SpecificationDetail, Text
from credgraph.graph.store.interface import Store
from credgraph.graph.store.offer_copy import OfferCopy
from credgraph.site import diagram, linkeddata
from credgraph.site.fingerprints import fingerprint, text_fingerprint
from credgraph.site.fragments import rule_filters, spec_fragments
from credgraph.site.page import LANGS, PREFIX, Page
from credgraph.site.planning import SitePlan
from credgraph.site.related import Similarity
from credgraph.site.rendering import Renderer
from credgraph.site.search_index import search_indexes

# Listing pages (provider, skill, EQF level, field, all) show this many specifications a page.
LIST_PAGE = 100
# An inline context, so that the JSON-LD parses offline (no remote context to fetch).
SCHEMA_CONTEXT = {"@vocab": "https://schema.org/"}
FACET_LABELS = {name: f"facet_{name}" for name in FACETS}


class Pages:
    """The units of one build, written through its renderer."""

    def __init__(self, *, renderer: Renderer, store: Store, data: OfferCopy, cat: Catalogue, plan: SitePlan,
                 similarity: Similarity, matches: dict[str, list[tuple[str, str]]], code: str,
                 sparql_endpoint: str) -> None:
        self.renderer = renderer
        self.output = renderer.output
        self.store = store
        self.data = data
        self.cat = cat
        self.plan = plan
        self.similarity = similarity
        self.matches = matches
        self.code = code
        self.sparql_endpoint = sparql_endpoint

    def do(self, task: tuple) -> None:
        """One task of the plan (:meth:`SitePlan.tasks`): its pages written, its unit ended."""
        kind = task[0]
        if kind == "spec":
            self.spec_unit(self.cat.specs[task[1]])
        elif kind == "list":
            self.list_units(task[1], task[2])
        elif kind == "pathway":
            self.pathway_unit(self.plan.rules[task[1]])
        elif kind == "all":
            self.browse_all_units(task[1])
        elif kind == "index":
            for lang, text in search_indexes(self.cat).items():
                self.output.write(f"search-index.{lang}.json", text.encode("utf-8"))
        self.output.end()

    def spec_unit(self, spec: SpecRecord) -> None:
        """One specification's pages and data files, unless nothing they show changed."""
        path = page_path("spec", spec.iri)
        details = {lang: cg.specification_detail(self.cat, spec, lang) for lang in LANGS}
        stacking = {lang: self.stacking_view(spec, lang) for lang in LANGS}
        similar = self.similarity.similar(spec.iri)
        equivalents = {lang: self.equivalents(spec, lang, similar) for lang in LANGS}
        triples = linkeddata.describe(self.data, spec.iri)
        schema = schema_course(details["en"], self.cat, spec)
        pages = []
        for lang in LANGS:
            page = Page(self.renderer, lang, path)
            pages.append((page, details[lang].title.text, spec_fragments(page, details[lang], stacking[lang], equivalents[lang])))
        # The digest of what the templates are given (the page parts are built for it anyway): far
        # cheaper than one of the view data the parts are made from, and as exact.
        texts = [self.code, path, repr(schema), *map(str, triples)]
        for _, title, parts in pages:
            texts.append(title)
            texts.extend(vars(parts).values())
        if self.output.reuse("spec " + path, text_fingerprint(texts)):
            return
        _, jsonld = self.renderer.data_files(path, triples, schema)
        for page, title, parts in pages:
            self.renderer.render_spec(page, title, parts, jsonld)

    def stacking_view(self, spec: SpecRecord, lang: str) -> list[dict]:
        """The rules ``spec`` counts towards: target, and the other components it stacks with."""
        views = []
        for rule in self.plan.rules_with.get(spec.iri, []):
            others = sorted({c for c in rule.components() if c != spec.iri})
            views.append({
                "rule": rule,
                "path": page_path("pathway", rule.iri),
                "target": self.cat.ref(rule.target, lang, "spec"),
                "with": [self.cat.ref(o, lang, "spec") for o in others],
            })
        return views

    def equivalents(self, spec: SpecRecord, lang: str, similar: list[tuple[str, float]]) -> list[dict]:
        rows = [{"ref": self.cat.ref(o, lang, "spec"), "relation": rel, "score": None} for o, rel in self.matches.get(spec.iri, [])]
        recorded = {o for o, _ in self.matches.get(spec.iri, [])}
        rows += [{"ref": self.cat.ref(o, lang, "spec"), "relation": "similar", "score": score}
                 for o, score in similar if o not in recorded]
        return rows

    def list_units(self, facet: str, iri: str) -> None:
        """The pages of a provider, skill, EQF level or field: its specifications, LIST_PAGE a page.

        The provider and skill pages have linked-data files (beside their first page).
        """
        cat = self.cat
        path = page_path(facet, iri)
        specs = self.plan.groups(facet)[iri]
        items = {lang: self.renderer.summaries(self.cat, specs, lang) for lang in LANGS}
        headings = {lang: cat.label(iri, lang) for lang in LANGS}
        org = cat.orgs.get(iri) if facet == "provider" else None
        countries = {lang: cat.ref(org.country if org else None, lang, "country") for lang in LANGS}
        homepage = org.homepage if org else None
        schema = triples = None
        if facet == "provider":
            schema = {"@context": SCHEMA_CONTEXT, "@type": "Organization", "@id": iri, "name": headings["en"].text}
            if homepage:
                schema["url"] = homepage
            triples = linkeddata.describe(self.data, iri)
        elif facet == "skill":
            schema = {"@context": SCHEMA_CONTEXT, "@type": "DefinedTerm", "@id": iri, "name": headings["en"].text,
                      "inDefinedTermSet": "http://data.europa.eu/esco/concept-scheme/skills"}
            triples = linkeddata.describe_skill(self.data, iri)
        key = {"provider": "provider_specs", "skill": "skill_specs", "eqf": "level_specs", "field": "field_specs"}[facet]
        total = max(1, math.ceil(len(specs) / LIST_PAGE))
        pages = [path if n == 1 else f"{path}{n}/" for n in range(1, total + 1)]
        for n, at in enumerate(pages, 1):
            window = {lang: items[lang][(n - 1) * LIST_PAGE:n * LIST_PAGE] for lang in LANGS}
            first = n == 1 and schema is not None
            cards = {lang: [self.renderer.card_cache[(s.iri, lang)] for s in window[lang]] for lang in LANGS}
            if self.output.reuse(f"{facet} {at}", fingerprint(
                    self.code, headings, countries, homepage, cards, total, (schema, triples) if first else None)):
                continue
            data = jsonld = None
            if first:
                data, jsonld = self.renderer.data_files(path, triples, schema)
            for lang in LANGS:
                list_title = self.renderer.strings[lang][key]
                if total > 1:
                    list_title += " · " + self.renderer.strings[lang]["page_n"].replace("{n}", str(n)).replace("{total}", str(total))
                self.renderer.render("list.html", lang, at, data=data, jsonld=jsonld, title=headings[lang].text, kind=facet,
                                     heading=headings[lang], items=window[lang], list_title=list_title,
                                     country=countries[lang], homepage=homepage, iri=iri, paging=self.renderer.paging(lang, at, pages, n))

    def pathway_unit(self, rule) -> None:
        cat = self.cat
        path = page_path("pathway", rule.iri)
        schema = {"@context": SCHEMA_CONTEXT, "@type": "EducationalOccupationalCredential", "@id": rule.target,
                  "name": cat.label(rule.target, "en").text,
                  "competencyRequired": [cat.label(c, "en").text for c in sorted(rule.components())]}
        triples = [] if rule.implied else linkeddata.describe(self.data, rule.iri)
        views = {}
        for lang in LANGS:
            page = Page(self.renderer, lang, path)
            views[lang] = ([self.condition_view(cond, lang, page) for cond in rule.conditions], rule_filters(rule, page),
                           cat.ref(rule.target, lang, "spec"))
        if self.output.reuse("pathway " + path, fingerprint(self.code, rule, views, schema, triples)):
            return
        if rule.implied:
            jsonld = linkeddata.json_text([schema])
            data = None
        else:
            data, jsonld = self.renderer.data_files(path, triples, schema)
        for lang in LANGS:
            page = Page(self.renderer, lang, path)
            conditions, filters, target = views[lang]
            title = f'{page.t["pathway"]}: {target.label.text}'
            def box(ref: Ref, page: Page = page) -> diagram.DiagramItem:
                return diagram.DiagramItem(ref.label.text, page.url(ref.path) if ref.path else "")

            svg = diagram.rule_svg(
                "d" + slug_of("pathway", rule.iri).replace("/", "-").replace(".", "-"), title, box(target),
                [diagram.DiagramCondition(c["heading"], [box(i) for i in c["items"]]) for c in conditions], filters,
            )
            self.renderer.render("pathway.html", lang, path, data=data, jsonld=jsonld, title=title, rule=rule, target=target,
                                 conditions=conditions, filters=filters, svg=Markup(svg),
                                 rule_title=rule.title)

    def condition_view(self, cond, lang: str, page: Page) -> dict:
        kind = cond.kind
        if kind == "at-least":
            heading = page.fmt("cond_atleast", n=cond.min_count or 0)
        elif kind == "min-credits":
            key = "cond_credits" if cond.components else "cond_credits_any"
            heading = page.fmt(key, n=page.num(cond.min_credits or 0))
        elif kind == "skills":
            heading = page.t["cond_skills"]
        else:
            heading = page.t["cond_allof"]
        if kind == "skills":
            items = [self.cat.ref(s, lang, "skill") for s in cond.skills]
            items = [i if i.iri in self.plan.by_skill else Ref(i.iri, i.key, i.label, "") for i in items]
        else:
            items = [self.cat.ref(c, lang, "spec") for c in cond.components]
        notes = []
        if cond.min_level:
            notes.append(page.fmt("cond_minlevel", n=cond.min_level))
        if cond.max_age:
            notes.append(page.fmt("cond_maxage", n=page.num(cond.max_age)))
        return {"heading": heading, "items": items, "notes": notes}

    def browse_all_units(self, lang: str) -> None:
        """Every specification A to Z, LIST_PAGE a page, in one language."""
        summaries = self.renderer.summaries(self.cat, self.cat.specs.values(), lang)
        total = max(1, math.ceil(len(summaries) / LIST_PAGE))
        pages = ["browse/all/" if n == 1 else f"browse/all/{n}/" for n in range(1, total + 1)]
        for n, path in enumerate(pages, 1):
            window = summaries[(n - 1) * LIST_PAGE:n * LIST_PAGE]
            cards = [self.renderer.card_cache[(s.iri, lang)] for s in window]
            if self.output.reuse(f"all {PREFIX[lang]}{path}", fingerprint(self.code, lang, cards, total)):
                continue
            page = Page(self.renderer, lang, path)
            self.renderer.render("list.html", lang, path, title=page.t["browse_all"], kind="all",
                                 heading=Text(page.t["browse_all"], lang), items=window,
                                 list_title=page.fmt("page_n", n=n, total=total), country=None, homepage=None, iri=None,
                                 paging=self.renderer.paging(lang, path, pages, n))

    def browse_page(self) -> None:
        """The browsing entry page: EQF levels, fields, providers, skills, pathways (every language)."""
        cat = self.cat
        for lang in LANGS:
            groups = {
                "eqf": sorted(((cat.ref(i, lang, "eqf"), len(s)) for i, s in self.plan.by_eqf.items()), key=lambda x: (len(x[0].key), x[0].key)),
                "field": _by_label((cat.ref(i, lang, "field"), len(s)) for i, s in self.plan.by_field.items()),
                "provider": _by_label((cat.ref(i, lang, "provider"), len(s)) for i, s in self.plan.by_provider.items()),
                "skill": _by_label((cat.ref(i, lang, "skill"), len(s)) for i, s in self.plan.by_skill.items()),
            }
            pathways = sorted(((page_path("pathway", r.iri), cat.ref(r.target, lang, "spec")) for r in self.plan.rules),
                              key=lambda x: normalise(x[1].label.text))
            self.renderer.render("browse.html", lang, "browse/", title=self.renderer.strings[lang]["browse_title"], groups=groups,
                                 pathways=pathways)

    def site_wide(self) -> None:
        """The pages of the site as a whole, in every language: browse, home, search, about."""
        self.browse_page()
        for lang in LANGS:
            self.renderer.render("home.html", lang, "", title=self.renderer.strings[lang]["site_name"], stats=self.plan.stats)
            self.renderer.render("search.html", lang, "search/", title=self.renderer.strings[lang]["search_title"],
                                 facets=FACETS, facet_labels=FACET_LABELS)
            self.about(lang)

    @functools.cached_property
    def sources(self) -> tuple[list[tuple[str, str, str]], int]:
        """The vocabularies and catalogues the data comes from, and the number of graphs.

        Issued credentials are counted, not listed: there may be hundreds of
        thousands, and each names only a pseudonymous record.
        """
        offer = {name for name, _, _ in offer_graphs(self.store)}
        graphs = [g for g in self.store.graphs() if g.kind in ("vocab", "source")]
        listed = sorted({(g.kind, g.source, g.title) for g in graphs if g.name in offer})
        return listed, len(graphs)

    def about(self, lang: str) -> None:
        sources, graph_count = self.sources
        self.renderer.render("about.html", lang, "about/", title=self.renderer.strings[lang]["about_title"], sources=sources,
                             graph_count=graph_count, sparql=self.sparql_endpoint)


def _by_label(pairs) -> list:
    return sorted(pairs, key=lambda x: (normalise(x[0].label.text), x[0].iri))


def schema_course(detail: SpecificationDetail, cat: Catalogue, spec: SpecRecord) -> dict:
    """The schema.org view of a specification: a Course awarding an EducationalOccupationalCredential."""
    credential: dict[str, Any] = {"@type": "EducationalOccupationalCredential", "name": detail.title.text,
                                  "credentialCategory": spec.kind}
    if detail.eqf:
        credential["educationalLevel"] = {"@type": "DefinedTerm", "@id": detail.eqf.iri, "name": detail.eqf.label.text}
    if detail.provider:
        credential["recognizedBy"] = {"@id": detail.provider.iri}
    node: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "Course",
        "@id": spec.iri,
        "name": detail.title.text,
        "educationalCredentialAwarded": credential,
    }
    if detail.description:
        node["description"] = detail.description.text
    if detail.provider:
        node["provider"] = {"@type": "Organization", "@id": detail.provider.iri, "name": detail.provider.label.text}
    if detail.ects is not None:
        node["numberOfCredits"] = detail.ects
    if detail.hours is not None:
        node["timeRequired"] = f"PT{detail.hours:g}H"
    if detail.languages:
        node["inLanguage"] = [r.key for r in detail.languages]
    skills = [s for o in detail.outcomes for s in o.skills]
    if skills:
        node["teaches"] = [{"@type": "DefinedTerm", "@id": s.iri, "name": s.label.text} for s in skills]
    if detail.field:
        node["about"] = {"@type": "DefinedTerm", "@id": detail.field.iri, "name": detail.field.label.text}
    if detail.homepages:
        node["url"] = detail.homepages[0]
    return node
