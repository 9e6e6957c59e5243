//! A list that is cheap to copy while it grows: the trace's steps.
//!
//! The page keeps its state as a value and makes a new one per action (a
//! relay message, a program's call), while the old value is still held by
//! the views that drew it. A trace in a plain `Vec` is then copied whole on
//! every action, each step and its payload bytes anew: a Python loop of
//! 1,000 round trips made each trip slower than the one before, as the
//! trace grew. [`Chunked`] keeps its items in fixed-size chunks behind
//! `Rc`s, so a copy shares every chunk and writing copies only the chunk
//! written to (at most [`CHUNK`] items): appending to a copy costs the same
//! however long the list is.

use std::ops::Index;
use std::rc::Rc;

/// Items per chunk. Small enough that copying the last chunk on a write is
/// cheap, large enough that a copy of the list (one `Rc` per chunk) is.
pub const CHUNK: usize = 64;

#[derive(Clone, Debug)]
pub struct Chunked<T> {
    /// Every chunk holds exactly [`CHUNK`] items but the last, which holds
    /// 1 to [`CHUNK`]. No chunk is empty.
    chunks: Vec<Rc<Vec<T>>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> Chunked<T> {
    pub fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            // Copies the last chunk only if another list shares it.
            Some(last) if last.len() < CHUNK => Rc::make_mut(last).push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(Rc::new(chunk));
            }
        }
        self.len += 1;
    }

    /// The item at `index`, to change; its chunk is copied first if
    /// another list shares it.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            return None;
        }
        let chunk = self.chunks.get_mut(index / CHUNK)?;
        Rc::make_mut(chunk).get_mut(index % CHUNK)
    }
}

impl<T> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    /// The items from `start` on (none when `start` is past the end).
    pub fn iter_from(&self, start: usize) -> Iter<'_, T> {
        let mut iter = self.iter();
        if let Some(before) = start.checked_sub(1) {
            iter.nth(before);
        }
        iter
    }

    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            chunks: self.chunks.iter(),
            front: Default::default(),
            back: Default::default(),
            left: self.len,
        }
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(item) => item,
            None => panic!("index {index} out of a list of {}", self.len),
        }
    }
}

impl<T: PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for Chunked<T> {}

impl<T: Clone> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut list = Chunked::default();
        for item in items {
            list.push(item);
        }
        list
    }
}

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// The items in order, both ways, with their count known.
#[derive(Clone, Debug)]
pub struct Iter<'a, T> {
    chunks: std::slice::Iter<'a, Rc<Vec<T>>>,
    front: std::slice::Iter<'a, T>,
    back: std::slice::Iter<'a, T>,
    left: usize,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(item) = self.front.next() {
                self.left -= 1;
                return Some(item);
            }
            match self.chunks.next() {
                Some(chunk) => self.front = chunk.iter(),
                None => {
                    let item = self.back.next()?;
                    self.left -= 1;
                    return Some(item);
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }

    /// Skips whole chunks without visiting their items: `iter().skip(n)`
    /// from a late step costs no more than the steps after it.
    fn nth(&mut self, mut n: usize) -> Option<&'a T> {
        // Drop what is left of the front chunk, then whole chunks, while
        // `n` reaches past them.
        while n >= self.front.len() {
            n -= self.front.len();
            self.left -= self.front.len();
            match self.chunks.next() {
                Some(chunk) => self.front = chunk.iter(),
                None => {
                    // Only the back chunk (taken from the other end) is left.
                    self.front = Default::default();
                    break;
                }
            }
        }
        for _ in 0..n {
            self.next()?;
        }
        self.next()
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.back.next_back() {
                self.left -= 1;
                return Some(item);
            }
            match self.chunks.next_back() {
                Some(chunk) => self.back = chunk.iter(),
                None => {
                    let item = self.front.next_back()?;
                    self.left -= 1;
                    return Some(item);
                }
            }
        }
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(n: usize) -> Chunked<usize> {
        (0..n).collect()
    }

    #[test]
    fn items_come_back_in_order_both_ways_across_chunks() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
            let list = list(n);
            assert_eq!(list.len(), n);
            assert_eq!(list.iter().len(), n);
            assert!(list.iter().copied().eq(0..n), "forwards, {n} items");
            assert!(
                list.iter().rev().copied().eq((0..n).rev()),
                "backwards, {n}"
            );
            assert_eq!(list.last().copied(), n.checked_sub(1));
            assert_eq!(list.first().copied(), (n > 0).then_some(0));
            for i in 0..n {
                assert_eq!(list[i], i);
            }
            assert_eq!(list.get(n), None);
        }
    }

    #[test]
    fn iterating_from_both_ends_meets_in_the_middle() {
        let list = list(2 * CHUNK + 3);
        let mut iter = list.iter();
        let mut seen = Vec::new();
        while let (Some(a), b) = (iter.next(), iter.next_back()) {
            seen.push(*a);
            seen.extend(b.copied());
        }
        seen.sort_unstable();
        assert!(
            seen.into_iter().eq(0..2 * CHUNK + 3),
            "each item exactly once"
        );
    }

    #[test]
    fn skipping_lands_on_the_right_item_and_counts_what_is_left() {
        let n = 4 * CHUNK + 7;
        let list = list(n);
        for skip in [
            0,
            1,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            2 * CHUNK,
            n - 1,
            n,
            n + 3,
        ] {
            let mut iter = list.iter();
            assert_eq!(
                iter.nth(skip).copied(),
                (skip < n).then_some(skip),
                "nth({skip})"
            );
            assert_eq!(
                iter.len(),
                n.saturating_sub(skip + 1),
                "left after nth({skip})"
            );
            assert!(list.iter().skip(skip).copied().eq(skip.min(n)..n));
        }
        for start in [0, 1, CHUNK, n - 1, n, n + 1] {
            assert!(
                list.iter_from(start).copied().eq(start.min(n)..n),
                "from {start}"
            );
        }
        // nth after some items were taken from the front.
        let mut iter = list.iter();
        iter.next();
        assert_eq!(iter.nth(CHUNK).copied(), Some(CHUNK + 1));
    }

    #[test]
    fn a_copy_shares_its_chunks_and_writes_do_not_show_through() {
        let mut original = list(3 * CHUNK + 1);
        let copy = original.clone();
        for (a, b) in original.chunks.iter().zip(&copy.chunks) {
            assert!(Rc::ptr_eq(a, b), "a copy shares every chunk");
        }

        original.push(1000);
        *original.get_mut(5).unwrap() = 555;
        assert_eq!(copy.len(), 3 * CHUNK + 1);
        assert_eq!(copy[5], 5, "a write to the original is not in the copy");
        assert_eq!(copy.last(), Some(&(3 * CHUNK)));
        assert_eq!(original[5], 555);
        assert_eq!(original.last(), Some(&1000));
        // Only the chunk written to was copied.
        assert!(!Rc::ptr_eq(&original.chunks[0], &copy.chunks[0]));
        assert!(Rc::ptr_eq(&original.chunks[1], &copy.chunks[1]));
        assert!(Rc::ptr_eq(&original.chunks[2], &copy.chunks[2]));
        assert_eq!(original.get_mut(original.len()), None);
    }

    #[test]
    fn equal_lists_compare_equal_however_they_were_built() {
        let mut built = list(CHUNK);
        let copy = built.clone();
        built.push(CHUNK);
        assert_eq!(built, list(CHUNK + 1));
        assert_ne!(built, copy);
        assert_eq!(copy, list(CHUNK));
    }
}
