import base64

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .account_payment_link_message import SMS_STATES


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "account.payment.link.sender"]

    paylink_ids = fields.One2many("account.payment.link", "move_id", string="Payment Links")
    paylink_id = fields.Many2one(
        "account.payment.link",
        string="Payment Link",
        compute="_compute_paylink_id",
        compute_sudo=True,
        help="The invoice's active payment link.",
    )
    paylink_url = fields.Char(string="Payment Link URL", compute="_compute_paylink_id", compute_sudo=True)
    paylink_count = fields.Integer(compute="_compute_paylink_id", compute_sudo=True)
    paylink_sms_state = fields.Selection(
        selection=SMS_STATES,
        string="Payment Link SMS",
        compute="_compute_paylink_id",
        compute_sudo=True,
        help="The status of the last SMS that sent this invoice's payment link.",
    )
    paylink_sms_failure_reason = fields.Char(
        string="Payment Link SMS Problem", compute="_compute_paylink_id", compute_sudo=True
    )

    # === COMPUTE METHODS === #

    # The paylink_* fields are computed as the system (compute_sudo): whoever may read or print
    # the invoice sees its link's URL and status, including users without rights on links.

    @api.depends("paylink_ids.state", "paylink_ids.sms_state", "paylink_ids.sms_failure_reason")
    def _compute_paylink_id(self):
        for move in self:
            active = move.paylink_ids.filtered(lambda link: link.state == "active")[:1]
            move.paylink_id = active
            move.paylink_url = active.url
            move.paylink_count = len(move.paylink_ids)
            texted = move.paylink_ids.filtered("sms_state")
            last = max(texted, key=lambda link: link.id) if texted else texted
            move.paylink_sms_state = last.sms_state
            move.paylink_sms_failure_reason = last.sms_failure_reason

    # === BUSINESS METHODS === #

    def _paylink_is_payable(self):
        """Whether a customer could pay this move through a link right now."""
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state not in ("paid", "in_payment", "reversed")
            and not self.currency_id.is_zero(self.amount_residual)
        )

    def _paylink_check_payable(self):
        """Raise a clear error when no payment link can be made for this move."""
        self.ensure_one()
        if self.move_type != "out_invoice":
            raise UserError(
                _("Payment links are for customer invoices only (%(move)s is not one).", move=self.name)
            )
        if self.state == "draft":
            raise UserError(_("Confirm the invoice before creating a payment link."))
        if self.state == "cancel":
            raise UserError(_("The invoice %(move)s is cancelled.", move=self.name))
        if not self._paylink_is_payable():
            raise UserError(_("The invoice %(move)s has nothing left to pay.", move=self.name))

    def _paylink_get_or_create(self):
        """Return the active link of each invoice, creating the missing ones."""
        links = self.env["account.payment.link"]
        to_create = self.env["account.move"]
        for move in self:
            if move.paylink_id:
                links |= move.paylink_id
            else:
                move._paylink_check_payable()
                to_create |= move
        if to_create:
            links |= self.env["account.payment.link"].create(
                [{"link_type": "invoice", "move_id": move.id} for move in to_create]
            )
        return links

    def _paylink_get_early_payment(self):
        """Return the invoice's early-payment discount when it applies today, as Odoo's portal does.

        :return: ``{"amount_due": discounted amount, "discount": discount, "message": text}``, or
            an empty dict.
        """
        self.ensure_one()
        if not self.invoice_payment_term_id.early_discount:
            return {}
        next_payment = self._get_invoice_next_payment_values()
        if next_payment.get("installment_state") != "epd":
            return {}
        return {
            "amount_due": next_payment["amount_due"],
            "discount": next_payment["epd_discount_amount_currency"],
            "message": next_payment["epd_discount_msg"],
        }

    def _paylink_qr_data_uri(self):
        """Return the link's QR code as a ``data:`` URI, rendered here so the token never leaves us.

        Odoo's ``/report/barcode`` route would put the token in a URL; this PNG is embedded instead.
        """
        self.ensure_one()
        if not self.paylink_url:
            return False
        png = self.env["ir.actions.report"].barcode("QR", self.paylink_url, width=180, height=180)
        return "data:image/png;base64," + base64.b64encode(png).decode()

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        to_link = posted.filtered(
            lambda move: (
                (move.company_id.paylink_auto_create or move.company_id.paylink_auto_send)
                and move.company_id._paylink_is_payment_configured()
                and move._paylink_is_payable()
                and not move.paylink_id
            )
        )
        if to_link:
            # sudo: the invoice was posted by someone allowed to; the link follows the setting.
            to_link.sudo()._paylink_get_or_create()
        to_send = posted.filtered(
            lambda move: (
                move.company_id.paylink_auto_send
                and move.paylink_id
                and (move.company_id.paylink_auto_send_email or move.company_id.paylink_auto_send_sms)
            )
        )
        for move in to_send:
            move._paylink_auto_send()
        return posted

    def _paylink_auto_send(self):
        """Send the new invoice's link by the channels of the company's settings.

        Runs as the superuser: the administrator chose to send every invoice's link, whoever posts
        it. A number or address that cannot be used is noted in the chatter, never blocks posting.
        """
        self.ensure_one()
        company = self.company_id
        # sudo: auto-send is the admin's policy, run as the system whoever posts the invoice.
        move_sudo = self.sudo()
        sms_number = email_partner = False
        if company.paylink_auto_send_sms and not company._paylink_get_sms_gateway_problem():
            sms_number = move_sudo._paylink_default_sms_number()
            if not sms_number:
                self.message_post(body=_("Payment link not sent by SMS: the customer has no mobile number."))
        if company.paylink_auto_send_email:
            email_partner = move_sudo._paylink_get_recipient_partner()
            if not email_partner.email:
                email_partner = False
                self.message_post(
                    body=_("Payment link not sent by email: the customer has no email address.")
                )
        if sms_number or email_partner:
            move_sudo._paylink_send_link(
                move_sudo.paylink_id, sms_number, email_partner, strict=False, queue_email=True
            )

    # === ACTION METHODS === #

    def action_paylink_open(self):
        """The invoice's "Payment link" button: the active link, created when there is none."""
        self.ensure_one()
        return self._paylink_get_or_create()._get_form_action()

    def action_paylink_send(self):
        """The invoice's "Send payment link" button: the send wizard for its (new) active link."""
        self.ensure_one()
        return self._paylink_get_or_create().action_send()

    def action_view_paylinks(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_payment_link.action_payment_link")
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
