//! The seed sweep: many random worlds (2 to 20 people, a few hundred actions and faults
//! each), every invariant checked. A failure prints its seed; `SIM_SEED=<n>` replays that
//! one run (add `SIM_TRACE=1` for a trace of every event). `SIM_SEEDS=<n>` sets how many
//! runs per test thread (default 400; scripts/test.sh asks for 1000) and `SIM_FROM=<n>` where they start, for long sweeps.

use peerchat_sim::workload::run_seed;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

fn run(seed: u64) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(|| run_seed(seed))) {
        Ok(problems) if problems.is_empty() => Ok(()),
        Ok(problems) => Err(format!("seed {seed}: {problems:#?}")),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("seed {seed}: panic: {what}"))
        }
    }
}

/// Runs `count` seeds from `from`, stepping by `step`; fails with every failing seed.
fn sweep(from: u64, count: u64, step: u64) {
    if let Some(seed) = env("SIM_SEED") {
        if seed % 2 == from % 2
            && let Err(e) = run(seed)
        {
            panic!("{e}");
        }
        return;
    }
    let started = Instant::now();
    let mut failures = Vec::new();
    for i in 0..count {
        let seed = from + i * step;
        if let Err(e) = run(seed) {
            eprintln!("{e}");
            failures.push(seed);
        }
    }
    eprintln!(
        "sweep: {count} runs from {from} (step {step}) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "failing seeds (replay with SIM_SEED=<n>): {failures:?}"
    );
}

// Two tests, so the two cores each take half.
#[test]
fn sweep_even_seeds() {
    let from = env("SIM_FROM").unwrap_or(0) / 2 * 2;
    sweep(from, env("SIM_SEEDS").unwrap_or(400), 2);
}

#[test]
fn sweep_odd_seeds() {
    let from = env("SIM_FROM").unwrap_or(0) / 2 * 2 + 1;
    sweep(from, env("SIM_SEEDS").unwrap_or(400), 2);
}
