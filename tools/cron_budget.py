"""How long a cron run of ours may work before it leaves the rest to the next run."""

import threading
import time

from odoo.tools import config

from odoo.addons.base.models.ir_cron import MAX_BATCH_PER_CRON_JOB

# Seconds a run works when the server sets no time limit.
DEFAULT_BUDGET_SECONDS = 120

# The cron worker's current poll: Odoo's limits cover a whole poll (every ready job, each called
# up to MAX_BATCH_PER_CRON_JOB times), not one job. Set by ir.cron._process_job.
_poll = threading.local()


def cron_budget():
    """Return half the time a cron job may take on this server: the smallest of its real-time
    limit (``limit_time_real_cron``, else ``limit_time_real``) and, with workers (where it applies
    to cron jobs too), its CPU-time limit (``limit_time_cpu``).

    A run that stops starting new work past this budget commits what it did and triggers the next
    run, which starts with its own limits: a long job is never killed halfway by the server.
    """
    real = config["limit_time_real_cron"]
    if not real or real < 0:
        real = config["limit_time_real"]
    limits = [
        limit for limit in (real, config["workers"] and config["limit_time_cpu"]) if limit and limit > 0
    ]
    return min(limits) / 2 if limits else DEFAULT_BUDGET_SECONDS


def start_poll(cron_cr):
    """Note when the cron worker's poll began (its cursor ``cron_cr`` is new for each poll).

    With workers, Odoo's watchdog kills a cron worker whose poll outlives the real-time limit, and
    its CPU-time limit covers the poll too; threaded, a cron thread past its limit restarts the
    server. Every job of the poll works under those limits in turn.
    """
    if getattr(_poll, "cr", None) is not cron_cr:
        _poll.cr = cron_cr
        _poll.real = time.monotonic()
        _poll.cpu = time.process_time()


def poll_time_left():
    """Return the seconds left of :func:`cron_budget` in the cron worker's current poll (the
    time every job of the poll spent counts, in real time and, with workers, in CPU time); outside
    a cron worker, the whole budget."""
    if getattr(_poll, "cr", None) is None:
        return cron_budget()
    spent = time.monotonic() - _poll.real
    if config["workers"]:
        spent = max(spent, time.process_time() - _poll.cpu)
    return cron_budget() - spent


def cron_call_budget():
    """Return the time one call of a cron job of ours may work: Odoo's cron runner calls a job
    that reports work remaining again at once, up to ``MAX_BATCH_PER_CRON_JOB`` times in the same
    worker (then reschedules it as soon as possible), so the calls share the worker's limit, and
    the other jobs of the poll spent some of it already. At zero or below, a call does one small
    unit of work only (it still reports progress, so the runner goes on in a new poll)."""
    return min(cron_budget() / MAX_BATCH_PER_CRON_JOB, poll_time_left())


def report_progress(env, cron_xmlid, *, done, remaining):
    """Tell Odoo's cron runner how far this call got (``ir.cron._notify_progress``): with work
    remaining, the runner calls the job again, committing in between, and after its last call the
    cron workers are woken up for a new poll (Odoo does it only under ODOO_NOTIFY_CRON_CHANGES;
    else they would sleep up to a minute). Outside the runner (a user's action, a test), the cron
    ``cron_xmlid`` is woken up for the rest instead."""
    if env.context.get("ir_cron_progress_id"):
        env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if done and remaining:
            env.cr.postcommit.add(env["ir.cron"]._notifydb)
    elif remaining:
        # sudo: waking one of our crons up (users may not read crons).
        env.ref(cron_xmlid).sudo()._trigger()
