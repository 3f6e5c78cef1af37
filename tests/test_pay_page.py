"""The customer's page over real HTTP: one 404 for every bad token, reasons, escaping, logs."""

import logging
import re

from odoo.tests import HttpCase, tagged

from .common import PaylinkTestCommon

CSRF = re.compile(r"csrf_token[\"']?\s*[:=]\s*[\"'][^\"']*[\"']")


@tagged("post_install", "-at_install")
class TestPayPage(PaylinkTestCommon, HttpCase):
    def get_page(self, token):
        return self.url_open(f"/pay/{token}", allow_redirects=False)

    def test_bad_tokens_all_get_the_same_404(self):
        """RELIABILITY 14: expired, revoked, regenerated and unknown tokens are indistinguishable."""
        expired = self.make_link()
        expired.sudo().write({"state": "expired"})
        revoked = self.make_link()
        revoked.sudo().write({"state": "revoked"})
        regenerated = self.make_link(link_type="invoice", move_id=self.invoice.id)
        regenerated_token = self.token_of(regenerated)
        regenerated.action_regenerate()
        pages = {
            "expired": self.get_page(self.token_of(expired)),
            "revoked": self.get_page(self.token_of(revoked)),
            "regenerated": self.get_page(regenerated_token),
            "unknown": self.get_page("A" * 43),
        }
        bodies = set()
        for label, response in pages.items():
            with self.subTest(label):
                self.assertEqual(response.status_code, 404)
                self.assertIn("This payment link is not valid", response.text)
                # Apart from the per-session CSRF token, the pages are byte for byte the same.
                bodies.add(CSRF.sub("", response.text))
        self.assertEqual(len(bodies), 1)

    def test_active_invoice_link_shows_the_invoice_and_the_residual(self):
        """RELIABILITY 17: the page shows what is left after a partial payment."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.pay(self.invoice, 40.0)
        response = self.get_page(self.token_of(link))
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.invoice.name, response.text)
        self.assertIn(f"/logo.png?company={self.company.id}", response.text)  # the link's branding
        self.assertIn("75.00", response.text)
        self.assertIn("115.00", response.text)  # the invoice total
        self.assertTrue(link.first_opened_date)

    def test_invoice_pdf_download_is_limited_to_the_link(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        other = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        page = self.get_page(self.token_of(link)).text
        self.assertIn(f"/pay/{self.token_of(link)}/document/{self.invoice.id}", page)
        response = self.url_open(f"/pay/{self.token_of(link)}/document/{self.invoice.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.invoice.name, response.text)  # HTML in tests, PDF with wkhtmltopdf
        self.assertEqual(self.url_open(f"/pay/{self.token_of(link)}/document/{other.id}").status_code, 404)
        self.assertEqual(self.url_open(f"/pay/{'B' * 43}/document/{self.invoice.id}").status_code, 404)

    def test_balance_page_shows_recent_charges(self):
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        page = self.get_page(self.token_of(link)).text
        self.assertIn("View recent charges", page)
        self.assertIn(self.invoice.invoice_line_ids[0].name, page)

    def test_zero_and_credit_balances(self):
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.pay(self.invoice, self.invoice.amount_total)
        page = self.get_page(self.token_of(link)).text
        self.assertIn("nothing left to pay", page)
        self.assertNotIn("o_paylink_amount_due", page)
        self.init_invoice("out_refund", partner=self.customer, amounts=[40.0], post=True)
        page = self.get_page(self.token_of(link)).text
        self.assertIn("credit of", page)
        self.assertIn("40.00", page)

    def test_unpayable_invoice_says_why(self):
        """RELIABILITY 16: paid, cancelled or draft invoices show the reason and no amount due."""
        cases = {
            "paid": lambda move: self.pay(move, move.amount_total),
            "cancelled": lambda move: (move.button_draft(), move.button_cancel()),
            "draft": lambda move: move.button_draft(),
        }
        reasons = {
            "paid": "already paid",
            "cancelled": "cancelled",
            "draft": "not confirmed",
        }
        for label, change in cases.items():
            with self.subTest(label):
                move = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
                link = self.make_link(link_type="invoice", move_id=move.id)
                change(move)
                response = self.get_page(self.token_of(link))
                self.assertEqual(response.status_code, 200)
                self.assertIn(reasons[label], response.text)
                self.assertNotIn("o_paylink_amount_due", response.text)

    def test_balance_link_lists_open_invoices_oldest_first(self):
        older = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[20.0], invoice_date="2010-01-01", post=True
        )
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        text = self.get_page(self.token_of(link)).text
        self.assertLess(text.index(older.name), text.index(self.invoice.name))
        self.assertIn(f"{115.0 + 20.0:.2f}", text)

    def test_portal_user_sees_only_the_link_of_the_token(self):
        """RELIABILITY 19: being logged in gives nothing without the token, and no other data."""
        other_customer = self.env["res.partner"].create({"name": "Other Customer Zeta"})
        other_invoice = self.init_invoice("out_invoice", partner=other_customer, amounts=[999.0], post=True)
        other_link = self.make_link(link_type="invoice", move_id=other_invoice.id)
        own_link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        portal_user = self.make_portal_user(self.customer, "paylink_portal_19")
        self.authenticate(portal_user.login, portal_user.login)
        self.assertEqual(self.url_open("/pay/").status_code, 404)
        self.assertEqual(self.get_page(self.token_of(other_link)[:-2] + "zz").status_code, 404)
        response = self.get_page(self.token_of(own_link))
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Other Customer Zeta", response.text)
        self.assertNotIn(other_invoice.name, response.text)

    def test_html_in_names_is_escaped(self):
        """RELIABILITY 21: names are text on the page, never markup."""
        self.customer.name = '<script>alert("x")</script>Ada'
        link = self.make_link(description="<b>bold</b> deposit")
        text = self.get_page(self.token_of(link)).text
        self.assertNotIn('<script>alert("x")</script>', text)
        self.assertIn("&lt;script&gt;", text)
        self.assertNotIn("<b>bold</b>", text)
        self.assertIn("&lt;b&gt;bold&lt;/b&gt;", text)

    def test_html_in_names_is_escaped_in_the_invoice_email(self):
        self.customer.name = "<img src=x onerror=alert(1)>"
        link = self.invoice._paylink_get_or_create()
        template = self.env.ref("account.email_template_edi_invoice")
        body = self.env["account.move.send"]._get_default_mail_body(self.invoice, template, "en_US")
        self.assertIn(link.url, body)
        self.assertNotIn("<img src=x onerror=alert(1)>", body)

    def test_tokens_never_reach_the_logs(self):
        """RELIABILITY 15: the HTTP request line is logged with the token replaced."""
        link = self.make_link()
        token = self.token_of(link)
        with self.assertLogs("werkzeug", level=logging.INFO) as logs:
            self.assertEqual(self.get_page(token).status_code, 200)
        output = "\n".join(logs.output)
        self.assertNotIn(token, output)
        self.assertIn("/pay/[token]", output)
