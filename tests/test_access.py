"""Rights, companies and neutralization (RELIABILITY 18, 20, 26)."""

from odoo.exceptions import AccessError
from odoo.modules.neutralize import neutralize_database
from odoo.tests import new_test_user, tagged

from .common import PaylinkTestCommon


@tagged("post_install", "-at_install")
class TestAccess(PaylinkTestCommon):
    def test_accountant_cannot_manage_links_through_rpc(self):
        """Without the manager group: no custom link, no revoke, no regenerate, no expiry change."""
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        Link = self.env["account.payment.link"].with_user(self.user_accountant)
        as_accountant = Link.browse(link.id)
        calls = {
            "create a custom link": lambda: Link.create(
                {"partner_id": self.customer.id, "custom_amount": 10.0, "description": "x"}
            ),
            "revoke": as_accountant.action_revoke,
            "regenerate": as_accountant.action_regenerate,
            "change expiry": lambda: as_accountant.write({"expiry_date": False}),
            "open the expiry wizard": as_accountant.action_change_expiry,
        }
        for label, call in calls.items():
            with self.subTest(label), self.assertRaises(AccessError), self.cr.savepoint():
                call()
        self.assertEqual(link.state, "active")
        # What an accountant may do: see the link and its URL, create invoice links.
        self.assertEqual(as_accountant.read(["url"])[0]["url"], link.url)

    def test_manager_buttons_are_hidden_from_accountants(self):
        arch = (
            self.env["account.payment.link"]
            .with_user(self.user_accountant)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        for button in ("action_revoke", "action_regenerate", "action_change_expiry"):
            self.assertNotIn(button, arch)
        manager_arch = (
            self.env["account.payment.link"]
            .with_user(self.user_manager)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn("action_revoke", manager_arch)

    def test_other_company_cannot_see_links(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self.prepare_demo_provider(company_b)
        link_a = self.make_link()
        user_b = new_test_user(
            self.env,
            login="paylink_user_b",
            groups="account.group_account_invoice",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        Link_b = self.env["account.payment.link"].with_user(user_b)
        self.assertFalse(Link_b.search([("id", "=", link_a.id)]))
        with self.assertRaises(AccessError):
            Link_b.browse(link_a.id).read(["name"])

    def test_secrets_are_for_system_administrators_only(self):
        fields = self.env["res.company"].with_user(self.user_manager).fields_get()
        for secret in ("paylink_twilio_auth_token", "paylink_twilio_account_sid"):
            self.assertNotIn(secret, fields)

    def test_neutralize_clears_the_secrets(self):
        # A live provider (test-mode providers charge nothing and stay as they are).
        self.env.cr.execute("UPDATE payment_provider SET state = 'enabled' WHERE id = %s", [self.provider.id])
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        company = self.company.sudo()
        self.assertFalse(company.paylink_twilio_auth_token)
        # Odoo's own neutralization disables live payment providers: a copy charges nothing.
        self.assertEqual(self.provider.state, "disabled")
        self.assertFalse(company._paylink_is_payment_configured())

    def test_portal_and_public_users_have_no_access_to_links(self):
        portal_user = self.make_portal_user(self.customer, "paylink_portal_access")
        public_user = self.env.ref("base.public_user")
        for user in (portal_user, public_user):
            with self.subTest(user=user.sudo().login):
                self.assertFalse(self.env["account.payment.link"].with_user(user).has_access("read"))

    def test_link_fields_change_only_through_actions(self):
        """RELIABILITY 30: state, token, amounts, customer and documents, for every user, over RPC.

        A table of user x write x outcome; each refused write leaves the link as it was, and the
        actions the UI offers still work for those allowed to use them.
        """
        other_invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        custom = self.make_link(custom_amount=50.0)
        token = self.token_of(link)
        writes = {
            "revive a revoked link": (link, {"state": "active"}),
            "mark paid": (link, {"state": "paid"}),
            "set the token": (link, {"access_token": "x" * 43}),
            "change the invoice": (link, {"move_id": other_invoice.id}),
            "change the customer": (link, {"partner_id": self.partner_a.id}),
            "change the amount": (custom, {"custom_amount": 1.0}),
            "change the currency": (custom, {"currency_id": self.env.ref("base.EUR").id}),
            "record a payment": (link, {"amount_paid": 115.0}),
        }
        link.sudo().action_revoke()
        for user in (self.user_accountant, self.user_sms_sender, self.user_manager):
            for label, (record, values) in writes.items():
                with self.subTest(user=user.login, write=label):
                    with self.assertRaises(AccessError), self.cr.savepoint():
                        record.with_user(user).write(values)
        link.invalidate_recordset()
        self.assertEqual(link.state, "revoked")
        self.assertEqual(self.token_of(link), token)
        self.assertEqual(link.move_id, self.invoice)
        self.assertEqual(custom.custom_amount, 50.0)
        # The old URL stays dead.
        self.assertFalse(self.env["account.payment.link"]._get_link_from_token(token))
        # What the UI offers still works: a manager revokes, changes the expiry, regenerates.
        custom.with_user(self.user_manager).write({"description": "Deposit (spring)"})
        custom.with_user(self.user_manager).write({"expiry_date": False})
        custom.with_user(self.user_manager).action_revoke()
        self.assertEqual(custom.state, "revoked")
        # Nor can a link be created already paid, or with a token of one's choosing.
        for user in (self.user_accountant, self.user_manager):
            for label, values in {"paid": {"state": "paid"}, "token": {"access_token": "y" * 43}}.items():
                with self.subTest(user=user.login, create=label), self.assertRaises(AccessError):
                    with self.cr.savepoint():
                        self.env["account.payment.link"].with_user(user).create(
                            {"link_type": "invoice", "move_id": other_invoice.id, **values}
                        )
        # A manager clears the review flag with its action, not a write.
        custom.sudo().needs_review = True
        with self.assertRaises(AccessError), self.cr.savepoint():
            custom.with_user(self.user_manager).write({"needs_review": False})
        with self.assertRaises(AccessError), self.cr.savepoint():
            custom.with_user(self.user_accountant).action_mark_reviewed()
        custom.with_user(self.user_manager).action_mark_reviewed()
        self.assertFalse(custom.needs_review)
        # Portal and public users cannot even read links.
        for user in (
            self.make_portal_user(self.customer, "paylink_portal_rights"),
            self.env.ref("base.public_user"),
        ):
            with self.subTest(user=user.sudo().login), self.assertRaises(AccessError):
                custom.with_user(user).write({"state": "active"})
