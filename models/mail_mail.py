from odoo import models
from odoo.tools import email_normalize


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        """Record on the link's log whether its email left, so a failed one can be sent again."""
        # sudo: the mail queue runs as whoever; the sending log is technical.
        logs = (
            self.env["account.payment.link.message"]
            .sudo()  # sudo: technical log, written by the mail queue
            .search_fetch(
                [
                    ("channel", "=", "email"),
                    ("state", "=", "queued"),
                    ("mail_message_id", "in", self.mail_message_id.ids),
                ],
                ["mail_message_id", "recipient", "state", "link_id"],
            )
        )
        reached = {partner.email_normalized for partner in success_pids}
        # Odoo's own words for its failure types ("mail_smtp": "Connection failed (outgoing mail
        # server problem)"), in the user's language, when the server gave no reason of its own.
        Notification = self.env["mail.notification"]
        labels = dict(Notification._fields["failure_type"]._description_selection(self.env))
        for log in logs:
            if failure_type and email_normalize(log.recipient) not in reached:
                log._paylink_set_state(
                    "failed", failure_reason=failure_reason or labels.get(failure_type, failure_type)
                )
            else:
                log._paylink_set_state("sent")
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
