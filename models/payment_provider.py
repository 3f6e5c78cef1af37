from odoo import _, api, models

from odoo.addons.payment_stripe import utils as stripe_utils


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    @api.model
    def _paylink_get_compatible_providers(self, company, partner, amount, currency, **kwargs):
        """Return the providers that may take a payment by link, with Odoo's compatibility rules.

        Stripe is left out while it has no webhook signing secret: its events could not be
        verified, and we refuse unverified events. Providers that capture manually are left out
        too: a link is paid when its payment is captured, not authorized (see
        :meth:`_paylink_get_unusable_reason`).

        :param company: the link's ``res.company``.
        :param partner: the customer paying, a ``res.partner``.
        :param float amount: the amount to pay.
        :param currency: the ``res.currency`` of the amount.
        :param dict kwargs: passed on to ``_get_compatible_providers`` (e.g. ``report``).
        :return: the compatible providers (with the caller's environment).
        """
        providers = self._get_compatible_providers(
            company.id, partner.id, amount, currency_id=currency.id, **kwargs
        )
        return providers.filtered(lambda provider: not provider._paylink_get_unusable_reason())

    def _paylink_get_unusable_reason(self):
        """Return why this provider cannot take link payments although enabled, or ``False``."""
        self.ensure_one()
        if self.capture_manually:
            return _(
                "%(provider)s captures payments manually: payment links need payments captured at once.",
                provider=self.name,
            )
        # sudo: only whether the secret is set is disclosed, never its value.
        if self.code == "stripe" and not stripe_utils.get_webhook_secret(self.sudo()):
            return _(
                "%(provider)s has no webhook signing secret: payment links do not offer it until "
                "one is set on the provider (unverified Stripe events are refused).",
                provider=self.name,
            )
        return False

    def _stripe_make_request(
        self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None
    ):
        """Override of `payment_stripe` to create a link's PaymentIntent with an idempotency key.

        Odoo sends one for offline payments only. When Odoo replays our transaction route after a
        serialization failure, the transaction gets the same reference again, so the same key:
        Stripe answers with the intent it already made instead of making a second one.
        """
        if endpoint == "payment_intents" and method == "POST" and not idempotency_key:
            idempotency_key = self.env.context.get("paylink_intent_idempotency_key")
        return super()._stripe_make_request(
            endpoint, payload=payload, method=method, offline=offline, idempotency_key=idempotency_key
        )

    def _paylink_get_status_text(self):
        """Return a sentence saying whether this provider takes link payments, and if not why."""
        self.ensure_one()
        if self.state == "disabled":
            return _("%(provider)s is disabled. Connect or enable it on the provider.", provider=self.name)
        if reason := self._paylink_get_unusable_reason():
            return reason
        if not self.is_published:
            return _("%(provider)s is enabled but not published.", provider=self.name)
        if self.state == "test":
            return _("%(provider)s takes link payments in test mode.", provider=self.name)
        return _("%(provider)s takes link payments.", provider=self.name)
