from . import stripe_api
from . import twilio_api
