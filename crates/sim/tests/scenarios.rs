//! Named scenarios: the everyday paths, and every defect the simulator was built to find,
//! each as a short script on the simulated world, checked with the same invariants as the
//! sweep.

use peerchat_core::engine::Intent;
use peerchat_sim::workload::{Action, perform, settle_and_check};
use peerchat_sim::{World, checks};

/// A world of `n` people with their pages open and registered.
fn world(seed: u64, n: usize) -> World {
    let mut w = World::new(seed);
    for _ in 0..n {
        let node = w.add_node(false);
        w.start(node);
    }
    w.run_for(1_000);
    w
}

/// `a` adds `b`, `b` accepts (or adds `a` back).
fn befriend(w: &mut World, a: usize, b: usize) {
    perform(w, Action::AddContact { node: a, peer: b });
    w.run_for(2_000);
    perform(w, Action::AcceptRequests(b));
    w.run_for(2_000);
}

fn say(w: &mut World, a: usize, b: usize, times: usize) {
    for _ in 0..times {
        perform(w, Action::Send { node: a, peer: b });
        w.run_for(50);
    }
}

fn assert_clean(mut w: World) -> World {
    let problems = settle_and_check(&mut w);
    assert!(problems.is_empty(), "{problems:#?}");
    w
}

fn online(w: &World, a: usize, b: usize) -> Option<bool> {
    let id = w.nodes[b].id.clone();
    w.nodes[a].screen.contact_online(&id)
}

#[test]
fn two_people_chat_both_ways() {
    let mut w = world(1, 2);
    befriend(&mut w, 0, 1);
    assert_eq!(online(&w, 0, 1), Some(true));
    assert_eq!(online(&w, 1, 0), Some(true));
    say(&mut w, 0, 1, 3);
    say(&mut w, 1, 0, 2);
    w.run_for(1_000);
    let at_b = checks::conversations(&w, 1);
    assert_eq!(at_b.values().map(Vec::len).sum::<usize>(), 5);
    assert_clean(w);
}

#[test]
fn messages_to_someone_away_arrive_when_they_are_back() {
    let mut w = world(2, 2);
    befriend(&mut w, 0, 1);
    perform(
        &mut w,
        Action::Stop {
            node: 1,
            graceful: true,
        },
    );
    w.run_for(1_000);
    assert_eq!(online(&w, 0, 1), Some(false));
    say(&mut w, 0, 1, 3);
    w.run_for(20_000);
    perform(&mut w, Action::Start(1));
    w.run_for(10_000);
    assert_eq!(
        checks::conversations(&w, 1)
            .values()
            .map(Vec::len)
            .sum::<usize>(),
        3
    );
    assert_clean(w);
}
