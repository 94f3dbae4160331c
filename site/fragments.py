"""The parts of a page built in Python rather than in its template, as escaped markup.

A Jinja call per value (link, label, number) was the largest share of
rendering ten thousand specification pages, so the parts inside each Annex I
element of a specification page, its stacking and equivalents lists, and a
pathway's rule-wide filters are put together here with markupsafe, from the
same interface strings the templates use.
"""

from __future__ import annotations

from types import SimpleNamespace

from markupsafe import Markup, escape

from credgraph.graph.services.catalogue_results import SpecificationDetail
from credgraph.site.page import Page


def spec_fragments(page: Page, d: SpecificationDetail, stacking: list[dict], equivalents: list[dict]) -> SimpleNamespace:
    """The parts of a specification page inside each Annex I element, as escaped markup.

    Built in Python rather than in ``spec.html``: a Jinja call per value (link,
    label, number) was the largest share of rendering ten thousand pages.
    """
    tx, ref, refs, url = page.tx, page.ref, page.refs, page.url
    th = page.site.strings_html[page.lang]  # the interface strings, escaped once
    missing = page.site.missing[page.lang]
    workload = []
    if d.ects is not None:
        workload.append(escape(page.fmt("ects_hours", ects=page.num(d.ects))))
    if d.ects is not None and d.hours is not None:
        workload.append(" · ")
    if d.hours is not None:
        workload.append(escape(page.fmt("hours", hours=page.num(d.hours))))
    if d.ects is None and d.hours is None:
        workload.append(missing)
    if d.outcomes:
        items = []
        for o in d.outcomes:
            li = f"<li>{tx(o.title)}"
            if o.skills:
                li += (f'<br><span class="small">{th["skills_label"]}:</span> '
                       + " ".join([page.tag(s) for s in o.skills]))
            items.append(li + "</li>\n")
        outcomes = '<ul class="outcomes">\n' + "".join(items) + "</ul>\n"
    else:
        outcomes = missing
    participation = str(refs(d.modes))
    if d.settings:
        participation += f' ({th["el_setting"]}: {refs(d.settings)})'
    if d.quality_assurance:
        parts = []
        for q in d.quality_assurance:
            text = str(tx(q.title) if q.title else tx(q.type.label) if q.type else "")
            if q.title and q.type:
                text += f" ({tx(q.type.label)})"
            if q.agent:
                text += f' {th["accredited_by"].replace("{agent}", "")}{ref(q.agent)}'
            parts.append(text)
        quality = "; ".join(parts)
    else:
        quality = missing
    st = d.stackability
    if st.is_part_of or st.has_part or st.entitles_to:
        stack = ""
        if st.is_part_of:
            stack += f'<p>{th["stacks_into"]}: {refs(st.is_part_of)}</p>'
        if st.has_part:
            stack += f'<p>{th["consists_of"]}: {refs(st.has_part)}</p>'
        if st.entitles_to:
            stack += f'<p>{th["entitles_to"]}: {refs(st.entitles_to)}</p>'
    else:
        stack = missing
    none_known = f'<p class="missing">{th["none_known"]}</p>'
    if stacking:
        rows = []
        for s in stacking:
            row = f'<li>{th["stacks_into"]} {ref(s["target"])}'
            if s["with"]:
                row += f' {th["stacks_with"]} {refs(s["with"])}'
            rows.append(row + f' — <a href="{escape(url(s["path"]))}">{th["pathway"]}</a></li>\n')
        stacking_html = "<ul>\n" + "".join(rows) + "</ul>\n"
    else:
        stacking_html = none_known
    if equivalents:
        rows = []
        for e in equivalents:
            relation = e["relation"]
            if relation == "exact":
                what = th["equivalent"]
            elif relation == "close":
                what = th["close"]
            else:
                what = th["similar"]
                if e["score"] is not None:
                    what += f' ({escape(page.fmt("similarity", score=page.num(round(e["score"], 2))))})'
            rows.append(f'<li>{ref(e["ref"])} — {what}</li>\n')
        equivalents_html = "<ul>\n" + "".join(rows) + "</ul>\n"
    else:
        equivalents_html = none_known
    title = tx(d.title)
    return SimpleNamespace(**{
        "home": url(""), "all": url("browse/all/"),
        "title": title,
        "lead": Markup(f'<p class="kind">{th["kind_qualification" if d.kind == "qualification" else "kind_micro"]}</p>\n'
                       + (f'<p class="lead">{tx(d.description)}</p>' if d.description else "")),
        "provider": ref(d.provider), "country": ref(d.country), "workload": Markup("".join(workload)),
        "eqf": ref(d.eqf), "field": ref(d.field), "outcomes": Markup(outcomes), "assessment": refs(d.assessment),
        "participation": Markup(participation), "quality": Markup(quality), "prerequisites": tx(d.prerequisites),
        "id_verification": refs(d.id_verification), "stackability": Markup(stack), "languages": refs(d.languages),
        "homepages": Markup("".join(f'<a href="{escape(h)}" rel="external">{escape(h)}</a> ' for h in d.homepages)),
        "note": tx(d.note) if d.note else "",
        "stacking": Markup(stacking_html), "equivalents": Markup(equivalents_html),
    })


def rule_filters(rule, page: Page) -> list[str]:
    """The rule-wide filters (minimum level, age, span) as sentences."""
    notes = []
    if rule.min_level:
        notes.append(page.fmt("cond_minlevel", n=rule.min_level))
    if rule.max_age:
        notes.append(page.fmt("cond_maxage", n=page.num(rule.max_age)))
    if rule.max_span:
        notes.append(page.fmt("cond_span", n=page.num(rule.max_span)))
    return notes
