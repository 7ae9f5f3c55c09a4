//! Free lists by size in front of the engine module's allocator (std's dlmalloc on wasm32).
//!
//! A world run allocates and frees some hundred thousand small blocks (the events' strings, the
//! engines' buffers, `format!`'s strings): dlmalloc's `malloc` and `free` (bins, chunk headers,
//! coalescing) were ~15 % of a warm run's samples in the engine module (docs/benchmarks.md,
//! "Branch ratio12"). Here a block of at most [`MAX`] bytes and alignment at most [`GRAIN`] is
//! taken from the free list of its size class (multiples of [`GRAIN`] bytes) and goes back
//! onto it when freed: a few instructions each way, and a `realloc` within one class is a no-op.
//! Larger or more aligned blocks go to the inner allocator as they are. Blocks on the lists are
//! never given back to the inner allocator: memory is what the most blocks of each class alive
//! at once took (a run of the world again reuses them).
//!
//! Only the engine module uses it (main.rs, wasm32 without threads: one list head per class,
//! no locking). Natively the world keeps the system allocator; the tests below drive a
//! [`SizeClasses`] over `System` directly.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr;

/// The size classes' step in bytes, and the largest alignment served from the lists.
pub const GRAIN: usize = 8;
/// The largest block served from the lists, in bytes.
pub const MAX: usize = 512;
const CLASSES: usize = MAX / GRAIN;

/// An allocator keeping freed blocks of up to [`MAX`] bytes on free lists, one per size class,
/// in front of `A`. Not thread-safe: the lists are plain pointers (see [`Single`]).
pub struct SizeClasses<A> {
    inner: A,
    /// The first free block of each class; a free block's first word is the next one's address.
    heads: UnsafeCell<[*mut u8; CLASSES]>,
}

impl<A> SizeClasses<A> {
    pub const fn new(inner: A) -> Self {
        Self { inner, heads: UnsafeCell::new([ptr::null_mut(); CLASSES]) }
    }
}

/// The class of a layout served from the lists (`None`: the inner allocator's).
fn class(size: usize, align: usize) -> Option<usize> {
    (size != 0 && size <= MAX && align <= GRAIN).then(|| (size - 1) / GRAIN)
}

/// What a block of class `c` really is, as the inner allocator sees it.
fn class_layout(c: usize) -> Layout {
    // (c + 1) * GRAIN is at most MAX and GRAIN is a power of two: always a valid layout.
    Layout::from_size_align((c + 1) * GRAIN, GRAIN).expect("a size class is a valid layout")
}

// SAFETY: every block handed out of class c is at least (c + 1) * GRAIN ≥ the size asked,
// aligned to GRAIN ≥ the alignment asked, and was allocated by `inner` with `class_layout(c)`
// (whether fresh or from the list); a freed block goes back onto the list of the class its
// layout names, which is the class it was handed out for (Rust passes the same layout, or for
// `realloc` the old one). A free block holds the next free block's address in its first
// `GRAIN` ≥ size_of::<*mut u8>() bytes (GRAIN-aligned, so the pointer is aligned). Layouts outside the classes go to `inner` unchanged, so `inner`
// always gets back what it gave with its own layout.
unsafe impl<A: GlobalAlloc> GlobalAlloc for SizeClasses<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout.size(), layout.align()) else {
            return unsafe { self.inner.alloc(layout) };
        };
        let head = unsafe { &mut (*self.heads.get())[c] };
        if head.is_null() {
            return unsafe { self.inner.alloc(class_layout(c)) };
        }
        let block = *head;
        *head = unsafe { block.cast::<*mut u8>().read() };
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(c) = class(layout.size(), layout.align()) else {
            return unsafe { self.inner.dealloc(block, layout) };
        };
        let head = unsafe { &mut (*self.heads.get())[c] };
        unsafe { block.cast::<*mut u8>().write(*head) };
        *head = block;
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = class(layout.size(), layout.align());
        let new = class(new_size, layout.align());
        match (old, new) {
            (Some(a), Some(b)) if a == b => block,
            (None, None) => unsafe { self.inner.realloc(block, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees new_size, rounded up to align, fits isize.
                let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                let moved = unsafe { self.alloc(new_layout) };
                if !moved.is_null() {
                    unsafe {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                }
                moved
            }
        }
    }
}

/// [`SizeClasses`] as a `#[global_allocator]` where there is one thread (wasm32 without the
/// `atomics` feature, as the engine module is built): nothing else can touch the lists.
pub struct Single<A>(pub SizeClasses<A>);

// SAFETY: built only for wasm32 without threads (main.rs), where no two calls can overlap.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl<A> Sync for Single<A> {}

// SAFETY: forwards to the inner SizeClasses.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Single<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { self.0.alloc(layout) }
    }
    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        unsafe { self.0.dealloc(block, layout) }
    }
    #[inline]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { self.0.realloc(block, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;
    use std::cell::Cell;

    /// `System`, counting what reaches it.
    #[derive(Default)]
    struct Counting {
        allocs: Cell<usize>,
        frees: Cell<usize>,
    }
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.allocs.set(self.allocs.get() + 1);
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            self.frees.set(self.frees.get() + 1);
            unsafe { System.dealloc(block, layout) }
        }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    fn fill(block: *mut u8, size: usize, seed: u8) {
        for i in 0..size {
            unsafe { block.add(i).write(seed.wrapping_add(i as u8)) };
        }
    }

    fn holds(block: *const u8, size: usize, seed: u8) -> bool {
        (0..size).all(|i| unsafe { block.add(i).read() } == seed.wrapping_add(i as u8))
    }

    #[test]
    fn classes_round_up_to_the_grain_and_stop_at_max_and_at_larger_alignments() {
        assert_eq!(class(1, 1), Some(0));
        assert_eq!(class(8, 8), Some(0));
        assert_eq!(class(9, 1), Some(1));
        assert_eq!(class(MAX, 4), Some(CLASSES - 1));
        assert_eq!(class(MAX + 1, 1), None);
        assert_eq!(class(16, 16), None);
        assert_eq!(class(0, 1), None);
    }

    #[test]
    fn a_freed_block_is_reused_by_its_class_only_and_never_reaches_the_inner_allocator() {
        let a = SizeClasses::new(Counting::default());
        unsafe {
            let p = a.alloc(layout(20, 4));
            a.dealloc(p, layout(20, 4));
            // 17..=24 bytes are one class: the same block; another class gets its own.
            assert_eq!(a.alloc(layout(24, 1)), p);
            let q = a.alloc(layout(30, 8));
            assert_ne!(q, p);
            assert_eq!((a.inner.allocs.get(), a.inner.frees.get()), (2, 0));
            // Outside the classes, the inner allocator's both ways.
            let big = a.alloc(layout(4096, 8));
            let aligned = a.alloc(layout(32, 64));
            assert_eq!(aligned as usize % 64, 0);
            a.dealloc(big, layout(4096, 8));
            a.dealloc(aligned, layout(32, 64));
            assert_eq!((a.inner.allocs.get(), a.inner.frees.get()), (4, 2));
        }
    }

    #[test]
    fn blocks_alive_together_are_distinct_aligned_and_keep_their_bytes() {
        let a = SizeClasses::new(System);
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        // Sizes across every class and past MAX, freed in an interleaved order and taken again.
        for round in 0..3u8 {
            for size in (1..=MAX + 40).step_by(7) {
                let l = layout(size, if size % 3 == 0 { 8 } else { 1 });
                let p = unsafe { a.alloc(l) };
                assert!(!p.is_null());
                assert_eq!(p as usize % l.align(), 0);
                let seed = (size as u8).wrapping_mul(31).wrapping_add(round);
                fill(p, size, seed);
                live.push((p, l, seed));
            }
            // Free every other block (some go onto the lists, some to System).
            let mut kept = Vec::new();
            for (i, (p, l, seed)) in live.drain(..).enumerate() {
                assert!(holds(p, l.size(), seed), "a block kept its bytes");
                if i % 2 == 0 {
                    unsafe { a.dealloc(p, l) };
                } else {
                    kept.push((p, l, seed));
                }
            }
            live = kept;
        }
        let mut starts: Vec<usize> = live.iter().map(|(p, _, _)| *p as usize).collect();
        starts.sort_unstable();
        starts.dedup();
        assert_eq!(starts.len(), live.len(), "no block handed out twice");
        for (p, l, seed) in live {
            assert!(holds(p, l.size(), seed));
            unsafe { a.dealloc(p, l) };
        }
    }

    #[test]
    fn realloc_keeps_the_bytes_within_a_class_across_classes_and_to_and_from_the_inner_allocator() {
        let a = SizeClasses::new(System);
        unsafe {
            let mut l = layout(3, 1);
            let mut p = a.alloc(l);
            fill(p, 3, 7);
            // Within the class (3 → 8 bytes): the same block.
            let q = a.realloc(p, l, 8);
            assert_eq!(q, p);
            l = layout(8, 1);
            fill(p, 8, 7);
            // Growing as a Vec does: 8, 16, ..., 4096 (classes, then System), then shrinking.
            let mut size = 8;
            for next in [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 600, 512, 100, 9, 1] {
                p = a.realloc(p, l, next);
                assert!(!p.is_null());
                assert!(holds(p, size.min(next), 7), "{size} → {next} kept the bytes");
                size = next;
                l = layout(size, 1);
                fill(p, size, 7);
            }
            a.dealloc(p, l);
        }
    }
}
