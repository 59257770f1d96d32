//! Which plural form a number takes in the screen's language, by CLDR's
//! rules (`intl_pluralrules`): Ukrainian has three ("1 товар", "2 товари",
//! "5 товарів"), English two.

use std::sync::OnceLock;

use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};

use crate::config::Language;

/// The forms of one word, as a language needs them.
pub struct Forms {
    /// 1, 21, 31… (`one`).
    pub one: &'static str,
    /// 2–4, 22–24… (`few`; English has none: `other`).
    pub few: &'static str,
    /// 5–20, 25… and everything else (`many` / `other`).
    pub many: &'static str,
}

fn rules(language: Language) -> Option<&'static PluralRules> {
    static EN: OnceLock<Option<PluralRules>> = OnceLock::new();
    static UK: OnceLock<Option<PluralRules>> = OnceLock::new();
    let (cell, tag) = match language {
        Language::Uk => (&UK, "uk"),
        _ => (&EN, "en"),
    };
    cell.get_or_init(|| {
        let id: unic_langid::LanguageIdentifier = tag.parse().ok()?;
        PluralRules::create(id, PluralRuleType::CARDINAL).ok()
    })
    .as_ref()
}

/// The form of `forms` that `n` takes in `language`.
pub fn pick(language: Language, n: u64, forms: &Forms) -> &'static str {
    match rules(language).and_then(|r| r.select(n).ok()) {
        Some(PluralCategory::ONE) => forms.one,
        Some(PluralCategory::FEW) => forms.few,
        _ => forms.many,
    }
}

impl Forms {
    /// The form `n` takes in `language`, with `{n}` in it replaced by `n`
    /// (forms that are whole sentences: "Останні {n} днів").
    pub fn say(&self, language: Language, n: u64) -> String {
        pick(language, n, self).replace("{n}", &n.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ukrainian_and_english_follow_cldr() {
        let goods = Forms {
            one: "товар",
            few: "товари",
            many: "товарів",
        };
        let uk: Vec<&str> = [1, 2, 4, 5, 11, 12, 21, 22, 25, 101, 111]
            .iter()
            .map(|n| pick(Language::Uk, *n, &goods))
            .collect();
        assert_eq!(
            uk,
            [
                "товар",
                "товари",
                "товари",
                "товарів",
                "товарів",
                "товарів",
                "товар",
                "товари",
                "товарів",
                "товар",
                "товарів"
            ]
        );
        let sales = Forms {
            one: "sale",
            few: "sales",
            many: "sales",
        };
        assert_eq!(pick(Language::En, 1, &sales), "sale");
        assert_eq!(pick(Language::En, 0, &sales), "sales");
        assert_eq!(pick(Language::En, 21, &sales), "sales");
    }
}
