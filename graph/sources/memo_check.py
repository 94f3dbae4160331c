"""Memos checked while running: one use in N is recomputed without the memo and compared.

Three memos let an import skip work it has done before for a document of the
same shape:

- JSON-LD templates (:mod:`credgraph.graph.sources.jsonld_templates`): a document is
  parsed once per template, later ones get the template's triples with their
  own strings;
- validation skeletons (:mod:`credgraph.graph.sources.validation_memo`): one SHACL
  report per document shape, renamed for each document;
- minted descriptions (:func:`credgraph.graph.sources.privacy.mint_local`): the public
  description of a course, minted once per course and issuer template.

Tests prove each of them equivalent to the slow path; this module checks them
on the live data as well, as the site build checks its page skeletons: every
``EVERY``-th use of a memo is recomputed the slow way
and compared. A difference raises :class:`MemoMismatch`, which stops the
import: it is a fault of the program, not of the document, so it derives from
BaseException and no per-document error handler turns it into a rejection.
The message names the memo and the document, never the document's values
(they may be personal data).

N is ``EVERY`` (default 200: about 4 % more import CPU with the best-case memo hit
rate, measured with benchmarks/ingest.py; 1 checks every use; 0 turns the check off).
``CREDGRAPH_MEMO_CHECK_EVERY`` sets it: read into :class:`credgraph.settings.Settings`
(``memo_check_every``), and passed in here by the workspace (:func:`configure`).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable

import pyoxigraph as ox

EVERY = 200

_counters: dict[str, itertools.count] = {}
_lock = threading.Lock()


def configure(every: int | None) -> None:
    """Check one use in ``every`` from now on (None: leave it as it is). The counters are this process's."""
    global EVERY
    if every is not None:
        EVERY = every


class MemoMismatch(BaseException):
    """A memo gave another result than the work it stands for: the import stops."""


def due(memo: str) -> bool:
    """True on every ``EVERY``-th use of ``memo`` (the ``EVERY``-th, the 2 x ``EVERY``-th ...)."""
    if EVERY <= 0:
        return False
    with _lock:
        counter = _counters.setdefault(memo, itertools.count(1))
        return next(counter) % EVERY == 0


def fail(memo: str, where: str, detail: str) -> None:
    """Raise :class:`MemoMismatch` for ``memo`` on the document ``where``."""
    raise MemoMismatch(
        f"{where}: the {memo} memo gave a different result from the work it stands for ({detail}); "
        "the import stops here, with nothing of this batch written. This is a bug in credgraph: "
        "please report it with the document's shape (not its contents)")


# Above this many blank nodes a document's statements with blank nodes are only counted, not
# canonicalised: canonical naming can grow fast with many look-alike blank nodes.
CANONICAL_BLANK_NODES = 1000


def check_same_graph(memo: str, where: str, remembered: Iterable, recomputed: Iterable) -> None:
    """Fail unless the two statement lists are the same graph (blank nodes may be named differently)."""
    a, b = _comparable(remembered), _comparable(recomputed)
    if a != b:
        only_a, only_b = (a - b, b - a) if isinstance(a, set) and isinstance(b, set) else ((), ())
        fail(memo, where, f"{len(only_a)} statements only from the memo, {len(only_b)} only from the recomputation"
             if only_a or only_b else "statements with blank nodes differ")


def _comparable(statements: Iterable):
    """The statements (triples, or quads taken as triples) in a form equal for equal graphs."""
    triples = {(t.subject, t.predicate, t.object) for t in statements}
    blank = {term for s, _, o in triples for term in (s, o) if isinstance(term, ox.BlankNode)}
    if not blank:
        return {str(ox.Triple(*t)) for t in triples}
    if len(blank) > CANONICAL_BLANK_NODES:
        ground = {str(ox.Triple(*t)) for t in triples if t[0] not in blank and t[2] not in blank}
        return ground, len(triples), len(blank)
    dataset = ox.Dataset()
    for s, p, o in triples:
        dataset.add(ox.Quad(s, p, o, ox.DefaultGraph()))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}
