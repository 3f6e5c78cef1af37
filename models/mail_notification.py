from odoo import fields, models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    # Odoo's SMS know these failures (sms.sms.failure_type) but its notifications do not: an SMS to
    # a number that opted out (Odoo's blacklist, or Twilio's 21610 after a STOP) says so on its
    # notification, which the chatter and a payment link's *Messages Sent* read.
    failure_type = fields.Selection(
        selection_add=[("sms_blacklist", "Blacklisted"), ("sms_optout", "Opted Out")],
    )
