from markupsafe import Markup

from odoo import _, api, models
from odoo.exceptions import UserError

from ..tools.sms_text import check_sms_number


class AccountPaymentLinkSender(models.AbstractModel):
    """A document that sends payment links: its chatter shows each SMS and email, which leave
    through Odoo's SMS and mail queues, and each is logged on the link (``Messages Sent``).

    The invoice sends its link; custom and balance links send themselves. The document has a
    ``partner_id`` (its customer) and ``mail.thread``.
    """

    _name = "account.payment.link.sender"
    _description = "Payment Link Sender"

    # === BUSINESS METHODS - RECIPIENTS === #

    def _paylink_get_recipient_partner(self):
        """Return the contact the document's links are addressed to; an override point."""
        self.ensure_one()
        return self.partner_id

    def _paylink_default_sms_number(self):
        """Return the SMS number (E.164 mobile) of the recipient, else of its company."""
        recipient = self._paylink_get_recipient_partner()
        return recipient.paylink_sms_number or recipient.commercial_partner_id.paylink_sms_number

    # === BUSINESS METHODS - COMPOSING === #

    @api.model
    def _paylink_get_sms_body(self, link, note=False):
        """Return the SMS text of ``link``: the compliant parts are ours, the user's note only adds
        to them.

        :param note: the user's short message, kept on one line.
        """
        # The customer's language, whoever sends it.
        env = self.with_context(lang=link.partner_id.lang or self.env.lang).env
        # Odoo's amounts use non-breaking spaces, which would make the SMS UCS-2 (70 characters).
        amount = link.currency_id.format(link.amount).replace("\xa0", " ")
        if link.link_type == "invoice":
            what = env._("Invoice %(invoice)s: %(amount)s due.", invoice=link.move_id.name, amount=amount)
        elif link.link_type == "balance":
            what = env._("Your balance due: %(amount)s.", amount=amount)
        elif link.description:
            what = env._("Amount due for %(label)s: %(amount)s.", label=link.description, amount=amount)
        else:
            what = env._("Amount due: %(amount)s.", amount=amount)
        lines = [f"{link.company_id.name}:"]
        if note := " ".join((note or "").split()):
            lines.append(note)
        lines += [what, env._("Pay securely: %(url)s", url=link.url), env._("Reply STOP to opt out.")]
        return "\n".join(lines)

    @api.model
    def _paylink_render_emails(self, links, note=False):
        """Render the email of each link at once (one template compilation for a whole batch).

        :return: ``{link id: (subject, body)}``, each in its customer's language.
        """
        template = self.env.ref("account_payment_link.mail_template_paylink_send")
        # sudo: the template is ours and renders these links only, which the user may send.
        # paylink_compile_once: compiled once per language, not once per link (see mail.template).
        template = template.sudo().with_context(
            paylink_note=" ".join((note or "").split()), paylink_compile_once=True
        )
        subjects = template._render_field("subject", links.ids, compute_lang=True)
        bodies = template._render_field(
            "body_html", links.ids, compute_lang=True, options={"post_process": True}
        )
        return {link_id: (subjects[link_id], bodies[link_id]) for link_id in links.ids}

    # === BUSINESS METHODS - SENDING === #

    def _paylink_send_link(
        self, link, sms_number=False, email_partner=False, note=False, *, strict=True, queue_email=False,
        rendered_email=None, log_values=None, blacklist=True, one_entry=False, email_to=False,
    ):  # fmt: skip
        """Send ``link`` by SMS and/or email, posted in this document's chatter.

        The SMS is queued for Odoo's SMS cron, which hands it to the company's gateway; the email
        is rendered from its ``mail.template``. Neither leaves before this transaction commits, so
        a retried transaction sends nothing twice. Each message is logged on the link with the
        user's rights: only SMS senders may log (so send) an SMS.

        :param sms_number: the number to text, as typed (checked here), or ``False``.
        :param email_partner: the ``res.partner`` to email, or ``False``.
        :param note: the user's short message.
        :param strict: raise on a number that cannot take SMS; otherwise log it and go on (bulk).
        :param queue_email: leave the email to the mail cron instead of sending it after commit.
        :param rendered_email: the email's ``(subject, body)``, when rendered for a whole batch.
        :param log_values: more values of the logs (e.g. the reminder step they are).
        :param blacklist: see :func:`~..tools.sms_text.check_sms_number` (bulk sending passes the
            opted-out numbers of a whole chunk, looked up once).
        :param one_entry: post the SMS and the email as one chatter entry (the email to the contact,
            the SMS to the number), as bulk sending does; otherwise each has its own, the SMS text
            readable in the chatter.
        :param email_to: an address to email for this sending only (one the user typed that is no
            contact of the customer): see :meth:`_paylink_email_address`.
        :return: the ``account.payment.link.message`` records logging what was (not) sent.
        """
        self.ensure_one()
        log_values = log_values or {}
        Message = self.env["account.payment.link.message"]
        logs = Message
        number = False
        if sms_number:
            link.company_id._paylink_check_sms_gateway()
            recipient = self._paylink_get_recipient_partner()
            check = check_sms_number(recipient, sms_number, country=recipient.country_id, blacklist=blacklist)
            if check.failure_type not in (False, "sms_blacklist") and strict:
                raise UserError(check.reason)
            if check.failure_type:
                logs |= Message.create(
                    {"link_id": link.id, "company_id": link.company_id.id, "channel": "sms",
                     "recipient": check.number or sms_number,
                     "initial_state": "opted_out" if check.failure_type == "sms_blacklist" else "failed",
                     "initial_failure_reason": check.reason, **log_values}
                )  # fmt: skip
                self.message_post(
                    body=_("SMS with the payment link not sent: %(reason)s", reason=check.reason)
                )
            number = check.number if not check.failure_type else False
        if number and not (email_partner and one_entry):
            logs |= self._paylink_queue_sms(link, recipient, number, note, log_values)
        if email_to:
            logs |= self._paylink_email_address(
                link, email_to, note, queue_email, rendered=rendered_email, log_values=log_values
            )
        if email_partner:
            logs |= self._paylink_post_email(
                link, email_partner, note, queue_email, rendered=rendered_email, log_values=log_values,
                sms_number=number if one_entry else False,
            )  # fmt: skip
        return logs

    def _paylink_queue_sms(self, link, recipient, number, note, log_values=None):
        """Post the link's SMS in the chatter, queued for the SMS cron; return its log."""
        body = self._paylink_get_sms_body(link, note)
        # The queue's SMS belong to the link's company (their default), whichever company is open.
        message = self.with_company(link.company_id)._message_sms(
            body,
            partner_ids=recipient.ids,
            sms_pid_to_number={recipient.id: number},
            sms_content=body,
            put_in_queue=True,
        )
        return self._paylink_log_sms(link, message, log_values)

    def _paylink_log_sms(self, link, message, log_values=None, more_logs=()):
        """Log the SMS ``message`` queued (and create the ``more_logs`` values with them), and
        wake the SMS queue up; return the logs."""
        # sudo: sms.sms is Odoo's technical queue; these records were created just before.
        sms_sudo = self.env["sms.sms"].sudo().search([("mail_message_id", "=", message.id)])
        if not self.env.context.get("paylink_no_cron_trigger"):
            # sudo: waking Odoo's SMS queue up; users may not read crons.
            self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        trackers = (
            self.env["sms.tracker"]
            .sudo()  # sudo: Odoo's technical trackers of these SMS (made with them), which the logs read
            .search_fetch([("sms_uuid", "in", sms_sudo.mapped("uuid"))], ["sms_uuid", "mail_notification_id"])
        )
        trackers_by_uuid = {tracker.sms_uuid: tracker for tracker in trackers}
        # Odoo's own words for why an SMS was refused at once ("sms_number_format": "Wrong Number
        # Format"), in the user's language.
        reasons = dict(sms_sudo._fields["failure_type"]._description_selection(self.env))
        return self.env["account.payment.link.message"].create(
            [
                {"link_id": link.id, "company_id": link.company_id.id, "channel": "sms",
                 "recipient": sms.number, "sms_uuid": sms.uuid,
                 **({"sms_tracker_id": trackers_by_uuid[sms.uuid].id,
                     "mail_notification_id": trackers_by_uuid[sms.uuid].mail_notification_id.id}
                    if sms.uuid in trackers_by_uuid else
                    {"initial_state": "failed",
                     "initial_failure_reason": reasons.get(sms.failure_type, sms.failure_type) or False}),
                 **(log_values or {})}
                for sms in sms_sudo
            ]
            + list(more_logs)
        )  # fmt: skip

    def _paylink_email_address(self, link, email, note, queue_email, *, rendered=None, log_values=None):
        """Email ``link`` to the address ``email`` only, for this sending: no contact is made for
        it (the customer's invoicing address, ``address_get``, stays as it is), the email carries
        no portal button (no sign-up token for an address the customer never had), and the
        followers are not notified; the chatter keeps an internal note of it. Return its log.
        """
        subject, body = rendered or self._paylink_render_emails(link, note)[link.id]
        company = link.company_id
        # Odoo's light layout around the body, as mail.template.send_mail lays out its emails.
        # sudo: an unsaved message, only rendered in the layout (as mail.template does)
        message = self.env["mail.message"].sudo().new({"body": body, "record_name": self.display_name})
        body_html = self.env["mail.render.mixin"]._render_encapsulate(
            "mail.mail_notification_light",
            body,
            add_context={"message": message, "company": company},
            context_record=self,
        )
        note_body = Markup("<p>%s</p>%s") % (
            _(
                "Payment link %(link)s emailed to %(email)s, for this sending only.",
                link=link.name,
                email=email,
            ),
            body,
        )
        self.message_post(body=note_body, subtype_xmlid="mail.mt_note", message_type="comment")
        mail = (
            self.env["mail.mail"]
            # sudo: the mail queue's record of this email, made by whoever may send the link
            .sudo()
            .create(
                {
                    "subject": subject,
                    "body_html": body_html,
                    "email_to": email,
                    "model": self._name,
                    "res_id": self.id,
                    "record_company_id": company.id,
                    # Kept: its state is the log's (an address typed for one sending has no
                    # contact, so no notification holds it).
                    "auto_delete": False,
                }
            )
        )
        log = self.env["account.payment.link.message"].create(
            {"link_id": link.id, "company_id": link.company_id.id, "channel": "email",
             "recipient": email, "mail_mail_id": mail.id, "mail_message_id": mail.mail_message_id.id,
             **(log_values or {})}
        )  # fmt: skip
        if not queue_email:
            mail.send_after_commit()  # as message_post's force_send: after this transaction commits
        elif not self.env.context.get("paylink_no_cron_trigger"):
            # sudo: waking Odoo's mail queue up; users may not read crons.
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        return log

    def _paylink_post_email(
        self, link, partner, note, queue_email, *, rendered=None, log_values=None, sms_number=False
    ):
        """Post the link's email (from its mail.template) in the chatter; return its log.

        :param rendered: ``(subject, body)`` already rendered by :meth:`_paylink_render_emails`.
        :param sms_number: also text the link to this (checked) number, from the same entry.
        """
        subject, body = rendered or self._paylink_render_emails(link, note)[link.id]
        sms_values = {}
        if sms_number:
            sms_values = {
                "sms_numbers": [sms_number],
                "sms_content": self._paylink_get_sms_body(link, note),
                "put_in_queue": True,
            }
        # The queue's SMS belong to the link's company (their default), whichever company is open.
        message = self.with_company(link.company_id).message_post(
            body=body,
            subject=subject,
            partner_ids=partner.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            email_layout_xmlid="mail.mail_notification_light",
            email_add_signature=False,
            force_send=not queue_email,
            **sms_values,
        )
        if queue_email and not self.env.context.get("paylink_no_cron_trigger"):
            # sudo: waking Odoo's mail queue up; users may not read crons.
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        # sudo: Odoo's notification of the email (users read only their own), which the log reads.
        notification = message.sudo().notification_ids.filtered(
            lambda notification: (
                notification.notification_type == "email" and notification.res_partner_id == partner
            )
        )[:1]
        source = {"mail_notification_id": notification.id} if notification else {"initial_state": "queued"}
        email_log = {"link_id": link.id, "company_id": link.company_id.id, "channel": "email",
                     "recipient": partner.email, "mail_message_id": message.id, **source,
                     **(log_values or {})}  # fmt: skip
        if sms_number:  # both logs in one INSERT
            return self._paylink_log_sms(link, message, log_values, more_logs=[email_log])
        return self.env["account.payment.link.message"].create(email_log)
