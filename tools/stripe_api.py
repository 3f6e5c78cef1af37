"""The one place that talks to Stripe.

Every Stripe call of the addon goes through a client made here, so the key, the pinned API version,
the timeout and the base URL are set once, per company, and never through the SDK's globals.
Failures come out as :class:`PaylinkStripeError`, whose message a customer may read.
"""

import json
import logging

import stripe

from odoo import _

from .. import const

_logger = logging.getLogger(__name__)


class PaylinkStripeError(Exception):
    """A Stripe failure with a message fit for the customer's eyes.

    :param message: what the customer reads.
    :param transient: ``True`` when trying again later may work (network, 5xx, rate limit).
    """

    def __init__(self, message, transient=False, code=None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.code = code


def get_api_base(env):
    """Return the Stripe API base URL: Stripe's own unless a test or demo overrides it.

    :param env: an Odoo environment.
    :return: the base URL, without a trailing slash.
    """
    ICP = env["ir.config_parameter"].sudo()
    return (ICP.get_param(const.PARAM_STRIPE_API_BASE) or const.STRIPE_API_BASE).rstrip("/")


def get_js_url(env):
    """Return the URL of Stripe.js, or of the emulator's stand-in in tests and the demo."""
    ICP = env["ir.config_parameter"].sudo()
    return ICP.get_param(const.PARAM_STRIPE_JS_URL) or const.STRIPE_JS_URL


def get_client(company):
    """Build a Stripe client for ``company``.

    :param company: a ``res.company`` record; its secret key is read with sudo because the
        customer's pay page runs as the public user.
    :return: a :class:`stripe.StripeClient`.
    :raise ValueError: when the company has no secret key.
    """
    secret_key = company.sudo().paylink_stripe_secret_key
    if not secret_key:
        raise ValueError(f"Stripe is not configured for company {company.id}")
    return stripe.StripeClient(
        secret_key,
        stripe_version=const.STRIPE_API_VERSION,
        base_addresses={"api": get_api_base(company.env)},
        http_client=stripe.RequestsClient(timeout=const.STRIPE_TIMEOUT),
        # Retries are ours to decide (idempotency keys make them safe); the SDK must not add any.
        max_network_retries=0,
    )


def call(company, operation, *args, **kwargs):
    """Run ``operation(client, *args, **kwargs)`` and turn Stripe's failures into readable errors.

    :param company: the company whose account is used.
    :param operation: a callable taking the client first, e.g.
        ``lambda client: client.v1.payment_intents.retrieve(intent_id)``.
    :raise PaylinkStripeError: for any failure, with a message for the customer.
    """
    try:
        return operation(get_client(company), *args, **kwargs)
    except stripe.CardError as error:
        raise PaylinkStripeError(
            error.user_message or _("Your card was declined."), code=error.code
        ) from error
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        _logger.warning("Stripe unreachable for company %s: %s", company.id, error)
        raise PaylinkStripeError(
            _(
                "The payment service cannot be reached right now. "
                "Nothing was charged; please try again in a moment."
            ),
            transient=True,
        ) from error
    except stripe.StripeError as error:
        status = getattr(error, "http_status", None) or 0
        _logger.warning("Stripe error for company %s (HTTP %s): %s", company.id, status, error)
        if status >= 500:
            raise PaylinkStripeError(
                _("The payment service had a problem. Nothing was charged; please try again in a moment."),
                transient=True,
            ) from error
        raise PaylinkStripeError(
            error.user_message or _("The payment could not be processed. Nothing was charged."),
            code=getattr(error, "code", None),
        ) from error


def construct_event(payload, signature_header, secret):
    """Verify a webhook's signature and return the event, as the SDK does.

    :param bytes payload: the raw request body.
    :param str signature_header: the ``Stripe-Signature`` header.
    :param str secret: a webhook signing secret.
    :raise stripe.SignatureVerificationError: when the signature, or its timestamp, is not valid.
    :raise ValueError: when the payload is not JSON.
    :return: the event as a dict.
    """
    stripe.Webhook.construct_event(
        payload, signature_header, secret, tolerance=const.STRIPE_WEBHOOK_TOLERANCE
    )
    # The signature covers these exact bytes: hand them on as plain data.
    return json.loads(payload)
