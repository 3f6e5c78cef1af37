"""The one place that builds Stripe clients.

Every Stripe call of the addon goes through a client made here, so the key, the pinned API version,
the timeout and the base URL are set once, per company, and never through the SDK's globals.
"""

import stripe

from .. import const


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
