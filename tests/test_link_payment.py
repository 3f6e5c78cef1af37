"""Paying a link through Odoo's payment framework, over real HTTP as the public customer.

The Demo provider (``payment_demo``) stands for any provider: our transaction route creates the
``payment.transaction``, the provider's notification moves its state, account_payment's
post-processing records the payment, our overrides close the link (RELIABILITY 10-12, 16, 17,
19, 28, 29, 31).
"""

import json
from datetime import timedelta
from unittest.mock import patch

from lxml import html

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import PaylinkPaymentCommon


@tagged("post_install", "-at_install")
class TestLinkPayment(PaylinkPaymentCommon, HttpCase):
    # === HELPERS === #

    def page(self, link):
        response = self.url_open(f"/pay/{self.token_of(link)}", allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        return html.fromstring(response.content)

    @staticmethod
    def text(page, css_class):
        """The text of the first element with ``css_class`` on ``page``."""
        return page.xpath(f"//*[contains(concat(' ', @class, ' '), ' {css_class} ')]")[0].text_content()

    def chatter_has(self, record, *words):
        """Whether one message of ``record``'s chatter holds all ``words`` (as text)."""
        return any(all(word in html.fromstring(m.body or "<p/>").text_content() for word in words)
                   for m in record.message_ids)  # fmt: skip

    def error_of(self, body):
        self.assertIn("error", body, body)
        return body["error"]["data"]["message"]

    def receivable_residual(self, partner):
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ]
        )
        return sum(lines.mapped("amount_residual"))

    # === AMOUNTS AND ACCOUNTING === #

    def test_invoice_paid_with_a_tip_in_the_tip_account(self):
        """18 % tip: the invoice is paid, the tip lands in the tip account, the customer keeps no
        credit; the link is paid, its chatter says so and the receipt is queued."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.pay_link(link, tip_percent="18")
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed, "post-processed at once, not waiting for the browser")
        self.assertEqual(tx.amount, 135.70)
        self.assertEqual(tx.paylink_tip_amount, 20.70)
        self.assertEqual(tx.paylink_id, link)
        self.assertTrue(tx.reference.startswith(link.name))
        self.assertEqual(tx.invoice_ids, self.invoice)
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        payment = tx.payment_id
        self.assertEqual(payment.amount, 135.70)
        self.assertEqual(payment.journal_id, self.provider.journal_id)
        tip_lines = payment.move_id.line_ids.filtered(lambda line: line.account_id == self.tip_account)
        self.assertEqual(sum(tip_lines.mapped("credit")), 20.70)
        self.assertAlmostEqual(self.receivable_residual(self.customer), 0.0)
        self.assertEqual(link.state, "paid")
        self.assertEqual(link.payment_id, payment)
        self.assertEqual(link.amount_paid, 135.70)
        # Odoo's own messages, on the link too: the provider's confirmation and the payment posted.
        self.assertTrue(self.chatter_has(link, "135.70", tx.reference, "confirmed"))
        self.assertTrue(self.chatter_has(link, tx.reference, "has been posted", tx.payment_id.name))
        # The receipt (with the invoice PDF) is left to its cron, not rendered in this request.
        self.assertEqual(tx.paylink_receipt_state, "to_send")
        self.env["payment.transaction"]._cron_paylink_send_receipts()
        self.assertEqual(tx.paylink_receipt_state, "sent")
        receipt = self.env["mail.mail"].search([("model", "=", tx._name), ("res_id", "=", tx.id)])
        self.assertEqual(len(receipt), 1)
        self.assertIn(self.customer, receipt.recipient_ids)
        self.assertIn("135.70", receipt.body_html)
        self.assertIn("20.70", receipt.body_html)  # the tip, said separately
        self.assertEqual(len(receipt.attachment_ids), 1)

    def test_the_tip_is_said_on_the_success_page_the_payment_and_the_receipt(self):
        """Issue 19.4: the amount paid and what it paid add up wherever they are shown: the success
        page, the accountant's payment and the receipt each say the tip."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.pay_link(link, tip_percent="18")
        page = self.url_open(f"/pay/{self.token_of(link)}/return")
        self.assertEqual(page.status_code, 200)
        success = html.fromstring(page.content)
        self.assertIn("20.70", success.xpath("//*[hasclass('o_paylink_paid_tip')]")[0].text_content())
        # Issue 19.5: the success page downloads the receipt and the invoice.
        token = self.token_of(link)
        downloads = [a.get("href") for a in success.xpath("//*[hasclass('o_paylink_downloads')]//a")]
        self.assertEqual(downloads, [f"/pay/{token}/receipt", f"/pay/{token}/document/{self.invoice.id}"])
        for href in downloads:
            self.assertEqual(self.url_open(href).status_code, 200, href)
        payment = tx.payment_id.with_user(self.user_accountant)
        self.assertEqual((payment.amount, payment.paylink_tip_amount), (135.70, 20.70))
        receipt = str(
            self.env["ir.actions.report"]._render_qweb_html(
                "account.action_report_payment_receipt", payment.ids
            )[0]
        )
        receipt_page = html.fromstring(receipt)
        tip_line = receipt_page.xpath("//tr[hasclass('o_paylink_receipt_tip_line')]")[0].text_content()
        self.assertIn("Tip", tip_line)
        self.assertIn("20.70", tip_line)
        # The invoice's line and the tip's add up to the payment's amount.
        self.assertEqual(self.invoice.amount_total + 20.70, 135.70)

    def test_tips_on_the_links_the_company_chose(self):
        """Issue 19.4: tips are offered on invoice links by default; the company may offer them on
        balance links, or on every link (custom amounts too); the route refuses a tip a link does
        not offer."""
        invoice_link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        balance_link = self.make_link(link_type="balance", partner_id=self.customer.id)
        custom_link = self.make_link()

        def tips_offered(link):
            page = html.fromstring(self.url_open(f"/pay/{self.token_of(link)}").content)
            return [float(radio.get("value")) for radio in page.xpath("//input[@name='tip_percent']")]

        self.assertEqual(self.company.paylink_tips_link_types, "invoice", "invoice links by default")
        self.assertEqual(tips_offered(invoice_link), [0.0, 18.0, 20.0, 25.0])
        self.assertEqual(tips_offered(balance_link), [])
        self.assertEqual(tips_offered(custom_link), [])
        body = self.start_payment(balance_link, tip_percent="18")
        self.assertIn("error", body)
        self.company.paylink_tips_link_types = "invoice_balance"
        self.assertEqual(tips_offered(balance_link), [0.0, 18.0, 20.0, 25.0])
        self.assertEqual(tips_offered(custom_link), [])
        self.company.paylink_tips_link_types = "all"
        self.assertEqual(tips_offered(custom_link), [0.0, 18.0, 20.0, 25.0])
        tx = self.pay_link(custom_link, tip_percent="20")
        self.assertEqual(
            (tx.paylink_tip_amount, custom_link.state), (round(custom_link.custom_amount * 0.2, 2), "paid")
        )

    def test_a_tip_amount_of_the_customers_own(self):
        """Issue 19.4: with the company's *Custom Tip Amount*, the page offers "Other" and the
        customer's amount is the tip, checked on the server: at least zero, at most what it tips;
        without the setting, refused."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        body = self.start_payment(link, tip_percent="custom", tip_amount="5")
        self.assertIn("This tip is not offered", body["error"]["data"]["message"])
        page = html.fromstring(self.url_open(f"/pay/{self.token_of(link)}").content)
        self.assertFalse(page.xpath("//input[@name='tip_amount']"))
        self.company.paylink_tip_custom = True
        page = html.fromstring(self.url_open(f"/pay/{self.token_of(link)}").content)
        self.assertTrue(page.xpath("//input[@name='tip_percent'][@value='custom']"))
        self.assertTrue(page.xpath("//input[@name='tip_amount']"))
        for bad in ("-1", "115.01", "five", ""):
            with self.subTest(tip_amount=bad):
                body = self.start_payment(link, tip_percent="custom", tip_amount=bad)
                self.assertIn("Enter a tip between", body["error"]["data"]["message"])
        self.assertFalse(link.sudo().transaction_ids)
        tx = self.pay_link(link, tip_percent="custom", tip_amount="7.504")
        self.assertEqual((tx.amount, tx.paylink_tip_amount), (122.5, 7.5))
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))

    def test_a_failing_receipt_never_undoes_the_payment(self):
        """Nothing lost: a PDF that cannot be rendered (no wkhtmltopdf) leaves the receipt without
        it, says so on the link, and the payment stays recorded."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.pay_link(link)
        Report = type(self.env["ir.actions.report"])
        with patch.object(Report, "_render_qweb_pdf", side_effect=UserError("wkhtmltopdf is missing")):
            self.env["payment.transaction"]._cron_paylink_send_receipts()
        receipt = self.env["mail.mail"].search([("model", "=", tx._name), ("res_id", "=", tx.id)])
        self.assertEqual(len(receipt), 1)
        self.assertFalse(receipt.attachment_ids)
        self.assertTrue(self.chatter_has(link, "without the invoice PDF", "wkhtmltopdf is missing"))
        self.assertEqual(link.state, "paid")
        self.assertTrue(tx.payment_id)
        # Sent once: the cron finds nothing more to do.
        self.env["payment.transaction"]._cron_paylink_send_receipts()
        self.assertEqual(
            len(self.env["mail.mail"].search([("model", "=", tx._name), ("res_id", "=", tx.id)])), 1
        )

    def test_the_browser_amount_is_never_trusted(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.pay_link(link, amount=1.0)
        self.assertEqual(tx.amount, 115.0)
        self.assertEqual(tx.paylink_tip_amount, 0.0)
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))

    def test_malformed_input_gets_a_readable_message_and_creates_nothing(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        other_provider = self.prepare_demo_provider(self.setup_other_company(name="Company B")["company"])
        cases = {
            "tip with SQL": ({"tip_percent": "18; DROP"}, "Choose one of the tips offered."),
            "tip not offered": ({"tip_percent": 99}, "This tip is not offered."),
            "no provider": ({"provider_id": None}, "Choose a payment method"),
            "unknown flow": ({"flow": "teleport"}, "Choose a payment method"),
            "provider of another company": (
                {
                    "provider_id": other_provider.id,
                    "payment_method_id": other_provider.payment_method_ids[:1].id,
                },
                "not available for this payment",
            ),
            "provider that does not exist": ({"provider_id": 999999}, "not available for this payment"),
            "unexpected field": ({"partner_id": self.partner_a.id}, "partner_id"),
            "a token that does not exist": ({"flow": "token", "token_id": 999999}, "saved payment method"),
        }
        Tx = self.env["payment.transaction"].sudo()
        before = Tx.search_count([])
        for label, (params, message) in cases.items():
            with self.subTest(label), mute_logger("odoo.http"):
                error = self.error_of(self.start_payment(link, **params))
                self.assertIn(message, error)
                self.assertNotIn("Traceback", error)
        self.assertEqual(Tx.search_count([]), before)

    def test_unpayable_invoices_start_no_transaction(self):
        """RELIABILITY 16: paid, cancelled, draft or blocked invoices: the route says why, nothing is
        created."""
        cases = {
            "paid": (lambda move: self.pay(move, move.amount_total), "already paid"),
            "cancelled": (lambda move: (move.button_draft(), move.button_cancel()), "cancelled"),
            "draft": (lambda move: move.button_draft(), "not confirmed"),
            "blocked": (lambda move: move.action_toggle_block_payment(), "cannot be paid online"),
        }
        Tx = self.env["payment.transaction"].sudo()
        for label, (change, reason) in cases.items():
            with self.subTest(label):
                move = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
                link = self.make_link(link_type="invoice", move_id=move.id)
                change(move)
                before = Tx.search_count([])
                with mute_logger("odoo.http"):
                    self.assertIn(reason, self.error_of(self.start_payment(link)))
                self.assertEqual(Tx.search_count([]), before)

    def test_balance_link_payment_applies_the_credits_it_counted(self):
        """The balance is the invoices less the open credit note: once it is paid, every invoice is
        paid (none left partly paid, to be reminded) and the credit note is used."""
        older = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[20.0], invoice_date="2020-01-01", post=True
        )
        credit_note = self.init_invoice("out_refund", partner=self.customer, amounts=[30.0], post=True)
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.assertAlmostEqual(link.amount, 115.0 + 20.0 - 30.0)
        tx = self.pay_link(link)
        self.assertAlmostEqual(tx.amount, 105.0)
        for move in older | self.invoice | credit_note:
            self.assertIn(move.payment_state, ("paid", "in_payment"), move.name)
        self.assertAlmostEqual(self.receivable_residual(self.customer), 0.0)

    def test_credits_that_cannot_be_applied_never_undo_the_payment(self):
        """Odoo refuses to reconcile the credits (e.g. no exchange-difference journal): the payment
        is recorded all the same, the link flagged for an accountant, who applies them by hand."""
        credit_note = self.init_invoice("out_refund", partner=self.customer, amounts=[30.0], post=True)
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        Tx = type(self.env["payment.transaction"])

        # Odoo's own error, as account.move.line.reconcile() raises it (already translated there).
        odoo_error = "You have to configure the 'Exchange Gain or Loss Journal' in your company settings."

        def refuse(tx):
            raise UserError(odoo_error)

        with (
            patch.object(Tx, "_paylink_apply_open_credits", refuse),
            mute_logger("odoo.addons.account_payment_link.models.payment_transaction"),
        ):
            tx = self.pay_link(link)
        self.assertEqual((tx.state, tx.is_post_processed), ("done", True))
        self.assertAlmostEqual(tx.payment_id.amount, 85.0)
        self.assertEqual(self.invoice.payment_state, "partial", "the credit note is left to the accountant")
        self.assertEqual(credit_note.payment_state, "not_paid")
        self.assertTrue(link.needs_review)
        self.assertTrue(self.chatter_has(link, "open credits could not be applied", "Outstanding credits"))

    def test_balance_link_pays_two_invoices_oldest_first(self):
        older = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[20.0], invoice_date="2020-01-01", post=True
        )
        self.company.paylink_tips_link_types = "invoice_balance"  # tips on balances too
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        tx = self.pay_link(link, tip_percent=20)
        self.assertEqual(tx.invoice_ids, older | self.invoice)
        self.assertEqual(tx.amount, 162.0)  # 135 + 20 %
        for move in older | self.invoice:
            self.assertIn(move.payment_state, ("paid", "in_payment"), move.name)
        self.assertAlmostEqual(self.receivable_residual(self.customer), 0.0)
        # A balance link stays usable for the next invoices.
        self.assertEqual(link.state, "active")
        self.assertEqual(link.payment_id, tx.payment_id)

    def test_partial_payment_then_the_rest(self):
        """RELIABILITY 17: the page shows the residual and the payment pays exactly the rest."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.pay(self.invoice, 40.0)
        self.assertIn("75.00", self.text(self.page(link), "o_paylink_amount_due"))
        tx = self.pay_link(link)
        self.assertEqual(tx.amount, 75.0)
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(self.receivable_residual(self.customer), 0.0)
        # Overpayment is impossible: a paid link takes no payment.
        error = self.error_of(self.start_payment(link))
        self.assertIn("already been paid", error)

    def test_custom_amount_link_records_a_payment_for_its_customer(self):
        link = self.make_link(custom_amount=50.0)
        tx = self.pay_link(link)
        self.assertEqual(tx.payment_id.amount, 50.0)
        self.assertEqual(tx.payment_id.partner_id, self.customer)
        self.assertIn(tx.payment_id.state, ("paid", "in_process"))  # posted, in the provider's journal
        self.assertEqual(tx.payment_id.journal_id, self.provider.journal_id)
        self.assertFalse(tx.payment_id.reconciled_invoice_ids)  # a payment of the customer, nothing to match
        self.assertEqual(link.state, "paid")

    def test_early_payment_discount_is_shown_and_honoured(self):
        """The invoice's early-payment discount applies as on Odoo's portal, tip or no tip."""
        terms = self.env["account.payment.term"].create(
            {
                "name": "2/7 net 30",
                "early_discount": True,
                "discount_percentage": 2,
                "discount_days": 7,
                "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": fields.Date.today(),
                "invoice_payment_term_id": terms.id,
                "invoice_line_ids": [
                    Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": False})
                ],
            }
        )
        invoice.action_post()
        link = self.make_link(link_type="invoice", move_id=invoice.id)
        page = self.page(link)
        self.assertIn("98.00", self.text(page, "o_paylink_epd_amount"))
        tx = self.pay_link(link, tip_percent=20)
        self.assertEqual(tx.amount, 117.60)  # 98.00 + 20 % of 98.00
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(self.receivable_residual(self.customer), 115.0)  # only the other invoice

    # === FAILED AND PENDING PAYMENTS === #

    def test_failed_payment_then_a_successful_one(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        failed = self.pay_link(link, state="error")
        self.assertEqual(failed.state, "error")
        self.assertEqual(link.state, "active")
        self.assertFalse(failed.payment_id)
        # Odoo's own message about the transaction, logged on the link too.
        self.assertTrue(self.chatter_has(link, "encountered an error", failed.reference))
        result = self.url_open(f"/pay/{self.token_of(link)}/return")
        self.assertIn("did not go through", result.text)
        done = self.pay_link(link)
        self.assertEqual(done.state, "done")
        self.assertEqual(link.state, "paid")
        self.assertEqual(len(link.transaction_ids.payment_id), 1)

    def test_a_pending_payment_is_still_said_after_the_invoice_is_blocked(self):
        """The customer paid (pending at their bank), then the accountant blocked the invoice: the
        page says the payment is on its way, not "contact us", so they do not pay twice."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.pay_link(link, state="pending")
        self.invoice.action_toggle_block_payment()
        self.assertIn("being processed", self.url_open(f"/pay/{self.token_of(link)}").text)
        self.assertIn("being processed", self.error_of(self.start_payment(link)))

    def test_pending_payment_then_done(self):
        """RELIABILITY 28: a payment in progress blocks a second one; success pays the link."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.pay_link(link, state="pending")
        self.assertEqual(tx.state, "pending")
        self.assertTrue(link.payment_pending)
        self.assertEqual(link.state, "active")
        page = self.page(link)
        self.assertTrue(page.xpath("//*[contains(@class, 'o_paylink_unavailable')]"))
        self.assertFalse(page.xpath("//form[@id='o_payment_form']"))
        self.assertIn("being processed", self.error_of(self.start_payment(link)))
        self.assertIn("being processed", self.url_open(f"/pay/{self.token_of(link)}/return").text)
        self.demo_notify(tx.reference, "done")
        self.assertEqual(tx.state, "done")
        self.assertFalse(link.payment_pending)
        self.assertEqual(link.state, "paid")
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))

    def test_pending_payment_then_failed_reopens_the_link(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.pay_link(link, state="pending")
        self.demo_notify(tx.reference, "error")
        self.assertEqual(tx.state, "error")
        self.assertFalse(link.payment_pending)
        self.assertEqual(link.state, "active")
        self.assertFalse(tx.payment_id)
        self.assertTrue(self.page(link).xpath("//form[@id='o_payment_form']"))

    # === SAVED PAYMENT METHODS === #

    def test_saved_method_offered_only_when_the_company_says_so(self):
        """RELIABILITY 29: saved methods are the customer's payment.token, offered on links only
        when the company chose it, and never another customer's."""
        first = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.pay_link(first, tokenization_requested=True)
        token = self.env["payment.token"].sudo().search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(token), 1)
        second_invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[30.0], post=True)
        second = self.make_link(link_type="invoice", move_id=second_invoice.id)

        self.company.paylink_offer_saved_methods = False
        self.assertFalse(self.page(second).xpath(f"//input[@data-payment-option-id='{token.id}']"))
        error = self.error_of(self.start_payment(second, flow="token", token_id=token.id))
        self.assertIn("saved payment method", error)

        self.company.paylink_offer_saved_methods = True
        self.assertTrue(self.page(second).xpath(f"//input[@data-payment-option-id='{token.id}']"))
        other_customer = self.env["res.partner"].create({"name": "Stranger"})
        other_token = token.copy({"partner_id": other_customer.id})
        error = self.error_of(self.start_payment(second, flow="token", token_id=other_token.id))
        self.assertIn("saved payment method", error)
        body = self.start_payment(second, flow="token", token_id=token.id)
        self.assertIn("result", body, body)
        tx = self.env["payment.transaction"].sudo().search([("reference", "=", body["result"]["reference"])])
        self.assertEqual(tx.state, "done")
        self.assertEqual(second.state, "paid")

    def test_the_customer_sees_the_saved_method_in_the_portal(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.pay_link(link, tokenization_requested=True)
        token = self.env["payment.token"].sudo().search([("partner_id", "=", self.customer.id)])
        portal_user = self.make_portal_user(self.customer, "paylink_portal_tokens")
        self.authenticate(portal_user.login, portal_user.login)
        page = html.fromstring(self.url_open("/my/payment_method").content)
        self.assertTrue(page.xpath(f"//input[@data-payment-option-id='{token.id}']"))

    def test_accountant_charges_a_saved_method_from_register_payment(self):
        """The saved method is Odoo's: an invoicing user charges it from the register-payment wizard."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.pay_link(link, tokenization_requested=True)
        token = self.env["payment.token"].sudo().search([("partner_id", "=", self.customer.id)])
        invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[30.0], post=True)
        journal = self.provider.journal_id
        method_line = journal.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == self.provider
        )
        wizard = (
            self.env["account.payment.register"]
            .with_user(self.user_accountant)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "journal_id": journal.id,
                    "payment_method_line_id": method_line.id,
                    "payment_token_id": token.id,
                }
            )
        )
        self.assertIn(token, wizard.suitable_payment_token_ids)
        wizard.action_create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    # === REFUNDS === #

    def test_refund_gives_back_its_share_of_the_tip(self):
        """A refund of a tipped payment takes its share of the tip back from the tip account: the
        customer's account is left exactly as paid."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.pay_link(link, tip_percent=18)  # 135.70 of which 20.70 tip
        tx.action_refund(amount_to_refund=135.70)
        refund = tx.child_transaction_ids.filtered(lambda child: child.operation == "refund")
        self.assertEqual(refund.state, "done")
        lines = refund.payment_id.move_id.line_ids
        tip_lines = lines.filtered(lambda line: line.account_id == self.tip_account)
        self.assertAlmostEqual(sum(tip_lines.mapped("debit")), 20.70)
        receivable = lines.filtered(lambda line: line.account_type == "asset_receivable")
        self.assertAlmostEqual(sum(receivable.mapped("debit")), 115.0)

    def test_refund_from_odoo_is_noted_on_the_link(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        tx = self.pay_link(link)
        tx.action_refund(amount_to_refund=40.0)
        refund = tx.child_transaction_ids.filtered(lambda child: child.operation == "refund")
        self.assertEqual(refund.state, "done")
        self.assertEqual(refund.amount, -40.0)
        self.assertTrue(refund.payment_id, "the refund is recorded as an outbound payment")
        self.assertEqual(refund.payment_id.amount, 40.0)
        # Odoo's own messages about the refund, logged on the link too.
        self.assertTrue(self.chatter_has(link, "refund request", "40.00", refund.reference))
        self.assertTrue(self.chatter_has(link, refund.reference, "has been confirmed"))

    def test_hub_total_is_what_links_collected_this_month(self):
        """The hub's figure: this month's payments through links, in company currency, less refunds,
        as the invoicing user sees it."""
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self.pay_link(self.make_link(link_type="invoice", move_id=self.invoice.id))  # 115.00
        deposit_tx = self.pay_link(self.make_link(custom_amount=40.0))
        self.pay_link(self.make_link(currency_id=eur.id, custom_amount=60.0))  # 30.00 at 2 EUR for 1
        old_tx = self.pay_link(self.make_link(custom_amount=500.0))
        last_month = fields.Date.today().replace(day=1) - timedelta(days=3)
        self.env.cr.execute(
            "UPDATE account_payment SET date = %s WHERE id = %s", [last_month, old_tx.payment_id.id]
        )
        deposit_tx.action_refund(amount_to_refund=10.0)
        self.env.invalidate_all()
        Company = self.env["res.company"].with_user(self.user_accountant).with_company(self.company)
        info = Company.paylink_get_hub_info()
        self.assertAlmostEqual(info["paid_this_month"], 115.0 + 40.0 + 30.0 - 10.0)
        self.assertIn("175.00", info["paid_this_month_display"])
        # Not a figure for the customers: a portal user may not read links, nor the hub's total.
        portal_user = self.make_portal_user(self.customer, "paylink_portal_hub")
        with self.assertRaises(AccessError):
            self.env["res.company"].with_user(portal_user).with_company(self.company).paylink_get_hub_info()

    # === ROUTES AND HEADERS === #

    def test_every_route_answers_the_same_404_for_bad_tokens(self):
        """RELIABILITY 14, 31: unknown, expired, revoked, replaced; never a 500."""
        expired = self.make_link()
        expired._paylink_write_lifecycle({"state": "expired"})
        revoked = self.make_link()
        revoked.sudo().action_revoke()
        replaced = self.make_link(link_type="invoice", move_id=self.invoice.id)
        replaced_token = self.token_of(replaced)
        replaced.action_regenerate()
        tokens = {
            "unknown": "A" * 43,
            "expired": self.token_of(expired),
            "revoked": self.token_of(revoked),
            "replaced": replaced_token,
        }
        for label, token in tokens.items():
            for route in ("", "/return", "/receipt", f"/document/{self.invoice.id}"):
                with self.subTest(token=label, route=route or "/"):
                    response = self.url_open(f"/pay/{token}{route}", allow_redirects=False)
                    self.assertEqual(response.status_code, 404)
                    self.assertIn("This payment link is not valid", response.text)
                    self.assertEqual(response.headers.get("Cache-Control"), "no-store")
            with self.subTest(token=label, route="/transaction"):
                body = self.jsonrpc(f"/pay/{token}/transaction", self.transaction_params())
                self.assertEqual(body["error"]["code"], 404)
        # A valid token with nothing to show there: no payment yet, no receipt.
        link = self.make_link()
        for route in ("/return", "/receipt"):
            self.assertEqual(self.url_open(f"/pay/{self.token_of(link)}{route}").status_code, 404)

    def test_pages_are_never_cached_nor_referred(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.pay_link(link)
        for route in ("", "/return", "/receipt", f"/document/{self.invoice.id}"):
            with self.subTest(route=route or "/"):
                response = self.url_open(f"/pay/{self.token_of(link)}{route}")
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers.get("Cache-Control"), "no-store")
                self.assertEqual(response.headers.get("Referrer-Policy"), "no-referrer")

    def test_page_embeds_odoos_payment_form_with_the_tips(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        page = self.page(link)
        form = page.xpath("//form[@id='o_payment_form']")[0]
        self.assertEqual(form.get("data-transaction-route"), f"/pay/{self.token_of(link)}/transaction")
        self.assertEqual(form.get("data-landing-route"), f"/pay/{self.token_of(link)}/return")
        self.assertEqual(float(form.get("data-amount")), 115.0)
        self.assertTrue(form.xpath(f".//input[@data-provider-id='{self.provider.id}']"))
        # The total of each tip (one amount offered: the full amount), keyed by the tip's radio value.
        totals = json.loads(page.xpath("//div[hasclass('o_paylink_form')]")[0].get("data-paylink-totals"))
        self.assertEqual(set(totals), {"full"})
        self.assertEqual({radio.get("value") for radio in page.xpath("//input[@name='tip_percent']")},
                         set(totals["full"]))  # fmt: skip
        tips = {percent: total["amount"] for percent, total in totals["full"].items()}
        self.assertEqual(tips, {"0": 115.0, "18.0": 135.7, "20.0": 138.0, "25.0": 143.75})
        # No provider compatible: the page says so instead of a form.
        self.provider.maximum_amount = 10.0
        page = self.page(link)
        self.assertFalse(page.xpath("//form[@id='o_payment_form']"))
        self.assertTrue(page.xpath("//*[contains(@class, 'o_paylink_no_payment_method')]"))
