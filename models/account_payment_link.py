import logging
import secrets
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import consteq

from ..controllers.main import PaymentLinkController
from ..tools.sms_text import normalize_mobile

_logger = logging.getLogger(__name__)

# 32 random bytes: 256 bits, twice the 128 bits the token needs, URL-safe base64 (43 characters).
TOKEN_BYTES = 32


class AccountPaymentLink(models.Model):
    _name = "account.payment.link"
    _description = "Payment Link"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    link_type = fields.Selection(
        selection=[
            ("invoice", "Invoice"),
            ("balance", "Customer balance"),
            ("custom", "Custom amount"),
        ],
        string="Type",
        required=True,
        default="custom",
        readonly=True,
        tracking=True,
    )
    state = fields.Selection(
        selection=[
            ("active", "Active"),
            ("paid", "Paid"),
            ("expired", "Expired"),
            ("revoked", "Revoked"),
        ],
        required=True,
        default="active",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company, index=True
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
        readonly=True,
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
        default=lambda self: self._generate_token(),
    )
    url = fields.Char(string="URL", compute="_compute_url")
    expiry_date = fields.Date(string="Expires On", tracking=True, copy=False)
    last_sent_date = fields.Datetime(string="Last Sent", readonly=True, copy=False)
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
    message_log_ids = fields.One2many(
        "account.payment.link.message", "link_id", string="Messages Sent", readonly=True
    )
    sms_state = fields.Selection(
        selection=lambda self: self.env["account.payment.link.message"]._fields["state"].selection,
        string="SMS Status",
        readonly=True,
        copy=False,
        help="The status of the last SMS sent with this link, as Twilio reports it.",
    )
    sms_failure_reason = fields.Char(string="SMS Problem", readonly=True, copy=False)
    needs_review = fields.Boolean(
        readonly=True,
        copy=False,
        tracking=True,
        help="The payment provider reported a payment that does not match this link; see the chatter.",
    )

    # Fields that change only through the link's actions (revoke, regenerate, expiry, payment).
    # The first ones are never given when a link is created, except by the system.
    _PAYLINK_PROTECTED_FIELDS = frozenset(
        {
            "state", "access_token", "link_type", "company_id", "partner_id", "move_id", "currency_id",
            "custom_amount", "payment_id", "amount_paid", "paid_date", "replaced_by_id", "needs_review",
        }
    )  # fmt: skip

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

    @api.depends(
        "link_type",
        "custom_amount",
        "move_id.amount_residual",
        "partner_id",
        "company_id",
    )
    def _compute_amount(self):
        balances = self.filtered(lambda link: link.link_type == "balance")._get_open_balances()
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

    @api.model
    def _generate_token(self):
        return secrets.token_urlsafe(TOKEN_BYTES)

    @api.model_create_multi
    def create(self, vals_list):
        lifecycle = {"state", "access_token", "payment_id", "amount_paid", "paid_date", "replaced_by_id"}
        if not self.env.su and any(lifecycle & vals.keys() for vals in vals_list):
            raise AccessError(_("A new payment link starts active, with a token and no payment of its own."))
        if any(vals.get("link_type", "custom") == "custom" for vals in vals_list):
            self._paylink_check_manager(_("create custom-amount links"))
        for vals in vals_list:
            if vals.get("move_id"):
                move = self.env["account.move"].browse(vals["move_id"])
                vals.setdefault("partner_id", move.commercial_partner_id.id)
                vals.setdefault("currency_id", move.currency_id.id)
                vals.setdefault("company_id", move.company_id.id)
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            company._paylink_check_payment_configured()
            if vals.get("link_type") == "balance":
                vals.setdefault("currency_id", company.currency_id.id)
            if "expiry_date" not in vals and vals.get("link_type") != "balance":
                vals["expiry_date"] = company._paylink_default_expiry_date()
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code(self._name) or "/"
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and (protected := self._PAYLINK_PROTECTED_FIELDS & vals.keys()):
            raise AccessError(
                _(
                    "%(fields)s of a payment link change only through its actions (revoke, regenerate, "
                    "change expiry, payment).",
                    fields=", ".join(sorted(self._fields[name].string for name in protected)),
                )
            )
        if "expiry_date" in vals:
            self._paylink_check_manager(_("change the expiry of a link"))
        return super().write(vals)

    # === ACTION METHODS === #

    def action_revoke(self):
        """Revoke the links: their tokens stop working at once and are never reused."""
        self._paylink_check_manager(_("revoke links"))
        for link in self:
            if link.state != "active":
                raise UserError(_("Only active links can be revoked (%(link)s is not).", link=link.name))
        # sudo: the state changes only through this action, allowed to managers just above.
        self.sudo().state = "revoked"
        for link in self:
            link.message_post(body=_("Link revoked by %(user)s.", user=self.env.user.name))
        return True

    def action_regenerate(self):
        """Replace each link with a new one with a new token; the old link is revoked.

        :return: an action opening the new link when there is one link, else ``True``.
        """
        self._paylink_check_manager(_("regenerate links"))
        new_links = self.env["account.payment.link"]
        for link in self:
            if link.state not in ("active", "expired"):
                raise UserError(
                    _("Only active or expired links can be regenerated (%(link)s is not).", link=link.name)
                )
            # The old link must give up its "one active link" slot before the new one takes it.
            link.sudo().state = "revoked"
            link.flush_recordset(["state"])
            new_link = link.create(link._prepare_regenerated_values())
            # sudo: the link's lifecycle fields change only through this action (managers, above).
            link.sudo().replaced_by_id = new_link
            link.message_post(body=_("Link regenerated as %(link)s.", link=new_link._get_html_link()))
            new_links |= new_link
        if len(new_links) == 1:
            return new_links._get_form_action()
        return True

    def action_mark_reviewed(self):
        """Clear the review flag once an accountant has dealt with what the chatter says."""
        self._paylink_check_manager(_("mark links as reviewed"))
        # sudo: the flag is cleared only through this action, allowed to managers just above.
        self.sudo().needs_review = False
        for link in self:
            link.message_post(body=_("Marked as reviewed by %(user)s.", user=self.env.user.name))
        return True

    def action_change_expiry(self):
        self._paylink_check_manager(_("change the expiry of a link"))
        return {
            "type": "ir.actions.act_window",
            "name": _("Change Expiry"),
            "res_model": "account.payment.link.expiry",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def _get_form_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # === BUSINESS METHODS === #

    def _prepare_regenerated_values(self):
        """Return the values of the link that replaces ``self``; an override point."""
        self.ensure_one()
        company = self.company_id
        expiry = False if self.link_type == "balance" else company._paylink_default_expiry_date()
        return {
            "link_type": self.link_type,
            "company_id": company.id,
            "partner_id": self.partner_id.id,
            "move_id": self.move_id.id,
            "currency_id": self.currency_id.id,
            "custom_amount": self.custom_amount,
            "description": self.description,
            "expiry_date": expiry,
        }

    def _paylink_check_manager(self, what):
        """Raise unless the user may manage links (the superuser and sudo'd code always may)."""
        if self.env.su or self.env.user.has_group("account_payment_link.group_paylink_manager"):
            return
        raise AccessError(_("Only payment link managers may %(what)s.", what=what))

    @api.model
    def _get_link_from_token(self, token):
        """Return the active link whose token is ``token``, or an empty recordset.

        Unknown, revoked, paid-and-closed or expired tokens all give the same empty answer so that
        the pay page cannot tell them apart.
        :param str token: the token from the URL.
        """
        if not token or not isinstance(token, str) or len(token) > 128:
            return self.browse()
        # sudo: the caller is the public user; the token itself is the credential, checked below.
        link_sudo = self.sudo().search_fetch(
            [("access_token", "=", token)], self._fields_fetched_with_token(), limit=1
        )
        if not link_sudo or not consteq(link_sudo.access_token, token):
            return self.browse()
        if link_sudo.state in ("revoked", "expired") or link_sudo._is_past_expiry():
            return self.browse()
        return link_sudo

    def _fields_fetched_with_token(self):
        # The pay page needs these at once: one query instead of a search then a read.
        return [
            "access_token", "state", "expiry_date", "link_type", "company_id", "partner_id", "move_id",
            "currency_id", "custom_amount", "description", "paid_date", "payment_id", "first_opened_date",
            "name", "payment_pending",
        ]  # fmt: skip

    def _is_past_expiry(self):
        self.ensure_one()
        return bool(self.expiry_date) and self.expiry_date < fields.Date.context_today(self)

    def _get_open_balances(self):
        """Return ``{(commercial partner id, company id): open receivable balance}`` for ``self``.

        The balance is in the company currency: the unreconciled receivable of posted entries, so
        credit notes and unapplied payments lower it (and may make it negative: a credit).
        """
        if not self:
            return {}
        groups = self.env["account.move.line"]._read_group(
            domain=[
                ("company_id", "in", self.company_id.ids),
                ("partner_id", "child_of", self.partner_id.commercial_partner_id.ids),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ],
            groupby=["partner_id", "company_id"],
            aggregates=["amount_residual:sum"],
        )
        balances = {}
        for partner, company, residual in groups:
            key = (partner.commercial_partner_id.id, company.id)
            balances[key] = balances.get(key, 0.0) + residual
        return balances

    def _get_open_invoices(self):
        """Return the customer's posted invoices with something left to pay, oldest due first."""
        self.ensure_one()
        if self.link_type == "invoice":
            return self.move_id.filtered(lambda move: move._paylink_is_payable())
        if self.link_type != "balance":
            return self.env["account.move"]
        return self.env["account.move"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("commercial_partner_id", "=", self.partner_id.commercial_partner_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="invoice_date_due asc, invoice_date asc, id asc",
        )

    def _get_unavailable_reason(self):
        """Return why the link cannot take a payment now, or ``False`` when it can."""
        self.ensure_one()
        move = self.move_id if self.link_type == "invoice" else self.env["account.move"]
        reasons = (
            (self.state == "paid", _("This link has already been paid.")),
            (move.state == "draft", _("This invoice is not confirmed yet.")),
            (move.state == "cancel", _("This invoice has been cancelled.")),
            (move.payment_state in ("paid", "in_payment", "reversed"), _("This invoice is already paid.")),
            (
                self.payment_pending,
                _(
                    "Your payment is being processed. This page will show it as paid once the "
                    "payment provider has confirmed it; no other payment is needed."
                ),
            ),
            (self.currency_id.compare_amounts(self.amount, 0.0) <= 0, _("There is nothing left to pay.")),
        )
        return next((reason for applies, reason in reasons if applies), False)

    def _get_documents(self):
        """Return the invoices whose PDF the link's holder may download."""
        self.ensure_one()
        return self.move_id | self._get_open_invoices() | self.payment_id.reconciled_invoice_ids

    def _paylink_tips_offered(self, unavailable_reason=None):
        """Return the tip percentages the page offers: none unless tips are enabled with an account
        to post them to, and something is due.

        :param unavailable_reason: :meth:`_get_unavailable_reason` when the caller has it already.
        """
        self.ensure_one()
        if unavailable_reason is None:
            unavailable_reason = self._get_unavailable_reason()
        company = self.company_id
        if (
            not (company.paylink_tips_enabled and company.paylink_tip_account_id)
            or self.link_type == "custom"
            or unavailable_reason
        ):
            return []
        return self.company_id._paylink_get_tip_percentages()

    def _paylink_get_early_payment(self):
        """Return the invoice's early-payment discount when it applies today, as Odoo's portal does.

        :return: ``{"amount_due": discounted amount, "discount": discount, "message": text}``, or
            an empty dict.
        """
        self.ensure_one()
        if self.link_type != "invoice" or not self.move_id.invoice_payment_term_id.early_discount:
            return {}
        next_payment = self.move_id._get_invoice_next_payment_values()
        if next_payment.get("installment_state") != "epd":
            return {}
        return {
            "amount_due": next_payment["amount_due"],
            "discount": next_payment["epd_discount_amount_currency"],
            "message": next_payment["epd_discount_msg"],
        }

    def _paylink_get_amount_to_pay(self):
        """Return what the customer pays now, before any tip: the discounted amount when an
        early-payment discount applies, else the amount due."""
        self.ensure_one()
        return self._paylink_get_early_payment().get("amount_due", self.amount)

    def _paylink_compute_tip(self, percent, amount=None):
        """Return the tip for ``percent``, computed here and never taken from the browser.

        :param percent: one of the company's tip percentages, or 0.
        :param amount: the amount the tip is a percentage of (default: the amount to pay).
        :raise UserError: for a percentage the company does not offer.
        """
        self.ensure_one()
        if not percent:
            return 0.0
        if float(percent) not in self._paylink_tips_offered():
            raise UserError(_("This tip is not offered."))
        if amount is None:
            amount = self._paylink_get_amount_to_pay()
        return self.currency_id.round(amount * float(percent) / 100.0)

    def _paylink_prepare_transaction_values(self, tip_percent=0.0):
        """Return the amount, tip and documents of a new payment of this link, computed here.

        :param tip_percent: the tip the customer chose, one of the company's percentages or 0.
        :return: dict with ``amount`` (tip included), ``tip_amount``, ``invoices``.
        :raise UserError: when the link cannot take a payment now, or the tip is not offered.
        """
        self.ensure_one()
        if reason := self._get_unavailable_reason():
            raise UserError(reason)
        amount = self._paylink_get_amount_to_pay()
        tip = self._paylink_compute_tip(tip_percent, amount)
        return {
            "amount": self.currency_id.round(amount + tip),
            "tip_amount": tip,
            "invoices": self._get_open_invoices(),
        }

    def _paylink_flag(self, message):
        """Flag the link for an accountant's review and say why in its chatter."""
        self.ensure_one()
        # sudo: flagging is the system's act (a provider report, a payment); users clear it by action.
        self.sudo().needs_review = True
        self.message_post(body=message)
        for move in self._get_open_invoices() | self.move_id:
            move.message_post(body=message)

    def _paylink_mark_paid(self, tx):
        """Close the link after its transaction's payment was recorded, note it, queue the
        notifications. Called once, by the transaction's post-processing.

        :param tx: the done, post-processed ``payment.transaction``.
        """
        self.ensure_one()
        payment = tx.payment_id
        if self.link_type != "balance" and self.payment_id and self.payment_id != payment:
            # Two payments started at once (two tabs, two people) both went through: the second
            # is recorded (the money is in) and left for an accountant to refund or allocate.
            self._paylink_flag(
                _(
                    "A second payment of %(amount)s was received for this link (transaction "
                    "%(reference)s, payment %(payment)s) after it was paid: refund it or allocate it.",
                    amount=tx.currency_id.format(tx.amount),
                    reference=tx.reference,
                    payment=payment.name,
                )
            )
            return
        values = {
            "paid_date": fields.Datetime.now(),
            "payment_id": payment.id,
            "amount_paid": tx.amount,
            "needs_review": False,
        }
        # A balance link stays usable for the customer's next invoices.
        if self.link_type != "balance":
            values["state"] = "paid"
        # sudo: the payment is the system's act; the link's closing fields are not for users.
        self.sudo().write(values)
        message = _(
            "Paid %(amount)s through payment link %(link)s with %(provider)s (transaction %(reference)s).",
            amount=tx.currency_id.format(tx.amount),
            link=self.name,
            provider=tx.provider_id.name,
            reference=tx.reference,
        )
        self.message_post(body=message)
        # The money is in: nothing about the e-mails may undo recording it.
        try:
            with self.env.cr.savepoint():
                self._paylink_send_notifications(tx, payment)
        except Exception as error:
            _logger.exception("Payment link %s: notifications after payment failed", self.id)
            self.message_post(
                body=_(
                    "The payment was recorded, but its notifications could not be queued: %(error)s",
                    error=error,
                )
            )

    def _paylink_note_failed(self, tx):
        """Say in the link's chatter that a payment did not go through; the link stays open."""
        self.ensure_one()
        self.message_post(
            body=_(
                "Payment %(reference)s of %(amount)s did not go through: %(reason)s",
                reference=tx.reference,
                amount=tx.currency_id.format(tx.amount),
                reason=tx.state_message or _("no reason given"),
            )
        )

    def _paylink_note_refund(self, refund_tx):
        """Say in the link's chatter that its payment was refunded (from Odoo or the provider)."""
        self.ensure_one()
        self.message_post(
            body=_(
                "Refunded %(amount)s of payment %(reference)s (refund %(refund)s).",
                amount=refund_tx.currency_id.format(-refund_tx.amount),
                reference=refund_tx.source_transaction_id.reference,
                refund=refund_tx.reference,
            )
        )

    def _paylink_send_notifications(self, tx, payment):
        """Notify the administrators, and leave the customer's receipt to its cron.

        The receipt carries the invoice PDF, whose rendering takes a second or more: it is not done
        in the request that records the payment (often the provider's webhook), but by the
        receipts cron, triggered at once.
        """
        self.ensure_one()
        company = self.company_id
        if company.paylink_notify_admins:
            admins = self.env.ref("base.group_system").users.filtered(
                lambda user: company in user.company_ids and not user.share
            )
            self.message_notify(
                partner_ids=admins.partner_id.ids,
                subject=_("Payment received through %(link)s", link=self.name),
                body=_(
                    "%(partner)s paid %(amount)s with %(provider)s.",
                    partner=self.partner_id.display_name,
                    amount=tx.currency_id.format(tx.amount),
                    provider=tx.provider_id.name,
                ),
            )
        if company.paylink_send_receipt and self.partner_id.email:
            tx.paylink_receipt_state = "to_send"
            self.env.ref("account_payment_link.ir_cron_paylink_send_receipts")._trigger()

    # === SENDING === #

    def _paylink_get_document(self):
        """Return the record whose chatter shows what was sent: the invoice, else the link."""
        self.ensure_one()
        return self.move_id or self

    def _paylink_get_recipient_partner(self):
        """Return the contact the link is addressed to: the invoice's address, else the customer."""
        self.ensure_one()
        return self.move_id.partner_id or self.partner_id

    def _paylink_default_sms_number(self):
        """Return the SMS number (E.164 mobile) of the invoice's contact, else of the customer."""
        self.ensure_one()
        return self._paylink_get_recipient_partner().paylink_sms_number or self.partner_id.paylink_sms_number

    def _paylink_get_sms_body(self, note=False):
        """Return the SMS text: the compliant parts are ours, the user's note only adds to them.

        :param note: the user's short message, kept on one line.
        """
        self.ensure_one()
        # Odoo's amounts use non-breaking spaces, which would make the SMS UCS-2 (70 characters).
        amount = self.currency_id.format(self.amount).replace("\xa0", " ")
        if self.link_type == "invoice":
            what = _("Invoice %(invoice)s: %(amount)s due.", invoice=self.move_id.name, amount=amount)
        elif self.link_type == "balance":
            what = _("Your balance due: %(amount)s.", amount=amount)
        else:
            what = _("%(label)s: %(amount)s.", label=self.description or _("Payment"), amount=amount)
        lines = [f"{self.company_id.name}:"]
        note = " ".join((note or "").split())
        if note:
            lines.append(note)
        lines += [what, _("Pay securely: %(url)s", url=self.url), _("Reply STOP to opt out.")]
        return "\n".join(lines)

    def _paylink_check_sms_allowed(self):
        """Raise unless the user may send SMS and the link's company can.

        :raise AccessError: without the "Send payment links by SMS" group (sudo'd code may).
        :raise UserError: when Twilio is not configured.
        """
        self.company_id._paylink_check_twilio_configured()
        if self.env.su or self.env.user.has_group("account_payment_link.group_paylink_sms"):
            return
        raise AccessError(_("You are not allowed to send payment links by SMS."))

    def _paylink_send(
        self,
        sms_number=False,
        email_partner=False,
        note=False,
        *,
        strict=True,
        queue_email=False,
        rendered_email=None,
    ):
        """Send the link by SMS and/or email, through Odoo's SMS and mail queues.

        The SMS is posted in the chatter (with its delivery status) and queued for the SMS cron,
        which hands it to Twilio; the email is rendered from a ``mail.template`` and posted in the
        chatter. Neither leaves before this transaction commits, so a retried transaction sends
        nothing twice.

        :param sms_number: the number to text, as typed (normalised here), or ``False``.
        :param email_partner: the ``res.partner`` to email, or ``False``.
        :param note: the user's short message.
        :param strict: raise on a number that cannot take SMS; otherwise log it and go on (bulk).
        :param queue_email: leave the email to the mail cron instead of sending it after commit.
        :param rendered_email: the email's ``(subject, body)``, when rendered for a whole batch.
        :return: the ``account.payment.link.message`` records logging what was (not) sent.
        """
        self.ensure_one()
        if sms_number:
            self._paylink_check_sms_allowed()
        # sudo: the sending log is technical and read-only for users; rows are written for them here.
        Message = self.env["account.payment.link.message"].sudo()
        document = self._paylink_get_document()
        recipient = self._paylink_get_recipient_partner()
        logs = Message
        if sms_number:
            e164, error = normalize_mobile(recipient, sms_number, country=recipient.country_id)
            if error and strict:
                raise UserError(error)
            if error:
                logs |= Message.create(
                    {"link_id": self.id, "channel": "sms", "recipient": sms_number, "state": "failed",
                     "failure_reason": error}
                )  # fmt: skip
                document.message_post(body=_("SMS with the payment link not sent: %(reason)s", reason=error))
            # sudo: only whether the number opted out is read; the blacklist is not for users to read.
            elif self.env["phone.blacklist"].sudo().search_count([("number", "=", e164)], limit=1):
                reason = _("%(number)s opted out of SMS (replied STOP).", number=e164)
                logs |= Message.create(
                    {"link_id": self.id, "channel": "sms", "recipient": e164, "state": "opted_out",
                     "failure_reason": reason}
                )  # fmt: skip
                document.message_post(body=_("SMS with the payment link not sent: %(reason)s", reason=reason))
            else:
                logs |= self._paylink_queue_sms(document, recipient, e164, note)
        if email_partner:
            logs |= self._paylink_post_email(
                document, email_partner, note, queue_email, rendered=rendered_email
            )
        values = {}
        if logs.filtered(lambda log: log.state in ("outgoing", "queued")):
            values["last_sent_date"] = fields.Datetime.now()
        if sms_logs := logs.filtered(lambda log: log.channel == "sms"):
            values.update(sms_state=sms_logs[-1].state, sms_failure_reason=sms_logs[-1].failure_reason)
        if values:
            # sudo: the sending status fields are readonly for users and written by the system.
            self.sudo().write(values)
        return logs

    def _paylink_queue_sms(self, document, recipient, number, note):
        """Post the SMS in ``document``'s chatter, queued for the SMS cron; return its log."""
        body = self._paylink_get_sms_body(note)
        message = document._message_sms(
            body,
            partner_ids=recipient.ids,
            sms_pid_to_number={recipient.id: number},
            sms_content=body,
            put_in_queue=True,
        )
        # sudo: sms.sms is a technical model; these records were created just above.
        sms = self.env["sms.sms"].sudo().search([("mail_message_id", "=", message.id)])
        sms.paylink_company_id = self.company_id
        if not self.env.context.get("paylink_no_cron_trigger"):
            # sudo: waking Odoo's SMS queue up; users may not read crons.
            self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        # sudo: the sending log is technical and read-only for users.
        return self.env["account.payment.link.message"].sudo().create(
            [
                {"link_id": self.id, "channel": "sms", "recipient": one.number, "sms_uuid": one.uuid,
                 "state": "outgoing" if one.state == "outgoing" else "failed",
                 "failure_reason": one.failure_type or False}
                for one in sms
            ]
        )  # fmt: skip

    def _paylink_render_emails(self, note=False):
        """Render the email of each link at once (one template compilation for a whole batch).

        :return: ``{link id: (subject, body)}``.
        """
        template = self.env.ref("account_payment_link.mail_template_paylink_send")
        # sudo: the template is ours and renders these links only; the user chose to send them.
        template = template.sudo().with_context(paylink_note=" ".join((note or "").split()))
        subjects = template._render_field("subject", self.ids, compute_lang=True)
        bodies = template._render_field(
            "body_html", self.ids, compute_lang=True, options={"post_process": True}
        )
        return {link_id: (subjects[link_id], bodies[link_id]) for link_id in self.ids}

    def _paylink_post_email(self, document, partner, note, queue_email, rendered=None):
        """Post the link's email (from its mail.template) in ``document``'s chatter; return its log.

        :param rendered: ``(subject, body)`` already rendered by :meth:`_paylink_render_emails`.
        """
        subject, body = rendered or self._paylink_render_emails(note)[self.id]
        message = document.message_post(
            body=body,
            subject=subject,
            partner_ids=partner.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            email_layout_xmlid="mail.mail_notification_light",
            email_add_signature=False,
            force_send=not queue_email,
        )
        if queue_email and not self.env.context.get("paylink_no_cron_trigger"):
            # sudo: waking Odoo's mail queue up; users may not read crons.
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        # sudo: the sending log is technical and read-only for users.
        return self.env["account.payment.link.message"].sudo().create(
            {"link_id": self.id, "channel": "email", "recipient": partner.email, "state": "queued",
             "mail_message_id": message.id}
        )  # fmt: skip

    def _paylink_update_sms_state(self):
        """Show the status of each link's last SMS on the link (and so on its invoice)."""
        if not self:
            return
        last = {}
        # sudo: the sending log is read to show its last SMS status on the links.
        for log in (
            self.env["account.payment.link.message"]
            .sudo()  # sudo: technical log, read for the SMS status
            .search([("link_id", "in", self.ids), ("channel", "=", "sms")], order="id desc")
        ):
            last.setdefault(log.link_id.id, log)
        for link in self:
            log = last.get(link.id)
            values = {
                "sms_state": log.state if log else False,
                "sms_failure_reason": log.failure_reason if log else False,
            }
            if any(link[name] != value for name, value in values.items()):
                # sudo: the SMS status fields are readonly for users and written by the system.
                link.sudo().write(values)

    def _paylink_note_sms_failure(self, log):
        """Say in the link's and the invoice's chatter that an SMS did not reach the customer."""
        self.ensure_one()
        body = _(
            "The SMS with the payment link to %(number)s was not delivered: %(reason)s",
            number=log.recipient,
            reason=log.failure_reason or _("no reason given"),
        )
        self.message_post(body=body)
        if self.move_id:
            self.move_id.message_post(body=body)

    def action_send(self):
        """Open the send wizard for this link."""
        self.ensure_one()
        if self.state != "active":
            raise UserError(_("Only active links can be sent (%(link)s is not).", link=self.name))
        return {
            "type": "ir.actions.act_window",
            "name": _("Send Payment Link"),
            "res_model": "account.payment.link.send",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_link_id": self.id},
        }

    def _paylink_mark_opened(self):
        """Record the first time the customer opened the link."""
        not_yet = self.filtered(lambda link: not link.first_opened_date)
        if not_yet:
            # sudo: the public customer opened the link; the date is the system's record of it.
            not_yet.sudo().first_opened_date = fields.Datetime.now()

    @api.model
    def get_hub_info(self):
        """Return what the hub shows above the list: what payments lack, and this month's total.

        :return: dict with ``payment_unavailable_reason``, ``paid_this_month`` and its display.
        """
        company = self.env.company
        total = self._get_paid_this_month_total(company)
        return {
            "payment_unavailable_reason": company._paylink_get_payment_unavailable_reason(),
            "paid_this_month": total,
            "paid_this_month_display": company.currency_id.format(total),
        }

    @api.model
    def _get_paid_this_month_total(self, company):
        """Return the sum, in company currency, of what links of ``company`` collected this month."""
        start = fields.Datetime.to_datetime(fields.Date.context_today(self).replace(day=1))
        links = self.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "paid"),
                ("paid_date", ">=", start),
                ("paid_date", "<", start + relativedelta(months=1)),
            ]
        )
        total = 0.0
        for link in links:
            total += link.currency_id._convert(
                link.amount_paid, company.currency_id, company, link.paid_date.date()
            )
        return company.currency_id.round(total)

    @api.model
    def _cron_expire_links(self):
        """Expire the active links whose expiry date has passed."""
        today = fields.Date.context_today(self)
        links = self.search([("state", "=", "active"), ("expiry_date", "<", today)])
        # sudo: expiring is the link's own lifecycle, run by the cron.
        links.sudo().write({"state": "expired"})
        for link in links:
            link.message_post(body=_("Link expired."))
        _logger.info("Expired %d payment link(s)", len(links))
        return True

    # === DEMO DATA === #

    @api.model
    def _paylink_create_demo_data(self):
        """Demo customers, invoices and links in every state, for the main company."""
        company = self.env.ref("base.main_company")
        tip_account = self.env["account.account"].search(
            [("company_ids", "in", company.ids), ("account_type", "=", "income_other")], limit=1
        )
        company.write({"paylink_tips_enabled": True, "paylink_tip_account_id": tip_account.id})
        company.write(
            {
                "paylink_offer_saved_methods": True,
                "paylink_ask_sms_consent": True,
                "paylink_send_receipt": True,
                "paylink_notify_admins": True,
            }
        )
        # Odoo's Demo provider, when installed (`make run` installs it), takes the demo's payments:
        # no keys, nothing charged.
        demo_provider = self.env["payment.provider"].search(
            [("code", "=", "demo"), ("company_id", "=", company.id)], limit=1
        )
        if demo_provider and demo_provider.state == "disabled":
            demo_provider.write({"state": "test", "is_published": True, "allow_tokenization": True})
        if not company._paylink_is_payment_configured():
            _logger.info("No payment provider for the demo company (install payment_demo): no demo links")
            return True
        Link = self.with_company(company)
        env = Link.env
        Partner = env["res.partner"]
        customers = Partner.create(
            [
                {
                    "name": "Maria Lopez",
                    "email": "maria.lopez@example.com",
                    "mobile": "+1 415 555 0101",
                    "country_id": env.ref("base.us").id,
                },
                {
                    "name": "Bright Bakery LLC",
                    "is_company": True,
                    "email": "billing@brightbakery.example.com",
                    "mobile": "+1 415 555 0102",
                    "country_id": env.ref("base.us").id,
                },
                {
                    "name": "Chen Wei",
                    "email": "chen.wei@example.com",
                    "mobile": "+1 415 555 0103",
                    "country_id": env.ref("base.us").id,
                },
            ]
        )
        portal_partner = env.ref("base.partner_demo_portal", raise_if_not_found=False)
        if portal_partner and not portal_partner.mobile:
            portal_partner.mobile = "+1 415 555 0104"
        product = env.ref("product.product_product_4", raise_if_not_found=False) or env[
            "product.product"
        ].search([("sale_ok", "=", True)], limit=1)
        today = fields.Date.context_today(Link)

        def invoice(partner, amount, days_ago):
            move = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": today - timedelta(days=days_ago),
                    "invoice_line_ids": [
                        fields.Command.create(
                            {"product_id": product.id, "quantity": 1, "price_unit": amount, "tax_ids": False}
                        )
                    ],
                }
            )
            move.action_post()
            return move

        invoices = [
            invoice(customers[0], 240.0, 20),
            invoice(customers[1], 1250.0, 40),
            invoice(customers[1], 310.0, 10),
            invoice(customers[2], 95.0, 5),
            invoice(customers[2], 480.0, 60),
        ]
        if portal_partner:
            invoices.append(invoice(portal_partner, 180.0, 3))
        links = Link.create([{"link_type": "invoice", "move_id": move.id} for move in invoices])
        # sudo: demo data shows links in every state, which only their actions reach otherwise.
        links[:2].sudo().last_sent_date = fields.Datetime.now()
        Link.create(
            [
                {"link_type": "balance", "partner_id": customers[1].id},
                {
                    "link_type": "custom",
                    "partner_id": customers[0].id,
                    "custom_amount": 75.0,
                    "description": "Deposit for the spring catering order",
                },
            ]
        )
        # A link in each closed state, as they look after their lifecycle (sudo: as above).
        links[3].sudo().write({"state": "revoked"})
        links[4].sudo().write(  # sudo: demo data, closed states
            {"state": "expired", "expiry_date": today - timedelta(days=2)}
        )  # sudo: demo data, closed states
        paid = Link.create(
            {
                "link_type": "custom",
                "partner_id": customers[2].id,
                "custom_amount": 50.0,
                "description": "Gift card",
            }
        )
        paid.sudo().write(  # sudo: demo data, a paid link
            {"state": "paid", "paid_date": fields.Datetime.now(), "amount_paid": 50.0}
        )  # sudo: demo data, a paid link
        return True
