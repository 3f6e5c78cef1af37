"""Shared test fixtures: a company wired to Odoo's Demo payment provider and the Twilio double.

Helpers
-------
:class:`PaylinkTestCommon`
    Base class: company with Odoo's Demo payment provider (``payment_demo``, test mode, published,
    tokenization allowed) and Twilio credentials pointed at a :class:`~.twilio_double.TwilioDouble`,
    a partner with a mobile number and an email, and a posted customer invoice of 115.00
    (100.00 + 15 % tax). Users: accountant, SMS sender (accountant with the SMS group), manager.
    :meth:`~PaylinkTestCommon.open_send_wizard` and :meth:`~PaylinkTestCommon.process_sms_queue`
    drive the send wizard and Odoo's SMS queue.
:class:`PaylinkPaymentCommon`
    Adds tips with a tip account and receipts, and :meth:`~PaylinkPaymentCommon.start_payment`
    and :meth:`~PaylinkPaymentCommon.demo_notify`, which drive a payment through our transaction
    route and the Demo provider's notifications, as the payment form does.
"""

import json
import secrets
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import new_test_user
from odoo.tests.common import ChromeBrowser

from .. import const
from .twilio_double import TwilioDouble
from odoo.addons.account.tests.common import AccountTestInvoicingCommon

ADDON_DIR = Path(__file__).resolve().parent.parent


class PaylinkTestCommon(AccountTestInvoicingCommon):
    """A company ready to take payment links, with its external services on loopback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.provider = cls.prepare_demo_provider(cls.company)
        cls.twilio = TwilioDouble().start()
        cls.addClassCleanup(cls.twilio.stop)

        ICP = cls.env["ir.config_parameter"].sudo()
        ICP.set_param(const.PARAM_TWILIO_API_BASE, cls.twilio.url)

        cls.twilio_sid = "AC" + secrets.token_hex(16)
        cls.twilio_token = secrets.token_hex(16)
        cls.twilio.accounts = {cls.twilio_sid: cls.twilio_token}
        cls.company.write(
            {
                "paylink_twilio_account_sid": cls.twilio_sid,
                "paylink_twilio_auth_token": cls.twilio_token,
                "paylink_twilio_sender": "+15005550006",
                "paylink_sms_gateway": "twilio",
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
    def prepare_demo_provider(cls, company):
        """Return Odoo's Demo provider for ``company`` (a copy of the main company's), ready.

        The suite needs ``payment_demo`` installed (``make test`` installs it): the tours pay with it.
        """
        if cls.env["ir.module.module"]._get("payment_demo").state != "installed":
            raise RuntimeError("payment_demo must be installed to run these tests (make test installs it)")
        Provider = cls.env["payment.provider"].sudo()
        provider = Provider.search([("code", "=", "demo"), ("company_id", "=", company.id)], limit=1)
        if not provider:
            provider = cls.env.ref("payment.payment_provider_demo").sudo().copy({"company_id": company.id})
        provider.write({"state": "test", "is_published": True, "allow_tokenization": True})
        # Other providers of the company stay out of the way.
        Provider.search([("company_id", "=", company.id), ("id", "!=", provider.id)]).state = "disabled"
        return provider

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

    def lookup(self, token):
        """Return the link the pay page finds for ``token`` (empty when it answers 404)."""
        return self.env["account.payment.link"]._paylink_get_by_token(token)

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

    def make_terms(self, name, lines):
        """Payment terms of ``lines``: ``(percent, days)`` each."""
        return self.env["account.payment.term"].create(
            {
                "name": name,
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": percent, "nb_days": days})
                    for percent, days in lines
                ],
            }
        )

    def make_posted_invoice(self, price=1000.0, terms=None, name="Work", invoice_date=None):
        """A posted customer invoice of one untaxed line, for the suite's customer."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": invoice_date or fields.Date.today(),
                "invoice_payment_term_id": terms.id if terms else False,
                "invoice_line_ids": [Command.create({"name": name, "price_unit": price, "tax_ids": False})],
            }
        )
        invoice.action_post()
        return invoice

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
    """Adds what payments need: tips with a tip account, receipts, and helpers that pay a link
    through our transaction route and Odoo's Demo provider. Use it with ``HttpCase``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tip_account = cls.company_data["default_account_revenue"].copy({"name": "Tips"})
        cls.company.write(
            {
                "paylink_tip_account_id": cls.tip_account.id,
                "paylink_tips_enabled": True,
                "paylink_tip_percentages": "18,20,25",
                "paylink_send_receipt": True,
            }
        )
        cls.demo_method = cls.provider.payment_method_ids[:1]

    def transaction_params(self, **overrides):
        """The keyword arguments Odoo's payment form sends to the transaction route."""
        params = {
            "provider_id": self.provider.id,
            "payment_method_id": self.demo_method.id,
            "token_id": None,
            "amount": 1.0,  # what the browser claims; the route ignores it
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/somewhere/else",
            "is_validation": False,
            "access_token": None,
            "csrf_token": "ignored-by-json-routes",
            "tip_percent": 0,
        }
        params.update(overrides)
        return params

    def start_payment(self, link, **overrides):
        """Call the link's transaction route as the page's payment form would (public user).

        :return: the JSON-RPC response body (``result`` or ``error``).
        """
        return self.jsonrpc(f"/pay/{self.token_of(link)}/transaction", self.transaction_params(**overrides))

    def jsonrpc(self, url, params):
        response = self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def pay_link(self, link, state="done", **overrides):
        """Start a payment of ``link`` and have the Demo provider report ``state`` for it.

        :return: the ``payment.transaction``.
        """
        body = self.start_payment(link, **overrides)
        self.assertIn("result", body, body)
        reference = body["result"]["reference"]
        self.demo_notify(reference, state)
        return self.env["payment.transaction"].sudo().search([("reference", "=", reference)])

    def demo_notify(self, reference, state="done"):
        """What the Demo provider's form posts once the customer clicked Pay (its webhook)."""
        body = self.jsonrpc(
            "/payment/demo/simulate_payment",
            {"reference": reference, "payment_details": "4242", "simulated_state": state},
        )
        self.assertNotIn("error", body, body)


@contextmanager
def screenshot_before_the_browser_closes(prefix, width, height, scale=1, mobile=False):
    """While inside, Odoo's test browser takes a screenshot of its page (``prefix`` in Odoo's
    screenshots folder), at ``width`` x ``height``, just before it closes: once the test's script
    said it was done."""
    stop = ChromeBrowser.stop

    def screenshot_then_stop(browser):
        metrics = {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}
        browser._websocket_request("Emulation.setDeviceMetricsOverride", params=metrics)
        browser.take_screenshot(prefix=prefix).result(timeout=20)
        return stop(browser)

    with patch.object(ChromeBrowser, "stop", screenshot_then_stop):
        yield


def html_nodes_containing(doc, needle):
    """Return the text nodes, attribute values and comments of the parsed ``doc`` that contain ``needle``.

    What a page or email shows or links to, read from the document: an empty list proves that
    ``needle`` is nowhere in it, neither as text nor in an attribute (a URL, a ``data-`` value).
    """
    return doc.xpath(
        "//text()[contains(., $needle)] | //@*[contains(., $needle)] | //comment()[contains(., $needle)]",
        needle=needle,
    )
