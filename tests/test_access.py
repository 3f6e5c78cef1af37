"""Rights, companies and neutralization (RELIABILITY 18, 20, 26)."""

from odoo.exceptions import AccessError
from odoo.modules.neutralize import neutralize_database
from odoo.tests import new_test_user, tagged

from ..tools import stripe_api
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
        company_b.write({"paylink_stripe_publishable_key": "pk_b", "paylink_stripe_secret_key": "sk_test_b"})
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
        # Each company's client carries its own key.
        self.assertEqual(stripe_api.get_client(company_b)._requestor.api_key, "sk_test_b")
        self.assertNotEqual(stripe_api.get_client(self.company)._requestor.api_key, "sk_test_b")

    def test_secrets_are_for_system_administrators_only(self):
        fields = self.env["res.company"].with_user(self.user_manager).fields_get()
        for secret in (
            "paylink_stripe_secret_key",
            "paylink_stripe_webhook_secret",
            "paylink_twilio_auth_token",
        ):
            self.assertNotIn(secret, fields)

    def test_neutralize_clears_the_secrets(self):
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        company = self.company.sudo()
        self.assertFalse(company.paylink_stripe_secret_key)
        self.assertFalse(company.paylink_stripe_webhook_secret)
        self.assertFalse(company.paylink_stripe_publishable_key)
        self.assertFalse(company.paylink_twilio_auth_token)

    def test_portal_and_public_users_have_no_access_to_links(self):
        portal_user = self.make_portal_user(self.customer, "paylink_portal_access")
        public_user = self.env.ref("base.public_user")
        for user in (portal_user, public_user):
            with self.subTest(user=user.sudo().login):
                self.assertFalse(self.env["account.payment.link"].with_user(user).has_access("read"))

    def test_check_stripe_connection_button(self):
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertEqual(settings.action_paylink_check_stripe()["params"]["type"], "success")
        self.assertTrue(settings.paylink_stripe_webhook_url.endswith("/paylink/stripe/webhook"))
        # localstripe, like Stripe, answers 401 to a key that is not a secret key.
        self.company.paylink_stripe_secret_key = "pk_not_a_secret"
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        result = settings.action_paylink_check_stripe()["params"]
        self.assertEqual(result["type"], "danger")
        self.assertIn("refused", result["message"])
