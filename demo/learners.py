"""The made-up learners, and who gets which credential when: learners follow a provider's topic,
some complete the larger credentials (:func:`plan_issues`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from credgraph.graph.sources.catalogue_csv import slugify, spec_iri
from credgraph.demo.catalogue import PROVIDERS, Spec, YEAR_END, YEAR_START


# Made-up names, mixed per country; any match with a real person is chance.
GIVEN = {
    "DE": ("Lena", "Jonas", "Mia", "Lukas", "Hannah", "Felix", "Jörg", "Sophie", "Maximilian", "Anna"),
    "AT": ("Valentina", "Tobias", "Katharina", "Florian", "Johanna", "Matthias", "Theresa", "Lorenz"),
    "FR": ("Camille", "Léa", "Hugo", "Manon", "Théo", "Chloé", "Louis", "Inès", "Gaëlle", "Noé"),
    "BE": ("Lotte", "Arthur", "Elise", "Maxime", "Noor", "Victor", "Amélie", "Wout"),
    "NL": ("Sanne", "Daan", "Fleur", "Sem", "Iris", "Bram", "Eline", "Joris"),
    "ES": ("Lucía", "Martín", "Sofía", "Pablo", "Carmen", "Álvaro", "Nerea", "Iñigo"),
    "IT": ("Giulia", "Matteo", "Chiara", "Lorenzo", "Francesca", "Niccolò", "Martina", "Davide"),
    "PL": ("Zofia", "Jakub", "Maja", "Szymon", "Agnieszka", "Mikołaj", "Łucja", "Wojciech"),
    "FI": ("Aino", "Eetu", "Helmi", "Onni", "Sanni", "Väinö", "Emilia", "Juho"),
    "IE": ("Aoife", "Cian", "Niamh", "Oisín", "Saoirse", "Darragh", "Clodagh", "Ruairí"),
}
FAMILY = {
    "DE": ("Brenner", "Kowalke", "Haberlein", "Sommerfeld", "Grünwald", "Tessmer", "Wiegand", "Lührs"),
    "AT": ("Leitgeb", "Pichlmayr", "Hofstädter", "Strobl", "Aigner-Ried", "Wimmerl"),
    "FR": ("Delaunay", "Marchetti", "Lefébure", "Rivoire", "Castagné", "Bouvard", "Perrichon"),
    "BE": ("Vandevelde", "Maréchal", "De Wispelaere", "Lambotte", "Verhaegen", "Dujardin"),
    "NL": ("van Dijkhuis", "Kramers", "de Wolff", "Brouwerink", "Smeenk", "Veltkamp"),
    "ES": ("García Olmedo", "Ruiz Baena", "Santolaya", "Fernández Oria", "Montaner", "Echeverría"),
    "IT": ("Bianchetti", "Lombardini", "Ferrazzi", "Castellucci", "De Santis", "Moretto"),
    "PL": ("Nowacki", "Wiśniewska", "Kaczmarczyk", "Zieliński", "Grabowska", "Pawlak-Sowa"),
    "FI": ("Virtanen-Koski", "Mäkelä", "Heikkilä", "Lahtinen", "Nieminen", "Salonoja"),
    "IE": ("O'Donnell", "Mac Giolla", "Fitzmaurice", "Ní Bhriain", "Costigan", "Moriarty"),
}


@dataclass(frozen=True)
class Learner:
    """A made-up learner."""

    number: int
    given: str
    family: str
    birth: str
    email: str
    country: str


def _learner(rng: random.Random, number: int, country: str) -> Learner:
    names_country = country if country in GIVEN else "IE"
    given, family = rng.choice(GIVEN[names_country]), rng.choice(FAMILY[names_country])
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
    local = slugify(f"{given}.{family}").replace("-", ".")
    return Learner(number, given, family, birth.isoformat(), f"{local}.{number}@learner.example.org", names_country)


def plan_issues(rng: random.Random, specs: list[Spec], total: int) -> tuple[list[tuple[Spec, date, Learner]], int]:
    """Who gets which credential when: learners follow a provider's topic, some complete larger credentials."""
    by_provider: dict[str, list[Spec]] = {}
    for s in specs:
        if s.kind == "micro-credential":
            by_provider.setdefault(s.provider.slug, []).append(s)
    quals = {s.iri: s for s in specs if s.kind == "qualification"}
    micro = [s for s in specs if s.kind == "micro-credential"]
    span = (YEAR_END - YEAR_START).days
    plan: list[tuple[Spec, date, Learner]] = []
    learners = 0
    while len(plan) < total:
        provider = PROVIDERS[rng.randrange(len(PROVIDERS))]
        home = [s for s in by_provider[provider.slug] if s.topic == provider.topics[0]]
        country = provider.country if rng.random() < 0.8 else rng.choice(PROVIDERS).country
        learner = _learner(rng, learners, country)
        learners += 1
        count = min(total - len(plan), rng.choice((1, 1, 2, 2, 3, 4, 5)))
        day = rng.randrange(0, span - 120)
        taken: list[Spec] = []
        for _ in range(count):
            pool = home if rng.random() < 0.7 else (by_provider[provider.slug] if rng.random() < 0.7 else micro)
            choices = [s for s in pool if s not in taken] or [s for s in micro if s not in taken]
            spec = rng.choice(choices)
            taken.append(spec)
            plan.append((spec, YEAR_START + timedelta(days=day), learner))
            day = min(span, day + rng.randrange(20, 200))
        # The provider also issues the larger credential once every part is held.
        for qual in quals.values():
            parts = {spec_iri(qual.provider.slug, p) for p in qual.parts}
            if len(plan) < total and parts <= {s.iri for s in taken}:
                plan.append((qual, YEAR_START + timedelta(days=min(span, day + 14)), learner))
    return plan, learners
