"""Sealed EDC credentials: JAdES JWS JSON serialization, verified with ``cryptography``.

A sealed EDC is ``{"payload": "<credential JSON>", "signatures": [{"protected": ...,
"header": {...}, "signature": ...}]}`` with an unencoded payload (``b64: false``):
the signing input is ``ASCII(BASE64URL(protected)) || '.' || payload bytes``.

What is verified, and therefore what :class:`SealVerification` may claim:
- the signature over the payload, against the public key of the first ``x5c``
  certificate ("valid" / "invalid"; "unverifiable" when it cannot be checked);
- whether the claimed signing time (``sigT``) lies in the certificate's validity;
- only if a trust anchor file is configured: whether the ``x5c`` chain leads to
  one of the anchors ("trusted" / "untrusted"); otherwise chain trust is "unknown".
Not verified: revocation data and the timestamp tokens in the unsigned header.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding

from credgraph.graph import namespaces as ns

TRUST_ANCHORS_ENV = "CREDGRAPH_TRUST_ANCHORS"

_DER = Encoding.DER
_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


class SealError(ValueError):
    """A sealed document is malformed (not a signature problem: the envelope itself)."""


@dataclass(frozen=True)
class SealVerification:
    """What was verified about one seal; recorded as a ``cg:SealVerification``."""

    status: str  # valid | invalid | unverifiable
    reason: str
    algorithm: str = ""
    signing_time: str = ""
    certificate_subject: str = ""
    certificate_issuer: str = ""
    certificate_not_before: str = ""
    certificate_not_after: str = ""
    chain_trust: str = "unknown"  # unknown | trusted | untrusted

    def to_triples(self, node: ox.NamedNode) -> list[ox.Triple]:
        """The ``cg:SealVerification`` statements about ``node``."""
        cg = ns.CG
        xsd_dt = ox.NamedNode(ns.XSD + "dateTime")
        triples = [
            ox.Triple(node, ox.NamedNode(ns.RDF + "type"), ox.NamedNode(cg + "SealVerification")),
            ox.Triple(node, ox.NamedNode(cg + "sealStatus"), ox.Literal(self.status)),
            ox.Triple(node, ox.NamedNode(cg + "statusReason"), ox.Literal(self.reason)),
            ox.Triple(node, ox.NamedNode(cg + "chainTrust"), ox.Literal(self.chain_trust)),
        ]
        for prop, value, typed in (
            ("signatureAlgorithm", self.algorithm, False),
            ("signingTime", self.signing_time, True),
            ("certificateSubject", self.certificate_subject, False),
            ("certificateIssuer", self.certificate_issuer, False),
            ("certificateNotBefore", self.certificate_not_before, True),
            ("certificateNotAfter", self.certificate_not_after, True),
        ):
            if value:
                literal = ox.Literal(value, datatype=xsd_dt) if typed else ox.Literal(value)
                triples.append(ox.Triple(node, ox.NamedNode(cg + prop), literal))
        return triples


@dataclass(frozen=True)
class OpenedSeal:
    """The credential inside a seal, and the verdict on the seal."""

    payload: bytes
    verification: SealVerification


def is_sealed(document: object) -> bool:
    """True if ``document`` (parsed JSON) looks like a JWS JSON serialization."""
    return isinstance(document, dict) and "payload" in document and ("signatures" in document or "signature" in document)


def _b64url(text: str, what: str, name: str) -> bytes:
    if not isinstance(text, str):
        raise SealError(f"{name}: seal {what} is not a string")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SealError(f"{name}: seal {what} is not base64url") from None


def trust_anchor_path(configured: str | Path | None = None) -> Path | None:
    """The trust anchor PEM file: ``configured``, else ``$CREDGRAPH_TRUST_ANCHORS``, else None."""
    value = configured or os.environ.get(TRUST_ANCHORS_ENV)
    return Path(value) if value else None


def load_trust_anchors(path: Path) -> list[x509.Certificate]:
    """Certificates from a PEM file (one or more)."""
    try:
        anchors = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ValueError(f"trust anchor file {path}: {exc}") from None
    if not anchors:
        raise ValueError(f"trust anchor file {path}: no certificates")
    return anchors


def open_seal(document: dict, name: str, trust_anchors: list[x509.Certificate] | None = None) -> OpenedSeal:
    """Extract the payload of a sealed document and verify the (first) seal.

    Raises :class:`SealError` only when the envelope is malformed (no payload,
    no signature); a signature that fails is reported as status "invalid".
    """
    payload = document.get("payload")
    if not isinstance(payload, str):
        raise SealError(f"{name}: sealed document has no payload string")
    signatures = document.get("signatures")
    if signatures is None and "signature" in document:
        signatures = [{k: document[k] for k in ("protected", "header", "signature") if k in document}]
    if not isinstance(signatures, list) or not signatures or not isinstance(signatures[0], dict):
        raise SealError(f"{name}: sealed document has no signatures")
    sig = signatures[0]
    protected_text = sig.get("protected")
    header = json_object(_b64url(protected_text, "protected header", name), name)
    signature = _b64url(sig.get("signature"), "signature", name)
    b64 = header.get("b64", True)
    payload_bytes = payload.encode("utf-8")
    if b64 is False:
        credential = payload_bytes
    else:
        credential = _b64url(payload, "payload", name)
    signing_input = protected_text.encode("ascii") + b"." + payload_bytes
    return OpenedSeal(credential, verify(header, signing_input, signature, trust_anchors))


def json_object(data: bytes, name: str) -> dict:
    """A JSON object from the seal's protected header."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SealError(f"{name}: seal protected header is not JSON") from None
    if not isinstance(value, dict):
        raise SealError(f"{name}: seal protected header is not a JSON object")
    return value


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def verify(header: dict, signing_input: bytes, signature: bytes, trust_anchors: list[x509.Certificate] | None) -> SealVerification:
    """Verify ``signature`` over ``signing_input`` with the first certificate of ``header['x5c']``."""
    alg = str(header.get("alg", ""))
    signing_time = str(header.get("sigT", "")) if isinstance(header.get("sigT"), str) else ""
    chain_b64 = header.get("x5c")
    if not isinstance(chain_b64, list) or not chain_b64:
        return SealVerification("unverifiable", "no x5c certificate in the protected header", alg, signing_time)
    try:
        chain = [x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in chain_b64]
    except (ValueError, TypeError, binascii.Error) as exc:
        return SealVerification("unverifiable", f"x5c certificate cannot be read: {exc}", alg, signing_time)
    leaf = chain[0]
    details = dict(
        algorithm=alg,
        signing_time=_normalise_time(signing_time),
        certificate_subject=leaf.subject.rfc4514_string(),
        certificate_issuer=leaf.issuer.rfc4514_string(),
        certificate_not_before=_iso(leaf.not_valid_before_utc),
        certificate_not_after=_iso(leaf.not_valid_after_utc),
    )
    trust = chain_trust(chain, trust_anchors) if trust_anchors is not None else "unknown"
    status, reason = _check_signature(alg, leaf, signing_input, signature)
    if status == "valid":
        when = _parse_time(signing_time)
        if when is None:
            reason += "; no signing time (sigT) to check against the certificate validity"
        elif not (leaf.not_valid_before_utc <= when <= leaf.not_valid_after_utc):
            status, reason = "invalid", f"signing time {signing_time} lies outside the certificate validity period"
        else:
            reason += "; claimed signing time within the certificate validity (timestamp tokens and revocation not checked)"
    if trust == "unknown":
        reason += "; chain trust unknown (no trust anchors configured)"
    else:
        reason += f"; chain {trust} (signatures up to the configured anchors; revocation not checked)"
    return SealVerification(status, reason, chain_trust=trust, **details)


def _check_signature(alg: str, leaf: x509.Certificate, signing_input: bytes, signature: bytes) -> tuple[str, str]:
    family, bits = alg[:2], alg[2:]
    if family not in ("RS", "PS", "ES") or bits not in _HASHES:
        return "unverifiable", f"unsupported signature algorithm {alg!r}"
    digest = _HASHES[bits]()
    key = leaf.public_key()
    try:
        if family in ("RS", "PS"):
            if not isinstance(key, rsa.RSAPublicKey):
                return "invalid", f"{alg} signature but the certificate key is not RSA"
            pad = padding.PKCS1v15() if family == "RS" else padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
            key.verify(signature, signing_input, pad, digest)
        else:
            if not isinstance(key, ec.EllipticCurvePublicKey):
                return "invalid", f"{alg} signature but the certificate key is not EC"
            half = len(signature) // 2
            der = encode_dss_signature(int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big"))
            key.verify(der, signing_input, ec.ECDSA(digest))
    except InvalidSignature:
        return "invalid", "the signature does not match the payload and the x5c certificate (content altered or wrong key)"
    return "valid", f"{alg} signature verified against the x5c certificate"


def chain_trust(chain: list[x509.Certificate], anchors: list[x509.Certificate]) -> str:
    """'trusted' if ``chain`` (leaf first) leads, by verified signatures of CA certificates, to one of ``anchors``.

    Checked: issuer names, signatures, the CA flag of every issuer. Not
    checked: validity periods of the chain, revocation, key usage policies.
    """
    anchor_ders = {a.public_bytes(_DER) for a in anchors}
    pool = chain[1:] + anchors
    current = chain[0]
    for _ in range(len(pool) + 1):
        if current.public_bytes(_DER) in anchor_ders:
            return "trusted"
        parent = None
        for candidate in pool:
            if candidate.subject != current.issuer or candidate is current:
                continue
            if not _is_ca(candidate):
                continue  # only a CA certificate may vouch for another
            try:
                current.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, InvalidSignature):
                continue
            parent = candidate
            break
        if parent is None:
            return "untrusted"
        if parent.public_bytes(_DER) in anchor_ders:
            return "trusted"
        current = parent
    return "untrusted"


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _normalise_time(value: str) -> str:
    when = _parse_time(value)
    return _iso(when) if when else ""


def _parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)

