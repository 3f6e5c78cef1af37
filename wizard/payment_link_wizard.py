from odoo import _, models
from odoo.exceptions import UserError


class PaymentLinkWizard(models.TransientModel):
    """Odoo's *Generate a Payment Link*, on an invoice, makes this app's link: one mechanism for
    an invoice's links (their page, lifecycle, sending and list), whichever way it is opened."""

    _inherit = "payment.link.wizard"

    def action_paylink_create(self):
        """Make the invoice's payment link for the amount set: what is due, or an installment
        Odoo offers for it (the link's page offers the installments as Odoo's portal does); any
        other amount, the link asks for that part of what is due (a deposit, an agreed amount).

        :return: the notification of the new link, then its form; or the invoice's live link.
        """
        self.ensure_one()
        if self.res_model != "account.move":
            raise UserError(_("Only an invoice's payment link is made here."))
        # Odoo's own checks of the amount (nothing due, not positive, above what is due).
        if (
            self.amount_max <= 0
            or self.amount <= 0
            or self.currency_id.compare_amounts(self.amount, self.amount_max) > 0
        ):
            raise UserError(self.warning_message)
        move = self.env["account.move"].browse(self.res_id)
        next_payment = move._get_invoice_next_payment_values()
        offered = [move.amount_residual, self.amount_max, next_payment.get("amount_due") or 0.0,
                   next_payment.get("next_amount_to_pay") or 0.0]  # fmt: skip
        offered += [installment["amount"] for installment in self.open_installments or []]
        agreed = not any(self.currency_id.compare_amounts(self.amount, amount) == 0 for amount in offered)
        return move._paylink_open_for_amount(self.amount if agreed else False)
