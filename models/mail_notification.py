from odoo import models
from odoo.tools import email_normalize

from .account_payment_link_message import FAILED_STATES


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def write(self, vals):
        """Override of `mail` so that an email of a payment link that bounces after it was sent
        (Odoo's bounce routing writes its notification) counts as failed in the link's *Messages
        Sent* and in its bulk sending, with Odoo's reason."""
        res = super().write(vals)
        # Only a bounce: Odoo writes "exception" ahead of every sending (in case it dies halfway)
        # and a refused sending reaches the log through mail.mail._postprocess_sent_message.
        if vals.get("notification_status") == "bounce":
            self._paylink_fail_email_logs()
        return res

    def _paylink_fail_email_logs(self):
        email_notifications = self.filtered(lambda notification: notification.notification_type == "email")
        if not email_notifications:
            return
        logs = (
            self.env["account.payment.link.message"]
            # sudo: the link's technical sending log follows Odoo's notification
            .sudo()
            .search(
                [
                    ("channel", "=", "email"),
                    ("state", "not in", FAILED_STATES),
                    ("mail_message_id", "in", email_notifications.mail_message_id.ids),
                ]
            )
        )
        labels = dict(self._fields["failure_type"]._description_selection(self.env))
        for notification in email_notifications:
            email = notification.res_partner_id.email_normalized
            for log in logs.filtered(
                lambda log, notification=notification, email=email: (
                    log.mail_message_id == notification.mail_message_id
                    and email_normalize(log.recipient or "") == email
                )
            ):
                reason = notification.failure_reason or labels.get(notification.failure_type) or False
                log._paylink_set_state("failed", failure_reason=reason)
