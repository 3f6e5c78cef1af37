"""18.0.2.2.0: a consent to SMS reminders is given for a number.

The consents recorded before stood for the customer's number for SMS: that number is stored as
the one they were given for, so that STOP from it withdraws them however the number is written.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    partners = (
        env["res.partner"]
        .with_context(active_test=False)
        .search([("paylink_sms_consent", "=", True), ("paylink_sms_consent_number", "=", False)])
    )
    for partner in partners:
        if partner.paylink_sms_number:
            partner.paylink_sms_consent_number = partner.paylink_sms_number
