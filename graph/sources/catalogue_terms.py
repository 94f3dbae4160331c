"""The controlled values a catalogue spreadsheet may use, and the EU vocabularies they stand for:
countries and languages (EU Publications Office NAL codes), modes of learning and learning
settings, assessment and quality-assurance types, learning-opportunity types (Europass
vocabularies), ISCED-F fields, with the spellings accepted for each (docs/catalogue-csv.md).
"""

from __future__ import annotations

from credgraph.graph import namespaces as ns


SNB = ns.SNB
COUNTRY_NAL = "http://publications.europa.eu/resource/authority/country/"
LANGUAGE_NAL = "http://publications.europa.eu/resource/authority/language/"
CURRENCY_NAL = "http://publications.europa.eu/resource/authority/currency/"
ECTS = SNB + "education-credit/6fcec5c5af"

# ISO 3166 alpha-2 -> EU NAL country code (Europe and neighbours). ``EL`` and
# ``UK`` are the codes EU bodies use for Greece and the United Kingdom.
COUNTRIES = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "HR": "HRV", "CY": "CYP", "CZ": "CZE", "DK": "DNK",
    "EE": "EST", "FI": "FIN", "FR": "FRA", "DE": "DEU", "GR": "GRC", "EL": "GRC", "HU": "HUN",
    "IE": "IRL", "IT": "ITA", "LV": "LVA", "LT": "LTU", "LU": "LUX", "MT": "MLT", "NL": "NLD",
    "PL": "POL", "PT": "PRT", "RO": "ROU", "SK": "SVK", "SI": "SVN", "ES": "ESP", "SE": "SWE",
    "IS": "ISL", "LI": "LIE", "NO": "NOR", "CH": "CHE", "GB": "GBR", "UK": "GBR", "TR": "TUR",
    "RS": "SRB", "ME": "MNE", "MK": "MKD", "AL": "ALB", "BA": "BIH", "UA": "UKR", "MD": "MDA",
    "GE": "GEO", "AM": "ARM", "AD": "AND", "MC": "MCO", "SM": "SMR", "VA": "VAT",
}
_COUNTRY_ALPHA3 = set(COUNTRIES.values())

# ISO 639-1 -> EU NAL language code.
LANGUAGES = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN", "it": "ITA",
    "lt": "LIT", "lv": "LAV", "mt": "MLT", "nl": "NLD", "pl": "POL", "pt": "POR", "ro": "RON",
    "sk": "SLK", "sl": "SLV", "sv": "SWE", "no": "NOR", "nb": "NOB", "is": "ISL", "lb": "LTZ",
    "ca": "CAT", "eu": "EUS", "gl": "GLG", "tr": "TUR", "uk": "UKR", "sr": "SRP", "mk": "MKD",
    "sq": "SQI", "bs": "BOS",
}
_LANGUAGE_ALPHA3 = set(LANGUAGES.values())

MODES = {
    "online": "920fbb3cbe", "blended": "e92d221e4d", "on-site": "9191af2ed9",
    "work-based": "729f3bed4b", "project-based": "7813801c77", "research": "ed4c557045",
}
MODE_ALIASES = {
    "presential": "on-site", "onsite": "on-site", "on site": "on-site", "face-to-face": "on-site",
    "in person": "on-site", "in-person": "on-site", "lab": "research", "research/lab": "research",
    "work based": "work-based", "project based": "project-based",
}
LEARNING_SETTINGS = {"formal": "6fd4685715", "non-formal": "e207a81fc7"}
LEARNING_SETTING_ALIASES = {"nonformal": "non-formal", "non formal": "non-formal"}

# Codes of http://data.europa.eu/snb/assessment/25831c2 (see docs/catalogue-csv.md).
ASSESSMENTS = {
    "written exam": "6e6cb2cc78", "oral exam": "d30284d7df", "graded assignment": "2939dae15f",
    "continuous assessment": "3484bd7e51", "peer assessment": "19a2e5e671", "portfolio": "4f03b91c0e",
    "attendance": "7331eb4762", "project work": "795dac4096", "group work": "56539a6507",
    "practical assessment": "6a4db9f11d", "assessment of a work": "de4d165a6c", "quiz": "b1b68f6735",
    "peer review": "812e3b0ae1", "problem-based learning": "c4256a2726",
}
ASSESSMENT_ALIASES = {
    "written examination": "written exam", "exam": "written exam", "oral examination": "oral exam",
    "assignment": "graded assignment", "project": "project work", "practical exam": "practical assessment",
    "group performance": "group work", "peer-review": "peer review", "peer-assessment": "peer assessment",
}

QA_TYPES = {
    "institutional-licence": "003293d2ce", "programme-licence": "e57dddfcf3",
    "programme-quality": "820101cba6", "institutional-quality": "bb4618238e",
}
QA_LABELS = {
    "institutional-licence": "Institutional licensing", "programme-licence": "Programme licensing",
    "programme-quality": "Programme quality assurance", "institutional-quality": "Institutional quality assurance",
}
QA_ALIASES = {
    "institutional license": "institutional-licence", "institutional-license": "institutional-licence",
    "programme license": "programme-licence", "program-license": "programme-licence",
    "program-quality": "programme-quality", "institutional licence": "institutional-licence",
    "programme licence": "programme-licence", "programme quality": "programme-quality",
    "institutional quality": "institutional-quality",
}

OPPORTUNITY_TYPES = {"course": "05053c1cbe", "short learning programme": "74a4a268e8", "mooc": "17744a2647"}
OPPORTUNITY_ALIASES = {"short learning program": "short learning programme", "slp": "short learning programme"}

# ISCED-F 2013 codes as enumerated in the ELM XSD (220 concepts).
ISCED_F_CODES = frozenset("""
00 000 0000 001 0011 002 0021 003 0031 009 0099 01 011 0110 0111 0112 0113 0114 0119 018 0188 02 020
0200 021 0210 0211 0212 0213 0214 0215 0219 022 0220 0221 0222 0223 0228 0229 023 0230 0231 0232 0239
028 0288 029 0299 03 030 0300 031 0310 0311 0312 0313 0314 0319 032 0320 0321 0322 0329 038 0388 039
0399 04 040 0400 041 0410 0411 0412 0413 0414 0415 0416 0417 0419 042 0421 048 0488 049 0499 05 050
0500 051 0510 0511 0512 0519 052 0520 0521 0522 0529 053 0530 0531 0532 0533 0539 054 0540 0541 0542
058 0588 059 0599 06 061 0610 0611 0612 0613 0619 068 0688 07 070 0700 071 0710 0711 0712 0713 0714
0715 0716 0719 072 0720 0721 0722 0723 0724 0729 073 0730 0731 0732 078 0788 079 0799 08 080 0800 081
0810 0811 0812 0819 082 0821 083 0831 084 0841 088 0888 089 0899 09 090 0900 091 0910 0911 0912 0913
0914 0915 0916 0917 0919 092 0920 0921 0922 0923 0929 098 0988 099 0999 10 100 1000 101 1010 1011 1012
1013 1014 1015 1019 102 1020 1021 1022 1029 103 1030 1031 1032 1039 104 1041 108 1088 109 1099 99 999
9999""".split())

SCHEMES = {
    "eqf": SNB + "eqf/25831c2",
    "isced-f": SNB + "isced-f/25831c2",
    "learning-assessment": SNB + "learning-assessment/25831c2",
    "learning-setting": SNB + "learning-setting/25831c2",
    "assessment": SNB + "assessment/25831c2",
    "accreditation": SNB + "accreditation/25831c2",
    "learning-opportunity": SNB + "learning-opportunity/25831c2",
    "education-credit": SNB + "education-credit/25831c2",
    "country": "http://publications.europa.eu/resource/authority/country",
    "language": "http://publications.europa.eu/resource/authority/language",
    "currency": "http://publications.europa.eu/resource/authority/currency",
}

ESCO_SKILL_PREFIX = ns.ESCO_SKILL
LANGS = ("en", "de", "fr")
MULTI_SEPARATOR = "|"


def country_code(value: str) -> str | None:
    """The NAL alpha-3 code for an ISO alpha-2 or NAL alpha-3 country code, or None."""
    code = value.strip().upper()
    if len(code) == 2:
        return COUNTRIES.get(code)
    return code if code in _COUNTRY_ALPHA3 else None


def language_code(value: str) -> str | None:
    """The NAL code for an ISO 639-1 or NAL alpha-3 language code, or None."""
    code = value.strip()
    if len(code) == 2:
        return LANGUAGES.get(code.lower())
    return code.upper() if code.upper() in _LANGUAGE_ALPHA3 else None
