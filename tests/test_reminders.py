"""Payment reminders: each step once, not after payment, SMS only with consent, never in quiet
hours, never to an opted-out number (issue 11, point 4)."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import PaylinkTestCommon

DUE = date(2026, 1, 20)  # winter: New York is UTC-5


@tagged("post_install", "-at_install")
class TestReminders(PaylinkTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "paylink_reminders_enabled": True,
                "paylink_reminder_days": "-3,0,7",
                "paylink_reminder_max": 3,
                "paylink_reminder_quiet_start": 21.0,
                "paylink_reminder_quiet_end": 8.0,
            }
        )
        cls.customer.tz = "America/New_York"
        cls.due_invoice = cls.init_invoice(
            "out_invoice", partner=cls.customer, amounts=[200.0], invoice_date=DUE, post=True
        )
        cls.due_invoice.invoice_date_due = DUE
        cls.posted_before(cls.due_invoice)

    @staticmethod
    def posted_before(invoice):
        """The invoice was posted (and not sent) well before the reminders' days."""
        invoice.paylink_posted_date = datetime(2025, 12, 1, 9)

    def run_cron(self, when):
        """Run the reminders cron at ``when`` (a naive UTC datetime)."""
        with freeze_time(when):
            # As Odoo's crons run: the superuser, every company.
            self.env(su=True)["account.move"]._cron_paylink_send_reminders()

    def reminders(self, move=None):
        move = move or self.due_invoice
        return self.env["account.payment.link.message"].search([("reminder_move_id", "=", move.id)])

    def at_noon_in_new_york(self, day):
        return datetime.combine(day, datetime.min.time()) + timedelta(hours=17)  # 12:00 EST is 17:00 UTC

    def test_each_step_once_with_the_live_link(self):
        for offset in (-3, -3, -2, 0, 0, 1, 7, 8, 9):
            self.run_cron(self.at_noon_in_new_york(DUE + timedelta(days=offset)))
        reminders = self.reminders()
        self.assertEqual(sorted(reminders.mapped("reminder_day")), [-3, 0, 7])
        self.assertEqual(set(reminders.mapped("channel")), {"email"}, "no consent to texts: by email")
        # One link served every step (read at its own date: it has expired by the real today).
        link = self.due_invoice.paylink_ids
        self.assertEqual(reminders.link_id, link)
        self.assertEqual(link.message_log_ids & reminders, reminders, "in the link's Messages Sent")
        emails = self.due_invoice.message_ids.filtered(lambda message: message.message_type == "comment")
        bodies = " ".join(emails.mapped("body"))
        self.assertIn("is due on", bodies)
        self.assertIn("is due today", bodies)
        self.assertIn("was due on", bodies)
        self.assertIn(link.url, bodies)

    def test_at_most_the_companys_number_of_reminders(self):
        self.company.paylink_reminder_max = 2
        for offset in (-3, 0, 7):
            self.run_cron(self.at_noon_in_new_york(DUE + timedelta(days=offset)))
        self.assertEqual(sorted(self.reminders().mapped("reminder_day")), [-3, 0])

    def test_none_after_payment(self):
        self.run_cron(self.at_noon_in_new_york(DUE - timedelta(days=3)))
        self.pay(self.due_invoice, self.due_invoice.amount_total)
        for offset in (0, 7):
            self.run_cron(self.at_noon_in_new_york(DUE + timedelta(days=offset)))
        self.assertEqual(self.reminders().mapped("reminder_day"), [-3])

    def test_none_while_the_payment_is_blocked(self):
        self.due_invoice.action_toggle_block_payment()
        self.run_cron(self.at_noon_in_new_york(DUE))
        self.assertFalse(self.reminders())
        self.due_invoice.action_toggle_block_payment()
        self.run_cron(self.at_noon_in_new_york(DUE + timedelta(days=7)))
        self.assertEqual(self.reminders().mapped("reminder_day"), [7])

    def test_sms_only_to_customers_who_agreed(self):
        self.customer._paylink_record_sms_consent("Text me my reminders.")
        self.run_cron(self.at_noon_in_new_york(DUE))
        reminder = self.reminders()
        self.assertEqual((reminder.channel, reminder.recipient), ("sms", "+14155550134"))
        [sent] = self.process_sms_queue()
        self.assertIn("is due today", sent["body"])
        self.assertIn(reminder.link_id.url, sent["body"])
        self.assertEqual(reminder.link_id, self.due_invoice.paylink_ids)
        # Withdrawn by the accountant: the next step goes by email.
        self.customer.with_user(self.user_sms_sender).action_paylink_withdraw_sms_consent()
        self.run_cron(self.at_noon_in_new_york(DUE + timedelta(days=7)))
        self.assertEqual(self.reminders().filtered(lambda log: log.reminder_day == 7).channel, "email")

    def test_never_in_quiet_hours(self):
        day = DUE - timedelta(days=3)
        night = datetime.combine(day, datetime.min.time()) + timedelta(hours=3)  # 22:00 in New York
        self.run_cron(night)
        self.assertFalse(self.reminders())
        early = datetime.combine(day, datetime.min.time()) + timedelta(hours=12)  # 07:00 in New York
        self.run_cron(early)
        self.assertFalse(self.reminders())
        self.run_cron(datetime.combine(day, datetime.min.time()) + timedelta(hours=13))  # 08:00
        self.assertEqual(self.reminders().reminder_day, -3)

    def test_never_to_an_opted_out_number(self):
        self.customer._paylink_record_sms_consent("Text me my reminders.")
        self.env["phone.blacklist"].sudo()._add(["+14155550134"])
        self.run_cron(self.at_noon_in_new_york(DUE))
        reminder = self.reminders()
        self.assertEqual(reminder.channel, "email")
        self.assertFalse(self.process_sms_queue())

    def test_the_cron_reports_its_progress_to_odoos_runner(self):
        """Issue 18.9: a call sends at most ``limit`` reminders and reports what remains to Odoo's
        cron runner, which calls it again; with no company sending reminders it reports nothing
        to do (and does not fail)."""
        other = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[20.0], invoice_date=DUE, post=True
        )
        other.invoice_date_due = DUE
        self.posted_before(other)
        cron = self.env.ref("account_payment_link.ir_cron_paylink_send_reminders")

        def call(**kwargs):
            progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})
            with freeze_time(self.at_noon_in_new_york(DUE)):
                self.env(su=True)["account.move"].with_context(
                    ir_cron_progress_id=progress.id
                )._cron_paylink_send_reminders(**kwargs)
            return progress.done, progress.remaining

        self.assertEqual(call(limit=1), (1, 1))
        self.assertEqual(call(limit=1), (1, 1), "stopped at its limit: the runner calls it once more")
        self.assertEqual(call(limit=1), (0, 0))
        self.assertEqual(len(self.reminders() | self.reminders(other)), 2)
        self.company.paylink_reminders_enabled = False
        self.assertEqual(call(), (0, 0))

    def test_off_by_default_and_only_for_companies_that_want_them(self):
        self.assertFalse(self.env["res.company"].new({}).paylink_reminders_enabled)
        self.company.paylink_reminders_enabled = False
        self.run_cron(self.at_noon_in_new_york(DUE))
        self.assertFalse(self.reminders())

    def test_the_accountant_records_consent_on_the_customer_form(self):
        partner = self.customer.with_user(self.user_sms_sender)
        partner.action_paylink_record_sms_consent()
        self.assertTrue(self.customer.paylink_sms_consent)
        self.assertIn(self.user_sms_sender.name, self.customer.paylink_sms_consent_text)

    def test_a_consent_is_for_the_number_it_was_given_for(self):
        """Issue 18.7: the customer agreed for +1 415 555 0134, then changed mobile: the new number
        gets no reminder by text (email instead) until they agree for it."""
        self.customer._paylink_record_sms_consent("Text me my reminders.")
        self.assertEqual(self.customer.paylink_sms_consent_number, "+14155550134")
        self.customer.mobile = "+1 415 555 0199"
        self.run_cron(self.at_noon_in_new_york(DUE))
        self.assertEqual(self.reminders().channel, "email")
        self.assertFalse(self.process_sms_queue())

    def test_reminders_start_after_the_invoice_was_posted_or_sent(self):
        """Issue 18.8: an invoice due today and posted today gets no reminder today (the customer
        has not had it yet); its first reminder is the next step. One sent later starts after the
        day it was sent."""
        with freeze_time(self.at_noon_in_new_york(DUE)):
            fresh = self.init_invoice(
                "out_invoice", partner=self.customer, amounts=[30.0], invoice_date=DUE, post=True
            )
        fresh.invoice_date_due = DUE
        self.run_cron(self.at_noon_in_new_york(DUE) + timedelta(seconds=25))
        self.assertFalse(self.reminders(fresh), "not 25 seconds after posting")
        self.run_cron(self.at_noon_in_new_york(DUE + timedelta(days=7)))
        self.assertEqual(self.reminders(fresh).reminder_day, 7)
        # Sent on the day of its "-3" step: that step is not sent on top of it, the next ones are.
        later = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[40.0], invoice_date=DUE, post=True
        )
        later.invoice_date_due = DUE
        self.posted_before(later)
        with freeze_time(self.at_noon_in_new_york(DUE - timedelta(days=3))):
            link = later._paylink_get_or_create()
            later._paylink_send_link(link, email_partner=self.customer, queue_email=True)
        self.run_cron(self.at_noon_in_new_york(DUE - timedelta(days=3)) + timedelta(hours=1))
        self.assertFalse(self.reminders(later))
        self.run_cron(self.at_noon_in_new_york(DUE))
        self.assertEqual(self.reminders(later).reminder_day, 0)

    def test_no_reminder_brings_back_a_link_a_manager_revoked(self):
        """Issue 18.8: the manager revoked the invoice's link: the reminders send nothing, make no
        new link, and say so on the invoice once per step."""
        link = self.due_invoice._paylink_get_or_create()
        link.with_user(self.user_manager).action_revoke()
        self.run_cron(self.at_noon_in_new_york(DUE))
        self.run_cron(self.at_noon_in_new_york(DUE) + timedelta(hours=1))
        self.assertEqual(self.due_invoice.paylink_ids, link, "no new link")
        reminder = self.reminders()
        self.assertEqual((reminder.state, reminder.reminder_day), ("failed", 0))
        self.assertIn("revoked by a manager", reminder.failure_reason)
        notes = self.due_invoice.message_ids.filtered(lambda m: "revoked by a manager" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertFalse(self.process_sms_queue())

    def test_the_customer_companys_consent_texts_its_own_number(self):
        """The invoice goes to a contact with a mobile of their own; only the customer company
        agreed to texts: the reminder goes to the company's number, never the contact's."""
        contact = self.env["res.partner"].create(
            {
                "name": "Billing desk",
                "parent_id": self.customer.id,
                "mobile": "+1 415 555 0188",
                "type": "invoice",
            }
        )
        invoice = self.init_invoice(
            "out_invoice", partner=contact, amounts=[80.0], invoice_date=DUE, post=True
        )
        invoice.invoice_date_due = DUE
        self.posted_before(invoice)
        self.customer._paylink_record_sms_consent("Text me my reminders.")
        self.run_cron(self.at_noon_in_new_york(DUE))
        reminder = self.reminders(invoice)
        self.assertEqual((reminder.channel, reminder.recipient), ("sms", "+14155550134"))

    def test_one_failing_company_stops_no_other(self):
        """A company whose links cannot take payments (no provider) gets no reminder, logged; the
        other companies' reminders still go."""
        other = self.setup_other_company(name="No Provider Co")["company"]
        other.write({"paylink_reminders_enabled": True, "paylink_reminder_days": "0"})
        stuck = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[50.0], invoice_date=DUE, post=True, company=other
        )
        stuck.invoice_date_due = DUE
        self.posted_before(stuck)
        with self.assertLogs("odoo.addons.account_payment_link.models.account_move", "WARNING") as logs:
            self.run_cron(self.at_noon_in_new_york(DUE))
        self.assertIn(stuck.name, "\n".join(logs.output))
        self.assertFalse(self.reminders(stuck))
        self.assertEqual(self.reminders().reminder_day, 0)
