"""Numbers and text of SMS: E.164 mobiles only, and how many segments a body costs."""

from typing import NamedTuple

import phonenumbers

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# The number types an SMS can reach. phonenumbers cannot tell mobiles from landlines in the
# North American plan (FIXED_LINE_OR_MOBILE); Twilio refuses those landlines itself (21614).
SMS_NUMBER_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}

# GSM 03.38: the basic set costs one septet per character, the extension set two.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


class SmsNumberCheck(NamedTuple):
    """What :func:`check_sms_number` found: the E.164 number, or why it cannot take this SMS."""

    number: str | bool
    failure_type: str | bool  # sms.sms's failure type: "sms_number_format" or "sms_blacklist"
    reason: str | bool


def check_sms_number(record, number, country=None, blacklist=True):
    """Check a number for an SMS: valid, in E.164, a mobile, and not opted out (STOP).

    The one check of the send wizard, bulk sending, automatic sending and the Twilio gateway.

    :param record: any record; its ``_phone_format`` (Odoo's phone_validation) parses the number,
        with ``country`` when it has no country prefix; its language words the reason.
    :param str number: what the user typed or the partner holds.
    :param country: a ``res.country`` to read national numbers with.
    :param blacklist: ``True`` to look the number up in Odoo's phone blacklist, ``False`` not to,
        or the set of blacklisted numbers of a whole batch, looked up once by the caller.
    :return: a :class:`SmsNumberCheck`.
    """
    env = record.env

    def refused(failure_type, lazy, e164=False):
        return SmsNumberCheck(e164, failure_type, lazy._translate(env.lang or "en_US"))

    number = (number or "").strip()
    if not number:
        return refused("sms_number_missing", _lt("No mobile number."))
    e164 = record._phone_format(number=number, country=country, force_format="E164")
    parsed = e164 and phonenumbers.parse(e164)
    if not parsed or not phonenumbers.is_valid_number(parsed):
        return refused("sms_number_format", _lt("%(number)s is not a valid phone number.", number=number))
    kind = phonenumbers.number_type(parsed)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return refused(
            "sms_number_format", _lt("%(number)s is a landline; it cannot receive SMS.", number=number)
        )
    if kind not in SMS_NUMBER_TYPES:
        return refused(
            "sms_number_format",
            _lt("%(number)s is not a mobile number; it cannot receive SMS.", number=number),
        )
    if blacklist is True:
        # sudo: only whether this one number opted out is read; the blacklist is not for users.
        blacklist = set(env["phone.blacklist"].sudo().search([("number", "=", e164)]).mapped("number"))
    if blacklist and e164 in blacklist:
        return refused("sms_blacklist", _lt("%(number)s opted out of SMS (replied STOP).", number=e164), e164)
    return SmsNumberCheck(e164, False, False)


def count_segments(text):
    """Return ``(characters, segments, encoding)`` of an SMS body as carriers bill it.

    GSM-7 fits 160 characters in one segment and 153 per segment beyond; any other character
    switches the whole message to UCS-2: 70, then 67 per segment (counted in UTF-16 units).
    """
    text = text or ""
    if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text):
        units = sum(2 if char in GSM7_EXTENDED else 1 for char in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 0 if not units else 1 if units <= single else -(-units // multi)
    return len(text), segments, encoding
