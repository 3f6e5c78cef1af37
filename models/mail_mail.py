import time

from odoo import api, models

from ..tools.cron_budget import cron_call_budget, note_work_left

# Emails per second the mail queue sent, per database, in this process (a moving average over its
# cron calls, the first call's own rate to start with); a cautious first call: a slow mail server
# is learnt from it.
_queue_rates = {}
FIRST_RATE = 20.0
# Weight of the last call in the moving average.
RATE_WEIGHT = 0.3
# The time a call of the queue works when the cron worker's poll has no time left.
SECONDS_WHEN_POLL_SPENT = 0.5


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model
    def process_email_queue(self, ids=None, batch_size=1000):
        """Override of `mail` so that, run by Odoo's cron runner, the queue sends what fits in the
        cron worker's time: the runner calls it up to 10 times in one poll, 1,000 emails each by
        default, under one time limit shared with the other jobs of the poll. A worker killed
        between handing an email to the mail server and committing it sends that email twice (it
        is still outgoing): seen after a bulk sending of 10,000 invoices, ours as Odoo's own *Send*
        in batch. This narrows that window to the kills no budget foresees; it cannot close it
        (Odoo sends, then commits, each email).

        The batch is what the time a call may take (:func:`~..tools.cron_budget.cron_call_budget`)
        allows at the rate the queue sent at (half a second's worth when the poll's time is spent),
        at most ``batch_size``, at least one email. An
        administrator's ``mail.mail.queue.batch.size`` replaces it, as it replaces Odoo's.
        """
        if ids or not self.env.context.get("ir_cron_progress_id"):
            return super().process_email_queue(ids=ids, batch_size=batch_size)
        dbname = self.env.cr.dbname
        rate = _queue_rates.get(dbname, FIRST_RATE)
        # A spent poll still sends what half a second allows: one email a call starved the queue.
        seconds = max(cron_call_budget(), SECONDS_WHEN_POLL_SPENT)
        batch_size = max(1, min(batch_size, int(rate * seconds)))
        started = time.monotonic()
        result = super().process_email_queue(batch_size=batch_size)
        # Odoo's queue counts on its cron's progress what it took (none when the queue was empty).
        # sudo: the cron's own progress record, read back.
        progress = self.env["ir.cron.progress"].sudo().browse(self.env.context["ir_cron_progress_id"])
        seconds = time.monotonic() - started
        if progress.done and seconds > 0:
            measured = progress.done / seconds
            known = dbname in _queue_rates
            _queue_rates[dbname] = (1 - RATE_WEIGHT) * rate + RATE_WEIGHT * measured if known else measured
            if progress.remaining:
                note_work_left()  # the cron workers are woken for the rest once the job is released
        return result

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        """Override of `mail` so that a payment link's email to an address typed for one sending
        (no contact, so no notification: the email itself holds its state) says in the link's
        *Messages Sent* whether it left. Only for such emails (not notifications, of a document
        that sends links): the queue's other emails cost nothing here."""
        typed = self.filtered(
            lambda mail: not mail.is_notification and mail.model in ("account.move", "account.payment.link")
        )
        if typed:
            # sudo: the link's technical log, found for the mail queue, whoever runs it.
            logs = self.env["account.payment.link.message"].sudo().search([("mail_mail_id", "in", typed.ids)])
            logs.modified(["mail_mail_id"])  # its state is read again from the email
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
