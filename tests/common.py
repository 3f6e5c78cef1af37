"""Shared test fixtures: a company wired to the Stripe emulator and the Twilio double.

Helpers
-------
:func:`localstripe_url`
    The base URL of a running localstripe. ``make test`` starts one on a free loopback port and
    passes it in ``PAYLINK_LOCALSTRIPE_URL``; when a developer runs Odoo's test runner by hand,
    the first call starts one from the tools virtualenv and stops it when Odoo exits.
:class:`PaylinkTestCommon`
    Base class: company with Stripe keys pointed at localstripe and Twilio credentials pointed at
    a :class:`~.twilio_double.TwilioDouble`, a partner with a mobile number and an email, and a
    posted customer invoice of 115.00 (100.00 + 15 % tax). Users: accountant, SMS sender
    (accountant with the SMS group), manager. :meth:`~PaylinkTestCommon.open_send_wizard` and
    :meth:`~PaylinkTestCommon.process_sms_queue` drive the send wizard and Odoo's SMS queue.
"""

import atexit
import os
import secrets
import socket
import subprocess
import time
from contextlib import closing
from pathlib import Path
from unittest.mock import patch

import requests

from odoo import fields
from odoo.tests import new_test_user

from .. import const
from .twilio_double import TwilioDouble
from odoo.addons.account.tests.common import AccountTestInvoicingCommon

ADDON_DIR = Path(__file__).resolve().parent.parent
LOCALSTRIPE_ENV = "PAYLINK_LOCALSTRIPE_URL"

_localstripe = {}


def free_port():
    """Return a TCP port free on 127.0.0.1 right now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url, timeout=20.0):
    """Wait until ``url`` answers any HTTP status; raise ``TimeoutError`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f}s") from None
            time.sleep(0.2)


def start_localstripe(port=None, python=None):
    """Start localstripe on 127.0.0.1 and return ``(process, url)``.

    :param port: the port, a free one by default.
    :param python: the interpreter that has localstripe installed; by default
        ``PAYLINK_LOCALSTRIPE_PYTHON`` or the addon's ``.venv`` made by ``make setup``.
    """
    port = port or free_port()
    python = python or os.environ.get("PAYLINK_LOCALSTRIPE_PYTHON") or ADDON_DIR / ".venv/bin/python"
    process = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [str(python), str(ADDON_DIR / "scripts/localstripe_loopback.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/js.stripe.com/v3/")
    except TimeoutError:
        process.kill()
        raise
    return process, url


def localstripe_url():
    """Return the base URL of the localstripe this test run uses, starting one if needed."""
    if os.environ.get(LOCALSTRIPE_ENV):
        return os.environ[LOCALSTRIPE_ENV].rstrip("/")
    if "url" not in _localstripe:
        process, _localstripe["url"] = start_localstripe()
        atexit.register(process.terminate)
    return _localstripe["url"]


def localstripe_register_webhook(url, secret, name="odoo"):
    """Make localstripe POST its events, signed with ``secret``, to ``url``."""
    response = requests.post(
        f"{localstripe_url()}/_config/webhooks/{name}",
        data={"url": url, "secret": secret},
        timeout=10,
    )
    response.raise_for_status()


class PaylinkTestCommon(AccountTestInvoicingCommon):
    """A company ready to take payment links, with its external services on loopback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.stripe_url = localstripe_url()
        cls.twilio = TwilioDouble().start()
        cls.addClassCleanup(cls.twilio.stop)

        ICP = cls.env["ir.config_parameter"].sudo()
        ICP.set_param(const.PARAM_STRIPE_API_BASE, cls.stripe_url)
        ICP.set_param(const.PARAM_STRIPE_JS_URL, cls.stripe_url + "/js.stripe.com/v3/isolated/")
        ICP.set_param(const.PARAM_TWILIO_API_BASE, cls.twilio.url)

        cls.twilio_sid = "AC" + secrets.token_hex(16)
        cls.twilio_token = secrets.token_hex(16)
        cls.twilio.accounts = {cls.twilio_sid: cls.twilio_token}
        cls.company.write(
            {
                "paylink_stripe_publishable_key": "pk_test_" + secrets.token_hex(12),
                "paylink_stripe_secret_key": "sk_test_" + secrets.token_hex(12),
                "paylink_stripe_webhook_secret": "whsec_" + secrets.token_hex(16),
                "paylink_twilio_account_sid": cls.twilio_sid,
                "paylink_twilio_auth_token": cls.twilio_token,
                "paylink_twilio_sender": "+15005550006",
            }
        )

        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Ada Customer",
                "email": "ada.customer@example.com",
                "mobile": "+1 415 555 0134",
                "country_id": cls.env.ref("base.us").id,
                "company_id": False,
            }
        )
        cls.invoice = cls.init_invoice(
            "out_invoice", partner=cls.customer, amounts=[100.0], taxes=cls.tax_sale_a, post=True
        )

        # An accountant may see, copy and email links; a manager also revokes and makes custom links.
        cls.user_accountant = new_test_user(
            cls.env,
            login="paylink_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[fields.Command.set(cls.company.ids)],
        )
        cls.user_sms_sender = new_test_user(
            cls.env,
            login="paylink_sms_sender",
            groups="account.group_account_invoice,account_payment_link.group_paylink_sms,base.group_partner_manager",
            company_id=cls.company.id,
            company_ids=[fields.Command.set(cls.company.ids)],
        )
        # The suite's own user sends SMS as an administrator would.
        cls.env.user.groups_id |= cls.env.ref("account_payment_link.group_paylink_sms")
        cls.user_manager = new_test_user(
            cls.env,
            login="paylink_manager",
            groups="account.group_account_invoice,account_payment_link.group_paylink_manager",
            company_id=cls.company.id,
            company_ids=[fields.Command.set(cls.company.ids)],
        )

    @classmethod
    def make_link(cls, **values):
        """Create a link as the superuser (custom-amount by default)."""
        values.setdefault("link_type", "custom")
        if values["link_type"] == "custom":
            values.setdefault("partner_id", cls.customer.id)
            values.setdefault("custom_amount", 50.0)
            values.setdefault("description", "Deposit")
        values.setdefault("company_id", cls.company.id)
        return cls.env["account.payment.link"].create(values)

    def open_send_wizard(self, link, user=None, **values):
        """Return the send wizard of ``link`` as ``user`` (the SMS sender by default), with ``values``."""
        user = user or self.user_sms_sender
        action = link.with_user(user).action_send()
        Wizard = self.env[action["res_model"]].with_user(user).with_context(**action["context"])
        return Wizard.create(values)

    def process_sms_queue(self):
        """Run Odoo's SMS queue (what its cron does) with retries that do not wait; return new messages.

        :return: the messages the Twilio double accepted during the run.
        """
        before = len(self.twilio.messages)
        with patch.object(type(self.env["sms.sms"]), "_paylink_retry_delays", lambda self: (0, 0, 0)):
            self.env["sms.sms"].sudo()._process_queue()
        return self.twilio.messages[before:]

    @staticmethod
    def token_of(link):
        return link.sudo().access_token

    def pay(self, invoice, amount):
        """Register a payment of ``amount`` on ``invoice`` the way an accountant would."""
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount})
            ._create_payments()
        )

    @classmethod
    def make_portal_user(cls, partner, login):
        """Create a portal user logged in as ``partner``; its password is its login."""
        return new_test_user(
            cls.env,
            login=login,
            password=login,
            groups="base.group_portal",
            partner_id=partner.id,
            email=partner.email,
        )


class PaylinkPaymentCommon(PaylinkTestCommon):
    """Adds what card payments need: a journal, tips with a tip account, receipts, and helpers to
    hear localstripe's signed webhooks. Use it with ``HttpCase``."""

    WEBHOOK = "/paylink/stripe/webhook"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tip_account = cls.company_data["default_account_revenue"].copy({"name": "Tips"})
        cls.company.write(
            {
                "paylink_journal_id": cls.company_data["default_journal_bank"].id,
                "paylink_tip_account_id": cls.tip_account.id,
                "paylink_tips_enabled": True,
                "paylink_tip_percentages": "18,20,25",
                "paylink_send_receipt": True,
            }
        )
        cls.secret = cls.company.sudo().paylink_stripe_webhook_secret

    def listen_to_localstripe(self):
        """Make localstripe post its signed events to this test's server until the test ends."""
        time.sleep(1.5)  # events of earlier tests go out one second late: let them pass first
        localstripe_register_webhook(f"{self.base_url()}{self.WEBHOOK}", self.secret, name="odoo-test")
        self.addCleanup(localstripe_register_webhook, "http://127.0.0.1:9/", "whsec_off", name="odoo-test")

    def wait_for_event(self, event_type="payment_intent.succeeded", timeout=15):
        """Return how many ``event_type`` events our webhook processed, waiting for the first."""
        deadline = time.time() + timeout
        count = 0
        while not count and time.time() < deadline:
            time.sleep(0.3)
            # A registry cursor takes the test lock that the HTTP threads take too.
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT count(*) FROM account_payment_link_event WHERE event_type = %s", [event_type]
                )
                count = cr.fetchone()[0]
        return count
