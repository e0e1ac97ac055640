//! Restoring a backup into this browser's storage: replace or merge (docs/PROTOCOL.md
//! section 7.3).
//!
//! Another identity (or none) here: the backup replaces what is stored. The same identity:
//! both sides are merged, losing nothing and never storing a message twice. Merged
//! messages are *appended* after what is stored, through the same segment code the page
//! uses ([`History`], [`SegmentLog`]): no stored value of this browser is rewritten except
//! the last segment of a log (to a superset of itself) and merged records, so a restore
//! cut short (storage full) loses nothing already here, and running it again finishes it.

use super::{Backup, Entries, Key, classify, identity_of, is_backed_up, segment_len};
use crate::conversation::Message;
use crate::history::{Blocked, ChatMeta, Contacts, History, MAX_BLOCKED, MAX_CONTACTS};
use crate::identity::PeerId;
use crate::room::message::RoomMessage;
use crate::room::{self, RoomId, RoomInfo, Rooms};
use crate::segments::SegmentLog;
use crate::storage::{self, IDENTITY_KEY, Versioned};
use std::collections::BTreeSet;

/// What restoring a backup does to this browser's storage. Apply every remove, then every
/// write, in order, stopping at the first that fails; then reload the page (the running
/// page's memory no longer matches storage).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// The backup holds this browser's identity: it is merged. Otherwise it replaces
    /// everything (ask the person first: the identity here, if any, is lost).
    pub same_identity: bool,
    /// Values to store, in order (a replace writes the identity first, so a restore cut
    /// short and started again merges into it rather than replacing again).
    pub writes: Vec<(String, String)>,
    /// Keys to remove (a replace only: never a key written, the tab lease or a value kept
    /// aside as damaged).
    pub removes: Vec<String>,
    /// Messages the restore adds (for a replace: every message in the backup).
    pub added_messages: usize,
    /// Messages of the backup left out because this browser holds another message with the
    /// same author and number (the author's numbering diverged, as after a loss): this
    /// browser's is kept, as the one its peers are likely to hold too.
    pub dropped_messages: usize,
    /// Contacts whose pinned public key differs between the two: this browser's is kept.
    pub key_mismatches: Vec<PeerId>,
}

/// How to apply `backup` to this browser's `current` entries (every key under
/// `peerchat/v1/`). Keys outside the namespace, the tab lease and values kept aside as
/// damaged are never written or removed.
pub fn plan_restore(current: &Entries, backup: &Backup) -> Plan {
    let entries: Entries = crate::sorting::map(
        backup
            .entries
            .iter()
            .filter(|(k, _)| is_backed_up(k))
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    match (identity_of(current), identity_of(&entries)) {
        (Some(here), Some(theirs)) if here == theirs => merge(current, &entries, &here),
        _ => replace(current, &entries),
    }
}

/// Another identity, or none: the backup takes the place of everything stored.
fn replace(current: &Entries, backup: &Entries) -> Plan {
    let removes = current
        .keys()
        .filter(|k| is_backed_up(k) && !backup.contains_key(*k))
        .cloned()
        .collect();
    let mut writes: Vec<(String, String)> = backup
        .iter()
        .map(|(k, v)| (k.clone(), restored(k, v)))
        .filter(|(k, v)| current.get(k) != Some(v))
        .collect();
    // Stable: the identity first, the rest in key order.
    crate::sorting::sort_by_key(&mut writes, |(k, _)| k != IDENTITY_KEY);
    let added_messages = backup
        .iter()
        .filter(|(k, _)| matches!(classify(k), Key::ChatSegment(_) | Key::RoomSegment(_)))
        .map(|(_, v)| segment_len(v))
        .sum();
    Plan {
        same_identity: false,
        writes,
        removes,
        added_messages,
        ..Plan::default()
    }
}

/// A room record as restored: recovering, unless left. A backup is older than the
/// identity's latest state, so members may hold messages of mine it lacks; like after a
/// damaged log, I must not write in the room (reusing numbers they hold) until they have
/// told me what they hold of mine (section 6.5).
fn restored(key: &str, value: &str) -> String {
    match classify(key) {
        Key::RoomInfo(_) => match storage::decode::<RoomInfo>(value) {
            Ok(mut info) if !info.left && !info.recovering => {
                info.recovering = true;
                storage::encode(&info)
            }
            _ => value.to_string(),
        },
        Key::LegacyRooms => match storage::decode::<Rooms>(value) {
            Ok(mut rooms) if rooms.list.iter().any(|r| !r.left && !r.recovering) => {
                for r in rooms.list.iter_mut().filter(|r| !r.left) {
                    r.recovering = true;
                }
                storage::encode(&rooms)
            }
            _ => value.to_string(),
        },
        _ => value.to_string(),
    }
}

/// The same identity: everything of both sides is kept.
fn merge(current: &Entries, backup: &Entries, me: &PeerId) -> Plan {
    let mut plan = Plan {
        same_identity: true,
        ..Plan::default()
    };
    let mut chats = BTreeSet::new();
    let mut rooms = BTreeSet::new();
    for (key, value) in backup {
        let here = current.get(key);
        let write = match classify(key) {
            Key::ChatSegment(peer) => {
                chats.insert(peer);
                None
            }
            Key::RoomSegment(room) => {
                rooms.insert(room);
                None
            }
            Key::ChatMeta(_) => merge_record(here, value, merge_meta),
            Key::Contacts => merge_record(here, value, |a, b| {
                merge_contacts(a, b, &mut plan.key_mismatches)
            }),
            Key::Blocked => merge_record(here, value, merge_blocked),
            Key::RoomInfo(_) | Key::LegacyRooms => here.is_none().then(|| restored(key, value)),
            // A single record or an unknown key: this browser's wins.
            Key::Other => here.is_none().then(|| value.clone()),
        };
        if let Some(text) = write {
            plan.writes.push((key.clone(), text));
        }
    }
    for peer in chats {
        merge_chat(current, backup, me, &peer, &mut plan);
    }
    for room in rooms {
        merge_room(current, backup, &room, &mut plan);
    }
    plan
}

/// Merges a record both sides may hold. Absent here: the backup's, as it is. Unreadable on
/// either side: this browser's is left alone (the page keeps a damaged value aside before
/// anything writes its key). Returns the text to write, if it changes.
fn merge_record<T: Versioned + Clone + PartialEq>(
    here: Option<&String>,
    backup: &str,
    merge: impl FnOnce(T, T) -> T,
) -> Option<String> {
    let Some(here) = here else {
        return Some(backup.to_string());
    };
    let (Ok(mine), Ok(theirs)) = (storage::decode::<T>(here), storage::decode::<T>(backup)) else {
        return None;
    };
    let merged = merge(mine.clone(), theirs);
    (merged != mine).then(|| storage::encode(&merged))
}

/// Counters: the highest of both (a number handed out or acknowledged on either side must
/// never be reused); the preview of the later side; the deletion floor with its id;
/// unread as here (the person reads here).
fn merge_meta(here: ChatMeta, backup: ChatMeta) -> ChatMeta {
    let mut m = here.clone();
    m.acked = here.acked.max(backup.acked);
    m.last = here.last.max(backup.last);
    m.at = here.at.max(backup.at);
    m.clock = here.clock.max(backup.clock);
    if backup.at > here.at {
        m.preview = backup.preview;
        m.mine = backup.mine;
    }
    if backup.floor > here.floor {
        m.floor = backup.floor;
        m.floor_id = backup.floor_id;
    }
    m
}

/// Contacts of both, in this browser's order then the backup's, at most
/// [`MAX_CONTACTS`]. A name or key known on one side only is kept; where both differ,
/// this browser's wins (a differing key is noted: a peer id is the key's fingerprint, so
/// it means damage).
fn merge_contacts(here: Contacts, backup: Contacts, mismatches: &mut Vec<PeerId>) -> Contacts {
    let mut list = here.list;
    for theirs in backup.list {
        match list.iter().position(|c| c.id == theirs.id) {
            Some(i) => {
                let c = &mut list[i];
                if c.name.is_none() {
                    c.name = theirs.name;
                }
                match (c.key, theirs.key) {
                    (None, key) => c.key = key,
                    (Some(a), Some(b)) if a != b => mismatches.push(c.id.clone()),
                    _ => {}
                }
            }
            None if list.len() < MAX_CONTACTS => list.push(theirs),
            None => {}
        }
    }
    Contacts::new(list)
}

/// Blocked ids of both, at most [`MAX_BLOCKED`]. A contact blocked on one side stays a
/// contact: blocking only refuses its connections.
fn merge_blocked(here: Blocked, backup: Blocked) -> Blocked {
    let mut list = here.list;
    for id in backup.list {
        if !list.contains(&id) && list.len() < MAX_BLOCKED {
            list.push(id);
        }
    }
    Blocked::new(list)
}

/// Adds a write, folding successive writes of one segment into the last.
fn push_write(writes: &mut Vec<(String, String)>, (key, text): (String, String)) {
    match writes.last_mut() {
        Some((k, t)) if *k == key => *t = text,
        _ => writes.push((key, text)),
    }
}

/// Appends the backup's messages of one conversation that this browser lacks, in display
/// order, after what is stored (loaded and validated as the page does).
fn merge_chat(current: &Entries, backup: &Entries, me: &PeerId, peer: &PeerId, plan: &mut Plan) {
    let (mut here, _) = History::load(me, peer, |k| current.get(k).cloned());
    let (theirs, _) = History::load(me, peer, |k| backup.get(k).cloned());
    let mut numbers: BTreeSet<(PeerId, u64)> =
        crate::sorting::set(here.messages.iter().map(|m| (m.author.clone(), m.seq)));
    let mut incoming = theirs.messages;
    crate::sorting::sort_by(&mut incoming, Message::order);
    for m in incoming {
        if here.contains_id(&m.id) {
            continue;
        }
        if !numbers.insert((m.author.clone(), m.seq)) {
            plan.dropped_messages += 1;
            continue;
        }
        push_write(&mut plan.writes, here.append(m));
        plan.added_messages += 1;
    }
}

/// Appends the backup's messages of one room log that this browser lacks, in display
/// order. Signatures are checked when the page loads the log, as for any stored message.
fn merge_room(current: &Entries, backup: &Entries, room: &RoomId, plan: &mut Plan) {
    let prefix = room::log_prefix(room);
    let valid = |m: &RoomMessage| m.room == *room;
    let here = SegmentLog::load(prefix.clone(), |k| current.get(k).cloned(), valid);
    let theirs = SegmentLog::load(prefix, |k| backup.get(k).cloned(), valid);
    let mut log = here.log;
    let mut ids: BTreeSet<String> = crate::sorting::set(here.items.iter().map(|m| m.id.clone()));
    let mut numbers: BTreeSet<(PeerId, u64)> =
        crate::sorting::set(here.items.iter().map(|m| (m.author.clone(), m.seq)));
    let mut incoming = theirs.items;
    crate::sorting::sort_by(&mut incoming, |a, b| a.order(b));
    for m in incoming {
        if ids.contains(&m.id) {
            continue;
        }
        if !numbers.insert((m.author.clone(), m.seq)) {
            plan.dropped_messages += 1;
            continue;
        }
        ids.insert(m.id.clone());
        push_write(&mut plan.writes, log.append(&m));
        plan.added_messages += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::summarize;
    use crate::backup::tests::identity_entry;
    use crate::history::{self, Contact};
    use crate::identity::Identity;
    use crate::primitives::Bytes32;
    use crate::room::StoredRoom;
    use crate::room::log::RoomLog;
    use crate::room::message::Kind;
    use crate::segments::SEGMENT_LEN;

    fn id(n: u8) -> PeerId {
        Identity::from_secret([n; 32]).peer_id().clone()
    }

    fn backup_of(entries: Entries) -> Backup {
        Backup {
            made_at: 0,
            summary: summarize(&entries).unwrap(),
            entries,
        }
    }

    /// Carries out a plan as the page does: removes, then writes.
    fn apply(current: &Entries, plan: &Plan) -> Entries {
        let mut out = current.clone();
        for k in &plan.removes {
            out.remove(k);
        }
        for (k, v) in &plan.writes {
            out.insert(k.clone(), v.clone());
        }
        out
    }

    /// Message `k` of the conversation of identity 1 with identity 2: odd ones are the
    /// peer's, even ones mine, each author numbering its own.
    fn msg(k: u64) -> Message {
        Message {
            id: format!("m{k}"),
            author: if k.is_multiple_of(2) { id(1) } else { id(2) },
            seq: k.div_ceil(2),
            lc: k,
            ts: k,
            text: format!("message {k}"),
        }
    }

    /// Identity 1's storage with messages `ks` (stored in this order) of the conversation.
    fn store_with(ks: impl IntoIterator<Item = u64>) -> Entries {
        let mut entries = Entries::from([identity_entry(1)]);
        let mut h = History::new(&id(1), &id(2));
        for k in ks {
            let (key, text) = h.append(msg(k));
            entries.insert(key, text);
        }
        entries
    }

    fn loaded(entries: &Entries) -> History {
        let (h, damaged) = History::load(&id(1), &id(2), |k| entries.get(k).cloned());
        assert!(damaged.is_empty());
        h
    }

    fn segments(entries: &Entries) -> usize {
        entries
            .keys()
            .filter(|k| matches!(classify(k), Key::ChatSegment(_)))
            .count()
    }

    #[test]
    fn same_identity_merges_histories_without_duplicates() {
        let current = store_with((1..=250).rev());
        let backup = backup_of(store_with(100..=420));
        let plan = plan_restore(&current, &backup);
        assert!(plan.same_identity);
        assert!(plan.removes.is_empty());
        assert_eq!(plan.added_messages, 170);
        assert_eq!(plan.dropped_messages, 0);
        // One write per segment touched: the last here (1, filled up) and a new one (2).
        assert_eq!(plan.writes.len(), 2);
        let after = apply(&current, &plan);
        let h = loaded(&after);
        assert_eq!(h.messages.len(), 420);
        let ids: BTreeSet<&str> = h.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids.len(), 420);
        assert_eq!(segments(&after), 420usize.div_ceil(SEGMENT_LEN));
        // What was here is still where it was: only appended to.
        assert_eq!(
            after[&history::segment_key(&id(2), 0)],
            current[&history::segment_key(&id(2), 0)]
        );
        // The appended ones go in display order.
        let tail: Vec<u64> = h.messages[250..].iter().map(|m| m.lc).collect();
        assert_eq!(tail, (251..=420).collect::<Vec<_>>());

        // Restoring the same backup again changes nothing.
        let again = plan_restore(&after, &backup);
        assert_eq!(again.added_messages, 0);
        assert!(
            again.writes.is_empty() && again.removes.is_empty(),
            "{again:?}"
        );
    }

    #[test]
    fn a_diverged_number_keeps_this_browsers_message() {
        let current = store_with(1..=4);
        let mut other = store_with(1..=3);
        let mut h = loaded(&other);
        // My message number 2 exists here as m4; the backup has another one, numbered 2.
        let (k, t) = h.append(Message {
            id: "x4".into(),
            ..msg(4)
        });
        other.insert(k, t);
        let (k, t) = h.append(msg(5));
        other.insert(k, t);
        let plan = plan_restore(&current, &backup_of(other));
        assert_eq!((plan.added_messages, plan.dropped_messages), (1, 1));
        let after = apply(&current, &plan);
        let ids: Vec<String> = loaded(&after)
            .messages
            .iter()
            .map(|m| m.id.clone())
            .collect();
        assert_eq!(ids, ["m1", "m2", "m3", "m4", "m5"]);
    }

    #[test]
    fn another_identity_is_replaced() {
        let mut current = store_with(1..=3);
        current.insert(storage::IDENTITY_KEY.into(), identity_entry(7).1);
        current.insert(
            "peerchat/v1/profile".into(),
            r#"{"v":1,"name":"Old"}"#.into(),
        );
        current.insert("peerchat/v1/chat/old/0".into(), "x".into());
        current.insert(storage::LEASE_KEY.into(), "lease".into());
        current.insert("peerchat/v1/damaged/identity/1".into(), "kept".into());
        current.insert("other-app".into(), "theirs".into());
        let mut entries = store_with(2..=5);
        entries.insert(
            "peerchat/v1/settings".into(),
            r#"{"v":1,"endpoint":null}"#.into(),
        );
        let backup = backup_of(entries.clone());
        let plan = plan_restore(&current, &backup);
        assert!(!plan.same_identity);
        assert_eq!(plan.writes[0].0, storage::IDENTITY_KEY);
        assert_eq!(plan.added_messages, 4);
        let after = apply(&current, &plan);
        let mut want = entries;
        want.insert(storage::LEASE_KEY.into(), "lease".into());
        want.insert("peerchat/v1/damaged/identity/1".into(), "kept".into());
        want.insert("other-app".into(), "theirs".into());
        assert_eq!(after, want);
        // No identity here (or an unreadable one): replaced as well.
        let fresh = Entries::from([(storage::LEASE_KEY.to_string(), "l".to_string())]);
        let plan = plan_restore(&fresh, &backup);
        assert!(!plan.same_identity && plan.removes.is_empty());
        // Then the same backup again: a merge that adds nothing.
        let after = apply(&fresh, &plan);
        let again = plan_restore(&after, &backup);
        assert!(again.same_identity && again.writes.is_empty() && again.added_messages == 0);
    }

    #[test]
    fn records_merge_field_by_field() {
        let mut current = store_with([]);
        let mut backup = store_with([]);
        let peer = id(2);
        let mut here = ChatMeta::new(3, 2, 5, 100);
        here.preview = Some("here".into());
        here.floor = 4;
        here.floor_id = Some("f4".into());
        let mut there = ChatMeta::new(1, 9, 8, 200);
        there.preview = Some("there".into());
        there.mine = true;
        there.floor = 2;
        there.clock = 7;
        current.insert(history::meta_key(&peer), storage::encode(&here));
        backup.insert(history::meta_key(&peer), storage::encode(&there));
        let contact = |n: u8, name: Option<&str>, key: Option<u8>| Contact {
            id: id(n),
            name: name.map(|s| crate::name::DisplayName::parse(s).unwrap()),
            key: key.map(|k| Bytes32([k; 32])),
        };
        current.insert(
            history::CONTACTS_KEY.into(),
            storage::encode(&Contacts::new(vec![
                contact(2, None, Some(1)),
                contact(3, Some("C"), None),
            ])),
        );
        backup.insert(
            history::CONTACTS_KEY.into(),
            storage::encode(&Contacts::new(vec![
                contact(4, Some("D"), None),
                contact(3, Some("Cee"), Some(3)),
                contact(2, Some("B"), Some(2)),
            ])),
        );
        current.insert(
            history::BLOCKED_KEY.into(),
            storage::encode(&Blocked::new(vec![id(5)])),
        );
        backup.insert(
            history::BLOCKED_KEY.into(),
            storage::encode(&Blocked::new(vec![id(6), id(5)])),
        );
        current.insert(
            "peerchat/v1/profile".into(),
            r#"{"v":1,"name":"Here"}"#.into(),
        );
        backup.insert(
            "peerchat/v1/profile".into(),
            r#"{"v":1,"name":"There"}"#.into(),
        );
        backup.insert("peerchat/v1/open".into(), r#"{"v":1}"#.into());
        backup.insert("peerchat/v1/someday".into(), "unknown".into());
        let plan = plan_restore(&current, &backup_of(backup.clone()));
        assert_eq!(plan.key_mismatches, vec![id(2)]);
        let after = apply(&current, &plan);
        let meta = storage::decode::<ChatMeta>(&after[&history::meta_key(&peer)]).unwrap();
        let mut want = ChatMeta::new(3, 2, 8, 200);
        want.preview = Some("there".into());
        want.mine = true;
        want.floor = 4;
        want.floor_id = Some("f4".into());
        want.clock = 7;
        assert_eq!(meta, want);
        let contacts = storage::decode::<Contacts>(&after[history::CONTACTS_KEY]).unwrap();
        assert_eq!(
            contacts.list,
            vec![
                contact(2, Some("B"), Some(1)),
                contact(3, Some("C"), Some(3)),
                contact(4, Some("D"), None),
            ]
        );
        let blocked = storage::decode::<Blocked>(&after[history::BLOCKED_KEY]).unwrap();
        assert_eq!(blocked.list, vec![id(5), id(6)]);
        assert_eq!(after["peerchat/v1/profile"], r#"{"v":1,"name":"Here"}"#);
        assert_eq!(after["peerchat/v1/open"], r#"{"v":1}"#);
        assert_eq!(after["peerchat/v1/someday"], "unknown");
        let again = plan_restore(&after, &backup_of(backup));
        assert!(again.writes.is_empty(), "{again:?}");
    }

    #[test]
    fn an_unreadable_record_here_is_left_for_the_page_to_keep_aside() {
        let mut current = store_with([]);
        current.insert(history::CONTACTS_KEY.into(), "{damaged".into());
        let mut backup = store_with([]);
        backup.insert(
            history::CONTACTS_KEY.into(),
            storage::encode(&Contacts::new(vec![])),
        );
        assert!(plan_restore(&current, &backup_of(backup)).writes.is_empty());
    }

    #[test]
    fn rooms_merge_their_logs_and_restored_records_recover() {
        let (me, other) = (
            Identity::from_secret([1; 32]),
            Identity::from_secret([2; 32]),
        );
        let room = RoomId::from_random(&[3; 16]);
        let mut log = RoomLog::new(room.clone());
        log.compose(&me, "j1".into(), 0, Kind::Join, "Me".into())
            .unwrap();
        log.compose(&other, "j2".into(), 0, Kind::Join, "Other".into())
            .unwrap();
        for i in 0..5 {
            let who = if i % 2 == 0 { &me } else { &other };
            log.compose(who, format!("t{i}"), 0, Kind::Text, format!("hi {i}"))
                .unwrap();
        }
        let all = log.messages().to_vec();
        let stored = |ms: &[RoomMessage]| {
            let mut seg = SegmentLog::new(room::log_prefix(&room));
            let mut entries = store_with([]);
            for m in ms {
                let (k, t) = seg.append(m);
                entries.insert(k, t);
            }
            entries
        };
        let info = RoomInfo::from_stored(&StoredRoom {
            id: room.clone(),
            name: crate::name::DisplayName::parse("Ops").unwrap(),
            secret: Bytes32([4; 32]),
            via: vec![],
            left: false,
            leave_known: false,
            recovering: false,
        });
        let current = stored(&all[..4]);
        let mut backup = stored(&all[2..]);
        backup.insert(room::info_key(&room), storage::encode(&info));
        let backup = backup_of(backup);
        assert_eq!((backup.summary.rooms, backup.summary.messages), (1, 5));
        let plan = plan_restore(&current, &backup);
        assert_eq!(plan.added_messages, 3);
        let after = apply(&current, &plan);
        let back = SegmentLog::load(
            room::log_prefix(&room),
            |k| after.get(k).cloned(),
            |_: &RoomMessage| true,
        );
        let ids: Vec<&str> = back.items.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["j1", "j2", "t0", "t1", "t2", "t3", "t4"]);
        let restored = storage::decode::<RoomInfo>(&after[&room::info_key(&room)]).unwrap();
        assert!(restored.recovering);
        assert!(plan_restore(&after, &backup).writes.is_empty());
        // A room record already here is this browser's, as it is.
        let mut here = current.clone();
        here.insert(room::info_key(&room), storage::encode(&info));
        let plan = plan_restore(&here, &backup);
        assert!(plan.writes.iter().all(|(k, _)| *k != room::info_key(&room)));
    }
}
