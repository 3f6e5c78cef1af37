"""How long a cron run of ours may work before it leaves the rest to the next run.

Odoo's time limits cover a cron worker's whole poll (``ir.cron._process_jobs``: every ready job in
turn, each called up to ``MAX_BATCH_PER_CRON_JOB`` times while it reports work remaining), not one
job. With workers (prefork), the watchdog's real-time clock starts before the worker sleeps
waiting for work (up to ``SLEEP_INTERVAL`` plus 10 s), and the CPU-time limit (``RLIMIT_CPU``,
reset before each poll) covers the poll too; threaded, a cron thread past its real-time limit
restarts the server. A killed worker loses what it had not committed: an email handed to the mail
server but not yet marked sent goes twice.
"""

import resource
import threading
import time
import weakref

from odoo.service.server import SLEEP_INTERVAL
from odoo.tools import config

from odoo.addons.base.models.ir_cron import MAX_BATCH_PER_CRON_JOB

# Seconds a run works when the server sets no time limit.
DEFAULT_BUDGET_SECONDS = 120
# What a prefork cron worker's watchdog may have counted before its poll began: its sleep.
PREFORK_SLEEP = SLEEP_INTERVAL + 10

# The cron worker's current poll (set by ir.cron._process_job), and whether a job of it left work
# for a new poll.
_poll = threading.local()


def _clock():
    return time.monotonic()


def _cpu_left():
    """Return the CPU seconds this process may still use before ``RLIMIT_CPU`` (Odoo sets it to
    the time used plus ``limit_time_cpu`` before each poll of a prefork worker), or ``None``."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_CPU)
    if soft == resource.RLIM_INFINITY:
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return soft - (usage.ru_utime + usage.ru_stime)


def _real_limit():
    """Return the real-time limit of a cron worker's poll, less, with workers, the sleep the
    watchdog counts before it (at least a quarter of the limit is left)."""
    real = config["limit_time_real_cron"]
    if not real or real < 0:
        real = config["limit_time_real"]
    if real and real > 0 and config["workers"]:
        real = max(real - PREFORK_SLEEP, real / 4)
    return real


def cron_budget():
    """Return half the time a cron worker's poll may take on this server: the smallest of its
    real-time limit (``limit_time_real_cron``, else ``limit_time_real``, less the prefork sleep)
    and, with workers (where it applies to cron jobs too), its CPU-time limit (``limit_time_cpu``).

    The jobs of a poll share it (:func:`poll_time_left`); a run that stops starting new work past
    it commits what it did and leaves the rest to a new poll, which starts with its own limits: a
    long job is never killed halfway by the server.
    """
    limits = [
        limit
        for limit in (_real_limit(), config["workers"] and config["limit_time_cpu"])
        if limit and limit > 0
    ]
    return min(limits) / 2 if limits else DEFAULT_BUDGET_SECONDS


def start_poll(cron_cr):
    """Note that the cron worker's poll of cursor ``cron_cr`` (new for each poll) has begun."""
    current = getattr(_poll, "cr", None)
    if current is None or current() is not cron_cr:
        _poll.cr = weakref.ref(cron_cr)
        _poll.started = _clock()
        _poll.wake_up = False


def in_poll():
    """Whether this thread is in a cron worker's poll (its cursor still open)."""
    current = getattr(_poll, "cr", None)
    cr = current and current()
    return bool(cr and not cr.closed)


def poll_time_left():
    """Return the seconds left of :func:`cron_budget` in the cron worker's current poll: the
    time every job of the poll spent counts, in real time and, with workers, in CPU time (the
    half of ``limit_time_cpu`` kept in reserve). Outside a poll, the whole budget."""
    if not in_poll():
        return cron_budget()
    left = cron_budget() - (_clock() - _poll.started)
    if config["workers"] and config["limit_time_cpu"] > 0 and (cpu := _cpu_left()) is not None:
        left = min(left, cpu - config["limit_time_cpu"] / 2)
    return left


def cron_call_budget(share=1.0):
    """Return the time one call of a cron job of ours may work: Odoo's cron runner calls a job
    that reports work remaining again at once, up to ``MAX_BATCH_PER_CRON_JOB`` times in the same
    worker (then reschedules it as soon as possible), so the calls share the poll's time, some of
    which the other jobs of the poll spent already. At zero or below, a call does one small unit
    of work only (it still reports progress, so the runner goes on in a new poll).

    :param float share: the part of the poll's budget the job may spend; the rest is left to the
        jobs after it in the poll (the bulk sending leaves half to the queues it fills: Odoo's
        runner takes the jobs by priority, and the mail queue's comes after it).
    """
    budget = cron_budget()
    return min(budget / MAX_BATCH_PER_CRON_JOB, poll_time_left() - (1 - share) * budget)


def report_progress(env, cron_xmlid, *, done, remaining):
    """Tell Odoo's cron runner how far this call got (``ir.cron._notify_progress``): with work
    remaining, the runner calls the job again, committing in between, and once the job is released
    the cron workers are woken up for a new poll (:func:`wake_up_after_poll`). Outside the runner
    (a user's action, a test), the cron ``cron_xmlid`` is woken up for the rest instead."""
    if env.context.get("ir_cron_progress_id"):
        env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if done and remaining:
            note_work_left()
    elif remaining:
        # sudo: waking one of our crons up (users may not read crons).
        env.ref(cron_xmlid).sudo()._trigger()


def note_work_left():
    """Note that a job of this poll reported work remaining (see :func:`wake_up_after_poll`)."""
    _poll.wake_up = True


def wake_up_after_poll():
    """Return whether a job of this poll left work for a new poll, and forget it: Odoo
    reschedules such a job at once but wakes the cron workers only under
    ``ODOO_NOTIFY_CRON_CHANGES``; else they sleep up to a minute before they see it."""
    wake_up = getattr(_poll, "wake_up", False)
    _poll.wake_up = False
    return wake_up
