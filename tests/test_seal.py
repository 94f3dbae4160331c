"""Sealed EDC: JAdES JWS JSON with unencoded payload, verified with `cryptography`."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pyoxigraph as ox
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from credgraph.graph import jsonld, seal
from credgraph.graph import namespaces as ns


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.fixture
def signed(shared_data) -> dict:
    return json.loads((shared_data / "samples" / "Sample-CertOfPart-signed.jsonld").read_bytes())


def make_cert(subject: str, issuer_name: str | None = None, issuer_key=None, key=None, ca: bool = False):
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name or subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key or key, hashes.SHA256()), key


def jades(payload: dict, key, chain, alg: str = "RS256", b64: bool = False, sig_time: str | None = None) -> dict:
    """A JWS JSON serialization as EDC seals it (b64:false: the payload is signed as is)."""
    header = {"alg": alg, "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in chain],
              "sigT": sig_time or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "crit": ["b64", "sigT"], "b64": b64}
    protected = b64url(json.dumps(header).encode())
    text = json.dumps(payload)
    wire = text if not b64 else b64url(text.encode())
    signing_input = protected.encode() + b"." + wire.encode()
    if alg.startswith("ES"):
        der = key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return {"payload": wire, "signatures": [{"protected": protected, "header": {}, "signature": b64url(signature)}]}


def test_ec_sample_seal_is_valid_and_trust_unknown(signed, monkeypatch):
    monkeypatch.delenv(seal.TRUST_ANCHORS_ENV, raising=False)
    opened = seal.open_seal(signed, "signed.jsonld")
    v = opened.verification
    assert v.status == "valid", v.reason
    assert v.chain_trust == "unknown"
    assert v.algorithm == "RS256"
    assert v.signing_time == "2023-09-27T12:07:01Z"
    assert "CN=TEST SEAL" in v.certificate_subject and "ANF" in v.certificate_issuer
    assert v.certificate_not_before == "2023-05-11T14:31:15Z" and v.certificate_not_after == "2025-05-10T14:31:15Z"
    credential = jsonld.decode_json(opened.payload, "payload")
    assert credential["id"] == "urn:credential:43662fb0-c31c-4afb-b501-e85aea91c0a8"


def test_tampered_payload_is_invalid(signed):
    signed["payload"] = signed["payload"].replace('"Ana"', '"Eve"', 1)
    assert '"Eve"' in signed["payload"]
    v = seal.open_seal(signed, "tampered.jsonld").verification
    assert v.status == "invalid"
    assert "does not match" in v.reason


def test_tampered_signature_is_invalid(signed):
    sig = signed["signatures"][0]["signature"]
    signed["signatures"][0]["signature"] = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert seal.open_seal(signed, "x").verification.status == "invalid"


def test_envelope_without_signature_is_a_seal_error(signed):
    del signed["signatures"]
    signed["signature"] = None
    with pytest.raises(seal.SealError, match="x.jsonld"):
        seal.open_seal(signed, "x.jsonld")


def test_truncated_sealed_file_is_a_clear_error(shared_data):
    data = (shared_data / "samples" / "Sample-CertOfPart-signed.jsonld").read_bytes()
    with pytest.raises(jsonld.DocumentError, match="signed.jsonld: truncated JSON"):
        jsonld.decode_json(data[: len(data) // 2], "signed.jsonld")


def test_chain_to_configured_anchor_is_trusted_and_other_anchor_untrusted(tmp_path, monkeypatch):
    root, root_key = make_cert("Test Root CA", ca=True)
    inter, inter_key = make_cert("Test Issuing CA", "Test Root CA", root_key, ca=True)
    leaf, leaf_key = make_cert("University Seal", "Test Issuing CA", inter_key)
    other, _ = make_cert("Unrelated Root", ca=True)
    sealed = jades({"id": "urn:x"}, leaf_key, [leaf, inter])
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setenv(seal.TRUST_ANCHORS_ENV, str(anchors))
    path = seal.trust_anchor_path()
    assert path == anchors
    v = seal.open_seal(sealed, "x", seal.load_trust_anchors(path)).verification
    assert (v.status, v.chain_trust) == ("valid", "trusted")
    assert v.certificate_subject == "CN=University Seal"
    untrusted = tmp_path / "other.pem"
    untrusted.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    v = seal.open_seal(sealed, "x", seal.load_trust_anchors(untrusted)).verification
    assert (v.status, v.chain_trust) == ("valid", "untrusted")
    assert json.loads(seal.open_seal(sealed, "x").payload) == {"id": "urn:x"}


def test_forged_intermediate_with_matching_name_is_not_trusted(tmp_path):
    root, root_key = make_cert("Test Root CA", ca=True)
    fake_inter, fake_key = make_cert("Test Issuing CA", ca=True)  # self-signed, same name as a real intermediate
    leaf, leaf_key = make_cert("Seal", "Test Issuing CA", fake_key)
    sealed = jades({"id": "urn:y"}, leaf_key, [leaf, fake_inter])
    v = seal.open_seal(sealed, "x", [root]).verification
    assert v.status == "valid" and v.chain_trust == "untrusted"


def test_encoded_payload_and_ecdsa_are_verified():
    key = ec.generate_private_key(ec.SECP256R1())
    cert, _ = make_cert("EC Seal", key=key)
    sealed = jades({"id": "urn:z"}, key, [cert], alg="ES256", b64=True)
    opened = seal.open_seal(sealed, "x")
    assert opened.verification.status == "valid"
    assert json.loads(opened.payload) == {"id": "urn:z"}


def test_signing_time_outside_certificate_validity_is_invalid():
    cert, key = make_cert("Seal")
    sealed = jades({"id": "urn:w"}, key, [cert], sig_time="2001-01-01T00:00:00Z")
    v = seal.open_seal(sealed, "x").verification
    assert v.status == "invalid" and "outside the certificate validity" in v.reason


def test_unsupported_algorithm_is_unverifiable():
    cert, key = make_cert("Seal")
    sealed = jades({"id": "urn:v"}, key, [cert])
    header = json.loads(base64.urlsafe_b64decode(sealed["signatures"][0]["protected"] + "=="))
    header["alg"] = "HS256"
    sealed["signatures"][0]["protected"] = b64url(json.dumps(header).encode())
    assert seal.open_seal(sealed, "x").verification.status == "unverifiable"


def test_verification_as_rdf(signed):
    v = seal.open_seal(signed, "x").verification
    node = ox.NamedNode(ns.CG_ID + "report/x-seal")
    triples = {(t.predicate.value[len(ns.CG):], t.object.value) for t in v.to_triples(node) if t.predicate.value.startswith(ns.CG)}
    assert ("sealStatus", "valid") in triples and ("chainTrust", "unknown") in triples
    assert ("signatureAlgorithm", "RS256") in triples and ("signingTime", "2023-09-27T12:07:01Z") in triples


def test_non_ca_certificate_cannot_vouch_for_a_chain():
    root, root_key = make_cert("Root", ca=True)
    middle, middle_key = make_cert("Not a CA", "Root", root_key, ca=False)
    leaf, leaf_key = make_cert("Seal", "Not a CA", middle_key)
    sealed = jades({"id": "urn:u"}, leaf_key, [leaf, middle])
    v = seal.open_seal(sealed, "x", [root]).verification
    assert v.status == "valid" and v.chain_trust == "untrusted"
