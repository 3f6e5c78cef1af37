from . import account_payment_link
from . import account_payment_link_event
from . import account_payment_link_transaction
from . import account_move
from . import account_move_send
from . import res_company
from . import res_config_settings
from . import res_partner
