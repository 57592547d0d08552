//! Tables whose memory is bounded whatever the log size.
//!
//! A month of a busy server's log can name millions of hosts, addresses and
//! subjects. [`BoundedMap`] keeps at most `cap` keys: when a new key would pass
//! the cap, the lighter half of the table is dropped (the idea of lossy
//! counting, simplified), and the map remembers that it dropped some. The keys
//! worth reporting, the heavy ones, survive; a key dropped and seen again
//! restarts from zero, so counts are exact when [`BoundedMap::dropped`] is 0
//! and lower bounds otherwise. [`CappedSet`] counts distinct values up to a cap.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use serde::Serialize;

/// What a [`BoundedMap`] ranks its values by.
pub trait Weight {
    /// The weight; the lightest entries are dropped first.
    fn weight(&self) -> u64;
}

impl Weight for u64 {
    fn weight(&self) -> u64 {
        *self
    }
}

/// Values that combine with a partial value counted elsewhere (see
/// [`BoundedMap::merge`]).
pub trait Merge {
    /// Adds `other`, counted over later input, into `self`.
    fn merge(&mut self, other: Self);
}

impl Merge for u64 {
    fn merge(&mut self, other: Self) {
        *self += other;
    }
}

/// A map of at most `cap` keys that drops its lightest half when full.
#[derive(Clone, Debug)]
pub struct BoundedMap<K, V> {
    map: HashMap<K, V>,
    cap: usize,
    dropped: u64,
}

impl<K: Hash + Eq + Clone + Ord, V: Default + Weight> BoundedMap<K, V> {
    /// An empty map holding at most `cap` keys (at least 2).
    pub fn new(cap: usize) -> Self {
        BoundedMap {
            map: HashMap::new(),
            cap: cap.max(2),
            dropped: 0,
        }
    }

    /// Applies `f` to the value of `key`, inserted as `V::default()` when
    /// absent (after dropping the lighter half if the map is full). A key
    /// already present costs no allocation.
    pub fn update<Q>(&mut self, key: &Q, f: impl FnOnce(&mut V))
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(v) = self.map.get_mut(key) {
            f(v);
            return;
        }
        if self.map.len() >= self.cap {
            self.prune();
        }
        let mut v = V::default();
        f(&mut v);
        self.map.insert(key.to_owned(), v);
    }

    /// Adds 1 to the count of `key` (for maps of counts).
    pub fn bump<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        V: std::ops::AddAssign<u64>,
    {
        self.update(key, |v| *v += 1);
    }

    /// The value of `key`, if present.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(key)
    }

    /// Adds every entry of `other` (counted over later input): values of
    /// keys in both are merged, the others inserted (pruning as
    /// [`BoundedMap::update`] does); the dropped counts add up.
    pub fn merge(&mut self, other: Self)
    where
        V: Merge,
    {
        self.dropped += other.dropped;
        let mut entries: Vec<(K, V)> = other.map.into_iter().collect();
        // Heaviest first, so a prune on the way keeps what matters; by key
        // for determinism.
        entries.sort_by(|a, b| b.1.weight().cmp(&a.1.weight()).then_with(|| a.0.cmp(&b.0)));
        for (k, v) in entries {
            if let Some(mine) = self.map.get_mut(&k) {
                mine.merge(v);
                continue;
            }
            if self.map.len() >= self.cap {
                self.prune();
            }
            self.map.insert(k, v);
        }
    }

    /// Drops the lighter half (ties broken by key, for determinism).
    fn prune(&mut self) {
        let mut keys: Vec<(u64, K)> = self
            .map
            .iter()
            .map(|(k, v)| (v.weight(), k.clone()))
            .collect();
        keys.sort_unstable();
        let remove = keys.len() - self.cap / 2;
        for (_, k) in keys.into_iter().take(remove) {
            self.map.remove(&k);
            self.dropped += 1;
        }
    }

    /// How many keys were dropped to stay under the cap (0: counts are exact).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The number of keys held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }

    /// The `n` heaviest entries with a weight of at least `min`, heaviest
    /// first, ties by key.
    pub fn top(&self, n: usize, min: u64) -> Vec<(&K, &V)> {
        let mut v: Vec<(&K, &V)> = self.map.iter().filter(|(_, v)| v.weight() >= min).collect();
        v.sort_by(|a, b| b.1.weight().cmp(&a.1.weight()).then_with(|| a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

/// Counts distinct strings, remembering at most `cap` of them.
#[derive(Clone, Debug, Default)]
pub struct CappedSet {
    set: HashSet<String>,
    cap: usize,
    saturated: bool,
}

impl CappedSet {
    /// An empty set remembering at most `cap` values.
    pub fn new(cap: usize) -> Self {
        CappedSet {
            set: HashSet::new(),
            cap,
            saturated: false,
        }
    }

    /// Adds a value (ignored, and the set marked saturated, once full).
    pub fn insert(&mut self, v: &str) {
        if self.set.contains(v) {
            return;
        }
        if self.set.len() >= self.cap {
            self.saturated = true;
            return;
        }
        self.set.insert(v.to_string());
    }

    /// Adds the values of `other`, up to the cap.
    pub fn merge(&mut self, other: CappedSet) {
        self.saturated |= other.saturated;
        for v in other.set {
            if self.set.len() >= self.cap {
                if !self.set.contains(&v) {
                    self.saturated = true;
                }
                continue;
            }
            self.set.insert(v);
        }
    }

    /// The count: exact, or a lower bound (`at_least`) once the cap was reached.
    pub fn count(&self) -> Distinct {
        Distinct {
            count: self.set.len() as u64,
            at_least: self.saturated,
        }
    }
}

/// A count of distinct values that may be a lower bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Distinct {
    /// Distinct values seen (up to the cap).
    pub count: u64,
    /// True when the cap was reached: there were at least `count`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub at_least: bool,
}

impl std::fmt::Display for Distinct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.at_least {
            write!(f, ">={}", self.count)
        } else {
            write!(f, "{}", self.count)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_maps_and_sets_equal_one_pass() {
        let words = ["a", "b", "a", "c", "b", "a", "d"];
        let mut whole: BoundedMap<String, u64> = BoundedMap::new(10);
        let mut whole_set = CappedSet::new(3);
        words.iter().for_each(|w| {
            whole.bump(*w);
            whole_set.insert(w);
        });
        let (mut left, mut right) = (BoundedMap::new(10), BoundedMap::new(10));
        let (mut left_set, mut right_set) = (CappedSet::new(3), CappedSet::new(3));
        for w in words.get(..3).unwrap_or_default() {
            left.bump(*w);
            left_set.insert(w);
        }
        for w in words.get(3..).unwrap_or_default() {
            right.bump(*w);
            right_set.insert(w);
        }
        left.merge(right);
        left_set.merge(right_set);
        assert_eq!(left.top(10, 1), whole.top(10, 1));
        assert_eq!(left.top(1, 1), vec![(&"a".to_string(), &3)]);
        assert_eq!(left_set.count(), whole_set.count());
        assert_eq!(left_set.count().to_string(), ">=3");
    }

    #[test]
    fn heavy_keys_survive_pruning() {
        let mut m: BoundedMap<String, u64> = BoundedMap::new(4);
        for _ in 0..10 {
            m.bump("heavy");
        }
        for i in 0..100 {
            m.bump(format!("light{i}").as_str());
        }
        assert!(m.len() <= 4);
        assert!(m.dropped() > 0);
        let top = m.top(1, 0);
        assert_eq!(
            top.first().map(|(k, v)| (k.as_str(), **v)),
            Some(("heavy", 10))
        );
    }

    #[test]
    fn exact_below_the_cap() {
        let mut m: BoundedMap<String, u64> = BoundedMap::new(10);
        for k in ["b", "a", "b", "c", "b", "a"] {
            m.bump(k);
        }
        assert_eq!(m.dropped(), 0);
        let top: Vec<(&str, u64)> = m
            .top(10, 2)
            .into_iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(top, [("b", 3), ("a", 2)]);
    }

    #[test]
    fn capped_set_counts_and_saturates() {
        let mut s = CappedSet::new(3);
        for v in ["a", "b", "a", "c"] {
            s.insert(v);
        }
        assert_eq!(
            s.count(),
            Distinct {
                count: 3,
                at_least: false
            }
        );
        s.insert("d");
        assert_eq!(s.count().to_string(), ">=3");
    }
}
