//! Live channels held open per key (a visitor, a client address): a
//! channel holds a connection and a follower for as long as it lasts, so
//! one client must not be able to hold them all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct Slots {
    max: usize,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open channel; its slot frees when this drops.
pub struct Slot {
    key: String,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl Slots {
    /// At most `max` channels open at once per key.
    pub fn new(max: usize) -> Self {
        Slots { max, open: Arc::default() }
    }

    /// A slot for `key`, or `None` when its channels are all open.
    pub fn take(&self, key: &str) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key.to_owned()).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Slot { key: key.to_owned(), open: self.open.clone() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_its_share_and_a_closed_channel_frees_its_slot() {
        let slots = Slots::new(2);
        let (a, b) = (slots.take("v1").unwrap(), slots.take("v1").unwrap());
        assert!(slots.take("v1").is_none(), "a third channel for the same key");
        assert!(slots.take("v2").is_some(), "another key is not affected");
        drop(a);
        assert!(slots.take("v1").is_some(), "a slot frees when its channel closes");
        drop(b);
        assert!(slots.open.lock().unwrap().is_empty(), "nothing is kept for keys with no channel");
    }
}
