import logging
import threading
import time
import uuid

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.cron_budget import cron_call_budget, report_progress
from .account_payment_link_message import FAILED_STATES

_logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# Invoices a call of the cron sends when the cron worker's poll has no time left.
BATCH_SIZE_WHEN_POLL_SPENT = 10
# The part of a cron worker's poll the bulk sending may spend: the rest is the SMS and mail queues'
# (which it fills, and which Odoo's runner takes after it). With all of it, the mail queue got one
# email a call while 10,000 invoices were queued (bench/bench_send.py).
POLL_SHARE = 0.5


class AccountPaymentLinkBatch(models.Model):
    """A bulk sending of payment links for selected invoices, processed in committed batches.

    Each batch creates the missing links, queues the SMS and emails (they leave through Odoo's
    queues once the batch is committed) and moves ``done_count`` forward in the same transaction:
    a batch is either all done, or redone from its start, so no invoice is sent twice.
    """

    _name = "account.payment.link.batch"
    _description = "Payment Link Bulk Sending"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one("res.users", string="Requested By", required=True, readonly=True,
                              default=lambda self: self.env.user)  # fmt: skip
    move_ids = fields.Many2many("account.move", string="Invoices", readonly=True)
    channel_sms = fields.Boolean(string="SMS", readonly=True)
    channel_email = fields.Boolean(string="Email", readonly=True)
    force = fields.Boolean(string="Send Again", readonly=True,
                           help="Also send links already sent within the resend window.")  # fmt: skip
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Sending"), ("done", "Done")],
        required=True,
        default="queued",
        readonly=True,
        tracking=True,
    )
    total = fields.Integer(readonly=True)
    done_count = fields.Integer(string="Processed", readonly=True)
    sent_count = fields.Integer(
        string="Queued", readonly=True, help="Invoices whose link was handed to Odoo's mail and SMS queues."
    )
    skipped_count = fields.Integer(
        string="Skipped", readonly=True, help="Already sent recently, or nothing to pay."
    )
    failed_count = fields.Integer(string="Not Sent", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    # What really happened to the messages, as Odoo's mail queue and Twilio report it.
    sms_queued_count = fields.Integer(string="SMS Queued", compute="_compute_outcomes")
    sms_sent_count = fields.Integer(string="SMS Sent", compute="_compute_outcomes")
    sms_failed_count = fields.Integer(string="SMS Failed", compute="_compute_outcomes")
    email_sent_count = fields.Integer(string="Emails Sent", compute="_compute_outcomes")
    email_queued_count = fields.Integer(string="Emails Queued", compute="_compute_outcomes")
    email_failed_count = fields.Integer(
        string="Emails Failed", compute="_compute_outcomes", help="Refused by the mail server, or bounced."
    )
    report = fields.Text(readonly=True, help="Why invoices were skipped or not sent.")

    @api.depends("done_count", "total")
    def _compute_progress(self):
        for batch in self:
            batch.progress = 100.0 * batch.done_count / batch.total if batch.total else 100.0

    def _compute_outcomes(self):
        groups = (
            self.env["account.payment.link.message"]
            # sudo: the counts of the sending's own messages, whoever may read it
            .sudo()
            ._read_group([("batch_id", "in", self.ids)], ["batch_id", "channel", "state"], ["__count"])
        )
        counts = {(batch.id, channel, state): count for batch, channel, state, count in groups}
        for batch in self:

            def count(channel, states, batch=batch):
                return sum(counts.get((batch.id, channel, state), 0) for state in states)

            batch.sms_failed_count = count("sms", FAILED_STATES)
            batch.sms_queued_count = count("sms", ("outgoing",))
            batch.sms_sent_count = count("sms", ("queued", "sent", "delivered"))
            batch.email_failed_count = count("email", FAILED_STATES)
            batch.email_queued_count = count("email", ("outgoing", "queued"))
            batch.email_sent_count = count("email", ("sent", "delivered"))

    # === BUSINESS METHODS === #

    def _process(self, batch_size=BATCH_SIZE, commit=None, deadline=None):
        """Send the remaining invoices of each job, ``batch_size`` at a time.

        :param commit: called after each batch; by default the cursor's commit, except in tests.
        :param deadline: a ``time.monotonic()`` after which no new chunk starts (at least one
            does); the rest waits for the next run.
        :return: whether every job is done.
        """
        if commit is None:
            testing = getattr(threading.current_thread(), "testing", False)
            commit = (lambda: None) if testing else self.env.cr.commit
        started = False
        # sudo: the job's progress is its own bookkeeping, written whoever runs it (user or cron).
        for batch in self.sudo():
            if batch.state == "done":
                continue
            # The job runs with the rights of the user who asked for it, in its company.
            batch_as_user = batch.with_user(batch.user_id).with_company(batch.company_id)
            moves = batch.move_ids.sorted("id")
            batch.state = "running"
            while batch.done_count < len(moves):
                if deadline is not None and started and time.monotonic() > deadline:
                    return False
                started = True
                chunk = moves[batch.done_count : batch.done_count + batch_size]
                batch_as_user._process_chunk_safely(chunk.with_env(batch_as_user.env))
                batch.done_count += len(chunk)
                if batch.done_count >= len(moves):
                    batch.state = "done"
                    batch._post_summary()
                commit()
                _logger.info("Payment link bulk %s: %d/%d invoices", batch.id, batch.done_count, len(moves))
            batch.state = "done"
        return True

    def _process_chunk_safely(self, moves):
        """Process ``moves`` (:meth:`_process_chunk`) so that nothing stops the sending: when the
        chunk fails (a provider unpublished, a template that no longer renders...), it is done
        again one invoice at a time, and an invoice that still fails is counted and reported with
        its reason, alone."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._process_chunk(moves)
            return
        except psycopg2.OperationalError:
            raise  # a concurrency error: the run stops, the chunk is redone by the next one
        except Exception:
            _logger.info("Payment link bulk %s: a chunk failed, sent again one invoice at a time", self.id)
        for move in moves:
            try:
                with self.env.cr.savepoint():
                    self._process_chunk(move)
            except psycopg2.OperationalError:
                raise
            except Exception as error:
                _logger.warning(
                    "Payment link bulk %s: invoice %s not sent", self.id, move.name, exc_info=True
                )
                reason = (
                    error.args[0]
                    if isinstance(error, UserError | ValidationError | AccessError)
                    else _(
                        "an unexpected error (%(error)s), see the server log", error=error.__class__.__name__
                    )
                )
                # sudo: the counters are the job's own bookkeeping, whatever the requester's rights.
                batch_sudo = self.sudo()
                line = _("%(invoice)s was not sent: %(reason)s", invoice=move.display_name, reason=reason)
                batch_sudo.write(
                    {
                        "failed_count": batch_sudo.failed_count + 1,
                        "report": "\n".join(filter(None, [batch_sudo.report, str(line)])),
                    }
                )

    def _process_chunk(self, moves):
        """Create the links of ``moves`` and send them; count and explain what was not sent."""
        self.ensure_one()
        Message = self.env["account.payment.link.message"]
        window = 0 if self.force else self.company_id.paylink_resend_window_hours
        counts = {"sent": 0, "skipped": 0, "failed": 0}
        report = []
        payable = moves.filtered(lambda move: move._paylink_is_payable())
        # What each invoice's link and message read, read for the whole chunk at once instead of
        # once per invoice (bench/bench_send.py: 3 queries per invoice): the invoices' lines (a
        # link's amount, from Odoo's installments) and their contacts' children (Odoo's
        # address_get, when the email is posted).
        payable.line_ids.mapped("display_type")
        payable.partner_id.child_ids.mapped("type")
        for move in moves - payable:
            counts["skipped"] += 1
            report.append(self._get_skip_line(move))
        # Links made for a bulk sending need no "created" note nor their creator as follower.
        links = payable.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        )._paylink_get_or_create()
        links = links.with_env(self.env)
        self._prepare_access_tokens(links.move_id)
        # The opted-out numbers of the whole chunk, looked up once.
        opted_out = set()
        if self.channel_sms:
            numbers = [number for link in links if (number := link._paylink_default_sms_number())]
            # sudo: only whether these numbers opted out; the blacklist is not for users to read.
            Blacklist = self.env["phone.blacklist"].sudo()
            opted_out = set(Blacklist.search([("number", "in", numbers)]).mapped("number"))
        rendered = links._paylink_render_emails(links) if self.channel_email else {}
        recent_sms = Message._paylink_was_sent_recently(links, "sms", window) if self.channel_sms else links
        recent_email = (
            Message._paylink_was_sent_recently(links, "email", window) if self.channel_email else links
        )
        entries = []
        for link in links:
            invoice = link.move_id.display_name
            sms_number = email_partner = False
            if link not in recent_sms:
                sms_number = link._paylink_default_sms_number()
                if not sms_number:
                    report.append(
                        _("%(invoice)s: SMS not sent: the customer has no mobile number.", invoice=invoice)
                    )
            if link not in recent_email:
                email_partner = link._paylink_get_recipient_partner()
                if not email_partner.email:
                    email_partner = False
                    report.append(
                        _("%(invoice)s: email not sent: the customer has no email.", invoice=invoice)
                    )
            if not (sms_number or email_partner):
                counts["skipped" if link in recent_sms and link in recent_email else "failed"] += 1
                continue
            entries.append((link, sms_number, email_partner))
        # The requester follows the invoices they send, as each post would make them: at once here.
        if entries and self.env.user.active:
            links.browse([entry[0].id for entry in entries]).move_id.message_subscribe(
                partner_ids=self.env.user.partner_id.ids
            )
        # An error raised here fails the chunk, which _process_chunk_safely sends again one
        # invoice at a time: the only place a bulk sending isolates a failing invoice.
        outcomes = [self._send_link(*entry, rendered=rendered, opted_out=opted_out) for entry in entries]
        for outcome, lines in outcomes:
            counts[outcome] += 1
            report += lines
        # One wake-up of each queue per batch, not one per message (sudo: users may not read crons).
        self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()  # sudo: as above
        # sudo: the counters are the job's own bookkeeping, whatever the requester's rights.
        batch_sudo = self.sudo()
        batch_sudo.write(
            {
                "sent_count": batch_sudo.sent_count + counts["sent"],
                "skipped_count": batch_sudo.skipped_count + counts["skipped"],
                "failed_count": batch_sudo.failed_count + counts["failed"],
                "report": "\n".join(filter(None, [batch_sudo.report, *map(str, report)])) or False,
            }
        )

    @api.model
    def _get_skip_line(self, move):
        """Return the report's line of an invoice that cannot be paid through a link."""
        code = move._paylink_get_unpayable_code()
        if code == "blocked":
            return _("%(invoice)s: its payment is blocked.", invoice=move.display_name)
        if code == "draft":
            return _("%(invoice)s: not confirmed.", invoice=move.display_name)
        if code == "cancel":
            return _("%(invoice)s: cancelled.", invoice=move.display_name)
        if code == "not_invoice":
            return _("%(invoice)s: not a customer invoice.", invoice=move.display_name)
        return _("%(invoice)s: nothing to pay.", invoice=move.display_name)

    def _send_link(self, link, sms_number, email_partner, *, rendered, opted_out):
        """Send one link of a chunk; return ``(outcome, report lines)``, the outcome ``sent`` or
        ``failed`` (every message refused, e.g. an opted-out number). An error is raised: the
        caller fails the chunk (see :meth:`_process_chunk_safely`)."""
        # Each queue is woken once per chunk, and the requester already follows the invoice.
        logs = link.with_context(paylink_no_cron_trigger=True, mail_create_nosubscribe=True)._paylink_send(
            sms_number=sms_number,
            email_partner=email_partner,
            strict=False,
            queue_email=True,
            rendered_email=rendered.get(link.id),
            blacklist=opted_out,
            one_entry=True,
            log_values={"batch_id": self.id},
        )
        failed = logs.filtered(lambda log: log.state in FAILED_STATES)
        invoice = link.move_id.display_name
        lines = [
            _("%(invoice)s was not sent: %(reason)s", invoice=invoice, reason=log.failure_reason)
            for log in failed
        ]
        return ("failed" if failed and len(failed) == len(logs) else "sent"), lines

    def _prepare_access_tokens(self, moves):
        """Give the invoices their portal access token in one statement.

        The email to the customer carries the invoice's portal link, for which Odoo's
        ``_portal_ensure_token`` writes a token on each invoice with a full ``account.move`` write
        (re-checking its journal lines): about a third of a bulk sending's time (measured with
        bench/bench_send.py). A token is only a random value, made as Odoo makes it, so it is
        written with the ORM's low-level batched write, the one its flush uses: one UPDATE.
        """
        missing = moves.filtered(lambda move: not move.access_token)
        # sudo: the portal token only, as Odoo's _portal_ensure_token writes it
        missing.sudo()._write_multi([{"access_token": str(uuid.uuid4())} for _move in missing])
        missing.invalidate_recordset(["access_token"])

    def _post_summary(self):
        self.ensure_one()
        self.message_post(
            body=_(
                "%(sent)s invoice(s) queued for sending, %(skipped)s skipped, %(failed)s not sent. "
                "What became of each email and SMS is counted on the sending as it happens.",
                sent=self.sent_count,
                skipped=self.skipped_count,
                failed=self.failed_count,
            ),
            partner_ids=self.user_id.partner_id.ids,
        )

    @api.model
    def _cron_process(self, batch_size=BATCH_SIZE, budget=None):
        """Process the pending bulk sendings for at most ``budget`` seconds (by default
        :func:`~..tools.cron_budget.cron_call_budget`), in committed chunks, and report to Odoo's
        cron runner how many invoices were done and remain: it calls the job again while some
        remain, so a sending of 10,000 invoices goes on without a worker past its time limit.
        """
        if budget is None:
            budget = cron_call_budget(share=POLL_SHARE)
        if budget <= 0:
            # The cron worker's time is spent (other jobs of its poll used it): a few invoices
            # only, so that the runner still sees progress and goes on in a new poll.
            batch_size = min(batch_size, BATCH_SIZE_WHEN_POLL_SPENT)
        batches = self.search([("state", "!=", "done")], order="id")
        before = sum(batches.mapped("done_count"))
        batches._process(batch_size=batch_size, deadline=time.monotonic() + budget)
        report_progress(
            self.env,
            "account_payment_link.ir_cron_paylink_send_batches",
            done=sum(batches.mapped("done_count")) - before,
            remaining=sum(len(batch.move_ids) - batch.done_count for batch in batches),
        )
        return True
