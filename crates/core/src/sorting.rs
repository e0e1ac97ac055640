//! One stable sort for every list the core orders, and sets and maps built without
//! sorting. Each `sort_by` with its own closure compiles the whole sort algorithm again
//! (several kilobytes of wasm each, about 75 KB for the page's twenty sorts;
//! docs/DEVELOPMENT.md, "What costs bytes"): here the algorithm is compiled once, on
//! indices, and each call only supplies the comparison. `collect()` into a `BTreeSet` or
//! `BTreeMap` sorts its input too, so sets and maps are built with [`set`] and [`map`].

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// The positions `0..len` in the order `cmp` gives them (stable: equal items keep their
/// order). The only instantiation of the sort algorithm.
fn sorted_positions(len: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..len).collect();
    positions.sort_by(|&a, &b| cmp(a, b));
    positions
}

/// Sorts `v` by `cmp`, stably (as `slice::sort_by`).
pub fn sort_by<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = sorted_positions(v.len(), &|a, b| cmp(&v[a], &v[b]));
    let mut slots: Vec<Option<T>> = std::mem::take(v).into_iter().map(Some).collect();
    v.extend(
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// Sorts `v` by the key `key` gives, stably (as `slice::sort_by_key`).
pub fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in its natural order and removes repeats (as `sort` then `dedup`).
pub fn sort_dedup<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
    v.dedup();
}

/// The set of `items`, inserted one at a time. `collect()` and `BTreeSet::from([..])` sort
/// their input first, which compiles the sort algorithm once more for each element type.
pub fn set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}

/// The map of `items`, inserted one at a time (a later value for a key replaces an earlier
/// one, as with `collect()`), for the same reason as [`set`].
pub fn map<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(items);
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn same_as_the_standard_stable_sort(items in proptest::collection::vec((0u8..5, any::<u16>()), 0..60)) {
            let mut ours = items.clone();
            sort_by_key(&mut ours, |(k, _)| *k);
            let mut std = items.clone();
            std.sort_by_key(|(k, _)| *k);
            prop_assert_eq!(ours, std);
            let mut ours = items.clone();
            sort_dedup(&mut ours);
            let mut std = items;
            std.sort();
            std.dedup();
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn set_and_map_as_collect(items in proptest::collection::vec((0u8..8, any::<u16>()), 0..40)) {
            prop_assert_eq!(set(items.clone()), items.iter().cloned().collect::<BTreeSet<_>>());
            prop_assert_eq!(map(items.clone()), items.into_iter().collect::<BTreeMap<_, _>>());
        }
    }
}
