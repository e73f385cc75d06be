"""Signed opt-out receipts: proof, for the person and for a court, that a request was taken.

A receipt is a JSON object of fixed fields plus ``signature``: a detached Ed25519 JWS (RFC 7515
appendix F, with RFC 7797's unencoded payload, which PyJWT writes for detached payloads) over
the canonical JSON of the other fields (sorted keys, no spaces, ASCII). Anyone holding the
public key can check one offline with ``jurisgate subjects verify-receipt``; the header's
``kid`` is the key's RFC 7638 thumbprint, so a rotated key is named, not guessed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.api_jws import PyJWS

from ..errors import ConfigError
from .model import OptOutSubmission
from .registry import MakeReceipt

__all__ = ["RECEIPT_FIELDS", "ReceiptSigner", "ReceiptVerifier", "canonical_json", "thumbprint"]

RECEIPT_FIELDS: Final = (
    "request_id",
    "received_at",
    "basis",
    "jurisdiction",
    "status",
    "effective_by",
    "status_url",
    "photo_sha256",
)
_TYP: Final = "jurisgate-receipt+jws"
_JWS = PyJWS()


def canonical_json(value: Mapping[str, object]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def thumbprint(key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint of an Ed25519 (OKP) public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    members = canonical_json({"crv": "Ed25519", "kty": "OKP", "x": x})
    return base64.urlsafe_b64encode(hashlib.sha256(members).digest()).rstrip(b"=").decode()


class ReceiptSigner:
    """Signs receipts with one Ed25519 private key (``[subjects] receipt_key_file``)."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = key.public_key()
        self.kid = thumbprint(self.public_key)

    @classmethod
    def from_file(cls, path: Path, *, origin: str = "[subjects] receipt_key_file") -> ReceiptSigner:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except OSError as exc:
            raise ConfigError(f"{origin}: cannot read {path}: {exc.strerror}") from exc
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise ConfigError(f"{origin}: {path} is not an unencrypted PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{origin}: {path} must hold an Ed25519 private key")
        return cls(key)

    def derive(self, label: bytes) -> bytes:
        """A secret for another purpose (form keys, contact HMACs), bound to this key: one
        secret for operators to keep, and the signing key itself never used twice."""
        raw = self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return hmac.new(raw, label, hashlib.sha256).digest()

    def for_submission(self, submission: OptOutSubmission) -> MakeReceipt:
        """What the registry calls, inside its transaction, to sign a new request's receipt:
        the submission's fields, with the id, times and status capability it made."""

        def make(request_id: str, received_at: str, effective_by: str, token: str) -> bytes:
            return self.sign(
                {
                    "request_id": request_id,
                    "received_at": received_at,
                    "basis": submission.basis,
                    "jurisdiction": submission.jurisdiction,
                    "status": "received",
                    "effective_by": effective_by,
                    "status_url": f"/opt-out/{request_id}?token={token}",
                    "photo_sha256": submission.photo_sha256,
                }
            )

        return make

    def sign(self, fields: Mapping[str, str]) -> bytes:
        """The receipt's bytes: the fields and their signature, as one JSON object."""
        if tuple(sorted(fields)) != tuple(sorted(RECEIPT_FIELDS)):
            raise ValueError(f"a receipt has exactly the fields {RECEIPT_FIELDS}")
        signature = _JWS.encode(
            canonical_json(fields),
            self._key,
            algorithm="EdDSA",
            headers={"kid": self.kid, "typ": _TYP},
            is_payload_detached=True,
        )
        return canonical_json({**fields, "signature": signature})


class ReceiptVerifier:
    """Checks a receipt against one or more public keys (the current one and retired ones)."""

    def __init__(self, keys: list[Ed25519PublicKey]) -> None:
        self._keys = {thumbprint(key): key for key in keys}

    @classmethod
    def from_file(cls, path: Path) -> ReceiptVerifier:
        """A PEM public key, or a private key (its public half is used)."""
        data = path.read_bytes()
        try:
            public = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            try:
                public = serialization.load_pem_private_key(data, password=None).public_key()
            except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
                raise ConfigError(f"{path}: not a PEM Ed25519 key") from exc
        if not isinstance(public, Ed25519PublicKey):
            raise ConfigError(f"{path}: not an Ed25519 key")
        return cls([public])

    def verify(self, receipt: bytes) -> dict[str, str]:
        """The receipt's fields when its signature holds; ValueError saying why otherwise."""
        try:
            document = json.loads(receipt)
        except (ValueError, RecursionError) as exc:
            raise ValueError("the receipt is not JSON") from exc
        if not isinstance(document, dict) or not isinstance(document.get("signature"), str):
            raise ValueError("the receipt has no signature")
        signature = document.pop("signature")
        if tuple(sorted(document)) != tuple(sorted(RECEIPT_FIELDS)) or not all(
            isinstance(value, str) for value in document.values()
        ):
            raise ValueError(f"a receipt has exactly the string fields {RECEIPT_FIELDS}")
        try:
            header = jwt.get_unverified_header(signature)
        except jwt.PyJWTError as exc:
            raise ValueError(f"the signature is not a JWS: {exc}") from exc
        key = self._keys.get(str(header.get("kid")))
        if key is None:
            raise ValueError(f"the receipt was signed by another key (kid {header.get('kid')!r})")
        try:
            _JWS.decode_complete(
                signature, key, algorithms=["EdDSA"], detached_payload=canonical_json(document)
            )
        except jwt.PyJWTError as exc:
            raise ValueError(f"the signature does not hold: {exc}") from exc
        return {str(k): str(v) for k, v in document.items()}
