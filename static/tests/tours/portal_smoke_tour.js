import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("account_payment_link_portal_smoke", {
    url: "/my",
    steps: () => [
        {
            content: "The portal home is shown",
            trigger: ".o_portal_my_home",
        },
        {
            content: "The customer's invoices are listed among their documents",
            trigger: ".o_portal_docs a[href='/my/invoices?filterby=invoices']:visible",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The posted invoice is in the list",
            trigger: ".o_portal_my_doc_table a:contains('INV/')",
        },
    ],
});
