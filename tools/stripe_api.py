"""The one module of the addon that uses the Stripe SDK.

Payments go through Odoo's ``payment_stripe`` provider. The SDK is used for what that provider
lacks: strict verification of webhook signatures, and the setup check of the settings. Clients are
built per provider (never through the SDK's globals), with the pinned API version and a timeout.
"""

import logging

import stripe

from odoo import _

from .. import const

_logger = logging.getLogger(__name__)


def is_valid_event(payload, signature_header, secret):
    """Return whether ``payload`` is an event signed with ``secret``, recently enough.

    The SDK accepts a header carrying several ``v1`` signatures when one of them is valid (Stripe
    sends two while a secret is being rolled), and refuses timestamps older than the tolerance.

    :param bytes payload: the raw request body.
    :param str signature_header: the ``Stripe-Signature`` header, or ``None``.
    :param str secret: a webhook signing secret (``whsec_...``), or ``None``.
    :return: ``True`` only when the signature and its timestamp are valid.
    """
    if not (secret and signature_header):
        return False
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature_header, secret, tolerance=const.STRIPE_WEBHOOK_TOLERANCE
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
        return False
    return True


def get_client(secret_key, http_client=None):
    """Build a Stripe client for one provider's secret key.

    :param str secret_key: the provider's secret key.
    :param http_client: a ``stripe.HTTPClient``; by default one with the addon's timeout.
    :return: a :class:`stripe.StripeClient`.
    """
    return stripe.StripeClient(
        secret_key,
        stripe_version=const.STRIPE_API_VERSION,
        http_client=http_client or stripe.RequestsClient(timeout=const.STRIPE_TIMEOUT),
        max_network_retries=0,
    )


def check_setup(secret_key, webhook_url, required_events, http_client=None):
    """Check a Stripe account for payment links: keys, webhook endpoint, payment methods.

    :param str secret_key: the provider's secret key.
    :param str webhook_url: the URL Stripe must post events to (this database's webhook).
    :param required_events: the event types payment_stripe handles.
    :param http_client: passed to :func:`get_client` (tests give a loopback one).
    :return: a list of ``(ok, label, detail)``: ``ok`` is ``True``, ``False`` or ``None`` (unknown).
    """
    label_keys = _("API keys")
    label_webhook = _("Webhook endpoint")
    label_methods = _("Payment methods")
    if not secret_key:
        return [(False, label_keys, _("The provider has no secret key."))]
    client = get_client(secret_key, http_client=http_client)
    try:
        account = client.v1.accounts.retrieve_current().to_dict()
    except stripe.AuthenticationError:
        return [(False, label_keys, _("Stripe refused the secret key."))]
    except stripe.StripeError as error:
        return [(False, label_keys, _("Stripe could not be reached: %(error)s", error=_error_text(error)))]
    lines = [(True, label_keys, _("Accepted by Stripe (account %(account)s).", account=account.get("id")))]
    lines.append(_check_webhook(client, webhook_url, required_events, label_webhook))
    capabilities = account.get("capabilities") or {}
    active = sorted(
        const.STRIPE_CAPABILITY_LABELS.get(name, name)
        for name, status in capabilities.items()
        if status == "active"
    )
    if active:
        lines.append((True, label_methods, _("The account takes: %(methods)s.", methods=", ".join(active))))
    else:
        lines.append((False, label_methods, _("The account has no active payment method yet.")))
    return lines


def _check_webhook(client, webhook_url, required_events, label):
    try:
        endpoints = client.v1.webhook_endpoints.list(params={"limit": 100})
    except stripe.StripeError as error:
        return (None, label, _("Could not list the webhook endpoints: %(error)s", error=_error_text(error)))
    endpoint = next(
        (data for data in (ep.to_dict() for ep in endpoints.data) if data.get("url") == webhook_url), None
    )
    if endpoint is None:
        return (
            False,
            label,
            _(
                "No endpoint for %(url)s. Add it in Stripe (Developers > Webhooks) or with the "
                "provider's Generate your webhook button, then copy its signing secret to the provider.",
                url=webhook_url,
            ),
        )
    if endpoint.get("status") != "enabled":
        return (False, label, _("The endpoint for %(url)s is disabled in Stripe.", url=webhook_url))
    events = set(endpoint.get("enabled_events") or [])
    missing = sorted(set(required_events) - events) if "*" not in events else []
    if missing:
        return (
            False,
            label,
            _("The endpoint does not send %(events)s.", events=", ".join(missing)),
        )
    return (True, label, _("%(url)s receives the events Odoo needs.", url=webhook_url))


def _error_text(error):
    return error.user_message or str(error) or error.__class__.__name__
