from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from ..models.account_payment_link_message import FAILED_STATES
from ..tools.sms_text import check_sms_number, count_segments

NOTE_MAX_LENGTH = 160


class AccountPaymentLinkSend(models.TransientModel):
    """Send one payment link by SMS, by email, or both."""

    _name = "account.payment.link.send"
    _inherit = ["account.payment.link.send.mixin"]
    _description = "Send Payment Link"

    link_id = fields.Many2one("account.payment.link", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="link_id.company_id")
    partner_id = fields.Many2one("res.partner", compute="_compute_recipients", store=True, readonly=False)
    link_url = fields.Char(related="link_id.url")
    amount = fields.Monetary(related="link_id.amount", currency_field="currency_id")
    currency_id = fields.Many2one(related="link_id.currency_id")

    channel_sms = fields.Boolean(string="By SMS", compute="_compute_channel_sms", store=True, readonly=False)
    channel_email = fields.Boolean(
        string="By Email", compute="_compute_channel_email", store=True, readonly=False
    )

    sms_number = fields.Char(string="Mobile", compute="_compute_recipients", store=True, readonly=False)
    sms_number_warning = fields.Char(compute="_compute_sms_number_warning")
    save_number = fields.Boolean(
        string="Save this number to the customer",
        help="Store the number as the customer's mobile, for the next SMS.",
    )
    email_to = fields.Char(string="Email", compute="_compute_recipients", store=True, readonly=False)
    note = fields.Char(
        string="Message",
        size=NOTE_MAX_LENGTH,
        help="An optional short message, added to the SMS and the email. The company name, the "
        "amount, the link and the opt-out wording are always included.",
    )
    sms_preview = fields.Text(string="SMS Preview", compute="_compute_sms_preview")
    sms_stats = fields.Char(compute="_compute_sms_preview")

    # === COMPUTE METHODS === #

    @api.depends("link_id")
    def _compute_recipients(self):
        for wizard in self:
            link = wizard.link_id
            if not link:
                wizard.partner_id = wizard.sms_number = wizard.email_to = False
                continue
            partner = link._paylink_get_recipient_partner()
            wizard.partner_id = partner
            wizard.sms_number = link._paylink_default_sms_number()
            wizard.email_to = partner.email or link.partner_id.email

    @api.depends("sms_unavailable_reason", "link_id")
    def _compute_channel_sms(self):
        for wizard in self:
            link = wizard.link_id
            wizard.channel_sms = bool(
                not wizard.sms_unavailable_reason and link and link._paylink_default_sms_number()
            )

    @api.depends("link_id")
    def _compute_channel_email(self):
        for wizard in self:
            link = wizard.link_id
            wizard.channel_email = bool(link and link._paylink_get_recipient_partner().email)

    @api.depends("sms_number", "channel_sms")
    def _compute_sms_number_warning(self):
        for wizard in self:
            warning = False
            if wizard.channel_sms and wizard.sms_number:
                warning = wizard._check_sms_number().reason
            wizard.sms_number_warning = warning

    @api.depends("link_id", "note")
    def _compute_sms_preview(self):
        for wizard in self:
            if not wizard.link_id:
                wizard.sms_preview = wizard.sms_stats = False
                continue
            body = wizard.link_id._paylink_get_sms_body(wizard.link_id, wizard.note)
            chars, segments, encoding = count_segments(body)
            wizard.sms_preview = body
            wizard.sms_stats = _(
                "%(chars)s characters, %(segments)s SMS (%(encoding)s)",
                chars=chars,
                segments=segments,
                encoding=encoding,
            )

    # === ACTION METHODS === #

    def action_send(self):
        """Check the recipients, send by the chosen channels, and say what was sent."""
        self.ensure_one()
        link = self.link_id
        link._paylink_check_sendable()
        if not (self.channel_sms or self.channel_email):
            raise UserError(_("Choose SMS, email or both."))
        sms_number = email_partner = False
        if self.channel_sms:
            check = self._check_sms_number()
            if check.failure_type not in (False, "sms_blacklist"):
                raise UserError(check.reason)
            sms_number = check.number
            recipient = self.partner_id or link._paylink_get_recipient_partner()
            if self.save_number and recipient.mobile != sms_number:
                recipient.mobile = sms_number
                recipient.message_post(
                    body=_("Mobile saved while sending payment link %(link)s.", link=link.name)
                )
        email_to = False
        if self.channel_email:
            email_partner = self._get_email_partner()
            if isinstance(email_partner, str):  # an address for this sending only
                email_partner, email_to = False, email_partner
        logs = link._paylink_send(
            sms_number=sms_number, email_partner=email_partner, note=self.note, email_to=email_to
        )
        return self._notify_result(logs)

    def _check_sms_number(self):
        recipient = self.partner_id or self.link_id._paylink_get_recipient_partner()
        return check_sms_number(recipient, self.sms_number, country=recipient.country_id)

    def _get_email_partner(self):
        """Return the partner to email (the invoice's address, or the customer's contact with the
        typed address), else the typed address itself (a string): it is emailed for this sending
        only, and no contact is made for it."""
        email = email_normalize(self.email_to or "")
        if not email:
            if not (self.email_to or "").strip():
                raise UserError(_("Enter the email address to send the link to."))
            raise UserError(_("%(email)s is not a valid email address.", email=self.email_to))
        partner = self.partner_id
        if partner and email_normalize(partner.email or "") == email:
            return partner
        customer = self.link_id.partner_id.commercial_partner_id
        existing = self.env["res.partner"].search(
            [("email_normalized", "=", email), ("id", "child_of", customer.id)], limit=1
        )
        return existing or email

    def _notify_result(self, logs):
        done, skipped = [], []
        for log in logs:
            if log.state in FAILED_STATES and log.channel == "sms":
                skipped.append(
                    _("SMS to %(to)s not sent: %(reason)s", to=log.recipient, reason=log.failure_reason)
                )
            elif log.state in FAILED_STATES:
                skipped.append(
                    _("Email to %(to)s not sent: %(reason)s", to=log.recipient, reason=log.failure_reason)
                )
            else:
                done.append(log.recipient)
        message = _("Payment link sent to %(recipients)s.", recipients=", ".join(done)) if done else ""
        if skipped:
            message = " ".join([message, *skipped]).strip()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Payment link %(link)s", link=self.link_id.name),
                "message": message,
                "type": "warning" if skipped else "success",
                "sticky": bool(skipped),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
