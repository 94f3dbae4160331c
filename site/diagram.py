"""Stacking rules drawn as SVG at build time (no script, no external resources).

Layout: one box per condition on the left, listing its components (or
required skills); an arrow from each condition to the target on the right.
The drawing scales with its viewBox, so it fits a 360 px phone and a desktop.
Every box of something with a page (a component, a skill, the target) is a
link to it; the drawing is a labelled group (not an image), so that its
links stay reachable by keyboard and screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

BOX_W = 300
ITEM_H = 26
HEAD_H = 30
GAP = 18
TARGET_W = 220
ARROW = 70


@dataclass(frozen=True)
class DiagramItem:
    """One box: its label and the relative URL of its page ("" when it has none)."""

    label: str
    href: str = ""


@dataclass(frozen=True)
class DiagramCondition:
    """One condition to draw: its heading and its items."""

    heading: str
    items: list[DiagramItem]


def _linked(href: str, label: str, inner: str) -> str:
    """``inner`` as a link to ``href``, or as it is when there is no page.

    The full label goes in the link's ``<title>`` (its tooltip and, for
    SVG, its accessible name): the box may show it clipped or on two lines.
    """
    if not href:
        return inner
    return f'<a href="{escape(href)}"><title>{escape(label)}</title>{inner}</a>'


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rule_svg(diagram_id: str, title: str, target: DiagramItem, conditions: list[DiagramCondition], filters: list[str]) -> str:
    """An inline SVG drawing of one stacking rule; ``title`` is its accessible name."""
    y = 10
    parts: list[str] = []
    anchors: list[float] = []
    for cond in conditions:
        items = cond.items or [DiagramItem("…")]
        height = HEAD_H + ITEM_H * len(items) + 8
        parts.append(f'<rect x="10" y="{y}" width="{BOX_W}" height="{height}" rx="6" class="cond"/>')
        parts.append(f'<text x="22" y="{y + 20}" class="head">{escape(_clip(cond.heading, 40))}</text>')
        for i, item in enumerate(items):
            iy = y + HEAD_H + i * ITEM_H
            parts.append(_linked(item.href, item.label,
                                 f'<rect x="22" y="{iy}" width="{BOX_W - 24}" height="{ITEM_H - 5}" rx="4" class="item"/>'
                                 f'<text x="30" y="{iy + 15}">{escape(_clip(item.label, 38))}</text>'))
        anchors.append(y + height / 2)
        y += height + GAP
    total_h = max(y - GAP + 10, 80)
    target_y = total_h / 2 - 30
    tx = 10 + BOX_W + ARROW
    for a in anchors:
        parts.append(f'<path d="M{10 + BOX_W} {a:.0f} C{10 + BOX_W + ARROW / 2} {a:.0f} {tx - ARROW / 2} {target_y + 30:.0f} {tx - 6} {target_y + 30:.0f}" class="arrow" marker-end="url(#{diagram_id}-head)"/>')
    box = [f'<rect x="{tx}" y="{target_y:.0f}" width="{TARGET_W}" height="60" rx="8" class="target"/>']
    for i, line in enumerate(_wrap(target.label, 26)[:2]):
        box.append(f'<text x="{tx + 12}" y="{target_y + 25 + i * 18:.0f}" class="head">{escape(line)}</text>')
    parts.append(_linked(target.href, target.label, "".join(box)))
    for i, note in enumerate(filters):
        parts.append(f'<text x="{tx}" y="{target_y + 80 + i * 18:.0f}" class="note">{escape(_clip(note, 34))}</text>')
        total_h = max(total_h, target_y + 90 + i * 18)
    width = tx + TARGET_W + 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rule-diagram" viewBox="0 0 {width} {total_h:.0f}" '
        f'role="group" aria-labelledby="{diagram_id}-title">'
        f'<title id="{diagram_id}-title">{escape(title)}</title>'
        f'<defs><marker id="{diagram_id}-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto">'
        f'<path d="M0 0L10 5L0 10z" class="arrowhead"/></marker></defs>'
        + "".join(parts)
        + "</svg>"
    )


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], _clip(" ".join(lines[1:]), width)]
    return lines or [""]
