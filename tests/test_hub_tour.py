"""The hub in a real browser: a manager creates a custom-amount link and copies its URL.

The tour itself checks that what the copy button put on the clipboard is the URL shown.
"""

from odoo.tests import HttpCase, tagged

from .common import PaylinkTestCommon


@tagged("post_install", "-at_install")
class TestHubTour(PaylinkTestCommon, HttpCase):
    def test_create_custom_link_and_copy_its_url(self):
        self.env.ref("base.user_admin").write(
            {"company_id": self.company.id, "company_ids": [(4, self.company.id)]}
        )
        self.start_tour(
            "/odoo/action-account_payment_link.action_payment_link",
            "account_payment_link_hub",
            login="admin",
        )
        link = self.env["account.payment.link"].search(
            [("description", "=", "Tour deposit"), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(len(link), 1)
        self.assertEqual(link.link_type, "custom")
        self.assertEqual(link.partner_id, self.customer)
        self.assertAlmostEqual(link.amount, 123.45)
        self.assertEqual(link.state, "active")
        # Issue 19.7: the default expiry, shown on the form, is saved with it.
        self.assertTrue(link.expiry_date)
        # (the admin's today, in the admin's time zone, as the form showed it)
        admin = self.env.ref("base.user_admin")
        self.assertEqual(link.expiry_date, self.company.with_user(admin)._paylink_default_expiry_date())
