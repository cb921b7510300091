"""Sending e-mail over SMTP (outreach messages, alerts): one message per :func:`send_email` call.

The server, port, login name, From address and STARTTLS come from explicit settings
(:class:`SmtpConfig`, usually :meth:`SmtpConfig.from_settings`). The password comes **only** from
the environment variable ``MICROSCOUT_SMTP_PASSWORD`` at the moment of sending: it is not a
setting, it is never stored, logged or put in an error message.

>>> msg = build_message(SmtpConfig(host="smtp.example", from_address="a@brand.example"),
...                     "ana@example.com", "Hello", "Olá!")
>>> msg["To"], msg["Subject"]
('ana@example.com', 'Hello')
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

from microscout.config import Settings
from microscout.errors import InvalidInputError, MicroscoutError

__all__ = ["PASSWORD_ENV", "MailError", "SmtpConfig", "build_message", "send_email", "smtp_password"]

logger = logging.getLogger(__name__)

PASSWORD_ENV = "MICROSCOUT_SMTP_PASSWORD"
TIMEOUT_S = 30.0


class MailError(MicroscoutError):
    """An e-mail could not be sent.

    ``stage`` says where it failed (connect, login or send); ``permanent`` is True when the
    server answered with a 5xx code (trying again will not help). The underlying smtplib or
    socket error is the ``__cause__``.
    """

    status = 502

    def __init__(self, message: str, *, stage: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.stage = stage
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: everything but the password."""

    host: str
    from_address: str
    port: int = 587
    username: str | None = None
    starttls: bool = True
    timeout: float = TIMEOUT_S

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        if not settings.smtp_host:
            raise InvalidInputError("no SMTP server configured: set MICROSCOUT_SMTP_HOST (and MICROSCOUT_SMTP_FROM)")
        if not settings.smtp_from:
            raise InvalidInputError("no From address configured: set MICROSCOUT_SMTP_FROM")
        return cls(
            host=settings.smtp_host,
            from_address=settings.smtp_from,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            starttls=settings.smtp_starttls,
        )


def smtp_password(environ: Mapping[str, str] | None = None) -> str | None:
    """The SMTP password from ``MICROSCOUT_SMTP_PASSWORD`` (``environ`` defaults to ``os.environ``)."""
    value = (os.environ if environ is None else environ).get(PASSWORD_ENV)
    return value or None


def _one_line(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise InvalidInputError(f"{what} must be one line (no line breaks)")
    return value


def _address(value: str, what: str) -> str:
    _one_line(value, what)
    _, addr = parseaddr(value)
    if not addr or "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        raise InvalidInputError(f"{what} {value!r} is not an e-mail address")
    return value


def build_message(
    config: SmtpConfig,
    to: str,
    subject: str,
    body: str,
    *,
    html: str | None = None,
    language: str | None = None,
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """An e-mail with a plain-text body (and an HTML alternative when ``html`` is given)."""
    msg = EmailMessage()
    msg["From"] = _address(config.from_address, "From address")
    msg["To"] = _address(to, "recipient")
    msg["Subject"] = _one_line(subject, "subject")
    if reply_to:
        msg["Reply-To"] = _address(reply_to, "Reply-To address")
    domain = parseaddr(config.from_address)[1].rsplit("@", 1)[-1] or None
    msg["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        msg[_one_line(name, "header name")] = _one_line(value, f"header {name}")
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if language:  # after the multipart is made: Content-* headers would move into the first part
        msg["Content-Language"] = _one_line(language, "language")
    return msg


def send_email(
    settings: Settings | SmtpConfig,
    to: str,
    subject: str,
    body: str,
    *,
    html: str | None = None,
    language: str | None = None,
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Send one e-mail; returns its Message-ID. Raises :class:`MailError` when the server fails.

    Logs in when a username is configured, with the password from ``MICROSCOUT_SMTP_PASSWORD``
    (read from ``environ``, default ``os.environ``).
    """
    config = settings if isinstance(settings, SmtpConfig) else SmtpConfig.from_settings(settings)
    msg = build_message(config, to, subject, body, html=html, language=language, reply_to=reply_to, headers=headers)
    password = smtp_password(environ)
    if config.username and not password:
        raise InvalidInputError(f"SMTP username is set but {PASSWORD_ENV} is not: export the password to send")
    where = f"{config.host}:{config.port}"
    stage = "connect"
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                stage = "login"
                smtp.login(config.username, password or "")
            stage = "send"
            refused: dict[str, Any] = smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        message = f"cannot send to {to} via {where} ({stage}): {_describe(exc)}"
        raise MailError(message, stage=stage, permanent=_permanent(exc)) from exc
    if refused:
        raise MailError(f"{where} refused recipient {to}: {_describe_refused(refused)}", stage="send", permanent=True)
    logger.info("sent e-mail %s to %s via %s", msg["Message-ID"], to, where)
    return str(msg["Message-ID"])


def _permanent(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return False


def _describe(exc: BaseException) -> str:
    """One line about an SMTP/socket error (server replies only: the password is never part of one)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {' '.join(text.split())}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _describe_refused(exc.recipients)
    return " ".join(str(exc).split()) or type(exc).__name__


def _describe_refused(refused: Mapping[str, Any]) -> str:
    parts = []
    for addr, (code, text) in refused.items():
        reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        parts.append(f"{addr}: {code} {' '.join(reply.split())}")
    return "; ".join(parts)
