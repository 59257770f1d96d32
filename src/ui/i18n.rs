//! Every text the cashier and the manager read, in English and Ukrainian,
//! in one typed table: a missing translation is a compile error, not a
//! blank on screen.

use crate::config::Language;
use crate::identify::{IdentifierKind, IdentifyError, Reason};
use crate::yespo::SourceError;

/// The texts of one language.
pub struct Texts {
    /// Which language this table is.
    pub language: Language,
    /// Language name as shown in its own language.
    pub language_name: &'static str,
    // Lookup bar
    /// Accessible label of the lookup input.
    pub input_label: &'static str,
    /// Hint inside the empty input.
    pub input_hint: &'static str,
    /// Find button.
    pub find: &'static str,
    /// Clear button.
    pub clear: &'static str,
    /// Settings button.
    pub settings: &'static str,
    /// Settings button tooltip.
    pub settings_hint: &'static str,
    /// Kind selector: detect automatically.
    pub auto: &'static str,
    /// Kind: card.
    pub card: &'static str,
    /// Kind: phone.
    pub phone: &'static str,
    /// Kind: email.
    pub email: &'static str,
    /// "Demo data" badge.
    pub demo_data: &'static str,
    /// Tooltip of the demo badge.
    pub demo_hint: &'static str,
    /// "Looks like a …" before the kind.
    pub looks_like: &'static str,
    /// "Customer:" before the masked identifier.
    pub customer: &'static str,
    // Welcome
    /// Big line before the first customer.
    pub welcome: &'static str,
    /// Second line.
    pub welcome_hint: &'static str,
    /// Demo customers to try.
    pub demo_try: &'static str,
    // Sections
    /// "loading…" beside a pending section.
    pub loading: &'static str,
    /// A source with nothing for this customer.
    pub no_recommendations: &'static str,
    /// Retry button (followed by the section title).
    pub retry: &'static str,
    /// Toggle for the technical detail of an error.
    pub details_toggle: &'static str,
    // Cards
    /// Stock badge: in stock.
    pub in_stock: &'static str,
    /// Stock badge: out of stock.
    pub out_of_stock: &'static str,
    /// Stock badge: unknown.
    pub stock_unknown: &'static str,
    /// Neutral picture caption.
    pub no_picture: &'static str,
    /// Card without a price.
    pub price_on_request: &'static str,
    /// Tag label for sizes.
    pub size: &'static str,
    /// Tag label for colours.
    pub colour: &'static str,
    /// Tag label for gender.
    pub gender: &'static str,
    /// Tag label for material.
    pub material: &'static str,
    // Details
    /// "Brand:".
    pub brand: &'static str,
    /// "Category:".
    pub category: &'static str,
    /// "SKU:".
    pub sku: &'static str,
    /// Copy SKU button.
    pub copy_sku: &'static str,
    /// "save" before the saving amount.
    pub save_amount: &'static str,
    /// QR tooltip.
    pub qr_hint: &'static str,
    /// Close button of the details.
    pub close_details: &'static str,
    /// Full-screen "show to customer" button.
    pub show_customer: &'static str,
    /// Back from full screen.
    pub back: &'static str,
    // Status line
    /// Demo origin.
    pub status_demo: &'static str,
    /// "Config:" before the path.
    pub status_config: &'static str,
    /// "Account:" before the host.
    pub status_account: &'static str,
    /// "Offline —" before the reason.
    pub offline: &'static str,
    /// "Online".
    pub online: &'static str,
    /// Before any answer.
    pub not_connected: &'static str,
    /// "Lookup took".
    pub lookup_took: &'static str,
    /// "Looking up…".
    pub looking_up: &'static str,
    // PIN
    /// PIN field label.
    pub pin_label: &'static str,
    /// Repeat PIN field label.
    pub pin_repeat: &'static str,
    /// Unlock button.
    pub unlock: &'static str,
    /// First-use title.
    pub set_pin_title: &'static str,
    /// First-use explanation.
    pub set_pin_hint: &'static str,
    /// Prompt title.
    pub pin_title: &'static str,
    /// Prompt explanation.
    pub pin_hint: &'static str,
    /// Back button.
    pub back_to_till: &'static str,
    /// Wrong PIN.
    pub wrong_pin: &'static str,
    /// A section that needs the basket, while it is empty.
    pub waiting_for_basket: &'static str,
    /// "Add to sale" button.
    pub add_to_sale: &'static str,
    /// Confirmation after Add to sale.
    pub added_to_sale: &'static str,
    /// Above the SKU barcode on tills without a POS link.
    pub scan_into_pos: &'static str,
    /// The basket line's label.
    pub basket_label: &'static str,
    /// The basket input's hint.
    pub basket_hint: &'static str,
    /// The POS link could not start.
    pub link_failed: &'static str,
    /// No PIN set, and the till was not started for setup: title.
    pub no_pin_title: &'static str,
    /// …and how to set one.
    pub no_pin_hint: &'static str,
    /// Status line: this till has no manager PIN.
    pub no_pin_status: &'static str,
    /// Status line: the history cannot be written.
    pub history_off: &'static str,
    /// Status line: requests go through the chain's gateway.
    pub via_gateway: &'static str,
    /// The customer window when nothing is shown.
    pub customer_idle: &'static str,
    /// Status line: the chain manages the sources.
    pub central_managed: &'static str,
    /// Status line: the chain's file could not be used; the last good copy stays.
    pub central_stale: &'static str,
    /// Reports to the chain could not be sent: "{n} days waiting", in its plural forms.
    pub reports_waiting: super::plural::Forms,
    /// Status line: no copy from the chain yet.
    pub central_waiting: &'static str,
    /// PINs differ.
    pub pins_differ: &'static str,
    /// Bad PIN shape.
    pub pin_shape: &'static str,
    /// After a drawing failure was caught.
    pub screen_reset: &'static str,
    /// No data source is switched on.
    pub no_sources: &'static str,
    /// A customer in the comparison group (`[experiment]`).
    pub comparison_group: &'static str,
    /// "Settings saved to" before the path.
    pub settings_saved: &'static str,
    /// The platform has no config dir.
    pub no_place_to_save: &'static str,
    /// The settings screen.
    pub settings_screen: SettingsTexts,
    /// The manager's "What works" page.
    pub what_works: WhatWorksTexts,
    /// Accessible name of a keypad key, before the key ("Keypad 1").
    pub keypad: &'static str,
    /// Keypad key: delete the last character.
    pub keypad_delete: &'static str,
    /// Keypad key: clear the input.
    pub keypad_clear: &'static str,
    /// Keypad key: look the customer up.
    pub keypad_enter: &'static str,
    /// Accessible name of a basket chip, before the SKU ("Remove SKU-1").
    pub remove_item: &'static str,
    /// Accessible name of the drawn barcode, before the SKU.
    pub barcode: &'static str,
}

/// Texts of the manager's "What works" page.
pub struct WhatWorksTexts {
    /// Page title.
    pub title: &'static str,
    /// A period's button, "Last {n} days", in its plural forms.
    pub last_days: super::plural::Forms,
    /// Recording is switched off in the config.
    pub recording_off: &'static str,
    /// Nothing recorded in the chosen period.
    pub nothing_yet: &'static str,
    /// A source no longer configured, before its id.
    pub data_source: &'static str,
    /// The table's column headers.
    pub columns: [&'static str; 10],
    /// The chart's title.
    pub chart_title: &'static str,
    /// Heading of the top products.
    pub top_products: &'static str,
    /// Label of the CSV path.
    pub csv_file: &'static str,
    /// Export button.
    pub export_csv: &'static str,
    /// Before the path written.
    pub csv_written: &'static str,
    /// Before the reason.
    pub csv_failed: &'static str,
    /// The decimal separator of percentages in this language.
    pub decimal: char,
    /// Title of the sources' part.
    pub sources_title: &'static str,
    /// The bar chart when no card was added to a sale in the period.
    pub chart_empty: &'static str,
    /// Instead of the daily trends while they would show one day or none.
    pub trend_empty: &'static str,
    /// Beside Export CSV: what the file holds.
    pub csv_same_as_stats: &'static str,
    /// Trend line: revenue from recommendations per day.
    pub trend_revenue: &'static str,
    /// Trend line: the average sale of customers shown recommendations.
    pub trend_shown: &'static str,
    /// Trend line: the average sale of the comparison group.
    pub trend_holdout: &'static str,
    /// Title of the groups' trend chart.
    pub trend_groups: &'static str,
    /// What the recommendations sold and the comparison group.
    pub sales: SalesTexts,
}

/// Texts of the What works page's sales part.
pub struct SalesTexts {
    /// Heading: what the recommendations sold.
    pub title: &'static str,
    /// No sale recorded in the period.
    pub none_yet: &'static str,
    /// Before the number of sales.
    pub sales: &'static str,
    /// After the number of sales with a total ("12 with a value").
    pub with_value: &'static str,
    /// How a line two sources listed counts.
    pub both_sources: &'static str,
    /// A till without a POS link: counts and no money.
    pub no_prices: &'static str,
    /// The sold table's column headers.
    pub columns: [&'static str; 7],
    /// The total row.
    pub all_sources: &'static str,
    /// Heading of the comparison.
    pub comparison: &'static str,
    /// The comparison is off.
    pub comparison_off: &'static str,
    /// Before the period's name.
    pub period: &'static str,
    /// Before the period's first day.
    pub since: &'static str,
    /// The comparison table's column headers.
    pub group_columns: [&'static str; 4],
    /// The group shown recommendations.
    pub shown: &'static str,
    /// The group shown none.
    pub holdout: &'static str,
    /// Before the difference of the average sale.
    pub difference_value: &'static str,
    /// Before the difference of items per sale (tills without prices).
    pub difference_items: &'static str,
    /// Before the confidence interval.
    pub interval: &'static str,
    /// Below 30 sales in a group.
    pub not_enough: &'static str,
    /// Before the relative difference.
    pub relative: &'static str,
    /// The interval lies above zero (money per sale).
    pub higher_value: &'static str,
    /// The interval lies below zero (money per sale).
    pub lower_value: &'static str,
    /// The interval lies above zero (items per sale).
    pub higher_items: &'static str,
    /// The interval lies below zero (items per sale).
    pub lower_items: &'static str,
    /// The interval includes zero.
    pub not_yet: &'static str,
    /// The power estimate; `{n}` is the number of sales, `{sales}` the
    /// word in the form the number takes ([`SalesTexts::sales_word`]).
    pub more_needed: &'static str,
    /// "sale" in its plural forms.
    pub sales_word: super::plural::Forms,
    /// The language of these texts (for the plural forms).
    pub language: Language,
    /// Heading of the products sold after a recommendation.
    pub top: &'static str,
    /// Sales recorded, none of their lines recommended.
    pub none_from_recommendations: &'static str,
}

/// Texts of the manager's settings screen.
pub struct SettingsTexts {
    /// Store manager settings
    pub title: &'static str,
    /// saved to
    pub saved_to: &'static str,
    /// The till is showing demo data. Enter your Yespo account's API key (and base URL if it differs), check the sources, then Save: this creates the configuration file.
    pub demo_note: &'static str,
    /// Account
    pub account: &'static str,
    /// Base URL
    pub base_url: &'static str,
    /// API key
    pub api_key: &'static str,
    /// current:
    pub current: &'static str,
    /// not set
    pub not_set: &'static str,
    /// leave empty to keep the current key
    pub keep_key: &'static str,
    /// The base URL's host changed: the saved key is not sent there.
    pub key_for_new_host: &'static str,
    /// API flow
    pub api_flow: &'static str,
    /// v2 with API key
    pub v2: &'static str,
    /// v1 contact token
    pub v1: &'static str,
    /// A card number is
    pub card_is: &'static str,
    /// Default country code
    pub country_code: &'static str,
    /// Timeout per source
    pub timeout: &'static str,
    /// Cards
    pub cards: &'static str,
    /// Currency
    pub currency: &'static str,
    /// Image field(s)
    pub image_field: &'static str,
    /// comma-separated; the first present wins
    pub comma_hint: &'static str,
    /// Old price field
    pub old_price_field: &'static str,
    /// Theme
    pub theme: &'static str,
    /// Light
    pub light: &'static str,
    /// Dark
    pub dark: &'static str,
    /// Text size
    pub text_size: &'static str,
    /// Language
    pub language: &'static str,
    /// System
    pub system: &'static str,
    /// Data sources (in the order the cashier sees them)
    pub sources: &'static str,
    /// Shown
    pub col_shown: &'static str,
    /// Id
    pub col_id: &'static str,
    /// Title
    pub col_title: &'static str,
    /// Kind
    pub col_kind: &'static str,
    /// Column: the source's basket key.
    pub col_basket: &'static str,
    /// Cards
    pub col_cards: &'static str,
    /// Attributes on cards
    pub col_tags: &'static str,
    /// Show
    pub show: &'static str,
    /// Title of source
    pub title_of: &'static str,
    /// Up
    pub up: &'static str,
    /// Down
    pub down: &'static str,
    /// Remove
    pub remove: &'static str,
    /// Move
    pub move_word: &'static str,
    /// Add:
    pub add_colon: &'static str,
    /// New source id
    pub new_id: &'static str,
    /// New source title
    pub new_title: &'static str,
    /// Add source
    pub add: &'static str,
    /// the id is the number shown in Yespo under Data sources
    pub bad_id: &'static str,
    /// is already in the list
    pub already: &'static str,
    /// Test connection
    pub test: &'static str,
    /// asks every shown source once, with the settings above (before saving)
    pub test_hint: &'static str,
    /// Copy the sources to other tills
    pub copy_title: &'static str,
    /// Sources file
    pub sources_file: &'static str,
    /// Export sources
    pub export: &'static str,
    /// Import sources
    pub import: &'static str,
    /// "{n} sources exported (no API key, no PIN)", in its plural forms.
    pub exported: super::plural::Forms,
    /// "{n} sources imported — review, then Save", in its plural forms.
    pub imported: super::plural::Forms,
    /// Could not write the file:
    pub cannot_write: &'static str,
    /// Could not read the file:
    pub cannot_read: &'static str,
    /// Save settings
    pub save: &'static str,
    /// Cancel
    pub cancel: &'static str,
    /// Fix the fields marked in red
    pub fix_red: &'static str,
    /// 1-3 digits, e.g. 380
    pub cc_error: &'static str,
    /// a 3-letter code such as UAH, EUR, USD
    pub currency_error: &'static str,
    /// New tag for source
    pub new_tag: &'static str,
    /// Shown over sources the chain manages.
    pub managed: &'static str,
    /// The configuration file cannot be written by this user.
    pub read_only: &'static str,
    /// Before the masked till token of a gateway till.
    pub till_token: &'static str,
    /// The manager menu's "What works" entry.
    pub what_works_tab: &'static str,
    /// Sales to Yespo (the `[orders]` group's title).
    pub orders_heading: &'static str,
    /// Send each finished sale to Yespo as an offline order
    pub orders_send: &'static str,
    /// Store id at Yespo
    pub orders_store_id: &'static str,
    /// Empty: the chain's store name
    pub orders_store_hint: &'static str,
    /// Item cost is
    pub orders_item_cost: &'static str,
    /// the line's total
    pub item_cost_line: &'static str,
    /// the price of one
    pub item_cost_unit: &'static str,
    /// The manager menu's way back to the till (the settings' edits are dropped).
    pub back_to_till: &'static str,
    /// tag
    pub tag_hint: &'static str,
}

/// English.
pub const EN: Texts = Texts {
    language: Language::En,
    language_name: "English",
    input_label: "Card, phone or email",
    input_hint: "Scan a card, or type a phone or email — then Enter",
    find: "Find",
    clear: "Clear (Esc)",
    settings: "Settings",
    settings_hint: "Store manager settings (PIN) — F2",
    auto: "Auto",
    card: "Card",
    phone: "Phone",
    email: "Email",
    demo_data: "Demo data",
    demo_hint: "No configuration found: showing the built-in demo shop.",
    looks_like: "Looks like:",
    customer: "Customer:",
    welcome: "Scan the customer's card, or type their phone or email",
    welcome_hint: "Press Enter to see what to offer. Esc clears for the next customer. F1 jumps back to the input.",
    demo_try: "Demo shop: try 067 123 4567, card 2000123456789, or olena@example.com",
    loading: "loading…",
    no_recommendations: "Nothing here for this customer yet — offer something from the other blocks.",
    retry: "Retry",
    details_toggle: "Details",
    in_stock: "In stock",
    out_of_stock: "Out of stock",
    stock_unknown: "Stock unknown",
    no_picture: "No picture",
    price_on_request: "Price on request",
    size: "Size",
    colour: "Colour",
    gender: "Gender",
    material: "Material",
    brand: "Brand:",
    category: "Category:",
    sku: "SKU:",
    copy_sku: "Copy SKU",
    save_amount: "save",
    qr_hint: "Scan to open the product page",
    close_details: "Close details",
    show_customer: "Show to customer",
    back: "Back (Esc)",
    status_demo: "Demo data (built-in demo shop)",
    status_config: "Config:",
    status_account: "Account:",
    offline: "Offline —",
    online: "Online",
    not_connected: "Not connected yet",
    lookup_took: "Lookup took",
    looking_up: "Looking up…",
    pin_label: "Manager PIN",
    pin_repeat: "Repeat the new PIN",
    unlock: "Unlock settings",
    set_pin_title: "Set a manager PIN",
    set_pin_hint: "Choose a PIN of 6 to 12 digits. Cashiers cannot open the settings without it.",
    pin_title: "Store manager settings",
    pin_hint: "Enter the manager PIN to change data sources, cards and the account.",
    back_to_till: "Back to the till",
    wrong_pin: "Wrong PIN",
    waiting_for_basket: "Scan the basket's items to see these",
    add_to_sale: "Add to sale (F4)",
    added_to_sale: "Added to the sale:",
    scan_into_pos: "Scan this code into the POS to add the product to the sale",
    basket_label: "Basket",
    basket_hint: "F3: scan the basket's items here — Enter after each",
    link_failed: "The POS link is off:",
    no_pin_title: "This till has no manager PIN",
    no_pin_hint: "The settings stay closed until a PIN is set. Whoever looks after the till sets the first one by starting it once with: pos-recs --setup",
    no_pin_status: "No manager PIN: start once with --setup to set one",
    history_off: "Figures not recorded",
    via_gateway: "via gateway",
    central_managed: "Sources managed by the chain",
    customer_idle: "Welcome",
    central_stale: "Chain's sources not updated: the last good copy is in use",
    reports_waiting: super::plural::Forms {
        one: "Reports to the chain not sent yet: {n} day waiting",
        few: "Reports to the chain not sent yet: {n} days waiting",
        many: "Reports to the chain not sent yet: {n} days waiting",
    },
    central_waiting: "Waiting for the chain's sources",
    pins_differ: "The two PINs differ",
    pin_shape: "The PIN must be 6 to 12 digits",
    screen_reset: "The screen hit a problem and was reset.",
    no_sources: "No recommendation blocks are switched on — ask the store manager (Settings, F2).",
    comparison_group: "No suggestions for this customer: comparison group",
    settings_saved: "Settings saved to",
    no_place_to_save: "No place to save settings on this system",
    settings_screen: SettingsTexts {
        title: "Store manager settings",
        saved_to: "saved to",
        demo_note: "The till is showing demo data. Enter your Yespo account's API key (and base URL if it differs), check the sources, then Save: this creates the configuration file.",
        account: "Account",
        base_url: "Base URL",
        api_key: "API key",
        current: "current:",
        not_set: "not set",
        keep_key: "leave empty to keep the current key",
        key_for_new_host: "The account address changed: type the API key for the new address (the saved key is not sent to another host)",
        api_flow: "API flow",
        v2: "v2 with API key",
        v1: "v1 contact token",
        card_is: "A card number is",
        country_code: "Default country code",
        timeout: "Timeout per source",
        cards: "Cards",
        currency: "Currency",
        image_field: "Image field(s)",
        comma_hint: "comma-separated; the first present wins",
        old_price_field: "Old price field",
        theme: "Theme",
        light: "Light",
        dark: "Dark",
        text_size: "Text size",
        language: "Language",
        system: "System",
        sources: "Data sources (in the order the cashier sees them)",
        col_shown: "Shown",
        col_id: "Id",
        col_title: "Title",
        col_kind: "Kind",
        col_basket: "Basket",
        col_cards: "Cards",
        col_tags: "Attributes on cards",
        show: "Show",
        title_of: "Title of source",
        up: "Up",
        down: "Down",
        remove: "Remove",
        move_word: "Move",
        add_colon: "Add:",
        new_id: "New source id",
        new_title: "New source title",
        add: "Add source",
        bad_id: "the id is the number shown in Yespo under Data sources",
        already: "is already in the list",
        test: "Test connection",
        test_hint: "asks every shown source once, with the settings above (before saving)",
        copy_title: "Copy the sources to other tills",
        sources_file: "Sources file",
        export: "Export sources",
        import: "Import sources",
        exported: super::plural::Forms {
            one: "{n} source exported (no API key, no PIN)",
            few: "{n} sources exported (no API key, no PIN)",
            many: "{n} sources exported (no API key, no PIN)",
        },
        imported: super::plural::Forms {
            one: "{n} source imported — review, then Save",
            few: "{n} sources imported — review, then Save",
            many: "{n} sources imported — review, then Save",
        },
        cannot_write: "Could not write the file:",
        cannot_read: "Could not read the file:",
        save: "Save settings",
        cancel: "Cancel",
        fix_red: "Fix the fields marked in red",
        cc_error: "1-3 digits, e.g. 380",
        currency_error: "a 3-letter code such as UAH, EUR, USD",
        new_tag: "New tag for source",
        tag_hint: "tag",
        managed: "Managed by the chain: these sources come from the store's file and cannot be changed here.",
        what_works_tab: "What works",
        orders_heading: "Sales to Yespo",
        orders_send: "Send each finished sale to Yespo as an offline order",
        orders_store_id: "Store id at Yespo",
        orders_store_hint: "empty: the chain's store name",
        orders_item_cost: "Item cost is",
        item_cost_line: "the line's total",
        item_cost_unit: "the price of one",
        back_to_till: "Back to the till",
        till_token: "till token",
        read_only: "This till uses a machine-wide configuration that only the IT administrator can change (sudoedit, or the chain's deployment): the settings can be looked at and tested here, not saved.",
    },
    what_works: WhatWorksTexts {
        title: "What works",
        last_days: super::plural::Forms {
            one: "Last {n} day",
            few: "Last {n} days",
            many: "Last {n} days",
        },
        recording_off: "Recording is off ([history] enabled = false).",
        nothing_yet: "Nothing recorded in this period yet: the figures appear as the till is used.",
        data_source: "Data source",
        columns: [
            "Source",
            "Lookups",
            "Answered",
            "Median",
            "p95",
            "Shown",
            "Opened",
            "To customer",
            "Added to sale",
            "Added per 100 shown",
        ],
        chart_title: "Added to sale per 100 cards shown",
        top_products: "Top products per source",
        decimal: '.',
        sources_title: "How each source did",
        chart_empty: "No card was added to a sale in this period yet.",
        trend_empty: "The daily trends appear once sales with a value are recorded on two days.",
        csv_same_as_stats: "The same figures as `pos-recs stats --csv`, one row per source.",
        trend_revenue: "Revenue from recommendations",
        trend_shown: "Average sale, shown recommendations",
        trend_holdout: "Average sale, comparison group",
        trend_groups: "Average sale per day, by group",
        sales: SalesTexts {
            title: "What the recommendations sold",
            none_yet: "No sales recorded in this period yet.",
            sales: "Sales",
            with_value: "with a value",
            both_sources: "A line two sources recommended counts for both; the total counts it once.",
            no_prices: "No prices: this till has no POS link, so there are counts and no money.",
            columns: [
                "Source",
                "Bought",
                "Quantity",
                "Revenue",
                "Revenue per 100 shown",
                "After a click",
                "Without a click",
            ],
            all_sources: "All sources",
            comparison: "Comparison group",
            comparison_off: "Off ([experiment] holdout_percent).",
            period: "Period",
            since: "since",
            group_columns: ["Group", "Sales", "Average sale", "Items per sale"],
            shown: "Shown recommendations",
            holdout: "Comparison group (shown none)",
            difference_value: "Difference in the average sale",
            difference_items: "Difference in items per sale",
            interval: "95 % interval",
            not_enough: "Not enough sales yet: at least 30 in each group.",
            relative: "Relative",
            higher_value: "Significant: customers shown recommendations spend more.",
            lower_value: "Significant: customers shown recommendations spend less.",
            higher_items: "Significant: customers shown recommendations buy more items.",
            lower_items: "Significant: customers shown recommendations buy fewer items.",
            not_yet: "Not significant yet: the interval still includes zero.",
            more_needed: "About {n} more {sales} would tell, if the difference stays as it is.",
            sales_word: super::plural::Forms {
                one: "sale",
                few: "sales",
                many: "sales",
            },
            language: Language::En,
            top: "Top products sold after a recommendation",
            none_from_recommendations: "Nothing was bought after a recommendation in this period yet.",
        },
        csv_file: "CSV file",
        export_csv: "Export CSV",
        csv_written: "CSV written to",
        csv_failed: "Could not write the CSV:",
    },
    keypad: "Keypad",
    keypad_delete: "Del",
    keypad_clear: "Clear",
    keypad_enter: "Enter",
    remove_item: "Remove",
    barcode: "Barcode",
};

/// Ukrainian.
pub const UK: Texts = Texts {
    language: Language::Uk,
    language_name: "Українська",
    input_label: "Картка, телефон або email",
    input_hint: "Проскануйте картку або введіть телефон чи email — і Enter",
    find: "Знайти",
    clear: "Очистити (Esc)",
    settings: "Налаштування",
    settings_hint: "Налаштування менеджера (PIN) — F2",
    auto: "Авто",
    card: "Картка",
    phone: "Телефон",
    email: "Email",
    demo_data: "Демо-дані",
    demo_hint: "Конфігурацію не знайдено: показано вбудований демо-магазин.",
    looks_like: "Схоже на:",
    customer: "Покупець:",
    welcome: "Проскануйте картку покупця або введіть його телефон чи email",
    welcome_hint: "Enter — показати, що запропонувати. Esc — очистити для наступного покупця. F1 — повернутися до поля вводу.",
    demo_try: "Демо-магазин: спробуйте 067 123 4567, картку 2000123456789 або olena@example.com",
    loading: "завантаження…",
    no_recommendations: "Для цього покупця тут поки нічого немає — запропонуйте щось з інших блоків.",
    retry: "Повторити",
    details_toggle: "Подробиці",
    in_stock: "В наявності",
    out_of_stock: "Немає в наявності",
    stock_unknown: "Наявність невідома",
    no_picture: "Немає фото",
    price_on_request: "Ціна за запитом",
    size: "Розмір",
    colour: "Колір",
    gender: "Стать",
    material: "Матеріал",
    brand: "Бренд:",
    category: "Категорія:",
    sku: "Артикул:",
    copy_sku: "Копіювати артикул",
    save_amount: "економія",
    qr_hint: "Скануйте, щоб відкрити сторінку товару",
    close_details: "Закрити подробиці",
    show_customer: "Показати покупцю",
    back: "Назад (Esc)",
    status_demo: "Демо-дані (вбудований демо-магазин)",
    status_config: "Конфігурація:",
    status_account: "Акаунт:",
    offline: "Немає зв'язку —",
    online: "На зв'язку",
    not_connected: "Ще не підключено",
    lookup_took: "Пошук тривав",
    looking_up: "Пошук…",
    pin_label: "PIN менеджера",
    pin_repeat: "Повторіть новий PIN",
    unlock: "Відкрити налаштування",
    set_pin_title: "Встановіть PIN менеджера",
    set_pin_hint: "Оберіть PIN з 6–12 цифр. Без нього касир не відкриє налаштування.",
    pin_title: "Налаштування менеджера магазину",
    pin_hint: "Введіть PIN менеджера, щоб змінити джерела даних, картки та акаунт.",
    back_to_till: "Назад до каси",
    wrong_pin: "Неправильний PIN",
    waiting_for_basket: "Проскануйте товари з кошика, щоб побачити ці пропозиції",
    add_to_sale: "Додати до продажу (F4)",
    added_to_sale: "Додано до продажу:",
    scan_into_pos: "Відскануйте цей код у касову програму, щоб додати товар до продажу",
    basket_label: "Кошик",
    basket_hint: "F3: скануйте сюди товари з кошика — Enter після кожного",
    link_failed: "Зв'язок з касовою програмою вимкнено:",
    no_pin_title: "На цій касі немає PIN менеджера",
    no_pin_hint: "Налаштування закриті, доки не встановлено PIN. Відповідальний за касу встановлює перший, запустивши її один раз так: pos-recs --setup",
    no_pin_status: "Немає PIN менеджера: запустіть один раз з --setup",
    history_off: "Статистика не записується",
    via_gateway: "через шлюз мережі",
    central_managed: "Джерела задає мережа",
    customer_idle: "Ласкаво просимо",
    central_stale: "Джерела мережі не оновлено: діє остання справна копія",
    reports_waiting: super::plural::Forms {
        one: "Звіти мережі ще не надіслано: {n} день у черзі",
        few: "Звіти мережі ще не надіслано: {n} дні в черзі",
        many: "Звіти мережі ще не надіслано: {n} днів у черзі",
    },
    central_waiting: "Очікуємо джерела від мережі",
    pins_differ: "PIN-коди не збігаються",
    pin_shape: "PIN має містити від 6 до 12 цифр",
    screen_reset: "На екрані сталася помилка, його перезавантажено.",
    no_sources: "Жоден блок рекомендацій не ввімкнено — зверніться до менеджера (Налаштування, F2).",
    comparison_group: "Для цього покупця без пропозицій: контрольна група",
    settings_saved: "Налаштування збережено в",
    no_place_to_save: "У цій системі немає місця для налаштувань",
    settings_screen: SettingsTexts {
        title: "Налаштування менеджера магазину",
        saved_to: "зберігається в",
        demo_note: "Каса показує демо-дані. Введіть API-ключ вашого акаунта Yespo (і базову адресу, якщо інша), перевірте джерела й натисніть «Зберегти» — буде створено файл конфігурації.",
        account: "Акаунт",
        base_url: "Базова адреса",
        api_key: "API-ключ",
        current: "зараз:",
        not_set: "не задано",
        keep_key: "залиште порожнім, щоб не змінювати ключ",
        key_for_new_host: "Адресу акаунта змінено: введіть API-ключ для нової адреси (збережений ключ не надсилається на інший хост)",
        api_flow: "Спосіб доступу",
        v2: "v2 з API-ключем",
        v1: "v1 токен контакту",
        card_is: "Номер картки — це",
        country_code: "Код країни за замовчуванням",
        timeout: "Час очікування на джерело",
        cards: "Картки",
        currency: "Валюта",
        image_field: "Поле(я) зображення",
        comma_hint: "через кому; береться перше наявне",
        old_price_field: "Поле старої ціни",
        theme: "Тема",
        light: "Світла",
        dark: "Темна",
        text_size: "Розмір тексту",
        language: "Мова",
        system: "Як у системі",
        sources: "Джерела даних (у порядку, як їх бачить касир)",
        col_shown: "Показ",
        col_id: "Id",
        col_title: "Назва",
        col_kind: "Тип",
        col_basket: "Кошик",
        col_cards: "Карток",
        col_tags: "Атрибути на картках",
        show: "Показувати",
        title_of: "Назва джерела",
        up: "Вгору",
        down: "Вниз",
        remove: "Видалити",
        move_word: "Перемістити",
        add_colon: "Додати:",
        new_id: "Id нового джерела",
        new_title: "Назва нового джерела",
        add: "Додати джерело",
        bad_id: "id — це число з розділу «Джерела даних» у Yespo",
        already: "вже є у списку",
        test: "Перевірити з'єднання",
        test_hint: "один раз запитує кожне показане джерело з налаштуваннями вище (до збереження)",
        copy_title: "Перенести джерела на інші каси",
        sources_file: "Файл джерел",
        export: "Експортувати джерела",
        import: "Імпортувати джерела",
        exported: super::plural::Forms {
            one: "{n} джерело експортовано (без API-ключа та PIN)",
            few: "{n} джерела експортовано (без API-ключа та PIN)",
            many: "{n} джерел експортовано (без API-ключа та PIN)",
        },
        imported: super::plural::Forms {
            one: "{n} джерело імпортовано — перевірте й збережіть",
            few: "{n} джерела імпортовано — перевірте й збережіть",
            many: "{n} джерел імпортовано — перевірте й збережіть",
        },
        cannot_write: "Не вдалося записати файл:",
        cannot_read: "Не вдалося прочитати файл:",
        save: "Зберегти налаштування",
        cancel: "Скасувати",
        fix_red: "Виправте поля, позначені червоним",
        cc_error: "1–3 цифри, напр. 380",
        currency_error: "код з 3 літер, напр. UAH, EUR, USD",
        new_tag: "Новий атрибут для джерела",
        tag_hint: "атрибут",
        managed: "Керує мережа: ці джерела задає файл магазину, тут їх змінити не можна.",
        what_works_tab: "Що працює",
        orders_heading: "Продажі в Yespo",
        orders_send: "Надсилати кожен завершений продаж у Yespo як офлайн-замовлення",
        orders_store_id: "Ідентифікатор магазину в Yespo",
        orders_store_hint: "порожньо: назва магазину мережі",
        orders_item_cost: "Вартість позиції — це",
        item_cost_line: "сума рядка",
        item_cost_unit: "ціна за одиницю",
        back_to_till: "Назад до каси",
        till_token: "токен каси",
        read_only: "Ця каса використовує спільну конфігурацію комп’ютера, яку може змінити лише ІТ-адміністратор (sudoedit або розгортання мережі): тут налаштування можна переглянути й перевірити, але не зберегти.",
    },
    what_works: WhatWorksTexts {
        title: "Що працює",
        last_days: super::plural::Forms {
            one: "Останній {n} день",
            few: "Останні {n} дні",
            many: "Останні {n} днів",
        },
        recording_off: "Запис вимкнено ([history] enabled = false).",
        nothing_yet: "За цей період ще нічого не записано: цифри з’являться, щойно касою почнуть користуватися.",
        data_source: "Джерело даних",
        columns: [
            "Джерело",
            "Запити",
            "Відповіли",
            "Медіана",
            "p95",
            "Показано",
            "Відкрито",
            "Покупцеві",
            "Додано до продажу",
            "Додано на 100 показів",
        ],
        chart_title: "Додано до продажу на 100 показаних карток",
        top_products: "Найкращі товари за джерелом",
        decimal: ',',
        sources_title: "Як спрацювало кожне джерело",
        chart_empty: "За цей період жодну картку ще не додали до продажу.",
        trend_empty: "Щоденні графіки з’являться, коли продажі із сумою буде записано за два дні.",
        csv_same_as_stats: "Ті самі цифри, що й `pos-recs stats --csv`, по рядку на джерело.",
        trend_revenue: "Виторг від рекомендацій",
        trend_shown: "Середній чек, з рекомендаціями",
        trend_holdout: "Середній чек, контрольна група",
        trend_groups: "Середній чек за день, за групами",
        sales: SalesTexts {
            title: "Що продали рекомендації",
            none_yet: "За цей період продажів ще не записано.",
            sales: "Продажі",
            with_value: "із сумою",
            both_sources: "Рядок, який порадили два джерела, рахується для обох; у підсумку — один раз.",
            no_prices: "Без цін: ця каса не з’єднана з POS, тож є кількість, але не гроші.",
            columns: [
                "Джерело",
                "Куплено",
                "Кількість",
                "Виторг",
                "Виторг на 100 показів",
                "Після кліку",
                "Без кліку",
            ],
            all_sources: "Усі джерела",
            comparison: "Контрольна група",
            comparison_off: "Вимкнено ([experiment] holdout_percent).",
            period: "Період",
            since: "з",
            group_columns: ["Група", "Продажі", "Середній чек", "Товарів у чеку"],
            shown: "Бачили рекомендації",
            holdout: "Контрольна група (без рекомендацій)",
            difference_value: "Різниця середнього чека",
            difference_items: "Різниця кількості товарів у чеку",
            interval: "95 % інтервал",
            not_enough: "Ще замало продажів: потрібно щонайменше 30 у кожній групі.",
            relative: "Відносна",
            higher_value: "Значуще: покупці, які бачили рекомендації, витрачають більше.",
            lower_value: "Значуще: покупці, які бачили рекомендації, витрачають менше.",
            higher_items: "Значуще: покупці, які бачили рекомендації, купують більше товарів.",
            lower_items: "Значуще: покупці, які бачили рекомендації, купують менше товарів.",
            not_yet: "Ще не значуще: інтервал досі містить нуль.",
            more_needed: "Щоб це з’ясувати, потрібно ще приблизно {n} {sales} (якщо різниця збережеться).",
            sales_word: super::plural::Forms {
                one: "продаж",
                few: "продажі",
                many: "продажів",
            },
            language: Language::Uk,
            top: "Найкращі товари, продані після рекомендації",
            none_from_recommendations: "За цей період після рекомендацій ще нічого не купили.",
        },
        csv_file: "Файл CSV",
        export_csv: "Експорт CSV",
        csv_written: "CSV записано в",
        csv_failed: "Не вдалося записати CSV:",
    },
    keypad: "Клавіша",
    keypad_delete: "Стерти",
    keypad_clear: "Очистити",
    keypad_enter: "Enter",
    remove_item: "Прибрати",
    barcode: "Штрихкод",
};

impl Texts {
    /// The table for a language.
    pub fn of(language: Language) -> &'static Texts {
        match language {
            Language::En => &EN,
            Language::Uk => &UK,
        }
    }

    /// Name of an identifier kind.
    pub fn kind(&self, kind: IdentifierKind) -> &'static str {
        match kind {
            IdentifierKind::Card => self.card,
            IdentifierKind::Phone => self.phone,
            IdentifierKind::Email => self.email,
        }
    }

    /// A source's basket key, as the settings show it.
    pub fn basket_use(&self, choice: crate::config::BasketUse) -> &'static str {
        use crate::config::BasketUse;
        let uk = self.language == Language::Uk;
        match (choice, uk) {
            (BasketUse::Send, false) => "send when there is one",
            (BasketUse::Require, false) => "only with a basket",
            (BasketUse::Never, false) => "never",
            (BasketUse::Send, true) => "надсилати, якщо є",
            (BasketUse::Require, true) => "лише з кошиком",
            (BasketUse::Never, true) => "ніколи",
        }
    }

    /// A source kind's name.
    pub fn source_kind(&self, kind: crate::config::SourceKind) -> &'static str {
        use crate::config::SourceKind as K;
        match (self.language, kind) {
            (Language::En, k) => k.label(),
            (Language::Uk, K::OutOfStock) => "замість відсутніх",
            (Language::Uk, K::CrossSell) => "також купують",
            (Language::Uk, K::Upsell) => "вам також сподобається",
            (Language::Uk, K::Bestsellers) => "хіти продажів",
            (Language::Uk, K::Personal) => "персональні",
            (Language::Uk, K::Other) => "інше",
        }
    }

    /// "12 products" with the right plural form.
    pub fn products(&self, n: usize) -> String {
        let forms = if self.language == Language::Uk {
            super::plural::Forms {
                one: "{n} товар",
                few: "{n} товари",
                many: "{n} товарів",
            }
        } else {
            super::plural::Forms {
                one: "{n} product",
                few: "{n} products",
                many: "{n} products",
            }
        };
        forms.say(self.language, n as u64)
    }

    /// "12 sales waiting for Yespo, since 10:42" (`since` as the clock shows it).
    pub fn orders_waiting(&self, n: u64, since: &str) -> String {
        let forms = if self.language == Language::Uk {
            super::plural::Forms {
                one: "{n} продаж чекає на Yespo, з {since}",
                few: "{n} продажі чекають на Yespo, з {since}",
                many: "{n} продажів чекають на Yespo, з {since}",
            }
        } else {
            super::plural::Forms {
                one: "{n} sale waiting for Yespo, since {since}",
                few: "{n} sales waiting for Yespo, since {since}",
                many: "{n} sales waiting for Yespo, since {since}",
            }
        };
        forms.say(self.language, n).replace("{since}", since)
    }

    /// "N orders refused by Yespo: see pos-recs outbox".
    pub fn orders_refused(&self, n: u64) -> String {
        let forms = if self.language == Language::Uk {
            super::plural::Forms {
                one: "Yespo: {n} замовлення відхилено — див. pos-recs outbox",
                few: "Yespo: {n} замовлення відхилено — див. pos-recs outbox",
                many: "Yespo: {n} замовлень відхилено — див. pos-recs outbox",
            }
        } else {
            super::plural::Forms {
                one: "Yespo refused {n} order: see pos-recs outbox",
                few: "Yespo refused {n} orders: see pos-recs outbox",
                many: "Yespo refused {n} orders: see pos-recs outbox",
            }
        };
        forms.say(self.language, n)
    }

    /// "Too many wrong PINs: wait N s".
    pub fn pin_wait(&self, secs: u64) -> String {
        if self.language == Language::Uk {
            format!("Забагато неправильних PIN: зачекайте {secs} с")
        } else {
            format!("Too many wrong PINs: wait {secs} s")
        }
    }

    /// "from 10:42 (25 min ago), offline": the mark of a source's older
    /// answer, shown because the source cannot be reached now.
    pub fn stale_mark(&self, since: std::time::SystemTime) -> String {
        let clock = crate::sync::local_clock(since);
        let minutes = since.elapsed().map_or(0, |d| d.as_secs() / 60);
        let uk = self.language == Language::Uk;
        let age = match (minutes, uk) {
            (0, false) => "just now".to_string(),
            (0, true) => "щойно".to_string(),
            (m @ 1..120, false) => format!("{m} min ago"),
            (m @ 1..120, true) => format!("{m} хв тому"),
            (m, false) => format!("{} h ago", m / 60),
            (m, true) => format!("{} год тому", m / 60),
        };
        if uk {
            format!("станом на {clock} ({age}), немає зв'язку")
        } else {
            format!("from {clock} ({age}), offline")
        }
    }

    /// The status line's word for a till some of whose sources cannot be reached.
    pub fn degraded(&self) -> &'static str {
        if self.language == Language::Uk {
            "Зв'язок частковий —"
        } else {
            "Degraded —"
        }
    }

    /// "last answer N s ago".
    pub fn last_answer(&self, secs: u64) -> String {
        if self.language == Language::Uk {
            format!("остання відповідь {secs} с тому")
        } else {
            format!("last answer {secs} s ago")
        }
    }

    /// A cashier's sentence for why a source gave nothing; the technical
    /// message goes behind the Details toggle.
    pub fn source_problem(&self, error: &SourceError) -> String {
        let uk = self.language == Language::Uk;
        match error {
            SourceError::Timeout(ms) => {
                let secs = (*ms as f64 / 1000.0).to_string();
                if uk {
                    format!("немає відповіді за {secs} с")
                } else {
                    format!("no answer within {secs} s")
                }
            }
            // One sentence from the first lookup of an outage on.
            SourceError::Network(_) | SourceError::Offline => if uk {
                "немає зв'язку: пропозиції з'являться, щойно мережа повернеться"
            } else {
                "offline: these come back with the network"
            }
            .into(),
            SourceError::NotRegistered => if uk {
                "каса не зареєстрована на шлюзі мережі — зверніться до ІТ"
            } else {
                "this till is not registered with the gateway — please call IT"
            }
            .into(),
            SourceError::Unauthorized | SourceError::Forbidden => if uk {
                "проблема доступу до акаунта — зверніться до менеджера"
            } else {
                "account access problem — please call the manager"
            }
            .into(),
            SourceError::NotFound(_) => if uk {
                "цей блок не налаштовано — зверніться до менеджера"
            } else {
                "this block is not set up — please call the manager"
            }
            .into(),
            SourceError::RateLimited => if uk {
                "сервер зайнятий — спробуйте за мить"
            } else {
                "the server is busy — try again in a moment"
            }
            .into(),
            SourceError::NeedsBasket => if uk {
                "проскануйте товари з кошика, щоб побачити ці пропозиції"
            } else {
                "scan the basket's items to see these"
            }
            .into(),
            SourceError::CustomerNotFound => if uk {
                "покупця не знайдено в базі лояльності"
            } else {
                "customer not found in the loyalty base"
            }
            .into(),
            SourceError::BadRequest(_)
            | SourceError::Http { .. }
            | SourceError::Decode(_)
            | SourceError::TooLarge(_)
            | SourceError::Internal => if uk {
                "блок зараз недоступний"
            } else {
                "this block is unavailable right now"
            }
            .into(),
        }
    }

    /// A cashier's sentence for input that cannot be used.
    pub fn input_problem(&self, error: &IdentifyError) -> String {
        if self.language != Language::Uk {
            return error.to_string();
        }
        let reason = |r: &Reason| -> &'static str {
            match r {
                Reason::Letters => "містить літери",
                Reason::UnexpectedCharacters => "містить зайві символи",
                Reason::PlusNotAtStart => "«+» може стояти лише на початку",
                Reason::NoDigits => "немає цифр",
                Reason::TooFewDigits => "замало цифр",
                Reason::TooManyDigits => "забагато цифр",
                Reason::NotAPhoneNumber => "це не номер телефону",
                Reason::NotValidForCountry => "такого номера немає в цій країні",
                Reason::OnlyDigitsAndLetters => "дозволені лише цифри та літери",
                Reason::TooShort => "закороткий",
                Reason::TooLong => "задовгий",
                Reason::Spaces => "містить пробіли",
                Reason::NoAt => "немає «@»",
                Reason::OneAt => "потрібен один «@» з іменем перед ним",
                Reason::NotADomain => "після «@» має бути домен",
                Reason::NumbersOnly => "картки цього магазину — лише цифри",
            }
        };
        match error {
            IdentifyError::Empty => "введіть номер картки, телефон або email".into(),
            IdentifyError::BadPhone(r) => format!("невірний номер телефону: {}", reason(r)),
            IdentifyError::BadEmail(r) => format!("невірна адреса email: {}", reason(r)),
            IdentifyError::BadCard(r) => format!("невірний номер картки: {}", reason(r)),
        }
    }
}

/// The language of the system locale (`LANG`, `LC_ALL`, `LC_MESSAGES`), English by default.
pub fn system_language() -> Language {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .map_or(Language::En, |v| {
            if v.starts_with("uk") {
                Language::Uk
            } else {
                Language::En
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ukrainian_plurals() {
        assert_eq!(UK.products(1), "1 товар");
        assert_eq!(UK.products(3), "3 товари");
        assert_eq!(UK.products(5), "5 товарів");
        assert_eq!(UK.products(11), "11 товарів");
        assert_eq!(UK.products(21), "21 товар");
        assert_eq!(EN.products(1), "1 product");
        assert_eq!(
            UK.orders_waiting(2, "10:42"),
            "2 продажі чекають на Yespo, з 10:42"
        );
        assert_eq!(
            EN.orders_waiting(1, "10:42"),
            "1 sale waiting for Yespo, since 10:42"
        );
        assert_eq!(
            UK.orders_refused(5),
            "Yespo: 5 замовлень відхилено — див. pos-recs outbox"
        );
        assert_eq!(
            EN.orders_refused(2),
            "Yespo refused 2 orders: see pos-recs outbox"
        );
    }

    #[test]
    fn counted_sentences_take_the_numbers_form() {
        let exported = &UK.settings_screen.exported;
        assert_eq!(
            exported.say(Language::Uk, 1),
            "1 джерело експортовано (без API-ключа та PIN)"
        );
        assert_eq!(
            exported.say(Language::Uk, 3),
            "3 джерела експортовано (без API-ключа та PIN)"
        );
        assert_eq!(
            exported.say(Language::Uk, 12),
            "12 джерел експортовано (без API-ключа та PIN)"
        );
        let days = &UK.what_works.last_days;
        assert_eq!(days.say(Language::Uk, 7), "Останні 7 днів");
        assert_eq!(days.say(Language::Uk, 21), "Останній 21 день");
        assert_eq!(days.say(Language::Uk, 2), "Останні 2 дні");
        assert_eq!(
            UK.reports_waiting.say(Language::Uk, 3),
            "Звіти мережі ще не надіслано: 3 дні в черзі"
        );
        assert_eq!(
            EN.settings_screen.imported.say(Language::En, 1),
            "1 source imported — review, then Save"
        );
        // Every counted sentence of both tables carries its number.
        for texts in [&EN, &UK] {
            for forms in [
                &texts.settings_screen.exported,
                &texts.settings_screen.imported,
                &texts.what_works.last_days,
                &texts.reports_waiting,
            ] {
                for form in [forms.one, forms.few, forms.many] {
                    assert!(form.contains("{n}"), "{form}");
                }
            }
        }
    }

    #[test]
    fn every_input_reason_has_a_ukrainian_sentence() {
        for bad in ["abc+1", "12", "067-ABC", "+", "a b@x.com", "x@y", "12;34"] {
            for kind in IdentifierKind::ALL {
                if let Err(e) = crate::identify::identify(bad, Some(kind), "380") {
                    assert!(
                        !UK.input_problem(&e).contains("невірний формат"),
                        "{e} untranslated"
                    );
                }
            }
        }
    }

    #[test]
    fn timeouts_read_in_seconds() {
        assert_eq!(
            EN.source_problem(&SourceError::Timeout(4000)),
            "no answer within 4 s"
        );
        assert_eq!(
            UK.source_problem(&SourceError::Timeout(1500)),
            "немає відповіді за 1.5 с"
        );
    }
}
