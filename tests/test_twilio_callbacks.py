"""Twilio's signed callbacks over real HTTP: delivery statuses and STOP/START (RELIABILITY 20, 23, 25)."""

import json
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tools import config, mute_logger

from .common import PaylinkTestCommon

NUMBER = "+14155550134"
INBOUND = "/paylink/twilio/inbound"


@tagged("post_install", "-at_install")
class TestTwilioCallbacks(PaylinkTestCommon, HttpCase):
    def setUp(self):
        super().setUp()
        self.twilio.reset()
        self.link = self.make_link(link_type="invoice", move_id=self.invoice.id)
        self.link._paylink_send(sms_number=NUMBER)
        [self.message] = self.process_sms_queue()
        self.log = self.link.message_log_ids
        self.assertEqual(self.log.state, "queued")

    def over_http(self, call):
        """Run ``call`` (a request from the Twilio double) with the test's writes visible to the
        server, and read the server's writes afterwards."""
        self.env.flush_all()
        result = call()
        self.env.invalidate_all()
        return result

    def callback(self, status, error_code=None, auth_token=None):
        return self.over_http(
            lambda: self.twilio.post_status_callback(
                self.message["sid"], status, error_code, auth_token=auth_token
            )
        )

    def notification(self):
        sms_message = self.env["mail.message"].search(
            [("model", "=", "account.move"), ("res_id", "=", self.invoice.id), ("message_type", "=", "sms")]
        )
        return sms_message.notification_ids

    def inbound(self, body, number=NUMBER, token=None, url=None):
        params = {
            "MessageSid": "SM" + "1" * 32,
            "AccountSid": self.twilio_sid,
            "From": number,
            "To": "+15005550006",
            "Body": body,
        }
        return self.over_http(
            lambda: self.twilio.post_signed(
                url or self.base_url() + INBOUND, params, token or self.twilio_token
            )
        )

    # === STATUS CALLBACKS === #

    @mute_logger("odoo.addons.account_payment_link.controllers.twilio", "odoo.http")
    def tracker(self, uuid=None):
        return self.env["sms.tracker"].sudo().search([("sms_uuid", "=", uuid or self.log.sms_uuid)])

    def test_another_apps_sms_is_tracked_to_delivered(self):
        """Issue 18.2: an SMS another app sends through the gateway (Odoo's composer on a contact,
        by an internal user) is tracked on Odoo's sms.tracker; its signed callbacks move Odoo's
        notification to delivered, and Twilio gets no 404."""
        contact = self.env["res.partner"].create(
            {"name": "Other App", "mobile": "+1 415 555 0166", "company_id": self.company.id}
        )
        composer = (
            self.env["sms.composer"]
            .with_user(self.user_sms_sender)
            .with_context(active_model="res.partner", active_id=contact.id)
            .create({"body": "Your parcel is on its way."})
        )
        composer.action_send_sms()
        [message] = [m for m in self.twilio.messages if m["to"] == "+14155550166"]
        notification = self.env["mail.notification"].search(
            [("mail_message_id.model", "=", "res.partner"), ("mail_message_id.res_id", "=", contact.id)]
        )
        self.assertEqual(notification.notification_status, "pending", "handed to Twilio")
        tracker = self.tracker(message["_status_callback"].rsplit("/", 1)[1])
        self.assertEqual(
            (tracker.paylink_twilio_sid, tracker.paylink_company_id), (message["sid"], self.company)
        )
        for status, expected in (("sent", "pending"), ("delivered", "sent"), ("sent", "sent")):
            with self.subTest(status=status):
                code = self.over_http(
                    lambda status=status: self.twilio.post_status_callback(message["sid"], status)
                )
                self.assertEqual(code, 204)
                self.assertEqual(notification.notification_status, expected)
        self.assertEqual(tracker.paylink_twilio_state, "delivered")

    def test_an_sms_without_a_tracker_is_tracked_too(self):
        """Issue 18.2: an SMS queued without Odoo's tracker (a mass sending without log makes none)
        gets one from the gateway, so Twilio's callbacks are answered and recorded."""
        sms = (
            self.env["sms.sms"]
            .sudo()
            .create({"number": "+14155550167", "body": "Sale!", "paylink_company_id": self.company.id})
        )
        self.assertFalse(self.tracker(sms.uuid))
        [message] = self.process_sms_queue()
        tracker = self.tracker(sms.uuid)
        self.assertEqual(
            (tracker.paylink_twilio_sid, tracker.paylink_twilio_state), (message["sid"], "queued")
        )
        self.assertEqual(
            self.over_http(lambda: self.twilio.post_status_callback(message["sid"], "delivered")), 204
        )
        self.assertEqual(tracker.paylink_twilio_state, "delivered")

    def test_trackers_without_a_notification_are_vacuumed_after_180_days(self):
        """Issue 18.2: the trackers the gateway makes for SMS without a notification do not pile
        up: Odoo's vacuum removes them after 180 days, as it removes read notifications (and their
        trackers); Odoo's own trackers and recent ones stay."""
        texts = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [{"number": f"+1415555016{i}", "body": "Sale!", "paylink_company_id": self.company.id}
                 for i in range(2)]
            )
        )  # fmt: skip
        uuids = texts.mapped("uuid")
        self.process_sms_queue()
        old, recent = (self.tracker(uuid) for uuid in uuids)
        odoo_tracker = self.tracker()
        self.assertTrue(odoo_tracker.mail_notification_id)
        trackers = old | odoo_tracker
        self.env.cr.execute(
            "UPDATE sms_tracker SET create_date = now() - interval '181 days' WHERE id IN %s",
            [tuple(trackers.ids)],
        )
        Tracker = self.env["sms.tracker"]
        self.assertTrue(getattr(type(Tracker)._gc_paylink_trackers, "_autovacuum", False))
        Tracker.sudo()._gc_paylink_trackers()
        self.assertEqual(
            (old.exists(), recent.exists(), odoo_tracker.exists()), (old.browse(), recent, odoo_tracker)
        )

    def test_forged_and_unknown_callbacks_get_404_and_change_nothing(self):
        url = self.message["_status_callback"]
        params = {
            "MessageSid": self.message["sid"],
            "AccountSid": self.twilio_sid,
            "MessageStatus": "delivered",
        }
        cases = {
            "signed with another token": lambda: self.callback("delivered", auth_token="not-the-token"),
            "no signature": lambda: self.url_open(url, data=params).status_code,
            "unknown status": lambda: self.callback("teleported"),
            "unknown SMS": lambda: self.twilio.post_signed(
                url.rsplit("/", 1)[0] + "/" + "0" * 32, params, self.twilio_token
            ),
            "malformed SMS id": lambda: self.twilio.post_signed(
                url.rsplit("/", 1)[0] + "/x';--", params, self.twilio_token
            ),
            "another message's SID": lambda: self.twilio.post_signed(
                url, {**params, "MessageSid": "SM" + "2" * 32}, self.twilio_token
            ),
        }
        for label, call in cases.items():
            with self.subTest(label):
                self.assertEqual(self.over_http(call), 404)
                self.assertEqual(self.log.state, "queued")
                self.assertEqual(self.notification().notification_status, "pending")

    def test_statuses_update_link_invoice_and_chatter_without_downgrade(self):
        self.assertEqual(self.callback("sent"), 204)
        self.assertEqual(self.log.state, "sent")
        self.assertEqual(self.callback("delivered"), 204)
        self.assertEqual(self.log.state, "delivered")
        self.assertEqual(self.link.sms_state, "delivered")
        self.assertEqual(self.invoice.paylink_sms_state, "delivered")
        self.assertEqual(self.notification().notification_status, "sent", "Odoo's 'Delivered'")
        # Late and out-of-order callbacks do not step back.
        for status in ("sent", "queued", "sending"):
            with self.subTest(status=status):
                self.assertEqual(self.callback(status), 204)
                self.assertEqual(self.log.state, "delivered")
                self.assertEqual(self.notification().notification_status, "sent")

    def test_undelivered_shows_readable_reason_on_link_and_invoice(self):
        for code, fragment in ((30003, "switched off"), (30005, "does not exist"), (30034, "10DLC")):
            with self.subTest(code=code):
                self.tracker().paylink_twilio_state = "queued"
                self.notification().sudo().notification_status = "pending"
                self.assertEqual(self.callback("undelivered", error_code=code), 204)
                self.assertEqual((self.log.state, self.log.error_code), ("undelivered", str(code)))
                self.assertIn(fragment, self.link.sms_failure_reason)
                self.assertIn(fragment, self.invoice.paylink_sms_failure_reason)
                self.assertIn(fragment, self.invoice.message_ids[0].body)
                self.assertIn(fragment, self.notification().failure_reason)

    @mute_logger("odoo.addons.account_payment_link.controllers.twilio", "odoo.http")
    def test_signature_checked_against_public_url_behind_proxy(self):
        """Twilio signs the public https URL; Odoo sees it through X-Forwarded-* with proxy_mode."""
        path = self.message["_status_callback"].split(self.base_url(), 1)[1]
        public_url = "https://pay.example.com" + path
        params = {
            "MessageSid": self.message["sid"],
            "AccountSid": self.twilio_sid,
            "MessageStatus": "delivered",
        }
        headers = {
            "X-Twilio-Signature": self.twilio.sign(public_url, params, self.twilio_token),
            "X-Forwarded-Host": "pay.example.com",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.9",
        }
        with patch.dict(config.options, {"proxy_mode": False}):
            self.assertEqual(self.url_open(path, data=params, headers=headers).status_code, 404)
        self.assertEqual(self.log.state, "queued")
        with patch.dict(config.options, {"proxy_mode": True}):
            self.assertEqual(self.url_open(path, data=params, headers=headers).status_code, 204)
        self.assertEqual(self.log.state, "delivered")

    # === INBOUND: STOP / START === #

    @mute_logger("odoo.addons.account_payment_link.controllers.twilio", "odoo.http")
    def test_stop_withdraws_a_consent_whatever_the_format_of_the_stored_number(self):
        """Issue 18.7: STOP from +14155550177 withdraws the consent of a customer whose mobile is
        stored as (415) 555-0177, and of one whose consent was given for that number."""
        national = self.env["res.partner"].create(
            {"name": "National Format", "mobile": "(415) 555-0177", "country_id": self.env.ref("base.us").id}
        )
        national._paylink_record_sms_consent("I agree to texts.")
        self.customer._paylink_record_sms_consent("I agree to texts.")  # for another number
        self.assertEqual(national.paylink_sms_consent_number, "+14155550177")
        self.assertEqual(self.inbound("STOP", number="+14155550177"), 200)
        self.assertFalse(national.paylink_sms_consent)
        self.assertFalse(national.paylink_sms_consent_number)
        self.assertTrue(self.customer.paylink_sms_consent, "another number's consent stays")

    @mute_logger("odoo.addons.account_payment_link.controllers.twilio", "odoo.http")
    def test_stop_then_start(self):
        Blacklist = self.env["phone.blacklist"].with_context(active_test=False)
        self.assertEqual(self.inbound("STOP", token="forged"), 404)
        self.assertFalse(Blacklist.search([("number", "=", NUMBER)]))

        self.customer._paylink_record_sms_consent("I agree to texts.")
        self.assertEqual(self.inbound("  stop "), 200)
        entry = Blacklist.search([("number", "=", NUMBER)])
        self.assertTrue(entry.active)
        # STOP withdraws the consent to SMS reminders too.
        self.assertFalse(self.customer.paylink_sms_consent)
        # Nothing goes to an opted-out number, and the user is told.
        logs = self.link._paylink_send(sms_number=NUMBER, strict=False)
        self.assertEqual(logs.state, "opted_out")
        self.assertFalse(self.process_sms_queue())

        self.assertEqual(self.inbound("Start"), 200)
        self.assertFalse(entry.active)
        self.link._paylink_send(sms_number=NUMBER)
        self.assertEqual(len(self.process_sms_queue()), 1)

    def test_stop_synonyms_and_other_replies(self):
        Blacklist = self.env["phone.blacklist"].with_context(active_test=False)
        for index, keyword in enumerate(("UNSUBSCRIBE", "cancel", "End", "QUIT", "stopall", "Stop All")):
            number = f"+1415555{index:04d}"
            with self.subTest(keyword=keyword):
                self.assertEqual(self.inbound(keyword, number=number), 200)
                self.assertTrue(Blacklist.search([("number", "=", number)]).active)
        self.assertEqual(self.inbound("Please stop sending me bills", number="+14155559999"), 200)
        self.assertFalse(Blacklist.search([("number", "=", "+14155559999")]))

    # === RPC === #

    def call_kw(self, record, method, *args):
        """Call ``method`` on ``record`` through Odoo's JSON-RPC route, as the web client does."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": record._name, "method": method, "args": [record.ids, *args], "kwargs": {}},
        }
        url = f"/web/dataset/call_kw/{record._name}/{method}"
        return self.url_open(
            url, data=json.dumps(payload), headers={"Content-Type": "application/json"}
        ).json()

    def test_user_without_sms_group_is_refused_through_json_rpc(self):
        """RELIABILITY 20 over the wire: the call_kw route refuses the SMS channel."""
        self.authenticate(self.user_accountant.login, self.user_accountant.login)
        wizard = self.open_send_wizard(self.link, user=self.user_accountant)
        before = self.env["sms.sms"].sudo().search_count([])
        with mute_logger("odoo.http"):
            self.assertNotIn("error", self.call_kw(wizard, "write", {"channel_sms": True}))
            response = self.call_kw(wizard, "action_send")
        error = response["error"]
        self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessError")
        self.assertEqual(self.env["sms.sms"].sudo().search_count([]), before)
