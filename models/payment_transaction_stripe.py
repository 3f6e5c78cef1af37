import logging

from odoo import _, models

from odoo.addons.payment import utils as payment_utils

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    """A link's payments through Odoo's Stripe provider: idempotent PaymentIntents, and what
    Stripe reports checked against what the link asked."""

    _inherit = "payment.transaction"

    def _stripe_create_intent(self):
        """Override of `payment_stripe` to give a link's PaymentIntent an idempotency key (see
        ``payment.provider._stripe_make_request``)."""
        if not self.paylink_id:
            return super()._stripe_create_intent()
        key = payment_utils.generate_idempotency_key(self, scope="payment_intents_paylink")
        return super(
            PaymentTransaction, self.with_context(paylink_intent_idempotency_key=key)
        )._stripe_create_intent()

    def _process_notification_data(self, notification_data):
        """Override of `payment_stripe` to refuse a link payment whose amount Stripe changed.

        What Stripe reports having charged must be what the transaction asked: otherwise the
        transaction is put in error, the link is flagged for review, and nothing is reconciled.
        """
        if self._paylink_stripe_already_done(notification_data):
            return
        if self._paylink_stripe_amount_mismatch(notification_data):
            return
        super()._process_notification_data(notification_data)

    def _paylink_stripe_already_done(self, notification_data):
        """Return whether this link transaction is done and Stripe reports its success again (a
        duplicate delivery, or payment_intent.succeeded after the return page): nothing to do."""
        self.ensure_one()
        intent = notification_data.get("payment_intent")
        return bool(
            self.provider_code == "stripe"
            and self.paylink_id
            and self.state == "done"
            and isinstance(intent, dict)
            and intent.get("status") == "succeeded"
        )

    def _paylink_stripe_amount_mismatch(self, notification_data):
        """Return whether the intent of ``notification_data`` differs from this link transaction.

        On a mismatch the transaction is set in error and its link flagged.
        """
        self.ensure_one()
        intent = notification_data.get("payment_intent")
        if (
            self.provider_code != "stripe"
            or not self.paylink_id
            or self.operation in ("refund", "validation")
            or not isinstance(intent, dict)
        ):
            return False
        expected = payment_utils.to_minor_currency_units(self.amount, self.currency_id)
        received = intent.get("amount_received") or intent.get("amount")
        received_currency = (intent.get("currency") or "").upper()
        if received == expected and received_currency == self.currency_id.name:
            return False
        message = _(
            "Stripe reported %(received)s %(received_currency)s (minor units) for %(reference)s where "
            "%(expected)s %(currency)s was expected. The payment was not recorded: check it in "
            "Stripe and record it by hand.",
            received=received,
            received_currency=received_currency or "?",
            reference=self.reference,
            expected=expected,
            currency=self.currency_id.name,
        )
        if self.state in ("done", "error"):
            # Already paid as asked, or already refused and flagged: nothing changes.
            _logger.warning("Transaction %s: ignored a later Stripe report of another amount", self.reference)
            return True
        # The customer reads the transaction's message; the details are for the accountant.
        self._set_error(
            _(
                "The payment could not be confirmed. Nothing more is needed from you: %(company)s "
                "will contact you.",
                company=self.company_id.name,
            )
        )
        self._paylink_flag_link(message)
        return True
