from . import main
from . import payment
from . import stripe
from . import twilio
