"""A link's lifecycle as one state machine, and the defects it closes (issue "One truth about what
is owed", RELIABILITY 33-37).

Every case runs over real HTTP as the public customer (the pay page, our transaction route, the
Demo provider's notification), with the accountant's and the manager's actions done as those users.
"""

from datetime import timedelta

from freezegun import freeze_time
from lxml import html

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import PaylinkPaymentCommon

# (state before, event): (state after, status after, token serves, payments recorded, flagged), or
# "refused" for a manager's action the state does not allow. The model's docstring has the table.
TRANSITIONS = {
    ("active", "payment pending"): ("active", "processing", 200, 0, False),
    ("active", "payment done"): ("paid", "paid", 200, 1, False),
    # On an invoice in two installments, the customer chose the first: the link asks for the rest.
    ("active", "installment paid"): ("active", "active", 200, 1, False),
    ("active", "payment failed"): ("active", "active", 200, 0, False),
    ("paid", "payment done"): ("paid", "paid", 200, 2, True),
    ("paid", "refunded"): ("paid", "paid", 200, 1, False),  # amount paid less the refund
    ("expired", "payment done"): ("expired", "expired", 404, 1, False),
    ("revoked", "payment done"): ("revoked", "revoked", 404, 1, False),
    ("replaced", "payment done"): ("revoked", "replaced", 404, 1, False),
    ("active", "revoke"): ("revoked", "revoked", 404, 0, False),
    ("paid", "revoke"): "refused",
    ("expired", "revoke"): "refused",
    ("revoked", "revoke"): "refused",
    ("active", "regenerate"): ("revoked", "replaced", 404, 0, False),
    ("expired", "regenerate"): ("revoked", "replaced", 404, 0, False),
    ("paid", "regenerate"): "refused",
    ("revoked", "regenerate"): "refused",
    ("active", "expiry date reached"): ("expired", "expired", 404, 0, False),
    ("active", "invoice paid another way"): ("active", "settled", 200, 0, False),
    ("active", "reset to draft"): ("active", "on_hold", 200, 0, False),
    ("active", "cancelled"): ("active", "on_hold", 200, 0, False),
    ("active", "invoice deleted"): ("revoked", "revoked", 404, 0, False),
}


@tagged("post_install", "-at_install")
class TestLifecycle(PaylinkPaymentCommon, HttpCase):
    # === HELPERS === #

    def new_invoice(self, amount=100.0, terms=None):
        invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[amount])
        if terms:  # dated today: its first installment is due, its second to come
            invoice.invoice_date = fields.Date.today()
        if terms:
            invoice.invoice_payment_term_id = terms
        invoice.action_post()
        return invoice

    def invoice_link(self, invoice=None):
        """The invoice's link, as the accountant's *Payment link* button makes it."""
        invoice = invoice or self.new_invoice()
        action = invoice.with_user(self.user_accountant).action_paylink_open()
        # A new link: a notification, then its form.
        return self.env["account.payment.link"].browse(
            action.get("res_id") or action["params"]["next"]["res_id"]
        )

    def start(self, link):
        """Start a payment of the full amount on the link's page as the customer; return its
        reference."""
        body = self.start_payment(link, payment_choice=link.sudo()._paylink_get_payment_choices()[-1]["key"])
        self.assertIn("result", body, body)
        return body["result"]["reference"]

    def tx(self, reference):
        return self.env["payment.transaction"].sudo().search([("reference", "=", reference)])

    def portal_payment(self, invoice, amount=None):
        """Start a payment of ``invoice`` on Odoo's own portal page as the public customer (account_payment's
        ``/invoice/transaction`` route); return its reference."""
        params = self.transaction_params(amount=amount or invoice.amount_residual)
        del params["tip_percent"]
        params["access_token"] = invoice._portal_ensure_token()
        body = self.jsonrpc(f"/invoice/transaction/{invoice.id}", params)
        self.assertIn("result", body, body)
        return body["result"]["reference"]

    def serves(self, token, route=""):
        return self.url_open(f"/pay/{token}{route}", allow_redirects=False).status_code

    def page_text(self, link):
        response = self.url_open(f"/pay/{self.token_of(link)}", allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        return html.fromstring(response.content).text_content()

    def as_manager(self, link):
        return link.with_user(self.user_manager)

    def expire_by_date(self, link):
        """Let the link's date pass: the manager sets it to today, then the days go by and the cron runs."""
        self.env["account.payment.link.expiry"].with_user(self.user_manager).create(
            {"link_ids": [Command.set(link.ids)], "expiry_date": fields.Date.today()}
        ).action_apply()
        with freeze_time(fields.Date.today() + timedelta(days=2)):
            self.env["account.payment.link"]._cron_expire_links()

    def payments_of(self, link, *references):
        txs = link.transaction_ids | self.env["payment.transaction"].sudo().search(
            [("reference", "in", references)]
        )
        return txs.payment_id

    def chatter(self, record):
        return " ".join(html.fromstring(m.body).text_content() for m in record.message_ids if m.body)

    # === THE TRANSITION TABLE === #

    def bring_to(self, state, event=None):
        """Return ``(link, references started while it was active)`` with the link in ``state``
        (its invoice in two installments when the ``event`` to come is one paid)."""
        terms = None
        if event == "installment paid":
            terms = self.env["account.payment.term"].create(
                {
                    "name": "Half now, half in 30 days",
                    "line_ids": [
                        Command.create({"value": "percent", "value_amount": 50, "nb_days": 0}),
                        Command.create({"value": "percent", "value_amount": 50, "nb_days": 30}),
                    ],
                }
            )
        link = self.invoice_link(self.new_invoice(terms=terms))
        references = [self.start(link)]
        if state == "paid":
            references.append(self.start(link))  # a second tab, opened before the first paid
            self.demo_notify(references[0], "done")
        elif state == "expired":
            self.expire_by_date(link)
        elif state == "revoked":
            self.as_manager(link).action_revoke()
        elif state == "replaced":
            self.as_manager(link).action_regenerate()
        link.invalidate_recordset()
        self.assertEqual(link.state, "revoked" if state == "replaced" else state)
        return link, references

    def apply(self, event, link, references):
        invoice = link.move_id
        if event.startswith("payment "):
            self.demo_notify(references[-1], event.split()[1].replace("failed", "error"))
        elif event == "installment paid":
            choices = link.sudo()._paylink_get_payment_choices()
            self.assertEqual([choice["kind"] for choice in choices], ["installment", "full"])
            body = self.start_payment(link, payment_choice=choices[0]["key"])
            self.demo_notify(body["result"]["reference"], "done")
        elif event == "refunded":
            self.tx(references[0]).with_user(self.user_manager).action_refund()
        elif event == "revoke":
            self.as_manager(link).action_revoke()
        elif event == "regenerate":
            self.as_manager(link).action_regenerate()
        elif event == "expiry date reached":
            self.expire_by_date(link)
        elif event == "invoice paid another way":
            self.pay(invoice.with_user(self.user_accountant), invoice.amount_residual)
        elif event == "reset to draft":
            invoice.with_user(self.user_accountant).button_draft()
        elif event == "cancelled":
            invoice.with_user(self.user_accountant).button_draft()
            invoice.with_user(self.user_accountant).button_cancel()
        elif event == "invoice deleted":
            invoice.with_user(self.user_accountant).button_draft()
            invoice.with_user(self.user_accountant).unlink()

    def test_transition_table(self):
        """Each (state, event) of the link's state machine: the state and status after, whether its
        token serves the page (over HTTP, as the public customer), the payments recorded, the review
        flag, and a note in the chatter for each payment on a dead link."""
        for (before, event), expected in TRANSITIONS.items():
            with self.subTest(state=before, event=event):
                link, references = self.bring_to(before, event)
                token = self.token_of(link)
                if expected == "refused":
                    with self.assertRaises(UserError):
                        self.apply(event, link, references)
                    continue
                state, status, serves, payments, flagged = expected
                with mute_logger("odoo.addons.payment.models.payment_transaction"):
                    self.apply(event, link, references)
                link.invalidate_recordset()
                self.assertEqual((link.state, link.status), (state, status))
                self.assertEqual(self.serves(token), serves)
                recorded = link.transaction_ids.filtered(lambda tx: tx.operation != "refund").payment_id
                self.assertEqual(len(recorded), payments)
                self.assertEqual(link.needs_review, flagged)
                if before in ("expired", "revoked", "replaced") and event == "payment done":
                    self.assertIn("it is recorded, and the link stays closed", self.chatter(link))
                    self.assertIn("it is recorded, and the link stays closed", self.chatter(link.move_id))
                if state == "paid":
                    refunds = link.transaction_ids.child_transaction_ids.filtered(
                        lambda tx: tx.state == "done"
                    )
                    self.assertAlmostEqual(
                        link.amount_paid, sum((recorded | refunds.payment_id).mapped("amount_signed"))
                    )
                    self.assertEqual(link.amount, 0.0)

    # === DEFECTS, ONE TEST EACH === #

    def test_a_payment_after_revoke_or_regenerate_keeps_the_token_dead(self):
        """Defect 1: a payment completing after its link was revoked (or replaced) is recorded and
        pays the invoice, but the token serves neither the page, nor the receipt, nor documents."""
        for action in ("action_revoke", "action_regenerate"):
            with self.subTest(action=action):
                link = self.invoice_link()
                token, reference = self.token_of(link), self.start(link)
                getattr(self.as_manager(link), action)()
                self.demo_notify(reference, "done")
                self.assertEqual(link.state, "revoked")
                self.assertTrue(self.tx(reference).payment_id, "the money is recorded")
                self.assertEqual(
                    link.move_id.payment_state, self.env["account.move"]._get_invoice_in_payment_state()
                )
                for route in ("", "/return", "/receipt", f"/document/{link.move_id.id}"):
                    self.assertEqual(self.serves(token, route), 404, route)

    def test_a_pending_payment_from_any_source_holds_every_link(self):
        """Defect 2: a payment pending on Odoo's own portal, on the link before regeneration, on the
        balance link, or in another tab of the balance link holds the link: no second transaction."""
        # Odoo's portal.
        invoice = self.new_invoice()
        link = self.invoice_link(invoice)
        portal = self.portal_payment(invoice)
        self.demo_notify(portal, "pending")
        self.assertTrue(link.payment_pending)
        self.assertIn("A payment is being processed", self.page_text(link))
        self.assertIn("error", self.start_payment(link))
        self.demo_notify(portal, "error")
        # The link before it was regenerated (a custom-amount link: held through its replacement).
        custom = self.make_link(custom_amount=30.0)
        reference = self.start(custom)
        self.demo_notify(reference, "pending")
        new = self.env["account.payment.link"].browse(self.as_manager(custom).action_regenerate()["res_id"])
        self.assertTrue(new.payment_pending)
        self.assertIn("error", self.start_payment(new))
        # The balance link, held by a pending payment of any of its invoices; then a second tab.
        other = self.new_invoice(40.0)
        balance = self.customer.with_user(self.user_accountant)._paylink_get_or_create_balance_link()
        reference = self.start(self.invoice_link(other))
        self.demo_notify(reference, "pending")
        self.assertTrue(balance.payment_pending)
        self.assertIn("error", self.start_payment(balance))
        self.demo_notify(reference, "error")
        balance.invalidate_recordset()
        self.assertFalse(balance.payment_pending)
        self.demo_notify(self.start(balance), "pending")
        self.assertIn("error", self.start_payment(balance), "a second tab of the balance link")

    def test_a_payment_never_clears_the_review_flag(self):
        """Defect 3: a link flagged for a payment that could not be recorded (a provider reporting
        another amount) stays flagged when the customer then pays through it; only a manager's
        *Mark as Reviewed* clears the flag, an accountant cannot."""
        link = self.invoice_link()
        refused = self.tx(self.start(link))
        refused._paylink_flag_link("Stripe reported another amount.")  # what the Stripe check does
        self.demo_notify(refused.reference, "error")
        self.pay_link(link)
        self.assertEqual((link.state, link.needs_review), ("paid", True))
        with self.assertRaises(AccessError):
            link.with_user(self.user_accountant).action_mark_reviewed()
        with self.assertRaises(AccessError):
            link.with_user(self.user_manager).write({"needs_review": False})
        self.as_manager(link).action_mark_reviewed()
        self.assertFalse(link.needs_review)

    def test_a_link_past_its_date_counts_as_expired_on_every_path(self):
        """Defect 4: before the cron ran, a link past its expiry date is not sent (wizard, invoice
        button), not reused (a fresh link takes its place), not in the hub's *Active* filter, and
        its page answers 404."""
        invoice = self.new_invoice()
        link = self.invoice_link(invoice)
        self.env.cr.execute(
            "UPDATE account_payment_link SET expiry_date = %s WHERE id = %s",
            [fields.Date.today() - timedelta(days=1), link.id],
        )  # the date passed; the nightly cron has not run yet
        link.invalidate_recordset()
        self.assertEqual((link.state, link.status), ("active", "expired"))
        self.assertEqual(self.serves(self.token_of(link)), 404)
        with self.assertRaises(UserError):
            link.with_user(self.user_sms_sender).action_send()
        self.assertFalse(invoice.paylink_id)
        Link = self.env["account.payment.link"].with_user(self.user_accountant)
        self.assertNotIn(link, Link.search(Link._paylink_get_live_domain()))
        self.assertIn(link, Link.search([("status", "=", "expired")]))
        fresh = self.invoice_link(invoice)
        self.assertNotEqual(fresh, link)
        self.assertEqual(link.state, "expired")
        self.assertEqual(self.serves(self.token_of(fresh)), 200)

    def test_reposting_or_posting_paid_invoices_sends_nothing(self):
        """Defect 5: an invoice paid, reset to draft and posted again gets no new link and no new
        request for money (auto-send), nor does one whose link was paid; one with nothing due
        neither."""
        self.company.write({"paylink_auto_send": True, "paylink_auto_send_email": True})
        invoice = self.new_invoice()
        link = invoice.paylink_id
        self.assertTrue(link, "auto-send made the new invoice's link")
        self.pay(invoice, invoice.amount_residual)
        links_before, messages_before = invoice.paylink_ids, len(link.message_log_ids)
        invoice.button_draft()
        invoice.action_post()
        self.assertEqual(invoice.paylink_ids, links_before)
        self.assertEqual(len(link.message_log_ids), messages_before)
        # Paid through its link, reset and posted again: nothing either.
        invoice = self.new_invoice()
        self.pay_link(invoice.paylink_id)
        logs = len(invoice.paylink_ids.message_log_ids)
        self.assertEqual(logs, 1, "sent once, when first posted")
        invoice.button_draft()
        invoice.action_post()
        self.assertEqual(len(invoice.paylink_ids), 1)
        self.assertEqual(len(invoice.paylink_ids.message_log_ids), logs)
        # Nothing due: a zero invoice.
        zero = self.init_invoice("out_invoice", partner=self.customer, amounts=[0.0], post=True)
        self.assertFalse(zero.paylink_ids)

    def test_a_deleted_invoices_link_answers_the_one_404(self):
        """Defect 6: deleting an invoice closes its link (kept, with its log), whose token then
        answers the same 404 as an unknown one on every route."""
        link = self.invoice_link()
        token, invoice = self.token_of(link), link.move_id
        invoice.with_user(self.user_accountant).button_draft()
        invoice.with_user(self.user_accountant).unlink()
        self.assertTrue(link.exists())
        self.assertEqual((link.state, link.move_id.id), ("revoked", False))
        for route in ("", "/return", "/receipt"):
            self.assertEqual(self.serves(token, route), 404, route)
        body = self.jsonrpc(f"/pay/{token}/transaction", self.transaction_params())
        self.assertEqual(body["error"]["code"], 404)

    def test_merging_contacts_keeps_every_link(self):
        """Defect 7: Odoo's merge wizard keeps every link of the merged contacts (moved to the kept
        one), replaces a second live balance link instead of deleting it, and does not fail when a
        link has a payment."""
        duplicate = self.customer.copy({"name": "Ada Customer (duplicate)", "email": "ada2@example.com"})
        kept_balance = self.customer.with_user(self.user_accountant)._paylink_get_or_create_balance_link()
        invoice = self.init_invoice("out_invoice", partner=duplicate, amounts=[60.0], post=True)
        paid = self.invoice_link(invoice)
        self.pay_link(paid)
        invoice_2 = self.init_invoice("out_invoice", partner=duplicate, amounts=[70.0], post=True)
        live = self.invoice_link(invoice_2)
        other_balance = duplicate.with_user(self.user_accountant)._paylink_get_or_create_balance_link()
        links = kept_balance | paid | live | other_balance
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_context(active_model="res.partner")
            .create(
                {
                    "partner_ids": [Command.set((self.customer | duplicate).ids)],
                    "dst_partner_id": self.customer.id,
                }
            )
        )
        wizard.action_merge()
        self.assertEqual(len(links.exists()), 4, "no link deleted")
        self.assertEqual(links.partner_id, self.customer)
        self.assertEqual((paid.state, live.state, kept_balance.state), ("paid", "active", "active"))
        self.assertEqual((other_balance.state, other_balance.replaced_by_id), ("revoked", kept_balance))
        self.assertEqual(paid.transaction_ids.partner_id, self.customer)

    def test_an_invoicing_user_cannot_write_a_link_transaction_done(self):
        """Defect 8: the state of a link's transaction moves only through its provider; an invoicing
        user's RPC write is refused, and the return page records no payment."""
        link = self.invoice_link()
        tx = self.tx(self.start(link))
        for values in ({"state": "done"}, {"amount": 1.0}, {"paylink_id": False}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                tx.with_user(self.user_accountant).write(values)
        self.url_open(f"/pay/{self.token_of(link)}/return")
        self.assertEqual((tx.state, tx.payment_id.id, link.state), ("draft", False, "active"))
        forged = {
            "provider_id": tx.provider_id.id,
            "payment_method_id": tx.payment_method_id.id,
            "amount": tx.amount,
            "currency_id": tx.currency_id.id,
            "partner_id": tx.partner_id.id,
            "reference": "forged",
            "paylink_id": link.id,
            "state": "done",
        }
        with self.assertRaises(AccessError):
            self.env["payment.transaction"].with_user(self.user_accountant).create(forged)

    def test_the_hub_tells_the_truth(self):
        """Defect 9: *Amount Due* is nothing for paid, dead or settled links; an invoice paid another
        way says so; the month's figure follows the list's filters; *Duplicate* is a sentence."""
        settled = self.invoice_link()
        self.pay(settled.move_id, settled.move_id.amount_residual)
        paid_custom = self.make_link(custom_amount=50.0)
        self.pay_link(paid_custom)
        revoked = self.invoice_link()
        self.as_manager(revoked).action_revoke()
        open_link = self.invoice_link()
        Link = self.env["account.payment.link"].with_user(self.user_accountant)
        rows = {
            link: (link.amount, link.status)
            for link in Link.browse((settled | paid_custom | revoked | open_link).ids)
        }
        self.assertEqual(rows[settled], (0.0, "settled"))
        self.assertEqual(rows[paid_custom], (0.0, "paid"))
        self.assertEqual(rows[revoked], (0.0, "revoked"))
        self.assertEqual(rows[open_link], (open_link.move_id.amount_residual, "active"))
        self.assertGreater(rows[open_link][0], 0.0)
        self.assertIn(settled, Link.search([("status", "=", "settled")]))
        Company = self.env["res.company"].with_user(self.user_accountant).with_company(self.company)
        self.assertAlmostEqual(Company.paylink_get_hub_info()["paid_this_month"], 50.0)
        self.assertAlmostEqual(
            Company.paylink_get_hub_info(domain=[("link_type", "=", "invoice")])["paid_this_month"], 0.0
        )
        self.assertAlmostEqual(
            Company.paylink_get_hub_info(domain=[("partner_id", "=", self.customer.id)])["paid_this_month"],
            50.0,
        )
        with self.assertRaisesRegex(UserError, "cannot be duplicated"):
            self.as_manager(open_link).copy()

    # === FOUND BY REVIEW === #

    def test_a_custom_link_replaced_while_its_payment_is_pending_is_paid_once(self):
        """A custom link regenerated while its payment is pending: the new link takes no payment
        meanwhile; when the payment completes, the old link stays dead (noted) and the new one is
        paid by it (it asked for the same money): nothing asked twice, nothing flagged."""
        old = self.make_link(custom_amount=30.0)
        reference = self.start(old)
        self.demo_notify(reference, "pending")
        new = self.env["account.payment.link"].browse(self.as_manager(old).action_regenerate()["res_id"])
        self.assertEqual(new.status, "processing")
        self.assertIn("error", self.start_payment(new))
        self.demo_notify(reference, "done")
        self.env.invalidate_all()
        self.assertEqual((old.state, new.state), ("revoked", "paid"))
        self.assertEqual(new.payment_id, self.tx(reference).payment_id)
        self.assertFalse(old.needs_review or new.needs_review)
        self.assertEqual(self.serves(self.token_of(old)), 404)
        self.assertIn("already been paid", self.page_text(new))

    def test_a_payment_pending_when_the_date_passes_ends_the_link_paid(self):
        """A bank debit started on the link's last day: the date passing (and the nightly cron) does
        not expire the link while the payment is processing; its page keeps saying so, and the link
        ends paid when the payment completes."""
        link = self.invoice_link()
        reference = self.start(link)
        self.demo_notify(reference, "pending")
        # The days go by: the payment was started two days ago, on the link's last day.
        self.env.cr.execute(
            "UPDATE account_payment_link SET expiry_date = %s WHERE id = %s",
            [fields.Date.today() - timedelta(days=2), link.id],
        )
        self.env.cr.execute(
            "UPDATE payment_transaction SET create_date = create_date - interval '2 days' "
            "WHERE reference = %s",
            [reference],
        )
        self.env.invalidate_all()
        self.env["account.payment.link"]._cron_expire_links()
        self.assertEqual((link.state, link.status), ("active", "processing"))
        self.assertIn("A payment is being processed", self.page_text(link))
        self.demo_notify(reference, "done")
        self.env.invalidate_all()
        self.assertEqual(link.state, "paid")
        self.assertEqual(self.serves(self.token_of(link), "/receipt"), 200)

    def test_a_dead_link_never_gets_a_new_expiry_date(self):
        """A later expiry date would make a dead token serve again: refused, by the wizard and by a
        manager's plain write, for a link past its date as for a revoked one."""
        overdue, revoked = self.invoice_link(), self.invoice_link()
        self.as_manager(revoked).action_revoke()
        self.env.cr.execute(
            "UPDATE account_payment_link SET expiry_date = %s WHERE id = %s",
            [fields.Date.today() - timedelta(days=1), overdue.id],
        )
        self.env.invalidate_all()
        for link in (overdue, revoked):
            with self.subTest(link=link.status), self.assertRaises(UserError):
                self.as_manager(link).write({"expiry_date": fields.Date.today() + timedelta(days=30)})
            self.assertEqual(self.serves(self.token_of(link)), 404)

    def test_an_invoicing_user_cannot_rewrite_how_a_payment_was_recorded(self):
        """The recording of a link's payment is the provider's and Odoo's post-processing's: an
        invoicing user cannot detach its payment (which would record the charge a second time),
        reopen its post-processing, or move it to other invoices."""
        tx = self.pay_link(self.invoice_link())
        other = self.new_invoice()
        for values in (
            {"payment_id": False},
            {"is_post_processed": False},
            {"invoice_ids": [Command.set(other.ids)]},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                tx.with_user(self.user_accountant).write(values)
        self.assertEqual(len(self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])), 1)

    def test_a_payment_done_but_never_recorded_holds_the_link_no_longer_than_odoo_tries(self):
        """A payment the provider confirmed and Odoo could not record yet holds the link while Odoo's
        post-processing retries it (4 days); after that, it no longer blocks the customer."""
        link = self.invoice_link()
        tx = self.tx(self.start(link))
        tx._set_done()  # the provider said so; recording it has not happened (yet)
        self.assertTrue(link.payment_pending)
        tx.sudo().write({"last_state_change": fields.Datetime.now() - timedelta(days=5)})
        self.env.invalidate_all()
        self.assertFalse(link.payment_pending)
        self.assertNotIn("error", self.start_payment(link))
