"""Sealed EDC credentials (JAdES): the JWS JSON serialisation, verified with joserfc.

A sealed EDC is ``{"payload": "<credential JSON>", "signatures": [{"protected": ...,
"header": {...}, "signature": ...}]}`` (general JSON serialisation; the flattened
form ``{"payload", "protected", "header", "signature"}`` is read too), usually with
an unencoded payload (RFC 7797: ``"b64": false``, which must be listed in
``"crit"``). The JWS work (header and ``crit`` rules, RFC 7797 signing input,
algorithm and key agreement, ECDSA signature lengths, the signature itself) is
done by joserfc through its public API (``jws.deserialize_json`` with a
``JWSRegistry``); this module adds what a seal needs on top of a JWS:

- the key comes from the first certificate of ``x5c`` in the protected header
  (required: a seal without a certificate is no seal); ``x5t#S256``, when
  present, must be that certificate's SHA-256 thumbprint;
- only public-key algorithms are accepted (RS*, PS*, ES*); ``none`` and the
  HMAC algorithms (a shared secret proves nothing about the issuer) are not;
- the claimed signing time (``sigT``) must lie in the certificate's validity;
  the verdict says both whether the certificate was valid then and whether it
  has expired since (a seal made with a then-valid certificate stays valid);
- only if trust anchors are configured: whether the ``x5c`` chain leads to one
  of them ("trusted" / "untrusted"); otherwise chain trust is "unknown".

The status is "valid" or "invalid". Not verified, and therefore never claimed:
revocation data, and the timestamp tokens (``adoTst``, unsigned header).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyoxigraph as ox
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc import jws
from joserfc.errors import (
    BadSignatureError,
    InvalidKeyCurveError,
    InvalidKeyTypeError,
    JoseError,
    MissingCritHeaderError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry
from joserfc.registry import HeaderParameter

from credgraph.graph import namespaces as ns

TRUST_ANCHORS_ENV = "CREDGRAPH_TRUST_ANCHORS"

#: Public-key algorithms a seal may use (RFC 7518 names). Not ``none``, not HS*.
SEAL_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")

_DER = Encoding.DER
# Bounds on what a document may make us parse and verify (the chain search is
# quadratic in the chain length); real seals have one signature and 1-4 certificates.
MAX_SIGNATURES = 10
MAX_CHAIN = 10
# A signing time this far ahead of the clock is not a clock difference.
_CLOCK_SKEW = timedelta(minutes=5)


class SealError(ValueError):
    """A sealed document is malformed (not a signature problem: the envelope itself)."""


@dataclass(frozen=True)
class SealVerification:
    """What was verified about one seal; recorded as a ``cg:SealVerification``."""

    status: str  # valid | invalid
    reason: str
    algorithm: str = ""
    signing_time: str = ""
    certificate_subject: str = ""
    certificate_issuer: str = ""
    certificate_not_before: str = ""
    certificate_not_after: str = ""
    chain_trust: str = "unknown"  # unknown | trusted | untrusted

    @property
    def valid(self) -> bool:
        return self.status == "valid"

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


# -- the joserfc registry for seals ---------------------------------------------


def _is_signing_time(value: object) -> None:
    if not isinstance(value, str) or _parse_time(value) is None:
        raise ValueError("must be a date-time string (ISO 8601)")


def _is_object(value: object) -> None:
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")


class _SealRegistry(JWSRegistry):
    """joserfc's JWS registry with limits that fit a JAdES seal.

    joserfc's defaults are sized for tokens (512-byte header, 128 KB payload).
    A JAdES protected header carries the certificate chain and timestamp
    tokens (the EC sample's is ~10 KB), and an EDC payload may embed images;
    the ingest's document size limit has bounded the whole document already.
    """

    max_header_length = 256 * 1024
    max_payload_length = 64 * 1024 * 1024
    max_signature_length = 4096  # base64url of a 16384-bit RSA signature


#: The JAdES header parameters a seal may list in ``crit`` and that this module
#: handles: ``sigT`` is checked against the certificate; ``adoTst`` (timestamp
#: tokens) is recognised and reported as not verified. Any other critical
#: extension (``sigD``: detached content, ...) makes the seal invalid.
_JADES_HEADERS = {
    "sigT": HeaderParameter("Claimed signing time (JAdES)", _is_signing_time),
    "adoTst": HeaderParameter("Timestamp tokens over the signed data (JAdES; not verified)", _is_object),
}

# Non-strict: RFC 7515 says header parameters that are not understood and not
# critical are ignored (JAdES seals carry several: x5t#o, sigPl, srCms, etsiU).
_REGISTRY = _SealRegistry(_JADES_HEADERS, algorithms=SEAL_ALGORITHMS, strict_check_header=False)


class _CertificateProblem(Exception):
    """The ``x5c`` header does not give a usable certificate."""


# -- reading the envelope --------------------------------------------------------


def is_sealed(document: object) -> bool:
    """True if ``document`` (parsed JSON) looks like a JWS JSON serialisation."""
    return isinstance(document, dict) and "payload" in document and ("signatures" in document or "signature" in document)


def _b64url(text: object, what: str, name: str) -> bytes:
    if not isinstance(text, str):
        raise SealError(f"{name}: seal {what} is not a string")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SealError(f"{name}: seal {what} is not base64url") from None


def _signature_entries(document: dict, name: str) -> list[dict]:
    """The signature objects of a general or flattened JWS JSON serialisation, shape-checked."""
    if "signatures" in document:
        entries = document["signatures"]
        if not isinstance(entries, list) or not entries:
            raise SealError(f"{name}: sealed document has no signatures")
        if len(entries) > MAX_SIGNATURES:
            raise SealError(f"{name}: sealed document has {len(entries)} signatures (at most {MAX_SIGNATURES} are read)")
    else:
        entries = [{k: document[k] for k in ("protected", "header", "signature") if k in document}]
    for index, entry in enumerate(entries):
        where = f"signature {index + 1}"
        if not isinstance(entry, dict) or not isinstance(entry.get("signature"), str):
            raise SealError(f"{name}: sealed document: {where} has no signature string")
        if not isinstance(entry.get("protected"), str):
            raise SealError(f"{name}: sealed document: {where} has no protected header")
        if "header" in entry and not isinstance(entry["header"], dict):
            raise SealError(f"{name}: sealed document: {where} unprotected header is not a JSON object")
    return entries


def protected_header(entry: dict, name: str) -> dict:
    """The decoded protected header of one signature object."""
    data = _b64url(entry.get("protected"), "protected header", name)
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SealError(f"{name}: seal protected header is not JSON") from None
    if not isinstance(value, dict):
        raise SealError(f"{name}: seal protected header is not a JSON object")
    return value


def _payload(payload: str, header: dict, name: str) -> bytes:
    """The credential bytes: the payload as is when ``b64`` is false (RFC 7797), else base64url-decoded.

    Read whatever the verdict, so that a refused document can still be shown
    and quarantined; the verdict (joserfc) also checks the ``b64``/``crit`` rules.
    """
    if header.get("b64") is False:
        return payload.encode("utf-8")
    return _b64url(payload, "payload", name)


# -- verifying ------------------------------------------------------------------------


def trust_anchor_path(configured: str | Path | None = None) -> Path | None:
    """The trust anchor PEM file ``configured`` (``--trust-anchors``, else the settings'
    ``trust_anchors``, which ``CREDGRAPH_TRUST_ANCHORS`` sets), or None."""
    return Path(configured) if configured else None


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
    """The payload of a sealed document and the verdict on its seal(s).

    Raises :class:`SealError` only when the envelope is malformed (no payload,
    no signature, a protected header that is not base64url JSON); everything
    about the signature itself is a verdict, "valid" or "invalid". Every
    signature of a general serialisation must verify; the details recorded
    (algorithm, certificate, trust) are those of the first.
    """
    payload = document.get("payload")
    if not isinstance(payload, str):
        raise SealError(f"{name}: sealed document has no payload string")
    entries = _signature_entries(document, name)
    headers = [protected_header(entry, name) for entry in entries]
    first = headers[0]
    credential = _payload(payload, first, name)
    algorithm = first.get("alg") if isinstance(first.get("alg"), str) else ""
    signing_time = _normalise_time(first.get("sigT"))

    problem = _jws_problem(document)
    if problem:
        return OpenedSeal(credential, SealVerification("invalid", problem, algorithm, signing_time))
    certificates = [_certificates(h) for h in headers]  # readable: the key finder read them
    leaf = certificates[0][0]
    details = dict(
        algorithm=algorithm,
        signing_time=signing_time,
        certificate_subject=leaf.subject.rfc4514_string(),
        certificate_issuer=leaf.issuer.rfc4514_string(),
        certificate_not_before=_iso(leaf.not_valid_before_utc),
        certificate_not_after=_iso(leaf.not_valid_after_utc),
    )
    reasons = [f"{algorithm} signature verified by joserfc against the x5c certificate"]
    if len(headers) > 1:
        reasons[0] = f"all {len(headers)} signatures verified by joserfc against their x5c certificates"
    for index, (header, chain) in enumerate(zip(headers, certificates)):
        ok, text = _signing_time_verdict(header.get("sigT"), chain[0])
        if len(headers) > 1:
            text = f"signature {index + 1}: {text}"
        if not ok:
            return OpenedSeal(credential, SealVerification("invalid", text, **details))
        reasons.append(text)
    if "adoTst" in first:
        reasons.append("timestamp tokens (adoTst) present, not verified")
    trust = chain_trust(certificates[0], trust_anchors) if trust_anchors is not None else "unknown"
    if trust == "unknown":
        reasons.append("chain trust unknown (no trust anchors configured)")
    else:
        reasons.append(f"chain {trust} (signatures up to the configured anchors; revocation not checked)")
    return OpenedSeal(credential, SealVerification("valid", "; ".join(reasons), chain_trust=trust, **details))


def _jws_problem(document: dict) -> str:
    """Why joserfc does not accept the JWS with the ``x5c`` keys ("" when it verifies)."""
    try:
        jws.deserialize_json(document, _certificate_key, registry=_REGISTRY)
    except _CertificateProblem as exc:
        return str(exc)
    except BadSignatureError:
        return "the signature does not match the payload and the x5c certificate (content altered or wrong key)"
    except UnsupportedAlgorithmError:
        return _algorithm_problem(document)
    except MissingCritHeaderError as exc:
        if _b64_not_critical(document):
            return 'b64:false (unencoded payload, RFC 7797) but "b64" is not listed in "crit" (RFC 7797 section 6)'
        return f"a header parameter listed in crit is missing ({exc.description})"
    except InvalidKeyCurveError as exc:
        return f"algorithm and certificate key disagree: {exc.description}"
    except InvalidKeyTypeError as exc:
        return f"algorithm and certificate key disagree: {exc.description}"
    except JoseError as exc:
        return f"{exc.error}: {exc.description}" if exc.description else exc.error
    except (TypeError, KeyError, ValueError) as exc:
        # joserfc assumes some header values have the right JSON type before
        # it checks them (e.g. iterates "crit"); hostile input must still get a verdict.
        return f"malformed JWS header ({type(exc).__name__}: {exc})"
    return ""


def _b64_not_critical(document: dict) -> bool:
    for entry in _signature_entries(document, ""):
        header = protected_header(entry, "")
        crit = header.get("crit")
        if header.get("b64") is False and not (isinstance(crit, list) and "b64" in crit):
            return True
    return False


def _algorithm_problem(document: dict) -> str:
    algs = []
    for entry in _signature_entries(document, ""):
        alg = {**entry.get("header", {}), **protected_header(entry, "")}.get("alg")
        if alg not in SEAL_ALGORITHMS:
            algs.append(alg)
    alg = algs[0] if algs else None
    if alg == "none":
        return "alg 'none': an unsigned JWS is not a seal"
    if isinstance(alg, str) and alg.startswith("HS"):
        return f"alg {alg!r} is an HMAC (shared secret), which cannot show who sealed the document; a seal needs a certificate's key (RS*, PS*, ES*)"
    return f"signature algorithm {alg!r} is not accepted for a seal (accepted: {', '.join(SEAL_ALGORITHMS)})"


def _certificate_key(member) -> RSAKey | ECKey:
    """joserfc's key finder: the public key of the first certificate of the protected ``x5c``."""
    leaf = _certificates(member.protected or {})[0]
    key = leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return RSAKey.import_key(key)
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
            raise _CertificateProblem(f"the x5c certificate's key is on curve {key.curve.name}, not P-256, P-384 or P-521")
        return ECKey.import_key(key)
    raise _CertificateProblem(f"the x5c certificate's key ({type(key).__name__}) is neither RSA nor EC")


def _certificates(header: dict) -> list[x509.Certificate]:
    """The ``x5c`` chain of a protected header, leaf first; :class:`_CertificateProblem` when absent or unreadable."""
    chain = header.get("x5c")
    if chain is None:
        raise _CertificateProblem("no x5c certificate in the protected header: nothing ties the seal to an issuer")
    if not isinstance(chain, list) or not chain:
        raise _CertificateProblem("x5c in the protected header is not a non-empty list of certificates")
    if len(chain) > MAX_CHAIN:
        raise _CertificateProblem(f"x5c holds {len(chain)} certificates (at most {MAX_CHAIN} are read)")
    certificates = []
    for index, text in enumerate(chain):
        try:
            der = base64.b64decode(text, validate=True)  # x5c is base64, not base64url (RFC 7515 4.1.6)
            certificates.append(x509.load_der_x509_certificate(der))
        except (ValueError, TypeError, binascii.Error):
            raise _CertificateProblem(f"x5c certificate {index + 1} is not a base64 DER X.509 certificate") from None
    thumbprint = header.get("x5t#S256")
    if thumbprint is not None:
        expected = base64.urlsafe_b64encode(hashlib.sha256(certificates[0].public_bytes(_DER)).digest()).rstrip(b"=").decode()
        if thumbprint != expected:
            raise _CertificateProblem("x5t#S256 is not the thumbprint of the first x5c certificate")
    return certificates


def _signing_time_verdict(value: object, leaf: x509.Certificate) -> tuple[bool, str]:
    """Whether the claimed signing time fits the certificate, and what to say about its validity then and now."""
    now = datetime.now(timezone.utc)
    before, after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    since = f"expired since {_iso(after)}" if after < now else f"still valid now (until {_iso(after)})"
    when = _parse_time(value) if isinstance(value, str) else None
    if when is None:
        if not (before <= now <= after):
            return False, f"no signing time (sigT) and the certificate is not valid now (valid {_iso(before)} to {_iso(after)})"
        return True, f"no signing time (sigT); the certificate is valid now (until {_iso(after)})"
    if when > now + _CLOCK_SKEW:
        return False, f"signing time {_iso(when)} lies in the future"
    if not (before <= when <= after):
        return False, f"signing time {_iso(when)} lies outside the certificate validity period ({_iso(before)} to {_iso(after)})"
    return True, f"certificate valid at the claimed signing time {_iso(when)}, {since}"


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


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _normalise_time(value: object) -> str:
    when = _parse_time(value) if isinstance(value, str) else None
    return _iso(when) if when else ""


def _parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
