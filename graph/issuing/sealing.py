"""Sealing issued credentials: JAdES-style JWS JSON serialisation, signed through joserfc.

The seal has the shape of the EC samples (``Sample-CertOfPart-signed.jsonld``)::

    {"payload": "<the credential JSON, as is>",
     "signatures": [{"protected": "<base64url of the header>", "signature": "..."}]}

with an unencoded payload (RFC 7797: ``"b64": false``, listed in ``crit``), the
signing certificate and its chain in ``x5c``, its SHA-256 thumbprint in
``x5t#S256`` and the claimed signing time in ``sigT`` (also critical, as JAdES
requires). Algorithms: RS256, PS256 (RSA keys) and ES256 (P-256 keys).

The key and certificate are checked before anything is signed, each with a
one-line error: the certificate must be valid now, carry the key's public half,
and allow digital signatures (key usage ``digitalSignature`` or
``nonRepudiation``, the bit eSeal certificates set). Nothing here checks trust:
that is the relying party's business (``seal.py`` verifies).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.registry import HeaderParameter

ALGORITHMS = ("RS256", "PS256", "ES256")


class SealingError(ValueError):
    """The key or certificate cannot seal credentials (one line, naming the file and the problem)."""


def _registry() -> jws.JWSRegistry:
    """joserfc's registry for these seals: our three algorithms, ``sigT`` known, no header size limit.

    joserfc limits protected headers to 512 bytes by default; a header with an
    ``x5c`` chain is several kilobytes, and credentials run to megabytes.
    """
    registry = jws.JWSRegistry(
        header_registry={"sigT": HeaderParameter("JAdES claimed signing time", "str")},
        algorithms=list(ALGORITHMS),
    )
    registry.max_header_length = 1 << 20
    registry.max_payload_length = 1 << 31
    registry.max_signature_length = 1 << 12
    return registry


REGISTRY = _registry()


@dataclass(frozen=True)
class SealingKey:
    """A checked private key with its certificate chain (leaf first), ready to seal."""

    algorithm: str
    private_key: object  # a cryptography private key
    chain: tuple[x509.Certificate, ...]
    source: str  # the file(s) it came from, for messages

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]

    def header(self, signing_time: datetime) -> dict:
        """The protected header of a seal made at ``signing_time``."""
        leaf_der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "alg": self.algorithm,
            "typ": "jose+json",
            "cty": "json",
            "x5t#S256": base64.urlsafe_b64encode(hashlib.sha256(leaf_der).digest()).rstrip(b"=").decode("ascii"),
            "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in self.chain],
            "b64": False,
            "sigT": signing_time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "crit": ["b64", "sigT"],
        }

    def legal_identifier(self) -> tuple[str, str] | None:
        """(NAL country code, notation) from the certificate's organizationIdentifier (eSeal certificates carry it), or None."""
        from credgraph.graph.sources.catalogue_terms import country_code

        subject = self.certificate.subject
        ids = subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_IDENTIFIER)
        countries = subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
        if not ids or not countries:
            return None
        country = country_code(str(countries[0].value))
        return (country, str(ids[0].value)) if country else None

    def jwk(self):
        """The key as a joserfc key object."""
        return ECKey.import_key(self.private_key) if isinstance(self.private_key, ec.EllipticCurvePrivateKey) else RSAKey.import_key(self.private_key)


def load_sealing_key(key_path: str | Path, cert_path: str | Path | None = None, *, password: bytes | None = None,
                     algorithm: str | None = None, now: datetime | None = None) -> SealingKey:
    """Read a PEM private key with a PEM certificate chain (leaf first), or one PKCS#12 file, and check them.

    ``key_path`` ending in ``.p12``/``.pfx`` is read as PKCS#12 (``cert_path``
    then names extra chain certificates, if any). ``algorithm`` defaults to
    ES256 for EC keys and RS256 for RSA keys.
    """
    key_path = Path(key_path)
    try:
        key_bytes = key_path.read_bytes()
    except OSError as exc:
        raise SealingError(f"{key_path}: cannot read the key ({exc.strerror})") from None
    chain: list[x509.Certificate] = []
    if key_path.suffix.lower() in (".p12", ".pfx"):
        try:
            private_key, leaf, extra = pkcs12.load_key_and_certificates(key_bytes, password)
        except (ValueError, TypeError) as exc:
            raise SealingError(f"{key_path}: not a readable PKCS#12 file or wrong password ({exc})") from None
        if private_key is None or leaf is None:
            raise SealingError(f"{key_path}: the PKCS#12 file holds no private key with its certificate")
        chain = [leaf, *extra]
    else:
        try:
            private_key = serialization.load_pem_private_key(key_bytes, password)
        except (ValueError, TypeError) as exc:
            raise SealingError(f"{key_path}: not a readable PEM private key or wrong password ({exc})") from None
    if cert_path is not None:
        cert_path = Path(cert_path)
        try:
            chain += x509.load_pem_x509_certificates(cert_path.read_bytes())
        except OSError as exc:
            raise SealingError(f"{cert_path}: cannot read the certificate ({exc.strerror})") from None
        except ValueError as exc:
            raise SealingError(f"{cert_path}: not a PEM certificate chain ({exc})") from None
    if not chain:
        raise SealingError(f"{key_path}: no certificate given (--cert with the PEM chain, leaf first)")
    source = str(cert_path or key_path)
    return check_sealing_key(private_key, chain, algorithm=algorithm, now=now, source=source)


def check_sealing_key(private_key, chain: list[x509.Certificate], *, algorithm: str | None = None,
                      now: datetime | None = None, source: str = "certificate") -> SealingKey:
    """A :class:`SealingKey` if ``private_key`` and ``chain[0]`` can seal now; else :class:`SealingError`."""
    leaf = chain[0]
    now = now or datetime.now(timezone.utc)
    subject = leaf.subject.rfc4514_string()
    if now < leaf.not_valid_before_utc:
        raise SealingError(f"{source}: certificate {subject} is not valid yet (valid from {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC)")
    if now > leaf.not_valid_after_utc:
        raise SealingError(f"{source}: certificate {subject} expired on {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
    if private_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != \
            leaf.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise SealingError(f"{source}: the private key does not match the certificate {subject}")
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            raise SealingError(f"{source}: certificate {subject} does not allow digital signatures (key usage without digitalSignature)")
    except x509.ExtensionNotFound:
        pass  # no key usage extension: any use is allowed (RFC 5280, 4.2.1.3)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise SealingError(f"{source}: EC key on {private_key.curve.name}; ES256 needs a P-256 key")
        allowed, default = ("ES256",), "ES256"
    elif isinstance(private_key, rsa.RSAPrivateKey):
        if private_key.key_size < 2048:
            raise SealingError(f"{source}: RSA key of {private_key.key_size} bits; at least 2048 are needed")
        allowed, default = ("RS256", "PS256"), "RS256"
    else:
        raise SealingError(f"{source}: unsupported key type {type(private_key).__name__} (RSA or EC P-256 expected)")
    algorithm = algorithm or default
    if algorithm not in allowed:
        raise SealingError(f"{source}: algorithm {algorithm} does not fit the key (use {' or '.join(allowed)})")
    return SealingKey(algorithm, private_key, tuple(chain), source)


class Sealer:
    """Seals payloads with one key; the joserfc key object is made once. One per thread (it keeps the last header)."""

    def __init__(self, key: SealingKey) -> None:
        self.key = key
        self._jwk = key.jwk()
        self._header: tuple[datetime | None, dict] = (None, {})

    def seal(self, payload: bytes, signing_time: datetime | None = None) -> dict:
        """The JWS JSON serialisation (general form, one signature) of ``payload``, unencoded."""
        signing_time = signing_time or datetime.now(timezone.utc)
        if self._header[0] != signing_time:  # a batch shares its signing time: the header (x5c chain) is made once
            self._header = (signing_time, self.key.header(signing_time))
        header = self._header[1]
        try:
            return jws.serialize_json([{"protected": header}], payload, self._jwk, registry=REGISTRY)
        except JoseError as exc:  # a bug here, not bad input: say what joserfc refused
            raise SealingError(f"{self.key.source}: joserfc could not seal: {exc}") from None


def sealed_bytes(sealed: dict) -> bytes:
    """The sealed document as the file bytes written out (UTF-8 JSON; the payload stays a string)."""
    return json.dumps(sealed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
