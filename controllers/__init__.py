from . import main
from . import stripe
from . import twilio
