from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..controllers.twilio import PaymentLinkTwilioController


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    paylink_payment_status = fields.Char(string="Link Payments", compute="_compute_paylink_payment_status")
    paylink_stripe_provider_id = fields.Many2one(
        "payment.provider", string="Stripe Provider", compute="_compute_paylink_payment_status"
    )
    paylink_stripe_status = fields.Char(string="Stripe Status", compute="_compute_paylink_payment_status")
    paylink_payment_check_result = fields.Html(related="company_id.paylink_payment_check_result")
    paylink_twilio_check_result = fields.Html(related="company_id.paylink_twilio_check_result")
    paylink_sms_gateway = fields.Selection(related="company_id.paylink_sms_gateway", readonly=False)
    paylink_sms_concurrency = fields.Integer(related="company_id.paylink_sms_concurrency", readonly=False)
    paylink_odoo_twilio_installed = fields.Boolean(
        string="Odoo's Twilio Module Installed", compute="_compute_paylink_odoo_twilio_installed"
    )
    paylink_twilio_account_sid = fields.Char(related="company_id.paylink_twilio_account_sid", readonly=False)
    paylink_twilio_auth_token = fields.Char(related="company_id.paylink_twilio_auth_token", readonly=False)
    paylink_twilio_sender = fields.Char(related="company_id.paylink_twilio_sender", readonly=False)
    paylink_twilio_inbound_url = fields.Char(
        string="Twilio Incoming Messages URL", compute="_compute_paylink_twilio_inbound_url"
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
    paylink_tips_link_types = fields.Selection(related="company_id.paylink_tips_link_types", readonly=False)
    paylink_tip_custom = fields.Boolean(related="company_id.paylink_tip_custom", readonly=False)
    paylink_balance_partial = fields.Boolean(related="company_id.paylink_balance_partial", readonly=False)
    paylink_balance_minimum = fields.Monetary(related="company_id.paylink_balance_minimum", readonly=False)
    paylink_offer_saved_methods = fields.Boolean(
        related="company_id.paylink_offer_saved_methods", readonly=False
    )
    paylink_ask_sms_consent = fields.Boolean(related="company_id.paylink_ask_sms_consent", readonly=False)
    paylink_sms_consent_text = fields.Char(related="company_id.paylink_sms_consent_text", readonly=False)
    paylink_reminders_enabled = fields.Boolean(related="company_id.paylink_reminders_enabled", readonly=False)
    paylink_reminder_days = fields.Char(related="company_id.paylink_reminder_days", readonly=False)
    paylink_reminder_max = fields.Integer(related="company_id.paylink_reminder_max", readonly=False)
    paylink_reminder_quiet_start = fields.Float(
        related="company_id.paylink_reminder_quiet_start", readonly=False
    )
    paylink_reminder_quiet_end = fields.Float(related="company_id.paylink_reminder_quiet_end", readonly=False)
    paylink_notify_admins = fields.Boolean(related="company_id.paylink_notify_admins", readonly=False)
    paylink_send_receipt = fields.Boolean(related="company_id.paylink_send_receipt", readonly=False)
    paylink_tip_account_id = fields.Many2one(related="company_id.paylink_tip_account_id", readonly=False)

    @api.depends("company_id")
    def _compute_paylink_twilio_inbound_url(self):
        for settings in self:
            settings.paylink_twilio_inbound_url = (
                settings.company_id.get_base_url() + PaymentLinkTwilioController._inbound_url
            )

    @api.depends("company_id")
    def _compute_paylink_payment_status(self):
        for settings in self:
            company = settings.company_id
            providers = company._paylink_get_payment_providers()
            settings.paylink_payment_status = company._paylink_get_payment_unavailable_reason() or _(
                "Links take payments with: %(providers)s.", providers=", ".join(providers.mapped("name"))
            )
            stripe = company._paylink_get_stripe_provider()
            settings.paylink_stripe_provider_id = stripe
            stripe_status = stripe and stripe._paylink_get_status_text()
            # Each line once: Stripe's own line only when it says something the first did not.
            if stripe_status and stripe_status in settings.paylink_payment_status:
                stripe_status = False
            settings.paylink_stripe_status = stripe_status

    def action_paylink_open_provider(self):
        """Open the company's Stripe provider (where *Connect Stripe* is), else the providers."""
        self.ensure_one()
        stripe = self.company_id._paylink_get_stripe_provider()
        if stripe:
            return {
                "type": "ir.actions.act_window",
                "res_model": "payment.provider",
                "res_id": stripe.id,
                "view_mode": "form",
                "views": [(False, "form")],
            }
        return self.env["ir.actions.act_window"]._for_xml_id("payment.action_payment_provider")

    def action_paylink_check_payment_setup(self):
        """Check the Stripe provider's keys, webhook endpoint and payment methods with Stripe."""
        self.ensure_one()
        self.company_id._paylink_check_payment_setup()
        # The result is shown under the button (the settings form reloads its record, not the page).
        return True

    def set_values(self):
        """Override of `base` to refuse a half-filled Twilio setup: with Twilio as the
        gateway, every SMS would fail later."""
        res = super().set_values()
        if problem := self.company_id._paylink_get_sms_gateway_problem():
            raise ValidationError(problem)
        return res

    def action_paylink_test_twilio(self):
        """Check the Twilio credentials and sender with Twilio (saved first, as every settings
        button does); the result is shown under the button."""
        self.ensure_one()
        self.company_id._paylink_check_twilio()
        return True

    def _compute_paylink_odoo_twilio_installed(self):
        self.paylink_odoo_twilio_installed = self.env["res.company"]._paylink_odoo_twilio_installed()
