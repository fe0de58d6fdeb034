"""The cluster's own certificate authority, derived from one secret, `cluster_tls_seed`.

Every link between the cluster's hosts is TLS with both ends verified against this CA: etcd's
peers and clients, Patroni's REST API (HAProxy's checks), PostgreSQL's replication and
pg_rewind, and pgBackRest between the database hosts and the repository host.

Nothing is stored but the seed: the CA's key and each host's key are derived from it (HKDF),
and Ed25519 signatures are deterministic, so the same seed and host always give the same
bytes. A second deploy therefore changes no certificate, and no CA key ever lands on a host.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Fixed validity, so the bytes never depend on when the deploy ran. Rotate by changing the seed.
NOT_BEFORE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2046, 1, 1, tzinfo=datetime.UTC)
CA_NAME = "V-EdFinance cluster CA"


@dataclass(frozen=True)
class HostCertificate:
    certificate_pem: str
    key_pem: str
    ca_pem: str


def _key(seed: str, purpose: str) -> Ed25519PrivateKey:
    material = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"vedb-cluster-tls", info=purpose.encode()
    ).derive(seed.encode())
    return Ed25519PrivateKey.from_private_bytes(material)


def _serial(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big") >> 1


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _ca(seed: str) -> tuple[Ed25519PrivateKey, x509.Certificate]:
    key = _key(seed, "ca")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial(f"ca:{CA_NAME}"))
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, None)
    )
    return key, certificate


def ca_pem(seed: str) -> str:
    return _pem(_ca(seed)[1])


def host_certificate(seed: str, name: str, addresses: list[str]) -> HostCertificate:
    """A server-and-client certificate for ``name``, valid for each of ``addresses`` (IPs or
    DNS names); its common name is ``name``, which pgBackRest's tls-server-auth checks."""
    if not name or not addresses:
        raise ValueError("a host certificate needs a name and at least one address")
    ca_key, ca = _ca(seed)
    key = _key(seed, f"host:{name}")
    alternatives: list[x509.GeneralName] = []
    for address in dict.fromkeys(addresses):
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            alternatives.append(x509.DNSName(address))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(_serial(f"host:{name}:{','.join(addresses)}"))
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, None)
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return HostCertificate(_pem(certificate), key_pem, _pem(ca))
