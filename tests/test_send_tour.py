"""Sending a link by SMS and email from an invoice, in a real browser."""

from odoo.tests import HttpCase, tagged

from .common import PaylinkTestCommon


@tagged("post_install", "-at_install")
class TestSendTour(PaylinkTestCommon, HttpCase):
    def test_send_by_sms_and_email_from_an_invoice(self):
        self.twilio.reset()
        self.env.ref("base.user_admin").write(
            {"company_id": self.company.id, "company_ids": [(4, self.company.id)]}
        )
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{self.invoice.id}",
            "account_payment_link_send",
            login="admin",
        )
        link = self.invoice.paylink_id
        self.assertTrue(link)
        sms_log, email_log = (
            link.message_log_ids.filtered(lambda log, c=c: log.channel == c) for c in ("sms", "email")
        )
        self.assertEqual((sms_log.recipient, sms_log.state), ("+14155550134", "outgoing"))
        self.assertEqual(email_log.recipient, self.customer.email)
        self.assertIn("See you soon", email_log.mail_message_id.body)
        self.assertIn(link.url, email_log.mail_message_id.body)
        # The queue hands the SMS to Twilio once: the customer gets the link.
        [message] = self.process_sms_queue()
        self.assertEqual(message["to"], "+14155550134")
        self.assertIn(link.url, message["body"])
        self.assertIn("See you soon", message["body"])
        self.assertEqual(link.message_log_ids.filtered(lambda log: log.channel == "sms").state, "queued")
