"""Issue 19.3: on a balance link the customer chooses the invoices to pay; credits are lines of
their own; the server computes the amount from the invoices chosen and the payment is reconciled
exactly with them; a company may let customers pay part of it, above a minimum.

Every payment goes through the link's transaction route over HTTP as the public visitor, and
Odoo's Demo provider."""

from lxml import html

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import PaylinkPaymentCommon
from .test_pay_page import has_class, text


@tagged("post_install", "-at_install")
class TestBalanceChoice(PaylinkPaymentCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Oldest due first: 50.00 (2010), 80.00 (2011), then the common 115.00 invoice (today).
        cls.oldest = cls.init_invoice(
            "out_invoice", partner=cls.customer, amounts=[50.0], invoice_date="2010-01-01", post=True
        )
        cls.middle = cls.init_invoice(
            "out_invoice", partner=cls.customer, amounts=[80.0], invoice_date="2011-01-01", post=True
        )
        cls.credit_note = cls.init_invoice("out_refund", partner=cls.customer, amounts=[30.0], post=True)
        cls.unapplied = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": cls.customer.id,
                "amount": 20.0,
                "journal_id": cls.company_data["default_journal_bank"].id,
            }
        )
        cls.unapplied.action_post()
        cls.link = cls.make_link(link_type="balance", partner_id=cls.customer.id)

    def page(self, link=None):
        response = self.url_open(f"/pay/{self.token_of(link or self.link)}", allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        return html.fromstring(response.content)

    def error_of(self, body):
        self.assertIn("error", body, body)
        return body["error"]["data"]["message"]

    def residuals(self):
        moves = self.oldest | self.middle | self.invoice | self.credit_note | self.unapplied.move_id
        return {move: move.amount_residual for move in moves}

    def test_the_page_lists_each_invoice_ticked_and_each_credit(self):
        """Every open invoice has a checkbox, ticked; the credit note and the unapplied payment
        are lines that explain the total: 50 + 80 + 115 - 30 - 20 = 195."""
        doc = self.page()
        table = doc.xpath(f"//table[{has_class('o_paylink_open_invoices')}]")[0]
        boxes = table.xpath(".//input[@type='checkbox'][@name='paylink_invoice']")
        self.assertEqual(
            [int(box.get("value")) for box in boxes], (self.oldest | self.middle | self.invoice).ids
        )
        self.assertTrue(all(box.get("checked") for box in boxes))
        # Each checkbox has a label naming its invoice (screen readers).
        for box in boxes:
            label = doc.xpath(f"//label[@for='{box.get('id')}']")[0]
            self.assertIn(self.env["account.move"].browse(int(box.get("value"))).name, text(label))
        credits = [  # Odoo's monetary widget puts a zero-width no-break space after the minus
            text(row).replace("\ufeff", "")
            for row in table.xpath(f".//tr[{has_class('o_paylink_credit_line')}]")
        ]
        self.assertEqual(len(credits), 2, credits)
        self.assertIn(f"Credit note {self.credit_note.name}", credits[0] + credits[1])
        self.assertIn(f"Payment {self.unapplied.name}, not applied yet", credits[0] + credits[1])
        self.assertTrue(all("-30.00" in row or "-20.00" in row for row in credits), credits)
        amount = doc.xpath(f"//span[{has_class('o_paylink_amount_due')}]")[0]
        self.assertIn("195.00", text(amount))
        self.assertAlmostEqual(self.link.amount, 195.0)
        # Part of a balance is the company's choice, off by default.
        self.assertFalse(doc.xpath("//input[@name='part_amount']"))

    def test_an_unticked_invoice_stays_open_the_others_are_paid_exactly(self):
        """The customer unticks the 80.00 invoice: the route computes 50 + 115 - 50 of credits =
        115.00; the payment and the credits pay the two invoices chosen exactly, the other one is
        untouched, no credit is left over and nothing is unapplied."""
        tx = self.pay_link(self.link, invoice_ids=(self.oldest | self.invoice).ids, amount=9999.0)
        self.assertEqual((tx.state, tx.amount, tx.paylink_payment_kind), ("done", 115.0, "chosen"))
        self.assertEqual(tx.invoice_ids, self.oldest | self.invoice)
        residuals = self.residuals()
        self.assertEqual(residuals[self.oldest], 0.0)
        self.assertEqual(residuals[self.invoice], 0.0)
        self.assertEqual(residuals[self.middle], 80.0)
        self.assertEqual(residuals[self.credit_note], 0.0)
        self.assertEqual(residuals[self.unapplied.move_id], 0.0)
        self.assertFalse(self.link.needs_review)
        # The link serves the rest.
        self.assertEqual(self.link.state, "active")
        self.assertAlmostEqual(self.link.amount, 80.0)

    def test_all_ticked_pays_the_whole_balance(self):
        tx = self.pay_link(self.link)
        self.assertEqual((tx.amount, tx.paylink_payment_kind), (195.0, "full"))
        self.assertFalse(any(self.residuals().values()))

    def test_the_route_refuses_what_the_page_does_not_offer(self):
        """Other customers' invoices, nothing chosen, invoices the credits cover, malformed ids, a
        part the company does not allow: refused in words, and no transaction is created."""
        stranger = self.env["res.partner"].create({"name": "Stranger"})
        theirs = self.init_invoice("out_invoice", partner=stranger, amounts=[10.0], post=True)
        cases = {
            "another customer's invoice": ({"invoice_ids": [self.invoice.id, theirs.id]}, "has changed"),
            "nothing chosen": ({"invoice_ids": []}, "at least one invoice"),
            "credits cover it": ({"invoice_ids": [self.oldest.id]}, "covers the invoices chosen"),
            "not ids": ({"invoice_ids": ["1; DROP"]}, "among those listed"),
            "not a list": ({"invoice_ids": "all"}, "among those listed"),
            "true for an id": ({"invoice_ids": [True]}, "among those listed"),
            "another total than the page showed": ({"expected_amount": 194.99}, "has changed"),
            "a part, not allowed": ({"part_amount": "10"}, "whole of the invoices chosen"),
            "a part, not a number": ({"part_amount": "ten"}, "as a number"),
        }
        Tx = self.env["payment.transaction"].sudo()
        before = Tx.search_count([])
        for label, (params, message) in cases.items():
            with self.subTest(label), mute_logger("odoo.http"):
                self.assertIn(message, self.error_of(self.start_payment(self.link, **params)))
        self.assertEqual(Tx.search_count([]), before)
        self.assertEqual(self.oldest.amount_residual, 50.0)

    def test_part_of_the_balance_above_the_minimum_pays_the_oldest_first(self):
        """With the company's setting, the customer pays 100.00 of the 115.00 chosen: the payment
        and the credits go to the oldest due first (Odoo's reconciliation order), the rest stays
        open on the newest; below the minimum or above what was chosen is refused."""
        self.company.write({"paylink_balance_partial": True, "paylink_balance_minimum": 40.0})
        doc = self.page()
        # At least the minimum, at most the balance (the page's script lowers it to what is ticked).
        self.assertTrue(doc.xpath("//input[@name='part_amount'][@min='40.0'][@max='195.0']"))
        self.assertIn("At least", text(doc.xpath(f"//*[{has_class('o_paylink_part')}]")[0]))
        chosen = (self.oldest | self.invoice).ids
        with mute_logger("odoo.http"):
            for part, message in (
                ("39.99", "between"),
                ("115.01", "between"),
                ("-5", "between"),
                ("0", "between"),
                ("nan", "as a number"),
                ("inf", "as a number"),
            ):
                body = self.start_payment(self.link, invoice_ids=chosen, part_amount=part)
                self.assertIn(message, self.error_of(body), part)
        tx = self.pay_link(self.link, invoice_ids=chosen, part_amount="100", expected_amount="100.00")
        self.assertEqual((tx.state, tx.amount, tx.paylink_payment_kind), ("done", 100.0, "part"))
        # The payment itself went to the oldest due first: all of its 50, then 50 of the newest.
        paid_by_payment = {
            partial.debit_move_id.move_id: partial.amount
            for partial in tx.payment_id.move_id.line_ids.matched_debit_ids
        }
        self.assertEqual(paid_by_payment, {self.oldest: 50.0, self.invoice: 50.0})
        residuals = self.residuals()
        self.assertEqual(residuals[self.oldest], 0.0)
        self.assertAlmostEqual(residuals[self.invoice], 15.0)
        self.assertEqual(residuals[self.middle], 80.0)
        self.assertEqual((residuals[self.credit_note], residuals[self.unapplied.move_id]), (0.0, 0.0))
        self.assertAlmostEqual(self.link.amount, 95.0)

    def test_a_minimum_above_what_was_chosen_asks_for_all_of_it(self):
        self.company.write({"paylink_balance_partial": True, "paylink_balance_minimum": 500.0})
        with mute_logger("odoo.http"):
            body = self.start_payment(self.link, part_amount="150")
        self.assertIn("between $ 195.00 and $ 195.00", self.error_of(body).replace("\xa0", " "))
        tx = self.pay_link(self.link, part_amount="195")
        self.assertEqual((tx.amount, tx.paylink_payment_kind), (195.0, "full"))

    def test_tips_on_a_balance_follow_the_company_setting(self):
        """Issue 19.4 on a balance: no tip unless the company offers tips on balance links; then
        the tip is on the invoices chosen, and written off to the tip account."""
        with mute_logger("odoo.http"):
            self.assertIn("not offered", self.error_of(self.start_payment(self.link, tip_percent=20)))
        self.assertFalse(self.page().xpath("//input[@name='tip_percent']"))
        self.company.paylink_tips_link_types = "invoice_balance"
        tx = self.pay_link(self.link, tip_percent=20, invoice_ids=(self.oldest | self.invoice).ids)
        self.assertEqual((tx.amount, tx.paylink_tip_amount), (138.0, 23.0))
        self.assertEqual((self.oldest.amount_residual, self.invoice.amount_residual), (0.0, 0.0))
        self.assertEqual(self.middle.amount_residual, 80.0)

    def test_a_part_of_nothing_is_refused_without_a_minimum(self):
        self.company.write({"paylink_balance_partial": True, "paylink_balance_minimum": 0.0})
        Tx = self.env["payment.transaction"].sudo()
        before = Tx.search_count([])
        with mute_logger("odoo.http"):
            for part in ("0", "0.001", False):  # JSON false is 0 too
                body = self.start_payment(self.link, part_amount=part)
                self.assertIn("between $ 0.01 and $ 195.00", self.error_of(body).replace("\xa0", " "))
        self.assertEqual(Tx.search_count([]), before)

    def test_two_tabs_counting_the_same_credits_flag_the_link(self):
        """Two tabs pay different invoices at once, each less the same 50.00 of credits: the
        first payment uses them; the second leaves its invoice partly open, and says so."""
        first = self.start_payment(self.link, invoice_ids=self.middle.ids)  # 80 - 50
        second = self.start_payment(self.link, invoice_ids=self.invoice.ids)  # 115 - 50
        self.demo_notify(first["result"]["reference"])
        self.assertFalse(self.link.needs_review)
        self.demo_notify(second["result"]["reference"])
        self.assertEqual((self.middle.amount_residual, self.invoice.amount_residual), (0.0, 50.0))
        self.assertTrue(self.link.needs_review)
        flags = [m.body for m in self.link.message_ids if "used by another payment" in (m.body or "")]
        self.assertEqual(len(flags), 1)
        self.assertIn(self.invoice.name, flags[0])

    def test_a_part_equal_to_a_discounted_amount_takes_no_discount(self):
        """A balance payment never takes an invoice's early-payment discount (its page offers
        none): a part of exactly the discounted 98.00 of a 100.00 invoice pays 98.00 of it."""
        terms = self.env["account.payment.term"].create(
            {"name": "2/7 net 30", "early_discount": True, "discount_percentage": 2, "discount_days": 7,
             "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})]}
        )  # fmt: skip
        discounted = self.make_posted_invoice(price=100.0, terms=terms)
        self.assertEqual(discounted._get_invoice_next_payment_values()["amount_due"], 98.0)
        self.company.write({"paylink_balance_partial": True, "paylink_balance_minimum": 1.0})
        self.credit_note.button_draft()  # no credits: the part goes to the invoice alone
        self.unapplied.action_draft()
        tx = self.pay_link(self.link, invoice_ids=discounted.ids, part_amount="98")
        self.assertEqual((tx.amount, tx.paylink_payment_kind), (98.0, "part"))
        self.assertEqual((discounted.payment_state, discounted.amount_residual), ("partial", 2.0))

    def test_a_balance_link_is_in_the_companys_currency(self):
        """The balance and its credits are in the company's currency: a balance link in another
        one would charge those sums in it."""
        other = (
            self.env.ref("base.EUR") if self.company.currency_id.name != "EUR" else self.env.ref("base.USD")
        )
        other.active = True
        someone = self.env["res.partner"].create({"name": "Someone Else"})
        Link = self.env["account.payment.link"].with_user(self.user_manager)
        with self.assertRaisesRegex(ValidationError, "company's currency"), self.env.cr.savepoint():
            Link.create({"link_type": "balance", "partner_id": someone.id, "currency_id": other.id})
        self.assertEqual(
            Link.create({"link_type": "balance", "partner_id": someone.id}).currency_id,
            self.company.currency_id,
        )
