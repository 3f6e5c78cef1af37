import logging

from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.http import request

from ..tools import stripe_api
from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.controllers.main import StripeController

_logger = logging.getLogger(__name__)


class PaylinkStripeController(StripeController):
    """Stripe's webhook, verified strictly with the official SDK before anything is read.

    Odoo's own check lets events through while the provider has no webhook signing secret, keeps
    only the last of several ``v1`` signatures and answers a missing header with an error 500.
    Here an event is refused (403) unless a Stripe provider's signing secret verifies it, within
    the tolerance, and the transaction's own provider's secret verifies it too.
    """

    @http.route()
    def stripe_webhook(self):
        payload = request.httprequest.get_data()
        header = request.httprequest.headers.get("Stripe-Signature")
        # sudo: the secrets verify the signature here and go nowhere else.
        providers_sudo = (
            request.env["payment.provider"]
            .sudo()
            .search([("code", "=", "stripe"), ("state", "!=", "disabled")])
        )
        if not any(
            stripe_api.is_valid_event(payload, header, stripe_utils.get_webhook_secret(provider_sudo))
            for provider_sudo in providers_sudo
        ):
            _logger.warning("Refused a Stripe webhook event that no provider's signing secret verifies")
            raise Forbidden()
        return super().stripe_webhook()

    def _verify_notification_signature(self, tx_sudo):
        """Override of `payment_stripe`: the event must be signed with the secret of the provider
        of the transaction it is about (a company's events never move another's transactions)."""
        payload = request.httprequest.get_data()
        header = request.httprequest.headers.get("Stripe-Signature")
        if not stripe_api.is_valid_event(
            payload, header, stripe_utils.get_webhook_secret(tx_sudo.provider_id)
        ):
            _logger.warning("Refused a Stripe event not signed by the provider of %s", tx_sudo.reference)
            raise Forbidden()
