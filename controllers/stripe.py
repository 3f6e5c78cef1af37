import json
import logging

from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request

from ..tools import stripe_api
from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.const import HANDLED_WEBHOOK_EVENTS
from odoo.addons.payment_stripe.controllers.main import StripeController

_logger = logging.getLogger(__name__)


class PaylinkStripeController(StripeController):
    @http.route()
    def stripe_webhook(self):
        """Override of `payment_stripe`: verify an event about a payment link's transaction with the
        official SDK, strictly, before Odoo handles it; other events keep Odoo's own check.

        Odoo's own check lets events through while the provider has no webhook signing secret,
        keeps only the last of several ``v1`` signatures and fails with an error 500 without a
        header. An event about a link's transaction (or a refund of one) is refused (403) unless
        the signing secret of that transaction's provider verifies it, within the tolerance;
        several ``v1`` signatures are accepted while a secret is being rolled.
        """
        if tx_sudo := self._paylink_get_event_transaction():
            self._paylink_verify_event(tx_sudo)
        return super().stripe_webhook()

    def _paylink_get_event_transaction(self):
        """Return the link transaction the webhook's event is about (sudo'd), or an empty recordset."""
        # sudo: the public webhook finds the transaction the event names, as Odoo's handler does.
        Tx = request.env["payment.transaction"].sudo()
        try:
            event = json.loads(request.httprequest.get_data())
            if event["type"] not in HANDLED_WEBHOOK_EVENTS:
                return Tx
            stripe_object = event["data"]["object"]
            data = {
                "reference": stripe_object.get("description"),
                "event_type": event["type"],
                "object_id": stripe_object["id"],
            }
            tx_sudo = Tx._get_tx_from_notification_data("stripe", data)
        except (ValueError, TypeError, KeyError, AttributeError, ValidationError):
            return Tx  # Odoo's handler answers what it answers to such events
        return tx_sudo.filtered(lambda tx: tx.paylink_id or tx.source_transaction_id.paylink_id)

    def _paylink_verify_event(self, tx_sudo):
        """Raise Forbidden unless the webhook's event is signed with the secret of ``tx_sudo``'s
        provider, within the tolerance."""
        payload = request.httprequest.get_data()
        header = request.httprequest.headers.get("Stripe-Signature")
        secret = stripe_utils.get_webhook_secret(tx_sudo.provider_id)
        if not secret:
            _logger.warning(
                "Refused a Stripe event for %s: its provider has no webhook signing secret", tx_sudo.reference
            )
            raise Forbidden()
        if not stripe_api.is_valid_event(payload, header, secret):
            _logger.warning("Refused a Stripe event for %s: invalid or outdated signature", tx_sudo.reference)
            raise Forbidden()
