from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from .account_payment_link_message import FAILED_STATES, SMS_STATES


class AccountPaymentLink(models.Model):
    """Sending a link: its log of messages, what the list shows of it (last sent, SMS status),
    and the send action."""

    _inherit = "account.payment.link"

    message_log_ids = fields.One2many(
        "account.payment.link.message", "link_id", string="Messages Sent", readonly=True
    )
    # Read from the sending log, not stored: the SMS and the mail queues, which run at the same
    # time in two cron workers, update the log's rows, never the link's (no write conflicts).
    last_sent_date = fields.Datetime(
        string="Last Sent",
        compute="_compute_sending_status",
        compute_sudo=True,
        search="_search_last_sent_date",
    )
    sms_state = fields.Selection(
        selection=SMS_STATES,
        string="SMS Status",
        compute="_compute_sending_status",
        compute_sudo=True,
        search="_search_sms_state",
        help="The status of the last SMS sent with this link, as Twilio reports it.",
    )
    sms_failure_reason = fields.Char(
        string="SMS Problem", compute="_compute_sending_status", compute_sudo=True
    )

    # === COMPUTE METHODS === #

    @api.depends("message_log_ids.state", "message_log_ids.failure_reason")
    def _compute_sending_status(self):
        for link in self:
            logs = link.message_log_ids.sorted("id")
            sent = logs.filtered(lambda log: log.state not in FAILED_STATES)
            last_sms = logs.filtered(lambda log: log.channel == "sms")[-1:]
            link.last_sent_date = max(sent.mapped("create_date"), default=False)
            link.sms_state = last_sms.state
            link.sms_failure_reason = last_sms.failure_reason

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        # Last Sent is read from the sending log (not stored, so that Odoo's SMS and mail queues
        # never write the link at once): the link list sorts by it all the same.
        if fname != "last_sent_date":
            return super()._field_to_sql(alias, fname, query, flush)
        Log = self.env["account.payment.link.message"]
        return SQL(
            "(SELECT MAX(log.create_date) FROM %s log WHERE log.link_id = %s AND log.state NOT IN %s)",
            SQL.identifier(Log._table),
            SQL.identifier(alias, "id"),
            tuple(FAILED_STATES),
            # A log is inserted when created; its state may change in the cache after.
            to_flush=Log._fields["state"] if flush else None,
        )

    def _search_last_sent_date(self, operator, value):
        """Links by *Last Sent*, in SQL as the list sorts and groups them (:meth:`_field_to_sql`)."""
        if operator not in ("=", "!=", "<", "<=", ">", ">="):
            raise UserError(
                _("Operation not supported on the last sent date: %(operator)s", operator=operator)
            )
        last_sent = self._field_to_sql("link", "last_sent_date")
        if value in (False, None):
            if operator not in ("=", "!="):
                raise UserError(
                    _("Operation not supported on the last sent date: %(operator)s", operator=operator)
                )
            condition = SQL("%s IS NULL" if operator == "=" else "%s IS NOT NULL", last_sent)
        else:
            # operator: one of the six above, never the caller's text.
            condition = SQL(f"%s {operator} %s", last_sent, fields.Datetime.to_datetime(value))
        return [
            (
                "id",
                "in",
                SQL("(SELECT link.id FROM %s link WHERE %s)", SQL.identifier(self._table), condition),
            )
        ]

    def _search_sms_state(self, operator, value):
        """Links whose last SMS is (``=``, ``in``) or is not (``!=``, ``not in``) in a state;
        ``False``: no SMS sent."""
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Operation not supported on the SMS status: %(operator)s", operator=operator))
        states = set(value) if isinstance(value, (list, tuple, set)) else {value}
        # sudo: the log is read only to pick links; the links' own rules apply to the result.
        Log = self.env["account.payment.link.message"].sudo()
        groups = Log._read_group([("channel", "=", "sms")], ["link_id"], ["id:max"])
        last_ids = [log_id for _link, log_id in groups]
        matching = Log.search_fetch(
            [("id", "in", last_ids), ("state", "in", list(states - {False}))], ["link_id"]
        )
        domain = [("id", "in", matching.link_id.ids)]
        if False in states:
            domain = expression.OR([domain, [("id", "not in", [link.id for link, _log_id in groups])]])
        return domain if operator in ("=", "in") else ["!", *domain]

    # === ACTION METHODS === #

    def action_send(self):
        """Open the send wizard for this link."""
        self.ensure_one()
        if self.state != "active":
            raise UserError(_("Only active links can be sent (%(link)s is not).", link=self.name))
        if self.link_type == "invoice":
            self.move_id._paylink_check_payable()
        return {
            "type": "ir.actions.act_window",
            "name": _("Send Payment Link"),
            "res_model": "account.payment.link.send",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_link_id": self.id},
        }

    # === BUSINESS METHODS - SENDING === #

    def _paylink_get_recipient_partner(self):
        # An invoice's link is addressed to the invoice's contact.
        return self.move_id.partner_id or self.partner_id

    def _paylink_send(self, sms_number=False, email_partner=False, note=False, **kwargs):
        """Send the link from its invoice's chatter, else its own; see ``_paylink_send_link``.

        :raise UserError: for an invoice that cannot be paid now (blocked, paid, cancelled since).
        """
        self.ensure_one()
        if self.link_type == "invoice":
            self.move_id._paylink_check_payable()
        return (self.move_id or self)._paylink_send_link(self, sms_number, email_partner, note, **kwargs)
