"""The ``apprise`` channel (extra ``apprise``): one message to many services via Apprise URLs.

Apprise URLs usually carry tokens (``tgram://TOKEN/CHAT``), so they are
secrets: configure them as references, never inline.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from relationship_core._notify.channel import (
    NO_SUPPRESSION,
    ChannelConfig,
    SuppressionList,
    suppressed_results,
)
from relationship_core._notify.message import Notification
from relationship_core._notify.results import DeliveryResult, Outcome
from relationship_core._notify.secrets import ChannelSecrets, Secret
from relationship_core.exceptions import MissingExtraError, ValidationError

__all__ = ["AppriseChannel"]


@contextmanager
def _quiet() -> Iterator[None]:
    # Apprise imports modules lazily that Python 3.11+ deprecates (imghdr, for PGP).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _apprise() -> Any:
    try:
        with _quiet():
            import apprise
    except ImportError as exc:
        raise MissingExtraError(
            "relationship_core._notify (apprise)", "apprise", "apprise"
        ) from exc
    return apprise


class AppriseChannel:
    """Sends the subject and plain-text body to every Apprise URL; ``RETRY`` if any fails.

    Apprise reports only success or failure, not why, so a failure is always
    retryable; it cannot tell a gone endpoint from a down one.
    """

    def __init__(
        self,
        name: str = "apprise",
        *,
        urls: Sequence[Secret],
        suppression: SuppressionList = NO_SUPPRESSION,
    ) -> None:
        apprise = _apprise()
        if not urls:
            raise ValidationError("urls", (), "give at least one Apprise URL (as a secret)")
        self._name = name
        self._suppression = suppression
        self._apprise = apprise.Apprise()
        for index, url in enumerate(urls):
            with _quiet():
                accepted = self._apprise.add(url.reveal())
            if not accepted:
                raise ValidationError(f"urls[{index}]", url, "Apprise does not accept this URL")

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"AppriseChannel({self._name!r}, urls={len(self._apprise)})"

    def deliver(self, batch: Sequence[Notification]) -> Sequence[DeliveryResult]:
        results = suppressed_results(self._name, batch, self._suppression)
        for index, note in enumerate(batch):
            if index in results:
                continue
            with _quiet():
                ok = bool(self._apprise.notify(title=note.subject, body=note.text))
            outcome = Outcome.DELIVERED if ok else Outcome.RETRY
            detail = "" if ok else "at least one Apprise target failed"
            results[index] = DeliveryResult(note.idempotency_key, outcome, detail)
        return [results[i] for i in range(len(batch))]

    @classmethod
    def from_config(cls, config: ChannelConfig, secrets: ChannelSecrets) -> AppriseChannel:
        """The ``apprise`` spec's factory: ``urls`` is a list of secret references."""
        config.only("urls")
        return cls(config.name, urls=secrets.all("urls"), suppression=config.suppression)
