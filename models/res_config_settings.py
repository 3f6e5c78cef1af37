from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    paylink_stripe_publishable_key = fields.Char(
        related="company_id.paylink_stripe_publishable_key", readonly=False
    )
    paylink_stripe_secret_key = fields.Char(related="company_id.paylink_stripe_secret_key", readonly=False)
    paylink_stripe_webhook_secret = fields.Char(
        related="company_id.paylink_stripe_webhook_secret", readonly=False
    )
    paylink_twilio_account_sid = fields.Char(related="company_id.paylink_twilio_account_sid", readonly=False)
    paylink_twilio_auth_token = fields.Char(related="company_id.paylink_twilio_auth_token", readonly=False)
    paylink_twilio_sender = fields.Char(related="company_id.paylink_twilio_sender", readonly=False)
