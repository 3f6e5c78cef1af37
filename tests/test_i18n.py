"""A Spanish-speaking customer reads the pay page, the SMS and the email in Spanish (i18n/es.po)."""

from unittest.mock import patch

from lxml import html

from odoo.tests import HttpCase, tagged

from .common import PaylinkTestCommon


@tagged("post_install", "-at_install")
class TestSpanish(PaylinkTestCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        # The addon's own catalogue, as Odoo loads it when Spanish is installed.
        cls.env["ir.module.module"]._load_module_terms(["account_payment_link"], ["es_ES"], overwrite=True)
        cls.customer.lang = "es_ES"
        cls.link = cls.make_link(link_type="invoice", move_id=cls.invoice.id)

    def test_pay_page_in_spanish(self):
        response = self.url_open(f"/pay/{self.token_of(self.link)}")
        self.assertEqual(response.status_code, 200)
        page = html.fromstring(response.content)
        self.assertEqual(page.get("lang"), "es-ES")
        request_for = page.xpath("//span[hasclass('o_paylink_partner')]/..")[0].text_content()
        self.assertEqual(
            " ".join(request_for.split()), f"Solicitud de pago para {self.customer.display_name}"
        )
        due = page.xpath("//div[hasclass('o_paylink_due')]/span[hasclass('h5')]")[0]
        self.assertEqual(due.text_content().strip(), "Importe adeudado")

    def test_sms_in_spanish(self):
        """Whoever sends it (an English-speaking accountant here), the SMS speaks the customer's language."""
        self.assertEqual(self.user_sms_sender.lang, "en_US")
        link = self.link.with_user(self.user_sms_sender)
        lines = link._paylink_get_sms_body(link).splitlines()
        self.assertEqual(
            lines[1:],
            [
                f"Factura {self.invoice.name}: $ 115.00 pendiente de pago.",
                f"Pague de forma segura: {self.link.url}",
                "Responda STOP para darse de baja.",
            ],
        )

    def test_email_in_spanish(self):
        link = self.link.with_user(self.user_sms_sender)
        subject, body = link._paylink_render_emails(link)[link.id]
        self.assertEqual(subject, f"Su enlace de pago de {self.company.name}")
        document = html.fromstring(body)
        button = document.xpath(f"//a[@href='{self.link.url}']")[0]
        self.assertEqual(button.text_content().strip(), "Pagar ahora")
        first = " ".join(document.xpath("//p")[0].text_content().split())
        self.assertTrue(first.startswith(f"Estimado/a {self.customer.name}"), first)

    def test_emails_rendered_for_a_batch_as_one_by_one(self):
        """A bulk sending renders its emails with the template compiled once per language: each
        email is what Odoo renders for that link alone (the customer's language, the note)."""
        english = self.env["res.partner"].create({"name": "Ada English", "email": "ada@example.com"})
        english_invoice = self.init_invoice("out_invoice", partner=english, amounts=[40.0], post=True)
        links = (
            self.link
            | self.make_link(link_type="invoice", move_id=english_invoice.id)
            | self.make_link(link_type="balance", partner_id=self.customer.id)
            | self.make_link(
                link_type="custom", partner_id=english.id, custom_amount=25.0, description="Deposit"
            )
        ).with_user(self.user_sms_sender)
        IrQweb = type(self.env["ir.qweb"])
        with patch.object(IrQweb, "_compile", autospec=True, side_effect=IrQweb._compile) as compile_:
            batch = links._paylink_render_emails(links, note="See you soon")
        self.assertEqual(compile_.call_count, 2, "once for Spanish, once for English")
        one_by_one = {
            link.id: link._paylink_render_emails(link, note="See you soon")[link.id] for link in links
        }
        self.assertEqual(batch, one_by_one)
        self.assertIn("Pagar ahora", batch[links[2].id][1])
        self.assertIn("Deposit", batch[links[3].id][1])
        self.assertIn("See you soon", batch[links[3].id][1])
