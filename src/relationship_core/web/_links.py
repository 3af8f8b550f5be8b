"""Signed tokens: survey links, CSRF tokens and session cookies (itsdangerous, one key)."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from relationship_core.web._settings import WebSettings

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer

__all__ = ["hash_token", "sign", "survey_link", "unsign"]

# itsdangerous (the web extra) is imported when first used: the stored kinds in
# relationship_core.web are imported by every store, with or without the extra.


def _serializer(settings: WebSettings, salt: str) -> URLSafeTimedSerializer:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(settings.secret_key.reveal(), salt=salt)


def sign(settings: WebSettings, salt: str, value: object) -> str:
    """*value* signed for *salt* (a purpose: ``"survey"``, ``"csrf"``, ``"session"``)."""
    token: str = _serializer(settings, salt).dumps(value)
    return token


def unsign(settings: WebSettings, salt: str, token: str, max_age: int | None = None) -> object:
    """The value *token* carries, or ``None`` when it is tampered with, for another purpose or too old."""
    from itsdangerous import BadData

    try:
        return _serializer(settings, salt).loads(token, max_age=max_age)
    except BadData:
        return None


def hash_token(token: str) -> str:
    """The stored id of a sign-in token (its hex SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time text comparison."""
    return hmac.compare_digest(a.encode(), b.encode())


def survey_link(survey_id: str, *, settings: WebSettings) -> str:
    """The public URL answering survey *survey_id* (signed: survey ids are guessable).

    Put it in the resolved ticket's CSAT e-mail; the page says when the survey
    expired or was answered.
    """
    return f"{settings.base_url}/survey/{sign(settings, 'survey', survey_id)}"
