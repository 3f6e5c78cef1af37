import logging
import math
import secrets

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, consteq, format_date

from ..controllers.main import PaymentLinkController
from .account_payment_link_message import FAILED_STATES, SMS_STATES

_logger = logging.getLogger(__name__)

# 32 random bytes: 256 bits, twice the 128 bits the token needs, URL-safe base64 (43 characters).
TOKEN_BYTES = 32

# The lifecycle fields are written only through _paylink_write_lifecycle, which puts this object
# in the context: no RPC call can send it, so a client cannot pass itself off as an action. The
# marked environment is used for that write only (mail tracking finalises it at commit, reading).
_LIFECYCLE = object()
# Fields that change only through the link's transitions (revoke, regenerate, payment, review)...
LIFECYCLE_FIELDS = frozenset(
    {"state", "access_token", "payment_id", "amount_paid", "paid_date", "replaced_by_id", "needs_review"}
)
# ... and what the link is about, fixed once it exists.
FIXED_FIELDS = frozenset(
    {"link_type", "company_id", "partner_id", "move_id", "currency_id", "custom_amount", "requested_amount"}
)
# The links whose page offers tips, by the company's *Tips On*.
TIPS_LINK_TYPES = {
    "invoice": ("invoice",),
    "invoice_balance": ("invoice", "balance"),
    "all": ("invoice", "balance", "custom"),
}

# === THE LIFECYCLE === #
# The events that move a link's stored state: {event: {state before: state after}}. A pair that is
# not listed is refused for a user's action (ACTIONS) and changes nothing for a fact (a payment,
# the date, the invoice deleted). See the class docstring for the whole table, the events that
# move no state included.
TRANSITIONS = {
    # A payment recorded through the link. A balance link stays active (see _paylink_get_next_state);
    # a dead link stays dead: the money is recorded, the token never serves again.
    "pay": {"active": "paid", "paid": "paid", "expired": "expired", "revoked": "revoked"},
    # An installment (or the overdue ones) paid through an invoice link: the link asks for the rest.
    "pay_installment": {"active": "active", "paid": "paid", "expired": "expired", "revoked": "revoked"},
    "revoke": {"active": "revoked"},
    "regenerate": {"active": "revoked", "expired": "revoked"},
    "expire": {"active": "expired"},
    "invoice_deleted": {"active": "revoked"},
    # Two contacts merged, each with a live balance link: the merged one's is replaced by the other.
    "merge_replaced": {"active": "revoked"},
}
ACTIONS = frozenset({"revoke", "regenerate"})

# What the hub says of a link: its stored state, and what the date, the payments under way and
# the invoice say of a link that is still active.
STATUSES = [
    ("active", "Active"),
    ("processing", "Payment processing"),
    ("on_hold", "On hold"),
    ("settled", "Settled otherwise"),
    ("paid", "Paid"),
    ("expired", "Expired"),
    ("revoked", "Revoked"),
    ("replaced", "Replaced"),
]
# The statuses in which a link asks for money.
DUE_STATUSES = ("active", "processing")


class AccountPaymentLink(models.Model):
    """A secure link by which a customer pays an invoice, their balance or a fixed amount.

    Lifecycle: one state machine (``TRANSITIONS``, applied by :meth:`_paylink_transition` only).

    ========================  ==========  ===========  ==============  ===========  ==========
    event \\ state before      active      paid         expired         revoked      the token
    ========================  ==========  ===========  ==============  ===========  ==========
    payment pending           active [1]  paid         expired         revoked      as before
    payment done              paid [2]    paid [3]     expired [4]     revoked [4]  as after
    installment paid          active [2]  paid [3]     expired [4]     revoked [4]  as before
    payment failed            active      paid         expired         revoked      as before
    refunded                  active      paid [5]     expired         revoked      as before
    revoke (manager)          revoked     refused      refused         refused      dead
    regenerate (manager)      revoked [6] refused      revoked [6]     refused      dead
    expiry date reached       expired[7]  paid         expired         revoked      dead
    invoice paid another way  active [8]  paid         expired         revoked      as before
    reset to draft/cancelled  active [9]  paid         expired         revoked      as before
    invoice deleted           revoked     paid         expired         revoked      dead
    contact merged            active[10]  paid         expired         revoked      as before
    ========================  ==========  ===========  ==============  ===========  ==========

    A token serves (the page, its receipt and documents) only while its link is *active* and not
    past its expiry date, or *paid*.

    1. A payment pending or authorized for the link's money from any source (this link, a link it
       replaced, another link, Odoo's portal; for a balance link any of its invoices) holds the
       link: *Payment processing*, no other payment is taken (:meth:`_paylink_get_pending_transactions`).
    2. A balance link stays *active* for the customer's next invoices; an invoice link whose
       payment was an installment (the customer's choice) stays *active* for the rest while the
       invoice has some left (``pay_installment``).
    3. A second payment: recorded, the rest left unapplied, the link flagged *To review*.
    4. Dead stays dead: the payment is recorded (money is never lost) and noted on the link and
       its invoices; flagged when it finds less left to pay than it took.
    5. Noted by Odoo on the link; the invoice is due again and may get a new link.
    6. A new link with a new token replaces it (``replaced_by_id``).
    7. At once, by the date (:meth:`_paylink_is_live`), on every path; the cron only writes it.
    8. Shown *Settled otherwise* at 0.00 due; the page says the invoice is paid.
    9. Shown *On hold*; the page says why and takes nothing.
    10. Moved to the kept contact; a second live balance link is replaced by the kept one's.

    The review flag (*To review*) is raised by the payments (3, 4, a mismatch reported by the
    provider) and cleared only by a manager's *Mark as Reviewed*.
    """

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
    status = fields.Selection(
        selection=STATUSES,
        compute="_compute_status",
        search="_search_status",
        help="What the link is now: its state, and for an active link what its expiry date, the "
        "payments under way and its invoice say.",
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
        ondelete="set null",
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    custom_amount = fields.Monetary(string="Fixed Amount", currency_field="currency_id")
    requested_amount = fields.Monetary(
        string="Requested Now",
        currency_field="currency_id",
        help="An invoice link that asks for part of what is due (a deposit, an amount agreed with "
        "the customer), at most the invoice's residual; empty: what is due.",
    )
    description = fields.Char(string="Label", help="What the customer pays for, shown on the pay page.")
    amount = fields.Monetary(
        string="Amount Due",
        compute="_compute_amount",
        currency_field="currency_id",
        help="What the link asks for now: an invoice's current residual, the customer's open "
        "balance, or the fixed amount of a custom link; nothing once it is paid, dead or its "
        "invoice settled otherwise.",
    )
    access_token = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
        default=lambda self: secrets.token_urlsafe(TOKEN_BYTES),
    )
    url = fields.Char(string="URL", compute="_compute_url")
    # The form of a new link shows the company's default (a balance link never expires: create()).
    expiry_date = fields.Date(
        string="Expires On",
        tracking=True,
        copy=False,
        default=lambda self: self.env.company._paylink_default_expiry_date(),
    )
    first_opened_date = fields.Datetime(string="First Opened", readonly=True, copy=False)
    paid_date = fields.Datetime(string="Paid On", readonly=True, copy=False)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)
    amount_paid = fields.Monetary(
        readonly=True,
        copy=False,
        currency_field="currency_id",
        help="What the customer paid through this link, all its payments together.",
    )
    replaced_by_id = fields.Many2one(
        "account.payment.link", readonly=True, copy=False, index="btree_not_null"
    )
    replaced_ids = fields.One2many("account.payment.link", "replaced_by_id", string="Replaces", readonly=True)
    transaction_ids = fields.One2many("payment.transaction", "paylink_id", readonly=True)
    payment_pending = fields.Boolean(
        string="Payment Processing",
        compute="_compute_payment_pending",
        search="_search_payment_pending",
        help="A payment of what the link asks for was started and its provider has not confirmed "
        "it yet (e.g. a bank debit taking a few days), through this link or another way (Odoo's "
        "portal, another link). The link takes no other payment meanwhile.",
    )
    needs_review = fields.Boolean(
        string="To Review",
        readonly=True,
        copy=False,
        tracking=True,
        help="A payment needs an accountant's eyes (a second payment, one received after the link "
        "died, one the provider reported differently): see the chatter. Only a manager clears it.",
    )
    message_log_ids = fields.One2many(
        "account.payment.link.message", "link_id", string="Messages Sent", readonly=True
    )
    # Read from the sending log, not stored: the SMS and the mail queues, which run at the same
    # time in two cron workers, update the log's rows, never the link's (no write conflicts).
    last_sent_date = fields.Datetime(
        string="Last Sent",
        compute="_compute_sending_status",
        compute_sudo=True,
        search="_search_last_sent_date",
    )
    sms_state = fields.Selection(
        selection=SMS_STATES,
        string="SMS Status",
        compute="_compute_sending_status",
        compute_sudo=True,
        search="_search_sms_state",
        help="The status of the last SMS sent with this link, as Twilio reports it.",
    )
    sms_failure_reason = fields.Char(
        string="SMS Problem", compute="_compute_sending_status", compute_sudo=True
    )
    email_state = fields.Selection(
        selection=SMS_STATES,
        string="Email Status",
        compute="_compute_sending_status",
        compute_sudo=True,
        help="The status of the last email sent with this link: queued, sent by the mail server, or "
        "failed (bounced, refused).",
    )
    email_failure_reason = fields.Char(
        string="Email Problem", compute="_compute_sending_status", compute_sudo=True
    )

    _sql_constraints = [
        ("access_token_unique", "UNIQUE(access_token)", "A payment link token must be unique."),
    ]

    def init(self):
        # One active link per invoice, and one active balance link per customer and company.
        # Partial unique indexes keep that true even when two users click at the same time; a
        # link past its date gives up its place (_paylink_expire_overdue) before a new one is made.
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
        "requested_amount",
        "move_id.amount_residual",
        "move_id.state",
        "partner_id",
        "company_id",
        "status",
    )
    def _compute_amount(self):
        balance_links = self.filtered(
            lambda link: link.link_type == "balance" and link.status in DUE_STATUSES
        )
        balances = balance_links.partner_id._paylink_get_open_balances(balance_links.company_id)
        for link in self:
            if link.status not in DUE_STATUSES:
                link.amount = 0.0
            elif link.link_type == "invoice":
                link.amount = link._paylink_get_amount_owed()
            elif link.link_type == "balance":
                link.amount = balances.get(
                    (link.partner_id.commercial_partner_id.id, link.company_id.id), 0.0
                )
            else:
                link.amount = link.custom_amount

    @api.depends(
        "link_type",
        "transaction_ids.state",
        "transaction_ids.is_post_processed",
        "replaced_ids.transaction_ids.state",
        "move_id.transaction_ids.state",
        "move_id.transaction_ids.is_post_processed",
    )
    def _compute_payment_pending(self):
        for link in self:
            # sudo: which payments are under way is a fact of the link, whoever reads it.
            link.payment_pending = bool(link.sudo()._paylink_get_pending_transactions())

    def _search_payment_pending(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(
                _("Operation not supported on Payment Processing: %(operator)s", operator=operator)
            )
        Tx = self.env["payment.transaction"]
        # sudo: the payments under way are read only to pick links; the links' own rules apply.
        txs = Tx.sudo().search(Tx._paylink_get_in_progress_domain())
        # sudo: as above; the result is a domain on ids, searched with the user's rights.
        candidates = self.sudo().search(
            [
                "|", "|", "|",
                ("transaction_ids", "in", txs.ids),
                ("move_id", "in", txs.invoice_ids.ids),
                ("id", "in", txs.paylink_id._paylink_get_successors().ids),
                "&", ("link_type", "=", "balance"),
                ("partner_id", "in", txs.invoice_ids.commercial_partner_id.ids),
            ]
        )  # fmt: skip
        pending = candidates.filtered("payment_pending")
        in_pending = (operator == "=") == value
        return [("id", "in" if in_pending else "not in", pending.ids)]

    @api.depends(
        "state", "expiry_date", "replaced_by_id", "payment_pending", "move_id.state", "move_id.payment_state"
    )
    def _compute_status(self):
        today = fields.Date.context_today(self)
        for link in self:
            link.status = link._paylink_get_status(today)

    def _paylink_get_status(self, today):
        self.ensure_one()
        if self.state == "revoked":
            status = "replaced" if self.replaced_by_id else "revoked"
        elif self.state != "active":
            status = self.state
        elif self.payment_pending:
            status = "processing"
        elif self.expiry_date and self.expiry_date < today:
            status = "expired"
        elif self.link_type != "invoice":
            status = "active"
        else:
            # sudo: what the invoice says of the link, for whoever may read the link.
            code = self.move_id.sudo()._paylink_get_unpayable_code() if self.move_id else "deleted"
            status = {False: "active", "pending": "active", "paid": "settled", "nothing_due": "settled"}.get(
                code, "on_hold"
            )
        return status

    def _search_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Operation not supported on the status: %(operator)s", operator=operator))
        wanted = set(value) if isinstance(value, (list, tuple, set)) else {value}
        today = fields.Date.context_today(self)
        domains = {
            "revoked": [("state", "=", "revoked"), ("replaced_by_id", "=", False)],
            "replaced": [("state", "=", "revoked"), ("replaced_by_id", "!=", False)],
            "paid": [("state", "=", "paid")],
            "expired": [
                "|",
                ("state", "=", "expired"),
                "&",
                ("state", "=", "active"),
                ("expiry_date", "<", today),
            ],
        }
        domain = expression.OR([domains[status] for status in wanted if status in domains] or [[(0, "=", 1)]])
        live_wanted = wanted - domains.keys()
        if live_wanted:
            # What a live link is now depends on its payments and invoice: asked of the records.
            live = self.search(self._paylink_get_live_domain())
            domain = expression.OR(
                [domain, [("id", "in", live.filtered(lambda link: link.status in live_wanted).ids)]]
            )
        return domain if operator in ("=", "in") else ["!", *domain]

    @api.depends("company_id")
    def _compute_url(self):
        for link in self:
            if not link.id:
                link.url = False
                continue
            # sudo: the token is only readable by system users; building the URL is what users may do.
            token = link.sudo().access_token
            link.url = f"{link.get_base_url()}{PaymentLinkController._pay_url}/{token}"

    @api.depends("message_log_ids.state", "message_log_ids.failure_reason")
    def _compute_sending_status(self):
        for link in self:
            logs = link.message_log_ids.sorted("id")
            sent = logs.filtered(lambda log: log.state not in FAILED_STATES)
            last_sms = logs.filtered(lambda log: log.channel == "sms")[-1:]
            last_email = logs.filtered(lambda log: log.channel == "email" and not log.reminder_move_id)[-1:]
            link.last_sent_date = max(sent.mapped("create_date"), default=False)
            link.sms_state = last_sms.state
            link.sms_failure_reason = last_sms.failure_reason
            link.email_state = last_email.state
            link.email_failure_reason = last_email.failure_reason

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        # Last Sent is read from the sending log (not stored, so that Odoo's SMS and mail queues
        # never write the link at once): the link list sorts by it all the same.
        if fname != "last_sent_date":
            return super()._field_to_sql(alias, fname, query, flush)
        Log = self.env["account.payment.link.message"]
        return SQL(
            "(SELECT MAX(log.create_date) FROM %s log WHERE log.link_id = %s AND log.state NOT IN %s)",
            SQL.identifier(Log._table),
            SQL.identifier(alias, "id"),
            tuple(FAILED_STATES),
            # A log is inserted when created; its state may change in the cache after.
            to_flush=Log._fields["state"] if flush else None,
        )

    def _search_last_sent_date(self, operator, value):
        """Links by *Last Sent*, in SQL as the list sorts and groups them (:meth:`_field_to_sql`)."""
        if operator not in ("=", "!=", "<", "<=", ">", ">="):
            raise UserError(
                _("Operation not supported on the last sent date: %(operator)s", operator=operator)
            )
        last_sent = self._field_to_sql("link", "last_sent_date")
        if value in (False, None):
            if operator not in ("=", "!="):
                raise UserError(
                    _("Operation not supported on the last sent date: %(operator)s", operator=operator)
                )
            condition = SQL("%s IS NULL" if operator == "=" else "%s IS NOT NULL", last_sent)
        else:
            # operator: one of the six above, never the caller's text.
            condition = SQL(f"%s {operator} %s", last_sent, fields.Datetime.to_datetime(value))
        return [
            (
                "id",
                "in",
                SQL("(SELECT link.id FROM %s link WHERE %s)", SQL.identifier(self._table), condition),
            )
        ]

    def _search_sms_state(self, operator, value):
        """Links whose last SMS is (``=``, ``in``) or is not (``!=``, ``not in``) in a state;
        ``False``: no SMS sent."""
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Operation not supported on the SMS status: %(operator)s", operator=operator))
        states = set(value) if isinstance(value, (list, tuple, set)) else {value}
        # sudo: the log is read only to pick links; the links' own rules apply to the result.
        Log = self.env["account.payment.link.message"].sudo()
        groups = Log._read_group([("channel", "=", "sms")], ["link_id"], ["id:max"])
        last_ids = [log_id for _link, log_id in groups]
        matching = Log.search_fetch(
            [("id", "in", last_ids), ("state", "in", list(states - {False}))], ["link_id"]
        )
        domain = [("id", "in", matching.link_id.ids)]
        if False in states:
            domain = expression.OR([domain, [("id", "not in", [link.id for link, _log_id in groups])]])
        return domain if operator in ("=", "in") else ["!", *domain]

    @api.model
    def _paylink_get_default_expiry(self, company, link_type, invoice):
        """Return the expiry date a new link gets (the form, create() and a regeneration): never
        for a balance link, which serves the next invoices; else the company's default, counted
        from its last installment's due date for an invoice in installments."""
        if link_type == "balance":
            return False
        return company._paylink_default_expiry_date(invoice if link_type == "invoice" else None)

    # === ONCHANGE METHODS === #

    @api.onchange("link_type", "move_id", "company_id")
    def _onchange_paylink_new_link(self):
        """A new link's form shows what the link gets: an invoice link its invoice's customer and
        currency (as create() sets them); the expiry, none for a balance link, the last
        installment's due date and the company's days for an invoice in installments."""
        if self._origin:
            return
        if self.link_type == "invoice" and self.move_id:
            self.partner_id = self.move_id.commercial_partner_id
            self.currency_id = self.move_id.currency_id
        self.expiry_date = self._paylink_get_default_expiry(
            self.company_id or self.env.company, self.link_type, self.move_id
        )

    # === CONSTRAINT METHODS === #

    @api.constrains("link_type", "custom_amount", "currency_id", "company_id")
    def _check_custom_amount(self):
        for link in self.filtered(lambda link: link.link_type == "custom"):
            if link.currency_id.compare_amounts(link.custom_amount, 0.0) <= 0:
                raise ValidationError(_("The amount of a payment link must be greater than zero."))

    @api.constrains("link_type", "requested_amount", "move_id")
    def _check_requested_amount(self):
        for link in self.filtered("requested_amount"):
            if link.link_type != "invoice":
                raise ValidationError(_("Only an invoice link asks for part of what is due."))
            if link.currency_id.compare_amounts(link.requested_amount, 0.0) <= 0:
                raise ValidationError(_("The amount of a payment link must be greater than zero."))
            # sudo: the invoice's residual, whoever makes the link.
            residual = link.move_id.sudo().amount_residual
            if (
                link.state == "active"
                and link.currency_id.compare_amounts(link.requested_amount, residual) > 0
            ):
                raise ValidationError(
                    _(
                        "A link can ask for %(amount)s at most: what is due on %(invoice)s.",
                        amount=link.currency_id.format(residual),
                        invoice=link.move_id.display_name,
                    )
                )

    @api.constrains("link_type", "currency_id", "company_id")
    def _check_balance_currency(self):
        for link in self.filtered(lambda link: link.link_type == "balance"):
            if link.currency_id != link.company_id.currency_id:
                raise ValidationError(
                    _(
                        "A balance link asks for the customer's balance in the company's currency "
                        "(%(currency)s).",
                        currency=link.company_id.currency_id.name,
                    )
                )

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
        sequences = {}
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
                vals["expiry_date"] = False  # a balance link serves the next invoices: it never expires
            elif "expiry_date" not in vals:
                vals["expiry_date"] = self._paylink_get_default_expiry(
                    company, vals.get("link_type"), self.env["account.move"].browse(vals.get("move_id"))
                )
            if vals.get("name", "/") == "/":
                if company not in sequences:
                    # The sequence Odoo's next_by_code would find, looked up once per company for
                    # all the links (a bulk sending makes a hundred at a time), not once per link.
                    sequences[company] = (
                        self.env["ir.sequence"]
                        .with_company(company)
                        .search(
                            [("code", "=", self._name), ("company_id", "in", [company.id, False])],
                            order="company_id",
                            limit=1,
                        )
                    )
                vals["name"] = (sequences[company] and sequences[company]._next()) or "/"
        return super().create(vals_list)

    def write(self, vals):
        in_lifecycle = self._paylink_in_lifecycle()
        if (
            "expiry_date" in vals
            and not in_lifecycle
            and (dead := self.filtered(lambda link: not link._paylink_is_live()))
        ):
            # A dead token never serves again: a later date would revive it.
            raise UserError(
                _(
                    "Only active links can get a new expiry date (%(links)s is not).",
                    links=", ".join(dead.mapped("name")),
                )
            )
        protected = (LIFECYCLE_FIELDS | FIXED_FIELDS) & vals.keys()
        if protected and not (in_lifecycle and not FIXED_FIELDS & protected):
            raise AccessError(
                _(
                    "%(fields)s of a payment link change only through its actions (revoke, regenerate, "
                    "change expiry, payment).",
                    fields=", ".join(sorted(self._fields[name].string for name in protected)),
                )
            )
        return super().write(vals)

    def copy(self, default=None):
        # Regenerate is the one way to make a link from another: it gives the old one up first.
        if not self._paylink_in_lifecycle():
            raise UserError(
                _(
                    "A payment link cannot be duplicated. Use Regenerate to replace it with a new link, "
                    "or create a new one."
                )
            )
        return super().copy(default)

    def _paylink_in_lifecycle(self):
        return self.env.context.get("paylink_lifecycle") is _LIFECYCLE

    def _paylink_write_lifecycle(self, vals):
        """Write lifecycle fields (state, payment, review flag); the transitions' way.

        The write is the caller's: managers for the actions (access rights decide), the system for
        a payment or an expiry.
        """
        return self.with_context(paylink_lifecycle=_LIFECYCLE).write(vals)

    # === ACTION METHODS === #

    def action_revoke(self):
        """Revoke the links: their tokens stop working at once and are never reused."""
        self._paylink_transition("revoke")
        for link in self:
            link.message_post(body=_("Link revoked by %(user)s.", user=self.env.user.name))
        return True

    def action_regenerate(self):
        """Replace each link with a new one with a new token; the old link is revoked.

        :return: an action opening the new link when there is one link, else ``True``.
        """
        new_links = self.browse()
        for link in self:
            # The old link gives its "one active link" place up before the new one takes it.
            link._paylink_transition("regenerate")
            link.flush_recordset(["state"])
            # The new link is about the same thing (the fields copied) with a fresh token and expiry.
            expiry = self._paylink_get_default_expiry(link.company_id, link.link_type, link.move_id)
            new_link = link.with_context(paylink_lifecycle=_LIFECYCLE).copy({"expiry_date": expiry})
            link._paylink_write_lifecycle({"replaced_by_id": new_link.id})
            link.message_post(body=_("Link regenerated as %(link)s.", link=new_link._get_html_link()))
            new_links |= new_link.with_env(self.env)
        if len(new_links) == 1:
            channels = self._paylink_get_sent_channels()
            if channels and not new_links._get_unavailable_reason():
                # The customer's message now carries a dead link: offer to send the new one, by
                # the channels the old one went through (the wizard still checks each channel).
                action = new_links.action_send()
                action["context"].update(
                    {
                        f"default_channel_{channel}": False
                        for channel in ("sms", "email")
                        if channel not in channels
                    }
                )
                return action
            return new_links._get_form_action()
        return True

    def _paylink_get_sent_channels(self):
        """Return the channels (``sms``, ``email``) through which these links reached someone."""
        logs = self.env["account.payment.link.message"].search(
            [("link_id", "in", self.ids), ("state", "not in", FAILED_STATES)]
        )
        return set(logs.mapped("channel"))

    def action_mark_reviewed(self):
        """Clear the review flag once an accountant has dealt with what the chatter says; the one
        way the flag is cleared (managers only: access rights)."""
        self._paylink_write_lifecycle({"needs_review": False})
        for link in self:
            link.message_post(body=_("Marked as reviewed by %(user)s.", user=self.env.user.name))
        return True

    def action_send(self):
        """Open the send wizard for this link."""
        self.ensure_one()
        self._paylink_check_sendable()
        return {
            "type": "ir.actions.act_window",
            "name": _("Send Payment Link"),
            "res_model": "account.payment.link.send",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_link_id": self.id},
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

    # === BUSINESS METHODS - LIFECYCLE === #

    def _paylink_get_next_state(self, event):
        """Return the state ``event`` leads this link to, or ``None`` when the table has no move.

        :param str event: a key of ``TRANSITIONS``.
        """
        self.ensure_one()
        if event == "pay" and self.link_type == "balance" and self.state == "active":
            return "active"  # a balance link serves the customer's next invoices
        return TRANSITIONS[event].get(self.state)

    def _paylink_is_part_paid(self):
        """Whether the link's invoice was paid in part (an installment): posted, partly
        reconciled, with something left to pay."""
        # sudo: the state of the link's own invoice, whoever records the payment.
        move = self.move_id.sudo()
        return (
            move.state == "posted"
            and move.payment_state == "partial"
            and move.currency_id.compare_amounts(move.amount_residual, 0.0) > 0
        )

    def _paylink_transition(self, event, values=None, expire_first=True):
        """Apply ``event`` to each link (the one way a link's state changes).

        :param str event: a key of ``TRANSITIONS``.
        :param dict values: more lifecycle fields to write with the state (a payment's).
        :param bool expire_first: apply the date first (a link past its date is expired); a payment
            started while the link was live does not.
        :return: the links whose state changed.
        :raise UserError: for a user's action (``ACTIONS``) the table does not allow.
        """
        changed = self.browse()
        for link in self:
            if event != "expire" and expire_first:
                # A link past its date is expired, whatever the cron has done yet: say so first.
                changed |= link._paylink_expire_overdue()
            new_state = link._paylink_get_next_state(event)
            if new_state is None:
                if event in ACTIONS:
                    raise UserError(link._paylink_get_refusal(event))
                if values:
                    link._paylink_write_lifecycle(values)
                continue
            vals = dict(values or {})
            if new_state != link.state:
                vals["state"] = new_state
                changed |= link
            if vals:
                link._paylink_write_lifecycle(vals)
        return changed

    def _paylink_get_refusal(self, event):
        status = dict(self._fields["status"]._description_selection(self.env))[self.status]
        if event == "revoke":
            return _(
                "Only active links can be revoked (%(link)s is %(status)s).", link=self.name, status=status
            )
        return _(
            "Only active or expired links can be regenerated (%(link)s is %(status)s).",
            link=self.name,
            status=status,
        )

    def _paylink_is_live(self, today=None):
        """Return whether the link's token serves a page that may take a payment: active, and not
        past its expiry date (a fact of the date, whatever the cron has done yet) unless a payment
        started before is still being processed (it ends the link paid, not expired)."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        if self.state != "active":
            return False
        return not (self.expiry_date and self.expiry_date < today) or self.payment_pending

    @api.model
    def _paylink_get_live_domain(self):
        """The domain of :meth:`_paylink_is_live`."""
        today = fields.Date.context_today(self)
        return [("state", "=", "active"), "|", ("expiry_date", "=", False), ("expiry_date", ">=", today)]

    def _paylink_expire_overdue(self):
        """Write *expired* on the links of ``self`` past their date (they already count as expired):
        a new link may then take their place."""
        today = fields.Date.context_today(self)
        overdue = self.filtered(lambda link: link.state == "active" and not link._paylink_is_live(today))
        # sudo: the date expired them, whoever meets them first (an accountant making a new link).
        for link in overdue.sudo()._paylink_transition("expire"):
            link.message_post(body=_("Link expired."))
        # Written now: a new link may take the place in the one-active-link index right after.
        overdue.flush_recordset(["state"])
        return overdue

    def _paylink_check_sendable(self):
        """Raise a clear error unless the link may be sent now: live, and its invoice payable."""
        for link in self:
            if not link._paylink_is_live():
                raise UserError(_("Only active links can be sent (%(link)s is not).", link=link.name))
            if link.link_type == "invoice":
                link.move_id._paylink_check_payable()

    def _paylink_get_predecessors(self):
        """Return the links these replaced, directly or not (regenerated into them)."""
        return self._paylink_follow("replaced_ids")

    def _paylink_get_successors(self):
        """Return the links that replaced these, directly or not."""
        return self._paylink_follow("replaced_by_id")

    def _paylink_follow(self, fname):
        """Return the links reached from these through ``fname``, again and again."""
        links = self.browse()
        current = self[fname]
        while current - links:
            links |= current
            current = current[fname]
        return links

    def _paylink_get_pending_transactions(self):
        """Return the payments under way that hold this link: its own, those of the links it
        replaced, and those of its invoices from any source (Odoo's portal, another link); for a
        balance link, those of any of the customer's open invoices."""
        self.ensure_one()
        txs = self.transaction_ids | self._paylink_get_predecessors().transaction_ids
        if self.link_type == "invoice":
            txs |= self.move_id.transaction_ids
        elif self.link_type == "balance":
            txs |= self._get_open_invoices().transaction_ids
        return txs.filtered(lambda tx: tx._paylink_is_in_progress())

    def _paylink_mark_opened(self):
        """Record the first time the customer opened the link (called with the page's rights)."""
        not_yet = self.filtered(lambda link: not link.first_opened_date)
        if not_yet:
            not_yet.first_opened_date = fields.Datetime.now()

    @api.model
    def _paylink_get_by_token(self, token):
        """Return the link whose page ``token`` may open (sudo'd), or an empty recordset.

        Unknown, revoked, replaced, expired (by state or by date) tokens and those of a deleted
        invoice all give the same empty answer, so that the pages cannot tell them apart; a paid
        link's token still shows its page (paid, with its receipt).

        :param str token: the token from the URL, the customer's only credential.
        """
        # sudo: the visitor is the public user; the token itself is the credential, compared below.
        Link = self.sudo()
        if not token or not isinstance(token, str) or len(token) > 128:
            return Link
        # The pages need these at once: one query instead of a search then a read.
        link_sudo = Link.search_fetch(
            [("access_token", "=", token)], PaymentLinkController._page_fields, limit=1
        )
        if not link_sudo or not consteq(link_sudo.access_token, token):
            return Link
        if link_sudo.link_type == "invoice" and not link_sudo.move_id:
            return Link
        if link_sudo.state == "paid" or link_sudo._paylink_is_live():
            return link_sudo
        return Link

    @api.model
    def _cron_expire_links(self):
        """Write *expired* on the active links past their date (they count as expired already)."""
        links = self.search([("state", "=", "active"), ("expiry_date", "<", fields.Date.context_today(self))])
        links = links._paylink_expire_overdue()
        _logger.info("Expired %d payment link(s)", len(links))
        return True

    # === BUSINESS METHODS - PAYMENTS === #

    def _paylink_record_payment(self, tx):
        """Record on the link the payment of its done transaction ``tx`` (the ``pay`` event).

        :return: whether the link was live and took it (``False``: a dead link, noted).
        """
        self.ensure_one()
        # A payment started while the link was live is the link's, even if it completes after the
        # date; one started later (an old tab) finds the link expired, whatever the cron has done.
        started = fields.Date.context_today(self, tx.create_date)
        started_live = not self.expiry_date or started <= self.expiry_date
        if not started_live:
            self._paylink_expire_overdue()
        was = self.state
        values = {"amount_paid": self._paylink_get_amount_received()}
        # An installment the customer chose, with some of the invoice left to pay: the link asks
        # for the rest (its payment and paid date are the one that pays it).
        installment = tx.paylink_payment_kind in ("installment", "overdue") and self._paylink_is_part_paid()
        if not self.payment_id and not installment:
            values.update(payment_id=tx.payment_id.id, paid_date=fields.Datetime.now())
        event = "pay_installment" if installment else "pay"
        self._paylink_transition(event, values, expire_first=not started_live)
        amount = tx.currency_id.format(tx.amount)
        if was in ("expired", "revoked"):
            status = dict(self._fields["status"]._description_selection(self.env))[self.status]
            message = _(
                "A payment of %(amount)s (transaction %(reference)s, payment %(payment)s) completed on "
                "link %(link)s after it was %(status)s: it is recorded, and the link stays closed.",
                amount=amount,
                reference=tx.reference,
                payment=tx.payment_id.name,
                link=self.name,
                status=status.lower(),
            )
            self.message_post(body=message)
            for move in tx.invoice_ids | self.move_id:
                move.message_post(body=message)
            self._paylink_settle_successor(tx)
            return False
        # The link's chatter already has Odoo's own "payment ... has been posted" message
        # (_log_message_on_linked_documents): nothing more to say.
        return was == "active"

    def _paylink_settle_successor(self, tx):
        """Close the live custom link that replaced this one once this payment settled what both ask
        for (invoice and balance links need nothing: their invoices' residual says it)."""
        successor = self._paylink_get_successors().filtered(lambda link: link._paylink_is_live())
        if self.link_type != "custom" or not successor:
            return
        if successor.currency_id.compare_amounts(successor._paylink_get_amount_owed(), 0.0) > 0:
            return
        successor._paylink_transition(
            "pay", {"payment_id": tx.payment_id.id, "paid_date": fields.Datetime.now()}
        )
        successor.message_post(
            body=_(
                "Paid by %(payment)s, received through %(link)s, the link this one replaced.",
                payment=tx.payment_id.name,
                link=self.name,
            )
        )

    def _paylink_get_amount_received(self):
        """Return what the customer paid through this link, its refunds deducted."""
        self.ensure_one()
        txs = self.transaction_ids | self.transaction_ids.child_transaction_ids
        done = txs.filtered(lambda tx: tx.state == "done" and tx.payment_id and tx.operation != "validation")
        return sum(done.mapped("amount"))

    def _paylink_flag(self, message, notify_admins=False):
        """Flag the links for an accountant's review; say why on each and on its invoices.

        :param bool notify_admins: tell the company's administrators too (through the mail queue).
        """
        for link in self:
            link._paylink_write_lifecycle({"needs_review": True})
            link.message_post(body=message)
            for move in link._get_open_invoices() | link.move_id:
                move.message_post(body=message)
            if notify_admins:
                admins = link.company_id._paylink_get_admins()
                link.message_notify(
                    force_send=False,
                    partner_ids=admins.partner_id.ids,
                    subject=_("Payment link %(link)s: a payment to review", link=link.name),
                    body=message,
                )

    def _get_open_invoices(self):
        """Return the invoices the link pays: its invoice, or its customer's open invoices."""
        self.ensure_one()
        if self.link_type == "invoice":
            return self.move_id.filtered(lambda move: move._paylink_is_payable())
        if self.link_type == "balance" and self.partner_id:  # a new link's form may have none yet
            return self.partner_id._paylink_get_open_invoices(self.company_id)
        return self.env["account.move"]

    def _get_unavailable_reason(self):
        """Return why the link cannot take a payment now, in its customer's words, or ``False``."""
        self.ensure_one()
        env = self.env
        if self.state == "paid":
            return env._("This link has already been paid.")
        # The invoice's payable rule (account.move), in the customer's words.
        code = self.link_type == "invoice" and self.move_id._paylink_get_unpayable_code()
        if code not in ("draft", "cancel", "paid") and (code == "pending" or self.payment_pending):
            # A payment on its way is what the customer must hear first, whatever happened since.
            code = "pending"
        elif not code and self.currency_id.compare_amounts(self.amount, 0.0) <= 0:
            code = "nothing_due"
        reasons = {
            "draft": env._("This invoice is not confirmed yet."),
            "cancel": env._("This invoice has been cancelled."),
            "paid": env._("This invoice is already paid."),
            "pending": env._(
                "A payment is being processed. This page will show it as paid once the payment "
                "provider has confirmed it; no other payment is needed."
            ),
            "blocked": env._("This invoice cannot be paid online for now. Please contact us about it."),
            "disabled": env._("This invoice cannot be paid online. Please contact us about it."),
        }
        return reasons.get(code, env._("There is nothing left to pay.")) if code else False

    def _get_amount_to_pay(self, choice=None, invoice_ids=None, part_amount=False):
        """Return what the customer pays now, before any tip, the kind of amount and the invoices
        it pays: the amount of ``choice`` among :meth:`_paylink_get_payment_choices` (by default
        the first, the one the page preselects); on a balance link, the invoices the customer
        chose less their open credits (:meth:`_paylink_get_balance_payment`).

        :param str choice: the key of the amount the customer chose.
        :param list invoice_ids: a balance link's invoices the customer chose (by default all).
        :param part_amount: the part of them the customer pays, when the company allows it
            (``None``: not a number), or ``False`` for all of it.
        :return: ``(amount, kind, invoices)``.
        :raise ValidationError: for a choice the link does not offer (now): the page was opened
            before what is due changed (an installment paid, another one overdue since).
        """
        self.ensure_one()
        if self.link_type == "balance":
            return self._paylink_get_balance_payment(invoice_ids, part_amount)
        choices = self._paylink_get_payment_choices()
        offered = choices[0] if not choice else next((c for c in choices if c["key"] == choice), None)
        if not offered:
            raise ValidationError(
                self.env._("What is due has changed since this page was opened: reload it to see it.")
            )
        return offered["amount"], offered["kind"], self._get_open_invoices()

    def _paylink_get_balance_credits(self, invoices=None):
        """Return a balance link's open credits (credit notes, unapplied payments), which its
        amount subtracts from the invoices and a payment through it uses on them.

        :param invoices: only the credits on these invoices' receivable accounts, those a
            payment of them can use (by default all).
        """
        self.ensure_one()
        if self.link_type != "balance":
            return self.env["account.move.line"]
        credits = self.partner_id._paylink_get_open_credit_lines(self.company_id)
        if invoices is not None:
            accounts = invoices.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            ).account_id
            credits = credits.filtered(lambda line: line.account_id in accounts)
        return credits

    def _paylink_get_balance_payment(self, invoice_ids=None, part_amount=False):
        """Return what a balance payment takes: the invoices the customer chose (by default all
        of them) less the open credits, or the part of it the customer chose to pay (when the
        company allows it, at least its minimum), in the company's currency.

        :return: ``(amount, kind, invoices)``, kind ``full`` (every open invoice), ``chosen``
            (some of them) or ``part`` (a part of those chosen).
        :raise ValidationError: in the customer's words: an invoice no longer open (the page was
            opened before), none chosen, credits that cover the invoices chosen, a part not allowed
            or out of bounds.
        """
        self.ensure_one()
        env = self.env
        currency = self.currency_id
        invoices = self._get_open_invoices()
        chosen = invoices
        if invoice_ids is not None:
            # type(): a JSON true is no invoice's id.
            if not isinstance(invoice_ids, list) or not all(type(i) is int for i in invoice_ids):
                raise ValidationError(env._("Choose the invoices to pay among those listed."))
            chosen = invoices.filtered(lambda move: move.id in invoice_ids)
            if len(chosen) != len(set(invoice_ids)):
                raise ValidationError(
                    env._("What is due has changed since this page was opened: reload it to see it.")
                )
            if not chosen:
                raise ValidationError(env._("Choose at least one invoice to pay."))
        credit = -sum(self._paylink_get_balance_credits(chosen).mapped("amount_residual"))
        total = currency.round(sum(chosen.mapped("amount_residual_signed")) - credit)
        if currency.compare_amounts(total, 0.0) <= 0:
            raise ValidationError(
                env._(
                    "Your credit of %(credit)s covers the invoices chosen: there is nothing to pay for them.",
                    credit=currency.format(credit),
                )
            )
        kind = "full" if chosen == invoices else "chosen"
        if part_amount is None or (part_amount is not False and not math.isfinite(part_amount)):
            raise ValidationError(env._("Enter the amount to pay as a number."))
        if part_amount is False or currency.compare_amounts(part_amount, total) == 0:
            return total, kind, chosen
        company = self.company_id
        if not company.paylink_balance_partial:
            raise ValidationError(env._("This link takes the whole of the invoices chosen."))
        # Never nothing: at least the smallest amount of the currency, when the minimum is 0.
        low = min(max(company.paylink_balance_minimum, currency.rounding), total)
        if currency.compare_amounts(part_amount, low) < 0 or currency.compare_amounts(part_amount, total) > 0:
            raise ValidationError(
                env._(
                    "Enter an amount between %(low)s and %(high)s.",
                    low=currency.format(low),
                    high=currency.format(total),
                )
            )
        return currency.round(part_amount), "part", chosen

    def _paylink_get_payment_choices(self):
        """Return the amounts the customer may pay now, as Odoo's portal offers them for the same
        invoice (account's ``_get_invoice_next_payment_values``): on an invoice in installments,
        the next installment (or the overdue ones) first, then the full amount; with an
        early-payment discount that applies today, the discounted amount; else what is due.

        An installment's key names its due lines: a page opened before one was paid (or fell
        overdue) cannot pay another one by the same choice.

        An invoice link that asks for an agreed part of what is due offers that amount alone.

        :return: list of dicts with ``key``, ``kind`` (``installment``, ``overdue``, ``full``,
            ``epd``, ``agreed``), ``label``, ``amount`` (before any tip), ``note`` (a line under it, or
            ``False``); never empty.
        """
        self.ensure_one()
        env = self.env
        full = {
            "key": "full",
            "kind": "full",
            "label": env._("Full amount"),
            "amount": self.amount,
            "note": False,
        }
        if self.link_type != "invoice" or self.currency_id.compare_amounts(self.amount, 0.0) <= 0:
            return [full]
        if self.requested_amount:
            # sudo: the residual of the link's own invoice, whoever reads the link.
            due = self.currency_id.format(self.move_id.sudo().amount_residual)
            return [{"key": "agreed", "kind": "agreed", "label": env._("Requested now"),
                     "amount": self.amount, "note": env._("of %(due)s due", due=due)}]  # fmt: skip
        # sudo: the amounts of the link's own invoice, whoever reads the link (its page's visitor).
        values = self.move_id.sudo()._get_invoice_next_payment_values()
        state = values.get("installment_state")
        if state == "epd":
            return [{"key": "epd", "kind": "epd", "label": env._("Full amount, discounted"),
                     "amount": values["amount_due"], "note": values["epd_discount_msg"]}]  # fmt: skip
        next_amount = values.get("next_amount_to_pay") or 0.0
        last = self.currency_id.compare_amounts(next_amount, self.amount) >= 0
        if state not in ("next", "overdue") or last:
            return [full]
        open_installments = values["not_reconciled_installments"]
        if state == "overdue":
            lines = [item["line"] for item in open_installments if item["type"] == "overdue"]
            installment = {"kind": "overdue", "label": env._("Overdue installments"), "note": False}
        else:
            lines = [open_installments[0]["line"]]
            installment = {
                "kind": "installment",
                "label": env._("Next installment"),
                "note": env._("due %(date)s", date=format_date(env, values["next_due_date"])),
            }
        key = "-".join([installment["kind"], *(str(line.id) for line in lines)])
        return [{**installment, "key": key, "amount": next_amount}, full]

    def _paylink_get_amount_owed(self):
        """Return what is left for a payment through this link to settle, in its currency,
        whatever its state: its invoice's residual (nothing once cancelled), the customer's open
        balance, the fixed amount of a custom link less what was received through it and the
        links it replaced or that replaced it."""
        self.ensure_one()
        if self.link_type == "custom":
            # Across the links it replaced and that replaced it: one amount asked, once.
            chain = self | self._paylink_get_predecessors() | self._paylink_get_successors()
            received = sum(link._paylink_get_amount_received() for link in chain)
            return max(self.custom_amount - received, 0.0)
        if self.link_type == "balance":
            # sudo: the customer's balance, whoever records the payment.
            balances = self.partner_id.sudo()._paylink_get_open_balances(self.company_id)
            return max(balances.get((self.partner_id.commercial_partner_id.id, self.company_id.id), 0.0), 0.0)
        residual = self.move_id.amount_residual if self.move_id.state in ("draft", "posted") else 0.0
        if self.requested_amount:  # an agreed part: never more than what is due
            return min(self.requested_amount, residual)
        return residual

    def _get_tips_offered(self, unavailable_reason=None):
        """Return the tip percentages the link offers: none unless tips are enabled with an account
        to post them to, for links of its type (the company's *Tips On*), and something is due.

        :param unavailable_reason: :meth:`_get_unavailable_reason`, when already known.
        """
        self.ensure_one()
        if unavailable_reason is None:
            unavailable_reason = self._get_unavailable_reason()
        company = self.company_id
        if (
            not (company.paylink_tips_enabled and company.paylink_tip_account_id)
            or self.link_type not in TIPS_LINK_TYPES[company.paylink_tips_link_types]
            or unavailable_reason
        ):
            return []
        return company._paylink_get_tip_percentages()

    def _get_tip_amount(self, percent, amount, offered=None):
        """Return the tip for ``percent`` of ``amount``, computed here and never taken from the browser.

        :param percent: one of the company's tip percentages, or 0.
        :param offered: :meth:`_get_tips_offered`, when already known.
        :raise ValidationError: for a percentage the company does not offer.
        """
        self.ensure_one()
        if not percent:
            return 0.0
        if offered is None:
            offered = self._get_tips_offered()
        if float(percent) not in offered:
            raise ValidationError(self.env._("This tip is not offered."))
        return self.currency_id.round(amount * float(percent) / 100.0)

    def _get_custom_tip_amount(self, tip, amount, offered=None):
        """Return the tip the customer entered, checked here: the company lets customers enter
        one, on a link that offers tips; at least zero and at most ``amount`` (a tip larger than
        what it tips is a typing slip, not a tip).

        :param float tip: the amount entered (``None``: not a number).
        :param offered: :meth:`_get_tips_offered`, when already known.
        :raise ValidationError: otherwise, saying what is allowed.
        """
        self.ensure_one()
        if offered is None:
            offered = self._get_tips_offered()
        if not (offered and self.company_id.paylink_tip_custom):
            raise ValidationError(self.env._("This tip is not offered."))
        currency = self.currency_id
        if (
            tip is None
            or not math.isfinite(tip)
            or currency.compare_amounts(tip, 0.0) < 0
            or currency.compare_amounts(tip, amount) > 0
        ):
            raise ValidationError(
                self.env._(
                    "Enter a tip between %(low)s and %(high)s.",
                    low=currency.format(0.0),
                    high=currency.format(amount),
                )
            )
        return currency.round(tip)

    # === BUSINESS METHODS - SENDING === #

    def _paylink_get_recipient_partner(self):
        # An invoice's link is addressed to the invoice's contact.
        return self.move_id.partner_id or self.partner_id

    def _paylink_send(self, sms_number=False, email_partner=False, note=False, **kwargs):
        """Send the link from its invoice's chatter, else its own; see ``_paylink_send_link``.

        :raise UserError: for a link that is not live, or an invoice that cannot be paid now.
        """
        self.ensure_one()
        self._paylink_check_sendable()
        return (self.move_id or self)._paylink_send_link(self, sms_number, email_partner, note, **kwargs)
