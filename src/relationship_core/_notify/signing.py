"""Standard Webhooks signatures: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from relationship_core._notify.secrets import Secret
from relationship_core.exceptions import ValidationError

__all__ = ["SECRET_PREFIX", "new_secret", "signature_header", "signing_key"]

#: Standard Webhooks secrets are ``whsec_`` followed by base64 of 24 to 64 random bytes.
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def signing_key(secret: Secret, field: str = "secrets") -> bytes:
    """The HMAC key of a ``whsec_`` secret; errors never show the secret."""
    text = secret.reveal()
    if not text.startswith(SECRET_PREFIX):
        raise ValidationError(field, secret, "a webhook secret starts with whsec_")
    try:
        key = base64.b64decode(text.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, secret, "the part after whsec_ is not base64") from None
    if not 24 <= len(key) <= 64:
        raise ValidationError(field, secret, "a webhook secret holds 24 to 64 bytes")
    return key


def new_secret() -> Secret:
    """A fresh random ``whsec_`` secret (32 bytes) to hand to a receiver."""
    import secrets as _secrets

    return Secret(SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(32)).decode())


def signature_header(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one ``v1,`` signature per key, space-separated.

    Several keys are active while a secret rotates, so receivers holding
    either the old or the new secret verify the message.
    """
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for key in keys
    )
