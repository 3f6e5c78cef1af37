from odoo import _, api, fields, models

from .. import const
from ..tools import twilio_api
from ..tools.twilio_api import TwilioApi

SMS_STATES = [
    ("outgoing", "In Queue"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("undelivered", "Undelivered"),
    ("failed", "Failed"),
    ("opted_out", "Opted Out"),
]
# A status never moves a message back: "sent" arriving after "delivered" changes nothing. Twilio's
# statuses are ranked through the state they map to (const.TWILIO_STATUS_TO_STATE).
STATE_RANK = {
    "outgoing": 0,
    "queued": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "opted_out": 3,
}
FAILED_STATES = ("undelivered", "failed", "opted_out")


class AccountPaymentLinkMessage(models.Model):
    """One sending of a payment link to one recipient: an SMS or an email.

    It outlives Odoo's ``sms.sms`` (deleted once sent) so that Twilio's status callbacks, the
    link's status, the invoice and the "do not send twice" window all read from one place.
    """

    _name = "account.payment.link.message"
    _description = "Payment Link Message"
    _order = "id desc"
    _check_company_auto = True

    link_id = fields.Many2one("account.payment.link", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="link_id.company_id", store=True, index=True)
    channel = fields.Selection([("sms", "SMS"), ("email", "Email")], required=True)
    recipient = fields.Char(required=True, help="The mobile number in E.164, or the email address.")
    state = fields.Selection(SMS_STATES, required=True, default="outgoing")
    failure_reason = fields.Char(readonly=True)
    error_code = fields.Char(string="Twilio Error", readonly=True)
    # Unique below: the constraint's index serves the lookups by UUID.
    sms_uuid = fields.Char(string="SMS UUID", readonly=True, copy=False)
    twilio_sid = fields.Char(string="Twilio SID", index="btree_not_null", readonly=True, copy=False)
    # Searched for every email the mail queue sends (mail.mail._postprocess_sent_message).
    mail_message_id = fields.Many2one(
        "mail.message", readonly=True, ondelete="set null", index="btree_not_null"
    )
    user_id = fields.Many2one("res.users", string="Sent By", default=lambda self: self.env.user)
    batch_id = fields.Many2one(
        "account.payment.link.batch", string="Bulk Sending", readonly=True, ondelete="set null",
        index="btree_not_null",
    )  # fmt: skip
    # Indexed by the unique index below (its first column).
    reminder_move_id = fields.Many2one(
        "account.move", string="Reminder Of", readonly=True, ondelete="cascade"
    )
    reminder_day = fields.Integer(
        readonly=True, help="The reminder's day, counted from the invoice's due date."
    )

    _sql_constraints = [
        ("sms_uuid_unique", "UNIQUE(sms_uuid)", "An SMS is logged once."),
    ]

    def init(self):
        # Each reminder step of an invoice is sent once, even by two cron runs at the same time.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS account_payment_link_message_reminder_once
                ON account_payment_link_message (reminder_move_id, reminder_day)
             WHERE reminder_move_id IS NOT NULL
            """
        )

    # === BUSINESS METHODS === #

    def _paylink_set_state(self, state, failure_reason=False, error_code=False, twilio_sid=None):
        """Move each message to ``state`` unless that would be a step back; update its link.

        :return: the messages that changed.
        """
        changed = self.browse()
        for message in self:
            if STATE_RANK[state] <= STATE_RANK[message.state]:
                # A callback may have overtaken the gateway: keep its state, still learn the SID.
                if twilio_sid and not message.twilio_sid:
                    message.twilio_sid = twilio_sid
                continue
            values = {"state": state, "failure_reason": failure_reason, "error_code": error_code}
            if twilio_sid:
                values["twilio_sid"] = twilio_sid
            message.write(values)
            changed |= message
        return changed

    def _paylink_apply_twilio_status(self, status, error_code=None):
        """Apply a status callback of Twilio to this link's SMS (its log, and a note on a failure);
        Odoo's notification is the tracker's (:meth:`sms.tracker._paylink_apply_twilio_status`).

        :param str status: Twilio's ``MessageStatus``, one of ``const.TWILIO_STATUS_TO_STATE``.
        :param error_code: Twilio's ``ErrorCode`` for undelivered and failed messages.
        """
        self.ensure_one()
        state = const.TWILIO_STATUS_TO_STATE[status]
        reason = False
        if state in FAILED_STATES:
            reason = TwilioApi.get_error(error_code, self.env.lang or "en_US")[1]
        if self._paylink_set_state(state, failure_reason=reason, error_code=error_code or False):
            if state in FAILED_STATES:
                self._paylink_note_failure()
            twilio_api.blacklist_if_opted_out(self.env, self.recipient, error_code)

    def _paylink_note_failure(self):
        """Say in the link's and the invoice's chatter that this SMS did not reach the customer."""
        self.ensure_one()
        body = _(
            "The SMS with the payment link to %(number)s was not delivered: %(reason)s",
            number=self.recipient,
            reason=self.failure_reason or _("no reason given"),
        )
        self.link_id.message_post(body=body)
        if self.link_id.move_id:
            self.link_id.move_id.message_post(body=body)

    @api.model
    def _paylink_was_sent_recently(self, links, channel, hours):
        """Return the links of ``links`` already sent by ``channel`` in the last ``hours`` hours."""
        if not hours or not links:
            return links.browse()
        since = fields.Datetime.subtract(fields.Datetime.now(), hours=hours)
        groups = self._read_group(
            [
                ("link_id", "in", links.ids),
                ("channel", "=", channel),
                ("state", "not in", FAILED_STATES),
                ("create_date", ">=", since),
            ],
            ["link_id"],
        )
        return links.browse([link.id for (link,) in groups])
