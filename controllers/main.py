import json
import logging

from odoo import http
from odoo.http import request

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.payment import utils as payment_utils

_logger = logging.getLogger(__name__)

# Every page under /pay/ carries the customer's token in its URL: never cached, never referred on.
PAGE_HEADERS = [("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer")]


class PaymentLinkController(PaymentPortal):
    _pay_url = "/pay"  # the link's page is <base URL>/pay/<token>
    # The link's fields the pages read, fetched with the token lookup.
    _page_fields = [
        "access_token", "state", "expiry_date", "link_type", "company_id", "partner_id", "move_id",
        "currency_id", "custom_amount", "description", "paid_date", "payment_id", "first_opened_date", "name",
        "requested_amount", "amount_paid", "replaced_by_id", "needs_review",
    ]  # fmt: skip

    # === PAGES === #

    @http.route(
        f"{_pay_url}/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def paylink_page(self, token, **kwargs):
        """The customer's pay page. Unknown, expired and revoked tokens get one identical 404."""
        link_sudo = self._paylink_get_link(token)
        if not link_sudo:
            return self._paylink_not_found()
        link_sudo._paylink_mark_opened()
        values = self._paylink_prepare_page_values(link_sudo)
        if not values["unavailable_reason"]:
            amount = values["payment_choices"][0]["amount"]  # the choice the page preselects
            values.update(self._paylink_get_payment_form_values(link_sudo, token, amount=amount))
        return self._paylink_render("account_payment_link.pay_page", values)

    @http.route(
        f"{_pay_url}/<string:token>/return",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def paylink_return(self, token, **kwargs):
        """Where the customer lands after paying: the state of the link's last payment.

        A payment the provider confirmed is post-processed here if the webhook has not done it
        yet (whichever comes first records it; the other finds it done).
        """
        link_sudo = self._paylink_get_link(token)
        tx_sudo = link_sudo and link_sudo.transaction_ids.filtered(lambda tx: tx.state != "draft")[:1]
        if not tx_sudo:
            return self._paylink_not_found()
        tx_sudo._paylink_post_process_now()
        return self._paylink_render(
            "account_payment_link.pay_page_result",
            {**self._paylink_get_layout_values(link_sudo), "tx": tx_sudo},
        )

    @http.route(
        f"{_pay_url}/<string:token>/document/<int:move_id>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def paylink_invoice_pdf(self, token, move_id, **kwargs):
        """The PDF of an invoice the link is about (its invoice, or one of the open invoices)."""
        link_sudo = self._paylink_get_link(token)
        move_sudo = link_sudo and self._paylink_get_documents(link_sudo).filtered(
            lambda move: move.id == move_id
        )
        if not move_sudo:
            return self._paylink_not_found()
        return self._paylink_pdf_response("account.account_invoices", move_sudo, move_sudo.name)

    @http.route(
        f"{_pay_url}/<string:token>/receipt",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def paylink_receipt_pdf(self, token, **kwargs):
        """The receipt of the payment the link produced."""
        link_sudo = self._paylink_get_link(token)
        # The payment that paid the link, or the last one received through it (an installment).
        done_sudo = link_sudo.transaction_ids.filtered(lambda tx: tx.state == "done" and tx.payment_id)
        payment_sudo = link_sudo.payment_id or done_sudo[:1].payment_id if link_sudo else None
        if not payment_sudo:
            return self._paylink_not_found()
        return self._paylink_pdf_response(
            "account.action_report_payment_receipt", payment_sudo, payment_sudo.name
        )

    # === DOCUMENTS === #

    def _paylink_get_documents(self, link_sudo):
        """Return the invoices whose PDF the link's holder may download."""
        return (
            link_sudo.move_id | link_sudo._get_open_invoices() | link_sudo.payment_id.reconciled_invoice_ids
        )

    # === HELPERS === #

    def _paylink_get_layout_values(self, link_sudo):
        """Return the values every page of a sudo'd link shows (its layout, the result page).

        :param link_sudo: the link, found by its token.
        """
        return {
            "link": link_sudo,
            "company": link_sudo.company_id,
            # The portal layout's logo, name and footer: the link's company, not the website's.
            "res_company": link_sudo.company_id,
            "partner": link_sudo.partner_id,
            # The tab says what is paid and to whom.
            "page_title": request.env._(
                "Pay %(document)s — %(company)s",
                document=link_sudo.move_id.name,
                company=link_sudo.company_id.name,
            )
            if link_sudo.link_type == "invoice"
            else request.env._("Pay %(company)s", company=link_sudo.company_id.name),
            "token": link_sudo.access_token,
        }

    def _paylink_prepare_page_values(self, link_sudo):
        """Return the values of the pay page of a sudo'd link.

        :param link_sudo: the link, found by its token.
        """
        move_sudo = link_sudo.move_id if link_sudo.link_type == "invoice" else link_sudo.move_id.browse()
        invoices = link_sudo._get_open_invoices()
        reason = link_sudo._get_unavailable_reason()
        tips = link_sudo._get_tips_offered(unavailable_reason=reason)
        choices = [] if reason else link_sudo._paylink_get_payment_choices()
        # The early-payment discount is the amount offered for it (Odoo's values, read once).
        epd = next((choice for choice in choices if choice["kind"] == "epd"), None)
        early_payment = {"amount_due": epd["amount"], "message": epd["note"]} if epd else {}
        # What the customer pays for each amount offered and each tip: the form shows it as they
        # choose (the transaction route computes it again from their choices).
        totals = {
            choice["key"]: {
                str(option["percent"]): {  # as the tip's radio button's value
                    "amount": option["amount"],
                    "minor_amount": option["minor_amount"],
                    "label": link_sudo.currency_id.format(option["amount"]),
                    "tip_label": link_sudo.currency_id.format(option["tip"]),
                }
                for option in self._paylink_get_tip_options(link_sudo, choice["amount"], tips)
            }
            for choice in choices
        }
        balance = link_sudo.link_type == "balance"
        company = link_sudo.company_id
        credits = link_sudo._paylink_get_balance_credits()  # none but on a balance link
        return {
            **self._paylink_get_layout_values(link_sudo),
            "currency": link_sudo.currency_id,
            "amount_due": link_sudo.amount,
            # A balance link: the credits its amount subtracts, each on a line of its own, and the
            # part the customer may pay (the company's choice).
            "credits": [{"line": line, "label": self._paylink_get_credit_label(line)} for line in credits],
            "credit_total": -sum(credits.mapped("amount_residual")),
            "balance_part_help": request.env._(
                "At least %(minimum)s; the oldest invoices due are paid first.",
                minimum=link_sudo.currency_id.format(company.paylink_balance_minimum),
            ),
            "balance_part": balance and company.paylink_balance_partial and not reason,
            "balance_part_minimum": company.paylink_balance_minimum,
            # An agreed part of the invoice: what is due on it in all.
            "requested_of": request.env._(
                "of %(due)s due on this invoice", due=link_sudo.currency_id.format(move_sudo.amount_residual)
            )
            if link_sudo.requested_amount and not reason
            else False,
            "invoices": invoices,
            "unavailable_reason": reason,
            "recent_charges": self._paylink_get_recent_charges(link_sudo)
            if link_sudo.link_type == "balance"
            else [],
            # The invoice's product lines, from its lines as Odoo's installments read them for a
            # payable link (no query of their own then; two when the page offers no payment).
            "lines": move_sudo.line_ids.filtered(lambda line: line.display_type == "product").sorted(
                lambda line: (line.sequence, line.id)
            ),
            "early_payment": early_payment,
            "payment_choices": choices,
            "payment_totals": json.dumps(totals),
            "tip_custom": bool(tips and choices and company.paylink_tip_custom),
            "tip_percentages": json.dumps(tips),
            "tip_options": self._paylink_get_tip_options(link_sudo, choices[0]["amount"], tips)
            if tips and choices
            else [],
        }

    def _paylink_get_credit_label(self, line):
        """What a balance page calls an open credit: a credit note, a payment not applied yet."""
        env = request.env
        if line.move_id.move_type == "out_refund":
            return env._("Credit note %(name)s", name=line.move_id.name)
        if line.payment_id:
            return env._("Payment %(name)s, not applied yet", name=line.payment_id.name)
        return env._("Credit %(name)s", name=line.move_id.name)

    def _paylink_get_recent_charges(self, link_sudo, limit=20):
        """Return the customer's last invoice lines, newest first (the balance page's history)."""
        # sudo: the link's own customer's invoice lines, read for the link's holder.
        lines_sudo = request.env["account.move.line"].sudo()
        return lines_sudo.search(
            [
                ("company_id", "=", link_sudo.company_id.id),
                ("move_id.commercial_partner_id", "=", link_sudo.partner_id.commercial_partner_id.id),
                ("move_id.move_type", "=", "out_invoice"),
                ("parent_state", "=", "posted"),
                ("display_type", "=", "product"),
            ],
            order="date desc, id desc",
            limit=limit,
        )

    def _paylink_get_tip_options(self, link_sudo, amount, percentages):
        """Return the page's tip choices for ``amount``: no tip first, then each percentage.

        :return: list of dicts with ``percent``, ``tip``, ``amount`` (tip included) and
            ``minor_amount`` (in the currency's minor units, for the payment form's providers).
        """
        currency = link_sudo.currency_id
        options = []
        for percent in [0, *percentages]:
            tip = link_sudo._get_tip_amount(percent, amount, offered=percentages)
            total = currency.round(amount + tip)
            options.append(
                {
                    "percent": percent,
                    "tip": tip,
                    "amount": total,
                    "minor_amount": payment_utils.to_minor_currency_units(total, currency),
                }
            )
        return options

    def _paylink_get_payment_form_values(self, link_sudo, token, amount=None):
        """Return the values of Odoo's payment form (``payment.form``) for this link.

        The providers, payment methods and (when the company allows it) saved payment methods
        compatible with the link's company, customer, currency and amount, as on Odoo's portal.

        :param link_sudo: the sudo'd link.
        :param str token: the link's token, for the form's routes.
        :param float amount: the amount to pay; by default the amount due (without a tip).
        """
        company = link_sudo.company_id
        partner_sudo = link_sudo.partner_id
        currency = link_sudo.currency_id
        if amount is None:
            amount = link_sudo._get_amount_to_pay()[0]
        report = {}
        # sudo: the public customer reads the providers and methods the page offers, as on the portal.
        providers_sudo = (
            request.env["payment.provider"]
            .sudo()  # sudo: see the reason just above
            ._paylink_get_compatible_providers(company, partner_sudo, amount, currency, report=report)
        )
        # sudo: as above, for the payment methods of those providers.
        payment_methods_sudo = (
            request.env["payment.method"]
            .sudo()  # sudo: see the reason just above
            ._get_compatible_payment_methods(
                providers_sudo.ids, partner_sudo.id, currency_id=currency.id, report=report
            )
        )
        # sudo: the customer's own saved methods, offered only when the company chose so (a
        # forwarded link must not let a stranger pay with someone's card).
        tokens_sudo = request.env["payment.token"].sudo()
        if company.paylink_offer_saved_methods:
            tokens_sudo = tokens_sudo._get_available_tokens(providers_sudo.ids, partner_sudo.id)
        return {
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": payment_methods_sudo,
            "tokens_sudo": tokens_sudo,
            "availability_report": report,
            "show_tokenize_input_mapping": self._compute_show_tokenize_input_mapping(providers_sudo),
            "amount": amount,
            "currency": currency,
            "partner_id": partner_sudo.id,
            "transaction_route": f"{self._pay_url}/{token}/transaction",
            "landing_route": f"{self._pay_url}/{token}/return",
            "access_token": False,
            "mode": "payment",
            # The button says what it pays; the page's script keeps it in step with the choices.
            "submit_button_label": request.env._("Pay %(amount)s", amount=currency.format(amount)),
            "pay_label": request.env._("Pay %(amount)s", amount="{amount}"),
        }

    # === ACCESS === #

    def _paylink_get_link(self, token):
        """Return the active link of ``token`` (sudo'd), or an empty recordset, and speak the
        customer's language from then on.
        """
        link_sudo = request.env["account.payment.link"]._paylink_get_by_token(token)
        if link_sudo:
            # The customer and the company's contact (its address on every page) in one read.
            (link_sudo.partner_id | link_sudo.company_id.partner_id).mapped("lang")
            lang = link_sudo.partner_id.lang
            if lang and lang in dict(request.env["res.lang"].get_installed()):
                request.update_context(lang=lang)
        return link_sudo

    def _paylink_render(self, template, values, status=200):
        # The page says which language it speaks (screen readers, the browser's translation offer).
        values = {"html_data": {"lang": (request.env.lang or "en_US").replace("_", "-")}, **values}
        return request.render(template, values, status=status, headers=PAGE_HEADERS)

    def _paylink_pdf_response(self, report_ref, records_sudo, name):
        # sudo: the token gave access to these documents only; rendering needs the records' rights.
        report_sudo = request.env["ir.actions.report"].sudo()
        content, report_type = report_sudo._render_qweb_pdf(report_ref, records_sudo.ids)
        mimetype = "application/pdf" if report_type == "pdf" else "text/html"
        filename = f"{(name or 'document').replace('/', '_')}.{report_type}"
        return request.make_response(
            content,
            headers=[
                ("Content-Type", mimetype),
                ("Content-Disposition", http.content_disposition(filename)),
                *PAGE_HEADERS,
            ],
        )

    def _paylink_not_found(self):
        # The same page for every dead or unknown token: the database's company (it says nothing
        # of the link's), to contact for a new link.
        # sudo: the company's public name and contact, shown to whoever holds a link.
        company_sudo = request.env.company.sudo()
        return self._paylink_render(
            "account_payment_link.pay_page_not_found", {"res_company": company_sudo}, status=404
        )
