from . import main
from . import twilio
