//! The footprint table in `core/README.md` is what `size_of` says: every row
//! it states is checked here (on 64-bit targets, which the table describes).
#![cfg(all(target_pointer_width = "64", not(rearm_loom)))]

use rearm_core::park::{SpinPark, ThreadPark};
use rearm_core::{CallbackRunner, Loop};
use std::mem::size_of;

/// `(CAP, Loop bytes, CallbackRunner bytes)` for the capacities this test can build.
fn actual(cap: usize) -> Option<(usize, usize)> {
    macro_rules! sizes {
        ($($c:literal),*) => {
            match cap {
                $($c => Some((
                    size_of::<Loop<SpinPark, $c>>(),
                    size_of::<CallbackRunner<'static, 'static, SpinPark, $c>>(),
                )),)*
                _ => None,
            }
        };
    }
    sizes!(1, 8, 22, 64, 512, 1024, 4096, 32768)
}

fn bytes(cell: &str) -> usize {
    cell.trim()
        .replace(',', "")
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {cell:?}"))
}

#[test]
fn readme_footprint_table_matches_size_of() {
    let readme = include_str!("../../core/README.md");
    let table = readme
        .split("| CAP | `Loop` | `CallbackRunner` |")
        .nth(1)
        .expect("the footprint table");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(2) // the rest of the header line, the separator
        .take_while(|line| line.starts_with('|'))
        .map(|line| line.trim_matches('|').split('|').collect())
        .collect();
    assert!(rows.len() >= 3, "too few rows: {rows:?}");
    for row in rows {
        let cap = bytes(row[0]);
        let stated = (bytes(row[1]), bytes(row[2]));
        let real = actual(cap).unwrap_or_else(|| panic!("add CAP {cap} to this test"));
        assert_eq!(
            stated, real,
            "CAP {cap}: README says (Loop, CallbackRunner) = {stated:?}"
        );
    }
}

#[test]
fn thread_park_adds_what_the_readme_says() {
    assert_eq!(size_of::<ThreadPark>(), 64);
    assert_eq!(
        size_of::<Loop<ThreadPark, 8>>(),
        size_of::<Loop<SpinPark, 8>>() + 64
    );
}
