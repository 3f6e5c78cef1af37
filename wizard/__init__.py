from . import account_payment_link_expiry
from . import account_payment_link_send_mixin
from . import account_payment_link_send
from . import account_payment_link_send_bulk
from . import base_partner_merge_automatic_wizard
from . import sms_composer
from . import payment_link_wizard
