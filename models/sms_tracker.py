from datetime import timedelta

from odoo import api, fields, models

from .. import const
from ..tools import twilio_api
from ..tools.twilio_api import TwilioApi
from .account_payment_link_message import FAILED_STATES, SMS_STATES, STATE_RANK


class SmsTracker(models.Model):
    """Odoo's tracker of an SMS (it outlives the ``sms.sms``, deleted once sent), extended with what
    Twilio's status callbacks need: the message's SID, the company whose account sent it, and the
    last state Twilio reported. Every SMS the Twilio gateway sends has one, whatever app sent it."""

    _inherit = "sms.tracker"

    paylink_company_id = fields.Many2one(
        "res.company", string="Sent Through", readonly=True, ondelete="set null",
        help="The company whose Twilio account sent the SMS (its callbacks are signed with it).",
    )  # fmt: skip
    paylink_twilio_sid = fields.Char(string="Twilio SID", readonly=True, index="btree_not_null")
    paylink_twilio_state = fields.Selection(SMS_STATES, string="Twilio Status", readonly=True)
    paylink_error_code = fields.Char(string="Twilio Error", readonly=True)
    paylink_message_ids = fields.One2many(
        "account.payment.link.message", "sms_tracker_id", string="Payment Link Messages"
    )

    @api.autovacuum
    def _gc_paylink_trackers(self, max_age_days=180):
        """Odoo's trackers go with their notification (Odoo's vacuum keeps a read notification
        180 days). The gateway's own trackers, of SMS sent without a notification (a mass sending
        without log), go after the same time: Twilio's last status came long before."""
        trackers = self.search(
            [
                ("mail_notification_id", "=", False),
                ("paylink_company_id", "!=", False),
                ("create_date", "<", fields.Datetime.now() - timedelta(days=max_age_days)),
            ],
            limit=models.GC_UNLINK_LIMIT,
        )
        if len(trackers) >= models.GC_UNLINK_LIMIT:
            self.env.ref("base.autovacuum_job")._trigger()
        return trackers.unlink()

    def _paylink_apply_twilio_status(self, status, error_code=None, number=None):
        """Apply a status callback of Twilio to this SMS: Odoo's notification (the chatter's SMS
        icon; a payment link's *Messages Sent* reads it), a note in the link's chatter when a
        link's SMS did not reach the customer, and Odoo's blacklist on Twilio's opted-out error. A
        status never moves an SMS back ("sent" after "delivered").

        :param str status: Twilio's ``MessageStatus``.
        :param error_code: Twilio's ``ErrorCode`` for undelivered and failed messages.
        :param str number: the recipient (Twilio's ``To``), for the blacklist.
        :return: ``False`` for a status we do not know (the caller answers 404), else ``True``.
        """
        self.ensure_one()
        state = const.TWILIO_STATUS_TO_STATE.get(status)
        if not state:
            return False
        if self.paylink_twilio_state and STATE_RANK[state] <= STATE_RANK[self.paylink_twilio_state]:
            return True
        self.write({"paylink_twilio_state": state, "paylink_error_code": error_code or False})
        if state in FAILED_STATES:
            failure_type, reason = TwilioApi.get_error(error_code, self.env.lang or "en_US")
            if failure_type == "unknown":
                failure_type = "sms_not_delivered"
            self._action_update_from_sms_state("error", failure_type=failure_type, failure_reason=reason)
            for log in self.paylink_message_ids:
                log._paylink_note_failure()
        elif state in ("sent", "delivered"):
            # Odoo's words: "pending" is sent, "sent" is delivered.
            self._action_update_from_sms_state("pending" if state == "sent" else "sent")
        self.mail_notification_id.mail_message_id._notify_message_notification_update()
        if number := number or self.paylink_message_ids[:1].recipient:
            twilio_api.blacklist_if_opted_out(self.env, number, error_code)
        return True
