"""The link record: tokens, amounts, lifecycle, validation."""

from datetime import timedelta

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PaylinkTestCommon


@tagged("post_install", "-at_install")
class TestPaymentLink(PaylinkTestCommon):
    # === TOKENS (RELIABILITY 15) === #

    def test_token_has_at_least_128_random_bits_and_is_unique(self):
        links = self.env["account.payment.link"]
        for _i in range(40):
            links |= self.make_link()
        tokens = [self.token_of(link) for link in links]
        self.assertEqual(len(set(tokens)), 40)
        for token in tokens:
            # URL-safe base64 carries 6 bits a character: 43 characters are 258 bits (32 bytes).
            self.assertRegex(token, r"^[A-Za-z0-9_\-]{43}$")

    def test_url_is_built_from_the_base_url_and_the_token(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://pay.example.com")
        link = self.make_link()
        self.assertEqual(link.url, f"https://pay.example.com/pay/{self.token_of(link)}")

    def test_lookup_is_exact(self):
        link = self.make_link()
        token = self.token_of(link)
        self.assertEqual(self.lookup(token), link)
        for wrong in (token[:-1], token + "x", token.upper(), "", None, "x" * 500):
            with self.subTest(wrong=wrong):
                self.assertFalse(self.lookup(wrong))

    def test_token_is_not_readable_by_accountants(self):
        link = self.make_link()
        self.assertNotIn("access_token", link.with_user(self.user_accountant).fields_get())
        # ...but they can still copy the URL.
        self.assertIn("/pay/", link.with_user(self.user_accountant).url)

    # === AMOUNTS === #

    def test_invoice_link_amount_follows_partial_payments(self):
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.assertEqual(link.partner_id, self.customer)
        self.assertAlmostEqual(link.amount, 115.0)
        self.pay(self.invoice, 40.0)
        link.invalidate_recordset(["amount"])
        self.assertAlmostEqual(link.amount, 75.0)

    def test_balance_link_amount_is_the_open_balance(self):
        second = self.init_invoice("out_invoice", partner=self.customer, amounts=[200.0], post=True)
        self.init_invoice("out_refund", partner=self.customer, amounts=[30.0], post=True)
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.assertAlmostEqual(link.amount, 115.0 + 200.0 - 30.0)
        self.assertFalse(link.expiry_date, "balance links never expire")
        self.pay(second, 200.0)
        link.invalidate_recordset(["amount"])
        self.assertAlmostEqual(link.amount, 85.0)
        self.assertEqual(link._get_open_invoices(), self.invoice)

    def test_blocked_invoices_are_left_out_of_balances(self):
        """An invoice whose payment the accountant blocked (Odoo's *Block payment*, e.g. a dispute)
        is not asked for by the balance link nor among the invoices its payment goes to; a blocked
        credit note still lowers the balance (blocking is about paying, not crediting)."""
        disputed = self.init_invoice("out_invoice", partner=self.customer, amounts=[200.0], post=True)
        disputed.action_toggle_block_payment()
        self.assertEqual(disputed.payment_state, "blocked")
        link = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.assertAlmostEqual(link.amount, 115.0)
        self.assertEqual(link._get_open_invoices(), self.invoice)
        disputed.action_toggle_block_payment()  # unblocked: asked for again
        link.invalidate_recordset(["amount"])
        self.assertAlmostEqual(link.amount, 315.0)
        self.assertEqual(link._get_open_invoices(), self.invoice | disputed)
        credit_note = self.init_invoice("out_refund", partner=self.customer, amounts=[30.0], post=True)
        credit_note.action_toggle_block_payment()
        link.invalidate_recordset(["amount"])
        self.assertAlmostEqual(link.amount, 285.0)

    def test_a_blocked_invoice_keeps_its_link_manageable(self):
        """Blocking an invoice with an active link refuses new links and sending it, not managing it:
        its expiry changes, it is revoked; once paid in full, it is simply paid (Odoo keeps the
        invoice "blocked" then)."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.invoice.action_toggle_block_payment()
        with self.assertRaisesRegex(UserError, "is blocked: unblock it"):
            link.with_user(self.user_sms_sender).action_send()
        new_date = fields.Date.today() + timedelta(days=60)
        self.env["account.payment.link.expiry"].with_user(self.user_manager).with_context(
            active_model="account.payment.link", active_ids=link.ids
        ).create({"expiry_date": new_date}).action_apply()
        self.assertEqual(link.expiry_date, new_date)
        link.with_user(self.user_manager).action_revoke()
        self.assertEqual(link.state, "revoked")
        self.pay(self.invoice, self.invoice.amount_total)
        self.assertEqual(self.invoice.payment_state, "blocked")
        self.assertEqual(self.invoice._paylink_get_unpayable_code(), "nothing_due")

    def test_custom_link_amount_is_fixed(self):
        link = self.make_link(custom_amount=42.5)
        self.assertAlmostEqual(link.amount, 42.5)

    # === LIFECYCLE === #

    def test_regenerate_kills_the_old_token_for_good(self):
        old = self.make_link(link_type="invoice", move_id=self.invoice.id)
        old_token = self.token_of(old)
        self.env["account.payment.link"].with_user(self.user_manager).browse(old.id).action_regenerate()
        self.assertEqual(old.state, "revoked")
        new = old.replaced_by_id
        self.assertTrue(new)
        self.assertEqual(new.state, "active")
        self.assertNotEqual(self.token_of(new), old_token)
        self.assertEqual(self.invoice.paylink_id, new)
        self.assertFalse(self.lookup(old_token))
        self.assertEqual(self.lookup(self.token_of(new)), new)
        # The old token can never come back on another link.
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError), self.cr.savepoint():
            new._paylink_write_lifecycle({"access_token": old_token})
            new.flush_recordset()

    def test_one_active_link_per_invoice(self):
        first = self.invoice._paylink_get_or_create()
        self.assertEqual(self.invoice._paylink_get_or_create(), first)
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError), self.cr.savepoint():
            self.make_link(link_type="invoice", move_id=self.invoice.id)
            self.env.flush_all()

    def test_revoke(self):
        link = self.make_link()
        link.with_user(self.user_manager).action_revoke()
        self.assertEqual(link.state, "revoked")
        self.assertFalse(self.lookup(self.token_of(link)))
        with self.assertRaises(UserError):
            link.with_user(self.user_manager).action_revoke()

    def test_expiry_cron(self):
        today = fields.Date.today()
        self.company.paylink_expiry_days = 10
        soon = self.make_link()
        never = self.make_link(expiry_date=False)
        self.assertEqual(soon.expiry_date, today + timedelta(days=10))
        later = self.make_link(expiry_date=today + timedelta(days=30))
        with freeze_time(today + timedelta(days=11)):
            # Past its date the token stops working even before the cron runs.
            self.assertFalse(self.lookup(self.token_of(soon)))
            self.env["account.payment.link"]._cron_expire_links()
        self.assertEqual(soon.state, "expired")
        self.assertEqual(never.state, "active")
        self.assertEqual(later.state, "active")

    def test_expiry_zero_days_means_never(self):
        self.company.paylink_expiry_days = 0
        self.assertFalse(self.make_link().expiry_date)

    def test_change_expiry_wizard(self):
        link = self.make_link()
        new_date = fields.Date.today() + timedelta(days=90)
        wizard = (
            self.env["account.payment.link.expiry"]
            .with_user(self.user_manager)
            .with_context(active_model="account.payment.link", active_ids=link.ids)
            .create({"expiry_date": new_date})
        )
        wizard.action_apply()
        self.assertEqual(link.expiry_date, new_date)
        wizard.expiry_date = fields.Date.today() - timedelta(days=1)
        with self.assertRaises(UserError):
            wizard.action_apply()

    # === BAD INPUT === #

    def test_bad_input_is_refused_with_a_message_and_creates_nothing(self):
        Link = self.env["account.payment.link"]
        count = Link.search_count([])
        draft = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0])
        cancelled = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        cancelled.button_draft()
        cancelled.button_cancel()
        paid = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        self.pay(paid, paid.amount_total)
        bill = self.init_invoice("in_invoice", partner=self.customer, amounts=[10.0], post=True)
        blocked = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        blocked.action_toggle_block_payment()
        cases = {
            "zero amount": ({"custom_amount": 0.0}, "must be greater than zero"),
            "negative amount": ({"custom_amount": -5.0}, "must be greater than zero"),
            "expiry in the past": (
                {"expiry_date": fields.Date.today() - timedelta(days=1)},
                "cannot be in the past",
            ),
            "draft invoice": ({"link_type": "invoice", "move_id": draft.id}, "Confirm the invoice"),
            "cancelled invoice": ({"link_type": "invoice", "move_id": cancelled.id}, "is cancelled"),
            "paid invoice": ({"link_type": "invoice", "move_id": paid.id}, "nothing left to pay"),
            "vendor bill": ({"link_type": "invoice", "move_id": bill.id}, "customer invoices only"),
            "blocked invoice": ({"link_type": "invoice", "move_id": blocked.id}, "is blocked: unblock it"),
        }
        for label, (values, message) in cases.items():
            with self.subTest(label), self.assertRaisesRegex(UserError, message):
                with self.cr.savepoint():
                    self.make_link(**values)
        self.assertEqual(Link.search_count([]), count)

    def test_links_refused_while_no_provider_can_take_payments(self):
        self.provider.state = "disabled"
        with self.assertRaisesRegex(UserError, "No payment provider is enabled"):
            self.make_link()
        info = self.env["res.company"].with_company(self.company).paylink_get_hub_info()
        self.assertIn("Payment Providers", info["payment_unavailable_reason"])
        # A Stripe provider without its webhook signing secret does not count, and the banner says why.
        stripe = self.env["payment.provider"].sudo().search(
            [("code", "=", "stripe"), ("company_id", "=", self.company.id)], limit=1
        ) or self.env.ref("payment.payment_provider_stripe").sudo().copy({"company_id": self.company.id})
        stripe.write(
            {"state": "test", "is_published": True, "stripe_publishable_key": "pk_test_x",
             "stripe_secret_key": "sk_test_x", "stripe_webhook_secret": False}
        )  # fmt: skip
        info = self.env["res.company"].with_company(self.company).paylink_get_hub_info()
        self.assertIn("webhook signing secret", info["payment_unavailable_reason"])
        stripe.stripe_webhook_secret = "whsec_test"
        info = self.env["res.company"].with_company(self.company).paylink_get_hub_info()
        self.assertFalse(info["payment_unavailable_reason"])
        self.assertTrue(self.make_link())

    def test_tip_percentages_are_validated(self):
        self.company.paylink_tip_percentages = "18, 20,25"
        self.assertEqual(self.company._paylink_get_tip_percentages(), [18.0, 20.0, 25.0])
        for bad in ("abc", "18,,-5", "150"):
            with self.subTest(bad=bad), self.assertRaises(ValidationError), self.cr.savepoint():
                self.company.paylink_tip_percentages = bad

    # === HUB === #
