"""What stacking completions are counted from, read from the store, and the counting.

Every learner's credentials are read as *holdings* (which specifications, issued when), with how
many learners hold each; a holding's completed targets are worked out once per application date
(stacking service rules over the specifications' facts). A store grown by added graphs is brought
up to date from those graphs alone (:func:`added_to`).
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from pyoxigraph import Literal, NamedNode

from credgraph import queries
from credgraph.graph.services.stacking_evaluation import Context, rule_met
from credgraph.graph.services.stacking_rules import HeldCredential, Rule, implied_rules, load_rules, parse_date
from credgraph.graph.store.binding import Term
from credgraph.graph.services.specifications import load_specs, skill_ancestors, spec_graphs
from credgraph.graph.store.interface import Store

# Guards every entry's ``earned`` memos, and the statistics service's cache of entries: one lock,
# since requests in several threads read and fill both.
cache_lock = threading.Lock()
_MAX_NEW_GRAPHS = 2000  # more graphs added since the last reading: read everything again


@dataclass
class Completions:
    """What counting completions reads from the store, and what each holding earns per application date.

    A holding is kept as its tokens (see :func:`holding_tokens`): a token is the
    hexadecimal index of the specification in ``specs``, followed by ``@`` and the
    issue date for ``dated`` specifications.
    """

    fingerprint: tuple
    specs: list[str]
    dated: set[str]
    gating: set[str]
    tokens: Counter[tuple[str, ...]]
    rules: list[Rule]
    facts: dict
    fact_graphs: dict[str, str] | None  # the graph each specification's facts were read from, once looked up
    ancestors: dict[str, set[str]]
    # Per application date, the targets each holding earns (rules, facts and skills being these).
    earned: dict[date, dict[tuple[str, ...], frozenset[str]]] = field(default_factory=dict)
    parsed: dict[tuple[str, ...], list[HeldCredential]] = field(default_factory=dict)

    def held(self, items: tuple[str, ...]) -> list[HeldCredential]:
        """The credentials of a holding given as tokens."""
        held = self.parsed.get(items)
        if held is None:
            held = self.parsed[items] = []
            for token in items:
                key, _, issued = token.partition("@")
                held.append(HeldCredential(self.specs[int(key, 16)], parse_date(issued or None)))
        return held

    def names(self, targets: Iterable[str]) -> dict[str, str]:
        """The titles of ``targets``."""
        return {t: self.facts[t].title for t in targets if t in self.facts}


def _rules(store: Store) -> list[Rule]:
    return load_rules(store) + implied_rules(store, None)


def _facts(store: Store, rules: list[Rule], specs: Iterable[str], known: Completions | None = None,
           added: set[str] = frozenset()) -> tuple[dict, dict[str, str] | None, dict[str, set[str]]]:
    """The facts of every issued specification and rule target, the graphs they are read from, and the broader skills.

    When bringing ``known`` up to date, its facts are reused if they were read
    from the same graphs and none of those is among the ``added`` graphs (graphs
    not added are unchanged). Broader skills are read only if a rule requires skills.
    """
    specs = set(specs)
    wanted = specs | {r.target for r in rules} | {c for r in rules for c in r.components()}
    graphs = spec_graphs(store, wanted) if known is not None else None  # a first reading needs no comparison
    if known is not None and set(known.facts) == wanted and known.fact_graphs == graphs and added.isdisjoint(graphs.values()):
        facts = known.facts
    else:
        facts = load_specs(store, wanted, core=True)
    needs_skills = any(c.kind == "skills" for r in rules for c in r.conditions)
    ancestors = skill_ancestors(store, {s for i in specs for s in facts[i].skills}) if needs_skills else {}
    return facts, graphs, ancestors


def read_completions(store: Store, fingerprint: tuple) -> Completions:
    """The rules, every distinct holding and the facts of the specifications involved."""
    rules = _rules(store)
    issued = [row["spec"] for row in store.select(queries.load("stats-credentials-per-spec")).rows]
    specs = [s.value for s in issued]
    dated, gating = _dated_specs(rules, issued), _gating_specs(rules, issued)
    tokens = holding_tokens(store, issued, dated, gating) if rules and issued else None
    return Completions(fingerprint, specs, dated, gating, tokens, rules, *_facts(store, rules, specs))


def added_to(store: Store, entry: Completions, fingerprint: tuple) -> Completions | None:
    """``entry`` brought up to date when graphs were only added since it was read, else None.

    Only the learners with records in the added graphs can hold something
    else: their records are read (old ones and new ones), and each moves from
    its old holding to its new one. Rules, facts and skills are read again
    (cheap; facts only where they come from an added graph); if the rules now
    need other tokens for the specifications issued before, None.
    """
    count, _ = fingerprint
    before, since = entry.fingerprint
    if entry.tokens is None or since is None or not 0 < count - before <= _MAX_NEW_GRAPHS:
        return None
    added = [row["graph"] for row in store.select(queries.load("stats-graphs-since"), {"since": since}).rows]
    if len(added) != count - before:  # something was replaced or dropped too
        return None
    learners = [row["learner"] for row in store.select(queries.load("stats-graph-learners"),
                                                        values=[{"graph": g} for g in added]).rows]
    rows = (store.select(queries.load("stats-learner-records"), values=[{"learner": learner} for learner in learners]).rows
            if learners else [])
    # A specification issued for the first time gets the next key; tokens read before never name it.
    specs = entry.specs + sorted({row["spec"].value for row in rows} - set(entry.specs))
    issued = [NamedNode(s) for s in specs]
    rules = _rules(store)
    dated, gating = _dated_specs(rules, issued), _gating_specs(rules, issued)
    before_specs = set(entry.specs)
    if not rules or not (dated ^ entry.dated).isdisjoint(before_specs) or not (gating ^ entry.gating).isdisjoint(before_specs):
        return None
    keys = {spec: f"{n:x}" for n, spec in enumerate(specs)}
    new_graphs = {g.value for g in added}
    held: dict[str, tuple[list[str], list[str], list[bool], list[bool]]] = {}
    for row in rows:
        spec = row["spec"].value
        token = f"{keys[spec]}@{row['issued'].value}" if spec in dated else keys[spec]
        old, new, old_gates, new_gates = held.setdefault(row["learner"].value, ([], [], [], []))
        new.append(token)
        new_gates.append(spec in gating)
        if row["graph"].value not in new_graphs:
            old.append(token)
            old_gates.append(spec in gating)
    tokens = Counter(entry.tokens)
    for old, new, old_gates, new_gates in held.values():
        if any(old_gates):
            tokens[tuple(sorted(old))] -= 1
        if any(new_gates):
            tokens[tuple(sorted(new))] += 1
    tokens = Counter({items: n for items, n in tokens.items() if n > 0})
    facts, graphs, ancestors = _facts(store, rules, specs, entry, new_graphs)
    # Keys only ever get added, so parsed holdings stay right; what a holding earns, if the rules,
    # facts and skills are the same.
    same = facts is entry.facts and rules == entry.rules and ancestors == entry.ancestors
    with cache_lock:
        memos = list(entry.earned.items()) if same else []
    return Completions(fingerprint, specs, dated, gating, tokens, rules, facts, graphs, ancestors,
                        earned={at: {t: memo[t] for t in tokens if t in memo} for at, memo in memos},
                        parsed={t: entry.parsed[t] for t in tokens if t in entry.parsed})


def count_completions(data: Completions, at: date) -> Counter[str]:
    """How many learners earn each target at ``at``, from the distinct holdings (each evaluated once per date)."""
    memo = data.earned.get(at)
    if memo is None:
        memo = {}
    counts: Counter[str] = Counter()
    earns = None
    for items, learners in (data.tokens.items() if data.tokens else ()):
        targets = memo.get(items)
        if targets is None:
            earns = earns or _evaluator(data, at)
            targets = memo[items] = earns(data.held(items))
        for target in targets:
            counts[target] += learners
    return counts


def _evaluator(data: Completions, at: date) -> Callable[[list[HeldCredential]], frozenset[str]]:
    """A function giving the targets a holding earns at ``at``."""
    rules, facts = data.rules, data.facts
    by_spec: dict[str, list[Rule]] = defaultdict(list)
    open_rules = []
    for rule in rules:
        if any(not c.components for c in rule.conditions):
            open_rules.append(rule)
        for comp in rule.components():
            by_spec[comp].append(rule)
    ctx = Context(facts, data.ancestors, at)
    dated_rules = {id(r) for r in rules if _uses_dates(r)}
    relaxed = {id(r): _without_dates(r) for r in rules if id(r) in dated_rules}
    monotone = all((f.credits() or 0) >= 0 for f in facts.values())
    # Without dates a rule depends only on the specifications held, and without an open
    # condition only on those among its own components: one evaluation per such set.
    seen_by: dict[int, frozenset[str] | None] = {}
    for rule in rules:
        seen = None if rule in open_rules else frozenset(rule.components())
        seen_by[id(rule)] = seen
        if id(rule) in relaxed:
            seen_by[id(relaxed[id(rule)])] = seen
    # An open rule's conditions that name components must be met too: checked first, per set.
    gates = {}
    for rule in open_rules:
        named = [c for c in rule.conditions if c.components]
        if named:
            gate = replace(relaxed.get(id(rule), rule), conditions=named)
            gates[id(rule)] = gate
            seen_by[id(gate)] = frozenset(rule.components())
    undated: dict[tuple[int, frozenset[str]], bool] = {}

    def _met_by_set(rule: Rule, held: list[HeldCredential], held_specs: frozenset[str]) -> bool:
        seen = seen_by[id(rule)]
        key = (id(rule), held_specs if seen is None else held_specs & seen)
        met = undated.get(key)
        if met is None:
            met = undated[key] = rule_met(rule, held, ctx)
        return met

    def earns(held: list[HeldCredential]) -> frozenset[str]:
        held_specs = frozenset(h.spec for h in held)
        candidates = {id(r): r for spec in held_specs for r in by_spec.get(spec, ())}
        candidates.update({id(r): r for r in open_rules})
        earned = set()
        for key, rule in candidates.items():
            if key in gates and not _met_by_set(gates[key], held, held_specs):
                met = False
            elif key in dated_rules:
                # Age and span limits only take credentials away, and every condition needs more
                # (credits being non-negative), so a holding that fails the rule without its
                # limits fails it with them: the cheap set-based answer rules most out.
                met = (not monotone or _met_by_set(relaxed[key], held, held_specs)) and rule_met(rule, held, ctx)
            else:
                met = _met_by_set(rule, held, held_specs)
            if met:
                earned.add(rule.target)
        return frozenset(earned)

    return earns


def _uses_dates(rule: Rule) -> bool:
    """Whether issue dates can change whether ``rule`` is met (an age or span limit)."""
    return bool(rule.max_span or rule.max_age or any(c.max_age for c in rule.conditions))


def _without_dates(rule: Rule) -> Rule:
    """``rule`` without its age and span limits (it then depends only on the specifications held)."""
    return replace(rule, max_age=None, max_span=None,
                   conditions=[replace(c, max_age=None) for c in rule.conditions])


def _dated_specs(rules: list[Rule], specs: Iterable[Term]) -> set[str]:
    """The specifications whose issue dates can change whether some rule is met.

    Only rules with an age or span limit look at dates, and only at their
    components, or at every credential if they also have an open condition.
    """
    dated: set[str] = set()
    for rule in rules:
        if _uses_dates(rule):
            if any(not c.components for c in rule.conditions):
                return {s.value for s in specs}
            dated |= rule.components()
    return dated


def _gating_specs(rules: list[Rule], specs: Iterable[Term]) -> set[str]:
    """Specifications of which a learner must hold one to meet any rule (every issued one if some rule needs none).

    A condition that needs all of, at least one of, or some credits from its
    components is met only by holding one of them.
    """
    gating: set[str] = set()
    for rule in rules:
        gates = [c for c in rule.conditions if c.components and (
            c.kind == "all-of" or (c.kind == "at-least" and (c.min_count or 0) >= 1)
            or (c.kind == "min-credits" and (c.min_credits or 0) > 0))]
        if rule.conditions and not gates:
            return {s.value for s in specs}
        for cond in gates:
            gating |= set(cond.components)
    return gating


def holding_tokens(store: Store, specs: list[Term], dated: set[str], gating: set[str]) -> Counter[tuple[str, ...]]:
    """Each distinct holding (the tokens of one learner's credentials, sorted) and how many learners have it.

    A token is the hexadecimal index of the specification in ``specs``, with
    ``@`` and the issue date for ``dated`` specifications only: the others
    never reach a date check (see :func:`_dated_specs`). Learners holding none
    of the ``gating`` specifications are left out: they meet no rule.
    """
    # Short keys keep the strings the store builds and returns small.
    values = [{"spec": s, "key": Literal(f"{n:x}"), "dated": Literal(s.value in dated), "gating": Literal(int(s.value in gating))}
              for n, s in enumerate(specs)]
    rows = store.select(queries.load("stats-learner-holdings"), values=values).rows
    # Most learners with the same credentials get the same text (tokens in store order):
    # count the texts first, then put each distinct one in canonical (sorted) order.
    texts = Counter(row["held"].value for row in rows)
    tokens: Counter[tuple[str, ...]] = Counter()
    for text, learners in texts.items():
        tokens[tuple(sorted(text.split()))] += learners
    return tokens
