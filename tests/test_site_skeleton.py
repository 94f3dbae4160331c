"""Pages filled from a template's skeleton are the pages Jinja renders, or the build says it cannot be done."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from credgraph.site.skeleton import SkeletonMismatch, Skeletons

ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

TEMPLATE = ENV.from_string(
    "<title>{{ title }} · {{ site }}</title>\n"
    "<script>{{ jsonld|safe }}</script>\n"
    "{% if f.note %}<p class=note>{{ f.note }}</p>{% endif %}\n"
    "<h1>{{ f.title }}</h1><a href=\"{{ u.home }}\">{{ f.title }}</a>\n"
    "{{ f.lead }}|{{ f.empty }}\n"
)
NAMES = ("title", "jsonld", "u.home", "f.title", "f.note", "f.lead", "f.empty")


def values(i: int) -> list:
    return [
        f"A & B <{i}>",  # escaped where printed plainly
        '{"x": "</script> & <b>"}' + str(i),  # printed raw (|safe)
        f"../x?a=1&b={i}",
        Markup(f"<em>T{i}</em>"),  # printed as it is
        Markup(f"<b>note {i}</b>") if i % 2 else "",  # decides a branch
        Markup("<p>lead</p>") if i % 3 else None,  # None prints "None", "" prints nothing
        "",
    ]


def jinja(vals) -> str:
    title, jsonld, home, f_title, note, lead, empty = vals
    return TEMPLATE.render(site="S", title=title, jsonld=jsonld, u=SimpleNamespace(home=home),
                           f=SimpleNamespace(title=f_title, note=note, lead=lead, empty=empty))


def test_filled_pages_equal_jinja_for_every_pattern_of_values():
    skeletons = Skeletons(TEMPLATE, {"site": "S"}, check_every=10_000)
    for i in range(12):
        assert skeletons.render(NAMES, values(i)) == jinja(values(i)), i
    # One skeleton per pattern of empty values (note: 2 patterns, lead: 2), each used again and again.
    assert sum(1 for s in skeletons._made.values() if s is not None) == 4
    assert "&lt;3&gt;" in skeletons.render(NAMES, values(3)) and "</script> & <b>" in skeletons.render(NAMES, values(3))


def test_a_decision_on_a_value_is_caught_by_the_check():
    template = ENV.from_string("{% if path == 'search/' %}<b>here</b>{% endif %}{{ path }}")
    skeletons = Skeletons(template, {})
    with pytest.raises(SkeletonMismatch, match="differs from Jinja"):
        skeletons.render(("path",), ["search/"])


def test_a_value_a_filter_changes_is_rendered_by_jinja():
    template = ENV.from_string("<p>{{ name|upper }} {{ other }}</p>")
    skeletons = Skeletons(template, {})
    assert skeletons.render(("name", "other"), ["ada", "x"]) == "<p>ADA x</p>"
    assert skeletons.render(("name", "other"), ["bob", "y"]) == "<p>BOB y</p>"
    assert list(skeletons._made.values()) == [None]


def test_values_that_are_not_text_are_rendered_by_jinja():
    template = ENV.from_string("{% for x in items %}{{ x }},{% endfor %}")
    skeletons = Skeletons(template, {})
    assert skeletons.render(("items",), [["a", "<b>"]]) == "a,&lt;b&gt;,"
