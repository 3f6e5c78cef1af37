from odoo import SUPERUSER_ID, api, models

from ..tools import cron_budget


class IrCron(models.Model):
    _inherit = "ir.cron"

    @classmethod
    def _process_job(cls, db, cron_cr, job):
        """Override of `base` to note when the cron worker's poll began (Odoo's time limits cover
        the whole poll: each job of ours works within what the jobs before it left, see
        :func:`~..tools.cron_budget.poll_time_left`), and to wake the cron workers up once a job
        that left work for a new poll is released (Odoo has committed it here), as Odoo does under
        ``ODOO_NOTIFY_CRON_CHANGES``."""
        cron_budget.start_poll(cron_cr)
        res = super()._process_job(db, cron_cr, job)
        if cron_budget.wake_up_after_poll():
            api.Environment(cron_cr, SUPERUSER_ID, {})[cls._name]._notifydb()
        return res
