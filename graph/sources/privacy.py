"""Keeping learners' personal data out of the public store.

An issued credential is split in two:
- the private graph: the whole original document graph (person, names, birth
  date, identifiers, e-mail, the credential's own id), for the private store only;
- the public part: what is reachable from the non-personal roots (the
  specification and the organisations) without passing through a personal node,
  with document-local identifiers (``urn:epass:...``, blank nodes) replaced,
  plus a pseudonymised issuance record.

:func:`assert_public` is a second line of defence: it fails loudly if any
personal term of the document appears in the public triples.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from credgraph.graph import namespaces as ns
from credgraph.graph.sources import memo_check
from credgraph.graph.sources.bounded_cache import BoundedCache

RDF_TYPE = ox.NamedNode(ns.RDF + "type")

# Personal properties of a person (ELM 3.1, FOAF, ADMS, OB3 as mapped by its context).
PERSONAL_PROPERTIES = {
    ns.FOAF + "givenName", ns.FOAF + "familyName", ns.FOAF + "fullName", ns.FOAF + "name",
    ns.ELM + "dateOfBirth", ns.ELM + "nationalId", ns.ELM + "placeOfBirth", ns.ELM + "birthName",
    ns.ELM + "patronymicName", ns.ELM + "contactPoint", ns.ELM + "emailAddress", ns.ELM + "gender",
    ns.ELM + "citizenshipCountry", ns.ADMS + "identifier", ns.ELM + "identifier",
    "https://schema.org/name", "https://schema.org/email",
    "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier",
}
# Edges the public part never follows: bulky or display-only data.
NOT_PUBLISHED = {ns.ELM + "logo", ns.ELM + "displayParameter"}
# The same, as pyoxigraph terms: tested without copying each predicate's IRI out.
_NOT_FOLLOWED = frozenset(ox.NamedNode(p) for p in NOT_PUBLISHED | PERSONAL_PROPERTIES)
_PERSONAL_NODES = frozenset(ox.NamedNode(p) for p in PERSONAL_PROPERTIES)


class PrivacyError(RuntimeError):
    """Personal data was about to reach the public store (a bug; the document is not written)."""


def pseudonym(key: bytes, learner_key: str) -> str:
    """The keyed pseudonym of a learner: hex HMAC-SHA256 of ``learner_key`` under ``key``."""
    return hmac.new(key, learner_key.encode("utf-8"), hashlib.sha256).hexdigest()


class Graph:
    """A small index over a list of triples (subject -> predicate -> objects)."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.triples = list(triples)
        self.out: dict[object, list[ox.Triple]] = defaultdict(list)
        for t in self.triples:
            self.out[t.subject].append(t)

    def objects(self, subject, predicate: str) -> list:
        """Objects of ``subject predicate ?o``."""
        node = _node(predicate)
        return [t.object for t in self.out.get(subject, ()) if t.predicate == node]

    def first(self, subject, predicate: str):
        """One object of ``subject predicate ?o`` (the smallest, for determinism), or None."""
        found = self.objects(subject, predicate)
        return min(found, key=str) if found else None

    def types(self, subject) -> set[str]:
        """IRIs of the rdf:type of ``subject``."""
        return {o.value for o in self.objects(subject, ns.RDF + "type") if isinstance(o, ox.NamedNode)}

    def subjects_of_type(self, type_iri: str) -> list:
        """Subjects typed ``type_iri``, sorted."""
        node = _node(type_iri)
        return sorted({t.subject for t in self.triples if t.predicate == RDF_TYPE and t.object == node}, key=str)


_NODES: dict[str, ox.NamedNode] = {}


def _node(iri: str) -> ox.NamedNode:
    """``NamedNode(iri)``, made once per IRI (predicates and types are few)."""
    node = _NODES.get(iri)
    if node is None:
        node = _NODES[iri] = ox.NamedNode(iri)
    return node


def learner_key(graph: Graph, person) -> str | None:
    """A stable key for the learner ``person``, from the strongest identifier present.

    Order: national ID (country + notation), e-mail, other identifier (scheme +
    notation), name with birth date, then the subject IRI if it is global (not
    a document-local ``urn:epass:`` one). None if nothing identifies the learner.
    """
    for nid in graph.objects(person, ns.ELM + "nationalId"):
        notation = graph.first(nid, ns.SKOS + "notation")
        if notation is not None:
            spatial = graph.first(nid, ns.DC + "spatial")
            return f"nid:{spatial.value if spatial else ''}:{notation.value.strip().upper()}"
    for cp in graph.objects(person, ns.ELM + "contactPoint"):
        mail = graph.first(cp, ns.ELM + "emailAddress")
        if mail is not None:
            return "mail:" + mail.value.removeprefix("mailto:").strip().lower()
    for email in graph.objects(person, "https://schema.org/email"):
        return "mail:" + email.value.strip().lower()
    for ident in graph.objects(person, ns.ADMS + "identifier") + graph.objects(person, ns.ELM + "identifier"):
        notation = graph.first(ident, ns.SKOS + "notation")
        if notation is not None:
            scheme = graph.first(ident, ns.ELM + "schemeName")
            return f"id:{scheme.value if scheme else ''}:{notation.value.strip()}"
    name = graph.first(person, ns.FOAF + "fullName")
    given, family = graph.first(person, ns.FOAF + "givenName"), graph.first(person, ns.FOAF + "familyName")
    birth = graph.first(person, ns.ELM + "dateOfBirth")
    if (name or given or family) and birth is not None:
        full = name.value if name else f"{given.value if given else ''} {family.value if family else ''}"
        return f"name:{' '.join(full.lower().split())}|{birth.value[:10]}"
    if isinstance(person, ox.NamedNode) and not is_local(person):
        return "iri:" + person.value
    return None


def is_local(term) -> bool:
    """True for identifiers that only mean something inside one document."""
    return isinstance(term, ox.BlankNode) or (isinstance(term, ox.NamedNode) and term.value.startswith("urn:"))


def public_closure(graph: Graph, roots: Iterable, personal: set) -> list[ox.Triple]:
    """Triples reachable from ``roots`` by outgoing edges, never entering a ``personal`` node."""
    seen = set()
    stack = [r for r in roots if r not in personal]
    out: list[ox.Triple] = []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for t in graph.out.get(node, ()):
            o = t.object
            if o in personal or t.predicate in _NOT_FOLLOWED:
                continue
            out.append(t)
            if type(o) is not ox.Literal and o not in seen:
                stack.append(o)
    return out


def mint_local(triples: list[ox.Triple], graph: Graph, kinds: dict[str, str]) -> tuple[list[ox.Triple], dict]:
    """Replace document-local identifiers in ``triples``.

    Nodes whose type is in ``kinds`` (type IRI -> kind) get an IRI
    ``https://w3id.org/credgraph/id/<kind>/<hash>``, the hash over the local id
    and the node's literal values, so that the same specification issued in
    many credentials lands on one IRI while unrelated ``urn:epass:org:1`` nodes
    of different issuers stay apart. Other local nodes become blank nodes.
    Returns the new triples and the mapping old -> new.

    Credentials of one course carry the same public description: the
    result is remembered by everything it depends on (:func:`_mint_key`), and
    a later document gets the same triples, its own terms mapped to them.
    """
    key, numbers, local = _mint_key(triples, graph, kinds)
    found = _MINTED.get(key)
    if found is None:
        out, mapping = _mint(triples, graph, kinds)
        _MINTED.put(key, (out, {numbers.get(old, old): new for old, new in mapping.items()}))
        return list(out), mapping
    out, minted = found
    mapping = {term: minted[numbers.get(term, term)] for term in local}
    if memo_check.due("minted description"):  # one use in N also minted afresh, and compared
        fresh, fresh_mapping = _mint(triples, graph, kinds)
        memo_check.check_same_graph("minted description", "a credential's public description", out, fresh)
        if {t: v for t, v in mapping.items() if type(v) is ox.NamedNode} != {
                t: v for t, v in fresh_mapping.items() if type(v) is ox.NamedNode}:
            memo_check.fail("minted description", "a credential's public description", "the minted IRIs differ")
    return list(out), mapping  # a copy: callers may change theirs


# Public descriptions by what they depend on: one per course and issuer template.
_MINTED = BoundedCache(1024)


def _mint_key(triples: list[ox.Triple], graph: Graph, kinds: dict[str, str]) -> tuple[tuple, dict, list]:
    """What :func:`_mint` depends on; the numbers given to blank nodes (in order of appearance); the local nodes.

    The key holds the statements themselves, and what ``graph`` says of
    their local nodes beyond them: types and literal values (a node's
    literals all go into its minted IRI).
    """
    numbers: dict = {}
    rows = []
    edges: dict = {}  # node -> how many of its statements are listed
    for t in triples:
        s, o = t.subject, t.object
        edges[s] = edges.get(s, 0) + 1
        if type(s) is ox.BlankNode:
            s = numbers.setdefault(s, len(numbers))
        if type(o) is not ox.Literal:
            edges.setdefault(o, 0)
            if type(o) is ox.BlankNode:
                o = numbers.setdefault(o, len(numbers))
        rows.append((s, t.predicate, o))
    local = [node for node in edges if is_local(node)]
    extra: list = []
    listed: set | None = None
    for node in local:
        out = graph.out.get(node, ())
        if len(out) > edges[node]:  # the graph says more of it than the statements do
            listed = set(triples) if listed is None else listed
            extra += [(numbers.get(node, node), t.predicate, t.object) for t in out
                      if (type(t.object) is ox.Literal or t.predicate == RDF_TYPE) and t not in listed]
    return (tuple(rows), tuple(sorted(extra, key=str)), tuple(sorted(kinds.items()))), numbers, local


def _mint(triples: list[ox.Triple], graph: Graph, kinds: dict[str, str]) -> tuple[list[ox.Triple], dict]:
    mapping: dict = {}
    seen: dict = {}  # every term met, local or not -> its replacement

    def new_term(term):
        found = seen.get(term)
        if found is not None:
            return found
        if not is_local(term):
            seen[term] = term
            return term
        kind = next((kinds[t] for t in sorted(graph.types(term)) if t in kinds), None)
        if kind:
            literals = sorted(f"{t.predicate.value} {t.object}" for t in graph.out.get(term, ()) if isinstance(t.object, ox.Literal))
            key = "\n".join([str(term) if isinstance(term, ox.NamedNode) else "", *literals])
            mapping[term] = ox.NamedNode(f"{ns.CG_ID}{kind}/{hashlib.sha256(key.encode()).hexdigest()[:16]}")
        else:
            mapping[term] = ox.BlankNode()
        seen[term] = mapping[term]
        return mapping[term]

    out = []
    for t in triples:
        s, o = t.subject, t.object
        s2 = new_term(s)
        o2 = o if type(o) is ox.Literal else new_term(o)
        # Always a triple: the document's statements may come as quads of its private graph.
        out.append(t if s2 is s and o2 is o and type(t) is ox.Triple else ox.Triple(s2, t.predicate, o2))
    return out, mapping


def personal_terms(graph: Graph, persons: Iterable, credential) -> set:
    """Terms that must never appear in public: the persons, their personal values, the credential id."""
    terms: set = set()
    if credential is not None and not isinstance(credential, ox.BlankNode):
        terms.add(credential)
    for person in persons:
        if not isinstance(person, ox.BlankNode):
            terms.add(person)
        stack = [person]
        seen = set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for t in graph.out.get(node, ()):
                if node is person and t.predicate not in _PERSONAL_NODES:
                    continue
                o = t.object
                if isinstance(o, ox.Literal):
                    terms.add(o)
                elif isinstance(o, ox.NamedNode) and (o.value.startswith("mailto:") or is_local(o)):
                    terms.add(o)
                    stack.append(o)
                elif isinstance(o, ox.BlankNode):
                    stack.append(o)
    return terms


def assert_public(public: Iterable[ox.Triple], forbidden: set, name: str) -> None:
    """Raise :class:`PrivacyError` if any forbidden term occurs in ``public``."""
    for t in public:
        for term in (t.subject, t.object):
            if term in forbidden and not isinstance(term, ox.BlankNode):
                raise PrivacyError(f"{name}: personal data would reach the public store; document not written")


def scrub(text: str, forbidden: set) -> str:
    """``text`` with every personal value of ``forbidden`` replaced by ``[withheld]`` (for messages).

    A message may quote the issuer's own text ("Workshop for Ana ANDROMEDA"), so a
    value is matched ignoring case and accents, as a whole word (a given name
    "Ana" leaves "Banana" alone), as the screening of public text does.
    """
    values = sorted({t.value for t in forbidden if isinstance(t, (ox.Literal, ox.NamedNode)) and len(t.value) >= 2}, key=len, reverse=True)
    if not values:
        return text
    # Decomposed, an accented letter is its base letter and marks that the pattern lets follow any letter.
    decomposed = unicodedata.normalize("NFD", text)
    plain = _bare(decomposed)
    for value in values:
        if _bare_value(value) in plain:  # most values are not in a given text: a substring test, no pattern
            decomposed = _scrub_pattern(value).sub("[withheld]", decomposed)
    return unicodedata.normalize("NFC", decomposed)


def _bare(text: str) -> str:
    """``text`` case-folded without its accents (letter for letter, unlike :func:`fold`); never misses what
    the pattern of :func:`_scrub_pattern` would match (a dotless i is an i to both)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).casefold().replace("ı", "i")


_bare_value = functools.lru_cache(maxsize=4096)(_bare)  # a document's values are looked for in each of its messages


def _scrub_pattern(value: str) -> re.Pattern:
    base = [c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c)]
    marks = "[\u0300-\u036f]*"
    # Not inside a longer run of letters and digits (an underscore or other sign may touch it).
    return _compiled_ignoring_case(r"(?<![^\W_])" + "".join(re.escape(c) + marks for c in base) + r"(?![^\W_])")


@functools.lru_cache(maxsize=4096)
def _compiled_ignoring_case(regex: str) -> re.Pattern:
    return re.compile(regex, re.IGNORECASE)


# -- screening public text for the learner's personal values -------------------------
#
# The split keeps personal *nodes* out of the public part, but an issuer can
# still type a learner's name, e-mail, identifier or birth date into a public
# text ("Webinar for Ana Andromeda"). Every public string literal is screened
# for the values of the credential's subjects before anything is written.
#
# The rule (docs/privacy.md), chosen so that ordinary course texts are never
# refused:
# - names: the subject's full names and given + family name together (both
#   orders), at least two words and 5 letters, matched as whole words. A single
#   given or family name alone is not screened: "Rose", "Martin", "Young" are
#   common words, and a lone first name does not identify a learner;
# - e-mail addresses: the whole address (``mailto:`` dropped), anywhere;
# - identifiers (national id, other identifiers): at least 5 characters with a
#   digit; separators (space, ``-``, ``.``, ``/``) may stand anywhere between
#   its characters, and it may not be part of a longer run of letters and digits;
# - birth dates: ISO, day.month.year, day/month/year, month/day/year,
#   day-month-year (with or without leading zeros) and "14 May 1990" /
#   "May 14, 1990" with month names in English, French, German, Spanish,
#   Italian, Dutch and Portuguese, not inside a longer number.
# Texts and values are compared case-folded with accents removed.

_NAME_PROPERTIES = (ns.FOAF + "fullName", ns.FOAF + "name", "https://schema.org/name", ns.ELM + "birthName")
_ID_HOLDERS = (ns.ELM + "nationalId", ns.ADMS + "identifier", ns.ELM + "identifier",
               "https://purl.imsglobal.org/spec/vc/ob/vocab.html#identifier")
_MONTHS = [
    ("january", "janvier", "januar", "enero", "gennaio", "januari", "janeiro", "jan"),
    ("february", "fevrier", "februar", "febrero", "febbraio", "februari", "fevereiro", "feb"),
    ("march", "mars", "marz", "marzo", "maart", "marco", "mar"),
    ("april", "avril", "abril", "aprile", "apr"),
    ("may", "mai", "mayo", "maggio", "mei", "maio"),
    ("june", "juin", "juni", "junio", "giugno", "junho", "jun"),
    ("july", "juillet", "juli", "julio", "luglio", "julho", "jul"),
    ("august", "aout", "agosto", "augustus", "aug"),
    ("september", "septembre", "septiembre", "settembre", "setembro", "sep", "sept"),
    ("october", "octobre", "oktober", "octubre", "ottobre", "outubro", "oct", "okt"),
    ("november", "novembre", "noviembre", "novembro", "nov"),
    ("december", "decembre", "dezember", "diciembre", "dicembre", "dezembro", "dec", "dez"),
]
_STRING_TYPES = frozenset({ns.XSD + "string", ns.RDF + "langString", ns.RDF + "HTML", ns.RDF + "XMLLiteral"})
_SEPARATORS = re.compile(r"[\s\-./_]+")
_DIGIT = re.compile(r"\d")


def fold(text: str) -> str:
    """``text`` case-folded, accents removed, runs of non-letters/digits (but @ . + -) as one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")
    return " ".join(re.sub(r"[^\w@.+\-]+", " ", plain).split())


@dataclass(frozen=True)
class PersonalValue:
    """One value to look for in public text: its kind (name, e-mail, identifier, birth date) and pattern.

    ``hint``: a piece every match contains ("" for identifiers, which may be
    spread by separators: then a digit); the pattern is compiled and tried only
    on texts that contain it, so most texts cost a substring test.
    """

    kind: str
    regex: str
    hint: str

    def search(self, text: str) -> bool:
        if self.hint:
            if self.hint not in text:
                return False
        elif not _DIGIT.search(text):
            return False
        return _compiled(self.regex).search(text) is not None


@functools.lru_cache(maxsize=4096)
def _compiled(regex: str) -> re.Pattern:
    return re.compile(regex)


def personal_values(graph: Graph, persons: Iterable) -> list[PersonalValue]:
    """The screening patterns for the subjects ``persons`` of a credential (see the rule above)."""
    found: dict[tuple[str, str], PersonalValue] = {}

    def add(kind: str, regex: str, hint: str) -> None:
        found.setdefault((kind, regex), PersonalValue(kind, regex, hint))

    for person in persons:
        names = [o.value for p in _NAME_PROPERTIES for o in graph.objects(person, p) if isinstance(o, ox.Literal)]
        givens = [o.value for o in graph.objects(person, ns.FOAF + "givenName") if isinstance(o, ox.Literal)]
        families = [o.value for o in graph.objects(person, ns.FOAF + "familyName") if isinstance(o, ox.Literal)]
        names += [f"{g} {f}" for g in givens for f in families] + [f"{f} {g}" for g in givens for f in families]
        for name in names:
            folded = fold(name)
            words = [w for w in re.split(r"[\s\-.]+", folded) if w]
            if len(words) >= 2 and sum(c.isalpha() for c in folded) >= 5:
                add("name", r"(?<!\w)" + r"[\s\-.]+".join(map(re.escape, words)) + r"(?!\w)", max(words, key=len))
        for mail in _emails(graph, person):
            folded = fold(mail)
            if "@" in folded:
                add("e-mail address", re.escape(folded), folded)
        for holder in _ID_HOLDERS:
            for ident in graph.objects(person, holder):
                notations = graph.objects(ident, ns.SKOS + "notation") if not isinstance(ident, ox.Literal) else [ident]
                for notation in notations:
                    value = _SEPARATORS.sub("", fold(notation.value))
                    if len(value) >= 5 and any(c.isdigit() for c in value):
                        spread = r"[\s\-./_]*".join(map(re.escape, value))  # separators may come anywhere
                        add("identifier", r"(?<![^\W_])" + spread + r"(?![^\W_])", "")
        for birth in graph.objects(person, ns.ELM + "dateOfBirth"):
            year = birth.value.strip()[:4]
            for regex in _date_patterns(birth.value):
                add("birth date", regex, year)
    return list(found.values())


def _emails(graph: Graph, person) -> list[str]:
    mails = [o.value for o in graph.objects(person, "https://schema.org/email")]
    for cp in graph.objects(person, ns.ELM + "contactPoint"):
        mails += [o.value for o in graph.objects(cp, ns.ELM + "emailAddress")]
    return [m.removeprefix("mailto:") for m in mails]


def _date_patterns(value: str) -> list[str]:
    """Written forms of a birth date ``value`` (``YYYY-MM-DD``, possibly with a time)."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}))?", value.strip())
    if not m:
        return []
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return []
    days = [day]
    if m.group(4) and int(m.group(4)) >= 12:
        # Midnight in a time zone east of UTC is written as the evening before (EDC does so).
        days.append(day + dt.timedelta(days=1))
    out = []
    for d in days:
        y, mo, da = str(d.year), d.month, d.day
        sep = r"(?:\s*[\-./]\s*|\s+)"  # "/" is folded to a space
        dd, mm = f"0?{da}", f"0?{mo}"
        forms = [f"{y}{sep}{mm}{sep}{dd}", f"{dd}{sep}{mm}{sep}{y}", f"{mm}{sep}{dd}{sep}{y}"]
        digits = [r"(?<!\d)" + f + r"(?!\d)" for f in forms]
        month = "(?:" + "|".join(_MONTHS[mo - 1]) + r")\.?"
        digits.append(rf"(?<!\d){dd}(?:st|nd|rd|th|er|\.)?(?: de)? {month}(?: de)? {y}(?!\d)")
        digits.append(rf"(?<!\w){month} {dd}(?:st|nd|rd|th)?,? {y}(?!\d)")
        out += digits
    return out


@dataclass(frozen=True)
class ScreeningHit:
    """A personal value found in public text: where (element type and property), and which kind; never the value."""

    element: str
    property: str
    kind: str

    def message(self, name: str) -> str:
        return (f"{name}: the public text of {self.element} {self.property} contains the learner's {self.kind}; "
                "document not written (personal data would reach the public store)")


def screen_public(public: Iterable[ox.Triple], values: list[PersonalValue], graph: Graph | None = None) -> list[ScreeningHit]:
    """Every public string literal of ``public`` that contains one of ``values`` (see the rule above)."""
    if not values:
        return []
    texts = [(t, _folded(t.object.value)) for t in public
             if type(t.object) is ox.Literal and t.object.datatype.value in _STRING_TYPES]
    # One pass over all the texts first: usually no value's hint occurs anywhere, and that is the answer.
    joined = "\n".join(text for _, text in texts)
    values = [v for v in values if (v.hint in joined if v.hint else _DIGIT.search(joined))]
    if not values:
        return []
    types: dict = {}
    hits: list[ScreeningHit] = []
    seen: set = set()
    for t, text in texts:
        kinds = [v.kind for v in values if v.search(text)]
        for kind in kinds:
            if t.subject not in types:
                types[t.subject] = _element_of(t.subject, public, graph)
            hit = ScreeningHit(types[t.subject], _short(t.predicate.value), kind)
            if hit not in seen:
                seen.add(hit)
                hits.append(hit)
    return hits


_FOLDED = BoundedCache(8192)  # public texts repeat from credential to credential


def _folded(text: str) -> str:
    found = _FOLDED.get(text)
    if found is None:
        found = fold(text)
        _FOLDED.put(text, found)
    return found


def _element_of(subject, public: Iterable[ox.Triple], graph: Graph | None) -> str:
    """The ELM class of ``subject`` (short form), for messages."""
    types = sorted(graph.types(subject)) if graph is not None else []
    if not types:
        types = sorted(t.object.value for t in public if t.subject == subject and t.predicate == RDF_TYPE)
    return _short(types[0]) if types else "a public node"


def _short(iri: str) -> str:
    for prefix, label in ((ns.ELM, "elm:"), (ns.DC, "dc:"), (ns.SKOS, "skos:"), (ns.FOAF, "foaf:"), (ns.RDFS, "rdfs:"),
                          (ns.CG, "cg:"), ("https://schema.org/", "schema:"),
                          ("https://purl.imsglobal.org/spec/vc/ob/vocab.html#", "ob:")):
        if iri.startswith(prefix):
            return label + iri[len(prefix):]
    return iri
