"""Stripe through Odoo's payment_stripe, and what we add to it (RELIABILITY 1-9, 12, 13, 18, 28).

Stripe's API is replaced at payment_stripe's one request boundary (``_stripe_make_request``), as
Odoo's own tests do; webhook events are signed with the official SDK and posted over real HTTP
to payment_stripe's webhook route.
"""

import contextlib
import json
import time
from unittest.mock import patch

import stripe

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..tools import stripe_api
from .common import PaylinkPaymentCommon
from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment_stripe.const import HANDLED_WEBHOOK_EVENTS

WEBHOOK = "/payment/stripe/webhook"


def stripe_header(payload, secret, timestamp=None, extra_signatures=()):
    """A ``Stripe-Signature`` header as Stripe builds it, signed with the SDK's own function."""
    timestamp = int(timestamp or time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{payload}", secret)
    return ",".join([f"t={timestamp}", *(f"v1={sig}" for sig in extra_signatures), f"v1={signature}"])


class FakeStripeHTTPClient(stripe.HTTPClient):
    """Stripe's HTTP boundary for the SDK: canned answers per path, requests recorded."""

    name = "fake"

    def __init__(self, answers):
        super().__init__()
        self.answers = answers
        self.requests = []

    def request(self, method, url, headers, post_data=None):
        path = url.split("api.stripe.com", 1)[-1].split("?", 1)[0]
        self.requests.append((method, path, headers))
        status, body = self.answers.get(path, (404, {"error": {"message": "No such path"}}))
        return json.dumps(body), status, {}

    def close(self):
        pass


@tagged("post_install", "-at_install")
@contextlib.contextmanager
def stripe_answering_the_setup_check():
    """Stripe's answers to the setup check, from a loopback client: an account taking cards, and
    no webhook endpoint yet."""
    answers = {
        "/v1/account": (
            200,
            {"id": "acct_1", "object": "account", "capabilities": {"card_payments": "active"}},
        ),
        "/v1/webhook_endpoints": (200, {"object": "list", "has_more": False, "data": []}),
    }
    original = stripe_api.get_client
    fake = FakeStripeHTTPClient(answers)
    with patch.object(stripe_api, "get_client", lambda key, http_client=None: original(key, fake)):
        yield


class TestStripe(PaylinkPaymentCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card = cls.env.ref("payment.payment_method_card").sudo()
        cls.stripe = cls.make_stripe_provider(cls.company, "whsec_" + "a" * 32)
        cls.card.active = True
        cls.intents = {}

    @classmethod
    def make_stripe_provider(cls, company, webhook_secret):
        Provider = cls.env["payment.provider"].sudo()
        provider = Provider.search([("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1)
        provider = provider or cls.env.ref("payment.payment_provider_stripe").sudo().copy(
            {"company_id": company.id}
        )
        provider.write(
            {
                "state": "test",
                "is_published": True,
                "stripe_publishable_key": "pk_test_paylink",
                "stripe_secret_key": "sk_test_paylink",
                "stripe_webhook_secret": webhook_secret,
                "payment_method_ids": [(4, cls.card.id)],
            }
        )
        return provider

    # === HELPERS === #

    def fake_stripe_request(self, endpoint, payload=None, method="POST", **kwargs):
        """payment_stripe's request boundary: intents are created and read back from memory."""
        if endpoint == "payment_intents" and method == "POST":
            intent_id = f"pi_{len(self.intents) + 1:04d}"
            self.intents[intent_id] = {
                "id": intent_id,
                "object": "payment_intent",
                "client_secret": f"{intent_id}_secret",
                "status": "requires_payment_method",
                "amount": int(payload["amount"]),
                "currency": payload["currency"],
                "description": payload["description"],
            }
            return self.intents[intent_id]
        if endpoint.startswith("payment_intents/"):
            return self.intents[endpoint.split("/")[1]]
        if endpoint == "customers":
            return {"id": "cus_paylink", "object": "customer"}
        if endpoint.startswith("payment_methods/"):
            return {"id": endpoint.split("/")[1], "type": "card", "card": {"brand": "visa", "last4": "4242"}}
        raise AssertionError(f"unexpected Stripe request {method} {endpoint}")

    def stripe_tx(self, link, **params):
        """Start a Stripe payment of ``link`` from the page; return the draft transaction."""
        with patch.object(type(self.stripe), "_stripe_make_request", self.fake_stripe_request):
            body = self.start_payment(
                link, provider_id=self.stripe.id, payment_method_id=self.card.id, **params
            )
        self.assertIn("result", body, body)
        return (
            self.env["payment.transaction"].sudo().search([("reference", "=", body["result"]["reference"])])
        )

    def intent_event(self, tx, event_type="payment_intent.succeeded", status="succeeded", **overrides):
        intent = dict(self.intents[tx.provider_reference] if tx.provider_reference else {})
        intent.update(
            {
                "id": intent.get("id")
                or next(i for i, v in self.intents.items() if v["description"] == tx.reference),
                "object": "payment_intent",
                "description": tx.reference,
                "amount": payment_utils.to_minor_currency_units(tx.amount, tx.currency_id),
                "currency": tx.currency_id.name.lower(),
                "status": status,
                "payment_method": "pm_card_visa",
            }
        )
        if status == "succeeded":
            intent["amount_received"] = intent["amount"]
        intent.update(overrides)
        return {"id": f"evt_{intent['id']}_{event_type}", "object": "event", "type": event_type,
                "data": {"object": intent}}  # fmt: skip

    def post_event(self, event, secret=None, header=None):
        payload = json.dumps(event)
        headers = {"Content-Type": "application/json"}
        if header is not False:
            headers["Stripe-Signature"] = header or stripe_header(
                payload, secret or self.stripe.stripe_webhook_secret
            )
        with patch.object(type(self.stripe), "_stripe_make_request", self.fake_stripe_request):
            return self.url_open(WEBHOOK, data=payload, headers=headers)

    # === WEBHOOK VERIFICATION === #

    def test_forged_or_missing_signatures_are_refused(self):
        """RELIABILITY 1: 403 and no state change."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.stripe_tx(link)
        event = self.intent_event(tx)
        payload = json.dumps(event)
        forged = {
            "wrong v1": f"t={int(time.time())},v1={'0' * 64}",
            "wrong secret": stripe_header(payload, "whsec_not_the_secret"),
            "garbage": "not a signature",
            "missing header": False,
        }
        for label, header in forged.items():
            with self.subTest(label), mute_logger("odoo.addons.account_payment_link.controllers.stripe"):
                self.assertEqual(self.post_event(event, header=header).status_code, 403)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "draft")
        self.assertEqual(link.state, "active")
        self.assertNotIn(self.invoice.payment_state, ("paid", "in_payment"))

    def test_no_webhook_secret_refuses_every_event_and_stripe_is_not_offered(self):
        """RELIABILITY 2: Odoo's payment_stripe lets unsigned events in without a secret; not here."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.stripe_tx(link)
        event = self.intent_event(tx)
        signed = stripe_header(json.dumps(event), self.stripe.stripe_webhook_secret)
        self.stripe.stripe_webhook_secret = False
        with mute_logger("odoo.addons.account_payment_link.controllers.stripe"):
            self.assertEqual(self.post_event(event, header=signed).status_code, 403)
            self.assertEqual(self.post_event(event, header=False).status_code, 403)
        self.assertEqual(tx.state, "draft")
        page = self.url_open(f"/pay/{self.token_of(link)}").text
        self.assertNotIn(f'data-provider-id="{self.stripe.id}"', page)
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertIn("webhook signing secret", settings.paylink_stripe_status)

    def test_the_settings_show_the_stripe_provider_in_use(self):
        """A company may keep a disabled Stripe provider beside the one it uses: the settings and
        the setup check speak of the one in use (seen in the settings screenshots)."""
        disabled = self.stripe.copy({"state": "disabled", "sequence": -1})
        self.assertEqual(self.company._paylink_get_stripe_provider(), self.stripe)
        self.stripe.state = "disabled"
        self.assertIn(self.company._paylink_get_stripe_provider(), self.stripe | disabled)

    def test_each_status_line_once_in_the_settings(self):
        """Issue 18.11: when no provider can take link payments, Stripe's sentence is said once."""
        self.stripe.is_published = False
        self.provider.is_published = False
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertEqual(settings.paylink_payment_status.count("Stripe is enabled but not published."), 1)
        self.assertFalse(settings.paylink_stripe_status, "not said a second time")
        self.provider.is_published = True
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertEqual(settings.paylink_stripe_status, "Stripe is enabled but not published.")

    def test_other_apps_transactions_keep_odoos_own_check(self):
        """RELIABILITY 2, defect 10: the stricter check is for link transactions only; a Stripe
        transaction of another app (here Odoo's portal payment of an invoice, no link) keeps Odoo's
        own rule, which lets an event in while its provider has no signing secret."""
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.stripe.id,
                    "payment_method_id": self.card.id,
                    "reference": "PORTAL-INV-1",
                    "amount": self.invoice.amount_residual,
                    "currency_id": self.invoice.currency_id.id,
                    "partner_id": self.customer.id,
                    "invoice_ids": [(6, 0, self.invoice.ids)],
                }
            )
        )
        self.intents["pi_portal"] = {"id": "pi_portal", "description": tx.reference}
        tx.provider_reference = "pi_portal"
        self.stripe.stripe_webhook_secret = False
        with mute_logger("odoo.addons.payment_stripe.controllers.main"):
            response = self.post_event(self.intent_event(tx), header=False)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(tx.state, "done", "Odoo's own rule: no secret, no check")

    def test_old_timestamps_refused_and_one_good_signature_among_several_accepted(self):
        """RELIABILITY 3."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.stripe_tx(link)
        event = self.intent_event(tx)
        payload = json.dumps(event)
        secret = self.stripe.stripe_webhook_secret
        old = stripe_header(payload, secret, timestamp=time.time() - 3600)
        with mute_logger("odoo.addons.account_payment_link.controllers.stripe"):
            self.assertEqual(self.post_event(event, header=old).status_code, 403)
        self.assertEqual(tx.state, "draft")
        rolled = stripe_header(payload, secret, extra_signatures=["0" * 64])
        self.assertEqual(self.post_event(event, header=rolled).status_code, 200)
        self.assertEqual(tx.state, "done")
        self.assertEqual(link.state, "paid")

    def test_other_companys_secret_cannot_move_this_companys_transaction(self):
        """RELIABILITY 18: the event must be signed by the provider of the transaction it names."""
        company_b = self.setup_other_company(name="Company B")["company"]
        provider_b = self.make_stripe_provider(company_b, "whsec_" + "b" * 32)
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.stripe_tx(link)
        with mute_logger("odoo.addons.account_payment_link.controllers.stripe"):
            response = self.post_event(self.intent_event(tx), secret=provider_b.stripe_webhook_secret)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(tx.state, "draft")

    # === EXACTLY ONCE, ORDER, AMOUNTS === #

    def test_webhook_pays_the_invoice_without_the_browser_and_duplicates_change_nothing(self):
        """RELIABILITY 4, 5: 20 deliveries of the event, then the customer's return: one payment."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.stripe_tx(link, tip_percent=20)
        self.assertEqual(tx.amount, 138.0)
        event = self.intent_event(tx)
        for _attempt in range(20):
            self.assertEqual(self.post_event(event).status_code, 200)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(link.state, "paid")
        # The customer comes back through Stripe's return route, which asks Stripe again.
        self.intents[tx.provider_reference].update(status="succeeded", amount_received=13800)
        with patch.object(type(self.stripe), "_stripe_make_request", self.fake_stripe_request):
            self.url_open(
                f"/payment/stripe/return?reference={tx.reference}&payment_intent={tx.provider_reference}"
            )
        self.assertEqual(self.url_open(f"/pay/{self.token_of(link)}/return").status_code, 200)
        payments = self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments.amount, 138.0)

    def test_failed_after_succeeded_never_downgrades(self):
        """RELIABILITY 6."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.stripe_tx(link)
        self.post_event(self.intent_event(tx))
        failed = self.intent_event(tx, "payment_intent.payment_failed", status="requires_payment_method")
        self.assertEqual(self.post_event(failed).status_code, 200)
        self.assertEqual(tx.state, "done")
        self.assertEqual(link.state, "paid")

    def test_amount_or_currency_mismatch_is_flagged_and_reconciles_nothing(self):
        """RELIABILITY 7, 8."""
        for label, overrides in {
            "amount": {"amount": 100, "amount_received": 100},
            "currency": {"currency": "eur"},
        }.items():
            with self.subTest(label):
                invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
                link = self.make_link(link_type="invoice", move_id=invoice.id)
                tx = self.stripe_tx(link)
                self.assertEqual(self.post_event(self.intent_event(tx, **overrides)).status_code, 200)
                self.assertEqual(tx.state, "error")
                self.assertFalse(tx.payment_id)
                self.assertTrue(link.needs_review)
                self.assertEqual(link.state, "active")
                self.assertEqual(invoice.payment_state, "not_paid")
                self.assertTrue(any("was not recorded" in (m.body or "") for m in link.message_ids))

    def test_zero_and_three_decimal_currencies_round_trip_in_minor_units(self):
        """RELIABILITY 9: what Stripe is asked for is what the check expects back."""
        for code, amount, minor in (("JPY", 1150.0, 1150), ("KWD", 1.235, 1235), ("USD", 115.0, 11500)):
            with self.subTest(code):
                currency = self.env.ref(f"base.{code}")
                currency.active = True
                tx = (
                    self.env["payment.transaction"]
                    .sudo()
                    .create(
                        {
                            "provider_id": self.stripe.id,
                            "payment_method_id": self.card.id,
                            "reference": f"PL-{code}",
                            "amount": amount,
                            "currency_id": currency.id,
                            "partner_id": self.customer.id,
                            "paylink_id": self.make_link(currency_id=currency.id, custom_amount=amount).id,
                        }
                    )
                )
                with patch.object(type(self.stripe), "_stripe_make_request", self.fake_stripe_request):
                    self.assertEqual(tx._stripe_prepare_payment_intent_payload()["amount"], minor)
                intent = {"id": "pi", "amount": minor, "amount_received": minor, "currency": code.lower()}
                self.assertFalse(tx._paylink_stripe_amount_mismatch({"payment_intent": intent}))
                intent["amount_received"] = minor + 1
                self.assertTrue(tx._paylink_stripe_amount_mismatch({"payment_intent": intent}))

    def test_ach_processing_then_succeeded(self):
        """RELIABILITY 28 with Stripe: processing blocks a second payment, then succeeded pays."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.stripe_tx(link)
        processing = self.intent_event(tx, "payment_intent.processing", status="processing")
        self.assertEqual(self.post_event(processing).status_code, 200)
        self.assertEqual(tx.state, "pending")
        self.assertTrue(link.payment_pending)
        self.assertIn("being processed", self.url_open(f"/pay/{self.token_of(link)}").text)
        body = self.start_payment(link, provider_id=self.stripe.id, payment_method_id=self.card.id)
        self.assertIn("being processed", body["error"]["data"]["message"])
        self.assertEqual(self.post_event(self.intent_event(tx)).status_code, 200)
        self.assertEqual(tx.state, "done")
        self.assertFalse(link.payment_pending)
        self.assertEqual(link.state, "paid")
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))

    def test_ach_processing_then_failed_reopens_the_link(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.stripe_tx(link)
        self.post_event(self.intent_event(tx, "payment_intent.processing", status="processing"))
        failed = self.intent_event(
            tx, "payment_intent.payment_failed", status="requires_payment_method",
            last_payment_error={"message": "The bank account was closed."},
        )  # fmt: skip
        self.assertEqual(self.post_event(failed).status_code, 200)
        self.assertEqual(tx.state, "error")
        self.assertFalse(link.payment_pending)
        self.assertEqual(link.state, "active")
        self.assertFalse(tx.payment_id)

    def test_unknown_intent_is_acknowledged_and_changes_nothing(self):
        """RELIABILITY 13: a business error is logged and answered 200, Stripe does not retry."""
        event = {"id": "evt_unknown", "object": "event", "type": "payment_intent.succeeded",
                 "data": {"object": {"id": "pi_unknown", "object": "payment_intent", "description": "NOPE",
                                     "status": "succeeded", "amount": 100, "currency": "usd"}}}  # fmt: skip
        Tx, Payment = self.env["payment.transaction"].sudo(), self.env["account.payment"].sudo()
        counts = (Tx.search_count([]), Payment.search_count([]))
        with self.assertLogs("odoo.addons.payment_stripe.controllers.main", "ERROR") as logs:
            self.assertEqual(self.post_event(event).status_code, 200)
        self.assertIn("NOPE", "\n".join(logs.output))
        self.assertEqual((Tx.search_count([]), Payment.search_count([])), counts)

    def test_stripe_unreachable_when_creating_the_intent(self):
        """RELIABILITY 12: a clean message, nothing paid, and trying again works."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)

        def down(provider, *args, **kwargs):
            raise ValidationError(self.env._("Stripe: Could not establish the connection to the API."))

        with patch.object(type(self.stripe), "_stripe_make_request", down), mute_logger("odoo.http"):
            body = self.start_payment(link, provider_id=self.stripe.id, payment_method_id=self.card.id)
        message = body["error"]["data"]["message"]
        self.assertIn("Could not establish the connection", message)
        self.assertNotIn("Traceback", message)
        self.assertEqual(body["error"]["data"]["name"], "odoo.exceptions.ValidationError")
        self.assertFalse(link.transaction_ids, "the failed request left no transaction behind")
        self.assertEqual(link.state, "active")
        tx = self.stripe_tx(link)
        self.post_event(self.intent_event(tx))
        self.assertEqual(link.state, "paid")
        self.assertEqual(len(link.transaction_ids.payment_id), 1)

    def test_intent_creation_is_idempotent_across_a_replayed_request(self):
        """RELIABILITY 11: Odoo replays a request after a serialization failure; the replay asks
        Stripe with the same idempotency key, so Stripe makes one PaymentIntent, not two."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        sent = []

        class Response:
            ok, status_code = True, 200

            def __init__(self, body):
                self.body = body

            def json(self):
                return self.body

        def fake_request(method, url, data=None, headers=None, timeout=None):
            sent.append((url.rsplit("/", 1)[-1], headers.get("Idempotency-Key")))
            if url.endswith("customers"):
                return Response({"id": "cus_1"})
            return Response(
                {"id": "pi_1", "client_secret": "pi_1_secret", "status": "requires_payment_method"}
            )

        def new_tx():
            Tx = self.env["payment.transaction"].sudo()
            return Tx.create(
                {
                    "provider_id": self.stripe.id,
                    "payment_method_id": self.card.id,
                    "reference": Tx._compute_reference("stripe", prefix=link.name),
                    "amount": 115.0,
                    "currency_id": self.invoice.currency_id.id,
                    "partner_id": self.customer.id,
                    "operation": "online_direct",
                    "paylink_id": link.id,
                }
            )

        with patch("odoo.addons.payment_stripe.models.payment_provider.requests.request", fake_request):
            with self.assertRaises(RuntimeError), self.cr.savepoint():
                new_tx()._stripe_create_intent()
                raise RuntimeError("serialization failure: the request is rolled back and replayed")
            new_tx()._stripe_create_intent()
            other_link = self.make_link(custom_amount=20.0)
            link = other_link
            new_tx()._stripe_create_intent()
        keys = [key for endpoint, key in sent if endpoint == "payment_intents"]
        self.assertEqual(len(keys), 3)
        self.assertTrue(keys[0])
        self.assertEqual(keys[0], keys[1], "the replay reuses the key")
        self.assertNotEqual(keys[1], keys[2], "another payment has its own key")

    # === SETUP CHECK === #

    def test_setup_check_reports_keys_webhook_and_methods(self):
        webhook_url = self.company.get_base_url() + WEBHOOK
        good = {
            "/v1/account": (
                200,
                {
                    "id": "acct_1",
                    "object": "account",
                    "capabilities": {
                        "card_payments": "active",
                        "us_bank_account_ach_payments": "active",
                        "sepa_debit_payments": "inactive",
                    },
                },
            ),
            "/v1/webhook_endpoints": (
                200,
                {
                    "object": "list",
                    "has_more": False,
                    "url": "/v1/webhook_endpoints",
                    "data": [
                        {
                            "id": "we_1",
                            "object": "webhook_endpoint",
                            "url": webhook_url,
                            "status": "enabled",
                            "enabled_events": HANDLED_WEBHOOK_EVENTS,
                        }
                    ],
                },
            ),
        }
        client = FakeStripeHTTPClient(good)
        lines = stripe_api.check_setup("sk_test_x", webhook_url, HANDLED_WEBHOOK_EVENTS, http_client=client)
        self.assertEqual([ok for ok, _label, _detail in lines], [True, True, True])
        self.assertIn("ACH direct debit", lines[2][2])
        self.assertIn("cards", lines[2][2])
        self.assertNotIn("SEPA", lines[2][2])
        self.assertEqual(client.requests[0][2]["Stripe-Version"], stripe_api.const.STRIPE_API_VERSION)

        missing_event = dict(good)
        endpoint = dict(
            good["/v1/webhook_endpoints"][1]["data"][0], enabled_events=["payment_intent.succeeded"]
        )
        missing_event["/v1/webhook_endpoints"] = (
            200,
            dict(good["/v1/webhook_endpoints"][1], data=[endpoint]),
        )
        lines = stripe_api.check_setup("sk_test_x", webhook_url, HANDLED_WEBHOOK_EVENTS,
                                       http_client=FakeStripeHTTPClient(missing_event))  # fmt: skip
        self.assertFalse(lines[1][0])
        self.assertIn("payment_intent.processing", lines[1][2])

        no_endpoint = dict(
            good, **{"/v1/webhook_endpoints": (200, dict(good["/v1/webhook_endpoints"][1], data=[]))}
        )
        lines = stripe_api.check_setup("sk_test_x", webhook_url, HANDLED_WEBHOOK_EVENTS,
                                       http_client=FakeStripeHTTPClient(no_endpoint))  # fmt: skip
        self.assertFalse(lines[1][0])
        self.assertIn(webhook_url, lines[1][2])

        refused = {
            "/v1/account": (
                401,
                {"error": {"message": "Invalid API Key provided", "type": "invalid_request_error"}},
            )
        }
        lines = stripe_api.check_setup("sk_test_bad", webhook_url, HANDLED_WEBHOOK_EVENTS,
                                       http_client=FakeStripeHTTPClient(refused))  # fmt: skip
        self.assertEqual(lines, [(False, "API keys", "Stripe refused the secret key.")])

    def test_setup_check_button_shows_the_result_in_the_settings(self):
        webhook_url = self.company.get_base_url() + WEBHOOK
        with stripe_answering_the_setup_check():
            settings = self.env["res.config.settings"].with_company(self.company).create({})
            action = settings.action_paylink_check_payment_setup()
        result = self.company.paylink_payment_check_result
        # Issue 18.11: shown in the settings section, under the button (no page reload).
        self.assertIs(action, True)
        shown = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertEqual(shown.paylink_payment_check_result, result)
        arch = shown.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="paylink_payment_check_result"', arch)
        self.assertIn("acct_1", result)
        self.assertIn(webhook_url, result)
        self.assertIn("fa-times", result)
