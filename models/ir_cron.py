from odoo import models

from ..tools.cron_budget import start_poll


class IrCron(models.Model):
    _inherit = "ir.cron"

    @classmethod
    def _process_job(cls, db, cron_cr, job):
        """Override of `base` to note when the cron worker's poll began: Odoo's time limits cover
        the whole poll, so each job of ours works within what the jobs before it left
        (:func:`~..tools.cron_budget.poll_time_left`)."""
        start_poll(cron_cr)
        return super()._process_job(db, cron_cr, job)
