from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # === STRIPE === #
    paylink_stripe_publishable_key = fields.Char(
        string="Stripe Publishable Key",
        help="The key Stripe.js uses on the customer's pay page (pk_...).",
        copy=False,
    )
    paylink_stripe_secret_key = fields.Char(
        string="Stripe Secret Key",
        groups="base.group_system",
        copy=False,
    )
    paylink_stripe_webhook_secret = fields.Char(
        string="Stripe Webhook Signing Secret",
        groups="base.group_system",
        copy=False,
    )

    # === TWILIO === #
    paylink_twilio_account_sid = fields.Char(
        string="Twilio SMS Account SID",
        groups="base.group_system",
        copy=False,
    )
    paylink_twilio_auth_token = fields.Char(
        string="Twilio SMS Auth Token",
        groups="base.group_system",
        copy=False,
    )
    paylink_twilio_sender = fields.Char(
        string="Twilio SMS Sender",
        help="A phone number in E.164 format (+15551234567) or a Messaging Service SID (MG...).",
        copy=False,
    )
