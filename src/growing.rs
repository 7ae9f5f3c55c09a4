//! What the diagram and the panels draw: a log (or its diagram) made once, as the playground
//! has it, or one that grows in place, as the live view has it. A growing one is appended to
//! by its owner between renders; the views borrow it while they draw, and lay out or fold
//! only what was added since they last looked.

use std::cell::{Ref, RefCell};
use std::ops::Deref;
use std::rc::Rc;

pub enum Src<T> {
    /// Made once (a scenario's run, an opened log).
    Fixed(Rc<T>),
    /// Grown in place by its owner: `version` changes with every change, `generation` when it
    /// changed other than by appending (then whatever was made from it is made again).
    Growing { cell: Rc<RefCell<T>>, version: u64, generation: u64 },
}

impl<T> Clone for Src<T> {
    fn clone(&self) -> Self {
        match self {
            Src::Fixed(r) => Src::Fixed(r.clone()),
            Src::Growing { cell, version, generation } => {
                Src::Growing { cell: cell.clone(), version: *version, generation: *generation }
            }
        }
    }
}

impl<T: PartialEq> PartialEq for Src<T> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Src::Fixed(a), Src::Fixed(b)) => Rc::ptr_eq(a, b) || a == b,
            (Src::Growing { cell: a, version: v, .. }, Src::Growing { cell: b, version: w, .. }) => {
                Rc::ptr_eq(a, b) && v == w
            }
            _ => false,
        }
    }
}

/// A borrowed [`Src`].
pub enum Get<'a, T> {
    Fixed(&'a T),
    Growing(Ref<'a, T>),
}

impl<T> Deref for Get<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Get::Fixed(t) => t,
            Get::Growing(r) => r,
        }
    }
}

impl<T> Src<T> {
    pub fn get(&self) -> Get<'_, T> {
        match self {
            Src::Fixed(r) => Get::Fixed(r),
            Src::Growing { cell, .. } => Get::Growing(cell.borrow()),
        }
    }

    /// Whether `other` is this one, perhaps grown by appending since (what was made from
    /// this can be extended rather than made again).
    pub fn same(&self, other: &Src<T>) -> bool {
        match (self, other) {
            (Src::Fixed(a), Src::Fixed(b)) => Rc::ptr_eq(a, b),
            (Src::Growing { cell: a, generation: g, .. }, Src::Growing { cell: b, generation: h, .. }) => {
                Rc::ptr_eq(a, b) && g == h
            }
            _ => false,
        }
    }
}

impl<T> yew::html::IntoPropValue<Src<T>> for Rc<T> {
    fn into_prop_value(self) -> Src<T> {
        Src::Fixed(self)
    }
}

/// At most this many rows of the diagram, and as many lines of the transcript, are made a
/// frame while a live view grows: a burst's draw makes the newest first (those in view when
/// following) and the rest in the next frames (`newest_first`).
pub const NEW_PER_FRAME: usize = 16;

/// The first of the items `lo..hi` to draw now: back from the newest (`hi - 1`, always drawn)
/// while what the items cost to make (`cost`: 0 for one already drawn) stays within
/// [`NEW_PER_FRAME`].
pub fn newest_first(lo: usize, hi: usize, cost: &dyn Fn(usize) -> usize) -> usize {
    let mut first = hi.max(lo + 1) - 1;
    let mut spent = cost(first);
    while first > lo && spent + cost(first - 1) <= NEW_PER_FRAME {
        first -= 1;
        spent += cost(first);
    }
    first
}

/// Runs `f` in the next animation frame (one closure type for every caller: each type of
/// closure handed to JavaScript has glue of its own in both the wasm and the JS).
pub fn next_frame(f: Box<dyn FnOnce()>) {
    use wasm_bindgen::JsCast;
    let run = wasm_bindgen::closure::Closure::once_into_js(f);
    if let Some(w) = web_sys::window() {
        let _ = w.request_animation_frame(run.unchecked_ref());
    }
}

/// Draws a component again in the next animation frame (what a frame's budget left), unless
/// that frame is already `asked` for.
pub fn draw_next_frame(asked: &Rc<std::cell::Cell<bool>>, force: &yew::functional::UseForceUpdateHandle) {
    if !asked.replace(true) {
        let (asked, force) = (asked.clone(), force.clone());
        next_frame(Box::new(move || {
            asked.set(false);
            force.force_update();
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_makes_at_most_the_budget_and_the_newest_always() {
        // Nothing drawn: the newest NEW_PER_FRAME.
        assert_eq!(newest_first(0, 100, &|_| 1), 100 - NEW_PER_FRAME);
        // Already drawn items cost nothing: the window reaches back through them.
        assert_eq!(newest_first(0, 100, &|i| usize::from(i >= 90)), 0);
        // Chunks of 16: one a frame, the newest even when it alone is over the budget.
        assert_eq!(newest_first(3, 6, &|_| 16), 5);
        assert_eq!(newest_first(3, 6, &|_| 40), 5);
        // A short newest chunk and a full one before it: both fit only if within the budget.
        assert_eq!(newest_first(0, 2, &|c| if c == 1 { 4 } else { 16 }), 1);
        assert_eq!(newest_first(0, 2, &|c| if c == 1 { 0 } else { 16 }), 0);
        // An empty range.
        assert_eq!(newest_first(5, 5, &|_| 1), 5);
    }
}
