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
