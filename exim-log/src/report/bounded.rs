//! Tables whose memory is bounded in bytes whatever the log.
//!
//! A month of a busy server's log can name millions of hosts, addresses and
//! subjects, and some of that text is written by strangers (a 50 KB sender, a
//! subject of any length). [`BoundedMap`] keeps at most `cap` keys and at most
//! its byte budget: when a new key would pass either, the lighter half of the
//! table is dropped (the idea of lossy counting, simplified), and the map
//! remembers that it dropped some. The keys worth reporting, the heavy ones,
//! survive; a key dropped and seen again restarts from zero, so counts are
//! exact when [`BoundedMap::dropped`] is 0 and lower bounds otherwise. A key
//! longer than [`MAX_KEY_BYTES`] is counted under its first bytes followed by
//! [`TRUNCATED`] ([`BoundedMap::truncated`] says how often). [`CappedSet`]
//! counts distinct values up to a cap, truncating long values the same way.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use crate::budget::{MemoryBudget, MemoryUse};
use crate::hash::Set;

/// The longest key (or distinct value) kept whole, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// What ends a key cut to [`MAX_KEY_BYTES`].
pub const TRUNCATED: &str = "...[truncated]";
/// The least bytes an entry of a [`BoundedMap`] is counted: its slot
/// (below) holds a `String` and a value of at least 8 bytes. So a table of a
/// budget can hold no more keys than the budget over this ([`key_cap`]).
const MIN_ENTRY_BYTES: usize = slot_bytes(std::mem::size_of::<String>() + 8);

/// What the allocator takes for a string of `len` bytes: glibc's chunk, the
/// size and an 8-byte header rounded up to 16, at least 32 (nothing for an
/// empty string, which allocates none). Counted as taken, not as asked: a
/// 10-byte key costs a 32-byte chunk.
const fn text_heap_bytes(len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let chunk = (len + 8 + 15) & !15;
    if chunk < 32 { 32 } else { chunk }
}

/// What an entry of `slot` bytes costs in a hash table at its emptiest:
/// hashbrown doubles its buckets when they are 7/8 full, so they are 7/16
/// full just after, and each bucket has a control byte. Counting this worst
/// case keeps the real memory under the count: with the 64 bytes an entry
/// was counted before, a `summary` of a million distinct recipients reached
/// 59.8 MB RSS at the 24 MiB budget, and `abuse-report` of AUTH failures from
/// a million IPs 67.6 MB (`scripts/bench-memory`).
const fn slot_bytes(slot: usize) -> usize {
    (slot + 1) * 16 / 7
}

/// What a [`BoundedMap`] ranks its values by.
pub trait Weight {
    /// The weight; the lightest entries are dropped first.
    fn weight(&self) -> u64;

    /// Bytes the value holds outside itself (nested tables, strings), so
    /// that the map counts them against its budget. 0 by default.
    fn heap_bytes(&self) -> usize {
        0
    }
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

/// Keys a [`BoundedMap`] can measure and cut.
pub trait Key {
    /// Bytes of the key's text.
    fn key_bytes(&self) -> usize;
}

impl Key for String {
    fn key_bytes(&self) -> usize {
        self.len()
    }
}

impl Key for str {
    fn key_bytes(&self) -> usize {
        self.len()
    }
}

/// `s` cut to [`MAX_KEY_BYTES`] (at a character boundary) and marked
/// [`TRUNCATED`]; `None` when it is short enough.
pub fn truncate_key(s: &str) -> Option<String> {
    if s.len() <= MAX_KEY_BYTES {
        return None;
    }
    let mut end = MAX_KEY_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!("{}{TRUNCATED}", s.get(..end).unwrap_or_default()))
}

/// A map of at most `cap` keys and about `max_bytes` bytes that drops its
/// lightest half when full.
///
/// Its entries are hashed by their key's bytes, so a key borrowed from a
/// log line is looked up as bytes ([`BoundedMap::update_bytes`]): decoded
/// (UTF-8 checked) and copied only when it is new.
#[derive(Clone, Debug)]
pub struct BoundedMap<K, V> {
    map: HashTable<(K, V)>,
    hasher: RandomState,
    cap: usize,
    max_bytes: usize,
    bytes: usize,
    dropped: u64,
    prunes: u64,
    truncated: u64,
    /// What came in since the report last shared its budget out
    /// ([`rebalance_budget`]; not report state: not serialized).
    growth: Growth,
}

/// The bytes a table took in: those it holds plus those its prunes freed,
/// and that sum when it was last read ([`Table::take_growth`]).
#[derive(Clone, Copy, Debug, Default)]
struct Growth {
    freed: u64,
    mark: u64,
}

/// The hash of a key: its bytes, one `write` (the same for a `&str`, a
/// `String` and the bytes of a line).
#[inline]
fn hash_bytes(hasher: &RandomState, key: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    h.write(key);
    h.finish()
}

/// [`hash_bytes`] of a stored key.
fn hash_key<K: AsRef<str>, V>(hasher: &RandomState) -> impl Fn(&(K, V)) -> u64 + '_ {
    move |(k, _)| hash_bytes(hasher, k.as_ref().as_bytes())
}

#[cfg(feature = "serde")]
mod state {
    //! The serde form of a [`BoundedMap`]: the one `derive` gave when it
    //! held a `HashMap` (its entries as a map, then its bounds and counts).
    use super::{BoundedMap, HashTable, RandomState, hash_key};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    struct Entries<'a, K, V>(&'a HashTable<(K, V)>);

    impl<K: Serialize, V: Serialize> Serialize for Entries<'_, K, V> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            // The length given first: binary formats (postcard, which the
            // Python package pickles reports with) need it.
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in self.0 {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }

    #[derive(Serialize)]
    struct Out<'a, K, V> {
        map: Entries<'a, K, V>,
        cap: usize,
        max_bytes: usize,
        bytes: usize,
        dropped: u64,
        prunes: u64,
        truncated: u64,
    }

    #[derive(Deserialize)]
    #[serde(bound(
        deserialize = "K: Deserialize<'de> + Eq + std::hash::Hash, V: Deserialize<'de>"
    ))]
    struct In<K, V> {
        map: crate::hash::Map<K, V>,
        cap: usize,
        max_bytes: usize,
        bytes: usize,
        dropped: u64,
        prunes: u64,
        truncated: u64,
    }

    impl<K: Serialize, V: Serialize> Serialize for BoundedMap<K, V> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            Out {
                map: Entries(&self.map),
                cap: self.cap,
                max_bytes: self.max_bytes,
                bytes: self.bytes,
                dropped: self.dropped,
                prunes: self.prunes,
                truncated: self.truncated,
            }
            .serialize(s)
        }
    }

    impl<'de, K, V> Deserialize<'de> for BoundedMap<K, V>
    where
        K: Deserialize<'de> + Eq + std::hash::Hash + AsRef<str>,
        V: Deserialize<'de>,
    {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let st = In::<K, V>::deserialize(d)?;
            let hasher = RandomState::default();
            let mut map = HashTable::with_capacity(st.map.len());
            for e in st.map {
                map.insert_unique(hash_key(&hasher)(&e), e, hash_key(&hasher));
            }
            Ok(BoundedMap {
                map,
                hasher,
                cap: st.cap,
                max_bytes: st.max_bytes,
                bytes: st.bytes,
                dropped: st.dropped,
                prunes: st.prunes,
                truncated: st.truncated,
                growth: super::Growth::default(),
            })
        }
    }
}

#[cfg(feature = "serde")]
impl<K: Clone + AsRef<str>, V> BoundedMap<K, V> {
    /// The same map with each value replaced by `f(value)`, its bounds and
    /// counts kept (report state written in another shape).
    pub(crate) fn map_values<W>(&self, f: impl Fn(&V) -> W) -> BoundedMap<K, W> {
        let mut map = HashTable::with_capacity(self.map.len());
        for (k, v) in &self.map {
            let e = (k.clone(), f(v));
            map.insert_unique(hash_key(&self.hasher)(&e), e, hash_key(&self.hasher));
        }
        BoundedMap {
            map,
            hasher: self.hasher.clone(),
            cap: self.cap,
            max_bytes: self.max_bytes,
            bytes: self.bytes,
            dropped: self.dropped,
            prunes: self.prunes,
            truncated: self.truncated,
            growth: self.growth,
        }
    }
}

impl<K: Hash + Eq + Clone + Ord + Key + AsRef<str>, V: Default + Weight> BoundedMap<K, V> {
    /// An empty map holding at most `cap` keys (at least 2), without a byte
    /// budget (see [`BoundedMap::with_max_bytes`]).
    pub fn new(cap: usize) -> Self {
        BoundedMap {
            map: HashTable::new(),
            hasher: RandomState::default(),
            cap: cap.max(2),
            max_bytes: usize::MAX,
            bytes: 0,
            dropped: 0,
            prunes: 0,
            truncated: 0,
            growth: Growth::default(),
        }
    }

    /// An empty table of a report with `budget`: its bytes bound it (the
    /// report shares the budget out to it), never its count of keys
    /// ([`key_cap`]).
    pub fn for_budget(budget: MemoryBudget) -> Self {
        BoundedMap::new(key_cap(budget))
    }

    /// The same map holding at most about `max_bytes` bytes of keys and values.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Sets the byte budget (pruning at once if the map is over it).
    pub fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes;
        if self.bytes > self.max_bytes {
            self.prune();
        }
    }

    /// What the table holds and how often its budget was hit.
    pub fn usage(&self) -> TableUse {
        TableUse {
            bytes: self.bytes,
            prunes: self.prunes,
            truncated: self.truncated,
        }
    }

    /// What an entry costs: its key's text as allocated, its slot in the
    /// table (the key's and value's headers) at the table's emptiest, and
    /// what its value holds outside itself.
    fn entry_bytes(k: &K, v: &V) -> usize {
        text_heap_bytes(k.key_bytes()) + slot_bytes(std::mem::size_of::<(K, V)>()) + v.heap_bytes()
    }

    fn full(&self) -> bool {
        self.map.len() >= self.cap || self.bytes > self.max_bytes
    }

    /// Applies `f` to the value of the key whose bytes are `key` (hashed
    /// `hash`), keeping the byte count and pruning if the value grew past
    /// the budget; gives `f` back when the key is absent.
    #[inline]
    fn try_apply<F: FnOnce(&mut V)>(&mut self, hash: u64, key: &[u8], f: F) -> Option<F> {
        let Some((_, v)) = self
            .map
            .find_mut(hash, |(k, _)| k.as_ref().as_bytes() == key)
        else {
            return Some(f);
        };
        let before = v.heap_bytes();
        f(v);
        let after = v.heap_bytes();
        self.bytes = (self.bytes + after).saturating_sub(before);
        if self.bytes > self.max_bytes {
            self.prune();
        }
        None
    }

    /// Applies `f` to the value of `key`, inserted as `V::default()` when
    /// absent (after dropping the lighter half if the map is full). A key
    /// already present costs no allocation; a key longer than
    /// [`MAX_KEY_BYTES`] is counted under its truncated form.
    pub fn update<Q>(&mut self, key: &Q, f: impl FnOnce(&mut V))
    where
        K: Borrow<Q> + From<String>,
        Q: Hash + Eq + ToOwned<Owned = K> + AsRef<str> + ?Sized,
    {
        if let Some(cut) = truncate_key(key.as_ref()) {
            self.truncated += 1;
            let hash = hash_bytes(&self.hasher, cut.as_bytes());
            if let Some(f) = self.try_apply(hash, cut.as_bytes(), f) {
                self.insert_new(hash, K::from(cut), f);
            }
            return;
        }
        self.update_uncut(key, f);
    }

    /// [`BoundedMap::update`] with a key of another map of this kind (a
    /// merge): cut already if it was long, so not cut, or counted in
    /// `truncated`, a second time.
    pub(crate) fn update_key(&mut self, key: &K, f: impl FnOnce(&mut V)) {
        self.update_uncut(key, f);
    }

    fn update_uncut<Q>(&mut self, key: &Q, f: impl FnOnce(&mut V))
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + AsRef<str> + ?Sized,
    {
        let bytes = key.as_ref().as_bytes();
        let hash = hash_bytes(&self.hasher, bytes);
        if let Some(f) = self.try_apply(hash, bytes, f) {
            self.insert_new(hash, key.to_owned(), f);
        }
    }

    /// Inserts `key` (hashed `hash`, absent) with `f` applied to a default
    /// value.
    fn insert_new(&mut self, hash: u64, key: K, f: impl FnOnce(&mut V)) {
        if self.full() {
            self.prune();
        }
        let mut v = V::default();
        f(&mut v);
        self.bytes += Self::entry_bytes(&key, &v);
        self.map
            .insert_unique(hash, (key, v), hash_key(&self.hasher));
    }

    /// Adds 1 to the count of `key` (for maps of counts).
    pub fn bump<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q> + From<String>,
        Q: Hash + Eq + ToOwned<Owned = K> + AsRef<str> + ?Sized,
        V: std::ops::AddAssign<u64>,
    {
        self.update(key, |v| *v += 1);
    }

    /// The value of `key`, if present.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: AsRef<str> + ?Sized,
    {
        let bytes = key.as_ref().as_bytes();
        self.map
            .find(hash_bytes(&self.hasher, bytes), |(k, _)| {
                k.as_ref().as_bytes() == bytes
            })
            .map(|(_, v)| v)
    }

    /// Adds every entry of `other` (counted over later input): values of
    /// keys in both are merged, the others inserted (pruning as
    /// [`BoundedMap::update`] does); the dropped counts add up.
    pub fn merge(&mut self, other: Self)
    where
        V: Merge,
    {
        self.dropped += other.dropped;
        self.prunes += other.prunes;
        self.truncated += other.truncated;
        // Both fit together (a key present in both is held once, and a
        // merged value holds no more than its two parts): no prune follows.
        let fits = self.map.len().saturating_add(other.map.len()) <= self.cap
            && self.bytes.saturating_add(other.bytes) <= self.max_bytes;
        if fits && self.map.is_empty() {
            // The first partial merged into an empty total: taken as it is
            // (with its hasher, which its entries were placed by), its
            // bytes counted as the inserts below would count them.
            self.bytes += other
                .map
                .iter()
                .map(|(k, v)| Self::entry_bytes(k, v))
                .sum::<usize>();
            self.map = other.map;
            self.hasher = other.hasher;
            return;
        }
        // The entries in the order they come, each found with one hash; when
        // they are too many for the caps, the lightest of them all are
        // dropped at once after, down to the caps (not to half of them, as a
        // prune on the way would). The entries were in memory already
        // (`other`'s map), so the table holds no more than both parts did.
        // (Sorting the incoming entries heaviest first and pruning on the
        // way cost a sort by key, a second lookup of every entry, and
        // prunes: with tables that keep what fits in the budget, a tenth of
        // `summary --threads 2`.)
        for (k, v) in other.map {
            self.merge_entry(k, v);
        }
        if self.map.len() > self.cap || self.bytes > self.max_bytes {
            self.prune_to(self.cap, self.max_bytes);
        }
    }

    /// Merges `v` into the value of `k`, or inserts it (the caller prunes
    /// after, if need be).
    fn merge_entry(&mut self, k: K, v: V)
    where
        V: Merge,
    {
        use hashbrown::hash_table::Entry;
        let hash = hash_bytes(&self.hasher, k.as_ref().as_bytes());
        let entry = self.map.entry(
            hash,
            |(key, _)| key.as_ref().as_bytes() == k.as_ref().as_bytes(),
            hash_key(&self.hasher),
        );
        match entry {
            Entry::Occupied(mut e) => {
                let mine = &mut e.get_mut().1;
                let before = mine.heap_bytes();
                mine.merge(v);
                self.bytes = (self.bytes + mine.heap_bytes()).saturating_sub(before);
            }
            Entry::Vacant(e) => {
                self.bytes += Self::entry_bytes(&k, &v);
                e.insert((k, v));
            }
        }
    }

    /// Drops the lighter entries (ties broken by key, for determinism) until
    /// at most half the cap and half the byte budget are used.
    fn prune(&mut self) {
        self.prune_to(self.cap / 2, self.max_bytes / 2);
    }

    /// Drops the lighter entries (ties broken by key) until at most `keys`
    /// keys and `max_bytes` bytes are held.
    fn prune_to(&mut self, keys: usize, max_bytes: usize) {
        self.prunes += 1;
        // The entries lightest first, by reference: which ones go is
        // decided before any is removed, so no key is cloned (a prune of a
        // table of 50,000 keys cloned every one of them).
        let mut order: Vec<(u64, &K, usize)> = self
            .map
            .iter()
            .map(|(k, v)| (v.weight(), k, Self::entry_bytes(k, v)))
            .collect();
        let (total, bytes) = (order.len(), self.bytes);
        let (gone, freed) = lightest_first(&mut order, |n, freed| {
            total.saturating_sub(n) <= keys && bytes.saturating_sub(freed) <= max_bytes
        });
        // The first entry kept: the least (weight, key) of the rest.
        let keep_from = order
            .get(gone..)
            .unwrap_or_default()
            .iter()
            .map(|&(w, k, _)| (w, k))
            .min()
            .map(|(w, k)| (w, k.clone()));
        match keep_from {
            None => self.map.clear(),
            Some((w, ref k)) => self.map.retain(|(key, v)| (v.weight(), &*key) >= (w, k)),
        }
        self.bytes = bytes.saturating_sub(freed);
        self.growth.freed = self.growth.freed.saturating_add(freed as u64);
        self.dropped += gone as u64;
        // A table's buckets stay as many as it held at most: given back
        // here, or a table whose budget was shared to the others (or that
        // dropped half its keys) would keep memory its count says is free.
        self.map.shrink_to_fit(hash_key(&self.hasher));
    }

    /// How many keys were dropped to stay under the cap or the byte budget
    /// (0: counts are exact).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// How many times the table was pruned.
    pub fn prunes(&self) -> u64 {
        self.prunes
    }

    /// How many updates were counted under a truncated key.
    pub fn truncated(&self) -> u64 {
        self.truncated
    }

    /// Bytes held (keys, values, their nested tables), as counted.
    pub fn bytes(&self) -> usize {
        self.bytes
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
        self.map.iter().map(|(k, v)| (k, v))
    }

    /// The `n` heaviest entries with a weight of at least `min`, heaviest
    /// first, ties by key.
    pub fn top(&self, n: usize, min: u64) -> Vec<(&K, &V)> {
        let mut v: Vec<(&K, &V)> = self.iter().filter(|(_, v)| v.weight() >= min).collect();
        let order =
            |a: &(&K, &V), b: &(&K, &V)| b.1.weight().cmp(&a.1.weight()).then_with(|| a.0.cmp(b.0));
        // Only the first `n` are sorted: a table of 50,000 recipients is
        // partitioned around the n-th in linear time, not sorted whole.
        if n < v.len() {
            v.select_nth_unstable_by(n, order);
            v.truncate(n);
        }
        v.sort_unstable_by(order);
        v
    }
}

/// Keys borrowed from log lines.
impl<V: Default + Weight> BoundedMap<String, V> {
    /// [`BoundedMap::update`] of a key given as the bytes of a log line,
    /// decoded as [`crate::Text::to_string_lossy`] decodes them (invalid
    /// UTF-8 replaced): a key already present is found by its bytes,
    /// without decoding or copying them.
    pub fn update_bytes(&mut self, key: &[u8], f: impl FnOnce(&mut V)) {
        // A key held is valid UTF-8 and, unless cut, at most
        // `MAX_KEY_BYTES` long (a cut one is longer): bytes this short that
        // match one are that key whatever the decoding.
        if key.len() <= MAX_KEY_BYTES {
            let hash = hash_bytes(&self.hasher, key);
            let Some(f) = self.try_apply(hash, key, f) else {
                return;
            };
            match std::str::from_utf8(key) {
                Ok(s) => self.insert_new(hash, s.to_owned(), f),
                Err(_) => self.update(&*crate::text::lossy(key), f),
            }
            return;
        }
        self.update(&*crate::text::lossy(key), f);
    }

    /// [`BoundedMap::bump`] of a key given as bytes (see
    /// [`BoundedMap::update_bytes`]).
    pub fn bump_bytes(&mut self, key: &[u8])
    where
        V: std::ops::AddAssign<u64>,
    {
        self.update_bytes(key, |v| *v += 1);
    }
}

/// Orders `entries` (weight, key, bytes) so that their first `n` are the
/// `n` least by (weight, key), for the fewest `n` for which
/// `enough(n, their bytes)` holds (`enough` holds of more when it holds of
/// fewer); returns `n` (every entry when it never holds) and their bytes.
///
/// The order within the first `n` and within the rest is left loose: a
/// prune needs only which entries go. Sorting them all by (weight, key)
/// compared keys (strings, scattered in memory: a cache miss or two each)
/// n log n times: 4% of `exim-log summary`'s instructions on a 160 MB
/// generated log whose tables were pruned 9 times (callgrind), more of its
/// time. Here the weights are sorted alone, whole weights go at once, and
/// keys are compared only within the one weight where the cut falls, by a
/// search of selections (about 2n comparisons in all, not n log n).
fn lightest_first<K: Ord>(
    entries: &mut [(u64, &K, usize)],
    enough: impl Fn(usize, usize) -> bool,
) -> (usize, usize) {
    entries.sort_unstable_by_key(|e| e.0);
    let (mut n, mut freed) = (0, 0);
    while !enough(n, freed) {
        let Some(&(w, _, _)) = entries.get(n) else {
            return (n, freed);
        };
        let group = entries.get_mut(n..).unwrap_or_default();
        let len = group.partition_point(|e| e.0 == w);
        let group = group.get_mut(..len).unwrap_or_default();
        let group_bytes: usize = group.iter().map(|e| e.2).sum();
        if !enough(n + len, freed + group_bytes) {
            (n, freed) = (n + len, freed + group_bytes);
            continue;
        }
        // The cut is in this weight: its first `hi` by key go, `hi` the
        // fewest enough. Kept true: `group[..lo]` are its `lo` least keys
        // (`lo_bytes` theirs), every key of `group[hi..]` is above those of
        // `group[..hi]`, and the fewest enough is in `lo + 1..=hi`.
        let (mut lo, mut hi, mut lo_bytes) = (0, len, 0);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let part = group.get_mut(lo..hi).unwrap_or_default();
            part.select_nth_unstable_by(mid - lo, |a, b| a.1.cmp(b.1));
            let mid_bytes = lo_bytes
                + part
                    .get(..mid - lo)
                    .unwrap_or_default()
                    .iter()
                    .map(|e| e.2)
                    .sum::<usize>();
            if enough(n + mid, freed + mid_bytes) {
                hi = mid;
            } else {
                (lo, lo_bytes) = (mid, mid_bytes);
            }
        }
        let last = group.get(lo).map_or(0, |e| e.2);
        return (n + hi, freed + lo_bytes + last);
    }
    (n, freed)
}

/// A table of a report, whatever its key and value types: what a report
/// needs to share its budget among its tables and to add up usage.
pub trait Table {
    /// Sets the table's byte budget.
    fn set_max_bytes(&mut self, max_bytes: usize);
    /// What it holds and how often its limits were hit.
    fn usage(&self) -> TableUse;
    /// Keys dropped to stay under its limits.
    fn dropped(&self) -> u64;
    /// The bytes it took in since the last call (what it holds more, plus
    /// what its prunes freed): how fast it grows, for [`rebalance_budget`].
    fn take_growth(&mut self) -> u64;
}

impl<K: Hash + Eq + Clone + Ord + Key + AsRef<str>, V: Default + Weight> Table
    for BoundedMap<K, V>
{
    fn set_max_bytes(&mut self, max_bytes: usize) {
        BoundedMap::set_max_bytes(self, max_bytes);
    }
    fn usage(&self) -> TableUse {
        BoundedMap::usage(self)
    }
    fn dropped(&self) -> u64 {
        BoundedMap::dropped(self)
    }
    fn take_growth(&mut self) -> u64 {
        let inflow = (self.bytes as u64).saturating_add(self.growth.freed);
        let g = inflow.saturating_sub(self.growth.mark);
        self.growth.mark = inflow;
        g
    }
}

/// Most keys a table of a report with `budget` holds: as many as the whole
/// budget could account for at the least an entry is counted
/// (`MIN_ENTRY_BYTES`), so a table's byte share, not a count of keys,
/// decides when it prunes. (A fixed cap of 50,000 keys, scaled with the
/// budget, made `summary` approximate on a month of a busy server's log
/// while its tables held 17 MB of a 24 MiB budget.)
pub fn key_cap(budget: MemoryBudget) -> usize {
    (budget.get() / MIN_ENTRY_BYTES).max(2)
}

/// Items (lines, messages) a report counts between two calls of
/// [`rebalance_budget`] (each call reads every table: a few hundred
/// instructions, well under one an item).
pub const REBALANCE_EVERY: u32 = 1024;

/// Counts a report's items and says when to share its budget out again.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RebalanceClock(u32);

impl RebalanceClock {
    /// Counts an item: true at every [`REBALANCE_EVERY`]th.
    #[inline]
    pub(crate) fn due(&mut self) -> bool {
        self.0 += 1;
        if self.0 < REBALANCE_EVERY {
            return false;
        }
        self.0 = 0;
        true
    }
}

/// Shares `budget` among `tables` by what they hold and how fast they grow.
///
/// Table `i` may hold what it holds now plus `coming[i]` (what a merge is
/// about to add to it; an empty slice: nothing), plus a part of the bytes
/// no table holds: parts in proportion to what each took in since the last
/// call ([`Table::take_growth`]) plus an eighth of its first share
/// (`weights[i]`, in bytes: the shares the report gave at first), so a quiet table
/// keeps some room and a busy one gets most of it.
///
/// The caps add up to at most `budget`, as fixed shares did, so memory
/// stays bounded; but a table that grows while the others stay small takes
/// their room instead of dropping its entries. With fixed shares, `summary`
/// over a 160 MB log pruned its tables 9 times while they held 6.9 of its
/// 24 MiB, and said its result was approximate for no lack of memory. When
/// the tables need more than `budget`, each gets a part of it in
/// proportion to its need (the merge or the next insert prunes it to that).
pub fn rebalance_budget(
    tables: &mut [&mut dyn Table],
    coming: &[usize],
    budget: usize,
    weights: &[usize],
) {
    let need = |i: usize, t: &dyn Table| {
        t.usage()
            .bytes
            .saturating_add(coming.get(i).copied().unwrap_or(0))
    };
    let total: usize = tables
        .iter()
        .enumerate()
        .map(|(i, t)| need(i, &**t))
        .fold(0, usize::saturating_add);
    let pulls: Vec<u128> = tables
        .iter_mut()
        .enumerate()
        .map(|(i, t)| {
            let base = weights.get(i).copied().unwrap_or(0) as u128 / 8;
            u128::from(t.take_growth()) + base
        })
        .collect();
    let pull: u128 = pulls.iter().sum::<u128>().max(1);
    // `x * num / den` in u128: no overflow, and parts of `x` add up to at
    // most `x` (each rounded down).
    let part = |x: usize, num: u128, den: u128| -> usize {
        usize::try_from(x as u128 * num / den.max(1)).unwrap_or(usize::MAX)
    };
    let free = budget.saturating_sub(total);
    for (i, t) in tables.iter_mut().enumerate() {
        let n = need(i, &**t);
        let cap = if total <= budget {
            n.saturating_add(part(free, pulls.get(i).copied().unwrap_or(0), pull))
        } else {
            part(budget, n as u128, total as u128)
        };
        t.set_max_bytes(cap);
    }
}

/// How a report kept to its memory budget: the closing fields of the summary,
/// spam-sources and abuse reports, one struct so that each computes and
/// renders them alike (serde `flatten` keeps them top-level keys of its JSON).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Bounds {
    /// True when a table dropped light entries to bound memory (counts of the
    /// rows shown are then lower bounds).
    pub approximate: bool,
    /// Updates counted under a key cut to its first 256 bytes (marked
    /// `...[truncated]`).
    pub truncated_keys: u64,
    /// The tables' memory: budget, bytes held, hits (prunes, truncations).
    pub memory: MemoryUse,
}

impl Bounds {
    /// The bounds of a report made of `tables`.
    pub fn of(tables: &[&dyn Table], budget: MemoryBudget) -> Bounds {
        let used: TableUse = tables.iter().map(|t| t.usage()).sum();
        Bounds {
            approximate: tables.iter().any(|t| t.dropped() > 0),
            truncated_keys: used.truncated,
            memory: used.memory(budget),
        }
    }
}

/// What a table holds and how often its limits were hit (see
/// [`BoundedMap::usage`]); tables of one report add up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableUse {
    /// Bytes held.
    pub bytes: usize,
    /// Prunes (lighter half dropped).
    pub prunes: u64,
    /// Updates counted under a truncated key.
    pub truncated: u64,
}

impl std::ops::Add for TableUse {
    type Output = TableUse;
    fn add(self, o: TableUse) -> TableUse {
        TableUse {
            bytes: self.bytes + o.bytes,
            prunes: self.prunes + o.prunes,
            truncated: self.truncated + o.truncated,
        }
    }
}

impl std::iter::Sum for TableUse {
    fn sum<I: Iterator<Item = TableUse>>(iter: I) -> TableUse {
        iter.fold(TableUse::default(), |a, b| a + b)
    }
}

impl TableUse {
    /// The report's ledger for `budget`: held bytes, hits = prunes and
    /// truncations.
    pub fn memory(&self, budget: MemoryBudget) -> MemoryUse {
        MemoryUse {
            budget: budget.get(),
            held: self.bytes,
            peak: self.bytes,
            hits: self.prunes + self.truncated,
        }
    }
}

/// Counts distinct strings, remembering at most `cap` of them (long ones
/// under their first [`MAX_KEY_BYTES`] bytes).
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CappedSet {
    set: Set<String>,
    cap: usize,
    saturated: bool,
    bytes: usize,
}

impl CappedSet {
    /// An empty set remembering at most `cap` values.
    pub fn new(cap: usize) -> Self {
        CappedSet {
            set: Set::default(),
            cap,
            saturated: false,
            bytes: 0,
        }
    }

    /// What a value of `len` bytes costs, as a [`BoundedMap`] entry does.
    fn value_bytes(len: usize) -> usize {
        text_heap_bytes(len) + slot_bytes(std::mem::size_of::<String>())
    }

    /// Adds a value (ignored, and the set marked saturated, once full).
    pub fn insert(&mut self, v: &str) {
        if let Some(cut) = truncate_key(v) {
            return self.insert_owned(cut);
        }
        // Looked up once, allocated only when new (not looked up again by
        // `insert_owned`).
        if self.set.contains(v) {
            return;
        }
        if self.set.len() >= self.cap {
            self.saturated = true;
            return;
        }
        self.bytes += Self::value_bytes(v.len());
        self.set.insert(v.to_string());
    }

    fn insert_owned(&mut self, v: String) {
        // Below the cap, one lookup: the insert says whether it was new.
        if self.set.len() < self.cap {
            let n = v.len();
            if self.set.insert(v) {
                self.bytes += Self::value_bytes(n);
            }
        } else if !self.set.contains(&v) {
            self.saturated = true;
        }
    }

    /// Adds the values of `other`, up to the cap.
    pub fn merge(&mut self, other: CappedSet) {
        self.saturated |= other.saturated;
        if self.set.is_empty() && other.set.len() <= self.cap {
            // Nothing to look up: the other set as it is.
            self.set = other.set;
            self.bytes += other.bytes;
            return;
        }
        for v in other.set {
            self.insert_owned(v);
        }
    }

    /// Bytes held, as counted.
    pub fn bytes(&self) -> usize {
        self.bytes
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Distinct {
    /// Distinct values seen (up to the cap).
    pub count: u64,
    /// True when the cap was reached: there were at least `count`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
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

    // Entry costs worked out by hand from the layout (x86-64), to check the
    // counting against: a 1-byte key's text takes glibc's least chunk, 32
    // bytes; a `(String, u64)` slot is 24 + 8 bytes and a control byte, at
    // 7/16 full (just after the table doubled): 33 * 16 / 7 = 75; a
    // `String` slot of a set: 25 * 16 / 7 = 57.
    const U64_SLOT: usize = 75;
    const STRING_SLOT: usize = 57;
    /// A `BoundedMap<String, u64>` entry of a 1-byte key.
    const ONE_BYTE_KEY: usize = 32 + U64_SLOT;
    /// A `CappedSet` value of 1 byte.
    const ONE_BYTE_VALUE: usize = 32 + STRING_SLOT;

    #[test]
    fn entries_cost_what_the_allocator_and_the_table_take() {
        assert_eq!(text_heap_bytes(0), 0);
        assert_eq!(text_heap_bytes(1), 32);
        assert_eq!(text_heap_bytes(24), 32);
        assert_eq!(text_heap_bytes(25), 48);
        assert_eq!(text_heap_bytes(40), 48);
        assert_eq!(text_heap_bytes(41), 64);
        let mut m: BoundedMap<String, u64> = BoundedMap::new(10);
        m.bump("a");
        m.bump(&"x".repeat(30));
        assert_eq!(m.bytes(), ONE_BYTE_KEY + 48 + U64_SLOT);
        let mut set = CappedSet::new(10);
        set.insert("a");
        assert_eq!(set.bytes(), ONE_BYTE_VALUE);
    }

    /// Keys as a log may give them: short and long (around the cut at
    /// `MAX_KEY_BYTES`, with a multi-byte character across it), valid
    /// UTF-8 or not, some equal to the text a cut key is kept under.
    fn byte_keys() -> Vec<Vec<u8>> {
        let mut keys: Vec<Vec<u8>> = vec![
            b"local".to_vec(),
            b"".to_vec(),
            b"mx1.example.net".to_vec(),
            "h\u{e9}llo".as_bytes().to_vec(),
            b"bad\xff\xfebytes".to_vec(),
            b"bad\xef\xbf\xbd\xef\xbf\xbdbytes".to_vec(),
            b"\xc3".to_vec(),
        ];
        for len in [MAX_KEY_BYTES - 1, MAX_KEY_BYTES, MAX_KEY_BYTES + 1, 300] {
            keys.push(vec![b'x'; len]);
            let mut k = vec![b'y'; len - 2];
            k.extend_from_slice("\u{e9}".as_bytes());
            keys.push(k);
            let mut k = vec![b'z'; len - 1];
            k.push(0xff);
            keys.push(k);
        }
        // The text a cut key is counted under, given as a key itself.
        let cut = truncate_key(&"x".repeat(300)).unwrap_or_default();
        keys.push(cut.into_bytes());
        keys
    }

    #[test]
    fn keys_as_bytes_count_as_their_decoded_text() {
        let keys = byte_keys();
        let mut by_bytes: BoundedMap<String, u64> = BoundedMap::new(1000);
        let mut by_text: BoundedMap<String, u64> = BoundedMap::new(1000);
        // Each key several times, interleaved, so both hits and misses run.
        for round in 0..3 {
            for (i, k) in keys.iter().enumerate() {
                if (i + round) % 2 == 0 {
                    by_bytes.bump_bytes(k);
                    by_text.bump(&*String::from_utf8_lossy(k));
                }
                by_bytes.update_bytes(k, |v| *v += 10);
                by_text.update(&*String::from_utf8_lossy(k), |v| *v += 10);
            }
        }
        let entries = |m: &BoundedMap<String, u64>| {
            let mut e: Vec<(String, u64)> = m.iter().map(|(k, v)| (k.clone(), *v)).collect();
            e.sort();
            e
        };
        assert_eq!(entries(&by_bytes), entries(&by_text));
        assert_eq!(by_bytes.usage(), by_text.usage());
        assert!(by_bytes.truncated() > 0);
        assert_eq!(by_bytes.get("local"), Some(&32));
        assert_eq!(by_bytes.get("bad\u{fffd}\u{fffd}bytes"), Some(&63));
    }

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
    fn a_partial_merged_into_an_empty_map_is_taken_whole() {
        let mut part: BoundedMap<String, u64> = BoundedMap::new(10);
        for k in ["b", "a", "b", "c"] {
            part.bump(k);
        }
        let mut total: BoundedMap<String, u64> = BoundedMap::new(10);
        total.merge(part.clone());
        assert_eq!(total.top(10, 0), part.top(10, 0));
        // Three keys of one byte: each counted once, as by three inserts.
        assert_eq!(total.bytes(), 3 * ONE_BYTE_KEY);
        assert_eq!(total.bytes(), part.bytes());
        assert_eq!(total.dropped(), 0);
        // A later merge still adds up.
        total.merge(part);
        assert_eq!(total.get("b"), Some(&4));
        assert_eq!(total.bytes(), 3 * ONE_BYTE_KEY);
    }

    /// `lightest_first` against the plain way: every entry sorted by
    /// (weight, key), dropped in that order until enough. Tables of few
    /// weights (long runs of ties, the cut inside one) and of many, cut by
    /// count, by bytes or both, at every threshold.
    #[test]
    fn lightest_first_drops_what_a_full_sort_drops() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..400 {
            let len = usize::try_from(next(40)).unwrap_or(0);
            let weights = 1 + next(if case % 2 == 0 { 3 } else { 50 });
            let keys: Vec<String> = (0..len).map(|i| format!("k{}-{i}", next(1000))).collect();
            let entries: Vec<(u64, &String, usize)> = keys
                .iter()
                .map(|k| (next(weights), k, 1 + usize::try_from(next(20)).unwrap_or(0)))
                .collect();
            let total_bytes: usize = entries.iter().map(|e| e.2).sum();
            for (max_n, max_bytes) in [
                (next(45) as usize, usize::MAX),
                (usize::MAX, next(total_bytes as u64 + 2) as usize),
                (next(45) as usize, next(total_bytes as u64 + 2) as usize),
            ] {
                let enough = |n: usize, freed: usize| {
                    len.saturating_sub(n) <= max_n && total_bytes.saturating_sub(freed) <= max_bytes
                };
                let mut sorted = entries.clone();
                sorted.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
                let (mut want, mut freed) = (0, 0);
                for e in &sorted {
                    if enough(want, freed) {
                        break;
                    }
                    want += 1;
                    freed += e.2;
                }
                let mut ours = entries.clone();
                let (n, ours_freed) = lightest_first(&mut ours, enough);
                assert_eq!(n, want, "case {case}");
                assert_eq!(ours_freed, freed, "case {case}");
                let mut gone: Vec<(u64, &String)> =
                    ours.iter().take(n).map(|e| (e.0, e.1)).collect();
                gone.sort_unstable();
                let want_gone: Vec<(u64, &String)> =
                    sorted.iter().take(want).map(|e| (e.0, e.1)).collect();
                assert_eq!(gone, want_gone, "case {case}");
            }
        }
    }

    #[test]
    fn a_merge_past_the_cap_keeps_the_heaviest() {
        // 3 + 3 keys into a cap of 4: the merge must prune on the way, and
        // the heavy keys of the partial come first, so they survive.
        let mut total: BoundedMap<String, u64> = BoundedMap::new(4);
        for k in ["x", "y", "z"] {
            total.bump(k);
        }
        let mut part: BoundedMap<String, u64> = BoundedMap::new(4);
        for (k, n) in [("h1", 9), ("h2", 8), ("l", 1)] {
            for _ in 0..n {
                part.bump(k);
            }
        }
        total.merge(part);
        assert!(total.dropped() > 0);
        assert!(total.len() <= 4);
        let top: Vec<(&str, u64)> = total
            .top(2, 0)
            .into_iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(top, [("h1", 9), ("h2", 8)]);
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

    /// A prune drops the lightest entries first, ties by key, down to half
    /// the cap, and the bytes held are those of the entries kept.
    #[test]
    fn a_prune_drops_the_lightest_then_the_first_keys() {
        let mut m: BoundedMap<String, u64> = BoundedMap::new(6);
        for (k, n) in [("f", 1), ("b", 1), ("e", 3), ("d", 1), ("a", 2), ("c", 1)] {
            for _ in 0..n {
                m.bump(k);
            }
        }
        assert_eq!((m.len(), m.dropped()), (6, 0));
        // Full: the seventh key prunes to 3 keys first. Weight 1 goes first
        // (b, c, d, f), in key order, until 3 are left: b, c, d.
        m.bump("g");
        let mut left: Vec<(&str, u64)> = m.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        left.sort_unstable();
        assert_eq!(left, [("a", 2), ("e", 3), ("f", 1), ("g", 1)]);
        assert_eq!((m.dropped(), m.prunes()), (3, 1));
        assert_eq!(m.bytes(), 4 * ONE_BYTE_KEY);
    }

    /// A byte budget prunes by bytes: down to half the budget.
    #[test]
    fn a_prune_by_bytes_keeps_half_the_budget() {
        let entry = ONE_BYTE_KEY;
        let mut m: BoundedMap<String, u64> = BoundedMap::new(100).with_max_bytes(5 * entry);
        for (i, k) in ["a", "b", "c", "d", "e", "f"].iter().enumerate() {
            for _ in 0..=i {
                m.bump(*k);
            }
        }
        // `f` came in as a sixth entry (the budget was not passed yet), and
        // its second count passed it: pruned to half the budget (2.5
        // entries), lightest first, ties by key: a (1), b (2), f (2), c
        // (3). `f`, seen again, restarts from zero: 4 counts.
        let mut left: Vec<(&str, u64)> = m.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        left.sort_unstable();
        assert_eq!(left, [("d", 4), ("e", 5), ("f", 4)]);
        assert_eq!((m.dropped(), m.bytes()), (4, 3 * entry));
    }

    #[test]
    fn merged_sets_count_once_whatever_is_empty() {
        let (mut empty, mut part, mut other) =
            (CappedSet::new(3), CappedSet::new(3), CappedSet::new(3));
        for v in ["a", "b"] {
            part.insert(v);
        }
        for v in ["b", "c", "d"] {
            other.insert(v);
        }
        empty.merge(part.clone());
        assert_eq!((empty.count().count, empty.bytes()), (2, part.bytes()));
        assert!(!empty.count().at_least);
        // b is there; one of c and d fills the set, the other saturates it.
        empty.merge(other);
        assert_eq!(empty.count().to_string(), ">=3");
        assert_eq!(empty.bytes(), 3 * ONE_BYTE_VALUE);
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

    #[test]
    fn keys_measure_their_bytes() {
        assert_eq!(<str as Key>::key_bytes("h\u{e9}"), 3);
        assert_eq!("abcd".to_string().key_bytes(), 4);
    }

    /// A byte budget reached exactly is not passed: no prune on an update,
    /// an insert or a new budget equal to what is held; one byte less
    /// prunes to half of it, lightest first.
    #[test]
    fn a_byte_budget_reached_exactly_is_not_passed() {
        let entry = ONE_BYTE_KEY;
        let mut m: BoundedMap<String, u64> = BoundedMap::new(100).with_max_bytes(2 * entry);
        m.bump("a");
        m.bump("a");
        m.bump("b");
        assert_eq!(m.bytes(), 2 * entry);
        m.bump("a");
        m.set_max_bytes(2 * entry);
        assert_eq!((m.len(), m.prunes(), m.dropped()), (2, 0, 0));
        // At the budget, not past it: the insert goes in whole.
        m.bump("c");
        assert_eq!((m.len(), m.prunes(), m.bytes()), (3, 0, 3 * entry));
        // Past it: half of 3 * entry - 1 holds one entry; b and c (1 each,
        // by key) go, a (3) stays.
        m.set_max_bytes(3 * entry - 1);
        let left: Vec<(&str, u64)> = m.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(left, [("a", 3)]);
        assert_eq!((m.prunes(), m.dropped(), m.bytes()), (1, 2, entry));
    }

    #[test]
    fn top_of_exactly_n_entries() {
        let mut m: BoundedMap<String, u64> = BoundedMap::new(10);
        for k in ["b", "a", "b"] {
            m.bump(k);
        }
        let top = |n| -> Vec<(String, u64)> {
            m.top(n, 0)
                .into_iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect()
        };
        assert_eq!(top(2), [("b".to_string(), 2), ("a".to_string(), 1)]);
        assert_eq!(top(1), [("b".to_string(), 2)]);
        assert_eq!(top(0), []);
        assert!(!m.is_empty() && BoundedMap::<String, u64>::new(2).is_empty());
    }

    /// The budget shared out again by need and growth: the caps never add
    /// up to more than the budget, each leaves its table room for what it
    /// holds (and what a merge brings), the table that grew takes most of
    /// what is free, a quiet one keeps some; past the budget, each gets a
    /// part in proportion to its need and is pruned to it.
    #[test]
    fn the_budget_follows_need_and_growth() {
        let budget = 100_000;
        let mut t: Vec<BoundedMap<String, u64>> = (0..3)
            .map(|_| BoundedMap::new(1_000_000).with_max_bytes(budget / 3))
            .collect();
        let caps =
            |t: &[BoundedMap<String, u64>]| t.iter().map(|m| m.max_bytes).collect::<Vec<_>>();
        let held = |t: &[BoundedMap<String, u64>]| t.iter().map(|m| m.bytes).collect::<Vec<_>>();
        let rebalance = |t: &mut Vec<BoundedMap<String, u64>>, coming: &[usize]| {
            let mut refs: Vec<&mut dyn Table> = t.iter_mut().map(|m| m as &mut dyn Table).collect();
            rebalance_budget(&mut refs, coming, budget, &[budget / 3; 3]);
        };
        // Nothing held, nothing grown: the first shares (rounded down).
        rebalance(&mut t, &[]);
        assert_eq!(caps(&t), [33_333; 3]);
        // Table 0 takes in 300 keys, table 1 one, table 2 none.
        for i in 0..300 {
            t[0].bump(&format!("key-{i:04}"));
        }
        t[1].bump("one");
        rebalance(&mut t, &[]);
        let (c, h) = (caps(&t), held(&t));
        let free = budget - h.iter().sum::<usize>();
        assert!(c.iter().sum::<usize>() <= budget, "{c:?}");
        assert!((0..3).all(|i| c[i] >= h[i]), "{c:?} {h:?}");
        assert!(c[0] - h[0] > free * 3 / 4, "the busy table: {c:?} {h:?}");
        assert!(c[2] > 0 && c[2] < free / 8, "the quiet table: {c:?}");
        // A merge's bytes are room to leave: a cap covers held + coming.
        rebalance(&mut t, &[0, 0, 20_000]);
        let c = caps(&t);
        assert!(c[2] >= 20_000 && c.iter().sum::<usize>() <= budget, "{c:?}");
        // More coming than the budget: parts by need, tables pruned to theirs.
        let h = held(&t);
        rebalance(&mut t, &[budget, 0, 0]);
        let c = caps(&t);
        assert!(c.iter().sum::<usize>() <= budget, "{c:?}");
        let need0 = h[0] + budget;
        let total = need0 + h[1] + h[2];
        assert_eq!(c[0], budget * need0 / total);
        assert!(t[0].bytes <= c[0], "pruned to its part");
    }

    /// What a report's tables add up to: a share of the budget each, and
    /// their bytes, prunes and truncated keys.
    #[test]
    fn tables_share_the_budget_and_add_up() {
        let entry = |key_len: usize| text_heap_bytes(key_len) + U64_SLOT;
        // Cap 2: z comes in after a prune drops x (lightest, first key).
        let mut a: BoundedMap<String, u64> = BoundedMap::new(2);
        for k in ["x", "y", "z"] {
            a.bump(k);
        }
        // One key cut to its first 256 bytes and the mark.
        let mut b: BoundedMap<String, u64> = BoundedMap::new(10);
        b.bump(&*"q".repeat(300));
        let budget = MemoryBudget::bytes(1 << 20);
        a.set_max_bytes(1 << 19);
        b.set_max_bytes(1 << 19);
        let held = 2 * entry(1) + entry(MAX_KEY_BYTES + TRUNCATED.len());
        assert_eq!(
            Bounds::of(&[&a, &b], budget),
            Bounds {
                approximate: true,
                truncated_keys: 1,
                memory: MemoryUse {
                    budget: 1 << 20,
                    held,
                    peak: held,
                    hits: 2,
                },
            }
        );
        let exact = Bounds::of(&[&b], budget);
        assert!(!exact.approximate);
        assert_eq!(Table::dropped(&a), 1);
        assert_eq!(Table::usage(&b), b.usage());
        let (u, v) = (
            TableUse {
                bytes: 5,
                prunes: 2,
                truncated: 3,
            },
            TableUse {
                bytes: 7,
                prunes: 4,
                truncated: 1,
            },
        );
        let total = TableUse {
            bytes: 12,
            prunes: 6,
            truncated: 4,
        };
        assert_eq!(u + v, total);
        assert_eq!([u, v].into_iter().sum::<TableUse>(), total);
        assert_eq!(total.memory(budget).hits, 10);
    }

    /// Long values are held cut; a full set ignores new values (saturated)
    /// but not the ones it holds; a merge keeps to the cap of the set merged
    /// into.
    #[test]
    fn capped_sets_of_long_values_and_merges_past_the_cap() {
        let long = |c: &str| c.repeat(300);
        let size = text_heap_bytes(MAX_KEY_BYTES + TRUNCATED.len()) + STRING_SLOT;
        let mut s = CappedSet::new(2);
        s.insert(&long("a"));
        s.insert(&long("a"));
        assert_eq!((s.count().count, s.bytes()), (1, size));
        s.insert(&long("b"));
        s.insert(&long("a"));
        assert_eq!(s.count().to_string(), "2");
        s.insert(&long("c"));
        assert_eq!(s.count().to_string(), ">=2");
        assert_eq!(s.bytes(), 2 * size);

        // Saturated elsewhere: saturated here.
        let mut small = CappedSet::new(1);
        small.insert("a");
        small.insert("b");
        let mut total = CappedSet::new(3);
        total.merge(small);
        assert_eq!(total.count().to_string(), ">=1");
        // A set bigger than the cap merged into an empty one is cut to it.
        let mut big = CappedSet::new(5);
        for v in ["a", "b", "c", "d"] {
            big.insert(v);
        }
        let mut total = CappedSet::new(3);
        total.merge(big);
        assert_eq!(total.count().to_string(), ">=3");
        assert_eq!(total.bytes(), 3 * ONE_BYTE_VALUE);
    }

    /// The serde form (what `derive` gave the map when it held a HashMap)
    /// and back; entries found by key after the round trip.
    #[cfg(feature = "serde")]
    #[test]
    fn serde_form_round_trips() {
        let mut m: BoundedMap<String, u64> = BoundedMap::new(3).with_max_bytes(10_000);
        for k in ["a", "b", "a"] {
            m.bump(k);
        }
        m.bump(&*"k".repeat(300));
        let cut = format!("{}{TRUNCATED}", "k".repeat(MAX_KEY_BYTES));
        let bytes = 2 * ONE_BYTE_KEY + text_heap_bytes(cut.len()) + U64_SLOT;
        let v = serde_json::to_value(&m).unwrap();
        let mut map = serde_json::Map::new();
        map.insert("a".into(), 2.into());
        map.insert("b".into(), 1.into());
        map.insert(cut.clone(), 1.into());
        assert_eq!(
            v,
            serde_json::json!({
                "map": map,
                "cap": 3,
                "max_bytes": 10_000,
                "bytes": bytes,
                "dropped": 0,
                "prunes": 0,
                "truncated": 1,
            })
        );
        let back: BoundedMap<String, u64> = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), v);
        assert_eq!(
            (back.get("a"), back.get(cut.as_str())),
            (Some(&2), Some(&1))
        );
        let tens = m.map_values(|n| n * 10);
        assert_eq!((tens.get("a"), tens.get("b")), (Some(&20), Some(&10)));
        assert_eq!((tens.bytes(), tens.truncated(), tens.len()), (bytes, 1, 3));
    }

    /// A value holding heap bytes (a list), merged by appending.
    #[derive(Clone, Debug, Default)]
    struct List(Vec<u32>);
    impl Weight for List {
        fn weight(&self) -> u64 {
            self.0.len() as u64
        }
        fn heap_bytes(&self) -> usize {
            self.0.capacity() * 4
        }
    }
    impl Merge for List {
        fn merge(&mut self, o: Self) {
            self.0.extend(o.0);
        }
    }

    /// Merges: the parts' counts add up; keys present in both need no room,
    /// so no prune; a byte budget passed by the sum prunes; values that grow
    /// on an update or a merge are counted at their new size.
    #[test]
    fn merges_add_counts_and_keep_the_limits() {
        let mut a: BoundedMap<String, u64> = BoundedMap::new(2);
        for k in ["x", "y", "z"] {
            a.bump(k);
        }
        let mut b: BoundedMap<String, u64> = BoundedMap::new(10);
        b.bump(&*"q".repeat(300));
        b.bump("w");
        let mut c: BoundedMap<String, u64> = BoundedMap::new(10);
        c.bump(&*"r".repeat(300));
        b.merge(a);
        assert_eq!((b.dropped(), b.prunes(), b.truncated()), (1, 1, 1));
        b.merge(c);
        assert_eq!((b.dropped(), b.prunes(), b.truncated()), (1, 1, 2));

        // 1 + 3 keys, 3 distinct: within a cap of 3, nothing dropped.
        let mut total: BoundedMap<String, u64> = BoundedMap::new(3);
        total.bump("a");
        let mut part: BoundedMap<String, u64> = BoundedMap::new(3);
        for k in ["a", "b", "c"] {
            part.bump(k);
        }
        total.merge(part);
        let mut got: Vec<(&str, u64)> = total.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        got.sort_unstable();
        assert_eq!(got, [("a", 2), ("b", 1), ("c", 1)]);
        assert_eq!((total.dropped(), total.prunes()), (0, 0));

        // 3 + 4 entries past a budget of 5: pruned once, after the merge,
        // down to the budget (the lightest go).
        let entry = ONE_BYTE_KEY;
        let mut left: BoundedMap<String, u64> = BoundedMap::new(100).with_max_bytes(5 * entry);
        let mut right: BoundedMap<String, u64> = BoundedMap::new(100).with_max_bytes(5 * entry);
        for k in ["a", "b", "c"] {
            left.bump(k);
        }
        for k in ["d", "e", "f", "g"] {
            right.bump(k);
        }
        left.merge(right);
        assert!(left.dropped() > 0 && left.bytes() <= 5 * entry);
        assert_eq!(left.prunes(), 1);

        // Values with heap bytes: an update and a merge that grow one.
        let size = |m: &BoundedMap<String, List>| {
            m.iter()
                .map(|(k, v)| {
                    text_heap_bytes(k.len())
                        + slot_bytes(std::mem::size_of::<(String, List)>())
                        + 4 * v.0.capacity()
                })
                .sum::<usize>()
        };
        let mut m: BoundedMap<String, List> = BoundedMap::new(10);
        m.update("k", |l| l.0.extend([1, 2]));
        m.update("k", |l| l.0.extend([3, 4, 5]));
        m.update("j", |l| l.0.push(1));
        assert_eq!(m.bytes(), size(&m));
        let mut other: BoundedMap<String, List> = BoundedMap::new(10);
        other.update("k", |l| l.0.extend(0..40));
        m.merge(other);
        assert_eq!(m.get("k").map(|l| l.0.len()), Some(45));
        assert_eq!(m.bytes(), size(&m));
    }

    /// A value that grows past the byte budget on an update prunes the map
    /// at once, whether its key was cut or not: the budget holds after every
    /// update, not only at the next new key.
    #[test]
    fn a_value_growing_past_the_budget_prunes_at_once() {
        const BUDGET: usize = 16 * 1024;
        for key in ["k".to_string(), "k".repeat(MAX_KEY_BYTES + 44)] {
            let mut m: BoundedMap<String, List> = BoundedMap::new(1000).with_max_bytes(BUDGET);
            m.update(&*key, |l| l.0.push(1));
            // Light entries until 1,000 more numbers (4,000 bytes) in the
            // heavy one would pass the budget.
            let mut i = 0;
            while m.bytes() + 4000 <= BUDGET {
                m.update(&*format!("light{i}"), |l| l.0.push(1));
                i += 1;
                // ~100 bytes each: a count that never reaches the budget fails.
                assert!(i < 1000, "{} bytes after {i} entries", m.bytes());
            }
            assert_eq!((m.prunes(), m.len()), (0, i + 1), "{} bytes", key.len());
            m.update(&*key, |l| l.0.extend(0..1000));
            assert_eq!(m.prunes(), 1, "{} bytes", key.len());
            assert!(m.bytes() <= BUDGET, "{} > {BUDGET}", m.bytes());
            assert!(m.len() < i / 2, "the lighter entries dropped");
            let heavy = m.iter().map(|(_, l)| l.0.len()).max();
            assert_eq!(heavy, Some(1001), "the heavy one kept");
        }
    }

    /// A key is cut before a character that crosses [`MAX_KEY_BYTES`].
    #[test]
    fn keys_are_cut_at_a_character_boundary() {
        let head = "y".repeat(MAX_KEY_BYTES - 1);
        // "é" takes bytes 255 and 256: the cut at 256 falls inside it.
        let cut = truncate_key(&format!("{head}\u{e9}z"));
        assert_eq!(cut, Some(format!("{head}{TRUNCATED}")));
        assert_eq!(truncate_key(&"y".repeat(MAX_KEY_BYTES)), None);
    }
}
