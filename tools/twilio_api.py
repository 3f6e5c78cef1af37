"""The one place that builds Twilio clients.

The real ``twilio`` SDK is used as is; only its HTTP client is swapped for one with a timeout that
can also send the requests to a loopback double (tests, demo) instead of api.twilio.com.
"""

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .. import const


class _PaylinkTwilioHttpClient(TwilioHttpClient):
    """A Twilio HTTP client with a timeout and an optional base URL override."""

    def __init__(self, api_base=None, timeout=const.TWILIO_TIMEOUT):
        super().__init__(timeout=timeout)
        self.api_base = api_base and api_base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if self.api_base and url.startswith(const.TWILIO_API_BASE):
            url = self.api_base + url[len(const.TWILIO_API_BASE) :]
        return super().request(method, url, *args, **kwargs)


def get_api_base(env):
    """Return the Twilio API base URL when a test or the demo overrides it, else ``None``."""
    return env["ir.config_parameter"].sudo().get_param(const.PARAM_TWILIO_API_BASE) or None


def get_client(company):
    """Build a Twilio client for ``company``.

    :param company: a ``res.company`` record; credentials are read with sudo because SMS are sent
        by the queue's cron and by users who may not read the secrets themselves.
    :return: a :class:`twilio.rest.Client`.
    :raise ValueError: when the company has no Twilio credentials.
    """
    company_sudo = company.sudo()
    if not (company_sudo.paylink_twilio_account_sid and company_sudo.paylink_twilio_auth_token):
        raise ValueError(f"Twilio is not configured for company {company.id}")
    return Client(
        company_sudo.paylink_twilio_account_sid,
        company_sudo.paylink_twilio_auth_token,
        http_client=_PaylinkTwilioHttpClient(api_base=get_api_base(company.env)),
    )
