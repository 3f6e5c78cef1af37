"""Who may do what with payment links: one table of user x action x outcome, as the real users.

Each action is what the UI offers someone (or what an RPC call could try); the rights come from
the declarations only (access rules, record rules, field groups, the lifecycle guard).
"""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import PaylinkTestCommon

OK, REFUSED = "allowed", "refused"


@tagged("post_install", "-at_install")
class TestRights(PaylinkTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal = cls.make_portal_user(cls.customer, "paylink_rights_portal")
        cls.user_public = cls.env.ref("base.public_user")

    # Each action gets the user's environment and returns nothing; it raises AccessError when refused.

    def _invoice(self):
        return self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)

    def _link(self, **values):
        values.setdefault("link_type", "invoice")
        if values["link_type"] == "invoice":
            values.setdefault("move_id", self._invoice().id)
        link = self.make_link(**values)
        # What the user does next starts from the database, as a new request would.
        self.env.flush_all()
        self.env.invalidate_all()
        return link

    def act_read(self, env):
        link = self._link()
        env["account.payment.link"].browse(link.id).read(["name", "url", "state", "amount"])

    def act_read_token(self, env):
        link = self._link()
        env["account.payment.link"].browse(link.id).read(["access_token"])

    def act_read_messages_sent(self, env):
        link = self._link()
        link._paylink_send(email_partner=self.customer, queue_email=True)
        env["account.payment.link"].browse(link.id).message_log_ids.read(["recipient", "state"])

    def act_create_invoice_link(self, env):
        env["account.payment.link"].create({"link_type": "invoice", "move_id": self._invoice().id})

    def act_create_balance_link(self, env):
        env["account.payment.link"].create({"link_type": "balance", "partner_id": self.customer.id})

    def act_create_custom_link(self, env):
        env["account.payment.link"].create(
            {"link_type": "custom", "partner_id": self.customer.id, "custom_amount": 10.0, "description": "x"}
        )

    def act_revoke(self, env):
        env["account.payment.link"].browse(self._link().id).action_revoke()

    def act_regenerate(self, env):
        env["account.payment.link"].browse(self._link().id).action_regenerate()

    def act_change_expiry(self, env):
        link = self._link()
        wizard = (
            env["account.payment.link.expiry"]
            .with_context(active_model="account.payment.link", active_ids=link.ids)
            .create({"expiry_date": fields.Date.today() + timedelta(days=3)})
        )
        wizard.action_apply()

    def act_mark_reviewed(self, env):
        link = self._link()
        link._paylink_write_lifecycle({"needs_review": True})
        env["account.payment.link"].browse(link.id).action_mark_reviewed()

    def act_edit_label(self, env):
        env["account.payment.link"].browse(self._link().id).write({"description": "Spring order"})

    def act_revive_revoked(self, env):
        link = self._link()
        link.action_revoke()
        env["account.payment.link"].browse(link.id).write({"state": "active"})

    def act_mark_paid(self, env):
        env["account.payment.link"].browse(self._link().id).write({"state": "paid", "amount_paid": 10.0})

    def act_set_token(self, env):
        env["account.payment.link"].browse(self._link().id).write({"access_token": "x" * 43})

    def act_change_amount(self, env):
        link = self._link(link_type="custom", partner_id=self.customer.id, custom_amount=50.0)
        env["account.payment.link"].browse(link.id).write({"custom_amount": 1.0})

    def act_change_customer_or_invoice(self, env):
        link = env["account.payment.link"].browse(self._link().id)
        link.write({"move_id": self._invoice().id})

    def act_create_already_paid(self, env):
        env["account.payment.link"].create(
            {"link_type": "invoice", "move_id": self._invoice().id, "state": "paid"}
        )

    def _send_wizard(self, env, **values):
        link = self._link()
        self.env.invalidate_all()
        wizard = env["account.payment.link.send"].with_context(default_link_id=link.id).create(values)
        wizard.action_send()
        return link

    def act_send_by_email(self, env):
        link = self._send_wizard(env, channel_email=True, channel_sms=False, email_to=self.customer.email)
        self.assertEqual(link.message_log_ids.channel, "email")

    def act_send_by_sms(self, env):
        link = self._send_wizard(env, channel_email=False, channel_sms=True, sms_number="+14155550134")
        self.assertEqual(link.message_log_ids.channel, "sms")

    def act_bulk_send_by_sms(self, env):
        invoice = self._invoice()
        wizard = (
            env["account.payment.link.send.bulk"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"channel_email": False, "channel_sms": True})
        )
        wizard.action_send()
        self.assertTrue(invoice.paylink_ids.message_log_ids, "the SMS was logged as sent")

    def act_bulk_send_as_someone_else(self, env):
        env["account.payment.link.batch"].create(
            {
                "name": "x",
                "move_ids": [fields.Command.set(self._invoice().ids)],
                "user_id": self.env.ref("base.user_admin").id,
            }
        )

    def act_forge_a_delivered_message(self, env):
        link = self._link()
        env["account.payment.link.message"].create(
            {
                "link_id": link.id,
                "channel": "email",
                "recipient": "x@example.com",
                "initial_state": "delivered",
            }
        )

    TABLE = {
        # action:                      accountant, SMS sender, manager, portal, public
        "act_read": (OK, OK, OK, REFUSED, REFUSED),
        "act_read_token": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
        "act_read_messages_sent": (OK, OK, OK, REFUSED, REFUSED),
        "act_create_invoice_link": (OK, OK, OK, REFUSED, REFUSED),
        "act_create_balance_link": (OK, OK, OK, REFUSED, REFUSED),
        "act_create_custom_link": (REFUSED, REFUSED, OK, REFUSED, REFUSED),
        "act_revoke": (REFUSED, REFUSED, OK, REFUSED, REFUSED),
        "act_regenerate": (REFUSED, REFUSED, OK, REFUSED, REFUSED),
        "act_change_expiry": (REFUSED, REFUSED, OK, REFUSED, REFUSED),
        "act_mark_reviewed": (REFUSED, REFUSED, OK, REFUSED, REFUSED),
        "act_edit_label": (REFUSED, REFUSED, OK, REFUSED, REFUSED),
        "act_revive_revoked": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
        "act_mark_paid": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
        "act_set_token": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
        "act_change_amount": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
        "act_change_customer_or_invoice": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
        "act_create_already_paid": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
        "act_send_by_email": (OK, OK, OK, REFUSED, REFUSED),
        "act_send_by_sms": (REFUSED, OK, REFUSED, REFUSED, REFUSED),
        "act_bulk_send_by_sms": (REFUSED, OK, REFUSED, REFUSED, REFUSED),
        "act_bulk_send_as_someone_else": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
        "act_forge_a_delivered_message": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
    }

    def test_rights_table(self):
        """Every user x action gives the expected outcome, and a refusal is an AccessError."""
        users = (
            self.user_accountant,
            self.user_sms_sender,
            self.user_manager,
            self.user_portal,
            self.user_public,
        )
        for action, outcomes in self.TABLE.items():
            for user, expected in zip(users, outcomes, strict=True):
                with self.subTest(action=action, user=user.sudo().login, expected=expected):
                    env = self.env(user=user, su=False)
                    with self.cr.savepoint(flush=False) as savepoint:
                        try:
                            getattr(self, action)(env)
                            outcome = OK
                        except AccessError:
                            outcome = REFUSED
                        finally:
                            self.env.flush_all()
                        savepoint.rollback()
                    self.env.invalidate_all()
                    self.assertEqual(outcome, expected)

    def test_the_ui_hides_what_a_user_may_not_do(self):
        """Manager buttons and the SMS channel appear only for those who may use them."""

        def arch(model, user, view="form"):
            return self.env[model].with_user(user).get_views([(False, view)])["views"][view]["arch"]

        manager_buttons = ("action_revoke", "action_regenerate", "action_mark_reviewed", "Change Expiry")
        for button in manager_buttons:
            with self.subTest(button=button):
                self.assertNotIn(button, arch("account.payment.link", self.user_accountant))
                self.assertIn(button, arch("account.payment.link", self.user_manager))
        for model in ("account.payment.link.send", "account.payment.link.send.bulk"):
            with self.subTest(model=model):
                self.assertNotIn('name="channel_sms"', arch(model, self.user_manager))
                self.assertIn('name="channel_sms"', arch(model, self.user_sms_sender))
        # Invoicing users read links and do not edit them: the form says so.
        self.assertRegex(arch("account.payment.link", self.user_accountant), r'<form[^>]* edit="False"')
        self.assertNotRegex(arch("account.payment.link", self.user_manager), r'<form[^>]* edit="False"')
