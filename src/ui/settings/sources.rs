//! The settings' data sources: the table (order, titles, which attributes
//! the cards show), adding a source, and the attribute picker.

use super::*;

impl SettingsForm {
    pub(super) fn sources_ui(&mut self, ui: &mut egui::Ui) {
        if self.managed {
            // The chain's file decides them; this till's own preferences stay editable.
            ui.label(
                RichText::new(self.texts.settings_screen.sources)
                    .size(theme::GROUP_TITLE_SIZE)
                    .strong(),
            );
            ui.label(RichText::new(self.texts.settings_screen.managed).color(theme::demo(ui)));
            ui.add_enabled_ui(false, |ui| self.sources_table_ui(ui));
            return;
        }
        self.sources_table_ui(ui);
    }

    pub(super) fn sources_table_ui(&mut self, ui: &mut egui::Ui) {
        let st: &'static SettingsTexts = &self.texts.settings_screen;
        let texts: &'static Texts = self.texts;
        ui.label(
            RichText::new(st.sources)
                .size(theme::GROUP_TITLE_SIZE)
                .strong(),
        );
        let mut remove = None;
        let mut swap = None;
        let count = self.draft.sources.len();
        egui::Grid::new("sources")
            .num_columns(8)
            .striped(true)
            .spacing(vec2(10.0, 6.0))
            .show(ui, |ui| {
                for header in [
                    st.col_shown,
                    st.col_id,
                    st.col_title,
                    st.col_kind,
                    st.col_basket,
                    st.cards,
                    st.col_tags,
                    "",
                ] {
                    ui.label(RichText::new(header).strong());
                }
                ui.end_row();
                for (i, source) in self.draft.sources.iter_mut().enumerate() {
                    let title = source.display_title();
                    let enabled = ui.checkbox(&mut source.enabled, "");
                    enabled.widget_info(|| {
                        egui::WidgetInfo::selected(
                            egui::Role::CheckBox,
                            true,
                            source.enabled,
                            format!("{} {title}", st.show),
                        )
                    });
                    ui.label(source.id.to_string());
                    labelled_text(
                        ui,
                        &mut source.title,
                        &format!("{} {}", st.title_of, source.id),
                        220.0,
                        false,
                    );
                    egui::ComboBox::from_id_salt(("kind", source.id))
                        .selected_text(texts.source_kind(source.kind))
                        .show_ui(ui, |ui| {
                            for kind in SourceKind::ALL {
                                ui.selectable_value(
                                    &mut source.kind,
                                    kind,
                                    texts.source_kind(kind),
                                );
                            }
                        });
                    // The basket key: shown resolved, stored only when it differs from the kind's default.
                    let mut basket_use = source.basket_use();
                    egui::ComboBox::from_id_salt(("basket", source.id))
                        .selected_text(texts.basket_use(basket_use))
                        .show_ui(ui, |ui| {
                            for choice in BasketUse::ALL {
                                ui.selectable_value(
                                    &mut basket_use,
                                    choice,
                                    texts.basket_use(choice),
                                );
                            }
                        });
                    source.basket =
                        (basket_use != BasketUse::default_for(source.kind)).then_some(basket_use);
                    ui.add(
                        egui::DragValue::new(&mut source.max_cards)
                            .range(crate::config::MAX_CARDS_RANGE),
                    );
                    let seen = self.seen_tags.get(&source.id).cloned().unwrap_or_default();
                    let entry = self.tag_entry.entry(source.id).or_default();
                    tags_ui(st, ui, source, &seen, entry);
                    ui.horizontal(|ui| {
                        if labelled_button(
                            ui,
                            i > 0,
                            st.up,
                            &format!("{} {title} {}", st.move_word, st.up.to_lowercase()),
                        )
                        .clicked()
                        {
                            swap = Some((i, i - 1));
                        }
                        if labelled_button(
                            ui,
                            i + 1 < count,
                            st.down,
                            &format!("{} {title} {}", st.move_word, st.down.to_lowercase()),
                        )
                        .clicked()
                        {
                            swap = Some((i, i + 1));
                        }
                        if labelled_button(ui, true, st.remove, &format!("{} {title}", st.remove))
                            .clicked()
                        {
                            remove = Some(i);
                        }
                    });
                    ui.end_row();
                }
            });
        if let Some((a, b)) = swap {
            self.draft.sources.swap(a, b);
        }
        if let Some(i) = remove {
            self.draft.sources.remove(i);
        }
        ui.horizontal(|ui| {
            ui.label(st.add_colon);
            labelled_text(ui, &mut self.new_id, st.new_id, 90.0, false);
            labelled_text(ui, &mut self.new_title, st.new_title, 220.0, false);
            egui::ComboBox::from_id_salt("new_kind")
                .selected_text(texts.source_kind(self.new_kind))
                .show_ui(ui, |ui| {
                    for kind in SourceKind::ALL {
                        ui.selectable_value(&mut self.new_kind, kind, texts.source_kind(kind));
                    }
                });
            if ui
                .add(egui::Button::new(st.add).min_size(vec2(0.0, theme::TOUCH)))
                .clicked()
            {
                self.add_source();
            }
            self.field_error_ui(ui, "new_source");
        });
    }

    pub(super) fn add_source(&mut self) {
        let id = match self.new_id.trim().parse::<u64>() {
            Ok(id) if id > 0 => id,
            _ => {
                self.errors
                    .insert("new_source", self.texts.settings_screen.bad_id.into());
                return;
            }
        };
        if self.draft.sources.iter().any(|s| s.id == id) {
            self.errors.insert(
                "new_source",
                format!("{id} {}", self.texts.settings_screen.already),
            );
            return;
        }
        self.errors.remove("new_source");
        self.draft.sources.push(SourceConfig {
            id,
            title: self.new_title.trim().to_string(),
            kind: self.new_kind,
            ..SourceConfig::default()
        });
        self.new_id.clear();
        self.new_title.clear();
    }
}

/// Tag chips for one source: tags seen in its last answer plus the chosen
/// ones, each a toggle, and a field for a tag not seen yet.
pub(super) fn tags_ui(
    st: &SettingsTexts,
    ui: &mut egui::Ui,
    source: &mut SourceConfig,
    seen: &BTreeSet<String>,
    entry: &mut String,
) {
    ui.horizontal_wrapped(|ui| {
        ui.set_max_width(360.0);
        let mut all: BTreeSet<String> = seen.clone();
        all.extend(source.show_tags.iter().cloned());
        for tag in all {
            let mut on = source.show_tags.contains(&tag);
            if ui.toggle_value(&mut on, &tag).changed() {
                if on {
                    source.show_tags.push(tag.clone());
                } else {
                    source.show_tags.retain(|t| t != &tag);
                }
            }
        }
        let field = ui.add(
            egui::TextEdit::singleline(entry)
                .hint_text(st.tag_hint)
                .desired_width(70.0),
        );
        let id = source.id;
        let new_tag = st.new_tag;
        field.widget_info(move || {
            egui::WidgetInfo::labeled(egui::Role::TextInput, true, format!("{new_tag} {id}"))
        });
        let add = ui.small_button("+").clicked()
            || (field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)));
        let tag = entry.trim().trim_start_matches("tags_").to_string();
        if add && !tag.is_empty() && !source.show_tags.contains(&tag) {
            source.show_tags.push(tag);
            entry.clear();
        }
    });
}
