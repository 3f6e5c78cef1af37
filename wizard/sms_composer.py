from odoo import models


class SmsComposer(models.TransientModel):
    _inherit = "sms.composer"

    def _prepare_mass_sms_values(self, records):
        """Override of `sms` to give each SMS of a mass sending the company of its record (Odoo
        gives it to the SMS's message, but a mass sending without a log has no message): it leaves
        through that company's gateway, whichever company the sender has open."""
        result = super()._prepare_mass_sms_values(records)
        companies = records._mail_get_companies(default=self.env.company)
        for record_id, values in result.items():
            values["paylink_company_id"] = companies[record_id].id
        return result
