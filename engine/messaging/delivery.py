"""Delivering one outbox message: e-mail over SMTP, or a JSON POST to the webhook.

Standard library only (`smtplib`, `email`, `urllib.request`). `deliver(settings, message)`
returns None when the message was handed over, or a short error string; it never raises
for a delivery failure, so the worker can record the attempt (`notifications.record_attempt`)
and go on.

Delivery is at least once: a worker that dies after the hand-over but before it recorded
the attempt leaves the message to be sent again once its lease has expired. Receivers can
recognise such a repeat:
- e-mail carries a `Message-ID` derived from the outbox id (`message_id_header`) and an
  `X-LKJ-Outbox-Id` header;
- the webhook body has the outbox `id`, also sent as the `Idempotency-Key` and
  `X-LKJ-Outbox-Id` headers.
"""
from __future__ import annotations

import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from engine.messaging.outbox import MessageView
from engine.settings import Settings

TIMEOUT_S = 10.0  # one SMTP conversation step or one webhook request
_ERROR_LIMIT = 500  # characters of an error kept in the outbox row


def deliver(settings: Settings, message: MessageView, timeout: float = TIMEOUT_S) -> str | None:
    """Deliver by the message's channel; None on success, else why it failed."""
    try:
        if message.channel == "email":
            return send_email(settings, message, timeout)
        if message.channel == "webhook":
            return post_webhook(message, timeout)
        return f"unknown channel '{message.channel}'"
    except Exception as exc:  # a delivery failure is recorded, never raised
        return _error(exc)


# ---------------------------------------------------------------- e-mail

def message_id_header(outbox_id: int, mail_from: str) -> str:
    """The `Message-ID` of an outbox message: the same on every attempt, so a receiver (or
    an operator reading the mailbox) sees a re-delivery as the same message."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<lkj-outbox-{outbox_id}@{domain}>"


def email_message(settings: Settings, message: MessageView) -> EmailMessage:
    mail = EmailMessage()  # policy.default: UTF-8 subject (RFC 2047) and body
    mail["From"] = settings.mail_from
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Message-ID"] = message_id_header(message.id, settings.mail_from)
    mail["Date"] = format_datetime(datetime.now(timezone.utc))
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-LKJ-Outbox-Id"] = str(message.id)
    mail["X-LKJ-Kind"] = message.kind
    # quoted-printable: 7-bit clean for any relay, and still readable for Indonesian text
    mail.set_content(message.body, charset="utf-8", cte="quoted-printable")
    return mail


def send_email(settings: Settings, message: MessageView, timeout: float = TIMEOUT_S) -> str | None:
    if not settings.smtp_host:
        return "no SMTP host configured (LKJ_SMTP_HOST)"
    mail = email_message(settings, message)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            refused = smtp.send_message(mail, from_addr=parseaddr(settings.mail_from)[1]
                                        or settings.mail_from, to_addrs=[message.recipient])
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        return _error(exc, prefix="SMTP")
    if refused:
        return _limit(f"SMTP refused {', '.join(refused)}")
    return None


# ---------------------------------------------------------------- webhook

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer we did not ask for (urllib would turn the POST into a GET):
    it counts as a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def webhook_body(message: MessageView) -> dict:
    return {**(message.payload or {}), "id": message.id, "kind": message.kind,
            "subject": message.subject, "body": message.body}


def post_webhook(message: MessageView, timeout: float = TIMEOUT_S) -> str | None:
    url = message.recipient
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return _limit(f"webhook URL must be http(s): {url!r}")
    data = json.dumps(webhook_body(message), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "lkj-worker",
        "Idempotency-Key": f"lkj-outbox-{message.id}",
        "X-LKJ-Outbox-Id": str(message.id),
    })
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
            response.read(65536)
    except urllib.error.HTTPError as exc:
        try:
            detail = exc.read(200).decode("utf-8", "replace").strip()
        except Exception:
            detail = ""
        return _limit(f"webhook answered HTTP {exc.code}" + (f": {detail}" if detail else ""))
    except (urllib.error.URLError, OSError, socket.timeout) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return _error(reason, prefix="webhook")
    if not 200 <= status < 300:
        return f"webhook answered HTTP {status}"
    return None


def _error(exc, prefix: str | None = None) -> str:
    text = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else str(exc)
    return _limit(f"{prefix}: {text}" if prefix else text)


def _limit(text: str) -> str:
    return text if len(text) <= _ERROR_LIMIT else text[:_ERROR_LIMIT - 1] + "…"
