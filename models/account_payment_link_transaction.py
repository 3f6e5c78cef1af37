import hashlib
import logging

from odoo import SUPERUSER_ID, _, api, fields, models

from ..tools import stripe_api
from odoo.addons.payment import utils as payment_utils

_logger = logging.getLogger(__name__)


class AccountPaymentLinkTransaction(models.Model):
    """One attempt to pay a link: a Stripe PaymentIntent and what we expect from it."""

    _name = "account.payment.link.transaction"
    _description = "Payment Link Transaction"
    _order = "id desc"

    link_id = fields.Many2one("account.payment.link", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="link_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="link_id.partner_id", store=True)
    currency_id = fields.Many2one("res.currency", required=True)
    amount = fields.Monetary(string="Amount Paid", required=True, help="Without the tip.")
    tip_amount = fields.Monetary()
    tip_percent = fields.Float()
    amount_total = fields.Monetary(compute="_compute_amount_total", store=True)
    amount_minor = fields.Integer(
        string="Amount in Minor Units", required=True, help="What Stripe is asked to charge."
    )
    stripe_intent_id = fields.Char(string="PaymentIntent", index=True, copy=False)
    idempotency_key = fields.Char(required=True, copy=False)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("mismatch", "Amount mismatch"),
        ],
        default="pending",
        required=True,
        index=True,
    )
    save_card = fields.Boolean()
    stripe_customer_id = fields.Char(readonly=True)
    payment_id = fields.Many2one("account.payment", readonly=True)
    last_error = fields.Char()

    _sql_constraints = [
        ("stripe_intent_unique", "UNIQUE(stripe_intent_id)", "A PaymentIntent is paid once."),
        ("idempotency_key_unique", "UNIQUE(idempotency_key)", "An attempt is made once."),
    ]

    @api.depends("amount", "tip_amount")
    def _compute_amount_total(self):
        for tx in self:
            tx.amount_total = tx.amount + tx.tip_amount

    # === CREATION === #

    @api.model
    def _paylink_start(self, link, card_reference, tip_percent=0.0, save_card=False):
        """Create and confirm a PaymentIntent for ``link`` with the card the customer entered.

        The idempotency key is derived from the link, the one-time card reference and the amount,
        so a request that Odoo replays (after a serialization failure) or that the customer
        resends reuses the same attempt instead of charging twice.

        :param link: the sudo'd link.
        :param str card_reference: the card token (``tok_...``) or PaymentMethod from Stripe.js.
        :param float tip_percent: one of the company's tip percentages, or 0.
        :return: ``(transaction, intent)``.
        :raise PaylinkStripeError: when Stripe refuses or cannot be reached.
        """
        amount = link.amount
        currency = link.currency_id
        tip_amount = link._paylink_compute_tip(tip_percent)
        total = currency.round(amount + tip_amount)
        amount_minor = payment_utils.to_minor_currency_units(total, currency)
        key = hashlib.sha256(f"{link.id}:{card_reference}:{amount_minor}".encode()).hexdigest()[:40]
        tx = self.search([("idempotency_key", "=", key)], limit=1)
        if tx and tx.stripe_intent_id:
            intent = stripe_api.call(
                link.company_id, lambda client: client.v1.payment_intents.retrieve(tx.stripe_intent_id)
            )
            tx._paylink_apply_intent(intent)
            return tx, intent
        tx = tx or self.create(
            {
                "link_id": link.id,
                "currency_id": currency.id,
                "amount": amount,
                "tip_amount": tip_amount,
                "tip_percent": tip_percent,
                "amount_minor": amount_minor,
                "idempotency_key": key,
                "save_card": save_card,
            }
        )
        params = tx._prepare_intent_params(card_reference)
        intent = stripe_api.call(
            link.company_id,
            lambda client: client.v1.payment_intents.create(
                params=params, options={"idempotency_key": f"paylink-{key}"}
            ),
        )
        tx.stripe_intent_id = intent.id
        tx._paylink_apply_intent(intent)
        return tx, intent

    def _prepare_intent_params(self, card_reference):
        """Return the PaymentIntent creation parameters; an override point."""
        self.ensure_one()
        params = {
            "amount": self.amount_minor,
            "currency": self.currency_id.name.lower(),
            "confirm": True,
            "metadata": {
                "paylink_id": str(self.link_id.id),
                "paylink_transaction_id": str(self.id),
                "company_id": str(self.company_id.id),
            },
        }
        if self.save_card:
            # The card is kept by Stripe on the customer's Stripe Customer, never by Odoo.
            params["customer"] = self.partner_id._paylink_get_stripe_customer(self.company_id)
        if card_reference.startswith("tok_"):
            params["payment_method_data"] = {"type": "card", "card": {"token": card_reference}}
        else:
            params["payment_method"] = card_reference
        return params

    # === STATUS === #

    def _paylink_apply_intent(self, intent):
        """Update the transaction from a PaymentIntent fetched from Stripe (never from the browser).

        Success goes through the one fulfilment function; failures are noted, a paid link is
        never downgraded.
        :return: the intent's status.
        """
        self.ensure_one()
        if hasattr(intent, "to_dict"):
            intent = intent.to_dict()
        status = intent["status"]
        if status == "succeeded":
            self._paylink_fulfill(intent)
        elif status in ("requires_payment_method", "canceled") and self.state == "pending":
            error = (intent.get("last_payment_error") or {}).get("message") or _("The payment failed.")
            self.write({"state": "failed", "last_error": error})
        return status

    def _paylink_refresh(self):
        """Ask Stripe for the intent again and apply it (the customer's return to the page)."""
        self.ensure_one()
        intent = stripe_api.call(
            self.company_id, lambda client: client.v1.payment_intents.retrieve(self.stripe_intent_id)
        )
        return self._paylink_apply_intent(intent)

    # === FULFILMENT === #

    def _paylink_fulfill(self, intent):
        """Record and reconcile the payment of a succeeded intent, exactly once.

        Called by the webhook and by the customer's return page, possibly at the same moment: the
        row lock serializes them and the second caller finds the work done.
        :return: the ``account.payment``, or an empty recordset when nothing was recorded.
        """
        self.ensure_one()
        # The customer's page and the webhook run as the public user, of any company. Recording
        # the payment is the system's act, in the link's company: OdooBot signs the messages.
        self = self.with_user(SUPERUSER_ID).with_company(self.company_id)  # noqa: PLW0642
        self.env.cr.execute(
            "SELECT id FROM account_payment_link_transaction WHERE id = %s FOR UPDATE", [self.id]
        )
        self.invalidate_recordset()
        if self.state == "done":
            return self.payment_id
        link = self.link_id
        received_currency = (intent.get("currency") or "").upper()
        received = intent.get("amount_received") or intent.get("amount")
        if received != self.amount_minor or received_currency != self.currency_id.name:
            self.state = "mismatch"
            link._paylink_flag(
                _(
                    "Stripe reported %(received)s %(received_currency)s for %(intent)s where "
                    "%(expected)s %(currency)s was expected. The payment was not recorded: check it "
                    "in Stripe and record it by hand.",
                    received=received,
                    received_currency=received_currency or "?",
                    intent=intent.get("id"),
                    expected=self.amount_minor,
                    currency=self.currency_id.name,
                )
            )
            return self.env["account.payment"]
        payment = link._paylink_record_payment(self)
        self._paylink_save_card(intent)
        self.write({"state": "done", "payment_id": payment.id})
        link._paylink_mark_paid(self, payment)
        return payment

    def _paylink_save_card(self, intent):
        """Keep the card on the Stripe Customer when the customer asked for it.

        Cards entered through Stripe.js come as PaymentMethods, which are attached here. (The local
        emulator's Stripe.js only makes card tokens, which cannot be attached afterwards.)
        """
        self.ensure_one()
        payment_method = intent.get("payment_method")
        customer = intent.get("customer")
        if not (self.save_card and customer):
            return
        self.stripe_customer_id = customer
        if isinstance(payment_method, str) and payment_method.startswith("pm_"):
            try:
                stripe_api.call(
                    self.company_id,
                    lambda client: client.v1.payment_methods.attach(
                        payment_method, params={"customer": customer}
                    ),
                )
            except stripe_api.PaylinkStripeError as error:
                # The payment itself succeeded; a card not saved is noted, not fatal.
                self.link_id.message_post(
                    body=_("The card could not be saved: %(error)s", error=error.message)
                )

    @api.model
    def _paylink_handle_event(self, event):
        """Process a verified webhook event; the company comes from our own transaction.

        :return: a short text for the log.
        """
        obj = event["data"]["object"]
        intent_id = obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")
        tx = self.search([("stripe_intent_id", "=", intent_id)], limit=1) if intent_id else self
        if not tx:
            return f"no transaction for intent {intent_id}"
        if event["type"] == "charge.succeeded":
            # A charge tells us little: ask for the intent itself, as the return page does.
            tx._paylink_refresh()
        else:
            tx._paylink_apply_intent(obj)
        return f"transaction {tx.id} is {tx.state}"
