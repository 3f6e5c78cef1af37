from odoo import fields, models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    # Odoo's SMS know these failures (sms.sms.failure_type) but its notifications do not: an SMS to
    # a number that opted out (Odoo's blacklist, or Twilio's 21610 after a STOP) says so on its
    # notification, which the chatter and a payment link's *Messages Sent* read.
    failure_type = fields.Selection(
        selection_add=[("sms_blacklist", "Blacklisted"), ("sms_optout", "Opted Out")],
    )
    # The inverse of the logs' notification: when the mail queue writes a notification (twice per
    # email), Odoo's recomputation of the logs' state reads it instead of searching the logs each
    # time (bench/bench_send.py: 4 searches per email otherwise, 1 read with it).
    # Read by users who may read the logs only (Odoo's recomputation reads it as superuser).
    paylink_message_ids = fields.One2many(
        "account.payment.link.message",
        "mail_notification_id",
        string="Payment Link Messages",
        groups="account_payment_link.group_paylink_user",
    )
