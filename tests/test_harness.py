"""The harness proves itself: the doubles answer the real SDKs and browser tests really run."""

from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import PaylinkTestCommon
from odoo.addons.account_payment_link.tools import twilio_api


@tagged("post_install", "-at_install")
class TestHarness(PaylinkTestCommon, HttpCase):
    def test_demo_provider_serves_the_company(self):
        """Odoo's Demo provider is installed and ready for the test company's links (the tours pay
        with it), and it is the only provider links offer there."""
        self.assertEqual(self.provider.code, "demo")
        self.assertEqual(self.provider.company_id, self.company)
        self.assertEqual(self.company._paylink_get_payment_providers(), self.provider)
        self.assertTrue(self.provider.payment_method_ids)

    def test_twilio_sdk_talks_to_the_double(self):
        """The real SDK sends through the double, which records the message and its sender."""
        client = twilio_api.get_client(self.company)
        message = client.messages.create(
            to="+14155550134", from_="+15005550006", body="Hello from the harness"
        )
        self.assertTrue(message.sid.startswith("SM"))
        self.assertEqual(message.status, "queued")
        self.assertEqual(len(self.twilio.messages), 1)
        self.assertEqual(self.twilio.messages[0]["to"], "+14155550134")
        self.assertEqual(self.twilio.messages[0]["body"], "Hello from the harness")
        self.assertEqual(client.messages(message.sid).fetch().body, "Hello from the harness")

    def test_twilio_double_refuses_wrong_credentials_and_scripted_errors(self):
        self.company.paylink_twilio_auth_token = "not-the-token"
        with self.assertRaises(TwilioRestException) as caught:
            twilio_api.get_client(self.company).messages.create(
                to="+14155550134", from_="+15005550006", body="x"
            )
        self.assertEqual(caught.exception.status, 401)

        self.company.paylink_twilio_auth_token = self.twilio_token
        self.twilio.set_number_error("+14155550100", 400, 21614, "'To' number is not a valid mobile number")
        with self.assertRaises(TwilioRestException) as caught:
            twilio_api.get_client(self.company).messages.create(
                to="+14155550100", from_="+15005550006", body="x"
            )
        self.assertEqual(caught.exception.code, 21614)
        self.assertFalse(self.twilio.messages)

    def test_twilio_double_signs_callbacks_like_twilio(self):
        """Status callbacks carry an X-Twilio-Signature the SDK's validator accepts."""
        url = "https://erp.example.com/paylink/twilio/status"
        params = {"MessageSid": "SM00", "MessageStatus": "delivered"}
        signature = self.twilio.sign(url, params, self.twilio_token)
        self.assertTrue(RequestValidator(self.twilio_token).validate(url, params, signature))
        self.assertFalse(RequestValidator("another-token").validate(url, params, signature))

    def test_portal_smoke_tour(self):
        """A portal user sees their invoice on the portal, in a real headless Chromium."""
        portal_user = self.make_portal_user(self.customer, "paylink_portal")
        self.assertEqual(self.invoice.partner_id, portal_user.partner_id)
        self.start_tour("/my", "account_payment_link_portal_smoke", login=portal_user.login)

    def test_demo_data_shows_every_state_and_due_reminders(self):
        """The demo (in XML) has links in every state, two sent emails, and reminders due today:
        by SMS to the customer who agreed to texts, by email to the other."""
        # The demo belongs to the main company, which the suite's user is not in: read it as the
        # system, which also runs the reminders cron.
        env = self.env(su=True)
        ref = env.ref
        # make test installs the demo: a demo that failed to load (Odoo only warns) is a failure.
        self.assertTrue(
            ref("account_payment_link.link_demo_chen_1", raise_if_not_found=False),
            "the demo data failed to install: see the WARNING 'demo data failed to install' in Odoo's log",
        )
        self.assertEqual(ref("account_payment_link.link_demo_chen_1").state, "revoked")
        self.assertEqual(ref("account_payment_link.link_demo_chen_2").state, "expired")
        self.assertEqual(ref("account_payment_link.link_demo_bakery_balance").link_type, "balance")
        self.assertTrue(ref("account_payment_link.link_demo_maria").last_sent_date)
        if ref("account_payment_link.invoice_demo_chen_3").invoice_date_due != fields.Date.today():
            self.skipTest("the demo was installed on another day: its reminders are not due today")
        env["account.move"]._cron_paylink_send_reminders()
        Log = env["account.payment.link.message"]
        sms = Log.search([("reminder_move_id", "=", ref("account_payment_link.invoice_demo_chen_3").id)])
        email = Log.search([("reminder_move_id", "=", ref("account_payment_link.invoice_demo_bakery_2").id)])
        self.assertEqual((sms.channel, sms.reminder_day, sms.recipient), ("sms", 0, "+14155550103"))
        self.assertEqual((email.channel, email.reminder_day), ("email", 7))
