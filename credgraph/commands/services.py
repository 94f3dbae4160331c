"""``credgraph stack``, ``equivalent``, ``compare`` and ``import rules``: the services on the command line.

Each command calls one service in ``credgraph.graph`` and renders its dataclass
as readable text, or as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from credgraph.graph.services import equivalence
from credgraph.graph.services import recognition
from credgraph.graph.services.recognition_policy import load_policy
from credgraph.graph.services import stacking
from credgraph.graph.services.stacking_evaluation import RuleResult, StackingAnswer
from credgraph.graph.services.stacking_rules import HeldCredential, import_rules_file
from credgraph.graph import namespaces as ns
from credgraph.graph.workspace import Workspace

RAW = argparse.RawDescriptionHelpFormatter


def register(commands, imports) -> None:
    """Add ``stack``, ``equivalent``, ``compare`` and ``import rules``."""
    stack = commands.add_parser(
        "stack",
        help="what credentials stack into, and what is missing",
        formatter_class=RAW,
        description="Stacking: which larger credentials a set of credentials earns (every rule met),\n"
        "and for the closest others what is missing (components, credits, skills), with an\n"
        "explanation per condition; or what one specification can stack into.\n\n"
        "Examples:\n"
        "  credgraph stack learner 3f9a...c2            # by learner pseudonym (issuance records)\n"
        "  credgraph stack held https://w3id.org/credgraph/id/spec/uni/ds1@2025-03-01 https://.../ds2@2025-06-01\n"
        "  credgraph stack spec https://w3id.org/credgraph/id/spec/uni/ds1 --json",
    )
    sub = stack.add_subparsers(dest="stack_kind", metavar="KIND")
    stack.set_defaults(func=lambda ws, args: stack.print_help() or 2)
    p = sub.add_parser(
        "learner",
        help="a learner's issued credentials, by pseudonym",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Evaluate the stacking rules for the credentials issued to one learner (by pseudonym).\n\n"
        "Example:\n  credgraph stack learner 3f9a...c2 --json",
    )
    p.add_argument("pseudonym", help="the learner's pseudonym (cg:learner of the issuance records)")
    _stack_options(p)
    p.set_defaults(func=cmd_stack_learner)
    p = sub.add_parser(
        "held",
        help="credentials given as SPEC[@YYYY-MM-DD] (e.g. parsed from documents)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Evaluate the stacking rules for credentials given on the command line.\n\n"
        "Example:\n  credgraph stack held https://w3id.org/credgraph/id/spec/uni/ds1@2025-03-01 https://w3id.org/credgraph/id/spec/uni/ds2",
    )
    p.add_argument("held", nargs="+", metavar="SPEC[@DATE]", help="specification IRI, optionally @ issue date")
    _stack_options(p)
    p.set_defaults(func=cmd_stack_held)
    p = sub.add_parser(
        "spec",
        help="what one specification can stack into, with which other components",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="What one specification can stack into, and with which other components.\n\n"
        "Example:\n  credgraph stack spec https://w3id.org/credgraph/id/spec/uni/ds1",
    )
    p.add_argument("spec", help="specification IRI")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_stack_spec)

    p = commands.add_parser(
        "equivalent",
        help="recorded equivalents and the most similar specifications",
        formatter_class=RAW,
        description="Recorded equivalences of a specification (skos:exactMatch / closeMatch and recognising\n"
        "decisions, in their symmetric and transitive closure), and the specifications of other\n"
        "providers most similar to it by ESCO skills (with the hierarchy), level, workload and\n"
        "field, each score broken down.\n\n"
        "Examples:\n  credgraph equivalent https://w3id.org/credgraph/id/spec/uni/ds1\n"
        "  credgraph equivalent https://w3id.org/credgraph/id/spec/uni/ds1 --top 5 --all-providers --json",
    )
    p.add_argument("spec", help="specification IRI")
    p.add_argument("--top", type=int, default=10, help="how many similar specifications (default 10; 0: none)")
    p.add_argument("--all-providers", action="store_true", help="include the same provider's specifications")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_equivalent)

    p = commands.add_parser(
        "compare",
        help="comparability report for two credentials or specifications",
        formatter_class=RAW,
        description="A comparability report of A (to be recognised) against B (the reference): per element\n"
        "(level, workload, learning outcomes, quality assurance, field, assessment type, form of\n"
        "participation, identity verification) the two values, a verdict, the rule and threshold of\n"
        "the agency policy, and the evidence; an overall summary; earlier decisions on the same or\n"
        "equivalent pairs. A and B are specification or issuance-record IRIs.\n\n"
        "Examples:\n  credgraph compare https://.../spec/a https://.../spec/b\n"
        "  credgraph compare A B --policy my-agency.ttl --json\n"
        "  credgraph compare A B --record --decided-by 'ENIC-NARIC X'",
    )
    p.add_argument("subject", metavar="A", help="what is to be recognised (specification or issuance record IRI)")
    p.add_argument("reference", metavar="B", help="what it is compared with")
    p.add_argument("--policy", metavar="FILE", help="agency policy (Turtle; default: the shipped default policy)")
    p.add_argument("--record", action="store_true", help="record the report as a decision in the graph")
    p.add_argument("--decided-by", default="", metavar="NAME", help="the deciding agency (with --record)")
    outcome = p.add_mutually_exclusive_group()
    outcome.add_argument("--recognised", dest="recognised", action="store_const", const=True,
                         help="record the decision as recognised (default: no substantial difference)")
    outcome.add_argument("--not-recognised", dest="recognised", action="store_const", const=False,
                         help="record the decision as not recognised")
    p.add_argument("--note", default="", help="a note to record with the decision")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_compare)

    p = imports.add_parser(
        "rules",
        help="import stacking rules, equivalences and recognition decisions (Turtle)",
        formatter_class=RAW,
        description="Load a Turtle file of stacking rules (vocabularies/credgraph-stacking.ttl), recorded\n"
        "equivalences (skos:exactMatch / closeMatch) and recognition decisions as one source graph\n"
        "urn:credgraph:source:rules-<hash of the file name>. The file is checked first; any\n"
        "problem rejects it whole, naming the resource. Importing it again replaces the graph.\n\n"
        "Example:\n  credgraph import rules stacking-rules.ttl",
    )
    p.add_argument("files", nargs="+", metavar="FILE.ttl")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_import_rules)


def _stack_options(p) -> None:
    p.add_argument("--at", metavar="YYYY-MM-DD", help="application date for age limits (default today)")
    p.add_argument("--closest", type=int, default=5, help="how many unmet larger credentials to explain (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _date(text: str | None, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None


def _print_json(data: dict) -> None:
    print(json.dumps(data, indent=1, ensure_ascii=False))


# -- stack ---------------------------------------------------------------------
def cmd_stack_learner(ws: Workspace, args) -> int:
    answer = stacking.evaluate_learner(ws.learners, args.pseudonym, at=_date(args.at, "--at"), closest=args.closest)
    return _render_stacking(answer, args)


def cmd_stack_held(ws: Workspace, args) -> int:
    held = []
    for item in args.held:
        spec, sep, day = item.rpartition("@") if "@" in item.rsplit("/", 1)[-1] else (item, "", "")
        held.append(HeldCredential(spec, _date(day, f"credential {item}") if sep else None))
    answer = stacking.evaluate(ws.store, held, at=_date(args.at, "--at"), closest=args.closest)
    return _render_stacking(answer, args)


def _render_stacking(answer: StackingAnswer, args) -> int:
    if args.json:
        _print_json(answer.to_dict())
        return 0
    title = lambda iri: answer.titles.get(iri, iri)  # noqa: E731
    print(f"{len(answer.held)} credential(s), application date {answer.application_date}:")
    for h in answer.held:
        print(f"  - {title(h['spec'])}" + (f" (issued {h['issued']})" if h["issued"] else ""))
    print()
    print(f"Earns ({len(answer.satisfied)}):" if answer.satisfied else "Earns no larger credential yet.")
    for r in answer.satisfied:
        _render_rule(r, title)
    if answer.closest:
        print()
        print("Closest others, and what is missing:")
        for r in answer.closest:
            _render_rule(r, title)
    return 0


def _render_rule(r: RuleResult, title) -> None:
    flags = [f"{r.progress:.0%}"]
    if r.implied:
        flags.append("implied by elm:hasPart")
    if r.pathway_title:
        flags.append(f"pathway: {r.pathway_title}")
    if r.already_held:
        flags.append("already held")
    print(f"  * {r.target_title}  [{'; '.join(flags)}]")
    print(f"      {r.target}")
    for f in r.filters:
        print(f"      rule: {f}")
    for c in r.conditions:
        print(f"      {'[x]' if c.met else '[ ]'} {c.rule_text}")
        print(f"          {c.explanation}")
        for s in c.missing_skills:
            print(f"          missing skill: {title(s)} <{s}>")
    for e in r.excluded:
        print(f"      not counted: {title(e.spec)}: {e.reason}")


def cmd_stack_spec(ws: Workspace, args) -> int:
    answer = stacking.stacks_into(ws.store, args.spec)
    if args.json:
        _print_json(answer.to_dict())
        return 0
    title = lambda iri: answer.titles.get(iri, iri)  # noqa: E731
    print(f"{answer.title} <{answer.spec}>")
    if not answer.options:
        print("stacks into nothing recorded")
        return 0
    print(f"stacks into {len(answer.options)}:")
    for o in answer.options:
        extra = " (implied by elm:hasPart)" if o.implied else ""
        extra += f" [pathway: {o.pathway_title}]" if o.pathway_title else ""
        print(f"  * {o.target_title}{extra}")
        print(f"      {o.target}")
        for f in o.filters:
            print(f"      rule: {f}")
        for c in o.conditions:
            mark = "counts" if c["counts"] else "does not count"
            print(f"      - {c['rule_text']}  ({mark}{': ' + c['note'] if c['note'] else ''})")
            if c["other_components"]:
                print(f"          with: {', '.join(title(x) for x in c['other_components'])}")
    return 0


# -- equivalent -------------------------------------------------------------------
def cmd_equivalent(ws: Workspace, args) -> int:
    recorded = equivalence.recorded_equivalents(ws.store, args.spec)
    similar = equivalence.most_similar(ws.store, args.spec, top=args.top, other_providers_only=not args.all_providers) if args.top > 0 else None
    if args.json:
        _print_json({"recorded": recorded.to_dict(), "similar": similar.to_dict() if similar else None})
        return 0
    print(f"{recorded.title} <{recorded.spec}>")
    print()
    if recorded.equivalents:
        print(f"Recorded equivalents ({len(recorded.equivalents)}):")
        for e in recorded.equivalents:
            chain = " -> ".join([e.path[0].source] + [f"({link.relation}) {link.target}" for link in e.path])
            print(f"  * {e.title}  [{e.strength}, {e.distance} step{'s' if e.distance != 1 else ''}]")
            print(f"      {chain}")
    else:
        print("No recorded equivalents.")
    if similar:
        print()
        print(f"Most similar ({len(similar.results)} of {similar.candidates} candidates; weights "
              + ", ".join(f"{k} {v:g}" for k, v in similar.weights.items()) + "):")
        for n, s in enumerate(similar.results, 1):
            print(f"  {n:2}. {s.score:.3f}  {s.title}")
            print(f"        {s.spec}")
            for f in s.factors:
                print(f"        {f.factor:9} {f.score:.2f} x {f.weight:g} = {f.contribution:.3f}  {f.detail}")
    return 0


# -- compare ---------------------------------------------------------------------
def _curie(iri: str) -> str:
    """A property as its usual prefixed name (elm:provenBy, dc:type), for reading; the JSON keeps full IRIs."""
    for prefix, base in (("elm", ns.ELM), ("dc", ns.DC)):
        if iri.startswith(base):
            return f"{prefix}:{iri[len(base):]}"
    return f"<{iri}>"


def cmd_compare(ws: Workspace, args) -> int:
    policy = load_policy(args.policy) if args.policy else None
    report = recognition.compare(ws.store, args.subject, args.reference, policy)
    recorded = None
    if args.record:
        recorded = recognition.record_decision(ws.store, report, decided_by=args.decided_by,
                                               recognised=args.recognised, note=args.note)
    if args.json:
        data = report.to_dict()
        data["recorded"] = recorded.to_dict() if recorded else None
        _print_json(data)
        return 0
    print(f"Comparability report (policy: {report.policy_title})")
    print(f"  A: {report.subject_title} <{report.subject}>" + (f" (credential {report.subject_credential})" if report.subject_credential else ""))
    print(f"  B: {report.reference_title} <{report.reference}>" + (f" (credential {report.reference_credential})" if report.reference_credential else ""))
    print()
    for e in report.elements:
        name = f"{e.element} ({e.group})" if e.group == "profile" else e.element
        print(f"  {name}: {e.verdict.upper()}")
        print(f"      A: {e.subject_value or '-'}    B: {e.reference_value or '-'}")
        print(f"      rule: {e.rule}")
        print(f"      threshold: {e.threshold}")
        if e.evidence:
            shown = e.evidence[:6]
            print("      evidence: " + "; ".join(f"<{ev.subject}> {_curie(ev.via) + '/' if ev.via else ''}{_curie(ev.property)} {ev.value}"
                                              for ev in shown)
                  + (f"; ... {len(e.evidence) - len(shown)} more" if len(e.evidence) > len(shown) else ""))
    print()
    print(f"Overall: {report.overall.upper()}")
    print(f"  {report.summary}")
    print()
    if report.precedents:
        print(f"Precedents ({len(report.precedents)}):")
        for p in report.precedents:
            outcome = "recognised" if p.recognised else "not recognised" if p.recognised is not None else "outcome not recorded"
            print(f"  * {p.decided_at or 'undated'}  {p.decided_by or 'unknown agency'}: {outcome}"
                  f" ({p.verdict or 'no verdict'}; {p.relation})")
            print(f"      {p.decision}")
            for why in p.differences:
                print(f"      why not today's verdict: {why}")
    else:
        print("No earlier decisions on this or an equivalent pair.")
    if recorded:
        print()
        print(f"Recorded decision {recorded.decision} ({'recognised' if recorded.recognised else 'not recognised'})")
        print(f"  report {recorded.report} in graph {recorded.graph}")
    return 0


# -- import rules -----------------------------------------------------------------
def cmd_import_rules(ws: Workspace, args) -> int:
    results = [import_rules_file(ws.store, path) for path in args.files]
    if args.json:
        _print_json({"imported": [r.to_dict() for r in results]})
        return 0
    for path, r in zip(args.files, results):
        print(f"{r.status:>10}  {path}: {r.rules} stacking rule(s), {r.triples:,} triples in {r.graph}")
    return 0
