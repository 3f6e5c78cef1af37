from odoo import models
from odoo.exceptions import ValidationError


class AccountPaymentLink(models.Model):
    """What the customer may pay through a link now: the invoices it pays, why it cannot take a
    payment, the amount and the tips (the pay page's and the transaction route's rules)."""

    _inherit = "account.payment.link"

    # === BUSINESS METHODS - PAYMENT === #

    def _get_open_invoices(self):
        """Return the invoices the link pays: its invoice, or its customer's open invoices."""
        self.ensure_one()
        if self.link_type == "invoice":
            return self.move_id.filtered(lambda move: move._paylink_is_payable())
        if self.link_type == "balance":
            return self.partner_id._paylink_get_open_invoices(self.company_id)
        return self.env["account.move"]

    def _get_unavailable_reason(self):
        """Return why the link cannot take a payment now, in its customer's words, or ``False``."""
        self.ensure_one()
        env = self.env
        if self.state == "paid":
            return env._("This link has already been paid.")
        # The invoice's payable rule (account.move), in the customer's words.
        code = self.link_type == "invoice" and self.move_id._paylink_get_unpayable_code()
        invoice_reasons = {
            "draft": env._("This invoice is not confirmed yet."),
            "cancel": env._("This invoice has been cancelled."),
            "paid": env._("This invoice is already paid."),
        }
        if code in invoice_reasons:
            return invoice_reasons[code]
        # A payment on its way is what the customer must hear first, whatever happened since.
        if self.payment_pending:
            return env._(
                "Your payment is being processed. This page will show it as paid once the "
                "payment provider has confirmed it; no other payment is needed."
            )
        if code == "blocked":
            return env._("This invoice cannot be paid online for now. Please contact us about it.")
        if code or self.currency_id.compare_amounts(self.amount, 0.0) <= 0:
            return env._("There is nothing left to pay.")
        return False

    def _get_amount_to_pay(self):
        """Return what the customer pays now, before any tip: the discounted amount when an
        early-payment discount applies, else the amount due."""
        self.ensure_one()
        early_payment = self.move_id._paylink_get_early_payment() if self.link_type == "invoice" else {}
        return early_payment.get("amount_due", self.amount)

    def _get_tips_offered(self, unavailable_reason=None):
        """Return the tip percentages the link offers: none unless tips are enabled with an account
        to post them to, and something is due.

        :param unavailable_reason: :meth:`_get_unavailable_reason`, when already known.
        """
        self.ensure_one()
        if unavailable_reason is None:
            unavailable_reason = self._get_unavailable_reason()
        company = self.company_id
        if (
            not (company.paylink_tips_enabled and company.paylink_tip_account_id)
            or self.link_type == "custom"
            or unavailable_reason
        ):
            return []
        return company._paylink_get_tip_percentages()

    def _get_tip_amount(self, percent, amount, offered=None):
        """Return the tip for ``percent`` of ``amount``, computed here and never taken from the browser.

        :param percent: one of the company's tip percentages, or 0.
        :param offered: :meth:`_get_tips_offered`, when already known.
        :raise ValidationError: for a percentage the company does not offer.
        """
        self.ensure_one()
        if not percent:
            return 0.0
        if offered is None:
            offered = self._get_tips_offered()
        if float(percent) not in offered:
            raise ValidationError(self.env._("This tip is not offered."))
        return self.currency_id.round(amount * float(percent) / 100.0)
