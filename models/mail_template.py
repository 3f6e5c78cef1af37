from lxml import html
from markupsafe import Markup

from odoo import api, models
from odoo.tools import safe_eval


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """Compile a QWeb body once for a whole batch when ``paylink_compile_once`` is in the
        context (bulk sending renders its email for a hundred links at a time).

        Odoo compiles an inline QWeb template again for every record it renders (a template given
        as an element is never cached): for a payment link's email that is most of its rendering
        time. The compiled template is the same for every record of one language, so it is
        compiled once here and run for each record, as ``ir.qweb._render`` runs it. Everything
        else — safe (regex) templates, restricted rendering, one record — is left to Odoo.

        Why not Odoo's own path: ``ir.qweb`` caches compiled templates only for views (by view
        and language), and a mail template's body is no view. Measured (2026-12-06, 2 cores,
        200 invoices queued by a bulk sending, four rounds each): 5.0 s with this, 8.0 s
        without, 15 ms of each invoice's ~25 ms.
        """
        if (
            not self.env.context.get("paylink_compile_once")
            or len(res_ids or ()) < 2
            or not template_src
            or self._paylink_rendering_is_restricted()
            or not self._has_unsafe_expression_template_qweb(template_src, model)
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        variables = self._render_eval_context()
        variables.update(add_context or {})
        qweb = self.env["ir.qweb"].with_context(**(options or {}))
        functions = def_name = None
        results = {}
        try:
            for record in self.env[model].browse(res_ids):
                values = dict(variables, object=record)
                # As ir.qweb._render: the values and context of a rendering, then the compiled code.
                render_qweb = qweb._prepare_environment(values)
                safe_eval.check_values(values)
                if functions is None:
                    functions, def_name = render_qweb._compile(
                        html.fragment_fromstring(template_src, create_parent="div")
                    )
                # QWeb's output is escaped as it is rendered (ir.qweb._render marks it safe too);
                # without the <div> that wraps the template's nodes, as Odoo does.
                output = "".join(functions[def_name](render_qweb, values))
                results[record.id] = Markup(output)[5:-6]  # noqa: S704
        except Exception:  # pylint: disable=broad-except
            # Odoo renders it again, record by record, and reports the error its way.
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        return results

    def _paylink_rendering_is_restricted(self):
        """Whether Odoo renders for this user in restricted mode (as ``_render_template_qweb``)."""
        return (
            not self._unrestricted_rendering
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        )
