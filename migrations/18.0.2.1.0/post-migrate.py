"""18.0.2.1.0: the SMS gateway becomes a company setting (Odoo's IAP by default).

Companies with Twilio credentials sent every SMS through Twilio until now: they keep doing so.
"""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE res_company
           SET paylink_sms_gateway = 'twilio'
         WHERE paylink_twilio_account_sid IS NOT NULL
           AND paylink_twilio_auth_token IS NOT NULL
           AND paylink_twilio_sender IS NOT NULL
        """
    )
