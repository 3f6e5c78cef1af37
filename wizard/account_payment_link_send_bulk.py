from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.account_payment_link_batch import BATCH_SIZE


class AccountPaymentLinkSendBulk(models.TransientModel):
    """Send the payment links of the invoices selected in the list."""

    _name = "account.payment.link.send.bulk"
    _inherit = ["account.payment.link.send.mixin"]
    _description = "Send Payment Links"

    move_ids = fields.Many2many("account.move", string="Invoices", readonly=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, readonly=True)
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    channel_sms = fields.Boolean(string="By SMS", compute="_compute_channel_sms", store=True, readonly=False)
    channel_email = fields.Boolean(string="By Email", default=True)
    force = fields.Boolean(
        string="Send again to those already sent",
        help="Without it, links sent by the same channel within the resend window are skipped.",
    )
    resend_window_hours = fields.Integer(related="company_id.paylink_resend_window_hours")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "account.move" and "move_ids" in fields_list:
            values["move_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return values

    @api.depends("move_ids")
    def _compute_invoice_count(self):
        for wizard in self:
            wizard.invoice_count = len(wizard.move_ids)

    @api.depends("sms_unavailable_reason")
    def _compute_channel_sms(self):
        for wizard in self:
            wizard.channel_sms = wizard.channel_sms and not wizard.sms_unavailable_reason

    def action_send(self):
        """Queue a bulk sending; small ones are sent at once, larger ones by the cron in batches."""
        self.ensure_one()
        if not (self.channel_sms or self.channel_email):
            raise UserError(_("Choose SMS, email or both."))
        if self.channel_sms:
            self.company_id._paylink_check_sms_gateway()
        moves = self.move_ids.filtered(lambda move: move.move_type == "out_invoice")
        if not moves:
            raise UserError(_("Select customer invoices."))
        if len(moves.company_id) > 1:
            raise UserError(_("Send the links of one company at a time."))
        moves.company_id._paylink_check_payment_configured()
        batch = self.env["account.payment.link.batch"].create(
            {
                "name": _("Sending of %(count)s invoice(s) on %(date)s", count=len(moves),
                          date=fields.Datetime.to_string(fields.Datetime.now())[:16]),
                "company_id": moves.company_id.id,
                "move_ids": [fields.Command.set(moves.ids)],
                "total": len(moves),
                "channel_sms": self.channel_sms,
                "channel_email": self.channel_email,
                "force": self.force,
            }
        )  # fmt: skip
        if len(moves) <= BATCH_SIZE:
            batch._process(commit=lambda: None)
            return self._notify_done(batch)
        # sudo: waking the bulk-sending cron up; users may not read crons.
        self.env.ref("account_payment_link.ir_cron_paylink_send_batches").sudo()._trigger()
        return {
            "type": "ir.actions.act_window",
            "res_model": batch._name,
            "res_id": batch.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def _notify_done(self, batch):
        message = _(
            "%(sent)s sent, %(skipped)s skipped, %(failed)s not sent.",
            sent=batch.sent_count,
            skipped=batch.skipped_count,
            failed=batch.failed_count,
        )
        if batch.report:
            message = f"{message}\n{batch.report}"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Payment links"),
                "message": message,
                "type": "warning" if batch.failed_count else "success",
                "sticky": bool(batch.failed_count),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
