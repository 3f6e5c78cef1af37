from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        """Record on the link's log whether its email left, so a failed one can be sent again."""
        # sudo: the mail queue runs as whoever; the sending log is technical.
        logs = (
            self.env["account.payment.link.message"]
            .sudo()  # sudo: technical log, written by the mail queue
            .search(
                [
                    ("channel", "=", "email"),
                    ("state", "=", "queued"),
                    ("mail_message_id", "in", self.mail_message_id.ids),
                ]
            )
        )
        for log in logs:
            mails = self.filtered(lambda mail, log=log: mail.mail_message_id == log.mail_message_id)
            reached = any(partner.email_normalized == log.recipient for partner in success_pids)
            if failure_type and not reached:
                log._paylink_set_state("failed", failure_reason=failure_reason or failure_type)
            elif mails:
                log._paylink_set_state("sent")
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
