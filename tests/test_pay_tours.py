"""The customer's flows in headless Chromium, paying with Odoo's Demo provider (payment_demo)."""

from odoo.tests import HttpCase, tagged

from .common import PaylinkPaymentCommon


@tagged("post_install", "-at_install")
class TestPayTours(PaylinkPaymentCommon, HttpCase):
    def tour(self, link, name, route=""):
        self.start_tour(f"/pay/{self.token_of(link)}{route}", name)

    def test_invoice_link_with_tip(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.tour(link, "account_payment_link_pay_invoice_tip")
        tx = link.sudo().transaction_ids
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.amount, 135.70)
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(link.state, "paid")
        # The payment settles the whole residual; the tip sits on the tip account; no credit left.
        settled = sum(self.invoice.line_ids.matched_credit_ids.mapped("amount"))
        self.assertAlmostEqual(settled, 115.0)
        tip_lines = tx.payment_id.move_id.line_ids.filtered(lambda line: line.account_id == self.tip_account)
        self.assertAlmostEqual(sum(tip_lines.mapped("credit")), 20.70)
        receivable = tx.payment_id.move_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        self.assertAlmostEqual(sum(receivable.mapped("amount_residual")), 0.0)
        self.assertEqual(len(self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])), 1)
        self.env["payment.transaction"]._cron_paylink_send_receipts()
        receipt = self.env["mail.mail"].search([("model", "=", tx._name), ("res_id", "=", tx.id)])
        self.assertEqual(len(receipt), 1)
        self.assertIn(self.customer, receipt.recipient_ids)

    def test_balance_link_across_two_invoices(self):
        older = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[50.0], invoice_date="2010-01-01", post=True
        )
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.tour(link, "account_payment_link_pay_balance")
        tx = link.sudo().transaction_ids
        self.assertEqual(tx.state, "done")
        self.assertAlmostEqual(tx.amount, 165.0)
        for invoice in (older, self.invoice):
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_failed_payment_then_a_successful_one(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.tour(link, "account_payment_link_pay_failed_then_success")
        self.assertEqual(sorted(link.sudo().transaction_ids.mapped("state")), ["done", "error"])
        self.assertEqual(link.state, "paid")
        self.assertEqual(len(link.sudo().transaction_ids.payment_id), 1)

    def test_saved_payment_details_offered_only_when_the_company_says_so(self):
        first = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.tour(first, "account_payment_link_pay_and_save_details")
        token = self.env["payment.token"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(token), 1)
        second = self.make_link(
            link_type="invoice",
            move_id=self.init_invoice("out_invoice", partner=self.customer, amounts=[30.0], post=True).id,
        )
        self.company.paylink_offer_saved_methods = False
        self.tour(second, "account_payment_link_saved_method_not_offered")
        self.company.paylink_offer_saved_methods = True
        self.tour(second, "account_payment_link_pay_with_saved_method")
        tx = second.sudo().transaction_ids
        self.assertEqual(tx.token_id, token)
        self.assertEqual(second.state, "paid")

    def test_pending_payment_then_done(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.tour(link, "account_payment_link_pay_pending")
        tx = link.sudo().transaction_ids
        self.assertEqual(tx.state, "pending")
        self.assertTrue(link.payment_pending)
        self.tour(link, "account_payment_link_payment_processing")
        # The bank confirms days later: the provider's notification, no browser involved.
        self.demo_notify(tx.reference, "done")
        self.assertEqual(link.state, "paid")
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))


@tagged("post_install", "-at_install")
class TestPayToursOnAPhone(PaylinkPaymentCommon, HttpCase):
    """The customer's flows on a phone: a small touch screen."""

    browser_size = "375x667"
    touch_enabled = True

    def test_an_installment_or_the_full_amount_with_a_tip(self):
        """Issue 19.1: the page offers the next installment (chosen first) and the full amount, as
        Odoo's portal does; the tip and the total follow the amount chosen, and the amount chosen
        is the one paid."""
        terms = self.make_terms("30 % now, 70 % in 30 days", [(30, 0), (70, 30)])
        invoice = self.make_posted_invoice(terms=terms)
        link = self.make_link(link_type="invoice", move_id=invoice.id)
        self.start_tour(f"/pay/{self.token_of(link)}", "account_payment_link_pay_installment")
        # The customer went back and forth, then paid the full amount (the server's default is
        # the installment: the choice reached the route).
        tx = link.sudo().transaction_ids
        self.assertEqual((tx.state, tx.amount, tx.paylink_tip_amount), ("done", 1180.0, 180.0))
        self.assertEqual(tx.paylink_payment_kind, "full")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(link.state, "paid")

    def test_an_amount_agreed_with_the_customer(self):
        """Issue 19.2: the accountant agrees 400.00 of 1,000.00 in Odoo's *Generate a Payment Link*;
        the customer's page asks for it, of what is due, with the tip on it (a percentage, then an
        amount of their own, issue 19.4); exactly that is paid."""
        self.company.paylink_tip_custom = True
        invoice = self.make_posted_invoice()
        wizard = (
            self.env["payment.link.wizard"]
            .with_user(self.user_accountant)
            .with_context(active_model="account.move", active_id=invoice.id)
            .create({})
        )
        wizard.amount = 400.0
        wizard.action_paylink_create()
        link = invoice.paylink_id
        self.start_tour(f"/pay/{self.token_of(link)}", "account_payment_link_pay_agreed_amount")
        tx = link.sudo().transaction_ids
        self.assertEqual((tx.state, tx.amount, tx.paylink_tip_amount), ("done", 410.0, 10.0))
        self.assertEqual(tx.paylink_payment_kind, "agreed")
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("partial", 600.0))
        self.assertEqual(link.state, "paid")

    def test_a_balance_where_the_customer_chooses_the_invoices(self):
        """Issue 19.3: three invoices ticked, a credit note and an unapplied payment as lines; the
        customer unticks one (and sees when the credits cover what is left), pays the others: the
        route computed the amount from the invoices chosen, and exactly those are paid."""
        oldest = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[50.0], invoice_date="2010-01-01", post=True
        )
        middle = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[80.0], invoice_date="2011-01-01", post=True
        )
        credit_note = self.init_invoice("out_refund", partner=self.customer, amounts=[30.0], post=True)
        unapplied = self.env["account.payment"].create(
            {"payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id,
             "amount": 20.0, "journal_id": self.company_data["default_journal_bank"].id}
        )  # fmt: skip
        unapplied.action_post()
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.start_tour(f"/pay/{self.token_of(link)}", "account_payment_link_pay_balance_choice")
        tx = link.sudo().transaction_ids
        self.assertEqual((tx.state, tx.amount, tx.paylink_payment_kind), ("done", 115.0, "chosen"))
        self.assertEqual(tx.invoice_ids, oldest | self.invoice)
        self.assertEqual([m.amount_residual for m in (oldest, self.invoice, middle)], [0.0, 0.0, 80.0])
        self.assertEqual((credit_note.amount_residual, unapplied.move_id.amount_residual), (0.0, 0.0))
