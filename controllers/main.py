from odoo import http
from odoo.http import request

from ..models.account_payment_link import PAY_ROUTE


class PaymentLinkController(http.Controller):
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
        link_sudo = request.env["account.payment.link"]._get_link_from_token(token)
        if not link_sudo:
            return request.render("account_payment_link.pay_page_not_found", status=404)
        lang = link_sudo.partner_id.lang
        if lang and lang in dict(request.env["res.lang"].get_installed()):
            request.update_context(lang=lang)
        link_sudo._paylink_mark_opened()
        return request.render("account_payment_link.pay_page", link_sudo._prepare_pay_page_values())
