"""Alert delivery: e-mail and signed webhooks, with retries, every attempt recorded.

A webhook is a JSON ``POST`` whose raw body is signed with HMAC-SHA256 under the secret in
``MICROSCOUT_WEBHOOK_SECRET`` (read at sending time, never stored or logged):
``X-Microscout-Signature: sha256=<hex>``. Connection errors, timeouts, HTTP 429 and 5xx are retried
with exponential backoff; any other answer is final. E-mail goes through :func:`microscout.mail.send_email`.

Every attempt is a row of ``alert_deliveries``; an alert whose channels did not all succeed keeps
``details.delivery = "failed"`` and :func:`deliver_pending` tries again on the next run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from microscout.alerts.rules import MAX_ATTEMPTS
from microscout.errors import MicroscoutError
from microscout.store import Store, utcnow

__all__ = ["SECRET_ENV", "SIGNATURE_HEADER", "deliver_pending", "sign"]

logger = logging.getLogger(__name__)

SECRET_ENV = "MICROSCOUT_WEBHOOK_SECRET"
SIGNATURE_HEADER = "X-Microscout-Signature"
DELIVERY_HEADER = "X-Microscout-Delivery"
TIMEOUT_S = 10.0
BACKOFF_S = 1.0  # first retry waits 1 s, then 2 s, 4 s …
MAX_BACKOFF_S = 60.0
RESPONSE_CHARS = 200

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: delivered or not, whether trying again may help, and what was said."""

    delivered: bool
    retry: bool
    response: str
    wait: float | None = None  # seconds the receiver asked us to wait (Retry-After)


def sign(body: bytes, secret: str) -> str:
    """The signature header value of a webhook body: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= RESPONSE_CHARS else text[: RESPONSE_CHARS - 1] + "…"


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: ignored, the backoff applies


def post_webhook(url: str, body: bytes, delivery_id: str, *, transport: httpx.BaseTransport | None = None) -> Outcome:
    """POST one signed body; 2xx delivers, 429/5xx/connection errors may be retried."""
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        return Outcome(False, False, f"not sent: {SECRET_ENV} is not set")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "microscout-alerts",
        SIGNATURE_HEADER: sign(body, secret),
        DELIVERY_HEADER: delivery_id,
    }
    try:
        with httpx.Client(timeout=TIMEOUT_S, transport=transport, follow_redirects=False) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(False, True, _short(f"{type(exc).__name__}: {exc}"))
    code = response.status_code
    text = _short(f"HTTP {code} {response.reason_phrase}".strip())
    if 200 <= code < 300:
        return Outcome(True, False, text)
    retry = code == 429 or code >= 500
    return Outcome(False, retry, text, _retry_after(response.headers.get("Retry-After")) if retry else None)


def send_alert_email(store: Store, to: str, subject: str, body: str) -> Outcome:
    """Send one alert e-mail; SMTP 5xx answers and configuration errors are final, the rest retried."""
    from microscout.mail import MailError, send_email

    try:
        message_id = send_email(store.settings, to, subject, body, headers={"X-Microscout-Alert": "1"})
    except MailError as exc:
        cause = exc.__cause__
        permanent = cause is None  # the server accepted the session but refused the recipient
        if isinstance(cause, smtplib.SMTPResponseException):
            permanent = cause.smtp_code >= 500
        elif isinstance(cause, smtplib.SMTPRecipientsRefused):
            permanent = all(code >= 500 for code, _ in cause.recipients.values())
        return Outcome(False, not permanent, _short(exc.message))
    except MicroscoutError as exc:  # not configured, bad address: retrying will not help
        return Outcome(False, False, _short(exc.message))
    return Outcome(True, False, _short(f"sent {message_id}"))


def _payload(alert: dict[str, Any], workspace: str, delivery_id: str, attempt: int) -> bytes:
    details = {k: v for k, v in alert["details"].items() if k != "delivery"}
    doc = {
        "alert_id": alert["alert_id"],
        "rule": alert["rule"],
        "rule_id": alert["rule_id"],
        "campaign_id": alert["campaign_id"],
        "severity": alert["severity"],
        "subject": alert["subject"],
        "message": alert["message"],
        "details": details,
        "created_at": alert["created_at"],
        "workspace": workspace,
        "delivery": delivery_id,
        "attempt": attempt,
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def _email_text(alert: dict[str, Any]) -> tuple[str, str]:
    subject = f"[microscout] {alert['severity']}: {alert['message']}"
    subject = subject if len(subject) <= 150 else subject[:149] + "…"
    lines = [alert["message"], "", f"Rule: {alert['rule']} ({alert['rule_id']})"]
    if alert["campaign_id"]:
        lines.append(f"Campaign: {alert['campaign_id']}")
    lines += [f"Raised: {alert['created_at']} UTC", f"Alert: {alert['alert_id']}", ""]
    lines += [f"{k}: {v}" for k, v in alert["details"].items() if k != "delivery"]
    lines += ["", f"Acknowledge with: microscout alerts ack {alert['alert_id']}"]
    return subject, "\n".join(lines) + "\n"


def _delivery_id(alert_id: str, target: str, attempt: int) -> str:
    return hashlib.sha256(f"{alert_id}\x1f{target}\x1f{attempt}".encode()).hexdigest()[:16]


def _backoff(retry: int, asked: float | None) -> float:
    wait = BACKOFF_S * 2**retry
    if asked is not None:
        wait = max(wait, asked)
    return min(wait, MAX_BACKOFF_S)


def _deliver_channel(
    store: Store,
    workspace: str,
    alert: dict[str, Any],
    channel: dict[str, str],
    *,
    first: int,
    attempts: int,
    now: dt.datetime,
    sleep: Sleep,
    transport: httpx.BaseTransport | None,
) -> tuple[bool, str, int]:
    """Up to ``attempts`` tries on one channel, each recorded; (delivered, last response, tries)."""
    kind = channel["type"]
    target = channel["to"] if kind == "email" else channel["url"]
    outcome = Outcome(False, False, "not attempted")
    tries = 0
    for k in range(attempts):
        tries += 1
        number = first + k
        delivery_id = _delivery_id(alert["alert_id"], target, number)
        if kind == "webhook":
            outcome = post_webhook(
                target, _payload(alert, workspace, delivery_id, number), delivery_id, transport=transport
            )
        else:
            subject, body = _email_text(alert)
            outcome = send_alert_email(store, target, subject, body)
        store.insert_rows(
            "alert_deliveries",
            [
                {
                    "delivery_id": delivery_id,
                    "alert_id": alert["alert_id"],
                    "channel": kind,
                    "target": target,
                    "attempt": number,
                    "status": "delivered" if outcome.delivered else "failed",
                    "response": outcome.response,
                    "at": now,
                }
            ],
            workspace=workspace,
        )
        if outcome.delivered or not outcome.retry:
            break
        if k + 1 < attempts:
            sleep(_backoff(k, outcome.wait))
    if not outcome.delivered:
        logger.warning("alert %s: %s delivery to %s failed: %s", alert["alert_id"], kind, target, outcome.response)
    return outcome.delivered, outcome.response, tries


def deliver_pending(
    store: Store,
    workspace: str,
    *,
    now: dt.datetime | None = None,
    sleep: Sleep = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> list[dict[str, Any]]:
    """Deliver every open alert to the channels of its rule that have not received it yet.

    A channel attempted in this run already (an attempt stamped ``now`` or later) is left for the
    next run, so two runs at the same ``now`` deliver nothing twice. Returns one row per channel
    tried: alert_id, channel, target, delivered, attempts, response.
    """
    now = now or utcnow()
    cur = store.raw.execute(
        "SELECT a.alert_id, a.rule, a.rule_id, a.campaign_id, a.severity, a.subject, a.message, a.details, "
        "a.created_at, r.channels, r.params FROM alerts a JOIN alert_rules r "
        "ON r.workspace_id = a.workspace_id AND r.rule_id = a.rule_id "
        "WHERE a.workspace_id = ? AND a.status = 'open' AND coalesce(r.enabled, true) "
        "AND coalesce(json_extract_string(a.details, '$.delivery'), '') <> 'delivered' "
        "AND coalesce(json_array_length(r.channels), 0) > 0 ORDER BY a.created_at, a.alert_id",
        [workspace],
    )
    names = [d[0] for d in cur.description]
    alerts = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if not alerts:
        return []
    history: dict[tuple[str, str, str], tuple[int, bool, dt.datetime | None]] = {}
    for alert_id, channel, target, last, delivered, at in store.raw.execute(
        "SELECT alert_id, channel, target, max(attempt), bool_or(status = 'delivered'), max(\"at\") "
        "FROM alert_deliveries WHERE workspace_id = ? AND alert_id IN (SELECT unnest(?::VARCHAR[])) "
        "GROUP BY ALL",
        [workspace, [a["alert_id"] for a in alerts]],
    ).fetchall():
        history[(alert_id, channel, target)] = (int(last or 0), bool(delivered), at)
    report = []
    for alert in alerts:
        alert["details"] = json.loads(alert["details"]) if alert["details"] else {}
        params = json.loads(alert.pop("params") or "{}")
        attempts = int(params.get("max_attempts", MAX_ATTEMPTS.default))
        all_done, tried = True, False
        for channel in json.loads(alert.pop("channels") or "[]"):
            target = channel["to"] if channel["type"] == "email" else channel["url"]
            last, delivered, at = history.get((alert["alert_id"], channel["type"], target), (0, False, None))
            if delivered:
                continue
            if at is not None and at >= now:
                all_done = False  # tried in this run already: next run
                continue
            tried = True
            ok, response, tries = _deliver_channel(
                store, workspace, alert, channel,
                first=last + 1, attempts=attempts, now=now, sleep=sleep, transport=transport,
            )  # fmt: skip
            all_done = all_done and ok
            report.append(
                {
                    "alert_id": alert["alert_id"],
                    "channel": channel["type"],
                    "target": target,
                    "delivered": ok,
                    "attempts": tries,
                    "response": response,
                }
            )
        state = "delivered" if all_done else "failed"
        if tried and alert["details"].get("delivery") != state:
            alert["details"]["delivery"] = state
            store.raw.execute(
                "UPDATE alerts SET details = ? WHERE workspace_id = ? AND alert_id = ?",
                [json.dumps(alert["details"], ensure_ascii=False, default=str), workspace, alert["alert_id"]],
            )
    return report
