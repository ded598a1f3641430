//! The probe `#[require]` puts in a handler's body for each parameter the framework extracts:
//! a parameter whose type is the caller or the proof under another name (an alias the macro
//! cannot see through) and that is not marked `#[caller]`/`#[proof]` would be read from the
//! request, and the framework would answer with an extractor error that names neither mark.
//! The macro cannot tell an alias from an extractor by name, so the compiler tells them apart:
//! `(&Probe::<T>(PhantomData)).__authz_kind()` is [`UnmarkedCaller`] when `T` is
//! `Authenticated<..>`, [`UnmarkedProof`] when it is `Granted<..>`, and [`ExtractedParam`]
//! otherwise (autoref specialization: a method on the probe for those two types is found
//! before the fallback on a reference to it), and [`extracted_not_caller`] and
//! [`extracted_not_proof`] refuse the first two with an error naming the mark.
//!
//! Declared once here rather than in every handler's body: the items are the same for every
//! handler, and a body that declares traits and impls of its own costs the compiler their
//! well-formedness and coherence checks in each handler. Their names are plain words because
//! the compiler prints them beside the message.

use core::marker::PhantomData;

use crate::{Authenticated, Granted};

/// The type of a parameter, asked what it is.
#[allow(missing_debug_implementations)]
pub struct Probe<T: ?Sized>(pub PhantomData<T>);

/// The answer for `Authenticated<..>`: the caller, unmarked.
#[derive(Debug)]
pub struct UnmarkedCaller;

/// The answer for `Granted<..>`: the proof, unmarked.
#[derive(Debug)]
pub struct UnmarkedProof;

/// The answer for any other type: a parameter the framework extracts.
#[derive(Debug)]
pub struct ExtractedParam;

/// Not the caller.
#[diagnostic::on_unimplemented(
    message = "this parameter is the caller: mark it `#[caller]`",
    label = "an `Authenticated<..>` under another name: write `#[caller]` before the parameter",
    note = "`#[require]` sees the name of a type, not the type an alias stands for; unmarked, the parameter would be read from the request"
)]
pub trait ExtractedNotCaller {}

/// Not the proof.
#[diagnostic::on_unimplemented(
    message = "this parameter is the proof: mark it `#[proof]`",
    label = "a `Granted<..>` under another name: write `#[proof]` before the parameter",
    note = "`#[require]` sees the name of a type, not the type an alias stands for; unmarked, the parameter would be read from the request"
)]
pub trait ExtractedNotProof {}

#[diagnostic::do_not_recommend]
impl ExtractedNotCaller for ExtractedParam {}
#[diagnostic::do_not_recommend]
impl ExtractedNotCaller for UnmarkedProof {}
#[diagnostic::do_not_recommend]
impl ExtractedNotProof for ExtractedParam {}
#[diagnostic::do_not_recommend]
impl ExtractedNotProof for UnmarkedCaller {}

/// The probe of a caller.
pub trait IsCaller {
    /// [`UnmarkedCaller`].
    fn __authz_kind(&self) -> UnmarkedCaller {
        UnmarkedCaller
    }
}
impl<P, C> IsCaller for Probe<Authenticated<P, C>> {}

/// The probe of a proof.
pub trait IsProof {
    /// [`UnmarkedProof`].
    fn __authz_kind(&self) -> UnmarkedProof {
        UnmarkedProof
    }
}
impl<R> IsProof for Probe<Granted<R>> {}

/// The probe of anything else, found through one more reference.
pub trait IsOther {
    /// [`ExtractedParam`].
    fn __authz_kind(&self) -> ExtractedParam {
        ExtractedParam
    }
}
impl<T: ?Sized> IsOther for &Probe<T> {}

/// Refuses an unmarked caller.
pub fn extracted_not_caller<K: ExtractedNotCaller>(_: &K) {}

/// Refuses an unmarked proof.
pub fn extracted_not_proof<K: ExtractedNotProof>(_: &K) {}
