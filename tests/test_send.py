"""Sending links by SMS and email, the Twilio gateway and bulk sending (RELIABILITY 20-24, 27)."""

from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .. import const
from ..models.account_payment_link_sender import AccountPaymentLinkSender
from ..tools import twilio_api
from ..tools.sms_text import count_segments
from .common import PaylinkTestCommon
from odoo.addons.base.models.ir_mail_server import MailDeliveryException
from odoo.addons.sms.tools.sms_api import SmsApi

LANDLINE_UK = "+44 20 7946 0018"
MOBILE_FR = "+33 6 12 34 56 78"


@tagged("post_install", "-at_install")
class TestSendWizard(PaylinkTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link = cls.make_link(link_type="invoice", move_id=cls.invoice.id)

    def setUp(self):
        super().setUp()
        self.twilio.reset()

    def sms_of(self, link):
        return (
            self.env["sms.sms"].sudo().search([("mail_message_id.res_id", "=", link.move_id.id or link.id)])
        )

    def logs_of(self, link, channel):
        return link.message_log_ids.filtered(lambda log: log.channel == channel)

    def test_both_channels_in_one_action(self):
        wizard = self.open_send_wizard(self.link, note="Thanks for your order!")
        self.assertTrue(wizard.channel_sms and wizard.channel_email, "both channels are offered by default")
        self.assertEqual(wizard.sms_number, "+14155550134", "the customer's mobile, in E.164")
        self.assertEqual(wizard.email_to, self.customer.email)
        action = wizard.action_send()
        self.assertEqual(action["params"]["type"], "success")
        self.assertFalse(self.twilio.requests, "nothing leaves before the transaction commits")

        # The SMS waits in Odoo's queue (sent after commit), posted in the invoice's chatter.
        sms = self.sms_of(self.link)
        self.assertEqual(len(sms), 1)
        self.assertEqual(
            (sms.state, sms.number, sms.paylink_company_id), ("outgoing", "+14155550134", self.company)
        )
        expected = (self.company.name, self.invoice.name, "$ 115.00", self.link.url, "Thanks for your order!")
        for part in (*expected, "Reply STOP to opt out."):
            self.assertIn(part, sms.body)
        # The email: one message to the customer from the template, in the invoice's chatter.
        email_log = self.logs_of(self.link, "email")
        self.assertEqual(email_log.recipient, self.customer.email)
        self.assertEqual(email_log.mail_message_id.model, "account.move")
        self.assertEqual(email_log.mail_message_id.res_id, self.invoice.id)
        self.assertIn(self.link.url, email_log.mail_message_id.body)
        self.assertIn(self.customer, email_log.mail_message_id.partner_ids)
        self.assertTrue(self.link.last_sent_date)
        self.assertEqual(self.link.sms_state, "outgoing")

        accepted = self.process_sms_queue()
        self.assertEqual(len(accepted), 1)
        self.assertEqual(accepted[0]["to"], "+14155550134")
        self.assertEqual(accepted[0]["from"], "+15005550006")
        self.assertEqual(accepted[0]["body"], sms.body)
        self.assertTrue(accepted[0]["_status_callback"].endswith(f"/paylink/twilio/status/{sms.uuid}"))
        sms_log = self.logs_of(self.link, "sms")
        self.assertEqual((sms_log.state, sms_log.twilio_sid), ("queued", accepted[0]["sid"]))
        self.assertEqual(self.link.sms_state, "queued")
        self.assertEqual(self.invoice.paylink_sms_state, "queued")
        self.assertEqual(sms.state, "pending", "Odoo's SMS is 'sent to the provider'")
        # A second run of the queue sends nothing again.
        self.assertFalse(self.process_sms_queue())

    def test_retried_transaction_sends_one_sms(self):
        """RELIABILITY 11: a transaction that fails after queueing (as on a serialization failure)
        leaves nothing behind; its retry queues the one SMS that the queue then sends."""
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.link._paylink_send(sms_number="+14155550134")
            raise RuntimeError("could not serialize access due to concurrent update")
        self.assertFalse(self.sms_of(self.link))
        self.link._paylink_send(sms_number="+14155550134")
        self.assertEqual(len(self.process_sms_queue()), 1)
        self.assertFalse(self.process_sms_queue())
        self.assertEqual(len(self.twilio.requests), 1)

    def test_email_log_follows_the_mail_queue(self):
        """Issue 18.2: the log reads Odoo's notification of the email: a delivered email counts as
        sent; a failed one is failed and may be sent again; Odoo's retry of it makes it sent."""
        Message = self.env["account.payment.link.message"]
        log = self.link._paylink_send(email_partner=self.customer, queue_email=True)
        self.env["mail.mail"].sudo().search([("mail_message_id", "=", log.mail_message_id.id)]).send()
        self.assertEqual(log.state, "sent")
        self.assertEqual(Message._paylink_was_sent_recently(self.link, "email", 24), self.link)

        other = self.make_link()
        log = other._paylink_send(email_partner=self.customer, queue_email=True)
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", log.mail_message_id.id)])
        IrMailServer = type(self.env["ir.mail_server"])
        with (
            patch.object(IrMailServer, "send_email", side_effect=MailDeliveryException("SMTP down")),
            mute_logger("odoo.addons.mail.models.mail_mail"),
        ):
            mail.send(raise_exception=False)
        self.assertEqual(log.state, "failed")
        self.assertFalse(
            Message._paylink_was_sent_recently(other, "email", 24), "a failed email is not 'sent'"
        )
        self.assertEqual(other.email_failure_reason, "SMTP down")
        # Odoo's own retry of the failed email (its chatter's "Retry"): the log says what Odoo says,
        # no copy of its own kept "failed".
        mail.mark_outgoing()
        mail.send()
        self.assertEqual((log.state, log.failure_reason), ("sent", False))
        self.assertEqual(Message._paylink_was_sent_recently(other, "email", 24), other)

    def test_callback_overtaking_the_gateway_keeps_its_state(self):
        """If Twilio's "sent" callback lands before the gateway records "queued", nothing steps back
        and the SID is still recorded."""
        log = self.link._paylink_send(sms_number="+14155550134").sudo()
        log.sms_tracker_id._paylink_apply_twilio_status("sent")
        self.sms_of(self.link)._paylink_track_at_twilio("SM" + "a" * 32, log.sms_tracker_id)
        self.assertEqual((log.state, log.twilio_sid), ("sent", "SM" + "a" * 32))
        self.assertEqual(self.link.sms_state, "sent")

    def test_override_numbers_and_save_mobile(self):
        wizard = self.open_send_wizard(
            self.link, sms_number=MOBILE_FR, save_number=True, email_to="Billing@Other.example.com"
        )
        wizard.action_send()
        self.assertEqual(self.customer.mobile, "+33612345678", "saved to the customer, in E.164")
        self.assertEqual(self.sms_of(self.link).number, "+33612345678")
        email_log = self.logs_of(self.link, "email")
        self.assertEqual(email_log.recipient, "billing@other.example.com")

    def test_a_typed_email_is_for_this_sending_only(self):
        """Issue 18.4: the address typed in the wizard gets this email and nothing else: no contact
        is made (the customer's invoicing address stays), no portal button or sign-up token, the
        followers are not emailed; the chatter keeps a note and the log follows the mail queue."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        partners_before = Partner.search_count([])
        invoice_address = self.customer.address_get(["invoice"])["invoice"]
        wizard = self.open_send_wizard(self.link, channel_sms=False, email_to="Billing@Other.example.com")
        MailMail = type(self.env["mail.mail"])
        with patch.object(MailMail, "send_after_commit", lambda mails: None):  # kept in the queue to be read
            wizard.action_send()
        self.assertEqual(Partner.search_count([]), partners_before, "no contact made")
        self.assertEqual(self.customer.address_get(["invoice"])["invoice"], invoice_address)
        log = self.logs_of(self.link, "email")
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", log.mail_message_id.id)])
        self.assertEqual((mail.email_to, mail.recipient_ids), ("billing@other.example.com", Partner))
        self.assertIn(self.link.url, mail.body_html)
        self.assertNotIn("signup", mail.body_html)
        self.assertNotIn("access_token", mail.body_html)
        # Only this email: the customer (a follower of the invoice) is not emailed.
        others = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "account.move"), ("res_id", "=", self.invoice.id)])
        )
        self.assertEqual(others, mail)
        note = self.invoice.message_ids.filtered(
            lambda message: "for this sending only" in (message.body or "")
        )
        self.assertTrue(note.subtype_id == self.env.ref("mail.mt_note"))
        mail.send()
        self.assertEqual(log.state, "sent")

    def test_unsaved_override_leaves_customer_alone(self):
        self.open_send_wizard(self.link, sms_number=MOBILE_FR, channel_email=False).action_send()
        self.assertEqual(self.customer.mobile, "+1 415 555 0134")
        self.assertEqual(self.sms_of(self.link).number, "+33612345678")
        self.assertFalse(self.logs_of(self.link, "email"))

    def test_sms_preview_and_segments(self):
        wizard = self.open_send_wizard(self.link, note="<b>Hello</b> & thanks")
        self.assertEqual(
            wizard.sms_preview.splitlines(),
            [
                f"{self.company.name}:",
                "<b>Hello</b> & thanks",
                f"Invoice {self.invoice.name}: $ 115.00 due.",
                f"Pay securely: {self.link.url}",
                "Reply STOP to opt out.",
            ],
        )
        self.assertTrue(wizard.sms_preview.endswith("Reply STOP to opt out."))
        # Five lines of plain ASCII and a 43-character token: GSM-7, two segments (over 160).
        self.assertEqual(wizard.sms_stats, f"{len(wizard.sms_preview)} characters, 2 SMS (GSM-7)")
        self.assertGreater(len(wizard.sms_preview), 160)
        for text, expected in (
            ("a" * 160, (160, 1, "GSM-7")),
            ("a" * 161, (161, 2, "GSM-7")),
            ("€" * 80, (80, 1, "GSM-7")),  # extension characters count twice
            ("é" * 160, (160, 1, "GSM-7")),
            ("ç" * 70, (70, 1, "UCS-2")),  # ç is not in GSM-7 (only Ç is)
            ("ç" * 71, (71, 2, "UCS-2")),
            ("👍" * 35, (35, 1, "UCS-2")),  # surrogate pairs count twice: 70 units
            ("👍" * 36, (36, 2, "UCS-2")),
        ):
            with self.subTest(text=text[:3]):
                self.assertEqual(count_segments(text), expected)

    def test_html_in_names_is_escaped_in_sms_and_email(self):
        """RELIABILITY 21: the SMS is plain text shown escaped in the chatter; the email escapes."""
        evil = "<script>alert(1)</script> & Co"
        self.customer.name = evil
        self.invoice.ref = evil
        self.open_send_wizard(self.link, note="<img src=x onerror=alert(2)>").action_send()
        sms = self.sms_of(self.link)
        self.assertIn("<img src=x onerror=alert(2)>", sms.body, "plain text reaches the phone unchanged")
        sms_message = sms.mail_message_id
        self.assertNotIn("<img", sms_message.body)
        self.assertIn("&lt;img src=x onerror=alert(2)&gt;", sms_message.body)
        email_body = self.logs_of(self.link, "email").mail_message_id.body
        self.assertNotIn("<script>", email_body)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co", email_body)
        self.assertNotIn("<img", email_body)

    def test_user_without_sms_group_cannot_send_sms(self):
        """RELIABILITY 20: the channel is unavailable with a reason, and refused through RPC."""
        wizard = self.open_send_wizard(self.link, user=self.user_accountant)
        self.assertFalse(wizard.channel_sms, "not ticked by default")
        arch = wizard.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="channel_sms"', arch, "the SMS channel is not shown")
        # What a crafted RPC call would do: tick it anyway.
        wizard.write({"channel_sms": True, "sms_number": "+1 415 555 0134"})
        with self.assertRaises(AccessError):
            wizard.action_send()
        with self.assertRaises(AccessError):
            self.env["account.payment.link.batch"].with_user(self.user_accountant).create(
                {"name": "x", "move_ids": [fields.Command.set(self.invoice.ids)], "channel_sms": True}
            )
        with self.assertRaises(AccessError):
            self.link.with_user(self.user_accountant)._paylink_send(sms_number="+14155550134")
        self.assertFalse(self.sms_of(self.link))
        # Email alone stays allowed.
        wizard.write({"channel_sms": False})
        wizard.action_send()
        self.assertEqual(len(self.logs_of(self.link, "email")), 1)

    def test_twilio_credentials_refuse_to_save_half_filled(self):
        """Issue 18.11: Twilio as the gateway needs its three credentials, in Twilio's forms; a
        first setup from the settings saves (the settings write one field at a time)."""
        company = self.company.sudo()
        for label, (values, message) in {
            "not an SID": ({"paylink_twilio_account_sid": "SK123"}, "starts with AC"),
            "not a sender": ({"paylink_twilio_sender": "555-0100"}, "international form"),
        }.items():
            with self.subTest(label), self.assertRaisesRegex(ValidationError, message):
                with self.env.cr.savepoint():
                    company.write(values)
        # Odoo's test company has cash-basis taxes, which saving the settings would refuse to turn off.
        self.env["account.tax"].search([("company_id", "=", self.company.id)]).tax_exigibility = "on_invoice"
        Settings = self.env["res.config.settings"].with_company(self.company)
        for label, values in {"no token": {"paylink_twilio_auth_token": False},
                              "no sender": {"paylink_twilio_sender": False}}.items():  # fmt: skip
            with self.subTest(label), self.assertRaisesRegex(ValidationError, "fill in the Account SID"):
                with self.env.cr.savepoint():
                    Settings.create(values).execute()
        # A first setup: Odoo as the gateway, Twilio's fields empty; then Twilio, all at once.
        company.write(
            {"paylink_sms_gateway": "iap", "paylink_twilio_account_sid": False,
             "paylink_twilio_auth_token": False, "paylink_twilio_sender": False}
        )  # fmt: skip
        Settings.create(
            {"paylink_sms_gateway": "twilio", "paylink_twilio_account_sid": self.twilio_sid,
             "paylink_twilio_auth_token": self.twilio_token, "paylink_twilio_sender": "+15005550006"}
        ).execute()  # fmt: skip
        self.assertTrue(company._paylink_is_twilio_configured())
        self.assertEqual(company.paylink_sms_gateway, "twilio")

    def test_test_twilio_shows_what_twilio_says(self):
        """Issue 18.11: *Test Twilio* asks Twilio (the SDK, the loopback double here) for the
        account and the sender, and the settings show each line."""
        self.addCleanup(setattr, self.twilio, "numbers", None)
        self.addCleanup(setattr, self.twilio, "services", {})
        company = self.company.sudo()
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertIs(settings.action_paylink_test_twilio(), True)
        self.assertEqual(
            [(ok, label) for ok, label, _detail in company._paylink_check_twilio()],
            [(True, "Account"), (True, "Sender")],
        )
        shown = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertEqual(shown.paylink_twilio_check_result.count("fa-check"), 2)
        self.twilio.numbers = {self.twilio_sid: set()}
        lines = company._paylink_check_twilio()
        self.assertEqual(lines[1][:2], (False, "Sender"))
        self.assertIn("+15005550006 is not a number of this account", lines[1][2])
        self.twilio.services = {self.twilio_sid: {"MG" + "1" * 32}}
        company.paylink_twilio_sender = "MG" + "1" * 32
        self.assertEqual(company._paylink_check_twilio()[1][:2], (True, "Sender"))
        company.paylink_twilio_sender = "MG" + "2" * 32
        self.assertIn("knows no Messaging Service", company._paylink_check_twilio()[1][2])
        company.paylink_twilio_auth_token = "not-the-token"
        self.assertEqual(
            company._paylink_check_twilio(),
            [(False, "Account", "Twilio refused the Account SID and Auth Token.")],
        )

    def test_sms_unavailable_without_twilio(self):
        # As a neutralized copy of the database has it (the settings refuse to save it so).
        self.env.cr.execute(
            "UPDATE res_company SET paylink_twilio_auth_token = NULL WHERE id = %s", [self.company.id]
        )
        self.company.invalidate_recordset()
        wizard = self.open_send_wizard(self.link)
        self.assertIn("Twilio is not configured", wizard.sms_unavailable_reason)
        wizard.write({"channel_sms": True})
        with self.assertRaisesRegex(UserError, "Twilio is not configured"):
            wizard.action_send()

    def test_the_link_list_sorts_by_last_sent(self):
        """*Last Sent* comes from the sending log (not stored) and the list still sorts by it; a
        link whose only message failed counts as never sent."""
        earlier, later, failed = (self.make_link() for _i in range(3))
        for link in (earlier, later):
            link._paylink_send(email_partner=self.customer)
        failed._paylink_send(sms_number="+1 415 555 0134")
        # As Twilio's callback would.
        failed.message_log_ids.sudo().sms_tracker_id._paylink_apply_twilio_status("failed")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_payment_link_message SET create_date = create_date - interval '1 day'"
            " WHERE link_id = %s",
            [earlier.id],
        )
        self.env.invalidate_all()
        Link = self.env["account.payment.link"].with_user(self.user_accountant)
        self.assertTrue(Link.fields_get(["last_sent_date"])["last_sent_date"]["sortable"])
        links = earlier | later | failed
        self.assertEqual(
            Link.search([("id", "in", links.ids)], order="last_sent_date, id"), earlier | later | failed
        )
        self.assertEqual(
            Link.search([("id", "in", links.ids)], order="last_sent_date desc, id"), failed | later | earlier
        )
        self.assertEqual(
            (failed.last_sent_date, earlier.last_sent_date < later.last_sent_date), (False, True)
        )
        # Searched and grouped by it too: each group of the list opens on its own links.
        in_links = [("id", "in", links.ids)]
        self.assertEqual(Link.search([*in_links, ("last_sent_date", "=", False)]), failed)
        self.assertEqual(Link.search([*in_links, ("last_sent_date", ">", earlier.last_sent_date)]), later)
        groups = Link.read_group(in_links, ["id:count"], ["last_sent_date:day"])
        self.assertEqual(len(groups), 3)
        for group in groups:
            self.assertEqual(Link.search_count(group["__domain"]), 1, group["last_sent_date:day"])

    def test_landline_and_invalid_numbers_refused_before_sending(self):
        """RELIABILITY 22: a clear message, nothing queued, nothing sent."""
        for number, message in (
            (LANDLINE_UK, "is a landline"),
            ("+44 7700 900123", "is not a valid phone number"),
            ("12", "is not a valid phone number"),
            ("call me", "is not a valid phone number"),
        ):
            with self.subTest(number=number):
                wizard = self.open_send_wizard(self.link, sms_number=number)
                self.assertIn(message, wizard.sms_number_warning)
                with self.assertRaisesRegex(UserError, message):
                    wizard.action_send()
        self.assertFalse(self.sms_of(self.link))
        self.assertFalse(self.link.message_log_ids)
        # Bulk (not strict): logged as failed with the reason, never queued.
        logs = self.link._paylink_send(sms_number=LANDLINE_UK, strict=False)
        self.assertEqual((logs.state, logs.channel), ("failed", "sms"))
        self.assertIn("landline", logs.failure_reason)
        self.assertFalse(self.sms_of(self.link))
        self.assertEqual(self.link.sms_state, "failed")
        # The hub's "SMS not delivered" filter, as the accountant.
        Link = self.env["account.payment.link"].with_user(self.user_accountant)
        not_delivered = Link.search([("sms_state", "in", ("failed", "undelivered", "opted_out"))])
        self.assertIn(self.link, not_delivered)
        self.assertNotIn(self.link, Link.search([("sms_state", "=", False)]))
        self.assertNotIn(self.link, Link.search([("sms_state", "not in", ("failed",))]))

    def test_twilio_number_errors_fail_with_reason_and_are_not_retried(self):
        """RELIABILITY 22: 21211, 21614, 21635 and the like: failed with a reason, one request each."""
        for code, fragment in ((21211, "not a valid phone number"), (21614, "not a mobile number"),
                               (21635, "landline")):  # fmt: skip
            with self.subTest(code=code):
                self.twilio.reset()
                self.twilio.set_number_error("+14155550134", 400, code, "refused")
                link = self.make_link()
                link._paylink_send(sms_number="+14155550134")
                self.assertFalse(self.process_sms_queue())
                self.assertEqual(len(self.twilio.requests), 1, "a 4xx is not retried")
                log = self.logs_of(link, "sms")
                self.assertEqual((log.state, log.error_code), ("failed", str(code)))
                self.assertIn(fragment, log.failure_reason)
                sms = self.sms_of(link)
                self.assertEqual((sms.state, sms.failure_type), ("error", "sms_number_format"))
                notification = sms.mail_message_id.notification_ids
                self.assertEqual(notification.notification_status, "exception")
                self.assertIn(fragment, notification.failure_reason)
                self.assertIn(fragment, link.message_ids[0].body, "said in the chatter")

    def test_blacklisted_number_skipped_and_logged(self):
        """RELIABILITY 23: opted out: nothing sent, logged; the email still goes."""
        self.env["phone.blacklist"].sudo()._add(["+14155550134"])
        wizard = self.open_send_wizard(self.link)
        self.assertIn("opted out", wizard.sms_number_warning)
        action = wizard.action_send()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("opted out", action["params"]["message"])
        self.assertFalse(self.sms_of(self.link))
        log = self.logs_of(self.link, "sms")
        self.assertEqual(log.state, "opted_out")
        self.assertEqual(len(self.logs_of(self.link, "email")), 1)
        self.assertTrue(any("opted out" in body for body in self.invoice.message_ids.mapped("body")))
        self.assertFalse(self.process_sms_queue())

    def test_blacklisted_after_queueing_is_not_sent(self):
        """A STOP that arrives between queueing and the queue run still stops the SMS."""
        self.link._paylink_send(sms_number="+14155550134")
        self.env["phone.blacklist"].sudo()._add(["+14155550134"])
        self.assertFalse(self.process_sms_queue())
        self.assertFalse(self.twilio.requests)
        self.assertEqual(self.logs_of(self.link, "sms").state, "opted_out")
        self.assertEqual(self.sms_of(self.link).failure_type, "sms_blacklist")

    def test_twilio_21610_blacklists_the_number(self):
        self.twilio.set_number_error("+14155550134", 400, 21610, "Attempt to send to unsubscribed recipient")
        self.link._paylink_send(sms_number="+14155550134")
        self.process_sms_queue()
        self.assertEqual(self.logs_of(self.link, "sms").state, "opted_out")
        self.assertTrue(self.env["phone.blacklist"].sudo().search([("number", "=", "+14155550134")]))

    def test_429_retried_then_succeeds(self):
        """RELIABILITY 24: 429 twice, then accepted: three requests, one message."""
        self.twilio.fail_next(429, 20429, "Too Many Requests", times=2)
        self.link._paylink_send(sms_number="+14155550134")
        accepted = self.process_sms_queue()
        self.assertEqual(len(self.twilio.requests), 3)
        self.assertEqual(len(accepted), 1)
        self.assertEqual(self.logs_of(self.link, "sms").state, "queued")

    def test_5xx_keeps_sms_in_queue_then_fails_with_reason(self):
        """RELIABILITY 24: Twilio down: retried, kept in the queue for later runs, then failed."""
        self.link._paylink_send(sms_number="+14155550134")
        sms = self.sms_of(self.link)
        attempts_per_run = 1 + 3  # first try + the retry delays
        for run in range(1, const.TWILIO_MAX_QUEUE_ATTEMPTS):
            self.twilio.fail_next(503, None, "Service Unavailable", times=attempts_per_run)
            self.assertFalse(self.process_sms_queue())
            self.assertEqual((sms.state, sms.paylink_attempts), ("outgoing", run), "still queued")
        self.twilio.fail_next(503, None, "Service Unavailable", times=attempts_per_run)
        self.process_sms_queue()
        self.assertEqual(len(self.twilio.requests), attempts_per_run * const.TWILIO_MAX_QUEUE_ATTEMPTS)
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_server"))
        log = self.logs_of(self.link, "sms")
        self.assertEqual(log.state, "failed")
        self.assertIn("503", log.failure_reason)
        # Twilio back: resending from the chatter (Odoo's resend) goes through.
        sms.resend_failed()
        self.assertEqual(len(self.twilio.messages), 1)

    def test_a_5xx_hiding_an_accepted_sms_sends_it_once_outside_the_cron(self):
        """Issue 18.3: Twilio takes the SMS but answers 503, outside the cron (no commits): the SMS
        was marked as being sent, so the retry looks it up at Twilio instead of sending it again."""
        self.link._paylink_send(sms_number="+14155550134")
        sms = self.sms_of(self.link)
        self.twilio.accept_then_fail_next(503)
        self.process_sms_queue()
        self.assertEqual(len(self.twilio.messages), 1, "sent once")
        self.assertTrue(sms.paylink_sending_since, "marked as being sent")
        self.assertEqual(sms.state, "pending")
        self.assertEqual(self.logs_of(self.link, "sms").twilio_sid, self.twilio.messages[0]["sid"])

    def test_an_sms_refused_at_once_says_why_in_words(self):
        """Issue 18.10: an SMS Odoo refuses when queueing it is logged with Odoo's sentence for the
        reason, in the user's language, not its code."""
        message = self.invoice.message_post(body="Pay here", message_type="sms")
        # What Odoo's SMS composer makes of a number it cannot use.
        self.env["sms.sms"].sudo().create(
            {"number": "12", "body": "Pay here", "mail_message_id": message.id, "state": "error",
             "failure_type": "sms_number_format"}
        )  # fmt: skip
        log = self.invoice._paylink_log_sms(self.link, message)
        self.assertEqual((log.state, log.failure_reason), ("failed", "Wrong Number Format"))

    def test_a_code_error_in_the_gateway_fails_the_sms_at_once(self):
        """Issue 18.3: an error that is not Twilio's (a bug) fails the SMS at once, with its reason
        and a log line, instead of leaving it in the queue for three runs."""
        self.link._paylink_send(sms_number="+14155550134")
        sms = self.sms_of(self.link)

        def broken_send(api, *args, **kwargs):
            raise ValueError("a bug in the gateway")

        with (
            patch.object(twilio_api.TwilioApi, "send", broken_send),
            self.assertLogs("odoo.addons.account_payment_link.models.sms_sms", "ERROR") as logs,
        ):
            self.process_sms_queue()
        self.assertIn("the Twilio gateway failed", "\n".join(logs.output))
        self.assertEqual((sms.state, sms.failure_type, sms.paylink_attempts), ("error", "unknown", 0))
        log = self.logs_of(self.link, "sms")
        self.assertEqual(log.state, "failed")
        self.assertIn("could not be handed to Twilio (ValueError)", log.failure_reason)
        self.assertFalse(self.twilio.messages)

    def test_twilio_down_counts_the_run_against_each_sms_it_refused(self):
        """Twilio down while several SMS are in flight: each of them has the run counted, so each
        fails after the same number of runs, none is retried forever."""
        for number in ("+14155550134", "+14155550135", "+14155550136"):
            self.link._paylink_send(sms_number=number)
        sms = self.sms_of(self.link)
        self.assertEqual(len(sms), 3)
        # 8 at once (the default): all three are in flight when Twilio answers 503.
        self.twilio.fail_next(503, None, "Service Unavailable", times=3 * (1 + 3))
        self.assertFalse(self.process_sms_queue())
        self.assertEqual(len(self.twilio.requests), 3 * (1 + 3), "each tried, with its retries")
        self.assertEqual(sorted(sms.mapped("paylink_attempts")), [1, 1, 1])
        self.assertEqual(set(sms.mapped("state")), {"outgoing"})

    def test_twilio_down_counts_no_run_against_the_sms_never_handed_over(self):
        """One at a time, 4 SMS per window: Twilio down on the first, the run stops; the SMS of the
        next window never left and have nothing counted."""
        self.company.paylink_sms_concurrency = 1
        for i in range(6):
            self.link._paylink_send(sms_number=f"+1415555013{i}")
        sms = self.sms_of(self.link).sorted("id")
        self.assertEqual(len(sms), 6)
        self.twilio.fail_next(503, None, "Service Unavailable", times=100)
        self.assertFalse(self.process_sms_queue())
        attempts = sms.mapped("paylink_attempts")
        self.assertEqual(attempts[0], 1, "the first was tried")
        self.assertEqual(attempts[4:], [0, 0], "the next window's never left")
        # Those of the first window that had started when the run stopped were tried and counted.
        self.assertEqual(len(self.twilio.requests), (1 + 3) * sum(attempts))
        self.assertEqual(set(sms.mapped("state")), {"outgoing"})

    def test_every_twilio_call_has_a_timeout(self):
        client = twilio_api.get_client(self.company)
        self.assertEqual(client.http_client.timeout, const.TWILIO_TIMEOUT)
        self.assertEqual(client.http_client.api_base, self.twilio.url)

    def test_other_companies_sms_use_odoo_gateway(self):
        """Only SMS of a company with Twilio go through Twilio; Odoo's own SMS keep IAP."""
        other = self.env["res.company"].create({"name": "No Twilio"})
        sms = (
            self.env["sms.sms"]
            .sudo()
            .create({"number": "+14155550134", "body": "hi", "paylink_company_id": other.id})
        )
        iap_batches = []

        def fake_iap(api_self, messages, delivery_reports_url=False):
            iap_batches.append(messages)
            return [{"uuid": sms.uuid, "state": "success"}]

        with patch.object(SmsApi, "_send_sms_batch", fake_iap):
            self.process_sms_queue()
        self.assertEqual(len(iap_batches), 1)
        self.assertFalse(self.twilio.requests)

    def test_gateway_is_the_companys_choice(self):
        """A company with Twilio credentials that chose Odoo's IAP keeps IAP for every SMS."""
        self.company.paylink_sms_gateway = "iap"
        self.link._paylink_send(sms_number="+14155550134")
        sms = self.sms_of(self.link)
        iap_batches = []

        def fake_iap(api_self, messages, delivery_reports_url=False):
            iap_batches.append([message["content"] for message in messages])
            return [{"uuid": sms.uuid, "state": "success"}]

        with patch.object(SmsApi, "_send_sms_batch", fake_iap):
            self.process_sms_queue()
        self.assertEqual(len(iap_batches), 1)
        self.assertIn(self.link.url, iap_batches[0][0])
        self.assertFalse(self.twilio.messages, "nothing went through Twilio")
        # Issue 18.2: the link's log reads Odoo's records whatever the gateway: IAP took the SMS
        # (Odoo's notification pending), then IAP's delivery report as Odoo's SMS controller applies it.
        log = self.logs_of(self.link, "sms")
        self.assertEqual(log.state, "queued")
        log.sudo().sms_tracker_id._action_update_from_sms_state("sent")
        self.assertEqual((log.state, self.link.sms_state), ("delivered", "delivered"))
        # Twilio again: the company's next SMS go through this app's gateway.
        self.company.paylink_sms_gateway = "twilio"
        self.link._paylink_send(sms_number="+14155550134")
        self.process_sms_queue()
        self.assertEqual(len(self.twilio.messages), 1)

    def test_odoo_twilio_module_takes_over(self):
        """With Odoo's own Twilio module installed, this app's gateway does not intercept."""
        Company = type(self.env["res.company"])
        with patch.object(Company, "_paylink_odoo_twilio_installed", lambda self: True):
            self.assertFalse(self.company._paylink_sends_through_twilio())
            self.assertFalse(self.company._paylink_get_sms_gateway_problem())
            self.link._paylink_send(sms_number="+14155550134")
            sms = self.sms_of(self.link)
            with patch.object(
                SmsApi, "_send_sms_batch", lambda *a, **k: [{"uuid": sms.uuid, "state": "success"}]
            ):
                self.process_sms_queue()
        self.assertFalse(self.twilio.messages)

    def test_auto_send_on_post(self):
        # Sending needs a link: auto-send creates it even without "a link on every invoice".
        self.company.write({"paylink_auto_create": False, "paylink_auto_send": True,
                            "paylink_auto_send_sms": True, "paylink_auto_send_email": True})  # fmt: skip
        invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[40.0], post=True)
        link = invoice.paylink_id
        self.assertTrue(link)
        self.assertEqual(sorted(link.message_log_ids.mapped("channel")), ["email", "sms"])
        self.assertEqual(len(self.process_sms_queue()), 1)
        # Off by default; a company that did not ask sends nothing.
        self.assertFalse(self.env["res.company"].create({"name": "New Co"}).paylink_auto_send)
        self.company.paylink_auto_send = False
        other = self.init_invoice("out_invoice", partner=self.customer, amounts=[40.0], post=True)
        self.assertFalse(other.paylink_id.message_log_ids)

    def test_auto_send_never_blocks_posting(self):
        """Issue 18.6: a template that cannot render (an administrator's edit) fails auto-send on its
        own; the invoice is posted by the invoicing user, its chatter says why, the next one too."""
        self.company.write({"paylink_auto_send": True, "paylink_auto_send_email": True})
        template = self.env.ref("account_payment_link.mail_template_paylink_send")
        template.body_html = '<p t-out="object.paylink_no_such_field.name"/>'
        invoices = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[40.0]
        ) | self.init_invoice("out_invoice", partner=self.customer, amounts=[60.0])
        with mute_logger(
            "odoo.addons.account_payment_link.models.account_move",
            "odoo.addons.mail.models.mail_render_mixin",
        ):
            invoices.with_user(self.user_accountant).action_post()
        self.assertEqual(invoices.mapped("state"), ["posted", "posted"])
        for invoice in invoices:
            self.assertFalse(invoice.paylink_id.message_log_ids, "nothing half-sent is logged")
            notes = invoice.message_ids.filtered(
                lambda m: "could not be made or sent automatically" in (m.body or "")
            )
            self.assertEqual(len(notes), 1, invoice.name)

    def test_the_link_of_a_blocked_invoice_is_not_sent(self):
        """A blocked invoice keeps its active link, which is sent by no path: the wizard, the
        invoice's button, nor auto-send when the invoice is confirmed again."""
        wizard = self.open_send_wizard(self.link)
        self.invoice.action_toggle_block_payment()
        with self.assertRaisesRegex(UserError, "is blocked: unblock it"):
            wizard.action_send()
        with self.assertRaisesRegex(UserError, "is blocked: unblock it"):
            self.invoice.with_user(self.user_sms_sender).action_paylink_send()
        self.company.write({"paylink_auto_send": True, "paylink_auto_send_sms": True,
                            "paylink_auto_send_email": True})  # fmt: skip
        self.invoice.button_draft()
        self.invoice.action_post()
        self.assertEqual((self.invoice.payment_state, self.invoice.paylink_id), ("blocked", self.link))
        self.assertFalse(self.link.message_log_ids)
        self.assertFalse(self.sms_of(self.link))


@tagged("post_install", "-at_install")
class TestBulkSend(PaylinkTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoices = cls.env["account.move"]
        for index in range(50):
            cls.invoices |= cls.init_invoice("out_invoice", partner=cls.customer, amounts=[10.0 + index])
        cls.invoices.action_post()

    def bulk(self, moves, user=None, **values):
        user = user or self.user_sms_sender
        Wizard = self.env["account.payment.link.send.bulk"].with_user(user)
        wizard = Wizard.with_context(active_model="account.move", active_ids=moves.ids).create(
            {"channel_sms": True, "channel_email": True, **values}
        )
        wizard.action_send()
        return self.env["account.payment.link.batch"].search([], limit=1)

    def email_batch(self, moves):
        """Return a bulk sending by email of ``moves``, not yet processed."""
        Batch = self.env["account.payment.link.batch"].with_user(self.user_sms_sender)
        return Batch.create(
            {
                "name": "bulk",
                "move_ids": [fields.Command.set(moves.ids)],
                "total": len(moves),
                "channel_email": True,
            }
        )

    def count(self, moves, channel):
        return self.env["account.payment.link.message"].search_count(
            [("link_id.move_id", "in", moves.ids), ("channel", "=", channel)]
        )

    def test_bulk_sends_each_once_and_rerun_sends_none(self):
        """RELIABILITY 27: a link per invoice, one SMS and one email each; again: nothing."""
        self.twilio.reset()
        batch = self.bulk(self.invoices)
        self.assertEqual((batch.state, batch.total, batch.done_count), ("done", 50, 50))
        self.assertEqual((batch.sent_count, batch.skipped_count, batch.failed_count), (50, 0, 0))
        self.assertEqual(len(self.invoices.paylink_id), 50)
        self.assertEqual(self.count(self.invoices, "sms"), 50)
        self.assertEqual(self.count(self.invoices, "email"), 50)
        self.assertEqual(len(self.process_sms_queue()), 50)
        self.assertEqual(len({m["body"] for m in self.twilio.messages}), 50, "each invoice its own link")

        again = self.bulk(self.invoices)
        self.assertNotEqual(again, batch)
        self.assertEqual((again.sent_count, again.skipped_count), (0, 50))
        self.assertEqual(self.count(self.invoices, "sms"), 50)
        self.assertEqual(self.count(self.invoices, "email"), 50)
        self.assertFalse(self.process_sms_queue())
        self.assertEqual(len(self.invoices.paylink_id), 50, "active links are reused")

        forced = self.bulk(self.invoices[:5], force=True)
        self.assertEqual(forced.sent_count, 5)
        self.assertEqual(self.count(self.invoices, "sms"), 55)

    def test_bulk_commits_per_batch_and_reports_progress(self):
        batch = self.email_batch(self.invoices)
        commits = []
        batch._process(batch_size=20, commit=lambda: commits.append((batch.done_count, batch.progress)))
        self.assertEqual(commits, [(20, 40.0), (40, 80.0), (50, 100.0)])
        self.assertEqual(batch.state, "done")
        self.assertEqual(self.count(self.invoices, "email"), 50)
        self.assertIn("50 invoice(s) queued for sending", batch.message_ids[0].body)

    def test_big_sending_goes_on_over_several_cron_runs(self):
        """Issue 18.9: a call of the cron stops starting chunks past its time budget, each chunk
        committed, and reports to Odoo's cron runner what it did and what remains
        (``ir.cron._notify_progress``): the runner calls it again while invoices remain. Nothing
        twice, no self-trigger."""
        batch = self.email_batch(self.invoices[:5])
        cron = self.env.ref("account_payment_link.ir_cron_paylink_send_batches")
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        for run in (1, 2, 3):
            # As Odoo's runner calls the job: a progress record of its own in the context.
            progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})
            Batch = self.env["account.payment.link.batch"].with_context(ir_cron_progress_id=progress.id)
            Batch._cron_process(batch_size=2, budget=0)
            with self.subTest(run=run):
                self.assertEqual(batch.done_count, min(2 * run, 5))
                self.assertEqual(self.count(self.invoices[:5], "email"), min(2 * run, 5))
                self.assertEqual((progress.done, progress.remaining), ((2, 3), (2, 1), (1, 0))[run - 1])
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), triggers, "no self-trigger")
        self.assertEqual(batch.state, "done")

    def test_the_mail_queue_sends_what_fits_in_the_cron_workers_time(self):
        """Issue 18, bench: run by Odoo's cron runner, the mail queue sends what the time of a call
        allows at the rate it sent at (at least one email), not 1,000 per call whatever the time:
        a worker killed between the mail server and the commit sends an email twice."""
        mails = self.env["mail.mail"].sudo().create(
            [
                {"subject": "Queue bound", "email_to": f"c{index}@example.com", "body_html": "<p>x</p>",
                 "auto_delete": False}
                for index in range(7)
            ]
        )  # fmt: skip
        cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        Mail = self.env["mail.mail"].with_context(filters=[("subject", "=", "Queue bound")])
        rates_path = "odoo.addons.account_payment_link.models.mail_mail._queue_rates"
        budget_path = "odoo.addons.account_payment_link.models.mail_mail.cron_call_budget"
        calls = []
        learnt = []
        db = self.env.cr.dbname
        # (the call's time, the rate known): a spent poll (half a second at 4 emails/s), a call
        # of 2 s at 1 email/s, a first call (20 emails/s until measured) with time for all.
        for budget, rates in ((-1, {db: 4.0}), (2, {db: 1.0}), (3, {})):
            progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})
            with patch(budget_path, lambda b=budget: b), patch.dict(rates_path, rates, clear=True) as known:
                Mail.with_context(ir_cron_progress_id=progress.id).process_email_queue()
                learnt.append(known.get(db, 0) > 0)
            calls.append((progress.done, progress.remaining))
        self.assertEqual(learnt, [True, True, True], "the rate is learnt from each call")
        self.assertEqual(calls, [(2, 5), (2, 3), (3, 0)])
        self.assertEqual(set(mails.mapped("state")), {"sent"})
        # Outside the runner (a user's Send now), the queue is Odoo's, whole.
        more = mails[:3].copy({"state": "outgoing"}) | mails[:3].copy({"state": "outgoing"})
        with patch(budget_path, lambda: -1):
            Mail.process_email_queue()
        self.assertEqual(set(more.mapped("state")), {"sent"})

    def test_bulk_interrupted_resumes_without_sending_twice(self):
        """A crash after a committed batch: the next run starts after it (not at the start with
        the resend window hiding the repeats: the window is off here)."""
        self.company.paylink_resend_window_hours = 0
        batch = self.email_batch(self.invoices)

        def crash_after_first_batch():
            if batch.done_count == 20:
                raise KeyboardInterrupt  # the worker dies right after committing batch 1

        # Not assertRaises: Odoo's rolls back to a savepoint, as the crash would not.
        interrupted = False
        try:
            batch._process(batch_size=20, commit=crash_after_first_batch)
        except KeyboardInterrupt:
            interrupted = True
        self.assertTrue(interrupted, "the run should have been interrupted")
        self.assertEqual((batch.state, batch.done_count), ("running", 20))
        self.assertEqual(self.count(self.invoices, "email"), 20)
        self.env["account.payment.link.batch"]._cron_process()
        self.assertEqual((batch.state, batch.done_count), ("done", 50))
        self.assertEqual(self.count(self.invoices, "email"), 50)
        self.assertEqual((batch.sent_count, batch.skipped_count, batch.failed_count), (50, 0, 0))

    def test_bulk_reports_what_was_not_sent(self):
        no_contact = self.env["res.partner"].create({"name": "No Contact"})
        bare = self.init_invoice("out_invoice", partner=no_contact, amounts=[5.0], post=True)
        paid = self.init_invoice("out_invoice", partner=self.customer, amounts=[5.0], post=True)
        self.pay(paid, paid.amount_total)
        blocked = self.init_invoice("out_invoice", partner=self.customer, amounts=[5.0], post=True)
        blocked.action_toggle_block_payment()
        batch = self.bulk(bare | paid | blocked | self.invoices[:1])
        self.assertEqual((batch.sent_count, batch.skipped_count, batch.failed_count), (1, 2, 1))
        self.assertIn(f"{paid.name}: nothing to pay.", batch.report)
        self.assertIn(f"{blocked.name}: its payment is blocked.", batch.report)
        self.assertIn("no mobile number", batch.report)
        self.assertIn("no email", batch.report)

    def test_bulk_one_failing_invoice_fails_alone(self):
        """A chunk is sent in one savepoint; when one invoice fails, the chunk is sent again, each
        invoice on its own: the others go once, the failing one is reported, none is half sent."""
        self.twilio.reset()
        moves = self.invoices[:6]
        failing = moves[3]
        post_email = AccountPaymentLinkSender._paylink_post_email

        def post_or_fail(document, link, *args, **kwargs):
            if document == failing:
                raise UserError(self.env._("The mail server refused it."))
            return post_email(document, link, *args, **kwargs)

        with patch.object(AccountPaymentLinkSender, "_paylink_post_email", post_or_fail):
            batch = self.bulk(moves)
        self.assertEqual((batch.sent_count, batch.skipped_count, batch.failed_count), (5, 0, 1))
        self.assertIn(f"{failing.name} was not sent: The mail server refused it.", batch.report)
        for move in moves - failing:
            self.assertEqual((self.count(move, "sms"), self.count(move, "email")), (1, 1), move.name)
        self.assertEqual((self.count(failing, "sms"), self.count(failing, "email")), (0, 0))
        self.assertEqual(len(self.process_sms_queue()), 5)
        self.assertEqual(len({m["body"] for m in self.twilio.messages}), 5, "each sent invoice once")

    def test_bulk_a_broken_invoice_and_a_broken_sending_stop_no_other(self):
        """Issue 18.5: errors outside the send savepoints (making a link, rendering the emails) fail
        one invoice, or one sending, alone; the cron goes on and ends every sending."""
        moves = self.invoices[:8]
        sending_a, sending_b, sending_c = (
            self.email_batch(moves[:4]),
            self.email_batch(moves[4:6]),
            self.email_batch(moves[6:]),
        )
        broken_invoice = moves[1]
        Move = type(self.env["account.move"])
        get_or_create, render = Move._paylink_get_or_create, AccountPaymentLinkSender._paylink_render_emails

        def get_or_create_or_break(moves_self):
            if broken_invoice in moves_self:
                raise RuntimeError("a bug on one invoice")
            return get_or_create(moves_self)

        def render_or_break(sender, links, *args, **kwargs):
            if links.move_id & moves[4:6]:
                raise ValueError("the template no longer renders")
            return render(sender, links, *args, **kwargs)

        with (
            patch.object(Move, "_paylink_get_or_create", get_or_create_or_break),
            patch.object(AccountPaymentLinkSender, "_paylink_render_emails", render_or_break),
            mute_logger("odoo.addons.account_payment_link.models.account_payment_link_batch"),
        ):
            self.env["account.payment.link.batch"]._cron_process()
        self.assertEqual((sending_a | sending_b | sending_c).mapped("state"), ["done"] * 3)
        self.assertEqual((sending_a.sent_count, sending_a.failed_count), (3, 1))
        self.assertIn(
            f"{broken_invoice.name} was not sent: an unexpected error (RuntimeError)", sending_a.report
        )
        self.assertEqual((sending_b.sent_count, sending_b.failed_count), (0, 2))
        self.assertEqual((sending_c.sent_count, sending_c.failed_count), (2, 0))
        self.assertEqual(self.count(moves - broken_invoice - moves[4:6], "email"), 5)
        self.assertEqual(self.count(broken_invoice | moves[4:6], "email"), 0)

    def test_bulk_counts_what_the_emails_became(self):
        """Issue 18.5: a bulk sending counts its emails by outcome: sent by the mail server, failed
        (refused, with Odoo's words for its failure type), bounced after sending; each invoice's
        line has its email status beside the SMS one."""
        moves = self.invoices[:3]
        sending = self.email_batch(moves)
        sending._process()
        self.assertEqual(
            (sending.sent_count, sending.email_queued_count, sending.email_sent_count), (3, 3, 0)
        )
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    (
                        "mail_message_id",
                        "in",
                        self.env["account.payment.link.message"]
                        .search([("batch_id", "=", sending.id)])
                        .mail_message_id.ids,
                    )
                ]
            )
        )
        self.assertEqual(len(mails), 3)
        bounced_message = mails[2].mail_message_id
        mails[0].send()
        mails[1]._postprocess_sent_message(success_pids=self.env["res.partner"], failure_type="mail_smtp")
        mails[2].send()
        # The last one bounces afterwards: Odoo's bounce routing writes its notification.
        self.env["mail.notification"].sudo().search([("mail_message_id", "=", bounced_message.id)]).write(
            {
                "notification_status": "bounce",
                "failure_type": "mail_bounce",
                "failure_reason": "550 No such user",
            }
        )
        sending.invalidate_recordset()
        self.assertEqual(
            (sending.email_sent_count, sending.email_failed_count, sending.email_queued_count), (1, 2, 0)
        )
        logs = self.env["account.payment.link.message"].search([("batch_id", "=", sending.id)])
        reasons = sorted(logs.filtered(lambda log: log.state == "failed").mapped("failure_reason"))
        self.assertEqual(reasons, ["550 No such user", "Connection failed (outgoing mail server problem)"])
        moves.invalidate_recordset()
        self.assertEqual(sorted(moves.mapped("paylink_email_state")), ["failed", "failed", "sent"])

    def test_bulk_sender_follows_the_invoices_and_each_says_what_went_where(self):
        moves = self.invoices[:3]
        self.assertNotIn(self.user_sms_sender.partner_id, moves.message_partner_ids)
        self.bulk(moves)
        for move in moves:
            self.assertIn(self.user_sms_sender.partner_id, move.message_partner_ids)
            entry = move.message_ids.filtered(lambda m: m.message_type == "comment")
            self.assertEqual(len(entry), 1)
            self.assertEqual(sorted(entry.notification_ids.mapped("notification_type")), ["email", "sms"])
            self.assertEqual(entry.partner_ids, self.customer)

    def test_bulk_sms_needs_the_group(self):
        Wizard = self.env["account.payment.link.send.bulk"].with_user(self.user_accountant)
        wizard = Wizard.with_context(active_model="account.move", active_ids=self.invoices[:2].ids).create({})
        self.assertFalse(wizard.channel_sms)
        wizard.write({"channel_sms": True})
        with self.assertRaises(AccessError):
            wizard.action_send()
        batch = self.bulk(self.invoices[:2], user=self.user_accountant, channel_sms=False)
        self.assertEqual(batch.sent_count, 2)
        self.assertEqual(self.count(self.invoices[:2], "sms"), 0)
