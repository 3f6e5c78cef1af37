"""The one place that talks to Twilio.

The real ``twilio`` SDK is used as is; only its HTTP client is swapped for one with a timeout that
can also send the requests to a loopback double (tests, demo) instead of api.twilio.com.
:class:`TwilioApi` sends one message with retries and turns every failure into a result (failure
type of Odoo's ``sms.sms``, Twilio's code, a readable reason) instead of raising, the way Odoo's
``SmsApi`` does for IAP.
"""

import datetime
import logging
import threading
import time

import requests
import urllib3
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client

from odoo.tools.translate import LazyTranslate

from .. import const

_lt = LazyTranslate(__name__)
_logger = logging.getLogger(__name__)
# The SDK logs ten INFO lines per request (headers, URL); ours are kept to warnings, so a bulk
# sending does not flood the server log. `--log-handler ...twilio_api.sdk:INFO` shows them again.
_sdk_logger = _logger.getChild("sdk")
_sdk_logger.setLevel(logging.WARNING)


class _PaylinkTwilioHttpClient(TwilioHttpClient):
    """A Twilio HTTP client with a timeout and an optional base URL override."""

    def __init__(self, api_base=None, timeout=const.TWILIO_TIMEOUT):
        super().__init__(timeout=timeout, logger=_sdk_logger)
        self.api_base = api_base and api_base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if self.api_base and url.startswith(const.TWILIO_API_BASE):
            url = self.api_base + url[len(const.TWILIO_API_BASE) :]
        elif self.api_base and url.startswith(const.TWILIO_MESSAGING_API_BASE):
            url = self.api_base + url[len(const.TWILIO_MESSAGING_API_BASE) :]
        return super().request(method, url, *args, **kwargs)


def get_api_base(env):
    """Return the Twilio API base URL when a test or the demo overrides it, else ``None``."""
    # sudo: a technical parameter (set by the tests and the demo only), read for any user.
    return env["ir.config_parameter"].sudo().get_param(const.PARAM_TWILIO_API_BASE) or None


def get_client(company):
    """Build a Twilio client for ``company``.

    :param company: a ``res.company`` record; credentials are read with sudo because SMS are sent
        by the queue's cron and by users who may not read the secrets themselves.
    :return: a :class:`twilio.rest.Client`.
    :raise ValueError: when the company has no Twilio credentials.
    """
    return _client_factory(company)()


def _client_factory(company):
    """Return a function building a Twilio client for ``company`` without touching the database,
    so that worker threads can each build their own (an HTTP session is not shared)."""
    # sudo: the credentials are system-only fields; they build the client and go nowhere else.
    company_sudo = company.sudo()
    sid, token = company_sudo.paylink_twilio_account_sid, company_sudo.paylink_twilio_auth_token
    if not (sid and token):
        raise ValueError(f"Twilio is not configured for company {company.id}")
    api_base = get_api_base(company.env)
    return lambda: Client(sid, token, http_client=_PaylinkTwilioHttpClient(api_base=api_base))


def check_credentials(company):
    """Ask Twilio, with the company's credentials, whether it can send the company's SMS: the
    account (SID and token), then the sender (a number of the account, or a Messaging Service).

    :return: a list of ``(ok, label, detail)``, as the Stripe setup check's.
    """
    env = company.env
    label_account, label_sender = env._("Account"), env._("Sender")
    # sudo: the credentials are checked, never shown.
    company_sudo = company.sudo()
    sid, sender = company_sudo.paylink_twilio_account_sid, (company_sudo.paylink_twilio_sender or "").strip()
    if not (sid and company_sudo.paylink_twilio_auth_token and sender):
        return [(False, label_account, env._("Fill in the Account SID, the Auth Token and the sender."))]
    client = get_client(company)
    try:
        account = client.api.v2010.accounts(sid).fetch()
    except TwilioRestException as error:
        if error.status in (401, 403, 404):
            return [(False, label_account, env._("Twilio refused the Account SID and Auth Token."))]
        return [(False, label_account, env._("Twilio answered HTTP %(status)s.", status=error.status))]
    except requests.exceptions.RequestException:
        return [(False, label_account, env._("Twilio could not be reached."))]
    lines = [
        (
            account.status == "active",
            label_account,
            env._("%(name)s, %(status)s.", name=account.friendly_name or sid, status=account.status),
        )
    ]
    try:
        if sender.startswith("MG"):
            service = client.messaging.v1.services(sender).fetch()
            lines.append(
                (True, label_sender, env._("Messaging Service %(name)s.", name=service.friendly_name))
            )
        elif client.api.v2010.accounts(sid).incoming_phone_numbers.list(phone_number=sender, limit=1):
            lines.append(
                (True, label_sender, env._("%(number)s is a number of this account.", number=sender))
            )
        else:
            lines.append(
                (False, label_sender, env._("%(number)s is not a number of this account.", number=sender))
            )
    except TwilioRestException as error:
        if error.status == 404:
            lines.append(
                (False, label_sender, env._("Twilio knows no Messaging Service %(sid)s.", sid=sender))
            )
        else:
            lines.append((None, label_sender, env._("Twilio answered HTTP %(status)s.", status=error.status)))
    except requests.exceptions.RequestException:
        lines.append((None, label_sender, env._("Twilio could not be reached.")))
    return lines


def blacklist_if_opted_out(env, number, error_code):
    """Blacklist ``number`` when Twilio refused a message because its owner replied STOP.

    :param error_code: Twilio's ``ErrorCode`` of a failed message (at sending or in a callback).
    """
    if str(error_code) == const.TWILIO_OPTED_OUT_ERROR:
        opt_out(env, number, _lt("Twilio: the customer replied STOP.")._translate(env.lang or "en_US"))


def opt_out(env, number, message):
    """The owner of ``number`` opted out (STOP): Odoo's blacklist gets the number and their
    consent to reminders by SMS goes with it.

    :param number: the number, E.164 (as Twilio sends it).
    :param message: what the blacklist's chatter says about it.
    """
    # sudo: the customer's own STOP, relayed by Twilio; Odoo's blacklist is its record, whoever relays it.
    env["phone.blacklist"].sudo()._add([number], message=message)
    # sudo: as above; their consent to reminders goes with it.
    env["res.partner"].sudo()._paylink_withdraw_sms_consent_of_number(number)


def is_valid_signature(company, url, params, signature, signature_settings=None):
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) is Twilio's for this request.

    :param url: the public URL Twilio called (``request.httprequest.url``, which is the public one
        behind a proxy when Odoo runs with ``proxy_mode``).
    :param dict params: the POSTed form fields.
    :param signature_settings: the ``X-Twilio-Webhooks-Signature-Settings`` header, naming the
        algorithm (HMAC-SHA1 when absent).
    """
    # sudo: the auth token (system-only field) verifies the signature and goes nowhere else.
    token = company.sudo().paylink_twilio_auth_token
    if not (token and signature):
        return False
    algorithm = get_signature_algorithm(signature_settings)
    return RequestValidator(token).validate(url, params, signature, algorithm=algorithm)


def _never_connected(error):
    """Whether a ``requests`` connection error happened before the request left (safe to retry)."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class TwilioApi:
    """Send SMS through one company's Twilio account.

    ``ERRORS`` maps Twilio's error codes to a failure type of ``sms.sms`` (what Odoo's chatter
    shows) and a reason the accountant can act on. Codes 21xxx come back when the message is
    created; 30xxx arrive later in status callbacks.
    """

    ERRORS = {
        20003: ("sms_acc", _lt("Twilio refused the credentials: check the Account SID and Auth Token.")),
        21211: ("sms_number_format", _lt("The number is not a valid phone number.")),
        21408: ("sms_country_not_supported", _lt("The Twilio account may not send to this country.")),
        21606: ("sms_acc", _lt("The sender number cannot send SMS: check the Twilio sender.")),
        21608: ("sms_acc", _lt("A Twilio trial account can only send to numbers verified on it.")),
        int(const.TWILIO_OPTED_OUT_ERROR): (
            "sms_blacklist",
            _lt("The customer replied STOP to this sender: they must reply START first."),
        ),
        21612: ("sms_invalid_destination", _lt("Twilio cannot route a message to this number.")),
        21614: ("sms_number_format", _lt("The number is not a mobile number; it cannot receive SMS.")),
        21635: ("sms_number_format", _lt("The number is a landline; it cannot receive SMS.")),
        30003: ("sms_not_delivered", _lt("The phone is switched off or out of coverage.")),
        30004: ("sms_rejected", _lt("The customer's phone blocks messages from this sender.")),
        30005: ("sms_invalid_destination", _lt("The number does not exist or is no longer in service.")),
        30006: ("sms_invalid_destination", _lt("The number is a landline or its carrier cannot take SMS.")),
        30007: ("sms_rejected", _lt("The carrier filtered the message as spam.")),
        30008: ("sms_not_delivered", _lt("The carrier could not deliver the message (unknown error).")),
        30034: (
            "sms_registration_needed",
            _lt("US carriers blocked the message: the sender number is not registered for A2P 10DLC."),
        ),
    }
    # Failures worth another attempt: the message was certainly not accepted, or Twilio asks us
    # to slow down. A read timeout is not among them: the message may have gone out.
    RETRY_STATUSES = {429, 500, 502, 503, 504}

    def __init__(self, company, retry_delays=const.TWILIO_RETRY_DELAYS):
        """Read what the calls need from the database once: :meth:`send` and :meth:`find_message`
        then run in any thread (each with its own client), never touching the database.
        """
        self.lang = company.env.lang or "en_US"
        # sudo: the sender is read for whoever runs the SMS queue.
        self.sender = company.sudo().paylink_twilio_sender or ""
        self._new_client = _client_factory(company)
        self._local = threading.local()
        self.retry_delays = retry_delays
        # Twilio's 429 slows the whole batch down, not one thread: every call waits until then.
        self._pause_until = 0.0
        self._pause_lock = threading.Lock()

    @property
    def client(self):
        if not hasattr(self._local, "client"):
            self._local.client = self._new_client()
        return self._local.client

    def _wait_for_pause(self):
        while True:
            with self._pause_lock:
                delay = self._pause_until - time.monotonic()
            if delay <= 0:
                return
            time.sleep(delay)

    def _pause(self, seconds):
        with self._pause_lock:
            self._pause_until = max(self._pause_until, time.monotonic() + seconds)

    def find_message(self, number, body, since, claimed):
        """Return the SID of a message Twilio took for ``number`` with ``body`` at or after
        ``since`` (a naive UTC datetime), or ``None``: whether a send cut short (a killed worker)
        went out.

        :param set claimed: SIDs already recorded for other SMS (shared by the batch's threads);
            the SID found is added to it, so that two identical SMS never claim the same message.
        """
        since = since.replace(tzinfo=datetime.timezone.utc)
        self._wait_for_pause()
        # By creation time: Twilio's DateSent stays empty while a message waits in its queue.
        for message in self.client.messages.list(to=number, limit=50):
            created = message.date_created
            if (
                message.body != body
                or message.status in ("failed", "canceled")
                or not created
                or created < since
            ):
                continue
            with self._pause_lock:
                if message.sid not in claimed:
                    claimed.add(message.sid)
                    return message.sid
        return None

    @classmethod
    def get_error(cls, code, lang="en_US"):
        """Return ``(failure_type, reason)`` for a Twilio error code (int or str), in ``lang``."""
        try:
            code = int(code)
        except (TypeError, ValueError):
            code = None
        failure_type, reason = cls.ERRORS.get(code, ("unknown", None))
        if reason is None:
            reason = _lt("Twilio error %(code)s.", code=code) if code else _lt("Unknown Twilio error.")
        return failure_type, reason._translate(lang)

    def send(self, number, body, status_callback=None, since=None, claimed=None):
        """Create one message; retry 429, 5xx and refused connections with backoff.

        A 5xx may hide a message Twilio took: before sending again after one, Twilio's log is
        searched (:meth:`find_message`) for the message, from ``since``.

        :param str number: the recipient in E.164.
        :param since: a naive UTC datetime at or before the first attempt; ``None``: no lookup.
        :param set claimed: SIDs already recorded for other SMS (see :meth:`find_message`); the
            SID of the message sent or found is added to it.
        :return: dict with ``ok`` and either ``sid`` and ``status``, or ``failure_type``,
            ``error_code``, ``reason`` and ``transient`` (Twilio may take it later).
        """
        claimed = set() if claimed is None else claimed
        params = {"to": number, "body": body}
        if self.sender.startswith("MG"):
            params["messaging_service_sid"] = self.sender
        else:
            params["from_"] = self.sender
        if status_callback:
            params["status_callback"] = status_callback
        attempt = 0
        while True:
            self._wait_for_pause()
            result = self._create(params)
            if result["ok"]:
                with self._pause_lock:
                    claimed.add(result["sid"])
                return result
            if not result["transient"] or attempt >= len(self.retry_delays):
                return result
            _logger.info("Twilio: %s; new attempt in %ss", result["reason"], self.retry_delays[attempt])
            if result.get("status") == 429:
                self._pause(self.retry_delays[attempt])
            else:
                time.sleep(self.retry_delays[attempt])
            attempt += 1
            if since is not None and (result.get("status") or 0) >= 500:
                if sid := self._find_after_error(number, body, since, claimed):
                    return {"ok": True, "sid": sid, "status": "queued"}

    def _find_after_error(self, number, body, since, claimed):
        """Return the SID of the message a 5xx hid, or ``None`` (not taken, or Twilio still down)."""
        try:
            sid = self.find_message(number, body, since, claimed)
        except (TwilioRestException, requests.exceptions.RequestException) as error:
            _logger.info("Twilio: could not look the message up after an error: %s", error)
            return None
        if sid:
            _logger.info("Twilio: the message was taken despite the error (%s): not sent again", sid)
        return sid

    def _create(self, params):
        try:
            message = self.client.messages.create(**params)
        except TwilioRestException as error:
            transient = error.status in self.RETRY_STATUSES
            if error.code and not transient:
                failure_type, reason = self.get_error(error.code, self.lang)
            elif error.status == 429:
                failure_type, reason = (
                    "sms_server",
                    _lt("Twilio is rate limiting this account.")._translate(self.lang),
                )
            else:
                failure_type = "sms_server"
                reason = _lt(
                    "Twilio answered HTTP %(status)s: %(message)s", status=error.status, message=error.msg
                )._translate(self.lang)
            return {
                "ok": False,
                "transient": transient,
                "failure_type": failure_type,
                "error_code": error.code or error.status,
                "status": error.status,
                "reason": reason,
            }
        except requests.exceptions.ConnectTimeout:
            return self._server_error(
                _lt("Twilio could not be reached (connection timed out)."), transient=True
            )
        except requests.exceptions.Timeout:
            # The request reached Twilio: sending again could send the SMS twice.
            return self._server_error(
                _lt(
                    "Twilio did not answer in time; the SMS may have been sent. Check Twilio's "
                    "message log before sending again."
                ),
                transient=False,
            )
        except requests.exceptions.ConnectionError as error:
            if _never_connected(error):
                return self._server_error(_lt("Twilio could not be reached."), transient=True)
            # Reset after the request went out: as for a timeout, it may have been sent.
            return self._server_error(
                _lt(
                    "The connection to Twilio broke; the SMS may have been sent. Check Twilio's "
                    "message log before sending again."
                ),
                transient=False,
            )
        return {"ok": True, "sid": message.sid, "status": message.status}

    def _server_error(self, reason, transient):
        return {
            "ok": False,
            "transient": transient,
            "failure_type": "sms_server",
            "error_code": None,
            "reason": reason._translate(self.lang),
        }
