# Copyright 2026 account_payment_link authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Invoice Payment Links",
    "summary": "Send customers a secure link to pay an invoice or their balance online",
    "version": "18.0.2.3.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "account_payment_link authors",
    "website": "https://github.com/account-payment-link/account_payment_link",
    "depends": ["account_payment", "payment_stripe", "sms"],
    "external_dependencies": {
        "python": ["stripe", "twilio", "phonenumbers"],
    },
    "data": [
        "security/account_payment_link_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "wizard/account_payment_link_expiry_views.xml",
        "views/account_payment_link_views.xml",
        "views/account_payment_link_batch_views.xml",
        "views/account_move_views.xml",
        "views/account_payment_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/report_invoice.xml",
        "views/pay_page_templates.xml",
        "views/payment_transaction_views.xml",
        "wizard/account_payment_link_send_views.xml",
        "wizard/account_payment_link_send_bulk_views.xml",
        "wizard/payment_link_wizard_views.xml",
    ],
    "demo": [
        "demo/account_payment_link_demo.xml",
    ],
    "post_load": "_post_load",
    "assets": {
        "web.assets_frontend": [
            "account_payment_link/static/src/pay_page/**/*",
        ],
        "web.assets_backend": [
            "account_payment_link/static/src/hub/**/*",
        ],
        # The pay page's scripts: Odoo's frontend scripts, trimmed to what a link's page runs by
        # models/ir_asset.py (the addons it needs, less the folders no link page uses, plus
        # whatever those import), whatever addons the database has.
        "account_payment_link.assets_pay_page": [
            ("include", "web.assets_frontend_lazy"),
        ],
        # Odoo's tour service for a link's pages, loaded only in test mode (models/ir_asset.py).
        "account_payment_link.assets_pay_page_tours": [
            ("include", "web.assets_frontend_lazy"),
        ],
        "web.assets_tests": [
            "account_payment_link/static/tests/tours/*.js",
        ],
    },
}
