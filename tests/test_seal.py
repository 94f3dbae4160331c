"""Seals: JAdES JWS JSON serialisation checked through joserfc.

Every key here is generated for the run (a throwaway CA, intermediate and seal
certificate, made with ``cryptography``); no private key is committed. Seals
are made by an independent signer written with ``cryptography`` (not with
joserfc, the verifier under test), so that a bug in one cannot hide in the other.
The only real seal is the EC sample in ``tests/data/samples``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from credgraph.graph.sources import ingest
from credgraph.graph.sources import jsonld
from credgraph.graph.sources.jsonld_contexts import DocumentError
from credgraph.graph.sources import seal
from credgraph.graph.sources import vocab
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.document_steps import IngestOptions
from credgraph.graph.sources.document_reading import SourceDocument
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings

from conftest import dump_lines

SAMPLES = Path(__file__).parent / "data" / "samples"
SIGNED = SAMPLES / "Sample-CertOfPart-signed.jsonld"
UNSIGNED = SAMPLES / "Sample-CertOfPart-unsigned.jsonld"
NOW = dt.datetime.now(dt.timezone.utc)
VOCABS = ["learning-assessment", "credential", "education-credit", "eqf", "assessment", "learning-setting"]
_HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- a throwaway PKI ---------------------------------------------------------------


def make_cert(subject: str, issuer_name: str | None = None, issuer_key=None, key=None, ca: bool = False,
              not_before: dt.datetime | None = None, not_after: dt.datetime | None = None):
    """A certificate for ``subject`` (self-signed unless ``issuer_key``), and its private key."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name or subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=30))
        .not_valid_after(not_after or NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key or key, hashes.SHA256()), key


@dataclass
class Pki:
    root: x509.Certificate
    root_key: object
    inter: x509.Certificate
    inter_key: object
    leaf: x509.Certificate  # EC P-256 seal certificate
    leaf_key: object

    def seal_cert(self, key, **validity):
        """Another seal certificate from the intermediate, for ``key``."""
        return make_cert("University Seal", "Test Issuing CA", self.inter_key, key=key, **validity)[0]


@pytest.fixture(scope="module")
def pki() -> Pki:
    root, root_key = make_cert("Test Root CA", ca=True)
    inter, inter_key = make_cert("Test Issuing CA", "Test Root CA", root_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf, _ = make_cert("University Seal", "Test Issuing CA", inter_key, key=leaf_key)
    return Pki(root, root_key, inter, inter_key, leaf, leaf_key)


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def x5c(*chain: x509.Certificate) -> list[str]:
    return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in chain]


def sign(alg: str, key, signing_input: bytes) -> bytes:
    """A JWS signature over ``signing_input`` (RFC 7518), written with ``cryptography``."""
    family, bits = alg[:2], alg[2:]
    if alg == "none":
        return b""
    if family == "HS":
        return hmac.new(key, signing_input, getattr(hashlib, f"sha{bits}")).digest()
    digest = _HASH[bits]()
    if family == "RS":
        return key.sign(signing_input, padding.PKCS1v15(), digest)
    if family == "PS":
        return key.sign(signing_input, padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size), digest)
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(digest)))
    size = (key.curve.key_size + 7) // 8  # what a signer using the key's own curve size writes
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def jades(payload: bytes | dict, key, chain, alg: str = "ES256", b64: bool = False, sig_time: str | None = None,
          flattened: bool = False, **header) -> dict:
    """A JWS JSON serialisation as EDC seals it; ``header`` overrides protected header members (None drops one)."""
    protected = {"alg": alg, "x5c": x5c(*chain), "sigT": sig_time or iso(NOW), "crit": ["b64", "sigT"], "b64": b64}
    protected.update(header)
    protected = {k: v for k, v in protected.items() if v is not None}
    protected_b64 = b64url(json.dumps(protected).encode())
    text = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    wire = text.decode() if not b64 else b64url(text)
    signature = b64url(sign(alg, key, protected_b64.encode() + b"." + wire.encode()))
    if flattened:
        return {"payload": wire, "protected": protected_b64, "signature": signature}
    return {"payload": wire, "signatures": [{"protected": protected_b64, "header": {}, "signature": signature}]}


def unsigned_bytes() -> bytes:
    return UNSIGNED.read_bytes()


def signed_sample() -> dict:
    return json.loads(SIGNED.read_bytes())


# -- the EC sample --------------------------------------------------------------------


def test_ec_sample_seal_is_valid_valid_at_signing_expired_since(monkeypatch):
    monkeypatch.delenv(seal.TRUST_ANCHORS_ENV, raising=False)
    opened = seal.open_seal(signed_sample(), "signed.jsonld")
    v = opened.verification
    assert v.status == "valid", v.reason
    assert v.chain_trust == "unknown"
    assert v.algorithm == "RS256"
    assert v.signing_time == "2023-09-27T12:07:01Z"
    assert "CN=TEST SEAL" in v.certificate_subject and "ANF" in v.certificate_issuer
    assert v.certificate_not_before == "2023-05-11T14:31:15Z" and v.certificate_not_after == "2025-05-10T14:31:15Z"
    # The sample's certificate ran out in 2025: valid when it sealed, expired since; both said.
    assert "valid at the claimed signing time 2023-09-27T12:07:01Z" in v.reason
    assert "expired since 2025-05-10T14:31:15Z" in v.reason
    assert "adoTst" in v.reason and "not verified" in v.reason
    credential = jsonld.decode_json(opened.payload, "payload")
    assert credential["id"] == "urn:credential:43662fb0-c31c-4afb-b501-e85aea91c0a8"


def test_one_byte_tamper_of_the_ec_sample_is_invalid():
    sealed = signed_sample()
    payload = sealed["payload"]
    at = payload.index('"Ana"') + 1
    sealed["payload"] = payload[:at] + "E" + payload[at + 1:]  # "Ana" -> "Ena"
    v = seal.open_seal(sealed, "tampered.jsonld").verification
    assert v.status == "invalid"
    assert "does not match" in v.reason


def test_tampered_signature_is_invalid():
    sealed = signed_sample()
    sig = sealed["signatures"][0]["signature"]
    sealed["signatures"][0]["signature"] = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert seal.open_seal(sealed, "x").verification.status == "invalid"


def test_envelope_without_signature_is_a_seal_error():
    sealed = signed_sample()
    del sealed["signatures"]
    sealed["signature"] = None
    with pytest.raises(seal.SealError, match="x.jsonld"):
        seal.open_seal(sealed, "x.jsonld")


def test_truncated_sealed_file_is_a_clear_error():
    data = SIGNED.read_bytes()
    with pytest.raises(DocumentError, match="signed.jsonld: truncated JSON"):
        jsonld.decode_json(data[: len(data) // 2], "signed.jsonld")


def test_verification_as_rdf():
    v = seal.open_seal(signed_sample(), "x").verification
    node = ox.NamedNode(ns.CG_ID + "report/x-seal")
    triples = {(t.predicate.value[len(ns.CG):], t.object.value) for t in v.to_triples(node) if t.predicate.value.startswith(ns.CG)}
    assert ("sealStatus", "valid") in triples and ("chainTrust", "unknown") in triples
    assert ("signatureAlgorithm", "RS256") in triples and ("signingTime", "2023-09-27T12:07:01Z") in triples


# -- generated seals: what is accepted ---------------------------------------------------


@pytest.mark.parametrize("alg,curve", [("ES256", ec.SECP256R1()), ("ES384", ec.SECP384R1()), ("ES512", ec.SECP521R1())])
def test_each_ecdsa_algorithm_with_its_curve_is_valid(pki, alg, curve):
    key = ec.generate_private_key(curve)
    sealed = jades({"id": "urn:e"}, key, [pki.seal_cert(key), pki.inter], alg=alg)
    v = seal.open_seal(sealed, "x").verification
    assert v.status == "valid", v.reason
    assert v.algorithm == alg


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
def test_each_rsa_algorithm_is_valid(pki, rsa_key, alg):
    sealed = jades({"id": "urn:r"}, rsa_key, [pki.seal_cert(rsa_key), pki.inter], alg=alg)
    assert seal.open_seal(sealed, "x").verification.status == "valid"


def test_flattened_serialisation_and_encoded_payload_are_verified(pki):
    flat = jades({"id": "urn:f"}, pki.leaf_key, [pki.leaf, pki.inter], flattened=True)
    opened = seal.open_seal(flat, "x")
    assert opened.verification.status == "valid", opened.verification.reason
    assert json.loads(opened.payload) == {"id": "urn:f"}
    encoded = jades({"id": "urn:z"}, pki.leaf_key, [pki.leaf], b64=True, crit=["sigT"])
    opened = seal.open_seal(encoded, "x")
    assert opened.verification.status == "valid", opened.verification.reason
    assert json.loads(opened.payload) == {"id": "urn:z"}


def test_every_signature_of_a_general_serialisation_must_verify(pki, rsa_key):
    payload = json.dumps({"id": "urn:two"}).encode()
    first = jades(payload, pki.leaf_key, [pki.leaf])
    second = jades(payload, rsa_key, [pki.seal_cert(rsa_key)], alg="RS256")
    both = {"payload": first["payload"], "signatures": first["signatures"] + second["signatures"]}
    v = seal.open_seal(both, "x").verification
    assert v.status == "valid" and v.reason.startswith("all 2 signatures verified"), v.reason
    broken = copy.deepcopy(both)
    broken["signatures"][1]["signature"] = first["signatures"][0]["signature"]
    assert seal.open_seal(broken, "x").verification.status == "invalid"


def test_chain_to_configured_anchor_is_trusted_and_other_anchor_untrusted(pki, tmp_path, monkeypatch):
    other, _ = make_cert("Unrelated Root", ca=True)
    sealed = jades({"id": "urn:x"}, pki.leaf_key, [pki.leaf, pki.inter])
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    from credgraph.settings import Settings

    path = seal.trust_anchor_path(Settings.from_env({seal.TRUST_ANCHORS_ENV: str(anchors)}).trust_anchors)
    assert path == anchors
    v = seal.open_seal(sealed, "x", seal.load_trust_anchors(path)).verification
    assert (v.status, v.chain_trust) == ("valid", "trusted")
    assert v.certificate_subject == "CN=University Seal"
    untrusted = tmp_path / "other.pem"
    untrusted.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    v = seal.open_seal(sealed, "x", seal.load_trust_anchors(untrusted)).verification
    assert (v.status, v.chain_trust) == ("valid", "untrusted")


def test_forged_intermediate_with_matching_name_is_not_trusted(pki):
    fake_inter, fake_key = make_cert("Test Issuing CA", ca=True)  # self-signed, same name as the real intermediate
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf, _ = make_cert("Seal", "Test Issuing CA", fake_key, key=leaf_key)
    sealed = jades({"id": "urn:y"}, leaf_key, [leaf, fake_inter])
    v = seal.open_seal(sealed, "x", [pki.root]).verification
    assert v.status == "valid" and v.chain_trust == "untrusted"


def test_non_ca_certificate_cannot_vouch_for_a_chain(pki):
    middle, middle_key = make_cert("Not a CA", "Test Root CA", pki.root_key, ca=False)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf, _ = make_cert("Seal", "Not a CA", middle_key, key=leaf_key)
    sealed = jades({"id": "urn:u"}, leaf_key, [leaf, middle])
    v = seal.open_seal(sealed, "x", [pki.root]).verification
    assert v.status == "valid" and v.chain_trust == "untrusted"


def test_certificate_expired_since_signing_is_valid_and_says_both(pki):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = pki.seal_cert(key, not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=10))
    signed_at = NOW - dt.timedelta(days=100)
    v = seal.open_seal(jades({"id": "urn:old"}, key, [cert], sig_time=iso(signed_at)), "x").verification
    assert v.status == "valid", v.reason
    assert f"valid at the claimed signing time {iso(signed_at)}" in v.reason
    assert f"expired since {iso(NOW - dt.timedelta(days=10))}" in v.reason


# -- generated seals: what is refused ---------------------------------------------------


def test_signing_time_outside_certificate_validity_is_invalid(pki):
    v = seal.open_seal(jades({"id": "urn:w"}, pki.leaf_key, [pki.leaf], sig_time="2001-01-01T00:00:00Z"), "x").verification
    assert v.status == "invalid" and "outside the certificate validity" in v.reason


def test_signing_time_in_the_future_is_invalid(pki):
    v = seal.open_seal(jades({"id": "urn:w"}, pki.leaf_key, [pki.leaf], sig_time=iso(NOW + dt.timedelta(days=2))), "x").verification
    assert v.status == "invalid" and "in the future" in v.reason


def test_no_signing_time_and_expired_certificate_is_invalid(pki):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = pki.seal_cert(key, not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=10))
    sealed = jades({"id": "urn:n"}, key, [cert], sigT=None, crit=["b64"])
    v = seal.open_seal(sealed, "x").verification
    assert v.status == "invalid" and "no signing time" in v.reason


def test_alg_none_is_invalid(pki):
    v = seal.open_seal(jades({"id": "urn:n"}, None, [pki.leaf], alg="none"), "x").verification
    assert v.status == "invalid" and "alg 'none'" in v.reason


def test_hs256_keyed_with_the_certificate_is_invalid(pki):
    """The classic confusion: an HMAC keyed with the (public) certificate bytes."""
    secret = pki.leaf.public_bytes(serialization.Encoding.DER)
    v = seal.open_seal(jades({"id": "urn:h"}, secret, [pki.leaf], alg="HS256"), "x").verification
    assert v.status == "invalid" and "HMAC" in v.reason


def test_unaccepted_algorithm_is_invalid(pki):
    sealed = jades({"id": "urn:k"}, pki.leaf_key, [pki.leaf])
    header = json.loads(base64.urlsafe_b64decode(sealed["signatures"][0]["protected"] + "=="))
    header["alg"] = "EdDSA"
    sealed["signatures"][0]["protected"] = b64url(json.dumps(header).encode())
    v = seal.open_seal(sealed, "x").verification
    assert v.status == "invalid" and "'EdDSA' is not accepted" in v.reason


def test_no_x5c_is_invalid(pki):
    v = seal.open_seal(jades({"id": "urn:c"}, pki.leaf_key, [], x5c=None), "x").verification
    assert v.status == "invalid" and "no x5c certificate" in v.reason


@pytest.mark.parametrize("bad", [["not base64 !"], [base64.b64encode(b"not a certificate").decode()], [], "MIIB", [42]])
def test_malformed_x5c_is_invalid(pki, bad):
    v = seal.open_seal(jades({"id": "urn:m"}, pki.leaf_key, [], x5c=bad), "x").verification
    assert v.status == "invalid" and "x5c" in v.reason, v.reason


def test_overlong_chain_and_too_many_signatures_are_refused_before_any_work(pki):
    v = seal.open_seal(jades({"id": "urn:o"}, pki.leaf_key, [pki.leaf] + [pki.inter] * seal.MAX_CHAIN), "x").verification
    assert v.status == "invalid" and "at most" in v.reason
    sealed = jades({"id": "urn:o"}, pki.leaf_key, [pki.leaf])
    sealed["signatures"] *= seal.MAX_SIGNATURES + 1
    with pytest.raises(seal.SealError, match="x: sealed document has 11 signatures"):
        seal.open_seal(sealed, "x")


def test_x5t_thumbprint_of_another_certificate_is_invalid(pki):
    other = hashlib.sha256(pki.inter.public_bytes(serialization.Encoding.DER)).digest()
    v = seal.open_seal(jades({"id": "urn:t"}, pki.leaf_key, [pki.leaf], **{"x5t#S256": b64url(other)}), "x").verification
    assert v.status == "invalid" and "x5t#S256" in v.reason


def test_es256_header_with_a_p384_key_is_invalid(pki):
    key = ec.generate_private_key(ec.SECP384R1())
    v = seal.open_seal(jades({"id": "urn:p"}, key, [pki.seal_cert(key)], alg="ES256"), "x").verification
    assert v.status == "invalid" and "disagree" in v.reason and "P-256" in v.reason


def test_es256_header_with_an_rsa_key_is_invalid(pki, rsa_key):
    sealed = jades({"id": "urn:q"}, rsa_key, [pki.seal_cert(rsa_key)], alg="RS256")
    header = json.loads(base64.urlsafe_b64decode(sealed["signatures"][0]["protected"] + "=="))
    header["alg"] = "ES256"
    sealed["signatures"][0]["protected"] = b64url(json.dumps(header).encode())
    v = seal.open_seal(sealed, "x").verification
    assert v.status == "invalid" and "disagree" in v.reason


def test_rs256_header_with_an_ec_key_is_invalid(pki):
    sealed = jades({"id": "urn:q"}, pki.leaf_key, [pki.leaf])
    header = json.loads(base64.urlsafe_b64decode(sealed["signatures"][0]["protected"] + "=="))
    header["alg"] = "RS256"
    sealed["signatures"][0]["protected"] = b64url(json.dumps(header).encode())
    assert seal.open_seal(sealed, "x").verification.status == "invalid"


def test_unencoded_payload_without_crit_is_invalid(pki):
    v = seal.open_seal(jades({"id": "urn:b"}, pki.leaf_key, [pki.leaf], crit=["sigT"]), "x").verification
    assert v.status == "invalid" and 'not listed in "crit"' in v.reason


def test_unknown_critical_extension_is_invalid(pki):
    sealed = jades({"id": "urn:d"}, pki.leaf_key, [pki.leaf], crit=["b64", "sigT", "sigD"], sigD={"mId": "x"})
    v = seal.open_seal(sealed, "x").verification
    assert v.status == "invalid" and "sigD" in v.reason


@pytest.mark.parametrize("crit", [5, "b64", [["b64"]]])
def test_malformed_crit_is_a_verdict_not_a_crash(pki, crit):
    v = seal.open_seal(jades({"id": "urn:d"}, pki.leaf_key, [pki.leaf], crit=crit), "x").verification
    assert v.status == "invalid"


def test_ecdsa_signature_of_the_wrong_length_is_invalid(pki):
    sealed = jades({"id": "urn:l"}, pki.leaf_key, [pki.leaf])
    raw = base64.urlsafe_b64decode(sealed["signatures"][0]["signature"] + "==")
    sealed["signatures"][0]["signature"] = b64url(b"\x00" + raw)  # 65 bytes: r and s no longer split in two
    v = seal.open_seal(sealed, "x").verification
    assert v.status == "invalid"


# -- the joserfc contract this module relies on ----------------------------------------------


def test_joserfc_contract():
    """What graph/sources/seal.py takes from joserfc (pinned range in pyproject.toml); fails loudly on an upgrade that changes it."""
    from joserfc import jws
    from joserfc.errors import BadSignatureError, InvalidKeyCurveError, MissingCritHeaderError, UnsupportedAlgorithmError
    from joserfc.jwk import ECKey, RSAKey

    registry = seal._REGISTRY
    # Size limits are class attributes that our subclass overrides.
    assert registry.max_header_length >= 64 * 1024 > jws.JWSRegistry.max_header_length
    # Only the accepted algorithms, whatever joserfc recommends.
    for alg in ("none", "HS256", "HS512", "EdDSA"):
        with pytest.raises(UnsupportedAlgorithmError):
            registry.get_alg(alg)
    assert all(registry.get_alg(a).name == a for a in seal.SEAL_ALGORITHMS)
    # Keys import from `cryptography` public keys; the curve is tied to the algorithm.
    p384 = ECKey.import_key(ec.generate_private_key(ec.SECP384R1()).public_key())
    with pytest.raises(InvalidKeyCurveError):
        registry.get_alg("ES256").check_key(p384)
    assert isinstance(RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()), RSAKey)
    # RFC 7797: b64:false must be critical; the signing input is the payload as is.
    key = ec.generate_private_key(ec.SECP256R1())
    protected = {"alg": "ES256", "b64": False}
    protected_b64 = b64url(json.dumps(protected).encode())
    value = {"payload": "{}", "protected": protected_b64, "signature": b64url(sign("ES256", key, protected_b64.encode() + b".{}"))}
    with pytest.raises(MissingCritHeaderError):
        jws.deserialize_json(value, ECKey.import_key(key.public_key()), registry=registry)
    protected["crit"] = ["b64"]
    protected_b64 = b64url(json.dumps(protected).encode())
    value = {"payload": "{}", "protected": protected_b64, "signature": b64url(sign("ES256", key, protected_b64.encode() + b".{}"))}
    assert jws.deserialize_json(value, ECKey.import_key(key.public_key()), registry=registry).payload == b"{}"
    value["payload"] = "{ }"
    with pytest.raises(BadSignatureError):
        jws.deserialize_json(value, ECKey.import_key(key.public_key()), registry=registry)


# -- through the ingest: status and whether stored ---------------------------------------------


def make_ws(store, tmp_path) -> Workspace:
    ws = Workspace(Settings(store="memory:", data_dir=tmp_path), store=store)  # the store under test (closed by its fixture)
    vocab.load_shipped(store, VOCABS)
    return ws


@pytest.fixture
def ws(embedded_store, tmp_path):
    w = make_ws(embedded_store, tmp_path)
    yield w
    w.close()


def run(ws, docs: list[tuple[str, bytes]], **options) -> ingest.IngestSummary:
    opts = IngestOptions(max_document_bytes=ws.settings.max_document_bytes, **options)
    return ingest.ingest_documents(ws, [SourceDocument(n, d) for n, d in docs], opts)


def seal_cases(pki: Pki, rsa_key) -> dict[str, tuple[bytes, str, bool]]:
    """name -> (document bytes, expected seal status, expected stored?): the EC credential sealed every way."""
    credential = unsigned_bytes()
    p384 = ec.generate_private_key(ec.SECP384R1())
    expired_key = ec.generate_private_key(ec.SECP256R1())
    expired = pki.seal_cert(expired_key, not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=10))
    chain = [pki.leaf, pki.inter]
    tampered = signed_sample()
    at = tampered["payload"].index('"Ana"') + 1
    tampered["payload"] = tampered["payload"][:at] + "E" + tampered["payload"][at + 1:]
    rsa_as_es = jades(credential, rsa_key, [pki.seal_cert(rsa_key)], alg="RS256")
    header = json.loads(base64.urlsafe_b64decode(rsa_as_es["signatures"][0]["protected"] + "=="))
    header["alg"] = "ES256"
    rsa_as_es["signatures"][0]["protected"] = b64url(json.dumps(header).encode())
    cases = {
        "EC sample (RS256, real seal)": (SIGNED.read_bytes(), "valid", True),
        "one-byte tamper of the EC sample": (tampered, "invalid", False),
        "generated ES256 seal, P-256, chain": (jades(credential, pki.leaf_key, chain), "valid", True),
        "alg none": (jades(credential, None, chain, alg="none"), "invalid", False),
        "HS256 keyed with the certificate": (
            jades(credential, pki.leaf.public_bytes(serialization.Encoding.DER), chain, alg="HS256"), "invalid", False),
        "no x5c": (jades(credential, pki.leaf_key, [], x5c=None), "invalid", False),
        "malformed x5c": (jades(credential, pki.leaf_key, [], x5c=["bm90IGEgY2VydGlmaWNhdGU="]), "invalid", False),
        "wrong curve (ES256 header, P-384 key)": (jades(credential, p384, [pki.seal_cert(p384)], alg="ES256"), "invalid", False),
        "RSA key with ES256": (rsa_as_es, "invalid", False),
        "b64:false without crit": (jades(credential, pki.leaf_key, chain, crit=["sigT"]), "invalid", False),
        "certificate expired since signing": (
            jades(credential, expired_key, [expired, pki.inter], sig_time=iso(NOW - dt.timedelta(days=100))), "valid", True),
    }
    return {name: (d if isinstance(d, bytes) else json.dumps(d).encode(), status, stored) for name, (d, status, stored) in cases.items()}


def stored_sources(ws) -> set[str]:
    return {row["g"].value for row in ws.store.select(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?r a <https://w3id.org/credgraph/ns#IssuanceRecord> } }").rows}


def test_seal_cases_through_the_ingest(pki, rsa_key, store, tmp_path):
    """Each case alone in an empty store: its seal status, and whether it was stored (refused ones leave the store unchanged)."""
    for index, (name, (data, status, stored)) in enumerate(seal_cases(pki, rsa_key).items()):
        store.update("DROP ALL")
        ws = make_ws(store, tmp_path / str(index))
        try:
            before = dump_lines(store)
            [result] = run(ws, [(f"case-{index}.jsonld", data)]).documents
            assert result.seal is not None and result.seal.status == status, (name, result.seal, result.problems)
            if stored:
                assert result.status == "imported", (name, result.problems)
                assert len(stored_sources(ws)) == 1, name
            else:
                assert result.status == "rejected", name
                assert dump_lines(store) == before, name
                [problem] = result.problems
                assert problem.startswith(f"case-{index}.jsonld: seal invalid: ") and "\n" not in problem, problem
        finally:
            ws.close()


def test_refused_seal_is_kept_whole_in_quarantine(ws, pki):
    data = json.dumps(jades(unsigned_bytes(), None, [pki.leaf], alg="none")).encode()
    public_before = dump_lines(ws.store)
    [result] = run(ws, [("none.jsonld", data)], quarantine=True).documents
    assert result.status == "quarantined" and result.seal.status == "invalid"
    assert dump_lines(ws.store) == public_before
    rows = ws.private.select("PREFIX cg: <https://w3id.org/credgraph/ns#> "
                             "SELECT ?status ?doc WHERE { GRAPH ?g { ?s cg:sealStatus ?status . ?q cg:originalDocument ?doc } }").rows
    assert [r["status"].value for r in rows] == ["invalid"]
    assert json.loads(rows[0]["doc"].value) == json.loads(data)


def test_sealed_record_is_not_replaced_by_an_unsealed_copy(pki, store, tmp_path):
    ws = make_ws(store, tmp_path)
    try:
        credential = unsigned_bytes()
        sealed = json.dumps(jades(credential, pki.leaf_key, [pki.leaf, pki.inter], sig_time=iso(NOW - dt.timedelta(days=2)))).encode()
        [first] = run(ws, [("sealed.jsonld", sealed)]).documents
        assert first.status == "imported" and first.seal.valid, first.problems
        stored = dump_lines(store)
        # Same credential id, other content, no seal: refused, the store unchanged, even alongside another document.
        doc = json.loads(credential)
        doc["credentialSubject"]["hasClaim"]["title"] = {"en": "Something else"}
        forged = json.dumps(doc).encode()
        [result] = run(ws, [("unsealed.jsonld", forged)]).documents
        assert result.status == "rejected"
        [problem] = result.problems
        assert problem.startswith("unsealed.jsonld: refused: credential cred-") and "valid seal" in problem and "no seal" in problem
        assert dump_lines(store) == stored
        # The EC sample's real seal is the same credential id too, sealed earlier (2023): an older seal does not replace.
        [older] = run(ws, [("ec-sample.jsonld", SIGNED.read_bytes())]).documents
        assert older.status == "rejected" and "older" in older.problems[0], older.problems
        # ... with --quarantine it is kept privately, the public store still unchanged.
        [kept] = run(ws, [("unsealed.jsonld", forged)], quarantine=True).documents
        assert kept.status == "quarantined" and dump_lines(store) == stored
        # A newer, validly sealed document replaces it.
        newer = json.dumps(jades(forged, pki.leaf_key, [pki.leaf, pki.inter], sig_time=iso(NOW - dt.timedelta(days=1)))).encode()
        [replaced] = run(ws, [("newer.jsonld", newer)]).documents
        assert replaced.status == "replaced", replaced.problems
        assert replaced.source_id == first.source_id
    finally:
        ws.close()


def test_sealed_then_unsealed_in_one_run_keeps_the_sealed_one(ws, pki):
    sealed = json.dumps(jades(unsigned_bytes(), pki.leaf_key, [pki.leaf, pki.inter])).encode()
    first, second, other = run(ws, [("sealed.jsonld", sealed), ("unsigned.jsonld", unsigned_bytes()),
                                     ("badge.json", b'{"not": "a credential"}')]).documents
    assert first.status == "imported" and second.status == "rejected" and "refused" in second.problems[0]
    assert other.status == "rejected"  # the rest of the batch goes on
    rows = ws.store.select("PREFIX cg: <https://w3id.org/credgraph/ns#> SELECT ?s WHERE { ?r cg:seal/cg:sealStatus ?s }").rows
    assert [r["s"].value for r in rows] == ["valid"]


def test_unsealed_record_may_be_replaced_by_a_sealed_one(ws):
    [first] = run(ws, [("unsigned.jsonld", unsigned_bytes())]).documents
    assert first.status == "imported", first.problems
    [second] = run(ws, [("signed.jsonld", SIGNED.read_bytes())]).documents
    assert second.status == "replaced" and second.seal.valid, second.problems


def test_cli_import_refuses_an_invalid_seal_by_file_name(pki, tmp_path, capsys):
    from credgraph.cli import main

    bad = tmp_path / "hs256.jsonld"
    bad.write_text(json.dumps(jades(unsigned_bytes(), b"secret", [pki.leaf], alg="HS256")))
    data = ["--data", str(tmp_path / "data")]
    assert main(data + ["import", "credentials", str(bad)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "hs256.jsonld: seal invalid: alg 'HS256' is an HMAC" in text


def test_api_verify_reports_an_invalid_seal_consistently(pki, tmp_path):
    from fastapi.testclient import TestClient

    from credgraph.api import create_app
    from credgraph.api.config import ApiSettings

    workspace = Workspace(Settings(data_dir=tmp_path, store="memory:"))
    vocab.load_shipped(workspace.store, VOCABS)
    with TestClient(create_app(workspace, ApiSettings(keys_file=tmp_path / "keys.json", audit_log=tmp_path / "audit.log"))) as client:
        bad = json.dumps(jades(unsigned_bytes(), None, [pki.leaf], alg="none"))
        body = client.post("/api/v1/verify", content=bad, headers={"Content-Type": "application/json"}).json()
        assert body["verdicts"]["seal"] == body["seal"]["status"] == "invalid"
        assert body["verdicts"]["readable"] is False
        assert any("seal invalid: alg 'none'" in p for p in body["problems"])
        good = json.dumps(jades(unsigned_bytes(), pki.leaf_key, [pki.leaf, pki.inter]))
        body = client.post("/api/v1/verify", content=good, headers={"Content-Type": "application/json"}).json()
        assert body["verdicts"]["seal"] == body["seal"]["status"] == "valid"
        assert body["verdicts"]["readable"] is (not body["problems"])
    workspace.close()
