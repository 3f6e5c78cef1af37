from . import account_payment_link_expiry
