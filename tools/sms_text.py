"""Numbers and text of SMS: E.164 mobiles only, and how many segments a body costs."""

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


def _tr(lazy, env):
    """Translate ``lazy`` into the language of ``env`` (helpers have no ``self.env`` to guess from)."""
    return lazy._translate(env.lang or "en_US")


def normalize_mobile(record, number, country=None):
    """Return ``(e164, error)`` for an SMS recipient.

    :param record: any record; its ``_phone_format`` (Odoo's phone_validation) does the parsing,
        with the record's country when the number has no country prefix.
    :param str number: what the user typed or the partner holds.
    :param country: a ``res.country`` to read national numbers with.
    :return: the number in E.164 and ``None``, or ``False`` and a readable reason.
    """
    number = (number or "").strip()
    if not number:
        return False, _tr(_lt("No mobile number."), record.env)
    e164 = record._phone_format(number=number, country=country, force_format="E164")
    if not e164:
        return False, _tr(_lt("%(number)s is not a valid phone number.", number=number), record.env)
    parsed = phonenumbers.parse(e164)
    if not phonenumbers.is_valid_number(parsed):
        return False, _tr(_lt("%(number)s is not a valid phone number.", number=number), record.env)
    kind = phonenumbers.number_type(parsed)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return False, _tr(_lt("%(number)s is a landline; it cannot receive SMS.", number=number), record.env)
    if kind not in SMS_NUMBER_TYPES:
        return False, _tr(
            _lt("%(number)s is not a mobile number; it cannot receive SMS.", number=number), record.env
        )
    return e164, None


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
