"""Alerts: rules a workspace sets on its campaigns, evaluated on demand or by the scheduler.

A rule (``alert_rules``) has a kind (:data:`microscout.alerts.rules.KINDS`), an optional campaign
(none: every active campaign), a threshold, parameters and delivery channels (e-mail addresses and
webhook URLs). :func:`evaluate_alerts` runs every enabled rule and stores what is new in
``alerts``: an alert's id is a hash of its rule and its subject (a post, a deliverable slot, a
creator's score change …), so evaluating again never raises the same alert twice.
:func:`check_alerts` evaluates and then delivers (:mod:`microscout.alerts.delivery`).

>>> from microscout.store import connect
>>> store = connect(":memory:")
>>> rule = add_rule(store, "default", "budget_overrun", threshold=5)
>>> rule["kind"], rule["threshold"], evaluate_alerts(store, "default")
('budget_overrun', 5.0, [])
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

import httpx

from microscout.alerts.delivery import SECRET_ENV, Sleep, deliver_pending, sign
from microscout.alerts.rules import KINDS, MAX_ATTEMPTS, Context, Rule
from microscout.errors import InvalidInputError, NotFoundError
from microscout.store import Store, utcnow
from microscout.workspace import scoped_delete, scoped_rows

__all__ = [
    "KINDS",
    "SECRET_ENV",
    "STATUSES",
    "acknowledge",
    "add_rule",
    "alert_id_of",
    "campaign_id_of",
    "check_alerts",
    "deliver_pending",
    "evaluate_alerts",
    "list_alerts",
    "list_rules",
    "remove_rule",
    "sign",
]

STATUSES = ("open", "acknowledged")
CHANNEL_TYPES = ("email", "webhook")
MAX_CHANNELS = 10
LOOPBACK_HOSTS = ("localhost",)


# ----------------------------------------------------------------------------------- helpers
def alert_id_of(rule_id: str, subject: str) -> str:
    """The id of the alert a rule raises about ``subject`` (the same pair, the same id)."""
    return hashlib.sha256(f"{rule_id}\x1f{subject}".encode()).hexdigest()[:16]


def campaign_id_of(store: Store, workspace: str, ref: str) -> str:
    """The id of a campaign given by id (or by unique name, where campaign tracking is installed)."""
    try:
        from microscout.tracking.campaigns import resolve_campaign
    except ImportError:
        rows = scoped_rows(store, "campaigns", workspace, where="campaign_id = ?", params=[ref.strip()])
        if not rows:
            raise NotFoundError(f"no campaign {ref!r} in workspace {workspace!r}") from None
        return str(rows[0]["campaign_id"])
    return str(resolve_campaign(store, workspace, ref)["campaign_id"])


def _check_email(value: str) -> str:
    value = value.strip()
    _, addr = parseaddr(value)
    if (
        not addr
        or addr != value
        or addr.count("@") != 1
        or addr.startswith("@")
        or "." not in addr.rsplit("@", 1)[1]
        or any(c.isspace() for c in addr)
    ):
        raise InvalidInputError(f"e-mail channel: {value!r} is not an e-mail address (e.g. pr@brand.example)")
    return addr


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(value: str) -> str:
    value = value.strip()
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError as exc:
        raise InvalidInputError(f"webhook channel: {value!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInputError(f"webhook channel: {value!r} is not an http(s) URL (e.g. https://hooks.example/ms)")
    if parts.scheme == "http" and not _is_loopback(host):
        raise InvalidInputError(
            f"webhook channel: {value!r} uses plain http; use https (http is allowed for 127.0.0.1 only)"
        )
    if parts.username or parts.password:
        raise InvalidInputError(f"webhook channel: {value!r} carries credentials; requests are signed instead")
    if any(c.isspace() for c in value):
        raise InvalidInputError(f"webhook channel: {value!r} contains white space")
    return value


def _check_channels(channels: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    if len(channels) > MAX_CHANNELS:
        raise InvalidInputError(f"channels: at most {MAX_CHANNELS} per rule, got {len(channels)}")
    out: list[dict[str, str]] = []
    for k, channel in enumerate(channels):
        if not isinstance(channel, Mapping):
            raise InvalidInputError(f"channels[{k}]: expected an object like {{'type': 'email', 'to': ...}}")
        kind = channel.get("type")
        if kind == "email" and set(channel) == {"type", "to"} and isinstance(channel["to"], str):
            checked = {"type": "email", "to": _check_email(channel["to"])}
        elif kind == "webhook" and set(channel) == {"type", "url"} and isinstance(channel["url"], str):
            checked = {"type": "webhook", "url": _check_url(channel["url"])}
        elif kind in CHANNEL_TYPES:
            field = "to" if kind == "email" else "url"
            raise InvalidInputError(f"channels[{k}]: a {kind} channel has exactly the fields type and {field}")
        else:
            raise InvalidInputError(f"channels[{k}]: unknown channel type {kind!r}; use email or webhook")
        if checked not in out:
            out.append(checked)
    return out


def _rule_from_row(row: Mapping[str, Any]) -> Rule:
    kind = KINDS.get(row["kind"])
    stored = json.loads(row["params"]) if row.get("params") else {}
    state = stored.pop("state", {}) if isinstance(stored, dict) else {}
    defaults = {
        "max_attempts": MAX_ATTEMPTS.default,
        **{k: p.default for k, p in (kind.params if kind else {}).items()},
    }
    threshold = row["threshold"]
    if threshold is None and kind is not None and kind.threshold is not None:
        threshold = kind.threshold.default
    return Rule(
        rule_id=row["rule_id"],
        kind=row["kind"],
        campaign_id=row["campaign_id"],
        threshold=threshold,
        params={**defaults, **stored},
        channels=json.loads(row["channels"]) if row.get("channels") else [],
        enabled=row["enabled"] is not False,
        created_at=row["created_at"],
        state=state,
    )


def _rule_out(rule: Rule) -> dict[str, Any]:
    return {
        "rule_id": rule.rule_id,
        "kind": rule.kind,
        "campaign_id": rule.campaign_id,
        "threshold": rule.threshold,
        "params": rule.params,
        "channels": rule.channels,
        "enabled": rule.enabled,
        "created_at": rule.created_at,
    }


def _stored_params(rule: Rule) -> str:
    doc: dict[str, Any] = dict(rule.params)
    if rule.state:
        doc["state"] = rule.state
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


# ------------------------------------------------------------------------------------- rules
def add_rule(
    store: Store,
    workspace: str,
    kind: str,
    campaign_id: str | None = None,
    threshold: float | None = None,
    params: Mapping[str, Any] | None = None,
    channels: Sequence[Mapping[str, Any]] = (),
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Store a new alert rule (kind, campaign or all active ones, threshold, params, channels)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInputError(f"unknown alert kind {kind!r}; use one of {', '.join(KINDS)}")
    if threshold is not None and spec.threshold is None:
        raise InvalidInputError(f"{kind} takes no threshold")
    value = None if spec.threshold is None else float(spec.threshold.default)
    if threshold is not None and spec.threshold is not None:
        value = spec.threshold.check("threshold", threshold)
    allowed = {"max_attempts": MAX_ATTEMPTS, **spec.params}
    checked = {name: p.default for name, p in allowed.items()}
    for name, given in (params or {}).items():
        if name not in allowed:
            known = ", ".join(allowed)
            raise InvalidInputError(f"{kind}: unknown parameter {name!r}; known: {known}")
        checked[name] = allowed[name].check(name, given)
    cid = campaign_id_of(store, workspace, campaign_id) if campaign_id else None
    rule = Rule(
        rule_id=uuid.uuid4().hex[:12],
        kind=kind,
        campaign_id=cid,
        threshold=value,
        params=checked,
        channels=_check_channels(channels),
        enabled=True,
        created_at=now or utcnow(),
    )
    store.insert_rows(
        "alert_rules",
        [
            {
                "rule_id": rule.rule_id,
                "kind": rule.kind,
                "campaign_id": rule.campaign_id,
                "threshold": rule.threshold,
                "params": _stored_params(rule),
                "channels": json.dumps(rule.channels),
                "enabled": True,
                "created_at": rule.created_at,
            }
        ],
        workspace=workspace,
    )
    return _rule_out(rule)


def _load_rules(store: Store, workspace: str) -> list[Rule]:
    return [_rule_from_row(r) for r in scoped_rows(store, "alert_rules", workspace, order_by="created_at, rule_id")]


def list_rules(store: Store, workspace: str) -> list[dict[str, Any]]:
    """Alert rules of ``workspace``, oldest first (their remembered state left out)."""
    return [_rule_out(r) for r in _load_rules(store, workspace)]


def remove_rule(store: Store, workspace: str, rule_id: str) -> None:
    """Delete a rule (its alerts and delivery records stay)."""
    if not scoped_delete(store, "alert_rules", workspace, where="rule_id = ?", params=[rule_id]):
        raise NotFoundError(f"no alert rule {rule_id!r} in workspace {workspace!r} (see `microscout alerts rules`)")


# ------------------------------------------------------------------------------------ alerts
def _alert_out(row: Mapping[str, Any]) -> dict[str, Any]:
    details = json.loads(row["details"]) if row.get("details") else {}
    return {
        "alert_id": row["alert_id"],
        "created_at": row["created_at"],
        "severity": row["severity"],
        "rule": row["rule"],
        "campaign_id": row["campaign_id"],
        "message": row["message"],
        "status": row["status"],
        "delivery": details.get("delivery"),
        "subject": row["subject"],
        "rule_id": row["rule_id"],
        "acknowledged_at": row["acknowledged_at"],
        "details": details,
    }


def evaluate_alerts(store: Store, workspace: str, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Run every enabled rule of ``workspace``; store and return the alerts that are new."""
    now = now or utcnow()
    ctx = Context(store, workspace, now)
    rows: list[dict[str, Any]] = []
    changed: list[Rule] = []
    for rule in _load_rules(store, workspace):
        if not rule.enabled or rule.kind not in KINDS:
            continue
        before = _stored_params(rule)
        for finding in KINDS[rule.kind].evaluate(ctx, rule):
            rows.append(
                {
                    "alert_id": alert_id_of(rule.rule_id, finding.subject),
                    "rule": rule.kind,
                    "rule_id": rule.rule_id,
                    "campaign_id": finding.campaign_id,
                    "severity": finding.severity,
                    "subject": finding.subject,
                    "message": finding.message,
                    "details": json.dumps(finding.details, ensure_ascii=False, default=str),
                    "created_at": now,
                    "acknowledged_at": None,
                    "status": "open",
                }
            )
        if _stored_params(rule) != before:
            changed.append(rule)
    ids = list(dict.fromkeys(r["alert_id"] for r in rows))
    stored = scoped_rows(
        store, "alerts", workspace, where="alert_id IN (SELECT unnest(?::VARCHAR[]))", params=[ids], columns="alert_id"
    )
    known = {r["alert_id"] for r in stored}
    new: list[dict[str, Any]] = []
    for r in rows:
        if r["alert_id"] not in known:
            known.add(r["alert_id"])
            new.append(r)
    with store.transaction():
        store.insert_rows("alerts", new, workspace=workspace)
        for rule in changed:
            store.raw.execute(
                "UPDATE alert_rules SET params = ? WHERE workspace_id = ? AND rule_id = ?",
                [_stored_params(rule), workspace, rule.rule_id],
            )
    return [_alert_out(r) for r in new]


def list_alerts(
    store: Store, workspace: str, status: str | None = None, campaign: str | None = None
) -> list[dict[str, Any]]:
    """Alerts of ``workspace``, newest first; optionally only one status or one campaign's."""
    where, params = [], []
    if status is not None:
        if status not in STATUSES:
            raise InvalidInputError(f"unknown alert status {status!r}; use {' or '.join(STATUSES)}")
        where.append("status = ?")
        params.append(status)
    if campaign is not None:
        where.append("campaign_id = ?")
        params.append(campaign_id_of(store, workspace, campaign))
    rows = scoped_rows(
        store, "alerts", workspace, where=" AND ".join(where), params=params, order_by="created_at DESC, alert_id"
    )
    return [_alert_out(r) for r in rows]


def acknowledge(store: Store, workspace: str, alert_id: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Mark an alert acknowledged (it is no longer delivered); acknowledging twice keeps the first time."""
    rows = scoped_rows(store, "alerts", workspace, where="alert_id = ?", params=[alert_id])
    if not rows:
        raise NotFoundError(f"no alert {alert_id!r} in workspace {workspace!r} (see `microscout alerts`)")
    if rows[0]["status"] != "acknowledged":
        store.raw.execute(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ? WHERE workspace_id = ? AND alert_id = ?",
            [now or utcnow(), workspace, alert_id],
        )
        rows = scoped_rows(store, "alerts", workspace, where="alert_id = ?", params=[alert_id])
    return _alert_out(rows[0])


def check_alerts(
    store: Store,
    workspace: str,
    *,
    now: dt.datetime | None = None,
    sleep: Sleep = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """Evaluate every rule, then deliver new and still-undelivered alerts: ``{alerts, deliveries}``."""
    now = now or utcnow()
    new = evaluate_alerts(store, workspace, now=now)
    deliveries = deliver_pending(store, workspace, now=now, sleep=sleep, transport=transport)
    return {"alerts": new, "deliveries": deliveries}
