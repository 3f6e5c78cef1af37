"""Exactly once, for real: the provider's notification and the customer's return race on two
database connections at the same moment (RELIABILITY 10).

Unlike the other tests, this one commits: each side is a real HTTP request to Odoo's server (the
Demo provider's notification route, our return page), served in its own thread with its own
cursor, as in production. PostgreSQL's repeatable-read isolation makes the later writer of the
transaction's row fail with a serialization error (or a deadlock); that request rolls its recording
back and leaves it to Odoo's post-processing cron, triggered at once (as Odoo's own status poll
does), and answers without starting over. The data lives in a company of its own.
"""

import contextlib
import threading
import uuid
from unittest.mock import patch

import requests

import odoo
from odoo import Command, api
from odoo.exceptions import UserError
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import config, mute_logger


@tagged("post_install", "-at_install")
class TestPaymentRace(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.url = f"http://127.0.0.1:{config['http_port']}"
        # Odoo's test runner holds the registry lock while tests run; its test mode swaps it for a
        # dummy lock (and routes every request through the test's cursor). Swap the lock only, so
        # that the server's threads open real connections of their own.
        cls._saved_registry_lock, Registry._lock = Registry._lock, DummyRLock()
        cls.addClassCleanup(setattr, Registry, "_lock", cls._saved_registry_lock)

    def env(self, cr):
        return api.Environment(cr, odoo.SUPERUSER_ID, {})

    def make_race_company(self, cr):
        """Create a company of its own with a chart of accounts, Odoo's Demo provider and a customer;
        return ``(env in that company, company, provider, partner)``."""
        env = self.env(cr)
        company = env["res.company"].create(
            {"name": f"Race Company {uuid.uuid4().hex[:8]}", "currency_id": env.ref("base.USD").id}
        )
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        env = env(context={"allowed_company_ids": company.ids})
        provider = env.ref("payment.payment_provider_demo").copy({"company_id": company.id})
        provider.write({"state": "test", "is_published": True})
        partner = env["res.partner"].create({"name": "Race Customer", "email": "race@example.com"})
        return env, company, provider, partner

    def make_paid_transaction(self):
        """Commit a link whose Demo transaction the provider reports done, not post-processed yet."""
        with self.registry.cursor() as cr:
            env, company, provider, partner = self.make_race_company(cr)
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "invoice_line_ids": [
                        Command.create({"name": "Race", "price_unit": 100.0, "tax_ids": False})
                    ],
                }
            )
            invoice.action_post()
            link = env["account.payment.link"].create({"link_type": "invoice", "move_id": invoice.id})
            tx = env["payment.transaction"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": provider.payment_method_ids[:1].id,
                    "reference": f"{link.name}-race",
                    "amount": 100.0,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": partner.id,
                    "operation": "online_direct",
                    "paylink_id": link.id,
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
            tx._set_done()  # the provider said so; post-processing is what races
            ids = {"company": company.id, "invoice": invoice.id, "link": link.id, "tx": tx.id,
                   "token": link.access_token, "reference": tx.reference}  # fmt: skip
        return ids

    def cron_triggers(self):
        """Count the pending triggers of Odoo's payment post-processing cron."""
        with self.registry.cursor() as cr:
            cron = self.env(cr).ref("payment.cron_post_process_payment_tx")
            return self.env(cr)["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def run_post_processing_cron(self):
        """Run Odoo's payment post-processing cron, as its cron worker does once triggered."""
        with self.registry.cursor() as cr:
            self.env(cr)["payment.transaction"]._cron_post_process()

    def notify(self, reference):
        """The Demo provider's notification (its webhook) that the payment is done."""
        response = requests.post(
            f"{self.url}/payment/demo/simulate_payment",
            json={"jsonrpc": "2.0", "method": "call", "id": 1,
                  "params": {"reference": reference, "simulated_state": "done"}},
            timeout=60,
        )  # fmt: skip
        return response.status_code, "error" in response.json()

    def customer_returns(self, token):
        """The customer's browser landing on the link's return page."""
        response = requests.get(f"{self.url}/pay/{token}/return", timeout=60)
        return response.status_code, "your payment was received" in response.text

    def test_webhook_and_return_page_race_then_duplicates(self):
        ids = self.make_paid_transaction()
        start = threading.Barrier(2)
        results = {}

        def side(name, call, *args):
            start.wait()
            results[name] = call(*args)

        # Both requests meet inside their own database transaction, each with its snapshot
        # taken, just before recording the payment: whichever writes second must fail, roll its
        # recording back and leave it to Odoo's cron. A replayed request would go straight on.
        meet, calls, calls_lock = threading.Barrier(2, timeout=30), [], threading.Lock()
        Transaction = self.registry["payment.transaction"]
        post_process_now = Transaction._paylink_post_process_now

        def meeting(tx):
            with calls_lock:
                calls.append(tx.env.cr)
                first_two = len(calls) <= 2
            if first_two:
                meet.wait()
            return post_process_now(tx)

        threads = [
            threading.Thread(target=side, args=("notification", self.notify, ids["reference"])),
            threading.Thread(target=side, args=("return", self.customer_returns, ids["token"])),
        ]
        # The losing side's failed UPDATE is logged by Odoo as a "bad query" before it rolls back.
        triggers = self.cron_triggers()
        with patch.object(Transaction, "_paylink_post_process_now", meeting), mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(90)
        self.assertEqual(results, {"notification": (200, False), "return": (200, True)})
        # Two transactions really met (two cursors); PostgreSQL refused the later writer (or both,
        # a deadlock's victim first), which left the recording to Odoo's cron (a trigger) instead
        # of replaying the request.
        self.assertEqual(len({id(cr) for cr in calls[:2]}), 2)
        self.assertEqual(len(calls), 2, "no request was replayed")
        self.assertGreater(self.cron_triggers(), triggers, "the loser triggered Odoo's cron")
        self.run_post_processing_cron()  # as Odoo's cron worker does once triggered

        # The provider delivers its notification 20 more times.
        for _attempt in range(20):
            self.assertEqual(self.notify(ids["reference"]), (200, False))

        with self.registry.cursor() as cr:
            env = self.env(cr)
            payments = env["account.payment"].search([("payment_transaction_id", "=", ids["tx"])])
            self.assertEqual(len(payments), 1)
            invoice = env["account.move"].browse(ids["invoice"])
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self.assertEqual(len(invoice.line_ids.matched_credit_ids), 1)
            link = env["account.payment.link"].browse(ids["link"])
            self.assertEqual(link.state, "paid")
            self.assertEqual(link.payment_id, payments)
            paid_notes = link.message_ids.filtered(lambda message: "has been posted" in (message.body or ""))
            self.assertEqual(len(paid_notes), 1)

    def test_sms_and_mail_queues_record_the_same_link_at_once(self):
        """Odoo's SMS and mail queues run at the same time in two cron workers and record, each in
        its own transaction, how one link's SMS and email went: neither may fail on the other's
        write (a failed mail-queue transaction sends its email again on the next run)."""
        ids = self.make_paid_transaction()
        with self.registry.cursor() as cr:
            env = self.env(cr)
            link = env["account.payment.link"].browse(ids["link"])
            # The link's SMS and email as Odoo records them: a notification each, the SMS's tracker.
            message = link.message_post(body="race")
            Notification = env["mail.notification"]
            email_notification = Notification.create(
                {"mail_message_id": message.id, "notification_type": "email",
                 "res_partner_id": link.partner_id.id, "notification_status": "ready"}
            )  # fmt: skip
            sms_notification = Notification.create(
                {"mail_message_id": message.id, "notification_type": "sms",
                 "sms_number": "+14155550100", "notification_status": "ready"}
            )  # fmt: skip
            tracker = env["sms.tracker"].create(
                {"sms_uuid": uuid.uuid4().hex, "mail_notification_id": sms_notification.id}
            )
            Log = env["account.payment.link.message"]
            values = {"link_id": link.id, "company_id": ids["company"]}
            Log.create(
                {
                    **values,
                    "channel": "sms",
                    "recipient": "+14155550100",
                    "sms_tracker_id": tracker.id,
                    "mail_notification_id": sms_notification.id,
                }
            )
            Log.create({**values, "channel": "email", "recipient": link.partner_id.email,
                        "mail_notification_id": email_notification.id})  # fmt: skip
            self.assertEqual(sorted(link.message_log_ids.mapped("state")), ["outgoing", "queued"])
        # The SMS queue hands the SMS to Twilio; the mail queue sends the email.
        writes = {
            "sms": (tracker.id, "sms.tracker", lambda tracker: (
                tracker.write({"paylink_twilio_state": "queued"}),
                tracker._action_update_from_sms_state("pending"),
            )),
            "email": (email_notification.id, "mail.notification", lambda notification: notification.write(
                {"notification_status": "sent"}
            )),
        }  # fmt: skip
        start, written, errors = threading.Barrier(2), threading.Barrier(2), []

        def queue(record_id, model, write):
            try:
                start.wait(timeout=30)
                with self.registry.cursor() as cr:
                    write(self.env(cr)[model].browse(record_id))
                    self.env(cr).flush_all()
                    # Both written before either commits (or the other is stuck on a lock).
                    with contextlib.suppress(threading.BrokenBarrierError):
                        written.wait(timeout=5)
            except Exception as error:  # pylint: disable=broad-except  # reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=queue, args=args) for args in writes.values()]
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertEqual(errors, [])
        with self.registry.cursor() as cr:
            link = self.env(cr)["account.payment.link"].browse(ids["link"])
            self.assertEqual(sorted(link.message_log_ids.mapped("state")), ["queued", "sent"])
            self.assertEqual(link.sms_state, "queued")
            self.assertEqual(link.search([("sms_state", "=", "queued"), ("id", "=", link.id)]), link)


@tagged("post_install", "-at_install")
class TestPaymentRacesBetweenPaths(TestPaymentRace):
    """Two ways of paying the same money at the same moment, each on its own connection (issue "One
    truth about what is owed"): both payments are recorded, the second is flagged To review, and
    no invoice is silently overpaid; a revoke racing the provider's notification leaves the money
    recorded and the link in one consistent state."""

    def make_company(self):
        """Commit a company of its own with the Demo provider, a customer, two invoices (100.00 and
        40.00), a link of the first and the customer's balance link; return their ids."""
        with self.registry.cursor() as cr:
            env, company, provider, partner = self.make_race_company(cr)
            invoices = env["account.move"]
            for amount in (100.0, 40.0):
                invoices |= env["account.move"].create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "invoice_line_ids": [
                            Command.create({"name": "Race", "price_unit": amount, "tax_ids": False})
                        ],
                    }
                )
            invoices.action_post()
            link = env["account.payment.link"].create({"link_type": "invoice", "move_id": invoices[0].id})
            balance = env["account.payment.link"].create(
                {"link_type": "balance", "partner_id": partner.id, "company_id": company.id}
            )
            manager = env["res.users"].create(
                {
                    "name": "Race Manager",
                    "email": "race.manager@example.com",
                    "login": f"race_manager_{uuid.uuid4().hex[:8]}",
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "groups_id": [
                        Command.set(
                            [
                                env.ref("account.group_account_invoice").id,
                                env.ref("account_payment_link.group_paylink_manager").id,
                            ]
                        )
                    ],
                }
            )
            return {
                "company": company.id, "provider": provider.id, "method": provider.payment_method_ids[:1].id,
                "partner": partner.id, "invoices": invoices.ids, "link": link.id, "balance": balance.id,
                "link_token": link.access_token, "balance_token": balance.access_token,
                "invoice_token": invoices[0]._portal_ensure_token(), "manager": manager.id,
            }  # fmt: skip

    def jsonrpc(self, route, params):
        response = requests.post(
            f"{self.url}{route}",
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=60,
        )
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertIn("result", body, body)
        return body["result"]

    def start(self, ids, route, **extra):
        """Start a payment as the public customer's page does; return its reference."""
        params = {
            "provider_id": ids["provider"], "payment_method_id": ids["method"], "token_id": None,
            "amount": extra.pop("amount", 1.0), "flow": "direct", "tokenization_requested": False,
            "landing_route": "/", "is_validation": False, **extra,
        }  # fmt: skip
        return self.jsonrpc(route, params)["reference"]

    def notify_both_at_once(self, *references):
        """The provider reports each payment done, all at the same moment on their own connections."""
        start, results = threading.Barrier(len(references)), {}

        def notify(reference):
            start.wait(timeout=30)
            results[reference] = self.notify(reference)

        threads = [threading.Thread(target=notify, args=(reference,)) for reference in references]
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(90)
        self.assertEqual(set(results.values()), {(200, False)}, results)

    def check_both_recorded_and_flagged(self, ids, references, link_key):
        """Assert that each payment is recorded once, the link flagged, its invoices settled, once
        Odoo's post-processing cron has run (it records a payment that lost the race, and the
        portal's); return ``(payment amounts, link state)``."""
        self.run_post_processing_cron()
        with self.registry.cursor() as cr:
            env = self.env(cr)
            txs = env["payment.transaction"].search([("reference", "in", references)])
            self.assertEqual(txs.mapped("state"), ["done"] * len(references))
            payments = env["account.payment"].search([("payment_transaction_id", "in", txs.ids)])
            self.assertEqual(len(payments), len(references), "each payment recorded once")
            link = env["account.payment.link"].browse(ids[link_key])
            self.assertTrue(link.needs_review, "the second payment is flagged")
            invoices = env["account.move"].browse(ids["invoices"])
            self.assertTrue(
                all(
                    invoice.currency_id.is_zero(invoice.amount_residual)
                    for invoice in invoices.filtered(lambda move: move in txs.invoice_ids)
                )
            )
            return sorted(payments.mapped("amount")), link.state

    def test_two_tabs_of_a_balance_link_pay_at_once(self):
        ids = self.make_company()
        route = f"/pay/{ids['balance_token']}/transaction"
        references = [self.start(ids, route, tip_percent=0), self.start(ids, route, tip_percent=0)]
        self.notify_both_at_once(*references)
        amounts, state = self.check_both_recorded_and_flagged(ids, references, "balance")
        self.assertEqual(amounts, [140.0, 140.0])
        self.assertEqual(state, "active", "a balance link stays open")

    def test_a_link_and_odoos_portal_pay_the_same_invoice_at_once(self):
        ids = self.make_company()
        references = [
            self.start(ids, f"/pay/{ids['link_token']}/transaction", tip_percent=0),
            self.start(
                ids,
                f"/invoice/transaction/{ids['invoices'][0]}",
                amount=100.0,
                access_token=ids["invoice_token"],
            ),
        ]
        self.notify_both_at_once(*references)
        # The portal's payment is recorded by Odoo's post-processing (its cron, or the status page).
        self.check_both_recorded_and_flagged(ids, references, "link")

    def test_revoke_while_the_providers_notification_completes(self):
        ids = self.make_company()
        reference = self.start(ids, f"/pay/{ids['link_token']}/transaction", tip_percent=0)
        start, results = threading.Barrier(2), {}

        def revoke():
            start.wait(timeout=30)

            def action(env):
                link = env["account.payment.link"].with_user(ids["manager"]).browse(ids["link"])
                try:
                    with env.cr.savepoint():
                        link.action_revoke()
                except UserError as error:
                    # Paid first: the manager is told it cannot be revoked (and nothing changed).
                    return f"refused: {error}"
                return "revoked"

            with self.registry.cursor() as cr:
                # As Odoo's RPC does: a serialization failure is retried on a fresh transaction.
                results["revoke"] = retrying(lambda: action(self.env(cr)), self.env(cr))

        def notify():
            start.wait(timeout=30)
            results["notify"] = self.notify(reference)

        threads = [threading.Thread(target=revoke), threading.Thread(target=notify)]
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(90)
        self.assertEqual(results["notify"], (200, False))
        self.assertTrue(
            results["revoke"] == "revoked" or "Only active links can be revoked" in results["revoke"], results
        )
        self.run_post_processing_cron()  # records the payment if the revoke made it lose the race
        with self.registry.cursor() as cr:
            env = self.env(cr)
            tx = env["payment.transaction"].search([("reference", "=", reference)])
            self.assertEqual(len(env["account.payment"].search([("payment_transaction_id", "=", tx.id)])), 1)
            link = env["account.payment.link"].browse(ids["link"])
            expected = "revoked" if results["revoke"] == "revoked" else "paid"
            self.assertEqual(link.state, expected)
            served = requests.get(f"{self.url}/pay/{ids['link_token']}", timeout=60).status_code
            self.assertEqual(served, 404 if expected == "revoked" else 200)
