import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("account_payment_link_send", {
    steps: () => [
        {
            content: "Open the send wizard from the invoice",
            trigger: "button[name=action_paylink_send]",
            run: "click",
        },
        {
            content: "Both channels are ticked, with the customer's mobile and email",
            trigger: ".modal .o_field_widget[name=sms_number] input",
            run() {
                const sms = document.querySelector(".modal .o_field_widget[name=channel_sms] input");
                const email = document.querySelector(".modal .o_field_widget[name=channel_email] input");
                if (!sms.checked || !email.checked) {
                    throw new Error("SMS and email should both be ticked");
                }
                if (this.anchor.value !== "+14155550134") {
                    throw new Error(`Unexpected prefilled number ${this.anchor.value}`);
                }
            },
        },
        {
            content: "The fixed SMS preview keeps the opt-out wording",
            trigger: ".modal .o_field_widget[name=sms_preview]:contains('Reply STOP to opt out.')",
        },
        {
            content: "Add a short message",
            trigger: ".modal .o_field_widget[name=note] input",
            run: "edit See you soon && click .modal .o_field_widget[name=sms_number] input",
        },
        {
            content: "The preview shows it, with the segment count",
            trigger: ".modal .o_field_widget[name=sms_preview]:contains('See you soon')",
        },
        {
            trigger: ".modal .o_field_widget[name=sms_stats]:contains('SMS (GSM-7)')",
        },
        {
            content: "Send",
            trigger: ".modal button[name=action_send]",
            run: "click",
        },
        {
            content: "Odoo confirms both recipients",
            trigger: ".o_notification:contains('Payment link sent to')",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The SMS is in the invoice's chatter",
            trigger: ".o-mail-Message:contains('Reply STOP to opt out.')",
        },
    ],
});
