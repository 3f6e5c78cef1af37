from odoo import _, models


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        """Override of `base` to keep every payment link of the merged contacts.

        Odoo moves each foreign key to the kept contact in SQL, and deletes the rows it cannot move
        (a unique index). A customer has one live balance link per company: when the merged
        contacts have several, the others are replaced by the kept contact's (or the first one's)
        before Odoo moves them, so that none is deleted and each keeps its log and payments.
        """
        Link = self.env["account.payment.link"]
        domain = [
            ("link_type", "=", "balance"),
            ("state", "=", "active"),
            ("partner_id", "in", (src_partners | dst_partner).ids),
        ]
        # sudo: a merge moves every record of the merged contacts, whoever may merge them.
        live = Link.sudo().search(domain, order="id")
        for company in live.company_id:
            links = live.filtered(lambda link, company=company: link.company_id == company)
            kept = links.filtered(lambda link: link.partner_id == dst_partner)[:1] or links[:1]
            for link in links - kept:
                link._paylink_transition("merge_replaced", {"replaced_by_id": kept.id})
                link.message_post(
                    body=_(
                        "%(partner)s was merged into %(kept)s: this link is replaced by %(link)s.",
                        partner=link.partner_id.display_name,
                        kept=dst_partner.display_name,
                        link=kept._get_html_link(),
                    )
                )
        return super()._update_foreign_keys(src_partners, dst_partner)
