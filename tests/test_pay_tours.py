"""The customer's flows in headless Chromium, against localstripe's Stripe.js stand-in."""

import time

from odoo.tests import HttpCase, tagged

from .common import PaylinkTestCommon, localstripe_register_webhook

WEBHOOK = "/paylink/stripe/webhook"


@tagged("post_install", "-at_install")
class TestPayTours(PaylinkTestCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tip_account = cls.company_data["default_account_revenue"].copy({"name": "Tips", "code": "TIPS02"})
        cls.company.write(
            {
                "paylink_journal_id": cls.company_data["default_journal_bank"].id,
                "paylink_tip_account_id": cls.tip_account.id,
                "paylink_tips_enabled": True,
                "paylink_tip_percentages": "18,20,25",
                "paylink_send_receipt": True,
            }
        )

    # During a tour Odoo's test server refuses requests that lack the browser's test cookie; the
    # webhook comes from localstripe, which has none. Such requests still take the test cursor's
    # lock, so they run one at a time with the browser's.
    @property
    def http_request_strict_check(self):
        return False

    @http_request_strict_check.setter
    def http_request_strict_check(self, value):
        pass

    def wait_for_event(self, intent_id, timeout=15):
        """Wait for localstripe's signed webhook about ``intent_id`` to be processed by our route."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            time.sleep(0.3)
            # A registry cursor takes the test lock, as the HTTP threads do.
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT count(*) FROM account_payment_link_event WHERE event_type = %s",
                    ["payment_intent.succeeded"],
                )
                if cr.fetchone()[0]:
                    return True
        return False

    def listen_to_localstripe(self):
        time.sleep(1.5)  # let earlier tests' events go out before we listen
        secret = self.company.sudo().paylink_stripe_webhook_secret
        localstripe_register_webhook(f"{self.base_url()}{WEBHOOK}", secret, name="odoo-test")
        self.addCleanup(localstripe_register_webhook, "http://127.0.0.1:9/", "whsec_off", name="odoo-test")

    def test_invoice_link_with_tip(self):
        self.listen_to_localstripe()
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.start_tour(f"/pay/{self.token_of(link)}", "account_payment_link_pay_invoice_tip")
        tx = link.sudo().transaction_ids
        self.assertEqual(tx.state, "done")
        self.assertTrue(self.wait_for_event(tx.stripe_intent_id), "the signed webhook arrived")
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(link.state, "paid")
        # The payment settles the whole residual; the tip sits on the tip account.
        settled = sum(self.invoice.line_ids.matched_credit_ids.mapped("amount"))
        self.assertAlmostEqual(settled, 115.0)
        tip_lines = tx.payment_id.move_id.line_ids.filtered(lambda line: line.account_id == self.tip_account)
        self.assertAlmostEqual(sum(tip_lines.mapped("credit")), 20.70)
        self.assertEqual(len(self.env["account.payment"].search([("memo", "like", link.name)])), 1)
        receipt = self.env["mail.mail"].search([("model", "=", tx._name), ("res_id", "=", tx.id)])
        self.assertEqual(len(receipt), 1)
        self.assertIn(self.customer, receipt.recipient_ids)
        self.assertEqual(receipt.attachment_ids.mimetype, "application/pdf")

    def test_balance_link_across_two_invoices(self):
        self.listen_to_localstripe()
        older = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[50.0], invoice_date="2010-01-01", post=True
        )
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.start_tour(f"/pay/{self.token_of(link)}", "account_payment_link_pay_balance")
        tx = link.sudo().transaction_ids
        self.assertEqual(tx.state, "done")
        self.assertAlmostEqual(tx.amount_total, 165.0)
        self.assertTrue(self.wait_for_event(tx.stripe_intent_id))
        for invoice in (older, self.invoice):
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(len(self.env["account.payment"].search([("memo", "like", link.name)])), 1)

    def test_declined_card(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.start_tour(f"/pay/{self.token_of(link)}", "account_payment_link_pay_declined")
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertEqual(link.state, "active")
        self.assertFalse(self.env["account.payment"].search([("memo", "like", link.name)]))
