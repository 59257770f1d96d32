//! The store manager's settings screen: account, display, data sources
//! (add, remove, enable, reorder, rename, tags, card count), "Test
//! connection", import/export of sources. Edits a draft; Save validates it
//! and hands it back, Cancel drops it.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use egui::{RichText, vec2};
use poll_promise::Promise;

use crate::config::{
    AuthMode, BasketUse, CardField, Config, Language, SourceConfig, SourceKind, ThemeChoice,
};
use crate::lookup::SourceResult;
use crate::secret::ApiKey;

use super::i18n::{EN, SettingsTexts, Texts, UK};
use super::theme;

mod orders;
mod sources;
mod tools;

use tools::FileJob;

/// Labels tests and screen readers find the controls by.
pub mod labels {
    /// The base URL field.
    use crate::ui::i18n::EN;
    pub const BASE_URL: &str = EN.settings_screen.base_url;
    /// The API key field.
    pub const API_KEY: &str = EN.settings_screen.api_key;
    /// Save button.
    pub const SAVE: &str = EN.settings_screen.save;
    /// Cancel button.
    pub const CANCEL: &str = EN.settings_screen.cancel;
    /// New source id field.
    pub const NEW_ID: &str = EN.settings_screen.new_id;
    /// New source title field.
    pub const NEW_TITLE: &str = EN.settings_screen.new_title;
    /// Add source button.
    pub const ADD: &str = EN.settings_screen.add;
    /// Test connection button.
    pub const TEST: &str = EN.settings_screen.test;
}

/// What the manager decided this frame.
pub enum SettingsOutcome {
    /// Still editing.
    Editing,
    /// Save this configuration.
    Save(Box<Config>),
    /// Leave without saving.
    Cancel,
}

/// The settings form.
pub struct SettingsForm {
    draft: Config,
    /// Where Save will write, shown to the manager.
    target: Option<PathBuf>,
    /// False when this user cannot write `target` (the machine-wide file
    /// under `/etc`): Save is off and the manager is told whom to ask.
    writable: bool,
    new_key: String,
    /// The base URL the stored key belongs to.
    key_base_url: String,
    image_fields: String,
    old_price_fields: String,
    /// `[orders] store_id` as typed (empty: none).
    store_id: String,
    new_id: String,
    new_title: String,
    new_kind: SourceKind,
    tag_entry: HashMap<u64, String>,
    seen_tags: HashMap<u64, BTreeSet<String>>,
    errors: HashMap<&'static str, String>,
    general_error: Option<String>,
    test: Option<Promise<Result<Vec<SourceResult>, String>>>,
    io_path: String,
    io_message: Option<String>,
    /// An export or import running on a blocking worker.
    file_job: Option<Promise<FileJob>>,
    /// The sources come from the chain's file: shown, not edited.
    managed: bool,
    demo_note: bool,
    texts: &'static Texts,
}

impl SettingsForm {
    /// A form over a copy of `config`. `seen_tags` are tag names seen in each
    /// source's last answer, offered as choices.
    pub fn new(
        config: &Config,
        target: Option<PathBuf>,
        seen_tags: HashMap<u64, BTreeSet<String>>,
        texts: &'static Texts,
    ) -> Self {
        let io_path = target
            .as_ref()
            .and_then(|p| p.parent())
            .map(|d| d.join("sources.toml").display().to_string())
            .unwrap_or_else(|| "sources.toml".into());
        let writable = target.as_deref().is_none_or(crate::config::can_write);
        Self {
            writable,
            image_fields: config.display.image_field.0.join(", "),
            old_price_fields: config.display.old_price_field.0.join(", "),
            store_id: config.orders.store_id.clone().unwrap_or_default(),
            draft: config.clone(),
            key_base_url: config.yespo.base_url.clone(),
            target,
            new_key: String::new(),
            new_id: String::new(),
            new_title: String::new(),
            new_kind: SourceKind::Other,
            tag_entry: HashMap::new(),
            seen_tags,
            errors: HashMap::new(),
            general_error: None,
            test: None,
            io_path,
            io_message: None,
            file_job: None,
            managed: false,
            demo_note: false,
            texts,
        }
    }

    /// Starts from the demo shop: the account fields are set to Yespo's
    /// defaults so that Save connects the till to a real account.
    pub fn leaving_demo(mut self) -> Self {
        self.draft.yespo.base_url = crate::config::YespoConfig::default().base_url;
        self.demo_note = true;
        self
    }

    /// The chain manages the sources: the form shows them read-only.
    pub fn managed_by_chain(mut self, managed: bool) -> Self {
        self.managed = managed;
        self
    }

    /// Shows why saving failed, above the buttons; the edits stay.
    pub fn show_error(&mut self, message: String) {
        self.general_error = Some(message);
    }

    /// Stores a new PIN hash in the draft (first use of the settings).
    pub fn set_pin_hash(&mut self, hash: String) {
        self.draft.manager.pin_hash = Some(hash);
    }

    /// Draws the form.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> SettingsOutcome {
        let st: &'static SettingsTexts = &self.texts.settings_screen;
        let mut outcome = SettingsOutcome::Editing;
        ui.horizontal(|ui| {
            ui.label(RichText::new(st.title).size(theme::WELCOME_SIZE).strong());
            if let Some(path) = &self.target {
                ui.label(RichText::new(format!("{} {}", st.saved_to, path.display())).weak());
            }
        });
        if self.demo_note {
            ui.label(RichText::new(st.demo_note).color(theme::demo(ui)));
        }
        if !self.writable {
            ui.label(RichText::new(st.read_only).color(theme::demo(ui)));
        }
        ui.separator();
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .max_height(ui.available_height() - 70.0)
            .show(ui, |ui| {
                self.account_ui(ui);
                ui.separator();
                self.display_ui(ui);
                ui.separator();
                self.sources_ui(ui);
                ui.separator();
                self.orders_ui(ui);
                ui.separator();
                self.test_ui(ui);
                ui.separator();
                self.import_export_ui(ui);
            });
        ui.separator();
        ui.horizontal(|ui| {
            let save = egui::Button::new(RichText::new(st.save).strong())
                .min_size(vec2(160.0, theme::TOUCH));
            if ui.add_enabled(self.writable, save).clicked()
                && let Some(config) = self.validated()
            {
                outcome = SettingsOutcome::Save(Box::new(config));
            }
            if ui
                .add(egui::Button::new(st.cancel).min_size(vec2(120.0, theme::TOUCH)))
                .clicked()
            {
                outcome = SettingsOutcome::Cancel;
            }
            if let Some(e) = &self.general_error {
                ui.label(RichText::new(e).color(theme::error(ui)).strong());
            }
        });
        outcome
    }

    fn field_error_ui(&self, ui: &mut egui::Ui, field: &str) {
        if let Some(e) = self.errors.get(field) {
            ui.label(RichText::new(e).color(theme::error(ui)).strong());
        }
    }

    /// The API key field and the flow choice (v2 or v1), for a till that
    /// talks to Yespo itself.
    fn key_and_flow_ui(&mut self, ui: &mut egui::Ui) {
        let st: &'static SettingsTexts = &self.texts.settings_screen;
        ui.label(st.api_key);
        let current = self
            .draft
            .yespo
            .api_key
            .as_ref()
            .map_or(st.not_set.to_string(), ApiKey::masked);
        ui.horizontal(|ui| {
            labelled_text(ui, &mut self.new_key, st.api_key, 300.0, true);
            ui.label(RichText::new(format!("{} {current}", st.current)).weak());
        });
        ui.label(RichText::new(st.keep_key).weak());
        ui.end_row();
        if self.errors.contains_key("api_key") {
            ui.label("");
            self.field_error_ui(ui, "api_key");
            ui.end_row();
        }

        ui.label(st.api_flow);
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.draft.yespo.auth, AuthMode::ApiKey, st.v2);
            ui.radio_value(&mut self.draft.yespo.auth, AuthMode::ContactToken, st.v1);
        });
        ui.end_row();
    }

    fn account_ui(&mut self, ui: &mut egui::Ui) {
        let st: &'static SettingsTexts = &self.texts.settings_screen;
        ui.label(
            RichText::new(st.account)
                .size(theme::GROUP_TITLE_SIZE)
                .strong(),
        );
        egui::Grid::new("account")
            .num_columns(3)
            .spacing(vec2(12.0, 8.0))
            .show(ui, |ui| {
                ui.label(st.base_url);
                labelled_text(
                    ui,
                    &mut self.draft.yespo.base_url,
                    st.base_url,
                    420.0,
                    false,
                );
                self.field_error_ui(ui, "base_url");
                ui.end_row();

                if self.draft.yespo.auth.via_gateway() {
                    // The chain's IT set this till up for its gateway in the
                    // file: no key here, and no flow to pick.
                    ui.label(st.api_flow);
                    let token = self
                        .draft
                        .till_token()
                        .map_or(st.not_set.to_string(), |t| t.masked());
                    ui.label(format!(
                        "{} · {} {token}",
                        self.texts.via_gateway, st.till_token
                    ));
                    ui.end_row();
                } else {
                    self.key_and_flow_ui(ui);
                }
                ui.label(st.card_is);
                ui.horizontal(|ui| {
                    ui.radio_value(
                        &mut self.draft.yespo.card_identifies_as,
                        CardField::ExternalCustomerId,
                        "externalCustomerId",
                    );
                    ui.radio_value(
                        &mut self.draft.yespo.card_identifies_as,
                        CardField::ContactId,
                        "contactId",
                    );
                });
                ui.end_row();

                ui.label(st.country_code);
                labelled_text(
                    ui,
                    &mut self.draft.yespo.default_country_code,
                    st.country_code,
                    80.0,
                    false,
                );
                self.field_error_ui(ui, "default_country_code");
                ui.end_row();

                ui.label(st.timeout);
                ui.add(
                    egui::DragValue::new(&mut self.draft.yespo.timeout_ms)
                        .range(crate::config::TIMEOUT_MS_RANGE)
                        .suffix(" ms")
                        .speed(50),
                );
                ui.end_row();
            });
    }

    fn display_ui(&mut self, ui: &mut egui::Ui) {
        let st: &'static SettingsTexts = &self.texts.settings_screen;
        ui.label(
            RichText::new(st.cards)
                .size(theme::GROUP_TITLE_SIZE)
                .strong(),
        );
        egui::Grid::new("display")
            .num_columns(3)
            .spacing(vec2(12.0, 8.0))
            .show(ui, |ui| {
                ui.label(st.currency);
                labelled_text(
                    ui,
                    &mut self.draft.display.currency,
                    st.currency,
                    80.0,
                    false,
                );
                self.field_error_ui(ui, "currency");
                ui.end_row();
                ui.label(st.image_field);
                labelled_text(ui, &mut self.image_fields, st.image_field, 300.0, false);
                ui.label(RichText::new(st.comma_hint).weak());
                ui.end_row();
                ui.label(st.old_price_field);
                labelled_text(
                    ui,
                    &mut self.old_price_fields,
                    st.old_price_field,
                    300.0,
                    false,
                );
                ui.end_row();
                ui.label(st.theme);
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.draft.display.theme, ThemeChoice::Light, st.light);
                    ui.radio_value(&mut self.draft.display.theme, ThemeChoice::Dark, st.dark);
                });
                ui.end_row();
                ui.label(st.text_size);
                ui.add(
                    egui::Slider::new(&mut self.draft.display.text_scale, 0.75..=2.0).step_by(0.05),
                );
                ui.end_row();
                ui.label(st.language);
                ui.horizontal(|ui| {
                    let language = &mut self.draft.display.language;
                    ui.radio_value(language, None, st.system);
                    ui.radio_value(language, Some(Language::En), EN.language_name);
                    ui.radio_value(language, Some(Language::Uk), UK.language_name);
                });
                ui.end_row();
            });
    }

    /// Checks the draft; on success returns the config to save, otherwise
    /// puts messages next to the fields.
    fn validated(&mut self) -> Option<Config> {
        self.errors.clear();
        self.general_error = None;
        let store_id = self.store_id.trim();
        self.draft.orders.store_id = (!store_id.is_empty()).then(|| store_id.to_string());
        let (config, key) = crate::config::edit::tidied(
            &self.draft,
            &self.image_fields,
            &self.old_price_fields,
            &self.new_key,
            &self.key_base_url,
        );
        if key == crate::config::edit::KeyOutcome::NeedsKeyForNewHost {
            self.errors.insert(
                "api_key",
                self.texts.settings_screen.key_for_new_host.into(),
            );
        }
        // The file's own checks, each message put beside its field (in the
        // screen's language where the form has its own words for it).
        let st = &self.texts.settings_screen;
        for problem in config.problems() {
            let message = match problem.key {
                "base_url" => format!("{}: {}", st.base_url, problem.message),
                "default_country_code" => st.cc_error.into(),
                "currency" => st.currency_error.into(),
                _ => {
                    self.general_error.get_or_insert(problem.to_string());
                    continue;
                }
            };
            self.errors.entry(problem.key).or_insert(message);
        }
        if self.general_error.is_some() {
            return None;
        }
        if !self.errors.is_empty() {
            self.general_error = Some(st.fix_red.into());
            return None;
        }
        Some(config)
    }
}

/// The manager menu's "What works" entry in English (tests find it by this).
pub const WHAT_WORKS_LABEL: &str = EN.settings_screen.what_works_tab;

/// A button whose accessible label says which row it acts on.
fn labelled_button(ui: &mut egui::Ui, enabled: bool, text: &str, label: &str) -> egui::Response {
    let response = ui.add_enabled(enabled, egui::Button::new(text));
    let label = label.to_string();
    response.widget_info(move || egui::WidgetInfo::labeled(egui::Role::Button, enabled, &label));
    response
}

/// A text field with an accessible label.
fn labelled_text(
    ui: &mut egui::Ui,
    value: &mut String,
    label: &str,
    width: f32,
    password: bool,
) -> egui::Response {
    let response = ui.add_sized(
        vec2(width, 30.0),
        egui::TextEdit::singleline(value).password(password),
    );
    let label = label.to_string();
    let role = if password {
        egui::Role::PasswordInput
    } else {
        egui::Role::TextInput
    };
    response.widget_info(move || egui::WidgetInfo::labeled(role, true, &label));
    response
}
