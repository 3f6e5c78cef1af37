import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import NamedTuple

import requests
from twilio.base.exceptions import TwilioRestException
from werkzeug.urls import url_join

from odoo import api, fields, models
from odoo.tools.translate import LazyTranslate

from .. import const
from ..controllers.twilio import PaymentLinkTwilioController
from ..tools import twilio_api
from ..tools.cron_budget import cron_call_budget, report_progress
from ..tools.sms_text import check_sms_number
from ..tools.twilio_api import TwilioApi

_logger = logging.getLogger(__name__)

# SMS a call of the queue sends when the cron worker's poll has no time left (four windows of 8).
SMS_WHEN_POLL_SPENT = 32
_lt = LazyTranslate(__name__)


class _Outgoing(NamedTuple):
    sms: models.Model
    number: str
    body: str
    uuid: str
    attempts: int
    sending_since: datetime | bool


def _by_window(records, key, keys, size):
    """Return ``{record[key]: record}`` where each record prefetches only the records of its window
    of ``size`` keys (in the order of ``keys``), the windows the queue sends at once.

    After each commit the queue's cache is empty: a record prefetching the whole batch would read
    the whole batch again when touched (a run quadratic in its size), a record alone would cost a
    query each (3 per SMS: the SMS, its log and its tracker); its window reads them once.
    """
    by_key = {record[key]: record for record in records}
    result = {}
    for start in range(0, len(keys), size):
        window = [by_key[k] for k in keys[start : start + size] if k in by_key]
        ids = [record.id for record in window]
        result.update({record[key]: record.with_prefetch(ids) for record in window})
    return result


def _call_twilio(api, status_url, item, claimed, since):
    """Send one SMS in a worker thread (no database here), unless an earlier run had already
    handed it to Twilio: then find it there. Return :meth:`TwilioApi.send`'s result; an error is
    a result too, never an exception.

    Twilio unreachable while the SMS is looked up is transient: the SMS waits for the next run.
    Any other exception is this code's fault, not Twilio's: the SMS fails at once with its reason
    (the traceback in the log) instead of waiting for runs that would fail the same way.

    :param since: the time the SMS was marked as being sent (naive UTC), for looking it up after
        a 5xx that may hide an accepted message.
    """
    try:
        if item.sending_since:
            lookup_since = item.sending_since - timedelta(minutes=1)
            if sid := api.find_message(item.number, item.body, lookup_since, claimed):
                _logger.info("SMS %s: found at Twilio (%s), not sent again", item.uuid, sid)
                return {"ok": True, "sid": sid, "status": "queued"}
        return api.send(
            item.number,
            item.body,
            status_callback=f"{status_url}/{item.uuid}",
            since=since - timedelta(minutes=1),
            claimed=claimed,
        )
    except (TwilioRestException, requests.exceptions.RequestException) as error:
        _logger.warning("SMS %s: Twilio could not be reached, left for the next run: %s", item.uuid, error)
        return {"ok": False, "transient": True, "failure_type": "sms_server", "error_code": None,
                "reason": _lt("Twilio could not be reached.")._translate(api.lang)}  # fmt: skip
    except Exception as error:  # reported as a result: the main thread records it
        _logger.exception("SMS %s: the Twilio gateway failed; the SMS is not sent", item.uuid)
        reason = _lt(
            "The SMS could not be handed to Twilio (%(error)s); the server log has the details.",
            error=error.__class__.__name__,
        )._translate(api.lang)
        return {"ok": False, "transient": False, "failure_type": "unknown", "reason": reason,
                "error_code": None}  # fmt: skip


class SmsSms(models.Model):
    _inherit = "sms.sms"

    paylink_company_id = fields.Many2one(
        "res.company",
        string="Sending Company",
        compute="_compute_paylink_company_id",
        store=True,
        readonly=False,
        precompute=True,
        help="The company of the record the SMS is about (the company Odoo gives its message, "
        "whoever sends it, a cron included), else the sender's current company. SMS of a company "
        "with Twilio configured leave through its Twilio account.",
    )
    paylink_sending_since = fields.Datetime(
        string="Sent to Twilio At",
        copy=False,
        help="Set when the SMS is handed to Twilio; left set by a worker killed before Twilio's answer "
        "was recorded, so that the next run asks Twilio instead of sending it again.",
    )
    paylink_attempts = fields.Integer(
        string="Twilio Attempts",
        copy=False,
        help="Queue runs in which Twilio could not take this SMS (unreachable, 429, 5xx).",
    )

    @api.depends("mail_message_id")
    def _compute_paylink_company_id(self):
        for sms in self:
            sms.paylink_company_id = (
                sms.mail_message_id.record_company_id or sms.paylink_company_id or self.env.company
            )

    def send(self, unlink_failed=False, unlink_sent=True, auto_commit=False, raise_exception=False):
        # The Twilio gateway commits after each accepted SMS when the queue commits at all, and then
        # no new batch starts past the run's time budget (a batch of 500 at 8 at once takes ~13 s).
        deadline = time.monotonic() + cron_call_budget() if auto_commit else None
        this = self.with_context(paylink_sms_auto_commit=auto_commit, paylink_sms_deadline=deadline)
        return super(SmsSms, this).send(
            unlink_failed=unlink_failed,
            unlink_sent=unlink_sent,
            auto_commit=auto_commit,
            raise_exception=raise_exception,
        )

    def _split_batch(self):
        # Past the run's time budget no new batch starts (the first always does, cut to a window
        # when the poll's time is spent): the rest stays in the queue for the next call.
        deadline = self.env.context.get("paylink_sms_deadline")
        done = 0
        for index, batch_ids in enumerate(super()._split_batch()):
            spent = deadline is not None and time.monotonic() > deadline
            if not index and spent and len(batch_ids) > SMS_WHEN_POLL_SPENT:
                # The poll's time is spent already (other jobs used it): one window only, so that
                # the call still reports progress and Odoo's runner goes on in a new poll.
                _logger.info("SMS queue: the cron worker's time is spent, %d SMS only", SMS_WHEN_POLL_SPENT)
                yield batch_ids[:SMS_WHEN_POLL_SPENT]
                report_progress(
                    self.env,
                    "sms.ir_cron_sms_scheduler_action",
                    done=SMS_WHEN_POLL_SPENT,
                    remaining=len(self) - SMS_WHEN_POLL_SPENT,
                )
                return
            if index and spent:
                _logger.info("SMS queue: time budget spent, the rest is left for the next call")
                # Odoo's cron runner calls its SMS queue again at once for the rest.
                report_progress(
                    self.env, "sms.ir_cron_sms_scheduler_action", done=done, remaining=len(self) - done
                )
                return
            done += len(batch_ids)
            yield batch_ids

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
        """Hand this batch to Twilio, ``company.paylink_sms_concurrency`` messages at a time, and
        record each outcome as it comes.

        Numbers are checked first (E.164, mobile, not opted out): such SMS are never sent. When the
        queue commits (its cron, not a test), each window of SMS is marked "being sent" and
        committed before any leaves, and each accepted SMS is committed as soon as Twilio answers:
        a worker killed mid-batch loses nothing, and the next run asks Twilio whether the SMS it
        had in flight went out instead of sending them again. A 429 slows every call down; when
        Twilio stays unavailable after the retries, the rest of the batch waits in the queue for a
        later run, up to ``const.TWILIO_MAX_QUEUE_ATTEMPTS`` runs.
        """
        auto_commit = self._paylink_auto_commit()
        api = TwilioApi(company, retry_delays=self._paylink_retry_delays())
        status_url = url_join(company.get_base_url(), PaymentLinkTwilioController._status_url)
        blacklisted = set(
            self.env["phone.blacklist"]
            .sudo()  # sudo: only whether numbers opted out
            .search([("number", "in", self.mapped("number"))])
            .mapped("number")
        )
        concurrency = max(1, company.paylink_sms_concurrency)
        window_size = concurrency * 4
        trackers = self._paylink_read_trackers(window_size)
        sent, postponed = self.browse(), self.browse()
        todo, failed = self._paylink_prepare_outgoing(blacklisted, window_size)
        # SIDs already recorded: a lookup after a killed run never claims another SMS's message.
        # Only SIDs recorded since the earliest time a lookup may search from (find_message).
        since = min([item.sending_since for item in todo if item.sending_since] or [fields.Datetime.now()])
        numbers = {item.number for item in todo} | {item.sms.number for item in todo}
        claimed = set(
            self.env["sms.tracker"]
            .sudo()  # sudo: Odoo's technical trackers, kept by the queue
            .search(
                [
                    ("mail_notification_id.sms_number", "in", list(numbers)),
                    ("paylink_twilio_sid", "!=", False),
                    ("write_date", ">=", since - timedelta(minutes=2)),
                ]
            )
            .mapped("paylink_twilio_sid")
        )
        pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="paylink_twilio")
        pending = {}
        try:
            for start in range(0, len(todo), window_size):
                window = todo[start : start + window_size]
                # Marked before anything leaves, in the cron or not (an earlier run's mark, and what
                # it covers, stays): an SMS whose answer was lost is looked up, never sent again.
                marked_at = fields.Datetime.now()
                self.browse([item.sms.id for item in window if not item.sending_since]).write(
                    {"paylink_sending_since": marked_at}
                )
                # Each SMS has Odoo's tracker, with its company, before it leaves: Twilio's callbacks
                # find it (made here when the sending app made none, as a mass sending without log).
                missing = [item.uuid for item in window if item.uuid not in trackers]
                if missing:
                    # sudo: Odoo's technical trackers, kept by the queue
                    Tracker = self.env["sms.tracker"].sudo()
                    created = Tracker.create(
                        [{"sms_uuid": uuid, "paylink_company_id": company.id} for uuid in missing]
                    )
                    trackers.update({tracker.sms_uuid: tracker for tracker in created})
                if auto_commit:
                    self._paylink_commit()
                pending = {
                    pool.submit(
                        _call_twilio, api, status_url, item, claimed, item.sending_since or marked_at
                    ): item
                    for item in window
                }
                while pending:
                    done, _running = wait(pending, return_when=FIRST_COMPLETED)
                    accepted, held, refused = self._paylink_sort_answers(done, pending, trackers)
                    postponed |= held
                    failed += refused
                    if accepted and auto_commit:
                        self._paylink_record_results(accepted, [], unlink_failed, unlink_sent)
                        # Twilio took them: durable before anything else happens.
                        self._paylink_commit()
                    else:
                        sent |= accepted
                if postponed:
                    postponed |= self.browse([item.sms.id for item in todo[start + window_size :]])
                    break
        finally:
            # Killed or failing halfway: nothing more leaves (the calls not started are dropped).
            pool.shutdown(wait=True, cancel_futures=True)
        self._paylink_record_results(sent, failed, unlink_failed, unlink_sent)
        if postponed:
            # Their marks stay: a 5xx may hide an accepted SMS, which the next run looks up first.
            _logger.warning("Twilio unavailable: %d SMS left in the queue for a later run", len(postponed))
            cron = self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()  # sudo: re-trigger Odoo's SMS cron
            cron._trigger(fields.Datetime.now() + timedelta(minutes=const.TWILIO_QUEUE_RETRY_MINUTES))
        (self - postponed)._paylink_notify_message_update()

    def _paylink_read_trackers(self, window_size):
        """Return Odoo's trackers of the batch by SMS uuid, read once (each is written as Twilio
        takes its SMS), prefetching by window (see :func:`_by_window`)."""
        uuids = self.mapped("uuid")
        trackers = (
            self.env["sms.tracker"]
            .sudo()  # sudo: Odoo's technical trackers, kept by the queue
            .search([("sms_uuid", "in", uuids)])
        )
        return _by_window(trackers, "sms_uuid", uuids, window_size)

    def _paylink_notify_message_update(self):
        """Odoo's update of the web client's SMS statuses, for these SMS' messages."""
        messages = self.mail_message_id
        # Odoo's update reads each record's name alone (browse(res_id)): one query per SMS. Read
        # them at once for the batch: the update finds them in the cache.
        for model, model_messages in messages.grouped("model").items():
            if model:
                self.env[model].browse(model_messages.mapped("res_id")).mapped("display_name")
        messages._notify_message_notification_update()

    def _paylink_sort_answers(self, done, pending, trackers):
        """Sort Twilio's answers of the ``done`` futures (taken out of ``pending``).

        :return: ``(accepted, postponed, failed)``: the SMS Twilio took (their trackers now queued),
            those to send in a later run (Twilio down: the calls not started are cancelled), and
            ``(sms, result)`` of the refused ones.
        """
        accepted, postponed, failed = self.browse(), self.browse(), []
        for future in done:
            item = pending.pop(future)
            if future.cancelled():
                postponed |= item.sms  # never left: the next run sends it
                continue
            result = future.result()
            if result.get("ok"):
                item.sms._paylink_track_at_twilio(result["sid"], trackers[item.uuid])
                accepted |= item.sms
            elif result.get("transient") and item.attempts + 1 < const.TWILIO_MAX_QUEUE_ATTEMPTS:
                # Twilio is down: stop hammering it; what has not left waits for the next run. This
                # SMS was tried: one more run counted against it (those never tried are not).
                postponed |= item.sms
                item.sms.paylink_attempts = item.attempts + 1
                for other in pending:
                    other.cancel()
            else:
                failed.append((item.sms, result))
        return accepted, postponed, failed

    def _paylink_track_at_twilio(self, sid, tracker):
        """Record on Odoo's tracker of this SMS the message Twilio took (its SID, and "queued"
        unless a callback already told more): its status callbacks are checked against it."""
        self.ensure_one()
        tracker.write(
            {
                "paylink_company_id": self.paylink_company_id.id,
                "paylink_twilio_sid": sid,
                "paylink_twilio_state": tracker.paylink_twilio_state or "queued",
            }
        )

    def _paylink_prepare_outgoing(self, blacklisted, window_size):
        """Return ``(outgoing, refused)``: what can be sent, and ``(sms, result)`` of the numbers
        that cannot take an SMS. Each SMS prefetches only its window (see :func:`_by_window`)."""
        outgoing, refused = [], []
        windowed = _by_window(self, "uuid", self.mapped("uuid"), window_size)
        for sms in (windowed[uuid] for uuid in self.mapped("uuid")):
            check = check_sms_number(sms, sms.number, blacklist=blacklisted)
            if check.failure_type:
                refused.append(
                    (sms, {"failure_type": check.failure_type, "reason": check.reason, "error_code": None})
                )
                continue
            outgoing.append(_Outgoing(sms, check.number, sms.body, sms.uuid,
                                      sms.paylink_attempts, sms.paylink_sending_since))  # fmt: skip
        return outgoing, refused

    def _paylink_record_results(self, sent, failed, unlink_failed, unlink_sent):
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
            tracker = sms_sudo.sms_tracker_id
            if error_code := result.get("error_code"):
                tracker.paylink_error_code = error_code
            for log in tracker.paylink_message_ids:  # a payment link's SMS: said in its chatter
                log._paylink_note_failure()
            _logger.info("SMS %s not sent through Twilio: %s", sms.id, result["reason"])

    def _paylink_auto_commit(self):
        """Whether the queue commits as it goes (its cron does; a test or a caller's transaction
        does not)."""
        return bool(self.env.context.get("paylink_sms_auto_commit")) and not getattr(
            threading.current_thread(), "testing", False
        )

    def _paylink_commit(self):
        self.env.cr.commit()  # pylint: disable=invalid-commit

    def _paylink_retry_delays(self):
        """Seconds between attempts on 429/5xx; an override point (the tests shorten them)."""
        return const.TWILIO_RETRY_DELAYS
