"""How long a cron run of ours may work before it leaves the rest to the next run."""

from odoo.tools import config

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
