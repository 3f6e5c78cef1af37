from odoo import api, fields, models


class AccountPaymentLinkEvent(models.Model):
    """The Stripe events already processed, so that a redelivered event is processed once."""

    _name = "account.payment.link.event"
    _description = "Processed Stripe Event"
    _order = "id desc"

    stripe_event_id = fields.Char(required=True, readonly=True)
    event_type = fields.Char(readonly=True)

    _sql_constraints = [
        ("stripe_event_unique", "UNIQUE(stripe_event_id)", "A Stripe event is processed once."),
    ]

    @api.model
    def _paylink_claim(self, event):
        """Record ``event`` as processed; return ``False`` when it already was.

        ``ON CONFLICT DO NOTHING`` makes two concurrent deliveries of one event agree: the second
        waits for the first transaction and then finds the row.
        """
        self.env.cr.execute(
            """
            INSERT INTO account_payment_link_event
                   (stripe_event_id, event_type, create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, %s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC')
            ON CONFLICT (stripe_event_id) DO NOTHING
            RETURNING id
            """,
            [event["id"], event["type"], self.env.uid, self.env.uid],
        )
        return bool(self.env.cr.fetchone())
