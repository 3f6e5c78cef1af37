import stripe

from odoo import _, api, fields, models

from ..tools import stripe_api

WEBHOOK_ROUTE = "/paylink/stripe/webhook"
TWILIO_INBOUND_ROUTE = "/paylink/twilio/inbound"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    paylink_stripe_publishable_key = fields.Char(
        related="company_id.paylink_stripe_publishable_key", readonly=False
    )
    paylink_stripe_secret_key = fields.Char(related="company_id.paylink_stripe_secret_key", readonly=False)
    paylink_stripe_webhook_secret = fields.Char(
        related="company_id.paylink_stripe_webhook_secret", readonly=False
    )
    paylink_stripe_webhook_url = fields.Char(
        string="Stripe Webhook URL", compute="_compute_paylink_stripe_webhook_url"
    )
    paylink_twilio_account_sid = fields.Char(related="company_id.paylink_twilio_account_sid", readonly=False)
    paylink_twilio_auth_token = fields.Char(related="company_id.paylink_twilio_auth_token", readonly=False)
    paylink_twilio_sender = fields.Char(related="company_id.paylink_twilio_sender", readonly=False)
    paylink_twilio_inbound_url = fields.Char(
        string="Twilio Incoming Messages URL", compute="_compute_paylink_stripe_webhook_url"
    )
    paylink_auto_create = fields.Boolean(related="company_id.paylink_auto_create", readonly=False)
    paylink_auto_send = fields.Boolean(related="company_id.paylink_auto_send", readonly=False)
    paylink_auto_send_sms = fields.Boolean(related="company_id.paylink_auto_send_sms", readonly=False)
    paylink_auto_send_email = fields.Boolean(related="company_id.paylink_auto_send_email", readonly=False)
    paylink_resend_window_hours = fields.Integer(
        related="company_id.paylink_resend_window_hours", readonly=False
    )
    paylink_expiry_days = fields.Integer(related="company_id.paylink_expiry_days", readonly=False)
    paylink_tips_enabled = fields.Boolean(related="company_id.paylink_tips_enabled", readonly=False)
    paylink_tip_percentages = fields.Char(related="company_id.paylink_tip_percentages", readonly=False)
    paylink_allow_save_card = fields.Boolean(related="company_id.paylink_allow_save_card", readonly=False)
    paylink_ask_sms_consent = fields.Boolean(related="company_id.paylink_ask_sms_consent", readonly=False)
    paylink_sms_consent_text = fields.Char(related="company_id.paylink_sms_consent_text", readonly=False)
    paylink_notify_admins = fields.Boolean(related="company_id.paylink_notify_admins", readonly=False)
    paylink_send_receipt = fields.Boolean(related="company_id.paylink_send_receipt", readonly=False)
    paylink_journal_id = fields.Many2one(related="company_id.paylink_journal_id", readonly=False)
    paylink_tip_account_id = fields.Many2one(related="company_id.paylink_tip_account_id", readonly=False)

    @api.depends("company_id")
    def _compute_paylink_stripe_webhook_url(self):
        for settings in self:
            base_url = settings.company_id.get_base_url()
            settings.paylink_stripe_webhook_url = base_url + WEBHOOK_ROUTE
            settings.paylink_twilio_inbound_url = base_url + TWILIO_INBOUND_ROUTE

    def action_paylink_check_stripe(self):
        """Ask Stripe for the account's balance with the saved key and say whether it worked."""
        self.ensure_one()
        company = self.company_id
        if not company._paylink_is_stripe_configured():
            return self._paylink_notify(
                _("Add the publishable and the secret key first, then save."), "warning"
            )
        try:
            stripe_api.get_client(company).v1.balance.retrieve()
        except stripe.AuthenticationError:
            return self._paylink_notify(_("Stripe refused the secret key."), "danger")
        except stripe.StripeError as error:
            return self._paylink_notify(
                _("Could not reach Stripe: %(error)s", error=error.user_message or str(error)), "danger"
            )
        return self._paylink_notify(_("Stripe accepted the secret key."), "success")

    def _paylink_notify(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": _("Stripe connection"), "message": message, "type": kind, "sticky": False},
        }
