"""Parsing JSON-LD once per document shape.

An issuer's system writes every credential from one template: the same
keys, types and structure, other names, dates, identifiers and images.
JSON-LD processing (expanding against the contexts) is most of the cost of
reading a credential, and for two documents of one template it does the same
work on other strings.

So, before parsing, two kinds of strings are swapped for numbered tokens:

- strings in *literal positions*: values of terms that every bundled
  context in use defines as a plain or typed literal (never ``@id``/
  ``@vocab``/``@json``, never a keyword alias, no ``@reverse``, no
  ``@id``/``@type``/``@index``/``@graph`` container), and the values of
  language maps. JSON-LD copies such a value into its literal unchanged;
- *absolute IRIs* given as ``@id`` or as values of ``@id``/``@vocab``-typed
  terms, whose scheme is not a term of the contexts (so no compact IRI) and
  which are no term themselves. JSON-LD keeps such an IRI as it is.

Nothing else (keys, types, compact IRIs, blank node ids, numbers) is
touched, and equal strings get equal tokens (so that nodes merge as they
would), so the tokenised document is the same for every document of the
template and is parsed once. Each document then gets the template's triples
with its own strings put back, and fresh blank nodes. A template where a
token shows up anywhere but as a whole literal value or a whole IRI is not
used (the document is parsed as it is).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from credgraph.graph.sources.bounded_cache import BoundedCache

TOKEN = "urn:credgraph:value:"
IRI_TOKEN = "urn:credgraph:iri:"
_UNSAFE_CONTAINERS = {"@id", "@type", "@index", "@graph"}
_UNSAFE_TYPES = {"@json"}


@dataclass(frozen=True)
class LiteralTerms:
    """What the contexts in use say about each term, for tokenising (every definition must agree)."""

    plain: frozenset[str]  # a string (or list of strings) value is one literal each
    language_maps: frozenset[str]  # a map of language -> string(s)
    references: frozenset[str] = frozenset()  # a string (or list of strings) value is an IRI
    id_keys: frozenset[str] = frozenset()  # "@id" and its aliases
    defined: frozenset[str] = frozenset()  # every term: no IRI token may look like one


NO_TERMS = LiteralTerms(frozenset(), frozenset())
def literal_terms(contexts: Sequence[object]) -> LiteralTerms:
    """The literal terms of the given (bundled, parsed) contexts, scoped contexts included."""
    definitions: dict[str, list[object]] = {}

    def walk(context: object) -> None:
        if isinstance(context, list):
            for item in context:
                walk(item)
        elif isinstance(context, dict):
            for term, definition in context.items():
                if term == "@context":
                    walk(definition)
                elif not term.startswith("@"):
                    definitions.setdefault(term, []).append(definition)
                    if isinstance(definition, dict) and "@context" in definition:
                        walk(definition["@context"])

    walk(list(contexts))
    by_kind: dict[str, set[str]] = {"plain": set(), "language": set(), "reference": set(), "id": {"@id"}}
    for term, found in definitions.items():
        kinds = {_kind(d) for d in found}
        if len(kinds) == 1 and (kind := kinds.pop()) in by_kind:
            by_kind[kind].add(term)
    return LiteralTerms(frozenset(by_kind["plain"]), frozenset(by_kind["language"]), frozenset(by_kind["reference"]),
                        frozenset(by_kind["id"]), frozenset(definitions))


def _kind(definition: object) -> str:
    if isinstance(definition, str):
        return "id" if definition == "@id" else "unsafe" if definition.startswith("@") else "plain"
    if not isinstance(definition, dict):
        return "unsafe"  # null: the term is undefined, its values dropped or taken elsewhere
    if "@reverse" in definition or "@nest" in definition:
        return "unsafe"
    iri = definition.get("@id")
    if isinstance(iri, str) and iri.startswith("@"):
        return "id" if iri == "@id" and len(definition) == 1 else "unsafe"
    containers = definition.get("@container")
    containers = set(containers if isinstance(containers, list) else [containers])
    if containers & _UNSAFE_CONTAINERS:
        return "unsafe"
    kind = definition.get("@type")
    if kind in ("@id", "@vocab"):
        return "unsafe" if "@language" in containers else "reference"
    if kind in _UNSAFE_TYPES:
        return "unsafe"
    return "language" if "@language" in containers else "plain"


@dataclass(frozen=True, eq=False)
class Template:
    """The triples of a tokenised document as a recipe: each term is fixed, or the n-th term of a document.

    A document's terms are, in this order: its IRIs (one per distinct IRI
    token), fresh blank nodes, and its literals (one per literal slot).
    Templates compare by identity: one is made per tokenised text.
    """

    recipe: tuple[tuple[object, ox.NamedNode, object], ...]  # (subject, predicate, object): a term or an int
    iri_count: int
    blank_count: int
    literal_slots: tuple[tuple[int, str | None, ox.NamedNode | None], ...]  # (token, language, datatype)
    sample: tuple[ox.Triple, ...] = ()  # the tokenised triples themselves, one per recipe row
    fixed_iris: frozenset[str] = frozenset()  # values of the IRIs in the recipe (not tokens)
    fixed_literals: frozenset[ox.Literal] = frozenset()  # the literals in the recipe (not tokens)
    derived: dict = field(default_factory=dict, repr=False)  # what checks decided about this template, by key

    def instantiate(self, literals: Sequence[str], iris: Sequence[str], graph: ox.NamedNode | None = None) -> list:
        """The triples of the document whose tokenised strings are ``literals`` and ``iris``.

        With ``graph``, quads in that graph (which have the triples'
        attributes). Duplicates are removed, order kept. Raises ValueError
        for an IRI pyoxigraph does not accept (the caller then parses the
        document itself). The result is :class:`Statements`, one per recipe
        row, unless a document string equals a fixed term of the template
        (two rows may then make one statement).
        """
        terms: list = [ox.NamedNode(iri) for iri in iris]
        # Blank nodes are per document: a template's own would join every
        # document made from it into one graph in the store.
        terms += [ox.BlankNode() for _ in range(self.blank_count)]
        terms += [
            ox.Literal(literals[token], language=language) if language else ox.Literal(literals[token], datatype=datatype)
            for token, language, datatype in self.literal_slots
        ]
        if graph is not None:
            made = [
                ox.Quad(terms[s] if type(s) is int else s, p, terms[o] if type(o) is int else o, graph)
                for s, p, o in self.recipe
            ]
        else:
            made = [ox.Triple(terms[s] if type(s) is int else s, p, terms[o] if type(o) is int else o) for s, p, o in self.recipe]
        # Distinct tokens hold distinct strings, and the recipe's rows are
        # distinct: rows can only meet where a string equals a fixed term.
        if self.fixed_iris.isdisjoint(iris) and self.fixed_literals.isdisjoint(terms[self.iri_count + self.blank_count:]):
            return Statements(made, self, terms, graph)
        return list(dict.fromkeys(made))


class Statements(list):
    """The statements of one document made from a :class:`Template`, one per recipe row, in order: all distinct.

    They remember the template and the document's terms, so that a check
    which looks at every statement can decide once per template which ones
    matter to it (:meth:`select`), and skip the rest in every other document.
    """

    __slots__ = ("template", "terms", "graph")
    distinct = True  # no two statements are equal (what the store's counting relies on)

    def __init__(self, statements: list, template: Template, terms: list, graph: ox.NamedNode | None = None) -> None:
        super().__init__(statements)
        self.template = template
        self.terms = terms  # as in Template: IRIs, blank nodes, literals
        self.graph = graph  # the graph they are quads of; None: triples

    def select(self, key: Hashable, keep: Callable[[ox.Triple], bool]) -> list:
        """The statements whose template statement passes ``keep`` (decided once per template, under ``key``).

        ``keep`` sees the template's own triples, where each of the
        document's strings is a token (:func:`is_token`): it may look at
        predicates, kinds of terms, datatypes, languages and fixed values,
        never at a token's value.
        """
        rows = self.template.derived.get(key)
        if rows is None:
            rows = self.template.derived[key] = [i for i, t in enumerate(self.template.sample) if keep(t)]
        return [self[i] for i in rows]

    def _read_only(self, *args, **kwargs):
        # A changed list would no longer match its template's rows.
        raise TypeError("Statements made from a template are read-only; copy them with list() to change them")

    append = extend = insert = remove = pop = clear = sort = reverse = _read_only
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _read_only

    def __reduce__(self):
        # Copies and pickles are plain lists: free to change, tied to no template.
        return (list, (list(self),))


def is_token(term: object) -> bool:
    """True for a template's stand-in for a document's string (an IRI or a literal value)."""
    return type(term) in (ox.NamedNode, ox.Literal) and term.value.startswith((TOKEN, IRI_TOKEN))  # type: ignore[attr-defined]


def _token(value: str, prefix: str, count: int) -> int | None:
    number = value[len(prefix):]
    return int(number) if number.isdigit() and int(number) < count else None


def make_template(triples: Iterable[ox.Triple], literals: int, iris: int) -> Template | None:
    """The template of a tokenised document's (deduplicated, normalised) triples; None if a token is misplaced."""
    triples = tuple(triples)
    blanks: dict[ox.BlankNode, int] = {}
    slots: dict[tuple, int] = {}
    found = 0
    for t in triples:
        for term in (t.subject, t.object):
            if type(term) is ox.BlankNode:
                blanks.setdefault(term, len(blanks))
    recipe = []
    for t in triples:
        ends = []
        for term in (t.subject, t.object):
            kind = type(term)
            if kind is ox.NamedNode and term.value.startswith(IRI_TOKEN):
                token = _token(term.value, IRI_TOKEN, iris)
                if token is None:
                    return None
                term, found = token, found + 1
            elif kind is ox.BlankNode:
                term = iris + blanks[term]
            elif kind is ox.Literal and term.value.startswith(TOKEN):
                token = _token(term.value, TOKEN, literals)
                if token is None:
                    return None
                slot = (token, term.language, None if term.language else term.datatype)
                term, found = iris + len(blanks) + slots.setdefault(slot, len(slots)), found + 1
            ends.append(term)
        recipe.append((ends[0], t.predicate, ends[1]))
    # Every token must be a whole literal value or a whole IRI, none anywhere else.
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    if text.count(TOKEN.encode()) + text.count(IRI_TOKEN.encode()) != found:
        return None
    fixed = [term for s, _, o in recipe for term in (s, o) if type(term) is not int]
    return Template(
        tuple(recipe), iris, len(blanks), tuple(slots), sample=triples,
        fixed_iris=frozenset(t.value for t in fixed if type(t) is ox.NamedNode),
        fixed_literals=frozenset(t for t in fixed if type(t) is ox.Literal),
    )


# Templates by the digest of their tokenised document; None marks one that cannot be used.
TEMPLATES = BoundedCache(256)
