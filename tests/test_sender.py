"""The sending mixin on its own: a document of another model sends a link by SMS and email."""

from odoo_test_helper import FakeModelLoader

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PaylinkTestCommon

NUMBER = "+14155550134"


@tagged("post_install", "-at_install")
class TestSender(PaylinkTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.loader = FakeModelLoader(cls.env, cls.__module__)
        cls.loader.backup_registry()
        # Imported here: the registry must know the fake model only while these tests run.
        from .fake_models import PaylinkFakeDocument  # noqa: PLC0415

        cls.loader.update_registry((PaylinkFakeDocument,))
        cls.addClassCleanup(cls.loader.restore_registry)
        cls.env["ir.model.access"].create(
            {
                "name": "fake document: payment link users",
                "model_id": cls.env["ir.model"]._get_id("paylink.fake.document"),
                "group_id": cls.env.ref("account_payment_link.group_paylink_user").id,
                "perm_read": True,
                "perm_write": True,
                "perm_create": True,
            }
        )
        cls.link = cls.make_link(custom_amount=42.0, description="Spring order")
        cls.document = (
            cls.env["paylink.fake.document"].sudo().create({"name": "Doc 1", "partner_id": cls.customer.id})
        )

    def _send(self, user, **kwargs):
        document = self.document.with_user(user)
        link = self.link.with_user(user)
        return document._paylink_send_link(link, **kwargs)

    def _sms_of(self, document):
        messages = document.message_ids.filtered(lambda message: message.message_type == "sms")
        return self.env["sms.sms"].sudo().search([("mail_message_id", "in", messages.ids)])

    def test_sms_and_email_posted_on_the_document_and_logged_on_the_link(self):
        logs = self._send(
            self.user_sms_sender,
            sms_number="(415) 555-0134",
            email_partner=self.customer,
            queue_email=True,
            one_entry=True,
        )
        self.assertEqual(sorted(logs.mapped("channel")), ["email", "sms"])
        self.assertEqual(logs.link_id, self.link)
        self.assertEqual(logs.filtered(lambda log: log.channel == "sms").recipient, NUMBER)
        # One chatter entry for both channels: the email to the customer, the SMS to the number.
        entry = self.document.message_ids.filtered(lambda message: message.message_type == "comment")
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry.partner_ids, self.customer)
        self.assertIn(self.link.url, entry.body)
        sms = self.env["sms.sms"].sudo().search([("mail_message_id", "=", entry.id)])
        self.assertEqual(sms.number, NUMBER)
        self.assertEqual(sms.state, "outgoing")
        self.assertIn(self.link.url, sms.body)
        self.assertNotIn("<", sms.body, "the SMS is plain text, not the email")
        self.assertEqual(sms.paylink_company_id, self.company)
        self.assertEqual(self.link.sms_state, "outgoing")
        self.assertTrue(self.link.last_sent_date)

    def test_by_default_the_sms_has_its_own_readable_chatter_entry(self):
        self._send(self.user_sms_sender, sms_number=NUMBER, email_partner=self.customer, queue_email=True)
        types = sorted(self.document.message_ids.mapped("message_type"))
        self.assertEqual(types, ["comment", "sms"])
        self.assertIn("Reply STOP to opt out.", self._sms_of(self.document).body)

    def test_the_document_says_who_receives_it(self):
        contact = self.customer.copy({"name": "Billing contact", "mobile": "+1 415 555 0188"})
        document = (
            self.env["paylink.fake.document"].sudo().create({"name": "Doc 2", "partner_id": contact.id})
        )
        self.assertEqual(document._paylink_get_recipient_partner(), contact)
        self.assertEqual(document._paylink_default_sms_number(), "+14155550188")

    def test_opted_out_number_is_logged_and_never_queued(self):
        self.env["phone.blacklist"].sudo()._add([NUMBER])
        logs = self._send(self.user_sms_sender, sms_number=NUMBER)
        self.assertEqual(logs.state, "opted_out")
        self.assertFalse(self._sms_of(self.document))
        self.assertIn("opted out", self.document.message_ids[:1].body)

    def test_a_number_that_cannot_take_sms(self):
        """Refused at once when the user typed it (strict), logged and skipped in bulk."""
        with self.assertRaises(UserError):
            self._send(self.user_sms_sender, sms_number="+44 20 7946 0958")
        self.assertFalse(self.link.message_log_ids)
        logs = self._send(self.user_sms_sender, sms_number="+44 20 7946 0958", strict=False)
        self.assertEqual(logs.state, "failed")
        self.assertIn("landline", logs.failure_reason)
        self.assertFalse(self._sms_of(self.document))

    def test_only_sms_senders_send_sms(self):
        with self.assertRaises(AccessError), self.cr.savepoint():
            self._send(self.user_accountant, sms_number=NUMBER)
        self.assertFalse(self.link.message_log_ids)
        logs = self._send(self.user_accountant, email_partner=self.customer, queue_email=True)
        self.assertEqual(logs.channel, "email")
