#!/usr/bin/env python3
"""Write the credentials credgraph's tests use where no real public document is stored.

Each document is *written by us*, modelled on a real public one (named in
``tests/data/README.md``): the same structure, term names, identifier style and
EC controlled-list concepts, with values of our own and no embedded images.
The sealed form is sealed with a throw-away test certificate made here (its
trust is "unknown"; only the seal's integrity can be checked).

Usage: python scripts/make_written_samples.py [--out tests/data/samples]
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as dt
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
EDC_AP = "http://data.europa.eu/snb/model/context/edc-ap"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
ATU = "http://publications.europa.eu/resource/authority/atu/"
SNB = "http://data.europa.eu/snb/"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"


def concept(scheme: str, code: str, label: str, authority: bool = False) -> dict:
    if authority:
        base = f"http://publications.europa.eu/resource/authority/{scheme}"
        return {"id": f"{base}/{code}", "type": "Concept", "inScheme": {"id": base, "type": "ConceptScheme"},
                "notation": scheme, "prefLabel": {"en": label}}
    return {"id": f"{SNB}{scheme}/{code}", "type": "Concept",
            "inScheme": {"id": f"{SNB}{scheme}/25831c2", "type": "ConceptScheme"}, "prefLabel": {"en": label}}


def organisation(n: int, name: str, country: str, country_label: str, atu: str | None = None) -> dict:
    location = {"id": f"urn:epass:location:{n}", "type": "Location",
                "address": {"id": f"urn:epass:address:{n}", "type": "Address",
                            "countryCode": concept("country", country, country_label, authority=True)}}
    if atu:
        # A region (administrative-territorial unit): address detail, not the country.
        location["spatialCode"] = {"id": ATU + atu, "type": "Concept",
                                   "inScheme": {"id": ATU[:-1], "type": "ConceptScheme"}, "notation": "atu"}
    return {"id": f"urn:epass:org:{n}", "type": "Organisation", "legalName": {"en": name},
            "location": location,
            "registration": {"id": f"urn:epass:legalIdentifier:{n}", "type": "LegalIdentifier",
                             "spatial": concept("country", country, country_label, authority=True), "notation": f"REG-{n:04d}"}}


def learner() -> dict:
    return {"id": "urn:epass:person:1", "type": "Person", "givenName": {"en": "Ana"}, "familyName": {"en": "Andromeda"},
            "fullName": {"en": "Ana Andromeda"}, "dateOfBirth": "1999-10-01T22:00:00Z",
            "identifier": {"id": "urn:epass:identifier:2", "type": "Identifier", "schemeName": "Student ID", "notation": "97168A"}}


def micro_credential() -> dict:
    """After the EC's Sample-MC-Annex1 (ELM 3.1, EDC generic profile): one achievement and its activities."""
    org = organisation(1, "Dublin Institute of Digital Learning", "IRL", "Ireland", atu="IRL_CTH_DUB")
    outcome = lambda n, title, skill: {"id": f"urn:epass:learningOutcome:{n}", "type": "LearningOutcome",
                                       "title": {"en": title}, "relatedESCOSkill": {"id": ESCO_SKILL + skill, "type": "Concept"}}
    achievement_spec = {
        "id": "urn:epass:learningAchievementSpec:1", "type": "LearningAchievementSpecification",
        "title": {"en": "Building digital micro-credentials"},
        "learningOutcome": [outcome(1, "issue digital credentials", "0e9ba8c6-1a43-4a6e-8d5d-9a1d53fc8a10"),
                            outcome(2, "apply data models", "21d2f96d-35f7-4e3f-9745-c533d2dd6e97")],
        "creditPoint": {"id": "urn:epass:creditPoint:1", "type": "CreditPoint",
                        "framework": concept("education-credit", "6fcec5c5af", "European Credit Transfer System"), "point": "5"},
        "volumeOfLearning": "PT125H",
        "maximumDuration": "P1M",
        "mode": concept("learning-assessment", "e92d221e4d", "Blended"),
        "learningSetting": concept("learning-setting", "e207a81fc7", "non-formal learning"),
        "language": concept("language", "ENG", "English", authority=True),
    }
    assessment_spec = {"id": "urn:epass:learningAssessmentSpec:1", "type": "LearningAssessmentSpecification",
                       "title": {"en": "Final project"},
                       "dcType": concept("assessment", "4f03b91c0e", "portfolio"),
                       "mode": concept("learning-assessment", "920fbb3cbe", "Online")}
    assessment = {"id": "urn:epass:learningAssessment:1", "type": "LearningAssessment", "title": {"en": "Final project"},
                  "specifiedBy": assessment_spec,
                  "idVerification": concept("supervision-verification", "c598449d64",
                                            "unsupervised with no identity verification"),
                  "grade": {"id": "urn:epass:note:9", "type": "Note", "noteLiteral": {"en": "pass"}},
                  "assessedBy": org}
    awarding = {"id": "urn:epass:awardingProcess:1", "type": "AwardingProcess", "awardingBody": org,
                "awardingDate": "2024-03-26T10:00:00Z"}
    activity = lambda n, title: {
        "id": f"urn:epass:activity:{n}", "type": "LearningActivity", "title": {"en": title},
        "awardedBy": awarding,
        "specifiedBy": {"id": f"urn:epass:learningActivitySpec:{n}", "type": "LearningActivitySpecification",
                        "title": {"en": title}, "volumeOfLearning": "PT20H",
                        "dcType": concept("learning-activity", "bf2e3a7bae", "e-learning coursework")}}
    achievement = {"id": "urn:epass:learningAchievement:1", "type": "LearningAchievement",
                   "title": {"en": "Building digital micro-credentials"},
                   "awardedBy": awarding, "specifiedBy": achievement_spec, "provenBy": assessment,
                   "influencedBy": [{"id": "urn:epass:activity:1"}, {"id": "urn:epass:activity:2"}, {"id": "urn:epass:activity:3"}]}
    subject = learner()
    subject["hasClaim"] = [achievement, activity(1, "EDC building training course"),
                           activity(2, "Data model webinar"), activity(3, "Credential design workshop")]
    return {
        "@context": [VC_V1, EDC_AP],
        "id": "urn:credential:5b1e7a8e-0c1a-4c55-9d4e-7c1f1c0d2a11",
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": concept("credential", "e34929035b", "Generic"),
        "credentialSchema": {"id": "http://data.europa.eu/snb/model/ap/edc-generic-full", "type": "ShaclValidator2017"},
        "credentialSubject": subject,
        "issuer": org,
        "issued": "2024-03-26T10:00:00Z",
        "validFrom": "2024-03-26T10:00:00Z",
        "displayParameter": {"id": "urn:epass:displayParameter:1", "type": "DisplayParameter",
                             "title": {"en": "Micro-credential"},
                             "primaryLanguage": concept("language", "ENG", "English", authority=True),
                             "language": concept("language", "ENG", "English", authority=True)},
    }


def ebsi_diploma() -> dict:
    """After the EBSI ELM 3.2 diploma examples (VC data model v2 context + EDC context)."""
    org = organisation(1, "Universidad de Ejemplo", "ESP", "Spain", atu="ESP_AN_SE")
    spec = {"id": "urn:epass:qualification:1", "type": "Qualification",
            "title": {"en": "Bachelor of Science in Computer Engineering"},
            "eqfLevel": concept("eqf", "6", "Level 6"),
            "thematicArea": {"id": "http://data.europa.eu/snb/isced-f/0613", "type": "Concept",
                           "inScheme": {"id": "http://data.europa.eu/snb/isced-f/25831c2", "type": "ConceptScheme"}},
            "creditPoint": {"id": "urn:epass:creditPoint:1", "type": "CreditPoint",
                            "framework": concept("education-credit", "6fcec5c5af", "European Credit Transfer System"), "point": "240"},
            "maximumDuration": "P21D",
            "learningOutcome": {"id": "urn:epass:learningOutcome:1", "type": "LearningOutcome",
                                "title": {"en": "design software systems"}},
            "mode": concept("learning-assessment", "9191af2ed9", "Presential"),
            "isPartialQualification": False}
    subject = learner()
    subject["hasClaim"] = {"id": "urn:epass:learningAchievement:1", "type": "LearningAchievement",
                           "title": {"en": "Bachelor of Science in Computer Engineering"},
                           "awardedBy": {"id": "urn:epass:awardingProcess:1", "type": "AwardingProcess",
                                         "awardingBody": org, "awardingDate": "2019-07-15T00:00:00Z"},
                           "specifiedBy": spec}
    return {
        "@context": [VC_V2, EDC_AP],
        "id": "urn:credential:9a0f1d62-3c0d-4a51-8f2e-ebs1d1p10ma0",
        "type": ["VerifiableCredential", "VerifiableAttestation", "EuropeanDigitalCredential"],
        "credentialSchema": [{"id": "http://data.europa.eu/snb/model/ap/edc-generic-full", "type": "ShaclValidator2017"}],
        "credentialSubject": subject,
        "issuer": org,
        "issued": "2024-03-26T09:30:00Z",
        "validFrom": "2019-09-20T00:00:00Z",
        "validUntil": "2099-09-20T00:00:00Z",
    }


def elm33_credential() -> dict:
    """An ELM 3.3 credential: classes and properties in http://data.europa.eu/snb/model/ontology/."""
    base = micro_credential()
    doc = copy.deepcopy(base)
    doc["@context"] = [VC_V1, EDC_AP, {"elm": "http://data.europa.eu/snb/model/ontology/",
                                       "maximumDuration": {"@id": "elm:maximumDuration", "@type": "xsd:duration"},
                                       "LearningAchievement": "elm:LearningAchievement",
                                       "hasClaim": {"@id": "elm:hasClaim", "@type": "@id"}}]
    doc["id"] = "urn:credential:3c3c3c3c-0000-4000-8000-elm33sample0"
    del doc["issued"]
    doc["issuanceDate"] = "2025-02-03T08:00:00Z"
    doc["validFrom"] = "2025-02-01T00:00:00Z"
    return doc


def badge_with_alignments() -> dict:
    """After the 1EdTech Open Badges 3.0 examples with ``alignment`` (spec, section B)."""
    return {
        "@context": [VC_V2, OB3],
        "id": "http://example.com/credentials/3732",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.com/issuers/876543", "type": ["Profile"], "name": "Example Corp",
                   "address": {"type": ["Address"], "addressCountryCode": "NL"}},
        "validFrom": "2024-05-01T00:00:00Z",
        "name": "Music Staff Badge",
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.com/achievements/21st-century-skills/teamwork",
                "type": ["Achievement"], "name": "Teamwork",
                "description": "This badge recognizes the development of the capacity to collaborate within a group environment.",
                "criteria": {"narrative": "Team members are nominated for this badge by their peers."},
                "alignment": [
                    {"type": ["Alignment"], "targetName": "manage musical staff",
                     "targetUrl": ESCO_SKILL + "0005c151-5b5a-4a66-8aac-60e734beb1ab",
                     "targetCode": "0005c151-5b5a-4a66-8aac-60e734beb1ab",
                     "targetFramework": "ESCO", "targetType": "ceasn:Competency"},
                    {"type": ["Alignment"], "targetName": "Program Management",
                     "targetDescription": "Manage a program of related projects.",
                     "targetUrl": "https://credentialfinder.org/competency/ce-cf4dee18-7cea-443a-b920-158a0762c6bf",
                     "targetCode": "ce-cf4dee18-7cea-443a-b920-158a0762c6bf",
                     "targetFramework": "Example Framework", "targetType": "ceasn:Competency"},
                ],
            },
        },
    }


def seal(payload: dict) -> dict:
    """A JAdES-style JWS JSON serialisation with unencoded payload, made with a throw-away test key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    from cryptography.x509.oid import NameOID

    def b64url(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "credgraph test seal (not trusted)")])
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    header = {"alg": "ES256", "x5c": [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()],
              "sigT": "2024-03-26T10:00:05Z", "crit": ["b64", "sigT"], "b64": False}
    protected = b64url(json.dumps(header).encode())
    text = json.dumps(payload, ensure_ascii=False)
    r, s = decode_dss_signature(key.sign(protected.encode() + b"." + text.encode(), ec.ECDSA(hashes.SHA256())))
    return {"payload": text, "signatures": [{"protected": protected, "header": {},
                                             "signature": b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "samples")
    out = parser.parse_args().out
    mc = micro_credential()
    upload = {"credential": {k: v for k, v in mc.items() if k != "@context"}}
    docs = {
        "written-mc-annex1-unsigned.jsonld": mc,
        "written-mc-annex1-sealed.jsonld": seal(mc),
        "written-mc-annex1-upload.json": upload,
        "written-ebsi-elm32-diploma.jsonld": ebsi_diploma(),
        "written-elm33-credential.jsonld": elm33_credential(),
        "written-ob3-alignment.json": badge_with_alignments(),
    }
    for name, doc in docs.items():
        (out / name).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print("wrote", out / name)


if __name__ == "__main__":
    main()
