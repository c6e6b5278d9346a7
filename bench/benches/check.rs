//! The in-process permission check on a warm cache: allowed and denied.
//! Goal: well under 100 ns.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use teamgate_bench::warm_cache;
use teamgate_core::Permission;

fn check(c: &mut Criterion) {
    let (cache, org, user) = warm_cache(100, 100);
    let allowed = Permission::of("inbox", "reply");
    let denied = Permission::of("billing", "edit");
    c.bench_function("check allowed (warm cache)", |b| {
        b.iter(|| {
            cache
                .permissions(black_box(&org), black_box(&user))
                .is_some_and(|p| p.contains(black_box(allowed)))
        })
    });
    c.bench_function("check denied (warm cache)", |b| {
        b.iter(|| {
            cache
                .permissions(black_box(&org), black_box(&user))
                .is_some_and(|p| p.contains(black_box(denied)))
        })
    });
    c.bench_function("whole permission set for the console (warm cache)", |b| {
        b.iter(|| {
            cache
                .permissions(black_box(&org), black_box(&user))
                .map(|p| p.bits())
        })
    });
}

criterion_group!(benches, check);
criterion_main!(benches);
