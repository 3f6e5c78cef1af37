from odoo import api, models


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _get_default_mail_body(self, move, mail_template, mail_lang):
        body = super()._get_default_mail_body(move, mail_template, mail_lang)
        if not move.paylink_url or move.move_type != "out_invoice":
            return body
        block = (
            self.env["ir.qweb"]
            .with_context(lang=mail_lang)
            ._render("account_payment_link.mail_paylink_block", {"move": move, "url": move.paylink_url})
        )
        return (body or "") + block
