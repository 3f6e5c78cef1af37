-- A copied database must never charge cards or send SMS with production credentials.
UPDATE res_company
   SET paylink_stripe_secret_key = NULL,
       paylink_stripe_publishable_key = NULL,
       paylink_stripe_webhook_secret = NULL,
       paylink_twilio_auth_token = NULL;
