from odoo import SUPERUSER_ID, http
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.http import request

from .main import PaymentLinkController


class PaymentLinkPaymentController(PaymentLinkController):
    """The pay page's transaction route: the link's amount, computed here, into Odoo's payment flow."""

    @http.route(f"{PaymentLinkController._pay_url}/<string:token>/transaction", type="json", auth="public")
    def paylink_transaction(
        self, token, tip_percent=0, sms_consent=False, *, access_token=None, payment_choice=None,
        tip_amount=None, invoice_ids=None, part_amount=None, expected_amount=None, **kwargs,
    ):  # fmt: skip
        """Create the transaction of a link payment and return its processing values.

        Modelled on account_payment's ``invoice_transaction``, except that the amount is computed
        here: the amount the customer chose among those the link offers (an installment, the full
        amount, its early-payment-discounted amount) plus the chosen tip among the company's
        percentages. The amount the browser sends is ignored.

        :param str token: the link's token, the customer's only credential.
        :param tip_percent: the tip the customer chose, one of the company's percentages or 0, or
            ``"custom"``: the tip is ``tip_amount``, the amount they entered (when the company
            lets them).
        :param bool sms_consent: whether the customer agreed to payment reminders by text.
        :param str payment_choice: the key of the amount chosen (``_paylink_get_payment_choices``);
            by default the one the page preselects.
        :param list invoice_ids: on a balance link, the invoices the customer chose (by default
            all those listed).
        :param part_amount: on a balance link, the part of them the customer pays, when the
            company allows it (by default all of it).
        :param expected_amount: the total the page showed (tip included), when it sends it: a
            different amount computed here (a credit used or an invoice paid since the page was
            opened) is refused rather than charged.
        :param str access_token: sent by Odoo's payment form; the link's token stands for it.
        :param dict kwargs: the payment form's values (provider, method or token, flow, ...).
        :return: the transaction's processing values.
        :raise NotFound: for an unknown, expired, revoked or replaced token.
        :raise ValidationError: for malformed values, or a payment option the link does not offer.
        """
        link_sudo = self._paylink_get_link(token)
        if not link_sudo:
            raise request.not_found()
        self._validate_transaction_kwargs(kwargs, additional_allowed_keys=("payment_reference",))
        kwargs.pop("payment_reference", None)
        env = request.env
        custom_tip = tip_percent == "custom"
        tip = (
            self._cast_as_float(tip_percent if tip_percent not in (None, "") else 0)
            if not custom_tip
            else 0.0
        )
        if tip is None:
            raise ValidationError(env._("Choose one of the tips offered."))
        flow = kwargs.get("flow")
        option_id = self._cast_as_int(kwargs.get("token_id" if flow == "token" else "provider_id"))
        if flow not in ("redirect", "direct", "token") or not option_id:
            raise ValidationError(env._("Choose a payment method, then try again."))
        if payment_choice is not None and not isinstance(payment_choice, str):
            raise ValidationError(env._("Choose one of the amounts offered."))  # not a key at all
        values = self._paylink_prepare_transaction_values(
            link_sudo,
            tip,
            choice=payment_choice,
            custom_tip=self._cast_as_float(tip_amount) if custom_tip else False,
            invoice_ids=invoice_ids,
            part_amount=self._cast_as_float(part_amount) if part_amount not in (None, "") else False,
        )
        expected = self._cast_as_float(expected_amount) if expected_amount not in (None, "") else False
        if expected is not False and (
            expected is None or link_sudo.currency_id.compare_amounts(expected, values["amount"]) != 0
        ):
            raise ValidationError(
                env._("What is due has changed since this page was opened: reload it to see it.")
            )
        form_values = self._paylink_get_payment_form_values(link_sudo, token, amount=values["amount"])
        if flow == "token" and option_id not in form_values["tokens_sudo"].ids:
            raise ValidationError(env._("This saved payment method cannot be used for this payment."))
        if flow != "token" and (
            option_id not in form_values["providers_sudo"].ids
            or self._cast_as_int(kwargs.get("payment_method_id"))
            not in form_values["payment_methods_sudo"].ids
        ):
            raise ValidationError(env._("This payment method is not available for this payment."))
        if sms_consent and link_sudo.company_id.paylink_ask_sms_consent:
            # The customer's own act, recorded by the system: OdooBot writes the chatter note.
            link_sudo.partner_id.with_user(SUPERUSER_ID)._paylink_record_sms_consent(
                link_sudo.company_id.paylink_sms_consent_text
            )
        kwargs.update(
            {
                "provider_id": self._cast_as_int(kwargs.get("provider_id")),
                "payment_method_id": self._cast_as_int(kwargs.get("payment_method_id")),
                "token_id": self._cast_as_int(kwargs.get("token_id")),
                "amount": values["amount"],
                "currency_id": link_sudo.currency_id.id,
                "partner_id": link_sudo.partner_id.id,
                "reference_prefix": link_sudo.name,
                "landing_route": f"{self._pay_url}/{token}/return",
                "is_validation": False,
                "tokenization_requested": bool(kwargs.get("tokenization_requested")),
            }
        )
        try:
            tx_sudo = self._create_transaction(
                custom_create_values={
                    "paylink_id": link_sudo.id,
                    "paylink_tip_amount": values["tip_amount"],
                    "paylink_payment_kind": values["kind"],
                    "invoice_ids": [Command.set(values["invoices"].ids)],
                },
                **kwargs,
            )
        except UserError as error:
            raise ValidationError(error.args[0]) from error
        return tx_sudo._get_processing_values()

    def _paylink_prepare_transaction_values(
        self, link_sudo, tip_percent, *, choice=None, custom_tip=False, invoice_ids=None, part_amount=False
    ):
        """Return the amount, tip and documents of a new payment of this link, computed here.

        :param tip_percent: the tip the customer chose, one of the company's percentages or 0.
        :param custom_tip: the tip amount the customer entered instead (``None``: not a number),
            or ``False``.
        :param str choice: the key of the amount chosen, by default the one the page preselects.
        :param list invoice_ids: a balance link's invoices chosen, by default all.
        :param part_amount: the part of them paid (``None``: not a number), or ``False``.
        :return: dict with ``amount`` (tip included), ``tip_amount``, ``kind`` (of the amount
            chosen), ``invoices``.
        :raise ValidationError: when the link cannot take a payment now, or the amount or the tip
            is not one offered.
        """
        if reason := link_sudo._get_unavailable_reason():
            raise ValidationError(reason)
        amount, kind, invoices = link_sudo._get_amount_to_pay(choice, invoice_ids, part_amount)
        offered = link_sudo._get_tips_offered(unavailable_reason=False)
        if custom_tip is not False:
            tip = link_sudo._get_custom_tip_amount(custom_tip, amount, offered=offered)
        else:
            tip = link_sudo._get_tip_amount(tip_percent, amount, offered=offered)
        return {
            "amount": link_sudo.currency_id.round(amount + tip),
            "tip_amount": tip,
            "kind": kind,
            "invoices": invoices,
        }
