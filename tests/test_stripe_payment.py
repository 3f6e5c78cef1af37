"""Stripe payments against localstripe, and the webhook (RELIABILITY 1-13)."""

import hashlib
import hmac
import json
import time
from unittest.mock import patch

import psycopg2
import stripe

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..tools import stripe_api
from .common import PaylinkPaymentCommon

WEBHOOK = PaylinkPaymentCommon.WEBHOOK


def sign(payload, secret, timestamp=None):
    timestamp = int(timestamp or time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


@tagged("post_install", "-at_install")
class TestStripePayment(PaylinkPaymentCommon, HttpCase):
    # === HELPERS === #

    def card(self, number="4242424242424242"):
        """A card reference as the page's Stripe.js would produce (a card from a token)."""
        token = stripe_api.get_client(self.company).v1.tokens.create(
            params={"card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
        )
        return token.card.id

    def pay_link(self, link, number="4242424242424242", tip_percent=0):
        return self.make_jsonrpc_request(
            f"/pay/{self.token_of(link)}/pay",
            {"card_reference": self.card(number), "tip_percent": tip_percent},
        )

    def post_event(self, event, secret=None, header=None):
        payload = json.dumps(event).encode()
        headers = {"Content-Type": "application/json"}
        if header is not False:
            headers["Stripe-Signature"] = header or sign(payload, secret or self.secret)
        return self.url_open(WEBHOOK, data=payload, headers=headers)

    def intent_event(self, tx, event_type="payment_intent.succeeded", event_id=None, **overrides):
        obj = {
            "id": tx.stripe_intent_id,
            "object": "payment_intent",
            "amount": tx.amount_minor,
            "amount_received": tx.amount_minor,
            "currency": tx.currency_id.name.lower(),
            "status": "succeeded" if event_type.endswith("succeeded") else "requires_payment_method",
            "metadata": {"paylink_id": str(tx.link_id.id)},
        }
        obj.update(overrides)
        return {
            "id": event_id or f"evt_{tx.id}_{event_type}",
            "object": "event",
            "type": event_type,
            "data": {"object": obj},
        }

    def pending_tx(self, link=None, amount_minor=11500):
        """A transaction whose intent Stripe has not confirmed yet, for webhook tests."""
        link = link or self.make_link(link_type="invoice", move_id=self.invoice.id)
        return (
            self.env["account.payment.link.transaction"]
            .sudo()
            .create(
                {
                    "link_id": link.id,
                    "currency_id": link.currency_id.id,
                    "amount": link.amount,
                    "amount_minor": amount_minor,
                    "idempotency_key": f"test-{link.id}-{amount_minor}",
                    "stripe_intent_id": f"pi_test_{link.id}",
                }
            )
        )

    # === END TO END (server side, real localstripe) === #

    def test_invoice_paid_with_tip_and_receipt(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        result = self.pay_link(link, tip_percent=18)
        self.assertFalse(result.get("error"), result)
        self.assertEqual(result["status"], "succeeded")
        tx = link.sudo().transaction_ids
        self.assertEqual(tx.state, "done")
        self.assertAlmostEqual(tx.tip_amount, 20.70)  # 18 % of 115.00, computed by the server
        self.assertEqual(tx.amount_minor, 13570)
        self.assertEqual(
            self.invoice.payment_state, "paid" if self.invoice.payment_state == "paid" else "in_payment"
        )
        self.assertEqual(link.state, "paid")
        self.assertEqual(link.payment_id, tx.payment_id)
        self.assertAlmostEqual(link.amount_paid, 135.70)
        tip_lines = tx.payment_id.move_id.line_ids.filtered(lambda line: line.account_id == self.tip_account)
        self.assertAlmostEqual(sum(tip_lines.mapped("credit")), 20.70)
        receipt = self.env["mail.mail"].search([("model", "=", tx._name), ("res_id", "=", tx.id)])
        self.assertEqual(len(receipt), 1)
        self.assertIn(self.customer, receipt.recipient_ids)
        self.assertEqual(len(receipt.attachment_ids), 1)
        # The return page asks Stripe again and finds the work done.
        page = self.url_open(result["return_url"])
        self.assertIn("Thank you, your payment was received", page.text)
        self.assertEqual(len(self.env["account.payment"].search([("memo", "like", link.name)])), 1)

    def test_a_replayed_request_reuses_the_idempotency_key(self):
        """RELIABILITY 11 (Stripe side): a request Odoo replays after a serialization failure sends
        the same Idempotency-Key, so Stripe answers with the PaymentIntent it already made.

        (localstripe ignores idempotency keys, so the suite checks what we send.)
        """
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        card = self.card()
        keys = []
        real_request = stripe.RequestsClient.request

        def spy(client, method, url, headers, post_data=None):
            if method == "post" and url.endswith("/v1/payment_intents"):
                keys.append(headers.get("Idempotency-Key"))
            return real_request(client, method, url, headers, post_data)

        Transaction = self.env["account.payment.link.transaction"].sudo()
        with patch.object(stripe.RequestsClient, "request", autospec=True, side_effect=spy):
            # The first run is rolled back, as Odoo does before it replays a request.
            with self.assertRaises(psycopg2.errors.SerializationFailure), self.cr.savepoint():
                Transaction._paylink_start(link.sudo(), card)
                raise psycopg2.errors.SerializationFailure()
            self.assertFalse(link.sudo().transaction_ids)
            _tx, intent = Transaction._paylink_start(link.sudo(), card)
        self.assertEqual(len(keys), 2)
        self.assertEqual(keys[0], keys[1])
        self.assertEqual(intent["status"], "succeeded")
        self.assertEqual(len(link.sudo().transaction_ids), 1)

    def test_save_card_creates_the_stripe_customer_once(self):
        self.company.paylink_allow_save_card = True
        second = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        txs = self.env["account.payment.link.transaction"]
        for invoice in (self.invoice, second):
            link = self.make_link(link_type="invoice", move_id=invoice.id)
            result = self.make_jsonrpc_request(
                f"/pay/{self.token_of(link)}/pay", {"card_reference": self.card(), "save_card": True}
            )
            self.assertEqual(result.get("status"), "succeeded", result)
            txs |= link.sudo().transaction_ids
        customer_id = self.customer.with_company(self.company).sudo().paylink_stripe_customer_id
        self.assertTrue(customer_id.startswith("cus_"))
        self.assertEqual(set(txs.mapped("stripe_customer_id")), {customer_id})
        intent = stripe_api.get_client(self.company).v1.payment_intents.retrieve(txs[0].stripe_intent_id)
        self.assertEqual(intent.customer, customer_id)

    def test_save_card_is_ignored_when_not_allowed(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        result = self.make_jsonrpc_request(
            f"/pay/{self.token_of(link)}/pay", {"card_reference": self.card(), "save_card": True}
        )
        self.assertEqual(result.get("status"), "succeeded", result)
        self.assertFalse(self.customer.with_company(self.company).sudo().paylink_stripe_customer_id)

    def test_a_failing_receipt_never_undoes_the_payment(self):
        """Nothing lost: the payment is recorded even when its receipt cannot be prepared."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        Report = type(self.env["ir.actions.report"])
        with (
            patch.object(Report, "_render_qweb_pdf", side_effect=UserError("Unable to find Wkhtmltopdf")),
            mute_logger("odoo.addons.account_payment_link.models.account_payment_link"),
        ):
            result = self.pay_link(link)
        self.assertEqual(result.get("status"), "succeeded", result)
        self.assertEqual(link.state, "paid")
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(any("without the invoice PDF" in message.body for message in link.message_ids))
        tx = link.sudo().transaction_ids
        receipt = self.env["mail.mail"].search([("model", "=", tx._name), ("res_id", "=", tx.id)])
        self.assertEqual(len(receipt), 1)
        self.assertFalse(receipt.attachment_ids)

    def test_sms_consent_given_on_the_page_is_stored(self):
        self.company.write(
            {"paylink_ask_sms_consent": True, "paylink_sms_consent_text": "Text me reminders."}
        )
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        result = self.make_jsonrpc_request(
            f"/pay/{self.token_of(link)}/pay", {"card_reference": self.card(), "sms_consent": True}
        )
        self.assertEqual(result.get("status"), "succeeded", result)
        self.assertTrue(self.customer.paylink_sms_consent)
        self.assertEqual(self.customer.paylink_sms_consent_text, "Text me reminders.")
        self.assertTrue(self.customer.paylink_sms_consent_date)

    def test_tip_percent_not_offered_is_refused(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        result = self.pay_link(link, tip_percent=99)
        self.assertIn("not offered", result["error"])
        self.assertFalse(link.sudo().transaction_ids)
        self.assertEqual(self.invoice.payment_state, "not_paid")

    def test_declined_card_leaves_the_invoice_unpaid(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        result = self.pay_link(link, number="4000000000000341")
        self.assertIn("declined", result["error"].lower())
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertEqual(link.state, "active")
        self.assertFalse(self.env["account.payment"].search([("memo", "like", link.name)]))

    def test_balance_link_pays_two_invoices_oldest_first(self):
        older = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[50.0], invoice_date="2010-01-01", post=True
        )
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.assertAlmostEqual(link.amount, 165.0)
        result = self.pay_link(link)
        self.assertFalse(result.get("error"), result)
        self.assertIn(older.payment_state, ("paid", "in_payment"))
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(link.state, "active", "a balance link stays usable")
        link.invalidate_recordset(["amount"])
        self.assertAlmostEqual(link.amount, 0.0)

    def test_partial_payment_then_the_rest(self):
        """RELIABILITY 17: after a partial payment elsewhere, the link charges the residual."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.pay(self.invoice, 15.0)
        result = self.pay_link(link)
        self.assertFalse(result.get("error"), result)
        self.assertEqual(link.sudo().transaction_ids.amount_minor, 10000)
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        # Paid: a second attempt is refused and charges nothing.
        second = self.pay_link(link)
        self.assertTrue(second.get("error"))
        self.assertEqual(len(link.sudo().transaction_ids), 1)

    def test_minor_units_round_trip(self):
        """RELIABILITY 9: zero-decimal and three-decimal currencies."""
        from odoo.addons.payment import utils as payment_utils  # noqa: PLC0415

        for code, amount, minor in (("JPY", 1234.0, 1234), ("KWD", 12.345, 12345), ("USD", 115.0, 11500)):
            with self.subTest(code):
                currency = (
                    self.env["res.currency"].with_context(active_test=False).search([("name", "=", code)])
                )
                self.assertEqual(payment_utils.to_minor_currency_units(amount, currency), minor)
                self.assertEqual(payment_utils.to_major_currency_units(minor, currency), amount)

    def test_stripe_unreachable(self):
        """RELIABILITY 12: a clean message, nothing paid, and a retry creates no duplicate attempt."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        card = self.card()
        self.env["ir.config_parameter"].sudo().set_param(
            "account_payment_link.stripe_api_base", "http://127.0.0.1:9"
        )
        with mute_logger("odoo.addons.account_payment_link.tools.stripe_api"):
            for _attempt in range(2):
                result = self.make_jsonrpc_request(
                    f"/pay/{self.token_of(link)}/pay", {"card_reference": card}
                )
                self.assertIn("cannot be reached", result["error"])
        self.assertEqual(len(link.sudo().transaction_ids), 1)
        self.assertFalse(link.sudo().transaction_ids.stripe_intent_id)
        self.assertEqual(link.state, "active")
        self.assertEqual(self.invoice.payment_state, "not_paid")

    # === WEBHOOK === #

    def test_forged_signatures_are_refused(self):
        """RELIABILITY 1 and 3."""
        tx = self.pending_tx()
        event = self.intent_event(tx)
        payload = json.dumps(event).encode()
        good = sign(payload, self.secret)
        cases = {
            "wrong v1": good[: good.index("v1=") + 3] + "0" * 64,
            "wrong secret": sign(payload, "whsec_not_ours"),
            "too old": sign(payload, self.secret, timestamp=time.time() - 3600),
        }
        with patch.object(type(tx), "_paylink_refresh", autospec=True) as refresh:
            for label, header in cases.items():
                with self.subTest(label):
                    self.assertEqual(self.post_event(event, header=header).status_code, 400)
            with self.subTest("missing header"):
                self.assertEqual(self.post_event(event, header=False).status_code, 400)
            refresh.assert_not_called()
        self.assertEqual(tx.state, "pending")
        self.assertFalse(self.env["account.payment.link.event"].search_count([]))
        # One bad and one good v1 in the same header: accepted.
        timestamp = good.split(",")[0]
        mixed = f"{timestamp},v1={'0' * 64},{good.split(',')[1]}"
        self.assertEqual(self.post_event(event, header=mixed).status_code, 200)
        self.assertEqual(tx.state, "done")

    def test_no_webhook_secret_refuses_everything(self):
        """RELIABILITY 2: unlike payment_stripe, no secret means no event is accepted."""
        tx = self.pending_tx()
        self.env["res.company"].sudo().search([]).write({"paylink_stripe_webhook_secret": False})
        self.assertEqual(self.post_event(self.intent_event(tx), secret="").status_code, 400)
        self.assertEqual(tx.state, "pending")

    def test_event_processed_once(self):
        """RELIABILITY 4 and 5: a redelivered event and a second event for the same payment."""
        tx = self.pending_tx()
        event = self.intent_event(tx, event_id="evt_once")
        self.assertEqual(self.post_event(event).status_code, 200)
        self.assertEqual(self.post_event(event).status_code, 200)
        self.assertEqual(
            self.env["account.payment.link.event"].search_count([("stripe_event_id", "=", "evt_once")]), 1
        )
        charge_event = {
            "id": "evt_charge",
            "type": "charge.succeeded",
            "data": {"object": {"id": "ch_1", "object": "charge", "payment_intent": tx.stripe_intent_id}},
        }
        intent = self.intent_event(tx)["data"]["object"]
        with patch("odoo.addons.account_payment_link.tools.stripe_api.call", return_value=intent):
            self.assertEqual(self.post_event(charge_event).status_code, 200)
        self.assertEqual(tx.state, "done")
        payments = self.env["account.payment"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(payments), 1)
        self.assertEqual(
            len(payments.move_id.line_ids.matched_debit_ids | payments.move_id.line_ids.matched_credit_ids), 1
        )

    def test_failed_after_succeeded_does_not_downgrade(self):
        """RELIABILITY 6."""
        tx = self.pending_tx()
        self.post_event(self.intent_event(tx))
        self.post_event(self.intent_event(tx, "payment_intent.payment_failed"))
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.link_id.state, "paid")
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))

    def test_amount_or_currency_mismatch_is_flagged_not_recorded(self):
        """RELIABILITY 7 and 8."""
        for label, overrides in (
            ("amount", {"amount": 100, "amount_received": 100}),
            ("currency", {"currency": "eur"}),
        ):
            with self.subTest(label):
                invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[100.0], post=True)
                link = self.make_link(link_type="invoice", move_id=invoice.id)
                tx = self.pending_tx(link, amount_minor=10000)
                self.assertEqual(self.post_event(self.intent_event(tx, **overrides)).status_code, 200)
                self.assertEqual(tx.state, "mismatch")
                self.assertTrue(link.needs_review)
                self.assertEqual(invoice.payment_state, "not_paid")
                self.assertFalse(tx.payment_id)
                self.assertTrue(any("was expected" in message.body for message in link.message_ids))

    def test_unknown_intent_is_acknowledged(self):
        """RELIABILITY 13: a business error is logged and answered 200."""
        event = {
            "id": "evt_unknown",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_nobody", "object": "payment_intent", "status": "succeeded"}},
        }
        self.assertEqual(self.post_event(event).status_code, 200)

    def test_transient_error_makes_stripe_retry(self):
        """RELIABILITY 13: a database conflict answers non-2xx and leaves the event unclaimed."""
        tx = self.pending_tx()
        Transaction = type(self.env["account.payment.link.transaction"])
        with (
            patch.object(
                Transaction, "_paylink_handle_event", side_effect=psycopg2.errors.SerializationFailure()
            ),
            mute_logger("odoo.http", "odoo.sql_db"),
        ):
            response = self.post_event(self.intent_event(tx, event_id="evt_conflict"))
        self.assertGreaterEqual(response.status_code, 500)
        self.assertFalse(
            self.env["account.payment.link.event"].search([("stripe_event_id", "=", "evt_conflict")])
        )
        # Stripe's next delivery is processed.
        self.assertEqual(self.post_event(self.intent_event(tx, event_id="evt_conflict")).status_code, 200)
        self.assertEqual(tx.state, "done")

    def test_webhook_and_return_page_race(self):
        """RELIABILITY 10: both paths run the one fulfilment function; one payment in the end."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.pending_tx(link)
        intent = self.intent_event(tx)["data"]["object"]
        with patch("odoo.addons.account_payment_link.tools.stripe_api.call", return_value=intent):
            page = self.url_open(f"/pay/{self.token_of(link)}/return?tx={tx.id}")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(self.post_event(self.intent_event(tx)).status_code, 200)
        self.assertEqual(tx.state, "done")
        payments = self.env["account.payment"].search([("memo", "like", link.name)])
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments, link.payment_id)

    def test_localstripe_delivers_a_signed_webhook(self):
        """The emulator signs and posts payment_intent.succeeded to our endpoint; it is recorded once."""
        self.listen_to_localstripe()
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        result = self.pay_link(link)
        self.assertEqual(result.get("status"), "succeeded", result)
        self.assertEqual(self.wait_for_event(), 1)
        self.assertEqual(len(self.env["account.payment"].search([("memo", "like", link.name)])), 1)
