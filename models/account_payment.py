from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    # The tip is a write-off line of the payment (the company's tip account): said beside the
    # amount, on the payment and its receipt, so that the amount and what it paid add up.
    paylink_tip_amount = fields.Monetary(
        string="Tip",
        related="payment_transaction_id.paylink_tip_amount",
        help="The part of the amount the customer added as a tip on the payment link's page.",
    )
