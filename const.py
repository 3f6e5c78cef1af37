"""External facts about the services this addon talks to."""

# The Stripe API version this addon is written against; sent with every request so that an account
# upgrade on Stripe's side never changes the shape of what we receive.
STRIPE_API_VERSION = "2026-10-28.endive"
STRIPE_API_BASE = "https://api.stripe.com"
STRIPE_JS_URL = "https://js.stripe.com/v3/"
# Seconds before a call to Stripe is abandoned; the pay page must answer well before a proxy does.
STRIPE_TIMEOUT = 20

TWILIO_API_BASE = "https://api.twilio.com"
TWILIO_TIMEOUT = 15

# System parameters that point the SDKs at a local emulator. Only the test suite and the demo
# (`make run`) set them; production leaves them empty and talks to the real services.
PARAM_STRIPE_API_BASE = "account_payment_link.stripe_api_base"
PARAM_STRIPE_JS_URL = "account_payment_link.stripe_js_url"
PARAM_TWILIO_API_BASE = "account_payment_link.twilio_api_base"

# Webhook: the events we act on, and how old a signed event may be (Stripe's default tolerance).
STRIPE_HANDLED_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.succeeded",
)
STRIPE_WEBHOOK_TOLERANCE = 300

# === TWILIO === #

# Seconds to wait before each new attempt when Twilio answers 429 or 5xx, or cannot be reached.
TWILIO_RETRY_DELAYS = (1, 2, 4)
# Cron runs an SMS may wait through (Twilio down for longer than the retries above) before it is
# marked failed; between runs it stays in Odoo's SMS queue.
TWILIO_MAX_QUEUE_ATTEMPTS = 3
TWILIO_QUEUE_RETRY_MINUTES = 5

# Twilio message statuses, ranked: a status callback never moves a message to a lower rank, so
# "sent" arriving after "delivered" changes nothing.
TWILIO_STATUS_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
}
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
