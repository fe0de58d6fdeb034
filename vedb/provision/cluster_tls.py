"""The cluster's own certificate authority, derived from one secret, `cluster_tls_seed`.

Every link between the cluster's hosts is TLS with both ends verified against this CA: etcd's
peers and clients, Patroni's REST API (HAProxy's checks), PostgreSQL's replication and
pg_rewind, and pgBackRest between the database hosts and the repository host.

Nothing is stored but the seed: the CA's key and each host's key are derived from it (HKDF),
and the CA signs with deterministic ECDSA (RFC 6979), so the same seed and host always give
the same bytes. A second deploy therefore changes no certificate, and no CA key ever lands
on a host. ECDSA P-256 with SHA-256, not Ed25519: libpq's SCRAM channel binding hashes the
server certificate with its signature's digest, and Ed25519 has none ("could not find digest
for NID UNDEF").
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
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


# The order of P-256's group: a private key is a number in [1, N - 1].
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _key(seed: str, purpose: str) -> ec.EllipticCurvePrivateKey:
    material = HKDF(  # 48 bytes: reduced modulo the order, the bias is negligible (2^-128)
        algorithm=hashes.SHA256(), length=48, salt=b"vedb-cluster-tls", info=purpose.encode()
    ).derive(seed.encode())
    secret = int.from_bytes(material, "big") % (P256_ORDER - 1) + 1
    return ec.derive_private_key(secret, ec.SECP256R1())


def _serial(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big") >> 1


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _ca(seed: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
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
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
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
        with contextlib.suppress(ValueError):  # a DNS name
            alternatives.append(x509.IPAddress(ipaddress.ip_address(address)))
        # Also as a DNS name, even an IP address: pgBackRest 2.45 matches a host against the
        # DNS names alone ("unable to find hostname '10.0.0.5' in certificate").
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
        .sign(ca_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return HostCertificate(_pem(certificate), key_pem, _pem(ca))
