"""Invariants over random sequences of events (Hypothesis' stateful testing), through the real
models and routes as the real users.

Each sequence starts from two posted invoices of one customer and draws up to ``STEPS`` events:
the accountant makes an invoice's link or the customer's balance link, registers a payment by hand,
resets an invoice to draft and posts it again; the manager revokes, regenerates, refunds; the
customer starts payments on the links' pages (public user, over HTTP) and on Odoo's own portal
page; the Demo provider reports them pending, done or failed; a link's expiry date passes. After
every step the invariants below must hold. Each sequence is rolled back before the next.

Seeded (``PAYLINK_HYPOTHESIS_SEED``) and bounded (``PAYLINK_HYPOTHESIS_EXAMPLES`` sequences of
``STEPS`` steps): a failure names the seed and prints the shrunk sequence of steps.
"""

import logging
import os
import time

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.reporting import with_reporter
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import PaylinkPaymentCommon

_logger = logging.getLogger(__name__)

SEED = int(os.environ.get("PAYLINK_HYPOTHESIS_SEED", "20261206"))
EXAMPLES = int(os.environ.get("PAYLINK_HYPOTHESIS_EXAMPLES", "150"))
STEPS = 12
INVOICE_AMOUNTS = (100.0, 60.0)
# Odoo's own warnings when a provider reports a state a transaction cannot move to (e.g. "pending"
# after "done"): expected in random sequences.
QUIET = (
    "odoo.addons.payment.models.payment_transaction",
    "odoo.addons.account_payment_link.models.payment_transaction",
)


def make_machine(case):
    """Return the state machine class bound to the running test ``case``."""

    class LinkLifecycle(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.savepoint = case.env.cr.savepoint()
            # A customer of its own: what it owes is the sequence's two invoices, nothing else.
            self.customer = case.customer.copy({"name": "Sequence Customer"})
            # The first in two installments (half now, half in 30 days): its link offers the first
            # installment and the full amount, as Odoo's portal does.
            self.invoices = [
                case.new_invoice(amount, self.customer, terms=case.half_now_half_later if not index else None)
                for index, amount in enumerate(INVOICE_AMOUNTS)
            ]
            self.references = []  # payments the customer started (links and portal)
            self.dead_tokens = set()
            self.paid_links = case.env["account.payment.link"]

        def teardown(self):
            try:
                # The customer's browser too: every dead token answers 404 over HTTP.
                for token in sorted(self.dead_tokens):
                    status = case.url_open(f"/pay/{token}", allow_redirects=False).status_code
                    assert status == 404, f"a dead token answered {status}"
            finally:
                self.savepoint.close(rollback=True)
                case.env.invalidate_all()

        # === HELPERS === #

        def user_does(self, action):
            """Run a user's action as one RPC call would: all or nothing; a refusal is a message.

            :return: whether it went through.
            """
            try:
                with case.env.cr.savepoint():
                    action()
            except UserError:
                case.env.invalidate_all()
                return False
            return True

        def live_link(self, index):
            invoice = self.invoices[index]
            invoice.invalidate_recordset()
            return invoice.paylink_id

        def balance_link(self):
            return self.customer.with_company(case.company).commercial_partner_id.paylink_balance_id

        def links(self):
            Link = case.env["account.payment.link"].sudo()
            return Link.search([("partner_id", "=", self.customer.id), ("company_id", "=", case.company.id)])

        @initialize()
        def the_accountant_sent_both_invoices_links(self):
            for invoice in self.invoices:
                invoice.with_user(case.user_accountant).action_paylink_open()

        # === RULES: THE ACCOUNTANT === #

        @rule(index=st.integers(0, 1))
        def accountant_makes_the_invoice_link(self, index):
            invoice = self.invoices[index].with_user(case.user_accountant)
            if not self.user_does(invoice.action_paylink_open):
                assert invoice._paylink_get_unpayable_reason(), "refused without a reason"

        @rule()
        def accountant_makes_the_balance_link(self):
            self.user_does(self.customer.with_user(case.user_accountant)._paylink_get_or_create_balance_link)

        def unapplied(self):
            """The customer's money received and not applied to an invoice (Odoo's outstanding credits)."""
            return (
                case.env["account.move.line"]
                .sudo()
                .search(
                    [
                        ("partner_id", "=", self.customer.id),
                        ("company_id", "=", case.company.id),
                        ("account_type", "=", "asset_receivable"),
                        ("parent_state", "=", "posted"),
                        ("reconciled", "=", False),
                        ("amount_residual", "<", 0.0),
                    ]
                )
            )

        @rule(index=st.integers(0, 1), part=st.sampled_from([0.5, 1.0]))
        def accountant_registers_a_payment(self, index, part):
            invoice = self.invoices[index]
            if invoice.state != "posted" or invoice.payment_state not in ("not_paid", "partial"):
                return
            # A careful accountant asks only for what the customer has not already paid on account.
            credit = -sum(self.unapplied().mapped("amount_residual"))
            amount = invoice.currency_id.round(
                min(invoice.amount_residual * part, invoice.amount_residual - credit)
            )
            if invoice.currency_id.compare_amounts(amount, 0.0) <= 0:
                return
            Register = case.env["account.payment.register"].with_user(case.user_accountant)
            wizard = Register.with_context(active_model="account.move", active_ids=invoice.ids)
            self.user_does(lambda: wizard.create({"amount": amount})._create_payments())

        @rule(index=st.integers(0, 1))
        def accountant_resets_to_draft_and_posts_again(self, index):
            invoice = self.invoices[index].with_user(case.user_accountant)
            if (
                invoice.state == "posted"
                and self.user_does(invoice.button_draft)
                and self.user_does(invoice.action_post)
            ):
                # Odoo unreconciled its payments: the accountant applies them again (Outstanding credits).
                for line in (invoice.invoice_outstanding_credits_debits_widget or {}).get("content", []):
                    if invoice.payment_state in ("not_paid", "partial"):
                        self.user_does(lambda line=line: invoice.js_assign_outstanding_line(line["id"]))

        # === RULES: THE MANAGER === #

        @rule(index=st.integers(0, 1), action=st.sampled_from(["action_revoke", "action_regenerate"]))
        def manager_revokes_or_regenerates(self, index, action):
            link = self.live_link(index)
            if not link:
                return
            token = case.token_of(link)
            if self.user_does(getattr(link.with_user(case.user_manager), action)):
                self.dead_tokens.add(token)

        @rule(position=st.integers(0, 30))
        def manager_refunds(self, position):
            done = (
                case.env["payment.transaction"]
                .sudo()
                .search(
                    [
                        ("reference", "in", self.references),
                        ("state", "=", "done"),
                        ("operation", "!=", "refund"),
                    ]
                )
            )
            tx = done[position % len(done)] if done else done
            if tx and not tx.child_transaction_ids:
                self.user_does(tx.with_user(case.user_manager).action_refund)
                self.odoos_post_processing_cron()

        # === RULES: TIME === #

        @rule(index=st.integers(0, 1))
        def expiry_date_passes(self, index):
            link = self.live_link(index)
            if not link:
                return
            # The days go by: the link's date is now yesterday (the cron has not run).
            case.env.cr.execute(
                "UPDATE account_payment_link SET expiry_date = current_date - 1 WHERE id = %s", [link.id]
            )
            case.env.invalidate_all()
            self.dead_tokens.add(case.token_of(link))

        @rule()
        def nightly_cron(self):
            case.env["account.payment.link"]._cron_expire_links()

        # The customer's and the provider's moves come more often than the office's: each has a
        # second rule (Hypothesis draws rules evenly), so that payments meet in a sequence.

        @rule(which=st.sampled_from([0, 1, "balance"]), amount=st.sampled_from(["first", "last"]))
        def customer_opens_another_tab_and_pays(self, which, amount):
            self.customer_starts_a_payment_on_a_link(which, amount)

        @rule(position=st.integers(0, 30))
        def provider_confirms(self, position):
            self.provider_reports(position, "done")

        # === RULES: THE CUSTOMER AND THE PROVIDER === #

        @rule(which=st.sampled_from([0, 1, "balance"]), amount=st.sampled_from(["first", "last"]))
        def customer_starts_a_payment_on_a_link(self, which, amount):
            """The customer pays the amount the page offers first (an installment on the first
            invoice) or the last one it offers (the full amount)."""
            link = self.balance_link() if which == "balance" else self.live_link(which)
            if not link:
                return
            choices = link.sudo()._paylink_get_payment_choices()
            body = case.start_payment(link, payment_choice=choices[0 if amount == "first" else -1]["key"])
            if "result" in body:
                self.references.append(body["result"]["reference"])
            else:
                # Refused: the page says why (never a silent refusal).
                assert link.sudo()._get_unavailable_reason(), body

        @rule(pick=st.sampled_from([(0,), (1,), (0, 1)]), part=st.sampled_from([False, "5", "25"]))
        def customer_pays_some_invoices_of_the_balance(self, pick, part):
            """On the balance link, the customer ticks some of the invoices (those still listed)
            and may pay part of them (the company allows it, 5.00 at least)."""
            link = self.balance_link()
            if not link:
                return
            listed = link.sudo()._get_open_invoices()
            chosen = [self.invoices[index].id for index in pick if self.invoices[index] in listed]
            params = {"invoice_ids": chosen, **({"part_amount": part} if part else {})}
            body = case.start_payment(link, **params)
            if "result" in body:
                self.references.append(body["result"]["reference"])
            else:
                # Refused in words: nothing ticked, credits that cover it, a part above it...
                assert body["error"]["data"]["name"] == "odoo.exceptions.ValidationError", body

        @rule(index=st.integers(0, 1))
        def customer_starts_a_payment_on_odoos_portal(self, index):
            invoice = self.invoices[index]
            if not invoice._has_to_be_paid() or not invoice.paylink_ids:
                return  # Odoo's portal page offers no payment then; an invoice without link is Odoo's alone
            self.references.append(case.portal_payment(invoice))

        @rule(position=st.integers(0, 30), state=st.sampled_from(["pending", "done", "done", "error"]))
        def provider_reports(self, position, state):
            # A payment still waiting for its provider (started, or pending).
            waiting = (
                case.env["payment.transaction"]
                .sudo()
                .search(
                    [("reference", "in", self.references), ("state", "in", ("draft", "pending"))], order="id"
                )
            )
            if not waiting:
                return
            reference = waiting[position % len(waiting)].reference
            with mute_logger(*QUIET):
                case.demo_notify(reference, state)
            self.odoos_post_processing_cron()

        def odoos_post_processing_cron(self):
            """What Odoo's post-processing cron (or the customer's status page) does for payments it
            did not record at once (Odoo's portal, refunds of them), without its commit."""
            Tx = case.env["payment.transaction"].sudo()
            domain = [("partner_id", "=", self.customer.id), ("is_post_processed", "=", False)]
            for tx in Tx.search(domain):
                if tx.state in ("done", "cancel", "error"):
                    tx._post_process()

        # === INVARIANTS === #

        @invariant()
        def payments_recorded_equal_transactions_done(self):
            txs = (
                case.env["payment.transaction"]
                .sudo()
                .search(
                    [
                        ("partner_id", "=", self.customer.id),
                        ("state", "=", "done"),
                        ("provider_code", "=", "demo"),
                    ]
                )
            )
            payments = case.env["account.payment"].sudo().search([("payment_transaction_id", "in", txs.ids)])
            assert len(payments) == len(txs), f"{len(txs)} transactions done, {len(payments)} payments"
            assert all(tx.payment_id.state not in ("draft", "canceled") for tx in txs), "a payment not posted"
            # Refunds are transactions of a negative amount, recorded as outbound payments.
            received, recorded = sum(txs.mapped("amount")), sum(payments.mapped("amount_signed"))
            assert received == recorded, f"{received} received, {recorded} recorded"

        @invariant()
        def no_invoice_overpaid_without_a_flag(self):
            payments = (
                case.env["account.payment"]
                .sudo()
                .search(
                    [
                        ("partner_id", "=", self.customer.id),
                        ("state", "not in", ("draft", "canceled", "rejected")),
                    ]
                )
            )
            received = sum(payments.mapped("amount_signed"))
            invoices = (
                case.env["account.move"]
                .sudo()
                .search(
                    [
                        ("partner_id", "=", self.customer.id),
                        ("move_type", "=", "out_invoice"),
                        ("state", "=", "posted"),
                    ]
                )
            )
            invoiced = sum(invoices.mapped("amount_total"))
            if case.company.currency_id.compare_amounts(received, invoiced) > 0:
                assert self.links().filtered("needs_review"), (
                    f"{received} received for {invoiced}, nothing flagged"
                )

        @invariant()
        def at_most_one_live_link(self):
            links = self.links()
            live = links.filtered(lambda link: link._paylink_is_live())
            for invoice in self.invoices:
                assert len(live.filtered(lambda link, invoice=invoice: link.move_id == invoice)) <= 1, (
                    "two live links for one invoice"
                )
            assert len(live.filtered(lambda link: link.link_type == "balance")) <= 1, "two live balance links"

        @invariant()
        def a_dead_token_never_serves(self):
            Link = case.env["account.payment.link"]
            for link in self.links().filtered(lambda link: link.state in ("revoked", "expired")):
                self.dead_tokens.add(case.token_of(link))
            for token in self.dead_tokens:
                assert not Link._paylink_get_by_token(token), "a dead token serves again"

        @invariant()
        def a_paid_link_stays_paid_and_its_amount_is_its_payments(self):
            links = self.links()
            assert not (self.paid_links - links.filtered(lambda link: link.state == "paid")), "paid, then not"
            for link in links.filtered(lambda link: link.state == "paid"):
                txs = link.transaction_ids.filtered(lambda tx: tx.state == "done")
                refunds = txs.child_transaction_ids.filtered(lambda tx: tx.state == "done")
                # What the customer paid through it, less what was refunded: its recorded payments.
                paid = sum((txs | refunds).payment_id.mapped("amount_signed"))
                assert link.payment_id in txs.payment_id, "a paid link without its payment"
                assert link.currency_id.compare_amounts(link.amount_paid, paid) == 0, (
                    f"the link says {link.amount_paid} paid, its payments {paid}"
                )
            self.paid_links |= links.filtered(lambda link: link.state == "paid")

    return LinkLifecycle


@tagged("post_install", "-at_install")
class TestLifecycleProperties(PaylinkPaymentCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.half_now_half_later = cls.env["account.payment.term"].create(
            {
                "name": "Half now, half in 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 30}),
                ],
            }
        )

    def new_invoice(self, amount, partner, terms=None):
        invoice = self.init_invoice("out_invoice", partner=partner, amounts=[amount])
        if terms:  # dated today: its first installment is due, its second to come
            invoice.invoice_date = fields.Date.today()
        if terms:
            invoice.invoice_payment_term_id = terms
        invoice.action_post()
        return invoice

    def portal_payment(self, invoice):
        """Start a payment of ``invoice`` on Odoo's own portal page as the public customer."""
        params = self.transaction_params(amount=invoice.amount_residual)
        del params["tip_percent"]
        params["access_token"] = invoice._portal_ensure_token()
        body = self.jsonrpc(f"/invoice/transaction/{invoice.id}", params)
        assert "result" in body, body
        return body["result"]["reference"]

    def test_invariants_hold_over_random_sequences(self):
        """After every step of random sequences of payments (installments and full amounts),
        refunds, revocations, regenerations, expiries, manual payments, re-postings, portal
        payments and balance payments of some invoices or part of them: the payments recorded are the
        transactions done; money left unapplied is flagged on a link; at most one live link per
        invoice and one live balance link; a dead token never serves; a paid link stays paid and
        its amount is its payments."""
        # Tips would be a second amount beside the invoices: the sequences pay without them.
        self.company.paylink_tips_enabled = False
        # Balance links let the customer choose the invoices and pay part of them (issue 19.3).
        self.company.write({"paylink_balance_partial": True, "paylink_balance_minimum": 5.0})
        machine = seed(SEED)(make_machine(self))
        report = []
        started = time.monotonic()
        try:
            with with_reporter(report.append), mute_logger("odoo.addons.payment.models.payment_transaction"):
                run_state_machine_as_test(
                    machine,
                    settings=settings(
                        max_examples=EXAMPLES,
                        stateful_step_count=STEPS,
                        deadline=None,
                        database=None,
                        phases=[Phase.generate, Phase.shrink],
                        suppress_health_check=list(HealthCheck),
                        report_multiple_bugs=False,
                    ),
                )
        except Exception as error:  # pylint: disable=broad-except  # any failure: say the seed and steps
            raise AssertionError(
                f"An invariant broke (seed {SEED}: PAYLINK_HYPOTHESIS_SEED={SEED} replays it). "
                "Shrunk sequence:\n" + "\n".join(str(line) for line in report)
            ) from error
        _logger.info(
            "Lifecycle properties: %d sequences of up to %d steps in %.1f s (seed %d)",
            EXAMPLES,
            STEPS,
            time.monotonic() - started,
            SEED,
        )
