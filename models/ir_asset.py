import posixpath
import re

from odoo import models, tools

PAY_PAGE_BUNDLE = "account_payment_link.assets_pay_page"
# Odoo's tour service, for the tests only: a link's pages load it as Odoo's layout loads
# ``web.assets_tests``, in test mode or with ``?debug=tests``. A customer runs no tour.
PAY_PAGE_TOURS_BUNDLE = "account_payment_link.assets_pay_page_tours"

# The addons whose frontend scripts a link's page runs: Odoo's web core, the portal, accounting,
# payments and every payment provider, and ours. Other addons' frontend scripts (a website's, a
# live chat's, the tours'...) serve their own pages.
KEPT_ADDONS = {"web", "portal", "account", "payment", "account_payment", "account_payment_link"}
KEPT_ADDON_PREFIX = "payment_"
TOURS = ("/web_tour/", "/web/static/lib/hoot-dom/")

# Folders and files of those addons no link page uses: the editors and selectors of the web client,
# its pickers, file viewer, signature, barcode scanner, command palette and web client shell; the
# components and widgets of other pages (swipes, autocompletes, code editor, drop zones, resizable
# panels, sortable lists, the install prompt, the sign-in form, the portal's sidebar, chatter,
# composer and security page, Odoo's own portal invoice page); the tours' DOM helpers.
DROPPED = (
    "/web/static/src/core/tree_editor/",
    "/web/static/src/core/domain_selector/",
    "/web/static/src/core/domain_selector_dialog/",
    "/web/static/src/core/expression_editor/",
    "/web/static/src/core/expression_editor_dialog/",
    "/web/static/src/core/model_field_selector/",
    "/web/static/src/core/record_selectors/",
    "/web/static/src/core/emoji_picker/",
    "/web/static/src/core/colorpicker/",
    "/web/static/src/core/file_viewer/",
    "/web/static/src/core/signature/",
    "/web/static/src/core/barcode/",
    "/web/static/src/core/commands/",
    "/web/static/src/core/datetime/",
    "/web/static/src/core/debug/",
    "/web/static/src/core/file_upload/",
    "/web/static/src/core/notebook/",
    "/web/static/src/core/pager/",
    "/web/static/src/core/tags_list/",
    "/web/static/src/core/install_scoped_app/",
    "/web/static/src/core/select_menu/",
    "/web/static/src/webclient/",
    "/portal/static/src/signature_form/",
    "/account/static/src/helpers/account_tax.js",
    "/account/static/src/components/tests_shared_js_python/",
    "/web/static/lib/hoot-dom/",
    "/web/static/src/core/action_swiper/",
    "/web/static/src/core/autocomplete/",
    "/web/static/src/core/code_editor/",
    "/web/static/src/core/colorlist/",
    "/web/static/src/core/copy_button/",
    "/web/static/src/core/dropzone/",
    "/web/static/src/core/file_input/",
    "/web/static/src/core/model_selector/",
    "/web/static/src/core/pwa/",
    "/web/static/src/core/resizable_panel/",
    "/web/static/src/core/user_switch/",
    "/web/static/src/core/macro.js",
    "/web/static/src/core/virtual_grid_hook.js",
    "/web/static/src/core/utils/nested_sortable.js",
    "/web/static/src/core/utils/sortable.js",
    "/web/static/src/core/utils/sortable_owl.js",
    "/web/static/src/core/utils/sortable_service.js",
    "/web/static/src/libs/pdfjs.js",
    "/web/static/src/public/datetime_picker_widget.js",
    "/web/static/src/legacy/js/public/signin.js",
    "/portal/static/src/chatter/",
    "/portal/static/src/js/components/",
    "/portal/static/src/js/portal_composer.js",
    "/portal/static/src/js/portal_security.js",
    "/portal/static/src/js/portal_sidebar.js",
    "/account/static/src/js/",
    "/account/static/src/core/",
    "/account_payment/static/src/js/portal_",
)

IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*["']((?:@|\.\.?/)[^"']+)["']""")
# The other name a module may be imported by (``@odoo/hoot-dom``), in its first comment.
ALIAS = re.compile(r"@odoo-module\s+alias=([^\s*]+)")


def _module_name(path):
    """The name Odoo's module loader gives the ES module at ``path`` (``/web/static/src/x.js``
    is ``@web/x``)."""
    addon, *parts = path.strip("/").split("/")
    if parts[:2] == ["static", "src"]:
        parts = parts[2:]
    return f"@{addon}/{'/'.join(parts).removesuffix('.js')}"


def _resolve_import(name, spec):
    """Return the module name that ``spec``, imported by module ``name``, refers to (relative
    imports resolved, ``.js`` dropped)."""
    if spec.startswith("."):
        spec = "@" + posixpath.normpath(posixpath.join(posixpath.dirname(name[1:]), spec))
    return spec.removesuffix(".js")


def _read_script(entry, size=-1):
    """Return the text of the script of ``entry`` (its first ``size`` characters), or "" when it
    is not a file of an addon (an attachment's URL): nothing to follow there."""
    try:
        with tools.file_open(entry[1], "r", filter_ext=(".js",)) as source:
            return source.read(size)
    except (TypeError, ValueError, OSError):
        return ""


def _scripts(paths):
    """Return the ES modules of ``paths`` by every name they are imported by: their own, and
    their alias when they have one."""
    scripts = {}
    for entry in paths:
        if entry[0].endswith(".js"):
            scripts[_module_name(entry[0])] = entry
            alias = ALIAS.search(_read_script(entry, 300))
            if alias:
                scripts.setdefault(alias.group(1), entry)
    return scripts


def _kept(path):
    """Whether the pay page runs the asset at ``path`` for itself (its imports aside)."""
    addon = path.strip("/").split("/", 1)[0]
    return (addon in KEPT_ADDONS or addon.startswith(KEPT_ADDON_PREFIX)) and not path.startswith(DROPPED)


def _trim_pay_page_assets(paths, kept=_kept):
    """Return the pay page's asset paths: ``paths`` (Odoo's frontend scripts, as installed) less
    the other addons' and the folders in ``DROPPED``, plus every module a kept one imports,
    wherever it is, so that no import is ever left unresolved, whatever addons are installed.

    :param list paths: ``ir.asset._get_asset_paths`` tuples ``(path, full path, bundle, mtime)``.
    :param kept: which paths to start from (by default, :func:`_kept`).
    """

    scripts = _scripts(paths)
    keep = {entry[0] for entry in paths if kept(entry[0])}
    queue = [_module_name(entry[0]) for entry in paths if entry[0] in keep and entry[0].endswith(".js")]
    while queue:
        name = queue.pop()
        for spec in IMPORT.findall(_read_script(scripts[name])):
            imported = _resolve_import(name, spec)
            target = scripts.get(imported) or scripts.get(f"{imported}/index")
            if target and target[0] not in keep:
                # Imported by a module the page runs: it comes back, with its own imports and
                # the templates of its own folder (not those of the folders under it).
                keep.add(target[0])
                queue.append(_module_name(target[0]))
                folder = posixpath.dirname(target[0])
                keep.update(
                    e[0] for e in paths if e[0].endswith(".xml") and posixpath.dirname(e[0]) == folder
                )
    return [entry for entry in paths if entry[0] in keep]


class IrAsset(models.Model):
    _inherit = "ir.asset"

    def _get_asset_paths(self, bundle, assets_params):
        """Override of `base` to trim the pay page's bundle (:func:`_trim_pay_page_assets`)."""
        paths = super()._get_asset_paths(bundle, assets_params)
        if bundle == PAY_PAGE_BUNDLE:
            return _trim_pay_page_assets(paths)
        if bundle == PAY_PAGE_TOURS_BUNDLE:
            # The tours' scripts and what they import that the pay page's bundle does not hold.
            page = {entry[0] for entry in _trim_pay_page_assets(paths)}
            with_tours = _trim_pay_page_assets(paths, lambda path: _kept(path) or path.startswith(TOURS))
            return [entry for entry in with_tours if entry[0] not in page]
        return paths
