"""The customer's page over real HTTP: one 404 for every bad token, reasons, escaping, logs."""

import logging
import re

from lxml import html

from odoo.tests import HttpCase, tagged

from .common import PaylinkTestCommon, html_nodes_containing

CSRF = re.compile(r"csrf_token[\"']?\s*[:=]\s*[\"'][^\"']*[\"']")


def has_class(name):
    """XPath predicate: the element has the CSS class ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def text(element):
    """The element's text as a reader sees it: whitespace (no-break spaces too) collapsed."""
    return " ".join(element.text_content().split())


AMOUNT_DUE = f"//span[{has_class('o_paylink_amount_due')}]//span[{has_class('oe_currency_value')}]"
REASON = f"//div[{has_class('o_paylink_unavailable')}]/span[1]"


@tagged("post_install", "-at_install")
class TestPayPage(PaylinkTestCommon, HttpCase):
    def get_page(self, token):
        return self.url_open(f"/pay/{token}", allow_redirects=False)

    def get_document(self, token):
        """The page of ``token`` (which must answer 200), parsed."""
        response = self.get_page(token)
        self.assertEqual(response.status_code, 200)
        return html.fromstring(response.content)

    def one(self, node, xpath, **variables):
        """The one element ``xpath`` selects from ``node`` (fails on none or several)."""
        found = node.xpath(xpath, **variables)
        self.assertEqual(len(found), 1, f"{xpath} selects {len(found)} elements")
        return found[0]

    def test_bad_tokens_all_get_the_same_404(self):
        """RELIABILITY 14: expired, revoked, regenerated and unknown tokens are indistinguishable."""
        expired = self.make_link()
        expired._paylink_write_lifecycle({"state": "expired"})
        revoked = self.make_link()
        revoked._paylink_write_lifecycle({"state": "revoked"})
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
                doc = html.fromstring(response.content)
                heading = self.one(doc, "//h1")
                self.assertEqual(heading.text_content().strip(), "This payment link is not valid")
                self.assertIn("o_paylink_not_found", heading.getparent().classes)
                self.assertFalse(doc.xpath(f"//*[{has_class('o_paylink_page')}]//form"), "no payment form")
                # Apart from the per-session CSRF token, the pages are byte for byte the same.
                bodies.add(CSRF.sub("", response.text))
        self.assertEqual(len(bodies), 1)

    def test_active_invoice_link_shows_the_invoice_and_the_residual(self):
        """RELIABILITY 17: the page shows what is left after a partial payment."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.pay(self.invoice, 40.0)
        doc = self.get_document(self.token_of(link))
        invoice_name = self.one(doc, f"//div[{has_class('o_paylink_invoice_name')}]")
        self.assertEqual(invoice_name.text_content().strip(), self.invoice.name)
        self.assertEqual(self.one(doc, AMOUNT_DUE).text_content().strip(), "75.00")
        total = self.one(
            doc,
            f"//table[{has_class('o_paylink_lines')}]/tfoot/tr/th[{has_class('text-end')}]"
            f"//span[{has_class('oe_currency_value')}]",
        )
        self.assertEqual(total.text_content().strip(), "115.00")  # the invoice total
        self.assertTrue(link.first_opened_date)

    def test_a_page_people_trust(self):
        """Issue 19.5: the company's logo, name and contact head the page (and the 404 page, with
        the database's company), no *Sign in*; the tab says what is paid and to whom; the button
        says the amount."""
        logo = (
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
        )
        self.company.write(
            {"logo": logo, "street": "1 Main Street", "city": "Springfield", "phone": "+1 555 0100",
             "email": "billing@example.com"}
        )  # fmt: skip
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        response = self.get_page(self.token_of(link))
        doc = html.fromstring(response.content)
        self.assertEqual(text(self.one(doc, "//title")), f"Pay {self.invoice.name} — {self.company.name}")
        header = self.one(doc, f"//div[{has_class('o_paylink_header')}]")
        self.assertEqual(
            text(self.one(header, f".//*[{has_class('o_paylink_company_name')}]")), self.company.name
        )
        contact = text(self.one(header, ".//address"))
        for part in ("1 Main Street", "Springfield", "+1 555 0100", "billing@example.com"):
            self.assertIn(part, contact)
        self.assertTrue(header.xpath(".//img[@src=$src]", src=f"/logo.png?company={self.company.id}"))
        self.assertNotIn("/web/login", response.text, "no Sign in")
        button = self.one(doc, "//button[@name='o_payment_submit_button']")
        self.assertRegex(text(button), r"^Pay \$\s?115\.00$")
        # The same company header on the 404 page, without the link's company (there is none):
        # the database's, the public visitor's.
        missing = html.fromstring(self.get_page("A" * 43).content)
        self.assertEqual(
            text(self.one(missing, f"//*[{has_class('o_paylink_company_name')}]")),
            self.env.ref("base.public_user").sudo().company_id.name,
        )
        self.assertFalse(missing.xpath("//a[contains(@href, '/web/login')]"))
        # Without a logo of its own, no placeholder: the name alone.
        self.company.logo = False
        doc = self.get_document(self.token_of(link))
        self.assertFalse(doc.xpath(f"//div[{has_class('o_paylink_header')}]//img"))

    def test_the_pages_load_the_light_scripts_deferred(self):
        """Issue 19.6: a link's pages (and its 404) load the pay page's bundle, deferred, not
        Odoo's whole lazy frontend bundle; Odoo's own portal page keeps its bundles. The tours,
        which run on this bundle, prove that the page works with it."""

        def scripts(response):
            self.assertIn(response.status_code, (200, 404))
            doc = html.fromstring(response.content)
            return {
                (script.get("src") or script.get("data-src") or "").split("/")[-1]: script
                for script in doc.xpath("//script[@src or @data-src]")
            }

        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        for url in (f"/pay/{self.token_of(link)}", "/pay/" + "A" * 43):
            with self.subTest(url=url[:8]):
                loaded = scripts(self.url_open(url, allow_redirects=False))
                ours = loaded.get("account_payment_link.assets_pay_page.min.js")
                self.assertIsNotNone(ours, sorted(loaded))
                self.assertEqual((ours.get("defer"), ours.get("data-src")), ("defer", None))
                self.assertNotIn("web.assets_frontend_lazy.min.js", loaded)
                # In test mode (the tests' scripts are loaded), Odoo's tour service comes after.
                tours = loaded.get("account_payment_link.assets_pay_page_tours.min.js")
                self.assertIsNotNone(tours, sorted(loaded))
                self.assertEqual(tours.get("defer"), "defer")
                self.assertEqual(
                    list(loaded).index("account_payment_link.assets_pay_page_tours.min.js"),
                    list(loaded).index("account_payment_link.assets_pay_page.min.js") + 1,
                )
        self.invoice._portal_ensure_token()
        portal = scripts(
            self.url_open(f"/my/invoices/{self.invoice.id}?access_token={self.invoice.access_token}")
        )
        self.assertIn("web.assets_frontend_lazy.min.js", portal)
        self.assertNotIn("account_payment_link.assets_pay_page.min.js", portal)
        self.assertNotIn("account_payment_link.assets_pay_page_tours.min.js", portal)

    def test_invoice_pdf_download_is_limited_to_the_link(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        other = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        doc = self.get_document(self.token_of(link))
        pdf_link = self.one(doc, f"//a[{has_class('o_paylink_pdf')}]")
        self.assertEqual(pdf_link.get("href"), f"/pay/{self.token_of(link)}/document/{self.invoice.id}")
        response = self.url_open(f"/pay/{self.token_of(link)}/document/{self.invoice.id}")
        self.assertEqual(response.status_code, 200)
        # HTML in tests, PDF with wkhtmltopdf: the document's title names the invoice.
        document = html.fromstring(response.content)
        self.assertIn(
            self.invoice.name, [span.text_content().strip() for span in document.xpath("//h2//span")]
        )
        self.assertEqual(self.url_open(f"/pay/{self.token_of(link)}/document/{other.id}").status_code, 404)
        self.assertEqual(self.url_open(f"/pay/{'B' * 43}/document/{self.invoice.id}").status_code, 404)

    def test_balance_page_shows_recent_charges(self):
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        doc = self.get_document(self.token_of(link))
        charges = self.one(doc, f"//details[{has_class('o_paylink_recent_charges')}]")
        self.assertEqual(self.one(charges, "./summary").text_content().strip(), "View recent charges")
        rows = [
            [td.text_content().strip() for td in row.xpath("./td")] for row in charges.xpath(".//tbody/tr")
        ]
        # Each charge: date, invoice, line, amount.
        self.assertIn(
            (self.invoice.name, self.invoice.invoice_line_ids[0].name), [(row[1], row[2]) for row in rows]
        )
        # Issue 19.5: under headings; a paid invoice's charges say so.
        headings = [th.text_content().strip() for th in charges.xpath(".//thead/tr/th")]
        self.assertEqual(headings, ["Date", "Invoice", "Description", "Amount"])
        self.assertFalse(charges.xpath(f".//*[{has_class('o_paylink_charge_paid')}]"))
        paid = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        self.pay(paid, 10.0)
        charges = self.one(
            self.get_document(self.token_of(link)), f"//details[{has_class('o_paylink_recent_charges')}]"
        )
        marked = {
            row.xpath("./td[2]")[0].text_content().split()[0]
            for row in charges.xpath(".//tbody/tr")
            if row.xpath(f".//*[{has_class('o_paylink_charge_paid')}]")
        }
        self.assertEqual(marked, {paid.name})

    def test_zero_and_credit_balances(self):
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.pay(self.invoice, self.invoice.amount_total)
        doc = self.get_document(self.token_of(link))
        self.assertEqual(self.one(doc, REASON).text_content().strip(), "There is nothing left to pay.")
        self.assertFalse(doc.xpath(f"//*[{has_class('o_paylink_amount_due')}]"))
        self.init_invoice("out_refund", partner=self.customer, amounts=[40.0], post=True)
        doc = self.get_document(self.token_of(link))
        notice = self.one(doc, f"//div[{has_class('o_paylink_unavailable')}]")
        credit = self.one(notice, f".//span[{has_class('o_paylink_credit')}]")
        self.assertEqual(self.one(credit, f".//span[{has_class('oe_currency_value')}]").text, "40.00")
        self.assertEqual(
            text(notice), f"There is nothing left to pay. Your account has a credit of {text(credit)}."
        )
        self.assertFalse(doc.xpath(f"//*[{has_class('o_paylink_amount_due')}]"))

    def test_unpayable_invoice_says_why(self):
        """RELIABILITY 16: paid, cancelled, draft or blocked invoices show the reason and no amount due."""
        cases = {
            "paid": lambda move: self.pay(move, move.amount_total),
            "cancelled": lambda move: (move.button_draft(), move.button_cancel()),
            "draft": lambda move: move.button_draft(),
            "blocked": lambda move: move.action_toggle_block_payment(),
        }
        reasons = {
            "paid": "This invoice is already paid.",
            "cancelled": "This invoice has been cancelled.",
            "draft": "This invoice is not confirmed yet.",
            "blocked": "This invoice cannot be paid online for now. Please contact us about it.",
        }
        for label, change in cases.items():
            with self.subTest(label):
                move = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
                link = self.make_link(link_type="invoice", move_id=move.id)
                change(move)
                doc = self.get_document(self.token_of(link))
                self.assertEqual(self.one(doc, REASON).text_content().strip(), reasons[label])
                self.assertFalse(doc.xpath(f"//*[{has_class('o_paylink_amount_due')}]"))

    def test_balance_link_lists_open_invoices_oldest_first(self):
        older = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[20.0], invoice_date="2010-01-01", post=True
        )
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        token = self.token_of(link)
        doc = self.get_document(token)
        invoices = self.one(doc, f"//table[{has_class('o_paylink_open_invoices')}]").xpath(
            f"./tbody/tr[{has_class('o_paylink_balance_invoice')}]/td[2]/a"
        )
        self.assertEqual([a.text_content().strip() for a in invoices], [older.name, self.invoice.name])
        self.assertEqual(
            [a.get("href") for a in invoices],
            [f"/pay/{token}/document/{older.id}", f"/pay/{token}/document/{self.invoice.id}"],
        )
        self.assertEqual(self.one(doc, AMOUNT_DUE).text_content().strip(), f"{115.0 + 20.0:.2f}")

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
        doc = self.get_document(self.token_of(own_link))
        self.assertEqual(
            self.one(doc, f"//span[{has_class('o_paylink_partner')}]").text_content().strip(),
            self.customer.display_name,
        )
        self.assertEqual(
            self.one(doc, f"//div[{has_class('o_paylink_invoice_name')}]").text_content().strip(),
            self.invoice.name,
        )
        # Nowhere on the page, neither as text nor in an attribute.
        self.assertFalse(html_nodes_containing(doc, "Other Customer Zeta"))
        self.assertFalse(html_nodes_containing(doc, other_invoice.name))

    def test_html_in_names_is_escaped(self):
        """RELIABILITY 21: names are text on the page, never markup."""
        self.customer.name = '<script>alert("x")</script>Ada'
        link = self.make_link(description="<b>bold</b> deposit")
        doc = self.get_document(self.token_of(link))
        # The names are shown as they are written, as text: no element comes out of them.
        partner = self.one(doc, f"//span[{has_class('o_paylink_partner')}]")
        self.assertEqual(partner.text_content(), '<script>alert("x")</script>Ada')
        self.assertEqual(len(partner), 0)
        description = self.one(doc, f"//p[{has_class('o_paylink_description')}]")
        self.assertEqual(description.text_content().strip(), "<b>bold</b> deposit")
        self.assertEqual(len(description), 0)
        self.assertFalse(doc.xpath("//script[contains(., 'alert(\"x\")')]"))
        self.assertFalse(doc.xpath("//b[normalize-space(.) = 'bold']"))

    def test_html_in_names_is_escaped_in_the_invoice_email(self):
        self.customer.name = "<img src=x onerror=alert(1)>"
        link = self.invoice._paylink_get_or_create()
        template = self.env.ref("account.email_template_edi_invoice")
        body = self.env["account.move.send"]._get_default_mail_body(self.invoice, template, "en_US")
        doc = html.fromstring(body)
        copy_link = doc.xpath("//a[@href=$url][normalize-space(.)=$url]", url=link.url)
        self.assertEqual(len(copy_link), 1, "the link, as the visible text of an anchor to it")
        self.assertFalse(doc.xpath("//*[@onerror]"))
        self.assertFalse(doc.xpath("//img[@src='x']"))
        # The name is there, as text.
        self.assertTrue(html_nodes_containing(doc, "<img src=x onerror=alert(1)>"))

    def test_tokens_never_reach_the_logs(self):
        """RELIABILITY 15: the HTTP request line is logged with the token replaced."""
        link = self.make_link()
        token = self.token_of(link)
        with self.assertLogs("werkzeug", level=logging.INFO) as logs:
            self.assertEqual(self.get_page(token).status_code, 200)
        output = "\n".join(logs.output)
        self.assertNotIn(token, output)
        self.assertIn("/pay/[token]", output)
