import logging
import threading
from datetime import timedelta

from werkzeug.urls import url_join

from odoo import fields, models

from .. import const
from ..controllers.twilio import PaymentLinkTwilioController
from ..tools import twilio_api
from ..tools.sms_text import check_sms_number
from ..tools.twilio_api import TwilioApi

_logger = logging.getLogger(__name__)


class SmsSms(models.Model):
    _inherit = "sms.sms"

    paylink_company_id = fields.Many2one(
        "res.company",
        string="Sending Company",
        default=lambda self: self.env.company,
        help="SMS of a company with Twilio configured are sent through its Twilio account.",
    )
    paylink_attempts = fields.Integer(
        string="Twilio Attempts",
        copy=False,
        help="Queue runs in which Twilio could not take this SMS (unreachable, 429, 5xx).",
    )

    def send(self, unlink_failed=False, unlink_sent=True, auto_commit=False, raise_exception=False):
        # The Twilio gateway commits after each accepted SMS when the queue commits at all.
        return super(SmsSms, self.with_context(paylink_sms_auto_commit=auto_commit)).send(
            unlink_failed=unlink_failed,
            unlink_sent=unlink_sent,
            auto_commit=auto_commit,
            raise_exception=raise_exception,
        )

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Send through Twilio the SMS of companies that chose it as their gateway (and set it up);
        the others as Odoo does (IAP, or Odoo's own Twilio module when it is installed)."""
        by_company = self.grouped("paylink_company_id")
        others = self.browse()
        for company, batch in by_company.items():
            if (
                company
                and company._paylink_sends_through_twilio()
                and company._paylink_is_twilio_configured()
            ):
                batch._paylink_send_twilio(company, unlink_failed=unlink_failed, unlink_sent=unlink_sent)
            else:
                others |= batch
        if others:
            return super(SmsSms, others)._send(
                unlink_failed=unlink_failed, unlink_sent=unlink_sent, raise_exception=raise_exception
            )
        return None

    def _paylink_send_twilio(self, company, unlink_failed=False, unlink_sent=True):
        """Hand this batch to Twilio, one message per SMS, and record each outcome.

        Numbers are checked first (E.164, mobile, not opted out): such SMS are never sent. When
        Twilio stays unreachable after the retries, this SMS and the rest of the batch stay in the
        queue for a later run, up to ``const.TWILIO_MAX_QUEUE_ATTEMPTS`` runs. When the queue
        commits (its cron, not a test), each accepted SMS is committed before the next is sent: a
        worker killed mid-batch (time limit) never sends an SMS twice, and a status callback never
        waits for the batch's transaction.
        """
        auto_commit = self.env.context.get("paylink_sms_auto_commit") and not getattr(
            threading.current_thread(), "testing", False
        )
        api = TwilioApi(company, retry_delays=self._paylink_retry_delays())
        base_url = company.get_base_url()
        blacklisted = set(
            self.env["phone.blacklist"]
            .sudo()  # sudo: only whether numbers opted out
            .search([("number", "in", self.mapped("number"))])
            .mapped("number")
        )
        logs = {
            log.sms_uuid: log
            for log in self.env["account.payment.link.message"]
            .sudo()  # sudo: technical sending log
            .search([("sms_uuid", "in", self.mapped("uuid"))])
        }
        sent, failed = self.browse(), []
        postponed = self.browse()
        # Read the batch once: after a commit, touching one record of a big batch would read the
        # whole batch again (prefetching), making a run quadratic.
        todo = [
            (sms.with_prefetch(sms.ids), sms.number, sms.body, sms.uuid, sms.paylink_attempts) for sms in self
        ]
        logs = {uuid: log.with_prefetch(log.ids) for uuid, log in logs.items()}
        for index, (sms, raw_number, body, uuid, attempts) in enumerate(todo):
            check = check_sms_number(sms, raw_number, blacklist=blacklisted)
            if check.failure_type:
                result = {"failure_type": check.failure_type, "reason": check.reason, "error_code": None}
            else:
                number = check.number
                result = api.send(
                    number,
                    body,
                    status_callback=url_join(base_url, f"{PaymentLinkTwilioController._status_url}/{uuid}"),
                )
            if result.get("ok"):
                if log := logs.get(uuid):
                    log._paylink_set_state("queued", twilio_sid=result["sid"])
                if auto_commit:
                    self._paylink_record_results(
                        sms, [], logs, unlink_failed=unlink_failed, unlink_sent=unlink_sent
                    )
                    # Twilio accepted it: make that durable before sending the next one, as Odoo's
                    # queue does per batch (only when the queue itself commits, never in tests).
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                else:
                    sent |= sms
                continue
            if result.get("transient") and attempts + 1 < const.TWILIO_MAX_QUEUE_ATTEMPTS:
                # Twilio is down: stop hammering it; this SMS and the rest wait for the next run.
                postponed = self[index:]
                break
            failed.append((sms, result))
        self._paylink_record_results(sent, failed, logs, unlink_failed=unlink_failed, unlink_sent=unlink_sent)
        if postponed:
            _logger.warning("Twilio unavailable: %d SMS left in the queue for a later run", len(postponed))
            postponed[:1].paylink_attempts += 1
            cron = self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()  # sudo: re-trigger Odoo's SMS cron
            cron._trigger(fields.Datetime.now() + timedelta(minutes=const.TWILIO_QUEUE_RETRY_MINUTES))
        (self - postponed).mail_message_id._notify_message_notification_update()

    def _paylink_record_results(self, sent, failed, logs, unlink_failed, unlink_sent):
        sent_sudo = sent.sudo().with_context(sms_skip_msg_notification=True)  # sudo: the queue's own records
        if sent_sudo:
            # Odoo's "pending" is "sent to the provider"; delivery comes with the status callback.
            sent_sudo.sms_tracker_id._action_update_from_sms_state("pending")
            sent_sudo.write(
                {"state": "pending", "failure_type": False, **({"to_delete": True} if unlink_sent else {})}
            )
        for sms, result in failed:
            sms_sudo = sms.sudo().with_context(  # sudo: the queue's own records
                sms_skip_msg_notification=True
            )  # sudo: the queue's own records
            # Odoo's notifications know more failure types (delivery errors) than sms.sms does.
            notification_type = result["failure_type"]
            if notification_type not in dict(self.env["mail.notification"]._fields["failure_type"].selection):
                notification_type = "unknown"
            failure_type = result["failure_type"]
            if failure_type not in dict(self._fields["failure_type"].selection):
                failure_type = "unknown"
            sms_sudo.sms_tracker_id._action_update_from_sms_state(
                "error", failure_type=notification_type, failure_reason=result["reason"]
            )
            sms_sudo.write(
                {
                    "state": "error",
                    "failure_type": failure_type,
                    **({"to_delete": True} if unlink_failed else {}),
                }
            )
            twilio_api.blacklist_if_opted_out(self.env, sms.number, result.get("error_code"))
            if log := logs.get(sms.uuid):
                state = "opted_out" if failure_type == "sms_blacklist" else "failed"
                log._paylink_set_state(
                    state, failure_reason=result["reason"], error_code=result.get("error_code") or False
                )
                log._paylink_note_failure()
            _logger.info("SMS %s not sent through Twilio: %s", sms.id, result["reason"])

    def _paylink_retry_delays(self):
        """Seconds between attempts on 429/5xx; an override point (the tests shorten them)."""
        return const.TWILIO_RETRY_DELAYS
