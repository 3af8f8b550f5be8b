"""Channels from configuration: a dict or TOML, secrets by reference, built-ins by name."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from relationship_core._notify.apprise_channel import AppriseChannel
from relationship_core._notify.channel import (
    NO_SUPPRESSION,
    Channel,
    ChannelConfig,
    ChannelSpec,
    SuppressionList,
)
from relationship_core._notify.secrets import (
    ChannelSecrets,
    Secret,
    SecretLookup,
    is_secret_reference,
    resolve_reference,
)
from relationship_core._notify.simple import LogChannel, MemoryChannel
from relationship_core._notify.smtp import SmtpChannel
from relationship_core._notify.webhook import WebhookChannel
from relationship_core.exceptions import ValidationError

__all__ = ["BUILTIN_CHANNELS", "load_channels"]

#: The channels relationship_core ships; plugins add theirs through the
#: ``relationship_core_notification_channels`` hook, as the same records.
BUILTIN_CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("log", LogChannel.from_config, "standard logging, one record per message"),
    ChannelSpec("memory", MemoryChannel.from_config, "keeps messages in memory, for tests"),
    ChannelSpec(
        "smtp", SmtpChannel.from_config, "e-mail over SMTP (smtplib)", frozenset({"password"})
    ),
    ChannelSpec(
        "webhook",
        WebhookChannel.from_config,
        "signed JSON POST (Standard Webhooks)",
        frozenset({"secrets"}),
    ),
    ChannelSpec(
        "apprise",
        AppriseChannel.from_config,
        "many services via Apprise URLs (extra: apprise)",
        frozenset({"urls"}),
    ),
)


def _parse(config: Mapping[str, Any] | str) -> Mapping[str, Any]:
    if isinstance(config, str):
        try:
            return tomllib.loads(config)
        except tomllib.TOMLDecodeError as exc:
            # The decoder's message gives line and column, never the text itself.
            raise ValidationError("config", "<TOML document>", f"not valid TOML: {exc}") from None
    if not isinstance(config, Mapping):
        raise ValidationError("config", type(config).__name__, "expected a mapping or TOML text")
    return config


def _index(specs: Iterable[ChannelSpec]) -> dict[str, ChannelSpec]:
    by_name: dict[str, ChannelSpec] = {}
    for spec in specs:
        if spec.name in by_name:
            raise ValidationError(
                "specs", spec.name, "two channel kinds share this name; rename one plugin's"
            )
        by_name[spec.name] = spec
    return by_name


def _split(
    name: str, spec: ChannelSpec, raw: Mapping[str, Any], lookup: SecretLookup | None
) -> tuple[dict[str, Any], ChannelSecrets]:
    plain: dict[str, Any] = {}
    found: dict[str, list[Secret]] = {}
    for key, value in raw.items():
        field = f"channels.{name}.{key}"
        if key == "type":
            continue
        refs: list[object] | None = None
        if is_secret_reference(value):
            refs = [value]
        elif isinstance(value, list) and value and all(map(is_secret_reference, value)):
            refs = list(value)
        elif key in spec.secret_options:
            refs = value if isinstance(value, list) else [value]
        if refs is None:
            plain[key] = value
        else:
            found[key] = [
                resolve_reference(f"{field}[{i}]" if len(refs) > 1 else field, ref, lookup)
                for i, ref in enumerate(refs)
            ]
    return plain, ChannelSecrets(found)


def load_channels(
    config: Mapping[str, Any] | str,
    *,
    secrets: SecretLookup | Mapping[str, str] | None = None,
    specs: Iterable[ChannelSpec] = BUILTIN_CHANNELS,
    suppression: SuppressionList = NO_SUPPRESSION,
) -> dict[str, Channel]:
    """Build the channels of a ``[channels.NAME]`` document, by name.

    Each table names its ``type`` (a `ChannelSpec` name) and options; a
    secret is a reference, ``{"env": "VARIABLE"}`` or ``{"secret": "name"}``
    (looked up with *secrets*, a callable or a mapping). Errors name the
    channel and option and never show a secret's value.

    Examples:
        >>> channels = load_channels('[channels.dev]\\ntype = "memory"\\n')
        >>> channels
        {'dev': MemoryChannel('dev', sent=0)}
    """
    document = _parse(config)
    tables = document.get("channels", {})
    if not isinstance(tables, Mapping):
        raise ValidationError("channels", type(tables).__name__, "expected a table of channels")
    lookup: SecretLookup | None = secrets.get if isinstance(secrets, Mapping) else secrets
    available = _index(specs)
    channels: dict[str, Channel] = {}
    for name, raw in tables.items():
        if not isinstance(raw, Mapping):
            raise ValidationError(f"channels.{name}", type(raw).__name__, "expected a table")
        kind = raw.get("type")
        spec = available.get(kind) if isinstance(kind, str) else None
        if spec is None:
            raise ValidationError(
                f"channels.{name}.type",
                kind,
                f"unknown channel type; available: {', '.join(sorted(available))}",
            )
        plain, resolved = _split(name, spec, raw, lookup)
        channels[name] = spec.factory(ChannelConfig(name, plain, suppression), resolved)
    return channels
