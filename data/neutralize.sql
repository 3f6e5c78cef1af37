-- A copied database must never send SMS with production credentials. Payment providers are
-- disabled by Odoo's own neutralization (payment's neutralize), so no card is charged either.
UPDATE res_company
   SET paylink_twilio_auth_token = NULL;
