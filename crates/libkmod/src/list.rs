//! `struct kmod_list`: the lists libkmod hands to its callers.
//!
//! A list is a chain of heap nodes, each holding one `data` pointer; the
//! first node is the list. The caller owns a returned list and frees it
//! with the matching `*_free_list`/`unref_list` function. What the other
//! files of this crate may rely on:
//! * [`from_items`] / [`append`] build a list from `data` pointers
//!   (an empty list is NULL);
//! * [`items`] gives a list's `data` pointers in order, [`data`] one
//!   entry's;
//! * [`free`] frees the nodes, giving each `data` to a closure first.
//!
//! A list is not shared between threads (it belongs to one caller), so the
//! nodes need no lock.

use std::ffi::c_void;
use std::ptr;

/// One entry of a list; the first entry is the list.
pub struct kmod_list {
    next: *mut kmod_list,
    prev: *mut kmod_list,
    data: *mut c_void,
}

/// A new list of `items`, in order; NULL when there are none.
pub fn from_items<I: IntoIterator<Item = *mut c_void>>(items: I) -> *mut kmod_list {
    let mut head = ptr::null_mut();
    for item in items {
        // SAFETY: `head` is NULL or a list built here.
        head = unsafe { append(head, item) };
    }
    head
}

/// Append `data` to the list `head` (NULL: a new list); returns the head.
///
/// # Safety
/// `head` is NULL or a list built by this module and not yet freed.
pub unsafe fn append(head: *mut kmod_list, data: *mut c_void) -> *mut kmod_list {
    let node = Box::into_raw(Box::new(kmod_list {
        next: ptr::null_mut(),
        prev: ptr::null_mut(),
        data,
    }));
    if head.is_null() {
        (*node).next = node;
        (*node).prev = node;
        return node;
    }
    let last = (*head).prev;
    (*node).prev = last;
    (*node).next = head;
    (*last).next = node;
    (*head).prev = node;
    head
}

/// The `data` pointers of a list, in order.
///
/// # Safety
/// `head` is NULL or a valid list.
pub unsafe fn items(head: *const kmod_list) -> Vec<*mut c_void> {
    let mut out = Vec::new();
    if head.is_null() {
        return out;
    }
    let mut cur = head;
    loop {
        out.push((*cur).data);
        cur = (*cur).next;
        if std::ptr::eq(cur, head) {
            break;
        }
    }
    out
}

/// The `data` of one entry (NULL for a NULL entry).
///
/// # Safety
/// `entry` is NULL or an entry of a valid list.
pub unsafe fn data(entry: *const kmod_list) -> *mut c_void {
    if entry.is_null() {
        ptr::null_mut()
    } else {
        (*entry).data
    }
}

/// Free every node of a list, handing each `data` to `free_data` first.
///
/// # Safety
/// `head` is NULL or a list built by this module, not used afterwards.
pub unsafe fn free(head: *mut kmod_list, mut free_data: impl FnMut(*mut c_void)) {
    if head.is_null() {
        return;
    }
    let mut cur = head;
    loop {
        let next = (*cur).next;
        let node = Box::from_raw(cur);
        free_data(node.data);
        drop(node);
        if next == head {
            break;
        }
        cur = next;
    }
}

symver!(
    kmod_list_next @ "LIBKMOD_5",
    kmod_list_prev @ "LIBKMOD_5",
    kmod_list_last @ "LIBKMOD_5",
);

/// The entry after `curr`, NULL at the end.
#[no_mangle]
pub unsafe extern "C" fn kmod_list_next(
    list: *const kmod_list,
    curr: *const kmod_list,
) -> *mut kmod_list {
    if list.is_null() || curr.is_null() {
        return ptr::null_mut();
    }
    let next = (*curr).next;
    if std::ptr::eq(next, list) {
        ptr::null_mut()
    } else {
        next
    }
}

/// The entry before `curr`, NULL at the start.
#[no_mangle]
pub unsafe extern "C" fn kmod_list_prev(
    list: *const kmod_list,
    curr: *const kmod_list,
) -> *mut kmod_list {
    if list.is_null() || curr.is_null() || curr == list {
        return ptr::null_mut();
    }
    (*curr).prev
}

/// The last entry of a list.
#[no_mangle]
pub unsafe extern "C" fn kmod_list_last(list: *const kmod_list) -> *mut kmod_list {
    if list.is_null() {
        return ptr::null_mut();
    }
    (*list).prev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_walk_free() {
        let mut values = [1u8, 2, 3];
        let ptrs: Vec<*mut c_void> = values.iter_mut().map(|v| (v as *mut u8).cast()).collect();
        let head = from_items(ptrs.iter().copied());
        unsafe {
            assert_eq!(items(head), ptrs);
            let last = kmod_list_last(head);
            assert_eq!(data(last), ptrs[2]);
            let second = kmod_list_next(head, head);
            assert_eq!(data(second), ptrs[1]);
            assert!(kmod_list_next(head, last).is_null());
            assert_eq!(kmod_list_prev(head, second), head);
            assert!(kmod_list_prev(head, head).is_null());
            let mut freed = Vec::new();
            free(head, |d| freed.push(*d.cast::<u8>()));
            assert_eq!(freed, vec![1, 2, 3]);
        }
        assert!(from_items(std::iter::empty()).is_null());
    }
}
