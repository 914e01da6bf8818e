"""The SSH keypair a cluster session's kernels share, so they can reach each other."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_KEY_SIZE: Final = 2048
_PUBLIC_EXPONENT: Final = 65537


@dataclass(frozen=True, slots=True, repr=False)
class SshKeypair:
    #: PEM, "BEGIN RSA PRIVATE KEY": the format every OpenSSH version reads.
    private_key: str
    #: OpenSSH authorized_keys format ("ssh-rsa AAAA…").
    public_key: str

    def __repr__(self) -> str:
        # Keeps the private key out of logs and tracebacks.
        return f"SshKeypair(public_key={self.public_key[:24]!r}…)"


def generate_ssh_keypair(key_size: int = DEFAULT_KEY_SIZE) -> SshKeypair:
    """A fresh RSA keypair; takes tens of milliseconds of CPU (see the async variant)."""
    key = rsa.generate_private_key(public_exponent=_PUBLIC_EXPONENT, key_size=key_size)
    private_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.TraditionalOpenSSL,
        encryption_algorithm=serialization.NoEncryption(),
    )
    public_openssh = key.public_key().public_bytes(
        encoding=serialization.Encoding.OpenSSH,
        format=serialization.PublicFormat.OpenSSH,
    )
    return SshKeypair(private_pem.decode("ascii"), public_openssh.decode("ascii"))


async def generate_ssh_keypair_async(key_size: int = DEFAULT_KEY_SIZE) -> SshKeypair:
    """`generate_ssh_keypair` in a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(generate_ssh_keypair, key_size)
