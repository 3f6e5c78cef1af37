import base64
import logging
import threading
from collections import defaultdict
from datetime import timedelta

import psycopg2
import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, str2bool

from ..tools.cron_budget import report_progress
from ..tools.sms_text import check_sms_number
from .account_payment_link_message import FAILED_STATES, SMS_STATES

_logger = logging.getLogger(__name__)

# Days a missed reminder step (quiet hours, a cron down) may still be sent.
REMINDER_GRACE_DAYS = 2
# The payment states in which a customer may pay an invoice through a link (and is reminded of it,
# and finds it in their balance): nothing paid yet, or part of it. Not ``paid``, ``in_payment``,
# ``reversed``, ``invoicing_legacy``, nor ``blocked`` (an accountant stopped its payment, e.g. a
# disputed invoice).
PAYLINK_PAYABLE_STATES = ("not_paid", "partial")


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
    paylink_email_state = fields.Selection(
        selection=SMS_STATES,
        string="Payment Link Email",
        compute="_compute_paylink_id",
        compute_sudo=True,
        help="The status of the last email that sent this invoice's payment link.",
    )
    paylink_payment_ready = fields.Boolean(
        string="Links Take Payments",
        compute="_compute_paylink_payment_ready",
        compute_sudo=True,
        help="Whether a payment provider of the invoice's company can take link payments: the "
        "invoice's link buttons are hidden otherwise (the Payment Links hub says what is missing).",
    )
    paylink_posted_date = fields.Datetime(
        string="First Posted On",
        readonly=True,
        copy=False,
        help="When the invoice was first posted: its payment reminders start after that day (after "
        "the day it was first sent, when it was).",
    )

    # === COMPUTE METHODS === #

    # The paylink_* fields are computed as the system (compute_sudo): whoever may read or print
    # the invoice sees its link's URL and status, including users without rights on links.

    @api.depends(
        "paylink_ids.state",
        "paylink_ids.expiry_date",
        "paylink_ids.sms_state",
        "paylink_ids.sms_failure_reason",
        "paylink_ids.email_state",
    )
    @api.depends_context("uid")
    def _compute_paylink_id(self):
        today = fields.Date.context_today(self)
        for move in self:
            # The live link: a link past its date counts as expired whatever the cron has done yet.
            active = move.paylink_ids.filtered(lambda link: link._paylink_is_live(today))[:1]
            move.paylink_id = active
            move.paylink_url = active.url
            move.paylink_count = len(move.paylink_ids)
            texted = move.paylink_ids.filtered("sms_state")
            last = max(texted, key=lambda link: link.id) if texted else texted
            move.paylink_sms_state = last.sms_state
            move.paylink_sms_failure_reason = last.sms_failure_reason
            emailed = move.paylink_ids.filtered("email_state")
            move.paylink_email_state = (
                max(emailed, key=lambda link: link.id) if emailed else emailed
            ).email_state

    @api.depends("company_id")
    def _compute_paylink_payment_ready(self):
        ready = {company: company._paylink_is_payment_configured() for company in self.company_id}
        for move in self:
            move.paylink_payment_ready = ready.get(move.company_id, False)

    # === BUSINESS METHODS === #

    def _get_invoice_next_payment_values(self, custom_amount=None):
        """Override of `account` so that a balance link's payment never takes an invoice's
        early-payment discount: account_payment grants it to any payment of an invoice whose amount
        equals the discounted amount, and a balance payment's amount (invoices chosen less
        credits, or a part) may equal it by chance; its page offers no discount."""
        values = super()._get_invoice_next_payment_values(custom_amount=custom_amount)
        if (
            self.env.context.get("paylink_no_early_payment_discount")
            and values.get("installment_state") == "epd"
        ):
            return {**values, "installment_state": False}
        return values

    @api.model
    def _paylink_get_payable_domain(self):
        """Return the domain of the customer invoices a link may take a payment for (but a
        zero residual, which only the records tell: :meth:`_paylink_get_unpayable_code`)."""
        domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", PAYLINK_PAYABLE_STATES),
        ]
        # Odoo's switch for online payment of invoices (its portal's Pay now) governs links too.
        # sudo: a setting every user's payable rule reads, as account_payment's _has_to_be_paid does.
        enabled = self.env["ir.config_parameter"].sudo().get_param("account_payment.enable_portal_payment")
        return domain if str2bool(enabled or "False") else [("id", "=", False)]

    def _paylink_get_unpayable_code(self):
        """Return why a customer could not pay this move through a link right now, or ``False``.

        The one payable rule of links, on Odoo's own (``_has_to_be_paid``, the portal's: posted,
        something due, online payment enabled, no payment pending) with ours added (a payment
        blocked by an accountant; a payment confirmed but not recorded yet counts as pending).
        The accountant's error (:meth:`_paylink_check_payable`) and the pay page say it each in
        their words.

        :return: ``not_invoice``, ``draft``, ``cancel``, ``paid`` (paid, in payment, legacy),
            ``nothing_due`` (reversed, or a zero residual), ``pending`` (a payment under way, from
            any source), ``blocked`` (its payment blocked by an accountant), ``disabled`` (online
            payment of invoices switched off), or ``False``.
        """
        self.ensure_one()
        pending = self._paylink_get_pending_transactions()
        if self._has_to_be_paid() and not pending and self.payment_state in PAYLINK_PAYABLE_STATES:
            return False
        checks = (
            (self.move_type != "out_invoice", "not_invoice"),
            (self.state == "draft", "draft"),
            (self.state == "cancel", "cancel"),
            (self.payment_state in ("paid", "in_payment", "invoicing_legacy"), "paid"),
            # Odoo keeps "blocked" after the invoice is paid: once nothing is due, that is what counts.
            (self.currency_id.is_zero(self.amount_residual), "nothing_due"),
            (bool(pending), "pending"),
            (self.payment_state == "blocked", "blocked"),
            (self.payment_state not in PAYLINK_PAYABLE_STATES, "nothing_due"),
        )
        return next((code for applies, code in checks if applies), "disabled")

    def _paylink_get_pending_transactions(self):
        """Return the payments of this invoice under way, from any source (a link, Odoo's portal)."""
        self.ensure_one()
        return self.transaction_ids.filtered(lambda tx: tx._paylink_is_in_progress())

    def _paylink_has_payments(self):
        """Return whether money was received or is on its way for this invoice: a payment matched
        with it (kept by Odoo when the invoice is reset to draft), a transaction done or under way,
        a payment through one of its links."""
        self.ensure_one()
        return bool(
            self.matched_payment_ids.filtered(
                lambda payment: payment.state not in ("draft", "canceled", "rejected")
            )
            or self.transaction_ids.filtered(lambda tx: tx.state in ("pending", "authorized", "done"))
            or self.paylink_ids.filtered("payment_id")
            or self._get_reconciled_payments()
        )

    def _paylink_is_payable(self):
        """Whether a customer could pay this move through a link right now."""
        return not self._paylink_get_unpayable_code()

    def _paylink_get_unpayable_reason(self):
        """Return, for the accountant, why no payment link can be made for this move, or ``False``."""
        code = self._paylink_get_unpayable_code()
        if not code:
            return False
        if code == "pending":
            return False  # a link may be made and sent: its page says a payment is being processed
        messages = {
            "disabled": _("Online payment of invoices is disabled (Invoicing settings)."),
            "not_invoice": _(
                "Payment links are for customer invoices only (%(move)s is not one).", move=self.name
            ),
            "draft": _("Confirm the invoice before creating a payment link."),
            "cancel": _("The invoice %(move)s is cancelled.", move=self.name),
            "blocked": _(
                "The payment of invoice %(move)s is blocked: unblock it before creating a payment link.",
                move=self.name,
            ),
        }
        return messages.get(code) or _("The invoice %(move)s has nothing left to pay.", move=self.name)

    def _paylink_check_payable(self):
        """Raise a clear error when no payment link can be made for this move."""
        if reason := self._paylink_get_unpayable_reason():
            raise UserError(reason)

    def _paylink_get_or_create(self, requested_amount=False):
        """Return the active link of each invoice, creating the missing ones.

        :param requested_amount: what a new link asks for, when only part of what is due.
        """
        links = self.env["account.payment.link"]
        to_create = self.env["account.move"]
        for move in self:
            # An existing link too: the invoice may have been blocked or paid since it was made.
            move._paylink_check_payable()
            # A link past its date counts as expired: it gives its place up to a new one.
            move.paylink_ids._paylink_expire_overdue()
            if move.paylink_id:
                links |= move.paylink_id
            else:
                to_create |= move
        if to_create:
            links |= self.env["account.payment.link"].create(
                [
                    {"link_type": "invoice", "move_id": move.id, "requested_amount": requested_amount}
                    for move in to_create
                ]
            )
        return links

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
        posted.filtered(lambda move: not move.paylink_posted_date).paylink_posted_date = fields.Datetime.now()
        # Only a new request for money: never for an invoice with nothing due, nor one posted again
        # after it was paid in part or in full (its payments, or its link's), nor one paid as posted.
        auto = posted.filtered(
            lambda move: (
                (move.company_id.paylink_auto_create or move.company_id.paylink_auto_send)
                and move._paylink_is_payable()
                and not move._paylink_has_payments()
            )
        )
        for move in auto:
            # Each invoice on its own: nothing about its link may stop it (or the others) from
            # being posted; what went wrong is said in its chatter.
            try:
                with self.env.cr.savepoint():
                    move._paylink_auto_link_and_send()
            except psycopg2.OperationalError:
                raise  # a concurrency error: Odoo retries the whole request
            except Exception as error:
                _logger.exception("Invoice %s: its payment link could not be made or sent", move.name)
                message = error.args[0] if isinstance(error, UserError) else repr(error)
                move.message_post(
                    body=_(
                        "The payment link of this invoice could not be made or sent automatically: "
                        "%(error)s. Use the Payment link button once it is fixed.",
                        error=message,
                    )
                )
        return posted

    def _paylink_auto_link_and_send(self):
        """Make the posted invoice's link (when the company makes one for every invoice) and send
        it (when the company sends every invoice's link)."""
        self.ensure_one()
        company = self.company_id
        if company._paylink_is_payment_configured() and not self.paylink_id:
            # sudo: the invoice was posted by someone allowed to; the link follows the setting.
            self.sudo()._paylink_get_or_create()
        if (
            company.paylink_auto_send
            and self.paylink_id
            and (company.paylink_auto_send_email or company.paylink_auto_send_sms)
        ):
            self._paylink_auto_send()

    def unlink(self):
        """Override of `account`: a deleted invoice's links die with it (the one 404), never deleted:
        their log of messages and payments stays."""
        # sudo: closing the links is the deletion's consequence, whoever may delete the invoice.
        links = self.sudo().paylink_ids.filtered(lambda link: link._paylink_is_live())
        for link in links._paylink_transition("invoice_deleted"):
            link.message_post(
                body=_("Invoice %(move)s was deleted: the link is closed.", move=link.move_id.name)
            )
        return super().unlink()

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
        """The invoice's "Payment link" button: the active link, created when there is none (then
        said in a notification and in the invoice's chatter)."""
        return self._paylink_open_for_amount(False)

    def _paylink_open_for_amount(self, requested_amount):
        """Open the invoice's active link, made when there is none (said in a notification and in
        the invoice's chatter), asking for ``requested_amount`` (``False``: what is due).

        :raise UserError: the active link asks for another amount (only a manager may revoke it).
        """
        self.ensure_one()
        before = self.paylink_ids
        link = self._paylink_get_or_create(requested_amount=requested_amount)
        if link in before:
            if link.currency_id.compare_amounts(link.requested_amount or 0.0, requested_amount or 0.0):
                raise UserError(
                    _(
                        "%(invoice)s already has a live payment link, %(link)s, asking for %(amount)s: "
                        "a payment link manager may revoke it to make one for another amount.",
                        invoice=self.display_name,
                        link=link.name,
                        amount=link.currency_id.format(link.amount),
                    )
                )
            return link._get_form_action()
        if requested_amount:
            body = _(
                "Payment link %(link)s created, asking for %(amount)s of %(due)s due.",
                link=link._get_html_link(),
                amount=link.currency_id.format(requested_amount),
                due=link.currency_id.format(self.amount_residual),
            )
        else:
            body = _("Payment link %(link)s created.", link=link._get_html_link())
        self.message_post(body=body)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("Payment link %(link)s created: send it, or copy its URL.", link=link.name),
                "next": link._get_form_action(),
            },
        }

    def action_paylink_send(self):
        """The invoice's "Send payment link" button: the send wizard for its (new) active link."""
        self.ensure_one()
        return self._paylink_get_or_create().action_send()

    def action_view_paylinks(self):
        """The invoice's smart button: its one link's form, or the list of its links."""
        self.ensure_one()
        if len(self.paylink_ids) == 1:
            return self.paylink_ids._get_form_action()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_payment_link.action_payment_link")
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # === BUSINESS METHODS - REMINDERS === #

    @api.model
    def _cron_paylink_send_reminders(self, limit=200):
        """Remind customers of their unpaid invoices on the days the companies chose.

        Each invoice gets the step due today (or missed in the last two days, e.g. in quiet
        hours), once, up to the company's maximum; none after payment. Each reminder is committed
        on its own outside tests, so a killed run sends nothing twice.
        """
        now = fields.Datetime.now()
        # The search is a day wider on each side: each customer's "today" is in their time zone.
        today = fields.Date.today()
        companies = self.env["res.company"].search([("paylink_reminders_enabled", "=", True)])
        sent = 0  # reminders sent by this call, all companies together
        for company in companies:
            days = company._paylink_get_reminder_days()
            if not days:
                continue
            moves = self.search(
                [
                    ("company_id", "=", company.id),
                    *self._paylink_get_payable_domain(),
                    ("invoice_date_due", ">=", today - timedelta(days=max(days) + REMINDER_GRACE_DAYS + 1)),
                    ("invoice_date_due", "<=", today - timedelta(days=min(days) - 1)),
                ],
                order="invoice_date_due, id",
            )
            Log = self.env["account.payment.link.message"]
            done = defaultdict(set)
            for move, day in Log._read_group(
                [("reminder_move_id", "in", moves.ids)], ["reminder_move_id", "reminder_day"]
            ):
                done[move].add(day)
            # When each invoice's link was first sent (not a reminder): reminders start after that.
            first_sent = {}
            for link, when in Log._read_group(
                [("link_id.move_id", "in", moves.ids), ("reminder_move_id", "=", False),
                 ("state", "not in", FAILED_STATES)],
                ["link_id"],
                ["create_date:min"],
            ):  # fmt: skip
                first_sent[link.move_id] = min(first_sent.get(link.move_id, when), when)
            for move in moves.with_company(company):
                local_today = fields.Date.context_today(
                    move.with_context(tz=move._paylink_get_customer_tz()), now
                )
                day = move._paylink_get_due_reminder_day(days, local_today)
                if day is None or day in done[move] or len(done[move]) >= company.paylink_reminder_max:
                    continue
                if move._paylink_in_quiet_hours(now) or not move._paylink_is_payable():
                    continue  # a payment under way (or the invoice changed since the search)
                started = move._paylink_get_reminders_start(first_sent.get(move))
                if started and move.invoice_date_due + timedelta(days=day) <= started:
                    continue  # a step due before the invoice was posted (or sent): never sent
                if move._paylink_link_revoked():
                    move._paylink_log_reminder_not_sent(
                        day,
                        _("Its payment link was revoked by a manager: no reminder is sent with a new one."),
                    )
                    continue
                try:
                    with self.env.cr.savepoint():
                        move._paylink_send_reminder(day)
                except Exception:  # one invoice's problem (no provider, a bad address) stops no other
                    _logger.warning("Invoice %s: payment reminder not sent", move.name, exc_info=True)
                    continue
                if not getattr(threading.current_thread(), "testing", False):
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                sent += 1
                if sent >= limit:
                    # The rest of this company's invoices, and the other companies, in the next call.
                    left = len(moves) - list(moves.ids).index(move.id) - 1
                    report_progress(
                        self.env,
                        "account_payment_link.ir_cron_paylink_send_reminders",
                        done=sent,
                        remaining=left or 1,
                    )
                    return
        report_progress(
            self.env, "account_payment_link.ir_cron_paylink_send_reminders", done=sent, remaining=0
        )

    def _paylink_get_reminders_start(self, first_sent=None):
        """Return the last day (in the customer's time zone) on which no reminder may go: the day
        the invoice was first posted, or the day its link was first sent (``first_sent``, UTC)
        when later; ``None`` when unknown (an invoice posted before this was recorded)."""
        self.ensure_one()
        tz = pytz.timezone(self._paylink_get_customer_tz())
        days = [
            pytz.utc.localize(when).astimezone(tz).date()
            for when in (self.paylink_posted_date, first_sent)
            if when
        ]
        return max(days) if days else None

    def _paylink_link_revoked(self):
        """Whether a manager revoked the invoice's payment link and none is live since: a reminder
        would bring it back."""
        self.ensure_one()
        # paylink_id: the invoice's live link, read as the system (compute_sudo).
        return not self.paylink_id and self.sudo().paylink_ids.sorted("id")[-1:].state == "revoked"

    def _paylink_log_reminder_not_sent(self, day, reason, link=None):
        """Log this reminder step as not sent (once: the step counts as done) and say why on the
        invoice; return the log.

        :param link: the link the step is logged on; by default the invoice's newest.
        """
        self.ensure_one()
        link = link or self.sudo().paylink_ids.sorted("id")[-1]  # sudo: the cron reads the invoice's links
        self.message_post(body=_("Payment reminder not sent: %(reason)s", reason=reason))
        # sudo: the reminders cron's own sending log, whoever runs it
        return self.env["account.payment.link.message"].sudo().create(
            {"link_id": link.id, "channel": "email", "recipient": self.partner_id.display_name,
             "initial_state": "failed", "initial_failure_reason": reason,
             "reminder_move_id": self.id, "reminder_day": day}
        )  # fmt: skip

    def _paylink_get_due_reminder_day(self, days, today):
        """Return the latest of ``days`` whose date (due date + day) is today or in the last
        two days, or ``None``."""
        self.ensure_one()
        due = [
            day
            for day in days
            if today - timedelta(days=REMINDER_GRACE_DAYS)
            <= self.invoice_date_due + timedelta(days=day)
            <= today
        ]
        return max(due) if due else None

    def _paylink_get_customer_tz(self):
        self.ensure_one()
        return self.partner_id.tz or self.company_id.partner_id.tz or "UTC"

    def _paylink_in_quiet_hours(self, when):
        """Whether ``when`` (UTC) falls in the company's quiet hours, in the customer's time zone."""
        self.ensure_one()
        company = self.company_id
        start, end = company.paylink_reminder_quiet_start, company.paylink_reminder_quiet_end
        if start == end:
            return False
        tz = pytz.timezone(self._paylink_get_customer_tz())
        local = pytz.utc.localize(when).astimezone(tz)
        hour = local.hour + local.minute / 60.0
        return start <= hour < end if start < end else (hour >= start or hour < end)

    def _paylink_send_reminder(self, day):
        """Send this invoice's reminder for ``day`` with its live link: by SMS when the customer
        agreed to it and the number can take it, by email otherwise; log the step."""
        self.ensure_one()
        link = self._paylink_get_or_create()
        recipient = self._paylink_get_recipient_partner()
        customer = recipient.commercial_partner_id
        sms_number = email_partner = False
        # Only the number of whoever agreed: the invoice's contact, else the customer company.
        agreed = recipient if recipient.paylink_sms_consent else customer.filtered("paylink_sms_consent")
        # Only to the number they agreed for: a consent does not follow the customer to a new number.
        consented = agreed and agreed._paylink_get_consented_sms_number()
        if consented and not self.company_id._paylink_get_sms_gateway_problem():
            check = check_sms_number(agreed, consented, country=agreed.country_id)
            sms_number = not check.failure_type and check.number
        if not sms_number and recipient.email:
            email_partner = recipient
        note = self._paylink_get_reminder_note(day)
        step = {"reminder_move_id": self.id, "reminder_day": day}
        if sms_number or email_partner:
            return self._paylink_send_link(
                link, sms_number, email_partner, note, strict=False, queue_email=True, log_values=step
            )
        return self._paylink_log_reminder_not_sent(
            day, _("No mobile agreed to reminders and no email address."), link=link
        )

    def _paylink_get_reminder_note(self, day):
        """Return the reminder's sentence, in the customer's language."""
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        due = format_date(env, self.invoice_date_due)
        if day < 0:
            return env._("Reminder: invoice %(invoice)s is due on %(date)s.", invoice=self.name, date=due)
        if day == 0:
            return env._("Reminder: invoice %(invoice)s is due today.", invoice=self.name)
        return env._("Reminder: invoice %(invoice)s was due on %(date)s.", invoice=self.name, date=due)
