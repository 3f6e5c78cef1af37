"""The customer's flows in headless Chromium, against localstripe's Stripe.js stand-in."""

from odoo.tests import HttpCase, tagged

from .common import PaylinkPaymentCommon


@tagged("post_install", "-at_install")
class TestPayTours(PaylinkPaymentCommon, HttpCase):
    # During a tour Odoo's test server refuses requests that lack the browser's test cookie; the
    # webhook comes from localstripe, which has none. Such requests still take the test cursor's
    # lock, so they run one at a time with the browser's.
    @property
    def http_request_strict_check(self):
        return False

    @http_request_strict_check.setter
    def http_request_strict_check(self, value):
        pass

    def test_invoice_link_with_tip(self):
        self.listen_to_localstripe()
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.start_tour(f"/pay/{self.token_of(link)}", "account_payment_link_pay_invoice_tip")
        tx = link.sudo().transaction_ids
        self.assertEqual(tx.state, "done")
        self.assertTrue(self.wait_for_event(), "the signed webhook arrived")
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
        self.assertTrue(self.wait_for_event())
        for invoice in (older, self.invoice):
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(len(self.env["account.payment"].search([("memo", "like", link.name)])), 1)

    def test_declined_card(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.start_tour(f"/pay/{self.token_of(link)}", "account_payment_link_pay_declined")
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertEqual(link.state, "active")
        self.assertFalse(self.env["account.payment"].search([("memo", "like", link.name)]))
