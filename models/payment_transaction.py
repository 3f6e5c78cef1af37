import logging
from datetime import timedelta

import psycopg2
import psycopg2.errorcodes

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..tools.cron_budget import report_progress
from odoo.addons.payment import utils as payment_utils

_logger = logging.getLogger(__name__)

# A link transaction's state, amount and recording are written only by its provider's notification
# (Odoo's _handle_notification_data and _set_* methods) and Odoo's post-processing, which put this
# object in the context (no RPC call can send it), or by code running as the superuser.
_PROVIDER_UPDATE = object()
# What a user may not write on a link transaction: what the provider reports, what the link asked,
# and how the payment was recorded.
PROVIDER_FIELDS = frozenset(
    {
        "state", "amount", "currency_id", "paylink_id", "paylink_tip_amount", "payment_id",
        "is_post_processed", "invoice_ids", "operation", "provider_reference", "source_transaction_id",
    }
)  # fmt: skip
# Odoo's post-processing cron gives up on a transaction after 4 days (payment's _cron_post_process):
# a payment done but never recorded holds the link no longer.
POST_PROCESS_RETRY_DAYS = 4


class PaymentTransaction(models.Model):
    """A link's payments: Odoo's transactions, tied to the link (``paylink_id``), moved only by
    their provider, recorded on the link, checked against what was left to pay."""

    _inherit = "payment.transaction"

    paylink_id = fields.Many2one(
        "account.payment.link",
        string="Payment Link",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The payment link this transaction pays.",
    )
    paylink_receipt_state = fields.Selection(
        selection=[("to_send", "To send"), ("sent", "Sent")],
        string="Receipt",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The customer's receipt of a payment by link, queued by the receipts cron.",
    )
    paylink_payment_kind = fields.Selection(
        [("installment", "Next Installment"), ("overdue", "Overdue Installments"), ("full", "Full Amount"),
         ("epd", "Full Amount, Discounted"), ("agreed", "Amount Requested"), ("chosen", "Invoices Chosen"),
         ("part", "Part of the Invoices Chosen")],
        string="Amount Chosen",
        readonly=True,
        help="What the customer chose to pay on the link's page.",
    )  # fmt: skip
    paylink_tip_amount = fields.Monetary(
        string="Tip",
        currency_field="currency_id",
        readonly=True,
        help="The part of the amount the customer added as a tip on the payment link's page.",
    )

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("paylink_id") and vals.get("state", "draft") != "draft":
                raise AccessError(_("A payment link's transaction starts as a draft; its provider moves it."))
        return super().create(vals_list)

    def write(self, vals):
        if PROVIDER_FIELDS & vals.keys() and not self._paylink_by_provider():
            if self.filtered(lambda tx: tx.paylink_id or tx.source_transaction_id.paylink_id):
                raise AccessError(
                    _(
                        "The state, amount and recording of a payment link's transaction change only "
                        "through its payment provider."
                    )
                )
        return super().write(vals)

    def _paylink_by_provider(self):
        """Whether the provider's notification, Odoo's post-processing or the superuser writes."""
        return self.env.su or self.env.context.get("paylink_provider_update") is _PROVIDER_UPDATE

    def _paylink_as_provider(self):
        return self.with_context(paylink_provider_update=_PROVIDER_UPDATE)

    def _update_state(self, allowed_states, target_state, state_message):
        """Override of `payment`: the one place a transaction's state is written (Odoo's ``_set_*``,
        called on the provider's notification) may write a link transaction's state."""
        return (
            super(PaymentTransaction, self._paylink_as_provider())
            ._update_state(allowed_states, target_state, state_message)
            .with_env(self.env)
        )

    # === BUSINESS METHODS - PAYMENT FLOW === #

    @api.model
    def _paylink_get_in_progress_domain(self):
        """The domain of :meth:`_paylink_is_in_progress`."""
        return [
            ("provider_code", "not in", ("none", "custom")),
            ("operation", "not in", ("refund", "validation")),
            "|",
            ("state", "in", ("pending", "authorized")),
            "&", "&", ("state", "=", "done"), ("is_post_processed", "=", False),
            ("last_state_change", ">=", self._paylink_get_retry_limit()),
        ]  # fmt: skip

    @api.model
    def _paylink_get_retry_limit(self):
        return fields.Datetime.now() - timedelta(days=POST_PROCESS_RETRY_DAYS)

    def _paylink_is_in_progress(self):
        """Return whether this payment is under way: started and not final yet (Odoo's own
        *pending* rule of ``account.move._has_to_be_paid``), or final and paid but not recorded
        yet (while Odoo still tries). Wire transfers (``payment_custom``) wait for the accountant
        and hold nothing."""
        self.ensure_one()
        if self.provider_code in ("none", "custom") or self.operation in ("refund", "validation"):
            return False
        return self.state in ("pending", "authorized") or (
            self.state == "done"
            and not self.is_post_processed
            and (self.last_state_change or fields.Datetime.now()) >= self._paylink_get_retry_limit()
        )

    @api.model
    def _handle_notification_data(self, provider_code, notification_data):
        """Override of `payment` to post-process a link's transaction as soon as it is final (the
        provider's notification is what may move and record a link's transaction).

        Odoo otherwise waits for the customer's browser to poll the status page, or for the
        post-processing cron: a link paid from a webhook turns its invoice Paid at once.
        """
        tx = super(PaymentTransaction, self._paylink_as_provider())._handle_notification_data(
            provider_code, notification_data
        )
        tx._paylink_post_process_now()
        return tx.with_env(self.env)

    def _paylink_post_process_now(self):
        """Post-process the link transactions of ``self`` that reached a final state.

        A concurrency error (another request recording a payment of the same link or invoices at
        the same moment: the customer's return page, a second tab's payment) rolls the recording
        back and leaves it to Odoo's post-processing cron, triggered at once, as Odoo's status
        poll and cron do ("rollback and try later"): the state the provider reported stays saved
        and its notification is acknowledged, without the request sleeping and starting over in
        an HTTP worker. Any other failure is logged, flagged, and left to the same cron: it must
        not undo the state the provider reported, nor make the provider deliver it again.
        """
        for tx in self:
            link = tx.paylink_id or tx.source_transaction_id.paylink_id
            if not link or tx.is_post_processed or tx.state not in ("done", "cancel", "error"):
                continue
            # The provider's state first, outside the savepoint: a conflict there (the same
            # notification delivered twice at once) propagates, and Odoo replays the request.
            self.env.cr.flush()
            try:
                with self.env.cr.savepoint():
                    tx._post_process()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                _logger.info(
                    "Transaction %s: recorded by Odoo's post-processing cron (%s)",
                    tx.reference,
                    error.pgcode and psycopg2.errorcodes.lookup(error.pgcode),
                )
                self.env.ref("payment.cron_post_process_payment_tx")._trigger()
            except psycopg2.OperationalError:
                raise  # the database itself failed (a timeout, a lost connection): not ours to hide
            except Exception as error:
                _logger.exception("Transaction %s: post-processing left to the cron", tx.reference)
                tx._paylink_flag_link(
                    _(
                        "Payment %(reference)s was confirmed by the provider but could not be recorded "
                        "yet (%(error)s); Odoo tries again every 10 minutes.",
                        reference=tx.reference,
                        error=error,
                    )
                )

    def _create_payment(self, **extra_create_values):
        """Override of `account_payment` to write a link's tip off to the company's tip account,
        and to settle a balance link's invoices with the credits its amount counted.

        The payment is the whole amount charged; the tip is a write-off line so that the invoices
        are paid exactly and the customer keeps no credit. When the tip hides the amount that
        Odoo compares with the early-payment-discounted amount, the discount is applied here; a
        discount the customer took is applied as of the day they paid, also when the provider
        confirms the payment after its date. A refund gives back its share of the tip from the tip
        account, so the customer owes nothing.
        """
        owed = self._paylink_get_amount_owed()
        tx = self
        if self.paylink_id.link_type == "balance":
            tx = self.with_context(paylink_no_early_payment_discount=True)  # see account.move
        elif self.paylink_payment_kind == "epd":
            # The discount as of the day the customer paid, whenever the provider confirms it
            # (the transaction route took it only while Odoo offered it; see account.move.line).
            tx = self.with_context(paylink_payment_date=fields.Date.context_today(self, self.create_date))
        payment = tx._paylink_create_payment_with_tip(**extra_create_values)
        if self.paylink_id.link_type == "balance":
            self._paylink_apply_open_credits_safely()
        if owed is not None:
            self._paylink_check_overpayment(owed)
        return payment

    def _paylink_get_links_concerned(self):
        """Return the links this payment pays: its link, else the links of its invoices (a payment
        on Odoo's portal of an invoice that has a link); the live or paid ones first."""
        self.ensure_one()
        if link := self.paylink_id or self.source_transaction_id.paylink_id:
            return link
        links = self.invoice_ids.paylink_ids
        return links.filtered(lambda link: link.state in ("active", "paid")) or links

    def _paylink_get_amount_owed(self):
        """Return what was left for this payment to settle before it is recorded, or ``None`` for a
        payment that concerns no link (Odoo's rule alone applies to it).

        A link's own rule (:meth:`account.payment.link._paylink_get_amount_owed`), at most what its
        invoices still owe; for another payment of invoices that have links, their residual.
        """
        self.ensure_one()
        if self.operation in ("refund", "validation") or self.source_transaction_id:
            return None
        links = self._paylink_get_links_concerned()
        if not links:
            return None
        # sudo: what the invoices still owe, whoever records the payment.
        invoices = self.sudo().invoice_ids.filtered(lambda move: move.state in ("draft", "posted"))
        residual = sum(invoices.mapped("amount_residual"))
        link = self.paylink_id
        if not link:
            return residual
        owed = link._paylink_get_amount_owed()
        if link.link_type == "balance":
            # The balance is in the company's currency, as is a balance link's payment.
            return min(owed, sum(invoices.mapped("amount_residual_signed")))
        return owed

    def _paylink_check_overpayment(self, owed):
        """Flag the links concerned when this payment took more than was left to pay (a second
        payment through any path: two tabs, two links, a link and Odoo's portal, a manual payment):
        the payment is recorded, Odoo left the rest unapplied on the customer's account."""
        self.ensure_one()
        paid = self.amount - self.paylink_tip_amount
        if self.currency_id.compare_amounts(paid, owed) <= 0:
            return
        currency = self.currency_id
        message = _(
            "Payment %(payment)s (transaction %(reference)s) took %(paid)s where only %(owed)s was left "
            "to pay: %(extra)s is left unapplied on the customer's account. Refund it or allocate it.",
            payment=self.payment_id.name,
            reference=self.reference,
            paid=currency.format(paid),
            owed=currency.format(max(owed, 0.0)),
            extra=currency.format(paid - max(owed, 0.0)),
        )
        # sudo: flagging is the system's answer to the money received, whoever records it.
        self._paylink_get_links_concerned().sudo()._paylink_flag(message, notify_admins=True)

    def _paylink_create_payment_with_tip(self, **extra_create_values):
        tip = self._paylink_get_signed_tip()
        if self.currency_id.is_zero(tip):
            return super()._create_payment(**extra_create_values)
        write_off_line_vals = list(extra_create_values.pop("write_off_line_vals", []))
        if self.paylink_id:
            write_off_line_vals += self._paylink_prepare_epd_write_off()
        link = self.paylink_id or self.source_transaction_id.paylink_id
        write_off_line_vals.append(
            {
                "name": _("Tip (payment link %(link)s)", link=link.name),
                "account_id": self.company_id.paylink_tip_account_id.id,
                "partner_id": self.partner_id.commercial_partner_id.id,
                "currency_id": self.currency_id.id,
                "amount_currency": tip,
                "balance": self.currency_id._convert(
                    tip, self.company_id.currency_id, self.company_id, fields.Date.context_today(self)
                ),
            }
        )
        return super()._create_payment(write_off_line_vals=write_off_line_vals, **extra_create_values)

    def _paylink_apply_open_credits_safely(self):
        """Apply the open credits (:meth:`_paylink_apply_open_credits`) without ever undoing the
        payment being recorded: when Odoo cannot reconcile them (an exchange-difference journal
        missing, a credit reconciled meanwhile...), the error is logged and the link is flagged
        once the payment is recorded (:meth:`_post_process`)."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._paylink_apply_open_credits()
        except psycopg2.OperationalError:
            raise  # a concurrency error: Odoo retries the whole post-processing
        except Exception:
            _logger.exception(
                "Transaction %s: the customer's open credits could not be applied", self.reference
            )

    def _paylink_get_open_credits(self):
        """Return ``(invoice lines, credit lines)``: the receivable lines of the transaction's
        invoices still open, and the customer's open credits (credit notes, unapplied payments)
        on their accounts, found as Odoo's *Outstanding credits* of an invoice are; no credit
        lines when no invoice line is open."""
        self.ensure_one()
        Line = self.env["account.move.line"]
        invoice_lines = self.invoice_ids.filtered(lambda move: move.state == "posted").line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        if not invoice_lines:
            return invoice_lines, Line
        link_sudo = self.paylink_id.sudo()  # sudo: the payment's accounting, whoever records it
        return invoice_lines, link_sudo._paylink_get_balance_credits(invoice_lines.move_id)

    def _paylink_apply_open_credits(self):
        """Apply the customer's open credits to the invoices a balance payment left open.

        A balance link asks for the open invoices less those credits, and Odoo reconciles the
        payment with the invoices alone: without this, the last invoices would stay partly paid
        (and be reminded) while the customer owes nothing.
        """
        invoice_lines, credits = self._paylink_get_open_credits()
        for account in credits.account_id:
            lines = (invoice_lines | credits).filtered(
                lambda line, account=account: line.account_id == account
            )
            lines.sudo().reconcile()  # sudo: as in _paylink_get_open_credits

    def _paylink_get_signed_tip(self):
        """Return the tip to write off, signed as a write-off line's ``amount_currency``: a credit
        (negative) on a link's payment, a debit (positive) on a refund for its share of the tip."""
        self.ensure_one()
        if self.paylink_id:
            return -self.paylink_tip_amount
        source = self.source_transaction_id
        if self.operation == "refund" and source.paylink_id and source.paylink_tip_amount and source.amount:
            return self.currency_id.round(abs(self.amount) * source.paylink_tip_amount / source.amount)
        return 0.0

    def _paylink_prepare_epd_write_off(self):
        """Return the early-payment-discount lines of an invoice paid at its discounted amount."""
        self.ensure_one()
        invoice = self.invoice_ids.filtered(lambda move: move.state == "posted")
        if len(invoice) != 1:
            return []
        next_payment = invoice._get_invoice_next_payment_values()
        amount = self.amount - self.paylink_tip_amount
        if next_payment.get("installment_state") != "epd" or not self.currency_id.is_zero(
            amount - next_payment["amount_due"]
        ):
            return []
        aml = next_payment["epd_line"]
        lines = self.env["account.move"]._get_invoice_counterpart_amls_for_early_payment_discount(
            [{"aml": aml, "amount_currency": -aml.amount_residual_currency, "balance": -aml.balance}],
            next_payment["epd_discount_amount"],
        )
        result = []
        for values_list in lines.values():
            for values in values_list[:1]:
                result.append({**values, "partner_id": invoice.partner_id.id})
        return result

    # === BUSINESS METHODS - POST-PROCESSING === #

    def _post_process(self):
        """Override of `account_payment` to record the payment on its link (the link's ``pay``
        event) once Odoo has recorded it."""
        res = super(PaymentTransaction, self._paylink_as_provider())._post_process()
        for tx in self.filtered(lambda tx: tx.source_transaction_id.paylink_id and tx.state == "done"):
            # A refund (or a partial capture) of a link's payment: what the link received changes.
            link_sudo = tx.sudo().source_transaction_id.paylink_id  # sudo: as below
            link_sudo._paylink_write_lifecycle({"amount_paid": link_sudo._paylink_get_amount_received()})
        for tx in self.filtered(lambda tx: tx.paylink_id and tx.state == "done" and tx.payment_id):
            # sudo: closing the link is the recorded payment's consequence, whoever post-processes it
            # (Odoo's cron, the status poll, a webhook, a capture by an accountant).
            tx_sudo = tx.sudo()
            closed = tx_sudo.paylink_id._paylink_record_payment(tx_sudo)
            left_open, credits = (
                tx_sudo._paylink_get_open_credits() if tx_sudo.paylink_id.link_type == "balance" else ((), ())
            )
            if credits:
                # The credits could not be applied (see _paylink_apply_open_credits_safely).
                tx_sudo._paylink_flag_link(
                    _(
                        "The payment was recorded, but the customer's open credits could not be applied "
                        "to the invoices it left open: apply them from the invoices' Outstanding credits."
                    )
                )
            elif left_open and tx_sudo.paylink_payment_kind in ("full", "chosen"):
                # It paid the invoices chosen less credits that another payment used meanwhile
                # (two tabs paying different invoices at once): the rest is still owed.
                tx_sudo._paylink_flag_link(
                    _(
                        "The payment was recorded, but %(invoices)s stayed partly open: the customer's "
                        "credits its amount counted were used by another payment meanwhile.",
                        invoices=", ".join(left_open.move_id.mapped("name")),
                    )
                )
            if closed:
                # The money is in: nothing about the e-mails may undo recording it.
                try:
                    with self.env.cr.savepoint():
                        tx_sudo._paylink_send_notifications()
                except psycopg2.OperationalError:
                    raise  # a concurrency error: Odoo retries the whole request, which finds it done
                except Exception as error:
                    _logger.exception("Transaction %s: notifications after payment failed", tx.reference)
                    tx_sudo.paylink_id.message_post(
                        body=_(
                            "The payment was recorded, but its notifications could not be queued: %(error)s",
                            error=error,
                        )
                    )
        return res

    def _log_message_on_linked_documents(self, message):
        """Override of `account_payment` to log the payment's messages (pending, error, refund...)
        on its payment link too."""
        res = super()._log_message_on_linked_documents(message)
        if link := self.paylink_id or self.source_transaction_id.paylink_id:
            author = self.env.user.partner_id if self.env.uid == SUPERUSER_ID else self.partner_id
            link.message_post(body=message, author_id=author.id)
        return res

    def _paylink_flag_link(self, message):
        """Flag the transaction's link for an accountant's review; say why there and on its invoices."""
        self.ensure_one()
        # sudo: flagging is the system's answer to what the provider reported, whoever relayed it.
        (self.paylink_id or self.source_transaction_id.paylink_id).sudo()._paylink_flag(message)

    def _paylink_send_notifications(self):
        """Notify the administrators, and leave the customer's receipt to its cron.

        The receipt carries the invoice PDF, whose rendering takes a second or more: it is not done
        in the request that records the payment (often the provider's webhook), but by the
        receipts cron, triggered at once.
        """
        self.ensure_one()
        link = self.paylink_id
        company = link.company_id
        if company.paylink_notify_admins:
            admins = company._paylink_get_admins()
            # Through the mail queue: no SMTP in the request that records the payment.
            link.message_notify(
                force_send=False,
                partner_ids=admins.partner_id.ids,
                subject=_("Payment received through %(link)s", link=link.name),
                body=_(
                    "%(partner)s paid %(amount)s with %(provider)s.",
                    partner=link.partner_id.display_name,
                    amount=self.currency_id.format(self.amount),
                    provider=self.provider_id.name,
                ),
            )
        if company.paylink_send_receipt and link.partner_id.email:
            self.paylink_receipt_state = "to_send"
            self.env.ref("account_payment_link.ir_cron_paylink_send_receipts")._trigger()

    # === BUSINESS METHODS - RECEIPTS === #

    @api.model
    def _cron_paylink_send_receipts(self, limit=50):
        """Queue the receipts of link payments, each with the PDF of the invoices it paid.

        Each receipt is committed on its own (outside tests), so a failure or a time-out loses
        none and queues none twice.
        """
        txs = self.search([("paylink_receipt_state", "=", "to_send")], limit=limit)
        for tx in txs:
            tx.with_company(tx.company_id)._paylink_send_receipt()
            if not self.env.registry.in_test_mode():
                self.env.cr.commit()  # pylint: disable=invalid-commit
        remaining = self.search_count([("paylink_receipt_state", "=", "to_send")]) if len(txs) == limit else 0
        report_progress(
            self.env, "account_payment_link.ir_cron_paylink_send_receipts", done=len(txs), remaining=remaining
        )

    def _paylink_send_receipt(self):
        """Queue this transaction's receipt for the mail queue; a PDF that cannot be rendered
        (e.g. no wkhtmltopdf) leaves the receipt without it, noted on the link."""
        self.ensure_one()
        invoices = self.payment_id.reconciled_invoice_ids
        attachments = self.env["ir.attachment"]
        pdf = False
        if invoices:
            try:
                pdf, _type = self.env["ir.actions.report"]._render_qweb_pdf(
                    "account.account_invoices", invoices.ids
                )
            except UserError as error:
                _logger.warning("Transaction %s: invoice PDF not rendered: %s", self.reference, error)
                self.paylink_id.message_post(
                    body=_("The receipt was sent without the invoice PDF: %(error)s", error=error)
                )
        if pdf:
            attachments = attachments.create(
                {
                    "name": _("Invoices %(names)s.pdf", names=", ".join(invoices.mapped("name"))),
                    "raw": pdf,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "application/pdf",
                }
            )
        template = self.env.ref("account_payment_link.mail_template_paylink_receipt")
        template.send_mail(
            self.id, force_send=False, email_values={"attachment_ids": [(6, 0, attachments.ids)]}
        )
        self.paylink_receipt_state = "sent"

    # === BUSINESS METHODS - STRIPE === #

    def _stripe_create_intent(self):
        """Override of `payment_stripe` to give a link's PaymentIntent an idempotency key (see
        ``payment.provider._stripe_make_request``)."""
        if not self.paylink_id:
            return super()._stripe_create_intent()
        key = payment_utils.generate_idempotency_key(self, scope="payment_intents_paylink")
        return super(
            PaymentTransaction, self.with_context(paylink_intent_idempotency_key=key)
        )._stripe_create_intent()

    def _process_notification_data(self, notification_data):
        """Override of `payment_stripe` to refuse a link payment whose amount Stripe changed.

        What Stripe reports having charged must be what the transaction asked: otherwise the
        transaction is put in error, the link is flagged for review, and nothing is reconciled.
        """
        if self._paylink_stripe_already_done(notification_data):
            return
        if self._paylink_stripe_amount_mismatch(notification_data):
            return
        super()._process_notification_data(notification_data)

    def _paylink_stripe_already_done(self, notification_data):
        """Return whether this link transaction is done and Stripe reports its success again (a
        duplicate delivery, or payment_intent.succeeded after the return page): nothing to do."""
        self.ensure_one()
        intent = notification_data.get("payment_intent")
        return bool(
            self.provider_code == "stripe"
            and self.paylink_id
            and self.state == "done"
            and isinstance(intent, dict)
            and intent.get("status") == "succeeded"
        )

    def _paylink_stripe_amount_mismatch(self, notification_data):
        """Return whether the intent of ``notification_data`` differs from this link transaction.

        On a mismatch the transaction is set in error and its link flagged.
        """
        self.ensure_one()
        intent = notification_data.get("payment_intent")
        if (
            self.provider_code != "stripe"
            or not self.paylink_id
            or self.operation in ("refund", "validation")
            or not isinstance(intent, dict)
        ):
            return False
        expected = payment_utils.to_minor_currency_units(self.amount, self.currency_id)
        received = intent.get("amount_received") or intent.get("amount")
        received_currency = (intent.get("currency") or "").upper()
        if received == expected and received_currency == self.currency_id.name:
            return False
        message = _(
            "Stripe reported %(received)s %(received_currency)s (minor units) for %(reference)s where "
            "%(expected)s %(currency)s was expected. The payment was not recorded: check it in "
            "Stripe and record it by hand.",
            received=received,
            received_currency=received_currency or "?",
            reference=self.reference,
            expected=expected,
            currency=self.currency_id.name,
        )
        if self.state in ("done", "error"):
            # Already paid as asked, or already refused and flagged: nothing changes.
            _logger.warning("Transaction %s: ignored a later Stripe report of another amount", self.reference)
            return True
        # The customer reads the transaction's message; the details are for the accountant.
        self._set_error(
            _(
                "The payment could not be confirmed. Nothing more is needed from you: %(company)s "
                "will contact you.",
                company=self.company_id.name,
            )
        )
        self._paylink_flag_link(message)
        return True
