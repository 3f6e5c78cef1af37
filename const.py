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
