from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _get_installments_data(self, payment_currency=None, payment_date=None, next_payment_date=None):
        """Override of `account` to read an invoice's installments and early-payment discount as
        of the day a link's customer paid (``paylink_payment_date`` in the context, set when the
        payment is recorded): a discount taken in time stays taken when the provider confirms the
        payment after the discount's date (a bank debit is pending for days)."""
        return super()._get_installments_data(
            payment_currency=payment_currency,
            payment_date=payment_date or self.env.context.get("paylink_payment_date"),
            next_payment_date=next_payment_date,
        )
