from odoo import _, api, fields, models

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
# Odoo's notification statuses, read as a message's state (an SMS's "sent" is Odoo's "delivered").
SMS_NOTIFICATION_STATES = {
    "ready": "outgoing", "process": "outgoing", "pending": "queued", "sent": "delivered",
}  # fmt: skip
EMAIL_NOTIFICATION_STATES = {"ready": "queued", "process": "queued", "pending": "queued", "sent": "sent"}
EMAIL_MAIL_STATES = {"outgoing": "queued", "sent": "sent", "received": "sent"}
FAILED_NOTIFICATION_STATES = ("exception", "bounce", "canceled")
OPTED_OUT_FAILURES = ("sms_blacklist", "sms_optout")


class AccountPaymentLinkMessage(models.Model):
    """One sending of a payment link to one recipient: an SMS or an email.

    What became of it is Odoo's to know, and read from Odoo's records: an SMS's tracker
    (``sms.tracker``, with Twilio's last status on it) and its notification, an email's
    notification (``mail.notification``: sent, failed, bounced), or, for an email to an address
    typed for one sending, its ``mail.mail``. The log keeps what Odoo has no place for: the number
    or address at the time, a refusal before anything was queued (an invalid or opted-out number, a
    reminder not sent), the bulk sending and the reminder step it belongs to; its ``state`` is
    that refusal, or Odoo's state (a stored compute, so the link's *Last Sent*, the bulk counts and
    the "do not send twice" window search it).
    """

    _name = "account.payment.link.message"
    _description = "Payment Link Message"
    _order = "id desc"
    _check_company_auto = True

    link_id = fields.Many2one("account.payment.link", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="link_id.company_id", store=True, index=True)
    channel = fields.Selection([("sms", "SMS"), ("email", "Email")], required=True)
    recipient = fields.Char(required=True, help="The mobile number in E.164, or the email address.")
    # Odoo's records of the sending (searched by Odoo's recomputation as they change: indexed).
    sms_tracker_id = fields.Many2one(
        "sms.tracker", string="SMS Tracker", readonly=True, ondelete="set null", index="btree_not_null"
    )
    mail_notification_id = fields.Many2one(
        "mail.notification", string="Notification", readonly=True, ondelete="set null",
        index="btree_not_null", help="Odoo's notification of the SMS or the email (the chatter's icon).",
    )  # fmt: skip
    mail_mail_id = fields.Many2one(
        "mail.mail", string="Email", readonly=True, ondelete="set null", index="btree_not_null",
        help="An email to an address typed for one sending (no contact, so no notification).",
    )  # fmt: skip
    # What the log says without Odoo's records: a refusal before sending, given on creation.
    initial_state = fields.Selection(SMS_STATES, required=True, default="outgoing", readonly=True)
    initial_failure_reason = fields.Char(readonly=True)
    # Odoo's state of the sending, or the initial one.
    state = fields.Selection(SMS_STATES, compute="_compute_state", store=True, precompute=True)
    failure_reason = fields.Char(compute="_compute_state", store=True, precompute=True)
    error_code = fields.Char(string="Twilio Error", related="sms_tracker_id.paylink_error_code")
    # Unique below: the constraint's index serves the lookups by UUID.
    sms_uuid = fields.Char(string="SMS UUID", readonly=True, copy=False)
    twilio_sid = fields.Char(string="Twilio SID", related="sms_tracker_id.paylink_twilio_sid")
    mail_message_id = fields.Many2one("mail.message", readonly=True, ondelete="set null")
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

    @api.model_create_multi
    def create(self, vals_list):
        # What became of a sending is Odoo's to say (or the initial state's): never given.
        for vals in vals_list:
            vals.pop("state", None)
            vals.pop("failure_reason", None)
        return super().create(vals_list)

    # === COMPUTE METHODS === #

    # Each dependency costs Odoo a search whenever one of those records changes (the mail queue
    # writes each email's notification twice): the SMS's notification is linked directly rather
    # than through its tracker, and a typed address's email (its state, no notification) is
    # recomputed by mail.mail._postprocess_sent_message for those emails only, not for every
    # email the queue sends (measured with bench/bench_send.py: 10 queries per email otherwise).
    @api.depends(
        "sms_tracker_id.paylink_twilio_state",
        "mail_notification_id.notification_status",
        "mail_notification_id.failure_type",
        "mail_notification_id.failure_reason",
        "mail_mail_id",
        "initial_state",
        "initial_failure_reason",
    )
    def _compute_state(self):
        """Read the state from Odoo's records of the sending; a log without them (a refusal before
        sending, an email to a contact who gets no email notification) says its initial state."""
        labels = dict(self.env["mail.notification"]._fields["failure_type"]._description_selection(self.env))
        for log in self:
            notification = log.mail_notification_id
            if notification.notification_status in FAILED_NOTIFICATION_STATES:
                twilio_state = log.sms_tracker_id.paylink_twilio_state
                if notification.failure_type in OPTED_OUT_FAILURES:
                    log.state = "opted_out"
                elif twilio_state in FAILED_STATES:
                    log.state = twilio_state
                else:
                    log.state = "failed"
                log.failure_reason = (
                    notification.failure_reason or labels.get(notification.failure_type) or False
                )
            elif log.sms_tracker_id.paylink_twilio_state:
                log.state = log.sms_tracker_id.paylink_twilio_state
                log.failure_reason = False
            elif notification.notification_status:
                states = SMS_NOTIFICATION_STATES if log.sms_tracker_id else EMAIL_NOTIFICATION_STATES
                log.state = states.get(notification.notification_status, log.initial_state)
                log.failure_reason = False
            elif log.mail_mail_id.state:
                log.state = EMAIL_MAIL_STATES.get(log.mail_mail_id.state, "failed")
                log.failure_reason = (log.state == "failed" and log.mail_mail_id.failure_reason) or False
            else:
                log.state = log.initial_state
                log.failure_reason = log.initial_failure_reason

    # === BUSINESS METHODS === #

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
