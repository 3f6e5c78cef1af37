from odoo import _, api, fields, models


class AccountPaymentLinkSendMixin(models.AbstractModel):
    """What the wizards that send payment links share: whether their user may text the links of
    their company now, and why not."""

    _name = "account.payment.link.send.mixin"
    _description = "Payment Link Sending Wizard"

    company_id = fields.Many2one("res.company")
    sms_unavailable_reason = fields.Char(
        string="Why SMS Cannot Be Sent", compute="_compute_sms_unavailable_reason"
    )

    @api.depends(
        "company_id.paylink_sms_gateway",
        "company_id.paylink_twilio_account_sid",
        "company_id.paylink_twilio_auth_token",
        "company_id.paylink_twilio_sender",
    )
    @api.depends_context("uid")
    def _compute_sms_unavailable_reason(self):
        # The right itself is enforced by the record rules on the sending log and bulk sendings;
        # this only keeps the SMS channel unticked, with the reason, for those who may not text.
        may_send_sms = self.env.user.has_group("account_payment_link.group_paylink_sms")
        for wizard in self:
            if not may_send_sms:
                reason = _("You are not allowed to send SMS; ask an administrator for the SMS sender right.")
            else:
                reason = wizard.company_id._paylink_get_sms_gateway_problem() if wizard.company_id else False
            wizard.sms_unavailable_reason = reason
