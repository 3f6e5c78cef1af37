import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("account_payment_link_hub", {
    steps: () => [
        {
            content: "The hub shows this month's total",
            trigger: ".o_paylink_paid_month:contains('Paid this month through the links listed')",
        },
        {
            content: "Create a link",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "A new link shows only Save: nothing to send, revoke or regenerate yet",
            trigger: ".o_form_view .o_form_button_save",
            run() {
                const buttons = [...document.querySelectorAll(".o_form_view .o_statusbar_buttons button")];
                const shown = buttons.map((button) => button.textContent.trim()).filter(Boolean);
                if (shown.length) {
                    throw new Error(`A new link shows ${shown.join(", ")}`);
                }
            },
        },
        {
            content: "It expires after the company's default number of days, shown before saving",
            trigger: ".o_field_widget[name=expiry_date] input",
            run() {
                if (!this.anchor.value) {
                    throw new Error("A new link shows no expiry date");
                }
            },
        },
        {
            content: "Pick the customer",
            trigger: ".o_field_widget[name=partner_id] input",
            run: "edit Ada Customer",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('Ada Customer')",
            run: "click",
        },
        {
            content: "Say what it is for",
            trigger: ".o_field_widget[name=description] input",
            run: "edit Tour deposit",
        },
        {
            content: "Set the amount",
            trigger: ".o_field_widget[name=custom_amount] input",
            run: "edit 123.45",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Copy the URL",
            trigger: ".o_field_widget[name=url] .o_clipboard_button",
            async run(helpers) {
                // Headless Chromium has no clipboard to read back: keep what is written instead.
                navigator.clipboard.writeText = async (text) => {
                    window.__paylinkCopied = text;
                };
                await helpers.click();
            },
        },
        {
            content: "The button confirms the copy",
            trigger: ".o_popover:contains('Copied')",
        },
        {
            content: "What was copied is the link's URL",
            trigger: ".o_field_widget[name=url]",
            run() {
                const shown = this.anchor.textContent.trim();
                const copied = window.__paylinkCopied || "";
                if (!copied.includes("/pay/") || copied !== shown) {
                    throw new Error(`Copied "${copied}" but the URL shown is "${shown}"`);
                }
            },
        },
    ],
});
