import time

from odoo import api, models
from odoo.tools import email_normalize

from ..tools.cron_budget import cron_call_budget

# Emails per second the mail queue sent in this process (measured over its cron calls); a cautious
# start until it has sent some: a slow mail server is learnt from its first call.
_queue_rate = {"emails": 0, "seconds": 0.0}
FIRST_RATE = 20.0


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model
    def process_email_queue(self, ids=None, batch_size=1000):
        """Override of `mail` so that, called by Odoo's cron runner, the queue sends what fits in
        the cron worker's time: the runner calls it up to 10 times in one poll, 1,000 emails each
        by default, under one time limit with the other jobs of the poll. A worker killed between
        handing an email to the mail server and committing it sends that email twice (it is still
        outgoing): after a bulk sending of 10,000 invoices, Odoo's own *Send* in batch as ours.

        The batch is what the time a call may take (:func:`~..tools.cron_budget.cron_call_budget`)
        allows at the rate this process sent at, at most ``batch_size``, at least one email.
        An administrator's ``mail.mail.queue.batch.size`` still wins, as in Odoo.
        """
        if ids or not self.env.context.get("ir_cron_progress_id"):
            return super().process_email_queue(ids=ids, batch_size=batch_size)
        rate = _queue_rate["emails"] / _queue_rate["seconds"] if _queue_rate["seconds"] > 1 else FIRST_RATE
        batch_size = max(1, min(batch_size, int(rate * cron_call_budget())))
        started = time.monotonic()
        result = super().process_email_queue(batch_size=batch_size)
        # Odoo's queue counts what it fetched on its cron's progress (0 when nothing was sent).
        # sudo: the cron's own progress record, read back.
        progress = self.env["ir.cron.progress"].sudo().browse(self.env.context["ir_cron_progress_id"])
        if progress.done:
            _queue_rate["emails"] += progress.done
            _queue_rate["seconds"] += time.monotonic() - started
            if progress.remaining:
                # The cron workers are woken for the rest after the runner's last call.
                self.env.cr.postcommit.add(self.env["ir.cron"]._notifydb)
        return result

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
