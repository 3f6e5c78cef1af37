from odoo import _, api, fields, models

from ..tools.sms_text import check_sms_number
from .account_move import PAYLINK_PAYABLE_STATES


class ResPartner(models.Model):
    _inherit = "res.partner"

    paylink_ids = fields.One2many("account.payment.link", "partner_id", string="Payment Links")
    paylink_count = fields.Integer(compute="_compute_paylink_count")
    paylink_balance_id = fields.Many2one(
        "account.payment.link",
        string="Balance Payment Link",
        compute="_compute_paylink_balance_id",
    )
    paylink_balance_url = fields.Char(string="Balance Link URL", compute="_compute_paylink_balance_id")
    paylink_sms_number = fields.Char(
        string="Mobile for SMS",
        compute="_compute_paylink_sms_number",
        help="The number payment links are sent to by SMS: the mobile, else the phone, when it can take SMS.",
    )
    paylink_sms_consent = fields.Boolean(string="SMS Reminder Consent", copy=False, tracking=True)
    paylink_sms_consent_date = fields.Datetime(string="SMS Consent Given On", copy=False)
    paylink_sms_consent_text = fields.Text(string="SMS Consent Wording", copy=False)
    paylink_sms_consent_number = fields.Char(
        string="SMS Consent Number",
        copy=False,
        readonly=True,
        help="The number the consent was given for (E.164): reminders are texted to it only while it "
        "is still the customer's number for SMS; STOP from it withdraws the consent, however the "
        "customer's numbers are written.",
    )

    @api.depends("paylink_ids")
    def _compute_paylink_count(self):
        counts = dict(
            self.env["account.payment.link"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.paylink_count = counts.get(partner._origin, 0)

    @api.depends("paylink_ids.state", "paylink_ids.link_type")
    @api.depends_context("company")
    def _compute_paylink_balance_id(self):
        for partner in self:
            link = partner.commercial_partner_id.paylink_ids.filtered(
                lambda link: (
                    link.link_type == "balance"
                    and link._paylink_is_live()
                    and link.company_id == self.env.company
                )
            )[:1]
            partner.paylink_balance_id = link
            partner.paylink_balance_url = link.url

    @api.depends("mobile", "phone", "country_id")
    def _compute_paylink_sms_number(self):
        for partner in self:
            partner.paylink_sms_number = False
            for number in (partner.mobile, partner.phone):
                # The blacklist is not checked here: the number stays the customer's, refused at sending.
                if number := check_sms_number(
                    partner, number, country=partner.country_id, blacklist=False
                ).number:
                    partner.paylink_sms_number = number
                    break

    def _paylink_get_open_balances(self, companies):
        """Return ``{(commercial partner id, company id): open receivable balance}`` of these
        customers in ``companies``.

        The balance is in the company currency: what the balance page lists, the open invoices a
        link may take a payment for less the open credits (:meth:`_paylink_get_open_credit_lines`:
        credit notes, unapplied payments), so it may be negative (a credit). Invoices that cannot
        be paid through a link (their payment blocked by an accountant, legacy) are left out: a
        balance link does not ask for them; so are other debits (a journal entry), which the page
        could not show as an invoice to pay.
        """
        if not self or not companies:
            return {}
        groups = self.env["account.move.line"]._read_group(
            domain=[
                ("company_id", "in", companies.ids),
                ("partner_id", "child_of", self.commercial_partner_id.ids),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                # Customer invoices count while payable (not blocked, legacy...); credits (credit
                # notes, payments) always lower the balance.
                "|",
                ("amount_residual", "<", 0.0),
                "&",
                ("move_id.move_type", "=", "out_invoice"),
                ("move_id.payment_state", "in", PAYLINK_PAYABLE_STATES),
            ],
            groupby=["partner_id", "company_id"],
            aggregates=["amount_residual:sum"],
        )
        balances = {}
        for partner, company, residual in groups:
            key = (partner.commercial_partner_id.id, company.id)
            balances[key] = balances.get(key, 0.0) + residual
        return balances

    def _paylink_get_open_invoices(self, company):
        """Return the customer's posted invoices in ``company`` with something left to pay, oldest
        due first."""
        self.ensure_one()
        return self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("commercial_partner_id", "=", self.commercial_partner_id.id),
                *self.env["account.move"]._paylink_get_payable_domain(),
            ],
            order="invoice_date_due asc, invoice_date asc, id asc",
        )

    def _paylink_get_open_credit_lines(self, company):
        """Return the customer's open credits in ``company``, oldest first: the receivable lines
        of credit notes and unapplied payments not used yet, found as Odoo's *Outstanding credits*
        of an invoice are. A balance payment uses them on the invoices it pays."""
        self.ensure_one()
        return self.env["account.move.line"].search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "child_of", self.commercial_partner_id.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0.0),
            ],
            order="date, id",
        )

    def _paylink_get_or_create_balance_link(self):
        """Return the customer's active balance link in the current company, creating it if needed."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        return commercial.paylink_balance_id or self.env["account.payment.link"].create(
            {"link_type": "balance", "partner_id": commercial.id, "company_id": self.env.company.id}
        )

    def action_paylink_balance(self):
        self.ensure_one()
        return self._paylink_get_or_create_balance_link()._get_form_action()

    def action_paylink_send_balance(self):
        """Open the send wizard for the customer's balance link, created when there is none."""
        self.ensure_one()
        return self._paylink_get_or_create_balance_link().action_send()

    def action_paylink_regenerate_balance(self):
        """Replace the balance link (the view asks for confirmation first)."""
        self.ensure_one()
        link = self.commercial_partner_id.paylink_balance_id
        if not link:
            return self.action_paylink_balance()
        return link.action_regenerate()

    def action_view_paylinks(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_payment_link.action_payment_link")
        action["domain"] = [("partner_id", "child_of", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def _paylink_record_sms_consent(self, text, number=None):
        """Store the customer's consent to SMS reminders, with when, the exact wording and the
        number it is given for.

        :param number: the number agreed on (any format); by default the customer's number for
            SMS (:attr:`paylink_sms_number`).
        """
        for partner in self:
            if number:
                check = check_sms_number(partner, number, country=partner.country_id, blacklist=False)
                consent_number = check.number or number
            else:
                consent_number = partner.paylink_sms_number
            partner.write(
                {
                    "paylink_sms_consent": True,
                    "paylink_sms_consent_date": fields.Datetime.now(),
                    "paylink_sms_consent_text": text,
                    "paylink_sms_consent_number": consent_number or False,
                }
            )
            partner.message_post(
                body=_(
                    "Agreed to receive payment reminders by text at %(number)s: “%(text)s”",
                    number=consent_number or _("no number yet"),
                    text=text,
                )
            )

    def _paylink_get_consented_sms_number(self):
        """Return the number this customer agreed to get reminders at, while it is still their
        number for SMS, or ``False`` (no consent, or a consent given for another number)."""
        self.ensure_one()
        if not self.paylink_sms_consent or not self.paylink_sms_number:
            return False
        # A consent recorded without a number (before 18.0.3) stands for the current number.
        if self.paylink_sms_consent_number and self.paylink_sms_consent_number != self.paylink_sms_number:
            return False
        return self.paylink_sms_number

    def action_paylink_record_sms_consent(self):
        """The accountant records a consent the customer gave them (by phone, on paper...)."""
        for partner in self:
            partner._paylink_record_sms_consent(
                _("Recorded by %(user)s at the customer's request.", user=self.env.user.name)
            )
        return True

    def action_paylink_withdraw_sms_consent(self):
        """Withdraw the consent to SMS reminders (the customer asked, or replied STOP)."""
        # The consent field is tracked: its change is the chatter's record of the withdrawal.
        self.filtered("paylink_sms_consent").write(
            {
                "paylink_sms_consent": False,
                "paylink_sms_consent_date": False,
                "paylink_sms_consent_number": False,
            }
        )
        return True

    @api.model
    def _paylink_withdraw_sms_consent_of_number(self, number):
        """The owner of ``number`` (E.164, as Twilio sends it) replied STOP: no more SMS reminders
        to the contacts that agreed for it, however their numbers are written (``(415) 555-0177``
        as well as ``+14155550177``): the number the consent was given for, Odoo's sanitized
        number of the contact, or its mobile or phone as typed."""
        partners = self.search(
            [
                ("paylink_sms_consent", "=", True),
                "|",
                "|",
                ("paylink_sms_consent_number", "=", number),
                ("phone_sanitized", "=", number),
                ("phone_mobile_search", "=", number),
            ]
        )
        partners.action_paylink_withdraw_sms_consent()
        return partners
