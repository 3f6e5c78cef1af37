from . import controllers
from . import models
from . import wizard
from . import tools


def _post_load():
    """Odoo's hook for server-wide set-up (``post_load`` in the manifest), run once the addon is
    loaded: keep pay page tokens out of the request lines Odoo logs (RELIABILITY 15), beside the
    filter Odoo's own ``netsvc.init_logger`` puts on the same ``werkzeug`` logger."""
    tools.log_redaction.install()
