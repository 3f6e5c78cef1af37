"""How long a cron run of ours may work before it leaves the rest to the next run."""

from odoo.tools import config

from odoo.addons.base.models.ir_cron import MAX_BATCH_PER_CRON_JOB

# Seconds a run works when the server sets no time limit.
DEFAULT_BUDGET_SECONDS = 120


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


def cron_call_budget():
    """Return the time one call of a cron job of ours may work: Odoo's cron runner calls a job
    that reports work remaining again at once, up to ``MAX_BATCH_PER_CRON_JOB`` times in the same
    worker (then reschedules it as soon as possible), so the calls share the worker's limit."""
    return cron_budget() / MAX_BATCH_PER_CRON_JOB


def report_progress(env, cron_xmlid, *, done, remaining):
    """Tell Odoo's cron runner how far this call got (``ir.cron._notify_progress``): with work
    remaining, the runner calls the job again, committing in between. Outside the runner (a
    user's action, a test), the cron ``cron_xmlid`` is woken up for the rest instead."""
    if env.context.get("ir_cron_progress_id"):
        env["ir.cron"]._notify_progress(done=done, remaining=remaining)
    elif remaining:
        # sudo: waking one of our crons up (users may not read crons).
        env.ref(cron_xmlid).sudo()._trigger()
