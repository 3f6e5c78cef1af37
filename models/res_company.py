import re
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import stripe_api, twilio_api
from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.const import HANDLED_WEBHOOK_EVENTS

DEFAULT_TIP_PERCENTAGES = "18,20,25"
DEFAULT_SMS_CONSENT_TEXT = (
    "I agree to receive automated payment reminders by text message. Reply STOP to opt out."
)


class ResCompany(models.Model):
    _inherit = "res.company"

    # === TWILIO === #
    paylink_twilio_account_sid = fields.Char(
        string="Twilio SMS Account SID",
        groups="base.group_system",
        copy=False,
    )
    paylink_twilio_auth_token = fields.Char(
        string="Twilio SMS Auth Token",
        groups="base.group_system",
        copy=False,
    )
    paylink_sms_gateway = fields.Selection(
        selection=[("iap", "Odoo (IAP)"), ("twilio", "Twilio (this app)")],
        string="SMS Gateway",
        default="iap",
        required=True,
        help="Which service sends this company's SMS, payment links' and other apps' alike. With "
        "Twilio, delivery statuses and STOP/START replies come back to Odoo.",
    )
    paylink_sms_concurrency = fields.Integer(
        string="SMS Sent at Once",
        default=8,
        help="How many SMS of a batch are handed to Twilio at the same time.",
    )
    paylink_twilio_sender = fields.Char(
        string="Twilio SMS Sender",
        help="A phone number in E.164 format (+15551234567) or a Messaging Service SID (MG...).",
        copy=False,
    )

    paylink_auto_send = fields.Boolean(
        string="Send Links When Invoices Are Confirmed",
        help="Send each customer invoice's payment link, by the channels below, when it is confirmed.",
    )
    paylink_auto_send_sms = fields.Boolean(string="Auto-send by SMS")
    paylink_auto_send_email = fields.Boolean(string="Auto-send by Email", default=True)
    paylink_resend_window_hours = fields.Integer(
        string="Do Not Resend Within (hours)",
        default=24,
        help="Bulk sending skips links already sent by the same channel within this many hours, "
        "unless the user forces it. 0 turns the check off.",
    )

    # === LINKS === #
    paylink_auto_create = fields.Boolean(
        string="Add a Payment Link to Every Invoice",
        help="Create a payment link for each customer invoice when it is confirmed.",
    )
    paylink_expiry_days = fields.Integer(
        string="Link Validity (days)",
        default=30,
        help="Days a new link stays valid; 0 means links never expire. Balance links never expire. "
        "The link of an invoice in installments stays valid until its last installment is due, then "
        "for these days.",
    )
    paylink_balance_partial = fields.Boolean(
        string="Part of a Balance",
        help="Let customers pay part of the invoices they chose on a balance link (at least the "
        "minimum below); the payment goes to the oldest due first.",
    )
    paylink_balance_minimum = fields.Monetary(
        string="Minimum Part",
        currency_field="currency_id",
        help="The least a customer may pay of a balance at once (the whole of what they chose, when "
        "that is less).",
    )
    paylink_tips_enabled = fields.Boolean(string="Offer Tips")
    paylink_tip_custom = fields.Boolean(
        string="Custom Tip Amount",
        help="Let customers enter a tip amount of their own (at most the amount they pay), besides the "
        "percentages.",
    )
    paylink_tips_link_types = fields.Selection(
        [
            ("invoice", "Invoice links"),
            ("invoice_balance", "Invoice and balance links"),
            ("all", "All links"),
        ],
        string="Tips On",
        default="invoice",
        required=True,
        help="The links whose page offers tips: a tip fits a service's invoice more than a business's "
        "whole balance or an amount agreed apart.",
    )
    paylink_tip_percentages = fields.Char(
        string="Tip Percentages",
        default=DEFAULT_TIP_PERCENTAGES,
        help="Comma-separated percentages offered as tips, e.g. 18,20,25.",
    )
    paylink_offer_saved_methods = fields.Boolean(
        string="Offer Saved Payment Methods on Links",
        help="Offer the customer's saved payment methods on the link's page. Off by default: whoever "
        "holds a forwarded link could otherwise pay with the customer's saved card.",
    )
    paylink_ask_sms_consent = fields.Boolean(string="Ask for SMS Reminder Consent")
    paylink_sms_consent_text = fields.Char(
        string="SMS Consent Text", default=DEFAULT_SMS_CONSENT_TEXT, translate=True
    )
    paylink_notify_admins = fields.Boolean(string="Notify Administrators of Payments")
    paylink_send_receipt = fields.Boolean(
        string="Email a Receipt", default=True, help="Email the customer a receipt with the invoice PDF."
    )
    paylink_payment_check_result = fields.Html(
        string="Payment Setup Check",
        readonly=True,
        copy=False,
        sanitize=True,
        help="The result of the last *Check payment setup*.",
    )
    paylink_twilio_check_result = fields.Html(
        string="Twilio Check",
        readonly=True,
        copy=False,
        sanitize=True,
        groups="base.group_system",
        help="The result of the last *Test Twilio*.",
    )
    paylink_tip_account_id = fields.Many2one(
        "account.account",
        string="Tips Account",
        domain="[('account_type', 'in', ('income', 'income_other', 'liability_current'))]",
        help="The account tips are posted to.",
    )

    paylink_reminders_enabled = fields.Boolean(
        string="Payment Reminders",
        help="Remind customers of their unpaid invoices, with the invoice's payment link: by SMS to "
        "those who agreed to it, by email to the others.",
    )
    paylink_reminder_days = fields.Char(
        string="Remind On",
        default="-3,0,7",
        help="Days from the due date, separated by commas: -3 is three days before, 0 the due date, "
        "7 a week after.",
    )
    paylink_reminder_max = fields.Integer(string="Reminders per Invoice", default=3)
    paylink_reminder_quiet_start = fields.Float(
        string="Quiet Hours From",
        default=21.0,
        help="No reminder from this hour, in the customer's time zone.",
    )
    paylink_reminder_quiet_end = fields.Float(
        string="Quiet Hours Until",
        default=8.0,
        help="No reminder before this hour, in the customer's time zone.",
    )

    # === CONSTRAINT METHODS === #

    @api.constrains("paylink_reminder_days", "paylink_reminder_max", "paylink_reminder_quiet_start",
                    "paylink_reminder_quiet_end")  # fmt: skip
    def _check_paylink_reminders(self):
        for company in self:
            company._paylink_get_reminder_days()
            if company.paylink_reminder_max < 1:
                raise ValidationError(_("Allow at least one reminder per invoice."))
            hours = (company.paylink_reminder_quiet_start, company.paylink_reminder_quiet_end)
            if any(not 0 <= hour < 24 for hour in hours):
                raise ValidationError(_("Quiet hours are hours of the day, from 00:00 to 23:59."))

    @api.constrains("paylink_balance_minimum")
    def _check_paylink_balance_minimum(self):
        if any(
            company.currency_id.compare_amounts(company.paylink_balance_minimum, 0.0) < 0 for company in self
        ):
            raise ValidationError(_("The minimum part of a balance cannot be negative."))

    @api.constrains("paylink_expiry_days")
    def _check_paylink_expiry_days(self):
        for company in self:
            if company.paylink_expiry_days < 0:
                raise ValidationError(_("The link validity cannot be negative (0 means never)."))

    @api.constrains("paylink_resend_window_hours")
    def _check_paylink_resend_window_hours(self):
        for company in self:
            if company.paylink_resend_window_hours < 0:
                raise ValidationError(_("The resend window cannot be negative (0 turns it off)."))

    @api.constrains("paylink_sms_concurrency")
    def _check_paylink_sms_concurrency(self):
        for company in self:
            if not 1 <= company.paylink_sms_concurrency <= 32:
                raise ValidationError(_("Send between 1 and 32 SMS at once."))

    @api.constrains("paylink_twilio_account_sid", "paylink_twilio_sender")
    def _check_paylink_twilio_credentials(self):
        """The Twilio credentials typed are in Twilio's forms (that all three are there is checked
        when the settings are saved: they are written one field at a time)."""
        for company in self.sudo():  # sudo: the secrets are checked, never shown
            sid = (company.paylink_twilio_account_sid or "").strip()
            sender = (company.paylink_twilio_sender or "").strip()
            if sid and not re.fullmatch(r"AC[0-9a-fA-F]{32}", sid):
                raise ValidationError(
                    _("The Twilio Account SID starts with AC followed by 32 letters and digits (0-9, a-f).")
                )
            if sender and not re.fullmatch(r"\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32}", sender):
                raise ValidationError(
                    _(
                        "The Twilio sender is a phone number in international form (+15551234567) "
                        "or a Messaging Service SID (MG followed by 32 letters and digits)."
                    )
                )

    @api.constrains("paylink_tip_percentages")
    def _check_paylink_tip_percentages(self):
        for company in self:
            company._paylink_get_tip_percentages()

    # === BUSINESS METHODS === #

    def _paylink_get_reminder_days(self):
        """Return the reminder days (relative to the due date) as a sorted list of integers.

        :raise ValidationError: when the setting is not a list of whole days within a year.
        """
        self.ensure_one()
        raw = (self.paylink_reminder_days or "").replace(" ", "")
        try:
            days = sorted({int(part) for part in raw.split(",") if part})
        except ValueError:
            days = None
        if days is None or any(abs(day) > 365 for day in days):
            raise ValidationError(
                _(
                    "Reminder days are whole numbers of days from the due date, separated by commas "
                    "(for example -3,0,7), at most 365 before or after; %(value)s is not.",
                    value=self.paylink_reminder_days,
                )
            )
        return days

    def _paylink_get_tip_percentages(self):
        """Return the tip percentages as a sorted list of numbers.

        :raise ValidationError: when the setting is not a list of percentages between 0 and 100.
        """
        self.ensure_one()
        raw = (self.paylink_tip_percentages or "").replace(" ", "")
        if not raw:
            return []
        try:
            values = sorted({float(part) for part in raw.split(",") if part})
        except ValueError:
            values = None
        if not values or any(value <= 0 or value > 100 for value in values):
            raise ValidationError(
                _(
                    "Tip percentages must be numbers between 0 and 100 separated by commas, "
                    "such as %(example)s.",
                    example=DEFAULT_TIP_PERCENTAGES,
                )
            )
        return values

    def _paylink_default_expiry_date(self, invoice=None):
        """Return the expiry date of a new link of this company, or ``False`` for never.

        :param invoice: the invoice of an invoice link. One in installments keeps its link (which
            pays each installment in turn) valid until its last installment is due, then for the
            company's days as any other link.
        """
        self.ensure_one()
        if not self.paylink_expiry_days:
            return False
        start = fields.Date.context_today(self)
        if invoice:
            dues = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term").mapped(
                "date_maturity"
            )
            if len(dues) > 1:
                start = max(start, *filter(None, dues))
        return start + timedelta(days=self.paylink_expiry_days)

    def _paylink_get_payment_providers(self):
        """Return the providers of this company that can take link payments (enabled or test)."""
        self.ensure_one()
        # sudo: providers are read for their state only; no secret leaves this method.
        providers_sudo = (
            self.env["payment.provider"]
            .sudo()  # sudo: providers' state only
            .search(
                [
                    ("company_id", "=", self.id),
                    ("state", "in", ("enabled", "test")),
                    ("is_published", "=", True),
                ]
            )
        )
        return providers_sudo.filtered(lambda provider: not provider._paylink_get_unusable_reason())

    def _paylink_get_stripe_provider(self):
        """Return the company's Stripe provider (``payment_stripe``), enabled or not: the live one
        first, then one in test mode, then a disabled one (a company may keep several)."""
        self.ensure_one()
        # sudo: the provider is read to show its state in the settings; no secret leaves here.
        providers = (
            self.env["payment.provider"]
            .sudo()  # sudo: provider's state only
            .search([("code", "=", "stripe"), ("company_id", "=", self.id)])
        )
        rank = {"enabled": 0, "test": 1, "disabled": 2}
        return providers.sorted(
            lambda provider: (rank.get(provider.state, 3), provider.sequence, provider.id)
        )[:1]

    def _paylink_check_payment_setup(self):
        """Ask Stripe, with the provider's keys, whether it is ready for link payments; keep the
        result on the company for the settings to show.

        :return: the lines of :func:`~..tools.stripe_api.check_setup`.
        """
        self.ensure_one()
        provider = self._paylink_get_stripe_provider()
        if not provider:
            raise UserError(_("There is no Stripe payment provider for %(company)s.", company=self.name))
        webhook_url = provider._get_stripe_webhook_url()
        lines = stripe_api.check_setup(
            stripe_utils.get_secret_key(provider), webhook_url, HANDLED_WEBHOOK_EVENTS
        )
        if provider._paylink_get_unusable_reason():
            lines.append((False, _("Webhook signing secret"), provider._paylink_get_unusable_reason()))
        self.paylink_payment_check_result = self._paylink_render_check_lines(lines)
        return lines

    @api.model
    def _paylink_render_check_lines(self, lines):
        """Return the ``(ok, label, detail)`` lines of a setup check as the settings show them."""
        icons = {
            True: "fa-check text-success",
            False: "fa-times text-danger",
            None: "fa-question text-warning",
        }
        return Markup("<ul class='list-unstyled mb-0'>%s</ul>") % Markup("").join(
            Markup("<li><i class='fa %s'/> <strong>%s</strong>: %s</li>") % (icons[ok], label, detail)
            for ok, label, detail in lines
        )

    def _paylink_check_twilio(self):
        """Ask Twilio whether this company's credentials and sender can send its SMS; keep the
        result on the company for the settings to show.

        :return: the lines of :func:`~..tools.twilio_api.check_credentials`.
        """
        self.ensure_one()
        lines = twilio_api.check_credentials(self)
        # sudo: a system-only field, written for the administrator who pressed the button.
        self.sudo().paylink_twilio_check_result = self._paylink_render_check_lines(lines)
        return lines

    def _paylink_get_admins(self):
        """Return the administrators told of this company's link payments (active internal users
        of the Settings group who work in the company)."""
        self.ensure_one()
        return self.env.ref("base.group_system").users.filtered(
            lambda user: self in user.company_ids and not user.share
        )

    def _paylink_is_payment_configured(self):
        self.ensure_one()
        return bool(self._paylink_get_payment_providers())

    def _paylink_get_payment_unavailable_reason(self):
        """Return what is missing for this company's links to take payments, or ``False``."""
        self.ensure_one()
        if self._paylink_is_payment_configured():
            return False
        # sudo: the provider's name and state only, to say what to fix.
        unusable = (
            self.env["payment.provider"]
            .sudo()  # sudo: names and states only
            .search([("company_id", "=", self.id), ("state", "in", ("enabled", "test"))])
        )
        reasons = [reason for provider in unusable if (reason := provider._paylink_get_unusable_reason())]
        reasons += [
            _("%(provider)s is enabled but not published.", provider=provider.name)
            for provider in unusable
            if not provider.is_published and not provider._paylink_get_unusable_reason()
        ]
        if reasons:
            return " ".join(reasons)
        return _(
            "No payment provider is enabled for %(company)s: enable one (Stripe, or another) in "
            "Invoicing > Configuration > Payment Providers.",
            company=self.name,
        )

    def _paylink_check_payment_configured(self):
        """Raise a clear error when the company cannot take payments by link."""
        self.ensure_one()
        if reason := self._paylink_get_payment_unavailable_reason():
            raise UserError(reason)

    def _paylink_is_twilio_configured(self):
        self.ensure_one()
        # sudo: only whether the secrets are set is disclosed, never their value.
        company_sudo = self.sudo()
        return bool(
            company_sudo.paylink_twilio_account_sid
            and company_sudo.paylink_twilio_auth_token
            and company_sudo.paylink_twilio_sender
        )

    @api.model
    def _paylink_odoo_twilio_installed(self):
        """Whether Odoo's own Twilio module (``sms_twilio``) is installed: it then chooses each
        company's SMS provider itself, and this app's gateway stands aside."""
        return self.env["ir.module.module"]._get("sms_twilio").state in ("installed", "to upgrade")

    def _paylink_sends_through_twilio(self):
        """Whether this company's SMS go through this app's Twilio gateway."""
        self.ensure_one()
        return self.paylink_sms_gateway == "twilio" and not self._paylink_odoo_twilio_installed()

    def _paylink_get_sms_gateway_problem(self):
        """Return why this company cannot send SMS now, or ``False``."""
        self.ensure_one()
        if self._paylink_sends_through_twilio() and not self._paylink_is_twilio_configured():
            return _(
                "Twilio is not configured for %(company)s: fill in the Account SID, the Auth Token and "
                "the sender in Invoicing settings, section Payment links (or choose Odoo as the SMS "
                "gateway).",
                company=self.name,
            )
        return False

    def _paylink_check_sms_gateway(self):
        """Raise a clear error when the company cannot send SMS now."""
        self.ensure_one()
        if problem := self._paylink_get_sms_gateway_problem():
            raise UserError(problem)

    @api.model
    def paylink_get_hub_info(self, domain=None):
        """Return what the hub (the list of links) shows above the list for the current company:
        what payments lack, and what the links the list shows collected this month (their
        payments, less refunds, in company currency).

        :param list domain: the list's domain (its filters, and the record it was opened from).
        :return: dict with ``payment_unavailable_reason``, ``paid_this_month`` and its display.
        """
        # The hub is the list of links: whoever may read links (invoicing users) sees its figures,
        # of the links they may read (the domain is searched with their rights).
        Link = self.env["account.payment.link"]
        Link.check_access("read")
        try:
            links = Link._search(domain or [])
        except (ValueError, TypeError, KeyError) as error:
            raise UserError(_("The list's filters could not be read: %(error)s", error=error)) from error
        company = self.env.company
        start = fields.Date.context_today(self).replace(day=1)
        # sudo: checked above, and the links are the user's; no payment leaves, only its sum.
        payments_sudo = self.env["account.payment"].sudo()
        [(total,)] = payments_sudo._read_group(
            [
                ("company_id", "=", company.id),
                ("date", ">=", start),
                ("state", "not in", ("draft", "canceled", "rejected")),
                "|",
                ("payment_transaction_id.paylink_id", "in", links),
                ("payment_transaction_id.source_transaction_id.paylink_id", "in", links),
            ],
            aggregates=["amount_company_currency_signed:sum"],
        )
        currency = company.currency_id
        total = currency.round(total or 0.0)
        return {
            "payment_unavailable_reason": company._paylink_get_payment_unavailable_reason(),
            "paid_this_month": total,
            "paid_this_month_display": currency.format(total),
        }
