"""Keep payment link tokens out of the logs.

The token in a pay page URL is the customer's credential. Odoo's HTTP server logs every request
line through the ``werkzeug`` logger; this filter replaces the token in those lines.
"""

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/pay/)[A-Za-z0-9_\-]{8,}")
REDACTED = r"\1[token]"


def redact(value):
    return TOKEN_IN_PATH.sub(REDACTED, value) if isinstance(value, str) else value


class RedactPaylinkTokens(logging.Filter):
    def filter(self, record):
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(arg) for key, arg in record.args.items()}
        return True


def install(logger_names=("werkzeug", "odoo.http")):
    """Attach the filter once to each named logger."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactPaylinkTokens) for existing in logger.filters):
            logger.addFilter(RedactPaylinkTokens())
