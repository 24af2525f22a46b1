//! The command line's allocator: mimalloc for the small, short-lived objects a
//! replay makes by the million (records parsed on reader threads and freed on
//! the engine's), the system allocator for large buffers.
//!
//! Why two: with glibc's malloc, memory that a reader thread allocates and the
//! engine's thread frees fragments the readers' arenas, and malloc itself
//! became the largest cost of a replay. mimalloc frees across threads cheaply.
//! But mimalloc grows a buffer by copying it, where glibc remaps its pages: a
//! document read up to the 64 MiB limit would briefly need three times that.
//! Large blocks therefore stay with the system allocator, which also grows them
//! in place. The Lambda functions do not use this (it is in the binary only).

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_int, c_long, c_void};

use mimalloc::MiMalloc;

/// Blocks of at least this many bytes come from the system allocator: among
/// them the readers' 256 KiB buffers. The kernel copied file data into such a
/// buffer from mimalloc at a third of the speed (system time of a seed-only
/// replay 0.65 s against 0.25 s; not explained: perhaps its page alignment),
/// and 1 MiB buffers in glibc were trimmed and faulted in again for every gzip
/// file.
const LARGE: usize = 1 << 18;

pub struct Split;

/// mimalloc's `mi_option_purge_delay`: the index of the option in `mi_option_t`,
/// the same in mimalloc v2 and v3 (the Rust bindings do not name it).
const MI_OPTION_PURGE_DELAY: c_int = 15;

/// mimalloc v3's `mi_option_allow_thp` (the crate builds v3, see the test
/// below).
const MI_OPTION_ALLOW_THP: c_int = 43;

/// `PR_SET_THP_DISABLE` of `<linux/prctl.h>`.
#[cfg(target_os = "linux")]
const PR_SET_THP_DISABLE: c_int = 41;

unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    fn mi_malloc(size: usize) -> *mut c_void;
    fn mi_zalloc(size: usize) -> *mut c_void;
    fn mi_realloc(p: *mut c_void, newsize: usize) -> *mut c_void;
    #[cfg(target_os = "linux")]
    fn prctl(option: c_int, ...) -> c_int;
}

/// What plain `mi_malloc` aligns every block to at least, when the block is
/// that large (smaller blocks are aligned to their size class).
const MI_MIN_ALIGN: usize = 16;

/// Whether a block of `size` bytes aligned to `align` can come from the plain
/// entry points: the rule the system allocator follows for `malloc`. The
/// mimalloc crate always calls the aligned ones, which do more work on each of
/// the millions of small blocks a replay makes (about 1 % of its instructions).
fn plain(size: usize, align: usize) -> bool {
    align <= MI_MIN_ALIGN && align <= size
}

/// Tells mimalloc to keep the memory it frees instead of handing it back to the
/// kernel a second later. A replay frees records by the million on one thread
/// while reader threads allocate more: with purging, pages went back and were
/// faulted in (and zeroed, two MiB at a time under transparent huge pages)
/// again, a sixth of the CPU time of a replay with every detection
/// (`perf stat`: 2.7 s of task clock against 2.2 s, page faults 3,600 against
/// 450). The peak is what it was; only the return of memory before exit goes.
pub fn keep_freed_memory() {
    // SAFETY: setting an option is allowed at any time; an index outside the
    // enumeration is ignored by mimalloc.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// Keeps the heap on ordinary 4 KiB pages. mimalloc asks for transparent huge
/// pages for its arenas, and the kernel zeroes each 2 MiB page whole on its
/// first touch. On the build machine (a virtual machine, where first touches
/// are costly) that made the system time of a replay with every detection swing
/// from 0.3 s to 0.9 s between runs of the same input, with the wall time
/// following (1.27 s to 2.06 s; five runs each way: 1.62 s on average with
/// huge pages, 1.35 s without). The option covers arenas reserved from now on;
/// the process flag (inherited by children, of which replay has none) also
/// covers the arena mimalloc reserved before `main`.
pub fn small_pages() {
    // SAFETY: as above; `prctl` with this option only sets a flag of the process.
    unsafe {
        mi_option_set(MI_OPTION_ALLOW_THP, 0);
        #[cfg(target_os = "linux")]
        prctl(
            PR_SET_THP_DISABLE,
            1 as std::ffi::c_ulong,
            0 as std::ffi::c_ulong,
            0 as std::ffi::c_ulong,
            0 as std::ffi::c_ulong,
        );
    }
}

fn is_large(size: usize) -> bool {
    size >= LARGE
}

// SAFETY: every block is freed and resized by the allocator that made it: which
// one is decided by its size, and Rust passes `dealloc` and `realloc` the layout
// the block was made (or last resized) with. A block moving across the
// threshold is copied into a block of the other allocator.
unsafe impl GlobalAlloc for Split {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size()) {
            unsafe { System.alloc(layout) }
        } else if plain(layout.size(), layout.align()) {
            unsafe { mi_malloc(layout.size()).cast() }
        } else {
            unsafe { MiMalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size()) {
            unsafe { System.alloc_zeroed(layout) }
        } else if plain(layout.size(), layout.align()) {
            unsafe { mi_zalloc(layout.size()).cast() }
        } else {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_large(layout.size()) {
            unsafe { System.dealloc(ptr, layout) }
        } else {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (is_large(layout.size()), is_large(new_size)) {
            (true, true) => unsafe { System.realloc(ptr, layout, new_size) },
            (false, false) if plain(new_size, layout.align()) => unsafe {
                mi_realloc(ptr.cast(), new_size).cast()
            },
            (false, false) => unsafe { MiMalloc.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees that `new_size`, rounded up to the
                // alignment, does not overflow `isize`.
                let new_layout =
                    unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                let new = unsafe { self.alloc(new_layout) };
                if !new.is_null() {
                    let keep = layout.size().min(new_size);
                    // SAFETY: both blocks hold at least `keep` bytes and are distinct.
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, new, keep);
                        self.dealloc(ptr, layout);
                    }
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" {
        fn mi_option_get(option: c_int) -> c_long;
    }

    /// Option 15 is the purge delay: its default in mimalloc v3 (1000 ms) is there
    /// before, -1 after.
    #[test]
    fn the_purge_delay_is_the_option_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
        }
        keep_freed_memory();
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, -1);
    }

    /// Option 43 is v3's `allow_thp` (default 1, 0 after), and the process no
    /// longer takes huge pages.
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_turned_off() {
        const PR_GET_THP_DISABLE: c_int = 42;
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
            assert_eq!(unsafe { mi_option_get(MI_OPTION_ALLOW_THP) }, 1);
        }
        small_pages();
        assert_eq!(unsafe { mi_option_get(MI_OPTION_ALLOW_THP) }, 0);
        let zero: std::ffi::c_ulong = 0;
        // The kernel refuses the call unless the unused arguments are zero.
        let disabled = unsafe { prctl(PR_GET_THP_DISABLE, zero, zero, zero, zero) };
        assert_eq!(disabled, 1);
    }

    /// Blocks from the plain entry points are aligned as their layouts ask, also
    /// after growing and shrinking; stricter alignments take the aligned ones.
    #[test]
    fn small_blocks_are_aligned_as_asked() {
        let a = Split;
        for (size, align) in [
            (1, 1),
            (8, 8),
            (12, 4),
            (24, 8),
            (16, 16),
            (48, 16),
            (8, 16),
            (64, 32),
            (100, 64),
        ] {
            let layout = Layout::from_size_align(size, align).unwrap();
            unsafe {
                let p = a.alloc(layout);
                assert!(
                    !p.is_null() && (p as usize).is_multiple_of(align),
                    "{size} {align}"
                );
                std::ptr::write_bytes(p, 0xa5, size);
                let q = a.realloc(p, layout, size * 5);
                assert!(
                    !q.is_null() && (q as usize).is_multiple_of(align),
                    "{size} {align} grown"
                );
                assert!((0..size).all(|i| *q.add(i) == 0xa5));
                let grown = Layout::from_size_align(size * 5, align).unwrap();
                let r = a.realloc(q, grown, 1);
                assert!(
                    !r.is_null() && (r as usize).is_multiple_of(align),
                    "{size} {align} shrunk"
                );
                a.dealloc(r, Layout::from_size_align(1, align).unwrap());
                let z = a.alloc_zeroed(layout);
                assert!((z as usize).is_multiple_of(align) && (0..size).all(|i| *z.add(i) == 0));
                a.dealloc(z, layout);
            }
        }
    }

    /// Blocks grown and shrunk across the threshold keep their bytes, whichever
    /// allocator they move to.
    #[test]
    fn blocks_keep_their_bytes_across_the_threshold() {
        let a = Split;
        unsafe {
            let small = Layout::from_size_align(1000, 8).unwrap();
            let p = a.alloc(small);
            assert!(!p.is_null());
            for i in 0..1000 {
                *p.add(i) = (i % 251) as u8;
            }
            let p = a.realloc(p, small, 3 * LARGE);
            assert!(!p.is_null());
            let large = Layout::from_size_align(3 * LARGE, 8).unwrap();
            *p.add(3 * LARGE - 1) = 7;
            let p = a.realloc(p, large, 5 * LARGE);
            let larger = Layout::from_size_align(5 * LARGE, 8).unwrap();
            assert_eq!(*p.add(3 * LARGE - 1), 7);
            let p = a.realloc(p, larger, 500);
            for i in 0..500 {
                assert_eq!(*p.add(i), (i % 251) as u8);
            }
            a.dealloc(p, Layout::from_size_align(500, 8).unwrap());
            let z = a.alloc_zeroed(large);
            assert!((0..3 * LARGE).step_by(4096).all(|i| *z.add(i) == 0));
            a.dealloc(z, large);
        }
    }
}
