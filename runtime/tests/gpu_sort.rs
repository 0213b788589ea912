//! The GPU radix sort against a CPU stable sort, on a real Vulkan device (lavapipe in CI) with
//! the validation layer on: any validation message fails the test.

use splat4d::gpu::sort::{sort_pairs, RadixSort};
use splat4d::gpu::{Context, ContextOptions};

fn context() -> Context {
    Context::new(&ContextOptions { validation: true, ..Default::default() })
        .unwrap_or_else(|e| panic!("a Vulkan device with validation layers is required for this test: {e}"))
}

/// xorshift, so inputs are the same on every run.
fn random_keys(n: usize, seed: u64, mask: u32) -> Vec<u32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 16) as u32 & mask
        })
        .collect()
}

fn check(ctx: &Context, sort: &RadixSort, keys: &[u32], key_bits: u32, what: &str) {
    let values: Vec<u32> = (0..keys.len() as u32).collect();
    let (k, v) = sort_pairs(ctx, sort, keys, &values, key_bits).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mask = if key_bits == 32 { u32::MAX } else { (1u32 << key_bits) - 1 };
    let mut want: Vec<(u32, u32)> = keys.iter().copied().zip(values).collect();
    // Stable, like the GPU sort: equal keys keep their input order.
    want.sort_by_key(|&(key, _)| key & mask);
    let got: Vec<(u32, u32)> = k.into_iter().zip(v).collect();
    if got != want {
        let first = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{what}: {} pairs, first difference at {first}: {:?} vs {:?}; validation: {:#?}",
            keys.len(),
            got[first],
            want[first],
            ctx.validation_messages()
        );
    }
}

#[test]
fn radix_sort_matches_a_stable_cpu_sort() {
    let ctx = context();
    let sort = RadixSort::new(&ctx).unwrap();
    for n in [0usize, 1, 2, 255, 256, 257, 2047, 2048, 2049, 65_537, (1 << 21) + 3] {
        check(&ctx, &sort, &random_keys(n, n as u64 + 7, u32::MAX), 32, &format!("random {n}"));
    }
    let n = 100_003;
    check(&ctx, &sort, &vec![42; n], 32, "all keys equal");
    check(&ctx, &sort, &(0..n as u32).collect::<Vec<_>>(), 32, "already sorted");
    check(&ctx, &sort, &(0..n as u32).rev().collect::<Vec<_>>(), 32, "reversed");
    check(&ctx, &sort, &random_keys(n, 3, 0xff00_0000), 32, "only the top byte varies");
    check(&ctx, &sort, &random_keys(n, 5, 0x0000_0003), 32, "two bits, many ties");
    check(
        &ctx,
        &sort,
        &(0..n as u32).map(|i| if i % 2 == 0 { u32::MAX } else { 0 }).collect::<Vec<_>>(),
        32,
        "extremes",
    );
    // 16-bit keys take two passes; the high bits are ignored.
    check(&ctx, &sort, &random_keys(70_001, 11, u32::MAX), 16, "16-bit keys");
    sort.destroy(&ctx);
    let messages = ctx.validation_messages();
    assert!(messages.is_empty(), "validation messages: {messages:#?}");
}

#[test]
fn sort_refuses_what_it_cannot_do() {
    let ctx = context();
    let sort = RadixSort::new(&ctx).unwrap();
    assert!(sort_pairs(&ctx, &sort, &[1, 2], &[1], 32).is_err());
    assert!(sort_pairs(&ctx, &sort, &[1, 2], &[1, 2], 0).is_err());
    let too_many = (ctx_limit(&ctx) / 4 + 1) as u32;
    assert!(sort.create_buffers(&ctx, too_many).is_err(), "beyond maxStorageBufferRange");
    sort.destroy(&ctx);
    assert!(ctx.validation_messages().is_empty(), "{:#?}", ctx.validation_messages());
}

fn ctx_limit(ctx: &Context) -> u64 {
    ctx.max_storage_buffer_range()
}
