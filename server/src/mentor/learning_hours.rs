//! How long a skill takes to learn, by its O*NET category: the assumption
//! behind every gap's "about N weeks". The figures are ours, not O*NET's,
//! and live in `learning_hours.tsv` so anyone can read and change them;
//! the mentor shows the row it used beside each estimate.

use std::collections::HashMap;

const TABLE: &str = include_str!("learning_hours.tsv");

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningHours {
    /// An O*NET technology category, or `*` for any other.
    pub category: &'static str,
    pub hours: u32,
    /// What the figure assumes, in a sentence.
    pub why: &'static str,
}

pub struct LearningTable {
    rows: HashMap<&'static str, LearningHours>,
    default: LearningHours,
}

impl LearningTable {
    /// The table, checked: the file is ours and compiled in, so a broken row
    /// is a bug the tests catch, not something a person can cause.
    pub fn new() -> Self {
        let mut rows = HashMap::new();
        for line in TABLE.lines().skip(1) {
            let mut cells = line.split('\t');
            let (Some(category), Some(hours), Some(why)) = (cells.next(), cells.next(), cells.next()) else {
                panic!("learning_hours.tsv: a row without three cells: {line:?}");
            };
            let hours = hours.parse().unwrap_or_else(|_| panic!("learning_hours.tsv: {hours:?} is not whole hours"));
            rows.insert(category, LearningHours { category, hours, why });
        }
        let default = rows.remove("*").expect("learning_hours.tsv has a `*` row for every other category");
        LearningTable { rows, default }
    }

    /// The row for a technology of `category`.
    pub fn for_category(&self, category: &str) -> &LearningHours {
        self.rows.get(category).unwrap_or(&self.default)
    }

    #[cfg(test)]
    fn categories(&self) -> impl Iterator<Item = &str> {
        self.rows.keys().copied()
    }
}

impl Default for LearningTable {
    fn default() -> Self {
        LearningTable::new()
    }
}

/// Weeks at `hours_per_week`, rounded up to the half week: an estimate
/// should not look more precise than it is.
pub fn weeks(hours: u32, hours_per_week: u8) -> f32 {
    let per_week = f32::from(hours_per_week.max(1));
    ((hours as f32 / per_week) * 2.0).ceil().max(1.0) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentor::onet::Onet;

    #[test]
    fn every_named_category_is_one_of_onets() {
        let onet = Onet::get().unwrap();
        let table = LearningTable::new();
        for category in table.categories() {
            assert!(
                onet.technologies().iter().any(|t| &*t.category == category),
                "{category:?} is not an O*NET category"
            );
        }
        assert_eq!(table.for_category("Spreadsheet software").hours, 20);
        assert_eq!(table.for_category("Label making software").category, "*");
    }

    #[test]
    fn weeks_round_up_to_the_half_week() {
        assert_eq!(weeks(20, 10), 2.0);
        assert_eq!(weeks(21, 10), 2.5);
        assert_eq!(weeks(1, 40), 0.5);
        assert_eq!(weeks(200, 0), 200.0, "no hours a week is read as one");
    }
}
