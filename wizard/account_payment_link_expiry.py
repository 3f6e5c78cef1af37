from odoo import _, api, fields, models
from odoo.exceptions import UserError


class AccountPaymentLinkExpiry(models.TransientModel):
    _name = "account.payment.link.expiry"
    _description = "Change the expiry of payment links"

    link_ids = fields.Many2many("account.payment.link", string="Links", required=True)
    expiry_date = fields.Date(string="Expires On", help="Leave empty for a link that never expires.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "account.payment.link":
            links = self.env["account.payment.link"].browse(self.env.context.get("active_ids", []))
            values["link_ids"] = [(6, 0, links.ids)]
            if len(links) == 1:
                values["expiry_date"] = links.expiry_date
        return values

    def action_apply(self):
        self.ensure_one()
        if self.expiry_date and self.expiry_date < fields.Date.context_today(self):
            raise UserError(_("The new expiry date is in the past."))
        if self.link_ids.filtered(lambda link: not link._paylink_is_live()):
            raise UserError(_("Only active links can get a new expiry date."))
        if self.link_ids.filtered(lambda link: link.link_type == "balance"):
            raise UserError(_("Balance links never expire: they follow the customer's open invoices."))
        self.link_ids.write({"expiry_date": self.expiry_date})
        for link in self.link_ids:
            if self.expiry_date:
                body = _(
                    "Expiry changed to %(date)s by %(user)s.", date=self.expiry_date, user=self.env.user.name
                )
            else:
                body = _("Expiry removed by %(user)s: the link never expires.", user=self.env.user.name)
            link.message_post(body=body)
        return {"type": "ir.actions.act_window_close"}
