"""A document that sends payment links, to test ``account.payment.link.sender`` on its own.

Loaded only by the tests that need it, through OCA's ``odoo-test-helper`` (never imported by
``tests/__init__.py``: the registry must not know it outside those tests).
"""

from odoo import fields, models


class PaylinkFakeDocument(models.Model):
    _name = "paylink.fake.document"
    _description = "Document sending payment links (tests)"
    _inherit = ["mail.thread", "account.payment.link.sender"]

    name = fields.Char()
    partner_id = fields.Many2one("res.partner")
