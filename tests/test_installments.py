"""The customer chooses what to pay, as on Odoo's portal (issue 19, point 1): installments, overdue
installments, the full amount and an early-payment discount, from account's own
``_get_invoice_next_payment_values``, side by side with Odoo's portal page of the same invoice,
over real HTTP as the public customer."""

import re
from datetime import timedelta

from freezegun import freeze_time
from lxml import html

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, HttpCase, tagged

from .common import PaylinkPaymentCommon


@tagged("post_install", "-at_install")
class TestInstallments(PaylinkPaymentCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Terms = cls.env["account.payment.term"]

        def terms(name, lines, **values):
            return Terms.create(
                {
                    "name": name,
                    "line_ids": [
                        Command.create({"value": "percent", "value_amount": percent, "nb_days": days})
                        for percent, days in lines
                    ],
                    **values,
                }
            )

        cls.terms = {
            "immediate": terms("Immediate", [(100, 0)]),
            "30/70": terms("30 % now, 70 % in 30 days", [(30, 0), (70, 30)]),
            "3 installments": terms("30/30/40", [(30, 0), (30, 30), (40, 90)]),
            "discount": terms(
                "2/10 net 30", [(100, 30)], early_discount=True, discount_percentage=2, discount_days=10
            ),
        }

    # === HELPERS === #

    def make_invoice(self, terms, days_ago=0):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": fields.Date.today() - timedelta(days=days_ago),
                "invoice_payment_term_id": self.terms[terms].id,
                "invoice_line_ids": [
                    Command.create({"name": "Work", "price_unit": 1000.0, "tax_ids": False})
                ],
            }
        )
        invoice.action_post()
        return invoice

    def offered(self, link):
        """The amounts the link's page offers: ``{kind: amount}``, from its radio buttons, or the
        one amount of its form when there is nothing to choose."""
        response = self.url_open(f"/pay/{self.token_of(link)}")
        self.assertEqual(response.status_code, 200)
        page = html.fromstring(response.content)
        radios = page.xpath("//input[@name='payment_choice']")
        form = page.xpath("//form[@id='o_payment_form']")[0]
        if not radios:
            kind = "epd" if page.xpath("//*[hasclass('o_paylink_epd')]") else "full"
            return {kind: float(form.get("data-amount"))}
        amounts = {}
        for radio in radios:
            label = page.xpath(f"//label[@for='{radio.get('id')}']")[0].text_content()
            amounts[radio.get("data-kind")] = self.amount_in(label)
        self.assertEqual(
            float(form.get("data-amount")), amounts[radios[0].get("data-kind")], "preselected first"
        )
        return amounts

    @staticmethod
    def key(link, kind):
        """The key the page's radio button of ``kind`` sends."""
        return next(choice["key"] for choice in link._paylink_get_payment_choices() if choice["kind"] == kind)

    def odoo_portal_offers(self, invoice):
        """What Odoo's own portal page of ``invoice`` offers: ``(installment, full amount)``, the
        installment ``None`` when it offers the full amount only."""
        invoice._portal_ensure_token()
        response = self.url_open(f"/my/invoices/{invoice.id}?access_token={invoice.access_token}")
        self.assertEqual(response.status_code, 200)
        page = html.fromstring(response.content)
        installment = page.xpath("//button[@id='o_payment_installments_tab']")
        full = page.xpath("//button[@id='o_payment_full_tab']")
        if not installment:
            return None, None
        return self.amount_in(installment[0].text_content()), self.amount_in(full[0].text_content())

    @staticmethod
    def amount_in(text):
        return float(re.search(r"\d[\d,]*\.\d\d", text).group().replace(",", ""))

    def term_residuals(self, invoice):
        lines = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term").sorted(
            "date_maturity"
        )
        return [line.amount_residual for line in lines]

    # === TESTS === #

    def test_what_the_page_offers_is_what_odoos_portal_offers(self):
        """The table: payment terms x what our page offers x what Odoo's portal offers for the same
        invoice."""
        cases = [
            # terms, invoice date (days ago), our page's offer, Odoo's portal tabs (installment, full)
            ("immediate", 0, {"full": 1000.0}, (None, None)),
            ("30/70", 0, {"installment": 300.0, "full": 1000.0}, (300.0, 1000.0)),
            ("3 installments", 40, {"overdue": 600.0, "full": 1000.0}, (600.0, 1000.0)),
            ("discount", 0, {"epd": 980.0}, (None, None)),
            ("discount", 20, {"full": 1000.0}, (None, None)),  # the discount expired
        ]
        for terms, days_ago, ours, odoos in cases:
            with self.subTest(terms=terms, days_ago=days_ago):
                invoice = self.make_invoice(terms, days_ago)
                link = self.make_link(link_type="invoice", move_id=invoice.id)
                self.assertEqual(self.offered(link), ours)
                self.assertEqual(self.odoo_portal_offers(invoice), odoos)
                # The link's own choices are account's next payment values, as the portal's are.
                values = invoice._get_invoice_next_payment_values()
                first = link._paylink_get_payment_choices()[0]["amount"]
                expected = (
                    values["amount_due"]
                    if values["installment_state"] == "epd"
                    else values["next_amount_to_pay"]
                )
                self.assertAlmostEqual(first, expected)

    def test_an_installment_is_paid_and_reconciled_with_it_and_the_link_asks_for_the_rest(self):
        invoice = self.make_invoice("30/70")
        link = self.make_link(link_type="invoice", move_id=invoice.id)
        # The installment, with a tip: the tip is on the installment, only the installment is applied.
        tx = self.pay_link(link, payment_choice=self.key(link, "installment"), tip_percent=20)
        self.assertEqual(
            (tx.amount, tx.paylink_tip_amount, tx.paylink_payment_kind), (360.0, 60.0, "installment")
        )
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(self.term_residuals(invoice), [0.0, 700.0], "the first installment is paid")
        self.assertEqual((link.state, link.amount), ("active", 700.0), "the link asks for the rest")
        self.assertFalse(link.payment_id, "not paid yet: no payment, no paid date, no receipt")
        # What is left is the last installment: the page, like Odoo's portal, offers it whole.
        self.assertEqual(self.offered(link), {"full": 700.0})
        self.assertEqual(self.odoo_portal_offers(invoice), (None, None))
        tx = self.pay_link(link)
        self.assertEqual(tx.amount, 700.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual((link.state, link.payment_id), ("paid", tx.payment_id), "the payment that paid it")

    def test_a_discount_taken_in_time_is_kept_when_the_payment_ends_after_its_date(self):
        """A payment started on the discount's last day that the provider confirms days later (a
        bank debit is pending that long) keeps the discount the customer was offered and took: the
        invoice is paid, the discount written off as Odoo writes it (with a tip, by our write-off;
        without, by account_payment's), and the link is paid, not left asking for the discount."""
        for tip_percent in (0, 20):
            with self.subTest(tip_percent=tip_percent):
                invoice = self.make_invoice("discount", days_ago=10)  # the discount's last day
                link = self.make_link(link_type="invoice", move_id=invoice.id)
                tx = self.pay_link(
                    link, "pending", payment_choice=self.key(link, "epd"), tip_percent=tip_percent
                )
                self.assertEqual((tx.state, tx.paylink_payment_kind), ("pending", "epd"))
                self.assertEqual(tx.amount - tx.paylink_tip_amount, 980.0)
                with freeze_time(fields.Datetime.now() + timedelta(days=3)):
                    self.demo_notify(tx.reference, "done")
                self.assertEqual(tx.state, "done")
                self.assertIn(invoice.payment_state, ("paid", "in_payment"))
                self.assertEqual(invoice.amount_residual, 0.0)
                self.assertEqual(link.state, "paid")
                self.assertFalse(link.needs_review)

    def test_the_link_of_an_invoice_in_installments_lives_until_the_last_one_is_due(self):
        """The link pays each installment in turn: made by the invoice's button, in a new link's
        form or by a regeneration, it stays valid until the last installment is due, then for the
        company's days; an invoice due at once gets the company's days from today."""
        days = self.company.paylink_expiry_days
        today = fields.Date.context_today(self.env.user)
        invoice = self.make_invoice("3 installments")  # 30 % now, 30 % in 30 days, 40 % in 90
        last_due = today + timedelta(days=90)
        invoice.with_user(self.user_accountant).action_paylink_open()
        link = invoice.paylink_ids
        self.assertEqual(link.expiry_date, last_due + timedelta(days=days))
        with Form(self.env["account.payment.link"].with_user(self.user_accountant)) as form:
            form.link_type = "balance"  # before its customer is chosen: no error, no expiry
            self.assertFalse(form.expiry_date)
            form.link_type = "invoice"
            form.move_id = self.make_invoice("immediate")
            self.assertEqual(form.expiry_date, today + timedelta(days=days))
            form.move_id = self.make_invoice("3 installments")
            self.assertEqual(form.expiry_date, last_due + timedelta(days=days))
            form.link_type = "balance"
            self.assertFalse(form.expiry_date)
            form.link_type = "invoice"
            form.move_id = self.make_invoice("immediate")
        self.assertEqual(form.record.expiry_date, today + timedelta(days=days))
        # The customer pays the first installment; on the last one's due day the link still serves.
        self.pay_link(link, payment_choice=self.key(link, "installment"))
        self.env["account.payment.link"].with_user(self.user_manager).browse(link.id).action_regenerate()
        new = link.replaced_by_id
        self.assertEqual(new.expiry_date, last_due + timedelta(days=days))
        with freeze_time(last_due):
            self.assertEqual(self.url_open(f"/pay/{self.token_of(new)}").status_code, 200)
            self.assertEqual(self.offered(new)["full"], 700.0)

    def test_overdue_installments_are_paid_together(self):
        invoice = self.make_invoice("3 installments", days_ago=40)
        link = self.make_link(link_type="invoice", move_id=invoice.id)
        tx = self.pay_link(link, payment_choice=self.key(link, "overdue"))
        self.assertEqual(tx.amount, 600.0)
        self.assertEqual(self.term_residuals(invoice), [0.0, 0.0, 400.0])
        self.assertEqual(link.state, "active")

    def test_the_full_amount_may_be_chosen(self):
        invoice = self.make_invoice("30/70")
        link = self.make_link(link_type="invoice", move_id=invoice.id)
        tx = self.pay_link(link, payment_choice="full")
        self.assertEqual(tx.amount, 1000.0)
        self.assertEqual(self.term_residuals(invoice), [0.0, 0.0])
        self.assertEqual(link.state, "paid")

    def test_the_route_takes_only_the_amounts_offered(self):
        """As the public customer: an amount the page does not offer is refused in words, and the
        amount the browser sends is never used."""
        invoice = self.make_invoice("30/70")
        link = self.make_link(link_type="invoice", move_id=invoice.id)
        changed = "What is due has changed since this page was opened"
        refused = {
            "a choice not offered here": ("epd", changed),
            "another invoice's installment": ("installment-1", changed),
            "garbage": ("full'; DROP TABLE account_move; --", changed),
            "not a string": ({"key": "full"}, "Choose one of the amounts offered."),
        }
        for label, (choice, message) in refused.items():
            with self.subTest(label):
                body = self.start_payment(link, payment_choice=choice, amount=1.0)
                self.assertIn("error", body)
                self.assertIn(message, body["error"]["data"]["message"])
        self.assertFalse(self.env["payment.transaction"].sudo().search([("paylink_id", "=", link.id)]))
        # No choice sent (an old page): the amount the page preselects, the installment.
        tx = self.pay_link(link, amount=1.0)
        self.assertEqual(tx.amount, 300.0)

    def test_a_page_opened_before_an_installment_was_paid_pays_no_other_one(self):
        """A second tab, opened before the first installment was paid, still shows it: its choice
        names that installment's line, so it is refused in words, not turned into the next one."""
        invoice = self.make_invoice("3 installments")
        link = self.make_link(link_type="invoice", move_id=invoice.id)
        stale = self.key(link, "installment")
        self.pay_link(link, payment_choice=stale)
        self.assertEqual(self.term_residuals(invoice), [0.0, 300.0, 400.0])
        body = self.start_payment(link, payment_choice=stale)
        self.assertIn("What is due has changed", body["error"]["data"]["message"])
        self.assertEqual(self.offered(link), {"installment": 300.0, "full": 700.0})

    def test_a_full_payment_that_leaves_some_open_closes_the_link(self):
        """Only an installment the customer chose keeps the link active: the full amount paid while
        a credit note had been applied in part leaves the link paid, whatever the invoice says."""
        invoice = self.make_invoice("30/70")
        link = self.make_link(link_type="invoice", move_id=invoice.id)
        tx = self.pay_link(link, payment_choice="full")
        self.assertEqual(tx.paylink_payment_kind, "full")
        self.assertEqual(link.state, "paid")

    # === AN AGREED AMOUNT (issue 19, point 2) === #

    def odoo_wizard(self, invoice, user, **values):
        """Odoo's *Generate a Payment Link* on ``invoice``, as its action opens it, as ``user``."""
        wizard = (
            self.env["payment.link.wizard"]
            .with_user(user)
            .with_context(active_model="account.move", active_id=invoice.id)
            .create({})
        )
        wizard.write(values)
        return wizard

    def test_odoos_generate_a_payment_link_makes_our_link_for_an_agreed_amount(self):
        """The accountant agrees 400.00 of 1,000.00 with the customer in Odoo's wizard: our link asks
        for it ("Requested now ... of 1,000.00 due"), the customer pays exactly that, the payment
        is reconciled with the invoice (600.00 left) and the link is done."""
        invoice = self.make_invoice("immediate")
        wizard = self.odoo_wizard(invoice, self.user_accountant, amount=400.0)
        action = wizard.action_paylink_create()
        self.assertEqual(action["tag"], "display_notification")
        link = invoice.paylink_ids
        self.assertEqual((link.link_type, link.requested_amount, link.amount), ("invoice", 400.0, 400.0))
        self.assertIn("asking for", invoice.message_ids[0].body)
        response = self.url_open(f"/pay/{self.token_of(link)}")
        page = html.fromstring(response.content)
        self.assertEqual(self.offered(link), {"full": 400.0})
        requested = page.xpath("//*[hasclass('o_paylink_requested_of')]")[0].text_content()
        self.assertEqual(self.amount_in(requested), 1000.0)
        self.assertIn("Requested now", page.xpath("//*[hasclass('o_paylink_due')]")[0].text_content())
        # The route pays the agreed amount only, whatever the browser sends.
        body = self.start_payment(link, payment_choice="full")
        self.assertIn("What is due has changed", body["error"]["data"]["message"])
        tx = self.pay_link(link, amount=1000.0)
        self.assertEqual((tx.amount, tx.paylink_payment_kind), (400.0, "agreed"))
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("partial", 600.0))
        self.assertEqual((link.state, link.payment_id), ("paid", tx.payment_id))
        # The rest: a new link, for what is due.
        self.assertEqual(invoice.action_paylink_open()["tag"], "display_notification")
        self.assertEqual((invoice.paylink_id.requested_amount, invoice.paylink_id.amount), (0.0, 600.0))

    def test_an_agreed_amount_is_at_most_what_is_due(self):
        invoice = self.make_invoice("immediate")
        wizard = self.odoo_wizard(invoice, self.user_accountant, amount=1200.0)
        with self.assertRaisesRegex(UserError, "lower than"):
            wizard.action_paylink_create()
        with self.assertRaisesRegex(ValidationError, "at most"), self.env.cr.savepoint():
            self.env["account.payment.link"].with_user(self.user_accountant).create(
                {"link_type": "invoice", "move_id": invoice.id, "requested_amount": 1200.0}
            )
        self.env.invalidate_all()
        self.assertFalse(self.env["account.payment.link"].search([("move_id", "=", invoice.id)]))
        # Paid in part elsewhere after the link was made: it never asks for more than is left.
        self.odoo_wizard(invoice, self.user_accountant, amount=900.0).action_paylink_create()
        link = invoice.paylink_id
        self.pay(invoice, 500.0)
        self.assertEqual(link.amount, 500.0)
        self.assertEqual(self.offered(link), {"full": 500.0})

    def test_odoos_wizard_with_what_is_due_or_an_installment_makes_the_plain_link(self):
        """Odoo's wizard proposes the next installment and allows up to what is due: either makes
        the link that offers what Odoo's portal offers; a live link for another amount is kept and
        said, not replaced behind the customer's back."""
        invoice = self.make_invoice("30/70")
        wizard = self.odoo_wizard(invoice, self.user_accountant)
        self.assertEqual((wizard.amount, wizard.amount_max), (300.0, 1000.0), "Odoo's own defaults")
        wizard.action_paylink_create()
        link = invoice.paylink_id
        self.assertFalse(link.requested_amount)
        self.assertEqual(self.offered(link), {"installment": 300.0, "full": 1000.0})
        # The same again opens it; another amount is refused in words while it lives.
        self.assertEqual(
            self.odoo_wizard(invoice, self.user_accountant, amount=1000.0).action_paylink_create()["res_id"],
            link.id,
        )
        with self.assertRaisesRegex(UserError, "already has a live payment link"):
            self.odoo_wizard(invoice, self.user_accountant, amount=250.0).action_paylink_create()
        # Odoo's own link (a URL with a signed amount) is not offered on an invoice.
        arch = self.env["payment.link.wizard"].get_view(
            self.env.ref("payment.payment_link_wizard_view_form").id
        )["arch"]
        self.assertIn('name="action_paylink_create"', arch)
