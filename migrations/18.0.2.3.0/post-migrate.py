"""18.0.2.3.0: a payment link's *Messages Sent* reads Odoo's records of each sending.

The logs kept a copy of the state, written from Odoo's events. Each log is linked to Odoo's record
of its sending: an SMS to its tracker (by its UUID), an email to the recipient's notification of
the posted message, and, as Twilio's errors now live on the tracker, the error code moves there.
The states are left as they were (the link changes nothing until Odoo's record changes next);
emails to a typed address were deleted once sent and keep their own state.

Tips are offered on invoice links by default now; companies that had them keep them on invoice and
balance links, as before.
"""


def migrate(cr, version):
    cr.execute("UPDATE res_company SET paylink_tips_link_types = 'invoice_balance'")
    cr.execute(
        """
        UPDATE account_payment_link_message log
           SET sms_tracker_id = tracker.id
          FROM sms_tracker tracker
         WHERE log.channel = 'sms' AND tracker.sms_uuid = log.sms_uuid
        """
    )
    cr.execute(
        """
        UPDATE account_payment_link_message log
           SET mail_notification_id = tracker.mail_notification_id
          FROM sms_tracker tracker
         WHERE log.sms_tracker_id = tracker.id
        """
    )
    cr.execute(
        """
        UPDATE sms_tracker tracker
           SET paylink_error_code = log.error_code
          FROM account_payment_link_message log
         WHERE log.sms_tracker_id = tracker.id AND log.error_code IS NOT NULL
        """
    )
    cr.execute(
        """
        UPDATE account_payment_link_message log
           SET mail_notification_id = notification.id
          FROM mail_notification notification
          JOIN res_partner partner ON partner.id = notification.res_partner_id
         WHERE log.channel = 'email'
           AND notification.notification_type = 'email'
           AND notification.mail_message_id = log.mail_message_id
           AND partner.email_normalized = lower(log.recipient)
        """
    )
