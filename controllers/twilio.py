import logging
import re

from werkzeug.exceptions import NotFound

from odoo import SUPERUSER_ID, http
from odoo.http import request

from .. import const
from ..tools import twilio_api

_logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
UUID_RE = re.compile(r"^[0-9a-f]{32}$")


class PaymentLinkTwilioController(http.Controller):
    _status_url = "/paylink/twilio/status"  # + /<sms uuid>: each SMS's delivery status callback
    _inbound_url = "/paylink/twilio/inbound"  # replies (STOP/START), set in Twilio by the admin

    @http.route(f"{_status_url}/<string:sms_uuid>", type="http", auth="public", methods=["POST"], csrf=False)
    def paylink_twilio_status(self, sms_uuid, **kwargs):
        """Twilio's delivery status of one SMS sent through the gateway, whatever app sent it,
        identified by the SMS's UUID in the URL (Odoo's ``sms.tracker``).

        Unknown SMS, a signature that is not Twilio's, another account's or another message's
        callback, and a status we do not know all get the same 404 and change nothing.
        """
        tracker_sudo, company_sudo = self._get_sms_tracker(sms_uuid)
        params = request.httprequest.form.to_dict()
        if not company_sudo or not self._is_from_twilio(company_sudo, params):
            raise NotFound()
        if params.get("AccountSid") != company_sudo.paylink_twilio_account_sid:
            raise NotFound()
        sid = params.get("MessageSid") or params.get("SmsSid")
        if tracker_sudo.paylink_twilio_sid and sid != tracker_sudo.paylink_twilio_sid:
            raise NotFound()
        status = params.get("MessageStatus") or params.get("SmsStatus")
        applied = tracker_sudo._paylink_apply_twilio_status(
            status, error_code=params.get("ErrorCode"), number=params.get("To")
        )
        if not applied:
            _logger.info("Twilio status callback with unknown status %r ignored", status)
            raise NotFound()
        return request.make_response("", status=204)

    @http.route(_inbound_url, type="http", auth="public", methods=["POST"], csrf=False)
    def paylink_twilio_inbound(self, **kwargs):
        """A customer's reply: STOP (and synonyms) blacklists the number, START removes it."""
        params = request.httprequest.form.to_dict()
        company_sudo = self._get_company(params.get("AccountSid"))
        if not company_sudo or not self._is_from_twilio(company_sudo, params):
            raise NotFound()
        keyword = " ".join((params.get("Body") or "").split()).upper()
        number = params.get("From")
        # The signature proved the request comes from Twilio: act as the system on its behalf.
        env = request.env(user=SUPERUSER_ID, su=True)
        if number and keyword in const.SMS_OPT_OUT_KEYWORDS:
            twilio_api.opt_out(env, number, f"SMS reply: {keyword}")
        elif number and keyword in const.SMS_OPT_IN_KEYWORDS:
            env["phone.blacklist"]._remove([number], message=f"SMS reply: {keyword}")
        return request.make_response(EMPTY_TWIML, headers=[("Content-Type", "text/xml")])

    # === HELPERS === #

    def _get_sms_tracker(self, sms_uuid):
        """Return ``(tracker, company)`` of the SMS ``sms_uuid`` (both sudo'd): Odoo's tracker of the
        SMS, which the gateway made before the SMS left, and the company whose Twilio account sent
        it; empty records for an unknown SMS."""
        # The signature check that follows needs the company of the SMS; nothing is changed before.
        env = request.env(user=SUPERUSER_ID, su=True)
        tracker = env["sms.tracker"]
        if UUID_RE.match(sms_uuid or ""):
            tracker = tracker.search([("sms_uuid", "=", sms_uuid)], limit=1)
        return tracker, tracker.paylink_company_id

    def _get_company(self, account_sid):
        if not account_sid:
            return None
        env = request.env(user=SUPERUSER_ID, su=True)
        return env["res.company"].search([("paylink_twilio_account_sid", "=", account_sid)], limit=1) or None

    def _is_from_twilio(self, company, params):
        headers = request.httprequest.headers
        valid = twilio_api.is_valid_signature(
            company,
            request.httprequest.url,
            params,
            headers.get("X-Twilio-Signature"),
            signature_settings=headers.get("X-Twilio-Webhooks-Signature-Settings"),
        )
        if not valid:
            _logger.warning("Twilio callback refused: bad signature for %s", request.httprequest.path)
        return valid
