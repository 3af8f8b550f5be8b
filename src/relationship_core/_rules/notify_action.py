"""The ``send_notification`` rule action: a template rendered into the notification outbox.

Templates are built in Python (`relationship_core._notify.load_template`) and
given to the store by name: ``open(url, config={"rules": {"templates": {name:
template}}})``. The action renders one for the event's party (or the address
in ``to``) and queues it through `Notifications.notify` in the event's (or the
delayed job's) unit of work, keyed by the enrolment, so a replay or a retried
job never queues it twice and the channel sees one idempotency key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from relationship_core.exceptions import ValidationError

__all__ = ["check_notification", "send_notification"]

Params = Mapping[str, Any]
_KEYS = frozenset({"template", "channel", "to"})


def check_notification(params: Params, path: str) -> Params:
    """Refuse bad parameters at load: ``template`` and ``channel`` names, ``to`` an address."""
    for key in params:
        if key not in _KEYS:
            raise ValidationError(f"{path}.{key}", params[key], f"allowed: {sorted(_KEYS)}")
    for key in ("template", "channel", "to"):
        if key not in params and key != "to":
            raise ValidationError(f"{path}.{key}", None, "required")
        value = params.get(key, "x")
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{path}.{key}", value, "give a non-empty string")
    return dict(params)


def send_notification(context: Any, params: Params) -> Mapping[str, str]:
    """Queue the named template's notification on the named channel (the outbox delivers it)."""
    from relationship_core._app.outbox.service import Notifications
    from relationship_core._notify.message import Recipient
    from relationship_core._notify.templates import NotificationTemplate

    uow = context.uow
    name = params["template"]
    templates = uow.config("rules").get("templates", {})
    template = templates.get(name) if isinstance(templates, Mapping) else None
    if not isinstance(template, NotificationTemplate):
        known = sorted(templates) if isinstance(templates, Mapping) else []
        raise ValidationError(
            f"rules[{context.rule}].actions.send_notification.template",
            name,
            f"no such template in open(config={{'rules': {{'templates': ...}}}}); known: {known}",
        )
    party = None if context.party_id is None else uow.parties.find(context.party_id)
    address = params.get("to") or (None if party is None else party.email)
    if not address:
        raise ValidationError(
            f"rules[{context.rule}].actions.send_notification.to",
            context.party_id,
            "the party has no e-mail address; give one in to",
        )
    to = Recipient(str(getattr(address, "value", address)), name=getattr(party, "name", ""))
    key = "rule-ntf-" + hashlib.sha256(f"{context.key}\x1f{name}".encode()).hexdigest()[:24]
    if uow.repository("notification").find(key) is not None:
        return {"notification": key, "queued": "no, queued already"}
    values = {
        "event": dict(context.data),
        "party": party,
        "rule": context.rule,
        "subject": context.subject,
    }
    stored = Notifications(uow.session).notify(
        uow,
        channel=params["channel"],
        to=to,
        template=template,
        context=values,
        key=key,
    )
    return {"notification": stored.id, "channel": params["channel"]}
