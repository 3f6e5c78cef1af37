"""SMS of a batch go to Twilio several at a time, each exactly once, even when the worker is
killed halfway (issue 11, point 2). The Twilio double answers after a delay, as Twilio would."""

from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config

from ..tools import cron_budget as budget_module
from ..tools.cron_budget import cron_budget, cron_call_budget, poll_time_left, start_poll
from .common import PaylinkTestCommon
from odoo.addons.base.models.ir_cron import CompletionStatus


@tagged("post_install", "-at_install")
class TestSmsConcurrency(PaylinkTestCommon):
    def setUp(self):
        super().setUp()
        self.twilio.reset()
        self.addCleanup(setattr, self.twilio, "latency", 0.0)

    def queue_sms(self, count):
        return (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "number": f"+1415555{100 + index:04d}",
                        "body": f"Invoice {index}: pay here",
                        "paylink_company_id": self.company.id,
                    }
                    for index in range(count)
                ]
            )
        )

    def sent_bodies(self):
        return sorted(message["body"] for message in self.twilio.messages)

    def test_a_batch_goes_out_concurrently_each_sms_once(self):
        self.company.paylink_sms_concurrency = 4
        self.twilio.latency = 0.2
        sms = self.queue_sms(12)
        self.process_sms_queue()
        self.assertEqual(self.sent_bodies(), sorted(f"Invoice {index}: pay here" for index in range(12)))
        self.assertEqual(len({message["_status_callback"] for message in self.twilio.messages}), 12)
        # Several at once, never more than the company allows.
        self.assertGreaterEqual(self.twilio.max_concurrent, 2)
        self.assertLessEqual(self.twilio.max_concurrent, 4)
        self.assertEqual(set(sms.exists().mapped("state")) - {"pending"}, set())

    def test_one_at_a_time_when_the_company_says_so(self):
        self.company.paylink_sms_concurrency = 1
        self.twilio.latency = 0.05
        self.queue_sms(4)
        self.process_sms_queue()
        self.assertEqual(len(self.twilio.messages), 4)
        self.assertEqual(self.twilio.max_concurrent, 1)

    def test_killed_halfway_the_rest_goes_out_once(self):
        """The worker dies at its 4th commit: what Twilio took but was not recorded is found at
        Twilio on the next run, not sent again; the rest is sent once."""
        self.company.paylink_sms_concurrency = 4  # windows of 16 marked ahead
        self.twilio.latency = 0.05
        queued = self.queue_sms(40)
        cr, commits = self.env.cr, []
        SmsModel = type(self.env["sms.sms"])

        def commit(sms_self):
            # What cr.commit() would make durable: a savepoint released; a crash undoes the rest.
            sms_self.env.flush_all()
            commits.append(len(commits) + 1)
            if len(commits) == 4:
                raise KeyboardInterrupt  # the worker is killed (time limit)
            cr.execute("RELEASE SAVEPOINT paylink_commit; SAVEPOINT paylink_commit")

        cr.execute("SAVEPOINT paylink_commit")
        # Not assertRaises: its own savepoint would be released by the simulated commits.
        interrupted = False
        with (
            patch.object(SmsModel, "_paylink_auto_commit", lambda self: True),
            patch.object(SmsModel, "_paylink_commit", commit),
        ):
            try:
                self.process_sms_queue()
            except KeyboardInterrupt:
                interrupted = True
        self.assertTrue(interrupted, "the worker should have been killed")
        cr.execute("ROLLBACK TO SAVEPOINT paylink_commit")
        self.env.transaction.clear()
        recorded = len(queued.filtered(lambda sms: sms.state == "pending"))
        at_twilio = len(self.twilio.messages)
        self.assertLess(recorded, at_twilio, "Twilio took SMS the dead worker had not recorded")
        self.assertLess(at_twilio, 40, "the worker died before the end")

        # The next run (committing normally) sends the rest, and only the rest.
        with (
            patch.object(SmsModel, "_paylink_auto_commit", lambda self: True),
            patch.object(SmsModel, "_paylink_commit", lambda self: self.env.flush_all()),
        ):
            self.process_sms_queue()
        self.assertEqual(self.sent_bodies(), sorted(f"Invoice {index}: pay here" for index in range(40)))
        self.assertEqual(set(queued.exists().mapped("state")) - {"pending"}, set(), "nothing left outgoing")

    def test_429_slows_the_whole_batch_and_nothing_is_lost(self):
        self.company.paylink_sms_concurrency = 4
        self.twilio.fail_next(429, 20429, "Too Many Requests", times=2)
        self.queue_sms(8)
        self.process_sms_queue()
        self.assertEqual(self.sent_bodies(), sorted(f"Invoice {index}: pay here" for index in range(8)))

    def test_a_run_past_its_time_budget_leaves_the_rest_to_the_next_run(self):
        """A call of the SMS cron starts no new batch past its time budget (the first always goes):
        the rest stays queued, reported to Odoo's cron runner (``_notify_progress``), which calls
        the queue again at once; outside the runner the cron is woken up. Each SMS goes once."""
        self.env["ir.config_parameter"].sudo().set_param("sms.session.batch.size", 10)
        queued = self.queue_sms(30)
        SmsModel = type(self.env["sms.sms"])
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action")
        progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        with (
            patch.object(SmsModel, "_paylink_auto_commit", lambda self: True),
            patch.object(SmsModel, "_paylink_commit", lambda self: self.env.flush_all()),
            patch("odoo.addons.account_payment_link.models.sms_sms.cron_call_budget", lambda: 0),
        ):
            queued.with_context(ir_cron_progress_id=progress.id).send(auto_commit=True)
            self.assertEqual(len(self.twilio.messages), 10, "the first batch only")
            self.assertEqual((progress.done, progress.remaining), (10, 20), "reported to Odoo's runner")
            self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), triggers, "no self-trigger")
            # Outside Odoo's cron runner, the cron is woken up for the rest.
            queued.filtered(lambda sms: sms.state == "outgoing").send(auto_commit=True)
            self.assertEqual(len(self.twilio.messages), 20)
            self.assertGreater(Trigger.search_count([("cron_id", "=", cron.id)]), triggers)
        self.assertEqual(len(queued.filtered(lambda sms: sms.state == "outgoing")), 10)

        self.process_sms_queue()
        self.assertEqual(self.sent_bodies(), sorted(f"Invoice {index}: pay here" for index in range(30)))

    def test_cron_budget_is_half_the_tightest_limit(self):
        """With workers, Odoo kills a cron job at its CPU-time limit too: the budget is half the
        smallest limit that applies."""
        cases = [
            # With workers, the prefork watchdog counts the worker's sleep (up to 70 s) in the poll.
            ({"limit_time_real_cron": -1, "limit_time_real": 120, "workers": 2, "limit_time_cpu": 60}, 25),
            ({"limit_time_real_cron": 600, "limit_time_real": 120, "workers": 2, "limit_time_cpu": 900}, 265),
            ({"limit_time_real_cron": -1, "limit_time_real": 120, "workers": 0, "limit_time_cpu": 60}, 60),
            ({"limit_time_real_cron": 600, "limit_time_real": 120, "workers": 0, "limit_time_cpu": 60}, 300),
            ({"limit_time_real_cron": 0, "limit_time_real": 0, "workers": 0, "limit_time_cpu": 0}, 120),
        ]
        for options, budget in cases:
            with self.subTest(**options), patch.dict(config.options, options):
                self.assertEqual(cron_budget(), budget)

    def test_the_jobs_of_a_poll_share_its_time(self):
        """Odoo's limits cover a cron worker's whole poll (every ready job, each called up to ten
        times): a job's call gets what the jobs before it left, in real and in CPU time, and a
        new poll starts afresh."""

        class Cursor:  # a poll's cursor, as ir.cron._process_job gets it
            closed = False

        clock = {"now": 1000.0}
        cpu = {"left": 60.0}
        options = {"limit_time_real_cron": -1, "limit_time_real": 120, "workers": 2, "limit_time_cpu": 60}
        with (
            patch.dict(config.options, options),
            patch.object(budget_module, "_clock", lambda: clock["now"]),
            patch.object(budget_module, "_cpu_left", lambda: cpu["left"]),
            patch.object(budget_module, "_poll", type(budget_module._poll)()),
        ):
            # 120 s less the minute the prefork watchdog counts while the worker sleeps: 50 s,
            # of which half.
            self.assertEqual(poll_time_left(), 25, "outside a cron worker: the whole budget")
            first_poll = Cursor()
            start_poll(first_poll)
            self.assertEqual(cron_call_budget(), 2.5, "a tenth of the budget while the poll has time")
            clock["now"] += 15  # another job of the poll (Odoo's mail queue, say) took 15 s
            start_poll(first_poll)  # the next job of the same poll
            self.assertEqual(poll_time_left(), 10)
            # The bulk sending spends half the poll's budget at most: the queues it fills get the rest.
            self.assertEqual(cron_call_budget(share=0.5), -2.5)
            cpu["left"] = 36.0  # ... and 24 s of CPU: 6 s left of the half in reserve
            self.assertEqual(poll_time_left(), 6)
            clock["now"] += 12
            self.assertEqual(poll_time_left(), -2)
            self.assertLessEqual(cron_call_budget(), 0, "spent: one small unit only")
            cpu["left"] = 60.0
            start_poll(Cursor())  # the next poll
            self.assertEqual(cron_call_budget(), 2.5)
            first_poll.closed = True
            self.assertEqual(poll_time_left(), 25)

    def test_ir_cron_notes_the_poll_and_wakes_the_workers_for_work_left(self):
        """Through Odoo's own runner entry point (``ir.cron._process_job``, as a cron worker calls
        it for each job of its poll): the poll is noted before the job runs, and the cron workers
        are notified once it is released when it reported work remaining."""
        IrCron = type(self.env["ir.cron"])
        seen = {}

        def run_job(job):
            seen["in_poll"] = budget_module.in_poll()
            # A job that reports progress with work remaining, as Odoo's runner sees it.
            env = self.env(context={"ir_cron_progress_id": self.progress.id})
            budget_module.report_progress(env, "sms.ir_cron_sms_scheduler_action", done=5, remaining=5)
            return CompletionStatus.PARTIALLY_DONE

        cron = self.env.ref("sms.ir_cron_sms_scheduler_action")
        self.progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})
        with (
            patch.object(IrCron, "_run_job", staticmethod(run_job)),
            patch.object(IrCron, "_update_failure_count", lambda self, job, status: None),
            patch.object(IrCron, "_reschedule_asap", lambda self, job: None),
            patch.object(IrCron, "_notifydb") as notifydb,
            # The test's cursor as the poll's cursor, whose commit a test may not do.
            patch.object(self.env.cr, "commit", lambda: None),
            patch.object(budget_module, "_poll", type(budget_module._poll)()),
        ):
            job = {"id": cron.id, "user_id": self.env.uid, "timed_out_counter": 0, "done": 0}
            IrCron._process_job(self.env.registry, self.env.cr, job)
        self.assertEqual(seen, {"in_poll": True})
        self.assertEqual(notifydb.call_count, 1, "the workers are woken once, after the job")

    def test_a_call_of_the_queue_in_a_spent_poll_sends_one_window(self):
        """With the poll's time spent, the SMS cron still sends a window (the runner sees progress
        and goes on in a new poll) instead of a whole batch of 500 that would outlive the limit."""
        queued = self.queue_sms(40)
        SmsModel = type(self.env["sms.sms"])
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action")
        progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})
        with (
            patch.object(SmsModel, "_paylink_auto_commit", lambda self: True),
            patch.object(SmsModel, "_paylink_commit", lambda self: self.env.flush_all()),
            patch("odoo.addons.account_payment_link.models.sms_sms.cron_call_budget", lambda: -1),
        ):
            queued.with_context(ir_cron_progress_id=progress.id).send(auto_commit=True)
        self.assertEqual(len(self.twilio.messages), 32)
        self.assertEqual((progress.done, progress.remaining), (32, 8))
        self.process_sms_queue()
        self.assertEqual(self.sent_bodies(), sorted(f"Invoice {index}: pay here" for index in range(40)))
