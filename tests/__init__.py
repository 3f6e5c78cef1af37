from . import test_access
from . import test_harness
from . import test_hub_tour
from . import test_invoice_integration
from . import test_pay_page
from . import test_pay_tours
from . import test_stripe_payment
from . import test_payment_link
