from . import log_redaction
from . import stripe_api
from . import twilio_api
