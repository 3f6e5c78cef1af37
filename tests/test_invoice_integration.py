"""Invoices and customers: auto links, the PDF with its QR code, the invoice email."""

import base64

from lxml import html

from odoo.tests import tagged

from .common import PaylinkTestCommon, html_nodes_containing


@tagged("post_install", "-at_install")
class TestInvoiceIntegration(PaylinkTestCommon):
    def render_invoice_report(self):
        """The invoice's PDF report as HTML, parsed."""
        Report = self.env["ir.actions.report"]
        content, _report_type = Report._render_qweb_html("account.report_invoice", self.invoice.ids)
        return html.fromstring(content)

    def one(self, node, xpath):
        """The one element ``xpath`` selects from ``node`` (fails on none or several)."""
        found = node.xpath(xpath)
        self.assertEqual(len(found), 1, f"{xpath} selects {len(found)} elements")
        return found[0]

    def test_auto_link_on_post_only_when_the_setting_is_on(self):
        self.company.paylink_auto_create = False
        without = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        self.assertFalse(without.paylink_id)

        self.company.paylink_auto_create = True
        with_link = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        self.assertEqual(with_link.paylink_id.state, "active")
        self.assertEqual(with_link.paylink_id.link_type, "invoice")
        self.assertTrue(with_link.paylink_url.endswith(self.token_of(with_link.paylink_id)))
        refund = self.init_invoice("out_refund", partner=self.customer, amounts=[10.0], post=True)
        self.assertFalse(refund.paylink_ids, "credit notes get no link")

    def test_link_buttons_only_while_links_can_take_payments(self):
        """Issue 18.11: the invoice's Payment link and Send payment link buttons show only while a
        provider of its company can take link payments (the hub says what is missing)."""
        invoice = self.invoice.with_user(self.user_accountant)
        self.assertTrue(invoice.paylink_payment_ready)
        arch = invoice.get_views([(False, "form")])["views"]["form"]["arch"]
        for button in ("action_paylink_open", "action_paylink_send"):
            node = html.fromstring(arch).xpath(f"//button[@name='{button}']")[0]
            self.assertIn("not paylink_payment_ready", node.get("invisible"))
        self.provider.sudo().is_published = False
        invoice.invalidate_recordset()
        self.assertFalse(invoice.paylink_payment_ready)
        self.assertIn("not published", self.company.paylink_get_hub_info()["payment_unavailable_reason"])

    def test_payment_link_button_returns_the_active_link(self):
        """Issue 19.7: the button says what it did (a notification, then the link's form, and a
        note in the invoice's chatter) when it creates the link; then it opens it."""
        invoice = self.invoice.with_user(self.user_accountant)
        action = invoice.action_paylink_open()
        self.assertEqual((action["tag"], action["params"]["type"]), ("display_notification", "success"))
        link = self.env["account.payment.link"].browse(action["params"]["next"]["res_id"])
        self.assertEqual(link, self.invoice.paylink_id)
        self.assertIn(link.name, action["params"]["message"])
        notes = self.invoice.message_ids.filtered(lambda message: "created" in (message.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertIn(link.name, notes.body)
        again = invoice.action_paylink_open()
        self.assertEqual((again["res_model"], again["res_id"]), (link._name, link.id))
        self.assertEqual(self.invoice.paylink_count, 1)
        self.assertEqual(len(self.invoice.message_ids.filtered(lambda m: "created" in (m.body or ""))), 1)

    def test_the_smart_button_opens_the_one_link_else_the_list(self):
        invoice = self.invoice.with_user(self.user_accountant)
        link = self.invoice._paylink_get_or_create()
        action = invoice.action_view_paylinks()
        self.assertEqual((action["res_model"], action.get("res_id")), (link._name, link.id))
        self.env["account.payment.link"].with_user(self.user_manager).browse(link.id).action_regenerate()
        action = invoice.action_view_paylinks()
        self.assertFalse(action.get("res_id"))
        self.assertEqual(action["domain"], [("move_id", "=", self.invoice.id)])

    def test_regenerate_offers_to_send_the_new_link_by_the_channels_the_old_one_went(self):
        link = self.invoice._paylink_get_or_create()
        # A manager who may send by SMS: the wizard would turn SMS on by itself.
        self.user_manager.groups_id |= self.env.ref("account_payment_link.group_paylink_sms")
        Link = self.env["account.payment.link"].with_user(self.user_manager)
        # Never sent: the new link's form.
        action = Link.browse(link.id).action_regenerate()
        self.assertEqual(action["res_model"], "account.payment.link")
        new = Link.browse(action["res_id"])
        # Sent by email only: the send wizard, SMS off, email left to the wizard (on).
        # (sudo: the log the sending wrote, as test data)
        self.env["account.payment.link.message"].sudo().create(
            {"link_id": new.id, "channel": "email", "recipient": self.customer.email, "initial_state": "sent"}
        )
        action = new.action_regenerate()
        self.assertEqual(action["res_model"], "account.payment.link.send")
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.user_manager)
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual(wizard.link_id, new.replaced_by_id)
        self.assertEqual((wizard.channel_sms, wizard.channel_email), (False, True))
        # Sent by SMS only: email off, SMS left to the wizard (on: a mobile, the right to send).
        newest = wizard.link_id
        self.env["account.payment.link.message"].sudo().create(
            {
                "link_id": newest.id,
                "channel": "sms",
                "recipient": "+14155550134",
                "initial_state": "delivered",
            }
        )
        action = Link.browse(newest.id).action_regenerate()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.user_manager)
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual((wizard.channel_sms, wizard.channel_email), (True, False))

    def test_invoice_pdf_shows_the_link_and_a_server_rendered_qr_code(self):
        link = self.invoice._paylink_get_or_create()
        doc = self.render_invoice_report()
        block = self.one(doc, "//div[@id='paylink']")
        self.assertEqual(self.one(block, ".//strong").text_content().strip(), "Pay online")
        anchor = self.one(block, ".//a")
        self.assertEqual(anchor.get("href"), link.url)
        self.assertEqual(anchor.text_content().strip(), link.url)
        qr_code = self.one(block, "./img")
        scheme, _sep, png = qr_code.get("src").partition(",")
        self.assertEqual(scheme, "data:image/png;base64")
        self.assertEqual(base64.b64decode(png, validate=True)[:8], b"\x89PNG\r\n\x1a\n")
        # The token only appears in the link itself, never in a URL to a QR service or route.
        self.assertFalse(html_nodes_containing(doc, "/report/barcode"))
        self.assertEqual(
            [
                (node.getparent(), node.attrname if node.is_attribute else "text")
                for node in html_nodes_containing(doc, self.token_of(link))
            ],
            [(anchor, "href"), (anchor, "text")],
        )

    def test_pdf_of_a_paid_invoice_has_no_link(self):
        self.invoice._paylink_get_or_create()
        self.pay(self.invoice, self.invoice.amount_total)
        doc = self.render_invoice_report()
        self.assertFalse(doc.xpath("//div[@id='paylink']"))
        self.assertFalse(html_nodes_containing(doc, "/pay/"))

    def test_invoice_email_contains_the_link(self):
        link = self.invoice._paylink_get_or_create()
        template = self.env.ref("account.email_template_edi_invoice")
        body = self.env["account.move.send"]._get_default_mail_body(self.invoice, template, "en_US")
        anchors = html.fromstring(body).xpath("//a[@href=$url]", url=link.url)
        # The button, then the link to copy.
        self.assertEqual([anchor.text_content().strip() for anchor in anchors], ["Pay online", link.url])

    def test_balance_link_from_the_customer(self):
        action = self.customer.with_user(self.user_accountant).action_paylink_balance()
        link = self.env["account.payment.link"].browse(action["res_id"])
        self.assertEqual(link.link_type, "balance")
        self.assertEqual(self.customer.paylink_balance_id, link)
        self.assertEqual(
            self.customer.with_user(self.user_accountant).action_paylink_balance()["res_id"], link.id
        )
        self.customer.with_user(self.user_manager).action_paylink_regenerate_balance()
        self.customer.invalidate_recordset()
        self.assertEqual(link.state, "revoked")
        self.assertEqual(self.customer.paylink_balance_id, link.replaced_by_id)
        self.assertEqual(self.customer.paylink_count, 2)

    def test_sms_consent_is_recorded_with_date_and_text(self):
        self.customer._paylink_record_sms_consent("I agree to texts.")
        self.assertTrue(self.customer.paylink_sms_consent)
        self.assertTrue(self.customer.paylink_sms_consent_date)
        self.assertEqual(self.customer.paylink_sms_consent_text, "I agree to texts.")
        self.assertEqual(self.customer.paylink_sms_number, "+14155550134", "the mobile, in E.164")
        # A landline in the phone field is never the SMS number.
        self.customer.write({"mobile": False, "phone": "+44 20 7946 0018"})
        self.assertFalse(self.customer.paylink_sms_number)
