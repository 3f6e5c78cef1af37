import logging
import secrets

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..controllers.main import PaymentLinkController

_logger = logging.getLogger(__name__)

# 32 random bytes: 256 bits, twice the 128 bits the token needs, URL-safe base64 (43 characters).
TOKEN_BYTES = 32

# The lifecycle fields are written only through _paylink_write_lifecycle, which puts this object
# in the context: no RPC call can send it, so a client cannot pass itself off as an action. The
# marked environment is used for that write only (mail tracking finalises it at commit, reading).
_LIFECYCLE = object()
# Fields that change only through the link's actions (revoke, regenerate, payment, review)...
LIFECYCLE_FIELDS = frozenset(
    {"state", "access_token", "payment_id", "amount_paid", "paid_date", "replaced_by_id", "needs_review"}
)
# ... and what the link is about, fixed once it exists.
FIXED_FIELDS = frozenset({"link_type", "company_id", "partner_id", "move_id", "currency_id", "custom_amount"})


class AccountPaymentLink(models.Model):
    _name = "account.payment.link"
    _description = "Payment Link"
    _inherit = ["mail.thread", "account.payment.link.sender"]
    _order = "create_date desc, id desc"
    _check_company_auto = True
    # Invoicing users may read links but not write them; they still note and send from them.
    _mail_post_access = "read"

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    link_type = fields.Selection(
        selection=[("invoice", "Invoice"), ("balance", "Customer balance"), ("custom", "Custom amount")],
        string="Type",
        required=True,
        default="custom",
        tracking=True,
    )
    state = fields.Selection(
        selection=[("active", "Active"), ("paid", "Paid"), ("expired", "Expired"), ("revoked", "Revoked")],
        required=True,
        default="active",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        index="btree_not_null",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    custom_amount = fields.Monetary(string="Fixed Amount", currency_field="currency_id")
    description = fields.Char(string="Label", help="What the customer pays for, shown on the pay page.")
    amount = fields.Monetary(
        string="Amount Due",
        compute="_compute_amount",
        currency_field="currency_id",
        help="Computed when asked: an invoice's current residual, the customer's open balance, or "
        "the fixed amount of a custom link.",
    )
    access_token = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
        default=lambda self: secrets.token_urlsafe(TOKEN_BYTES),
    )
    url = fields.Char(string="URL", compute="_compute_url")
    expiry_date = fields.Date(string="Expires On", tracking=True, copy=False)
    first_opened_date = fields.Datetime(string="First Opened", readonly=True, copy=False)
    paid_date = fields.Datetime(string="Paid On", readonly=True, copy=False)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)
    amount_paid = fields.Monetary(readonly=True, copy=False, currency_field="currency_id")
    replaced_by_id = fields.Many2one("account.payment.link", readonly=True, copy=False)
    transaction_ids = fields.One2many("payment.transaction", "paylink_id", readonly=True)
    payment_pending = fields.Boolean(
        string="Payment Processing",
        compute="_compute_payment_pending",
        store=True,
        help="A payment was started and its provider has not confirmed it yet (e.g. a bank debit "
        "taking a few days). The link takes no other payment meanwhile.",
    )
    needs_review = fields.Boolean(
        readonly=True,
        copy=False,
        tracking=True,
        help="The payment provider reported a payment that does not match this link; see the chatter.",
    )

    _sql_constraints = [
        ("access_token_unique", "UNIQUE(access_token)", "A payment link token must be unique."),
    ]

    def init(self):
        # One active link per invoice, and one active balance link per customer and company.
        # Partial unique indexes keep that true even when two users click at the same time.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS account_payment_link_one_active_per_invoice
                ON account_payment_link (move_id)
             WHERE state = 'active' AND link_type = 'invoice';
            CREATE UNIQUE INDEX IF NOT EXISTS account_payment_link_one_active_balance
                ON account_payment_link (partner_id, company_id)
             WHERE state = 'active' AND link_type = 'balance';
            """
        )

    # === COMPUTE METHODS === #

    @api.depends("link_type", "custom_amount", "move_id.amount_residual", "partner_id", "company_id")
    def _compute_amount(self):
        balance_links = self.filtered(lambda link: link.link_type == "balance")
        balances = balance_links.partner_id._paylink_get_open_balances(balance_links.company_id)
        for link in self:
            if link.link_type == "invoice":
                link.amount = link.move_id.amount_residual
            elif link.link_type == "balance":
                link.amount = balances.get(
                    (link.partner_id.commercial_partner_id.id, link.company_id.id), 0.0
                )
            else:
                link.amount = link.custom_amount

    @api.depends(
        "transaction_ids.state", "transaction_ids.is_post_processed", "transaction_ids.provider_code"
    )
    def _compute_payment_pending(self):
        for link in self:
            link.payment_pending = any(tx._paylink_is_in_progress() for tx in link.transaction_ids)

    @api.depends("company_id")
    def _compute_url(self):
        for link in self:
            if not link.id:
                link.url = False
                continue
            # The token is only readable by system users; building the URL is what users may do.
            token = link.sudo().access_token
            link.url = f"{link.get_base_url()}{PaymentLinkController._pay_url}/{token}"

    # === CONSTRAINT METHODS === #

    @api.constrains("link_type", "custom_amount", "currency_id", "company_id")
    def _check_custom_amount(self):
        for link in self.filtered(lambda link: link.link_type == "custom"):
            if link.currency_id.compare_amounts(link.custom_amount, 0.0) <= 0:
                raise ValidationError(_("The amount of a payment link must be greater than zero."))

    @api.constrains("link_type", "move_id", "partner_id")
    def _check_target(self):
        for link in self:
            if link.link_type == "invoice":
                if not link.move_id:
                    raise ValidationError(_("An invoice link needs an invoice."))
                if link.state == "active":
                    link.move_id._paylink_check_payable()
                if link.partner_id != link.move_id.commercial_partner_id:
                    raise ValidationError(_("An invoice link is for the invoice's customer."))
            elif link.move_id:
                raise ValidationError(_("Only invoice links refer to an invoice."))

    @api.constrains("expiry_date", "state")
    def _check_expiry_date(self):
        today = fields.Date.context_today(self)
        for link in self:
            if link.state == "active" and link.expiry_date and link.expiry_date < today:
                raise ValidationError(_("The expiry date of an active link cannot be in the past."))

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        if not self._paylink_in_lifecycle() and any(LIFECYCLE_FIELDS & vals.keys() for vals in vals_list):
            raise AccessError(_("A new payment link starts active, with a token and no payment of its own."))
        checked = self.env["res.company"]
        for vals in vals_list:
            if vals.get("move_id"):
                move = self.env["account.move"].browse(vals["move_id"])
                vals.setdefault("partner_id", move.commercial_partner_id.id)
                vals.setdefault("currency_id", move.currency_id.id)
                vals.setdefault("company_id", move.company_id.id)
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            # Data files (the demo) may make links before any provider is set up.
            if company not in checked and not self.env.context.get("install_filename"):
                company._paylink_check_payment_configured()
                checked |= company
            if vals.get("link_type") == "balance":
                vals.setdefault("currency_id", company.currency_id.id)
            if "expiry_date" not in vals and vals.get("link_type") != "balance":
                vals["expiry_date"] = company._paylink_default_expiry_date()
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code(self._name) or "/"
        return super().create(vals_list)

    def write(self, vals):
        protected = (LIFECYCLE_FIELDS | FIXED_FIELDS) & vals.keys()
        if protected and not (self._paylink_in_lifecycle() and not FIXED_FIELDS & protected):
            raise AccessError(
                _(
                    "%(fields)s of a payment link change only through its actions (revoke, regenerate, "
                    "change expiry, payment).",
                    fields=", ".join(sorted(self._fields[name].string for name in protected)),
                )
            )
        return super().write(vals)

    def _paylink_in_lifecycle(self):
        return self.env.context.get("paylink_lifecycle") is _LIFECYCLE

    def _paylink_write_lifecycle(self, vals):
        """Write lifecycle fields (state, payment, review flag); the actions' and the payment's way.

        The write is the caller's: managers for the actions (access rights decide), the system for
        a payment or an expiry.
        """
        return self.with_context(paylink_lifecycle=_LIFECYCLE).write(vals)

    # === ACTION METHODS === #

    def action_revoke(self):
        """Revoke the links: their tokens stop working at once and are never reused."""
        for link in self:
            if link.state != "active":
                raise UserError(_("Only active links can be revoked (%(link)s is not).", link=link.name))
        self._paylink_write_lifecycle({"state": "revoked"})
        for link in self:
            link.message_post(body=_("Link revoked by %(user)s.", user=self.env.user.name))
        return True

    def action_regenerate(self):
        """Replace each link with a new one with a new token; the old link is revoked.

        :return: an action opening the new link when there is one link, else ``True``.
        """
        new_links = self.browse()
        for link in self:
            if link.state not in ("active", "expired"):
                raise UserError(
                    _("Only active or expired links can be regenerated (%(link)s is not).", link=link.name)
                )
            # The old link must give up its "one active link" slot before the new one takes it.
            link._paylink_write_lifecycle({"state": "revoked"})
            link.flush_recordset(["state"])
            # The new link is about the same thing (the fields copied) with a fresh token and expiry.
            expiry = False if link.link_type == "balance" else link.company_id._paylink_default_expiry_date()
            new_link = link.copy({"expiry_date": expiry})
            link._paylink_write_lifecycle({"replaced_by_id": new_link.id})
            link.message_post(body=_("Link regenerated as %(link)s.", link=new_link._get_html_link()))
            new_links |= new_link
        if len(new_links) == 1:
            return new_links._get_form_action()
        return True

    def action_mark_reviewed(self):
        """Clear the review flag once an accountant has dealt with what the chatter says."""
        self._paylink_write_lifecycle({"needs_review": False})
        for link in self:
            link.message_post(body=_("Marked as reviewed by %(user)s.", user=self.env.user.name))
        return True

    def _get_form_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # === BUSINESS METHODS - LIFECYCLE === #

    def _paylink_mark_opened(self):
        """Record the first time the customer opened the link (called with the page's rights)."""
        not_yet = self.filtered(lambda link: not link.first_opened_date)
        if not_yet:
            not_yet.first_opened_date = fields.Datetime.now()

    @api.model
    def _cron_expire_links(self):
        """Expire the active links whose expiry date has passed."""
        today = fields.Date.context_today(self)
        links = self.search([("state", "=", "active"), ("expiry_date", "<", today)])
        links._paylink_write_lifecycle({"state": "expired"})
        for link in links:
            link.message_post(body=_("Link expired."))
        _logger.info("Expired %d payment link(s)", len(links))
        return True
