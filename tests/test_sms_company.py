"""Issue 18.1: an SMS leaves through the Twilio account of the company of the record it is about,
never the sender's current company (RELIABILITY 38)."""

import secrets

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import PaylinkTestCommon


@tagged("post_install", "-at_install")
class TestSmsCompany(PaylinkTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.sid_b, token_b = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        cls.twilio.accounts = {cls.twilio_sid: cls.twilio_token, cls.sid_b: token_b}
        cls.company_b.write(
            {
                "paylink_twilio_account_sid": cls.sid_b,
                "paylink_twilio_auth_token": token_b,
                "paylink_twilio_sender": "+15005550009",
                "paylink_sms_gateway": "twilio",
            }
        )
        # A user of both companies, working in company A.
        cls.user_both = new_test_user(
            cls.env,
            login="paylink_both_companies",
            groups="account.group_account_invoice,account_payment_link.group_paylink_sms,base.group_partner_manager",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.company_b).ids)],
        )
        cls.contact_b = cls.env["res.partner"].create(
            {"name": "Bea of B", "mobile": "+1 415 555 0190", "company_id": cls.company_b.id}
        )
        cls.contact_a = cls.env["res.partner"].create(
            {"name": "Abe of A", "mobile": "+1 415 555 0191", "company_id": cls.company.id}
        )

    def as_user_in_a(self, record):
        """``record`` as the two-company user, company A open (B allowed)."""
        return record.with_user(self.user_both).with_context(
            allowed_company_ids=[self.company.id, self.company_b.id]
        )

    def accounts_of(self, messages):
        return {message["to"]: (message["account_sid"], message["from"]) for message in messages}

    def test_a_message_about_a_record_of_b_leaves_through_bs_account(self):
        contact_b = self.as_user_in_a(self.contact_b)
        self.assertEqual(contact_b.env.company, self.company)
        contact_b._message_sms("Your appointment is tomorrow.", partner_ids=contact_b.ids, put_in_queue=True)
        sms = self.env["sms.sms"].sudo().search([("partner_id", "=", self.contact_b.id)])
        self.assertEqual(sms.paylink_company_id, self.company_b)
        sent = self.process_sms_queue()  # as the cron does: the superuser, the main company open
        self.assertEqual(self.accounts_of(sent), {"+14155550190": (self.sid_b, "+15005550009")})

    def test_a_mass_sending_without_log_sends_each_through_its_records_company(self):
        contacts = self.as_user_in_a(self.contact_a | self.contact_b)
        composer = (
            self.env["sms.composer"]
            .with_user(self.user_both)
            .with_context(
                allowed_company_ids=[self.company.id, self.company_b.id],
                active_model="res.partner",
                active_ids=contacts.ids,
            )
            .create(
                {
                    "composition_mode": "mass",
                    "mass_keep_log": False,
                    "body": "Hello",
                    "res_model": "res.partner",
                }
            )
        )
        composer.action_send_sms()
        sent = self.process_sms_queue()
        self.assertEqual(
            self.accounts_of(sent),
            {
                "+14155550191": (self.twilio_sid, "+15005550006"),
                "+14155550190": (self.sid_b, "+15005550009"),
            },
        )

    def test_a_payment_link_of_b_sent_from_a(self):
        invoice_b = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[20.0], company=self.company_b
        )
        invoice_b.action_post()
        self.prepare_demo_provider(self.company_b)
        link = self.env["account.payment.link"].create({"link_type": "invoice", "move_id": invoice_b.id})
        self.as_user_in_a(link)._paylink_send(sms_number="+14155550134")
        sent = self.process_sms_queue()
        self.assertEqual(self.accounts_of(sent), {"+14155550134": (self.sid_b, "+15005550009")})
