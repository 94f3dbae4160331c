"""A throwaway PKI for the tests and the issuing benchmark: CA -> intermediate -> seal certificate.

Keys are made fresh in memory on every run (the ``cryptography`` package) and
written only into the test's temporary folder: no private key is ever committed.
The seal certificate looks like an eSeal's: organisation name, country and
``organizationIdentifier`` (which becomes the issuer's eIDAS legal identifier).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@dataclass
class Pki:
    key_file: Path
    chain_file: Path  # leaf, intermediate (PEM)
    root_file: Path  # the CA certificate, as a trust anchor
    private_key: object
    leaf: x509.Certificate


def _name(common: str, org: str = "Throwaway Test PKI", organisation_id: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ES"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
             x509.NameAttribute(NameOID.COMMON_NAME, common)]
    if organisation_id:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, organisation_id))
    return x509.Name(parts)


def _certificate(subject: x509.Name, public_key, issuer: x509.Name, issuer_key, *, ca: bool, not_before: datetime,
                 not_after: datetime, key_usage: x509.KeyUsage) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(key_usage, critical=True))
    return builder.sign(issuer_key, hashes.SHA256())


def _usage(*, sign: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)


def new_key(kind: str):
    """A fresh private key: ``rsa`` (2048 bits) or ``ec`` (P-256)."""
    return rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())


def make_pki(folder: Path, kind: str = "ec", *, valid_from: datetime | None = None, valid_days: int = 30,
             signing_usage: bool = True, seal_key=None, certified_key=None) -> Pki:
    """CA, intermediate and seal certificate in ``folder``.

    ``seal_key`` is the private key written to the key file; ``certified_key``
    the one the seal certificate certifies (different: a key that does not
    match its certificate). ``signing_usage=False`` gives a certificate
    allowed only key encipherment.
    """
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    start = valid_from or now
    ca_key, mid_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name, mid_name = _name("Throwaway Root CA"), _name("Throwaway Intermediate CA")
    ca = _certificate(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True, not_before=now, not_after=now + timedelta(days=365),
                      key_usage=_usage(ca=True))
    mid = _certificate(mid_name, mid_key.public_key(), ca_name, ca_key, ca=True, not_before=now, not_after=now + timedelta(days=365),
                       key_usage=_usage(ca=True))
    seal_key = seal_key or new_key(kind)
    certified = certified_key or seal_key
    usage = _usage(sign=True) if signing_usage else x509.KeyUsage(False, False, True, False, False, False, False, False, False)
    leaf = _certificate(_name("Centro de Formacion Sierra Clara eSeal (test)", "Centro de Formacion Sierra Clara (fictional)",
                              "VATES-A00000000"), certified.public_key(), mid_name, mid_key, ca=False,
                        not_before=start, not_after=start + timedelta(days=valid_days), key_usage=usage)
    key_file, chain_file, root_file = folder / "seal-key.pem", folder / "seal-chain.pem", folder / "root.pem"
    key_file.write_bytes(seal_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_file.chmod(0o600)
    chain_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + mid.public_bytes(serialization.Encoding.PEM))
    root_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return Pki(key_file, chain_file, root_file, seal_key, leaf)
