"""Companies, secrets and neutralization (RELIABILITY 18, 20, 26); who may do what is test_rights."""

from odoo.exceptions import AccessError
from odoo.modules.neutralize import neutralize_database
from odoo.tests import new_test_user, tagged

from .common import PaylinkTestCommon


@tagged("post_install", "-at_install")
class TestAccess(PaylinkTestCommon):
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

    def test_an_internal_user_without_the_apps_rights_reads_odoos_notifications_whole(self):
        """Odoo's notifications carry the inverse of the links' logs (for Odoo's recomputation):
        an internal user without this app's rights is not shown it, and reads every field of a
        notification of their own that they are shown (but Odoo's own ``sms_tracker_ids``, which
        Odoo keeps for administrators); the logs stay out of reach."""
        user = new_test_user(self.env, login="paylink_plain_user", groups="base.group_user")
        message = self.customer.message_post(body="Hello", partner_ids=user.partner_id.ids)
        notification = message.notification_ids.filtered(lambda n: n.res_partner_id == user.partner_id)
        self.assertTrue(notification)
        shown = self.env["mail.notification"].with_user(user).fields_get()
        self.assertNotIn("paylink_message_ids", shown)
        values = notification.with_user(user).read([name for name in shown if name != "sms_tracker_ids"])[0]
        self.assertEqual(values["res_partner_id"][0], user.partner_id.id)
        self.assertFalse(self.env["account.payment.link.message"].with_user(user).has_access("read"))
