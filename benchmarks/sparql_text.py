"""SPARQL tokenizer speed: the character loop it replaced vs the compiled pattern (graph/store/sparql_text.py).

The server tokenizes every query it is sent, up to the token limit (50,000),
holding the GIL meanwhile: the time here is time every other route of the
server waits. Texts of 10k, 50k and 60k tokens, two shapes each: the hostile
one of ``benchmarks/load.py`` (``?a`` repeated) and a mixed one (prefixed
names, IRIs, strings, comments, punctuation). Both tokenizers are timed in the
same run on the same texts; the old one is the reference kept in
``tests/test_sparql_text_tokens.py``. Also timed, old and new: the server's
whole inspection of a query (``query_inspection._inspect``: unescaping, then every
token up to the 50,000 limit, keywords looked at), which is what a hostile
query costs the server's GIL.

    python benchmarks/sparql_text.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from credgraph.api.query_inspection import _inspect
from credgraph.graph.store import sparql_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
# The old tokenizer and the server's old inspection over it, kept only there as the tests' reference.
from test_sparql_text_tokens import reference_inspect, reference_iter_tokens, reference_tokens  # noqa: E402

MIXED = ('?s ex:title "a title with \\"quotes\\"" ; <http://data.europa.eu/snb/model/elm/p> ?o . '
         "# a comment\n FILTER(LANG(?o) = 'en') . ")  # 22 tokens


def texts(count: int) -> dict[str, str]:
    hostile = "SELECT * WHERE { " + "?a " * (count - 5) + "}"
    mixed = "SELECT * WHERE { " + MIXED * ((count - 5) // 22) + "}"
    return {"hostile": hostile, "mixed": mixed}


def best(function, text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(text)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs")
    args = parser.parse_args()
    print(f"{'text':<12} {'tokens':>7} {'chars':>8} | {'tokenize: old ms':>16} {'new ms':>7} {'ratio':>6} | "
          f"{'inspect: old ms':>15} {'new ms':>7} {'ratio':>6}")
    for count in (10_000, 50_000, 60_000):
        for shape, text in texts(count).items():
            new_tokens = sparql_text.tokens(text)
            assert [tuple(t) for t in new_tokens] == reference_tokens(text), "the two tokenizers differ"
            old = best(lambda t: list(reference_iter_tokens(t)), text, args.repeat)
            new = best(sparql_text.tokens, text, args.repeat)
            old_inspect = best(lambda t: checked(reference_inspect, t), text, args.repeat)
            new_inspect = best(lambda t: checked(_inspect, t), text, args.repeat)
            print(f"{shape + ' ' + str(count // 1000) + 'k':<12} {len(new_tokens):>7,} {len(text):>8,} | "
                  f"{old * 1000:>16.1f} {new * 1000:>7.1f} {old / new:>5.1f}x | "
                  f"{old_inspect * 1000:>15.1f} {new_inspect * 1000:>7.1f} {old_inspect / new_inspect:>5.1f}x")


def checked(inspect, text: str):
    """The inspection as the server runs it (over the limit: stopped at the 50,001st token)."""
    try:
        return inspect(text, 50_000, 100)
    except sparql_text.TooComplex as exc:
        return exc.what

if __name__ == "__main__":
    main()
