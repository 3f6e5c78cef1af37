"""External facts about the services this addon talks to."""

# Stripe: the SDK is used only to verify webhook signatures and for the settings' setup check (the
# payments themselves go through Odoo's payment_stripe). The API version it is written against;
# sent with every request so that an account upgrade never changes the shape of what we receive.
STRIPE_API_VERSION = "2026-10-28.endive"
# Seconds before a call to Stripe is abandoned.
STRIPE_TIMEOUT = 20
# How old a signed webhook event may be (Stripe's own default tolerance), in seconds.
STRIPE_WEBHOOK_TOLERANCE = 300
# Account capabilities the setup check reports, with the names customers know them by.
STRIPE_CAPABILITY_LABELS = {
    "card_payments": "cards",
    "us_bank_account_ach_payments": "ACH direct debit",
    "sepa_debit_payments": "SEPA direct debit",
    "bacs_debit_payments": "Bacs direct debit",
    "au_becs_debit_payments": "BECS direct debit",
    "acss_debit_payments": "pre-authorized debits (Canada)",
    "link_payments": "Link",
    "ideal_payments": "iDEAL",
    "bancontact_payments": "Bancontact",
    "klarna_payments": "Klarna",
    "affirm_payments": "Affirm",
    "afterpay_clearpay_payments": "Afterpay",
    "cashapp_payments": "Cash App Pay",
    "us_bank_transfer_payments": "bank transfers",
}

TWILIO_API_BASE = "https://api.twilio.com"
TWILIO_MESSAGING_API_BASE = "https://messaging.twilio.com"
TWILIO_TIMEOUT = 15

# System parameter that points the Twilio SDK at the loopback double. Only the test suite and the
# demo (`make run`) set it; production leaves it empty and talks to Twilio.
PARAM_TWILIO_API_BASE = "account_payment_link.twilio_api_base"

# === TWILIO === #

# Seconds to wait before each new attempt when Twilio answers 429 or 5xx, or cannot be reached.
TWILIO_RETRY_DELAYS = (1, 2, 4)
# Cron runs an SMS may wait through (Twilio down for longer than the retries above) before it is
# marked failed; between runs it stays in Odoo's SMS queue.
TWILIO_MAX_QUEUE_ATTEMPTS = 3
TWILIO_QUEUE_RETRY_MINUTES = 5

# Twilio's error when the recipient replied STOP to the sender: the number is blacklisted.
TWILIO_OPTED_OUT_ERROR = "21610"

# What a Twilio status becomes on our side: message log state, and sms.tracker state in Odoo's terms.
TWILIO_STATUS_TO_STATE = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}

# Inbound keywords (the whole message, trimmed, case-insensitive), as Twilio's Advanced Opt-Out.
SMS_OPT_OUT_KEYWORDS = {
    "STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE",
}  # fmt: skip
SMS_OPT_IN_KEYWORDS = {"START", "YES", "UNSTOP"}
