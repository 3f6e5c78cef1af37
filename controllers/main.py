import logging

import stripe
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, http
from odoo.exceptions import UserError
from odoo.http import request

from .. import const
from ..models.account_payment_link import PAY_ROUTE
from ..tools import stripe_api
from ..tools.stripe_api import PaylinkStripeError

_logger = logging.getLogger(__name__)

WEBHOOK_ROUTE = "/paylink/stripe/webhook"


class PaymentLinkController(http.Controller):
    # === PAGES === #

    @http.route(
        f"{PAY_ROUTE}/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def paylink_page(self, token, **kwargs):
        """The customer's pay page. Unknown, expired and revoked tokens get one identical 404."""
        link_sudo = self._get_link_or_none(token)
        if not link_sudo:
            return self._not_found()
        link_sudo._paylink_mark_opened()
        return request.render("account_payment_link.pay_page", link_sudo._prepare_pay_page_values())

    @http.route(
        f"{PAY_ROUTE}/<string:token>/return",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def paylink_return(self, token, tx=None, **kwargs):
        """Where the page goes after Stripe.js: ask Stripe for the intent, never trust the browser."""
        link_sudo = self._get_link_or_none(token)
        if not link_sudo:
            return self._not_found()
        tx_sudo = link_sudo.transaction_ids.filtered(lambda t: str(t.id) == str(tx))[:1]
        if tx_sudo and tx_sudo.state == "pending":
            try:
                tx_sudo._paylink_refresh()
            except PaylinkStripeError as error:
                _logger.info("Return page could not refresh transaction %s: %s", tx_sudo.id, error)
        return request.render(
            "account_payment_link.pay_page_result",
            {**link_sudo._prepare_pay_page_values(), "tx": tx_sudo},
        )

    @http.route(
        f"{PAY_ROUTE}/<string:token>/document/<int:move_id>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def paylink_invoice_pdf(self, token, move_id, **kwargs):
        """The PDF of an invoice the link is about (its invoice, or one of the open invoices)."""
        link_sudo = self._get_link_or_none(token)
        move_sudo = link_sudo and link_sudo._get_documents().filtered(lambda move: move.id == move_id)
        if not move_sudo:
            return self._not_found()
        return self._pdf_response("account.account_invoices", move_sudo, move_sudo.name)

    @http.route(
        f"{PAY_ROUTE}/<string:token>/receipt", type="http", auth="public", methods=["GET"], sitemap=False
    )
    def paylink_receipt_pdf(self, token, **kwargs):
        """The receipt of the payment the link produced."""
        link_sudo = self._get_link_or_none(token)
        if not link_sudo or not link_sudo.payment_id:
            return self._not_found()
        payment_sudo = link_sudo.payment_id
        return self._pdf_response("account.action_report_payment_receipt", payment_sudo, payment_sudo.name)

    # === PAYMENT === #

    @http.route(f"{PAY_ROUTE}/<string:token>/pay", type="json", auth="public", methods=["POST"])
    def paylink_pay(self, token, card_reference=None, tip_percent=0, save_card=False, sms_consent=False):
        """Create and confirm the PaymentIntent for the card the customer entered.

        :return: ``{"status", "client_secret", "return_url"}``, or ``{"error": message}``.
        """
        link_sudo = self._get_link_or_none(token)
        if not link_sudo:
            return {"error": request.env._("This payment link is no longer valid.")}
        if reason := link_sudo._get_unavailable_reason():
            return {"error": reason}
        if not card_reference or not isinstance(card_reference, str):
            return {"error": request.env._("Enter your card details.")}
        try:
            if sms_consent and link_sudo.company_id.paylink_ask_sms_consent:
                # The customer's own act, recorded by the system: OdooBot writes the chatter note.
                link_sudo.partner_id.with_user(SUPERUSER_ID)._paylink_record_sms_consent(
                    link_sudo.company_id.paylink_sms_consent_text
                )
            tx_sudo, intent = (
                request.env["account.payment.link.transaction"]
                .sudo()
                ._paylink_start(
                    link_sudo,
                    card_reference,
                    tip_percent=float(tip_percent or 0),
                    save_card=bool(save_card) and link_sudo.company_id.paylink_allow_save_card,
                )
            )
        except (PaylinkStripeError, UserError, ValueError) as error:
            return {"error": getattr(error, "message", None) or str(error.args[0])}
        if tx_sudo.state == "failed":
            return {"error": tx_sudo.last_error}
        return {
            "status": intent["status"],
            # Only needed (and only given) when the bank asks the customer to authenticate.
            "client_secret": intent["client_secret"] if intent["status"] == "requires_action" else False,
            "return_url": f"{PAY_ROUTE}/{token}/return?tx={tx_sudo.id}",
        }

    # === WEBHOOK === #

    @http.route(WEBHOOK_ROUTE, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def paylink_stripe_webhook(self):
        """Stripe's events: verified first, processed once, business errors acknowledged.

        A transient failure (e.g. a serialization conflict) propagates, so Odoo answers 500 and
        Stripe delivers the event again.
        """
        payload = request.httprequest.get_data()
        signature = request.httprequest.headers.get("Stripe-Signature")
        event = self._verify_stripe_event(payload, signature)
        if event is None:
            return request.make_json_response({"error": "invalid signature"}, status=400)
        if event["type"] not in const.STRIPE_HANDLED_EVENTS:
            return request.make_json_response({"status": "ignored"})
        Event = request.env["account.payment.link.event"].sudo()
        if not Event._paylink_claim(event):
            return request.make_json_response({"status": "already processed"})
        try:
            with request.env.cr.savepoint():
                result = request.env["account.payment.link.transaction"].sudo()._paylink_handle_event(event)
        except (pg_errors.SerializationFailure, pg_errors.LockNotAvailable):
            raise
        except Exception:
            # A business error must not make Stripe retry forever and disable the endpoint.
            _logger.exception("Stripe event %s could not be processed", event["id"])
            result = "error logged"
        _logger.info("Stripe event %s (%s): %s", event["id"], event["type"], result)
        return request.make_json_response({"status": "ok"})

    # === HELPERS === #

    def _get_link_or_none(self, token):
        link_sudo = request.env["account.payment.link"]._get_link_from_token(token)
        if link_sudo:
            lang = link_sudo.partner_id.lang
            if lang and lang in dict(request.env["res.lang"].get_installed()):
                request.update_context(lang=lang)
        return link_sudo

    def _pdf_response(self, report_ref, records_sudo, name):
        # sudo: the token gave access to these documents only; rendering needs the records' rights.
        content, report_type = (
            request.env["ir.actions.report"].sudo()._render_qweb_pdf(report_ref, records_sudo.ids)
        )
        mimetype = "application/pdf" if report_type == "pdf" else "text/html"
        filename = f"{(name or 'document').replace('/', '_')}.{report_type}"
        return request.make_response(
            content,
            headers=[
                ("Content-Type", mimetype),
                ("Content-Disposition", http.content_disposition(filename)),
                ("Cache-Control", "no-store"),
            ],
        )

    def _not_found(self):
        return request.render("account_payment_link.pay_page_not_found", status=404)

    def _verify_stripe_event(self, payload, signature):
        """Return the event if one of the companies' webhook secrets verifies it, else ``None``.

        Refuses everything while no secret is configured (Odoo's payment_stripe accepts unsigned
        events in that case; we do not).
        """
        if not signature:
            return None
        # sudo: the secrets are read to verify the signature and never leave this method.
        secrets = set(
            request.env["res.company"].sudo().search([]).mapped("paylink_stripe_webhook_secret")
        ) - {False, ""}
        for secret in secrets:
            try:
                return stripe_api.construct_event(payload, signature, secret)
            except (stripe.SignatureVerificationError, ValueError):
                continue
        return None
