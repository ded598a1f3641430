//! The types every adapter's extractors are made of, written once: the orphan rule makes each
//! adapter own the types its framework's extractor and response traits are implemented for,
//! so [`adapter_types!`](crate::adapter_types) defines them in the adapter's crate, and the
//! adapter writes only its framework's impls (`FromRequestParts`, `FromRequest`, ...).

/// Defines an adapter's extractor types in the calling module: the `Authz` marker (with its
/// [`Adapter`](crate::Adapter) impl), the caller extractor `Auth`, the guard `Require` that
/// carries the caller and the [`Granted`](crate::Granted) proof, and the public marker
/// `Public`, each with its `Debug`, `Deref` and accessors. The adapter then implements its
/// framework's extractor trait for `Auth`, `Require` and `Public` (building a `Require` with
/// `Require::new(caller, granted)`, visible in the adapter's crate only, and a `Public` with
/// `Public::new()`), and calls
/// [`guard_traits!`](crate::guard_traits) for the route rules.
///
/// - `crate_name`: the adapter's crate name as code names it (`"authz_axum"`), for the docs.
/// - `responder`: the adapter's trait for answering refusals; `Authz`'s third parameter must
///   implement it, and defaults to `default_responder`.
/// - `auth_note`: what the framework's optional caller is (a sentence for `Auth`'s docs).
///
/// ```
/// mod my_adapter {
///     /// Answers refusals.
///     pub trait Responder: 'static {}
///     /// The default.
///     #[derive(Debug)]
///     pub struct ProblemJson;
///     impl Responder for ProblemJson {}
///
///     authz_core::adapter_types!(
///         crate_name = "my_adapter",
///         responder = Responder,
///         default_responder = ProblemJson,
///         auth_note = "An optional caller is `Option<Auth<A>>`.",
///     );
/// }
/// # authz_core::policy! { /// P
/// # pub mod reports { permissions { /// r
/// # "reports:read", } } }
/// # #[derive(serde::Deserialize, authz_core::Claims)] struct Token { sub: String }
/// type Authz = my_adapter::Authz<reports::Policy, Token>;
/// let public = my_adapter::Public::<Authz>::new();
/// assert_eq!(format!("{public:?}"), "Public");
/// ```
#[macro_export]
macro_rules! adapter_types {
    (
        crate_name = $krate:literal,
        responder = $responder:path,
        default_responder = $default:ty,
        auth_note = $auth_note:literal $(,)?
    ) => {
        /// The application's authorization setup as a type: policy `P`, claims `C`, and how
        /// refusals are answered (`H`). Declare it once, as the alias `#[require]` and
        /// `#[public]` look for:
        ///
        /// ```text
        #[doc = concat!("type Authz = ", $krate, "::Authz<reports::Policy, ReportsClaims>;")]
        /// ```
        pub struct Authz<P, C, H = $default>(::core::marker::PhantomData<fn() -> (P, C, H)>);

        impl<P, C, H> ::core::fmt::Debug for Authz<P, C, H> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str("Authz")
            }
        }

        impl<P, C, H> $crate::Adapter for Authz<P, C, H>
        where
            P: $crate::Policy,
            C: $crate::Claims
                + $crate::__private_0_1::serde::de::DeserializeOwned
                + ::core::marker::Send
                + ::core::marker::Sync
                + 'static,
            H: $responder,
        {
            type Policy = P;
            type Claims = C;
            type Guard<R: $crate::Requirement<Policy = P>> = Require<Self, R>;
            type Public = Public<Self>;
        }

        /// An authenticated caller, with no permission demanded. Dereferences to
        /// `Authenticated`. Beside a guard in one handler, the request is authenticated once.
        #[doc = ""]
        #[doc = $auth_note]
        pub struct Auth<A: $crate::Adapter>(pub $crate::Authenticated<A::Policy, A::Claims>);

        impl<A: $crate::Adapter> ::core::ops::Deref for Auth<A> {
            type Target = $crate::Authenticated<A::Policy, A::Claims>;
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl<A: $crate::Adapter> ::core::fmt::Debug for Auth<A> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_tuple("Auth").field(&self.0).finish()
            }
        }

        /// The guard `#[require]` puts first in a handler: authenticates, checks `R`, and
        /// hands the caller and the `Granted<R>` proof to the body. Usable directly as an
        /// extractor too.
        pub struct Require<A: $crate::Adapter, R> {
            caller: $crate::Authenticated<A::Policy, A::Claims>,
            granted: $crate::Granted<R>,
        }

        impl<A: $crate::Adapter, R> Require<A, R> {
            /// The guard for a caller that passed requirement `R`, for the adapter's extractor.
            pub(crate) fn new(
                caller: $crate::Authenticated<A::Policy, A::Claims>,
                granted: $crate::Granted<R>,
            ) -> Self {
                Self { caller, granted }
            }

            /// The caller.
            pub fn caller(&self) -> &$crate::Authenticated<A::Policy, A::Claims> {
                &self.caller
            }

            /// The proof.
            pub fn granted(&self) -> &$crate::Granted<R> {
                &self.granted
            }
        }

        impl<A: $crate::Adapter, R: $crate::Requirement> ::core::fmt::Debug for Require<A, R> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct("Require")
                    .field("caller", &self.caller)
                    .field("granted", &self.granted)
                    .finish()
            }
        }

        impl<A: $crate::Adapter, R> $crate::adapter::Guard<A::Policy, A::Claims, R>
            for Require<A, R>
        {
            fn into_parts(
                self,
            ) -> (
                $crate::Authenticated<A::Policy, A::Claims>,
                $crate::Granted<R>,
            ) {
                (self.caller, self.granted)
            }
        }

        /// The marker `#[public]` puts first in a handler: anyone may call it. It extracts
        /// nothing and never fails; it exists so a deny-by-default router can tell "public"
        /// from "forgotten".
        pub struct Public<A>(::core::marker::PhantomData<fn() -> A>);

        impl<A> Public<A> {
            /// The marker.
            pub const fn new() -> Self {
                Self(::core::marker::PhantomData)
            }
        }

        impl<A> ::core::default::Default for Public<A> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<A> ::core::fmt::Debug for Public<A> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str("Public")
            }
        }
    };
}

/// `From` impls that let a handler use `?` on the library's fallible calls, for an adapter's
/// rejection type `$rejection<H>` that has `From<Refusal>`: [`Denied`](crate::Denied) (an
/// owner check), `api_key::IssueError` and `api_key::RevokeError` (with the calling crate's
/// feature `api-keys`), `token::LogoutError`, and the role assignments' `TenantError`
/// (`in_tenant`) and `ChangeError` (`grant_by`, `revoke_by`, `manage`). Each answers as its
/// `Refusal` describes.
#[macro_export]
macro_rules! refusal_conversions {
    (@one $rejection:ident, $error:ty) => {
        impl<H> ::core::convert::From<$error> for $rejection<H> {
            fn from(error: $error) -> Self {
                Self::from($crate::Refusal::from(error))
            }
        }
    };
    ($rejection:ident) => {
        $crate::refusal_conversions!(@one $rejection, $crate::Denied);
        #[cfg(feature = "api-keys")]
        $crate::refusal_conversions!(@one $rejection, $crate::api_key::IssueError);
        #[cfg(feature = "api-keys")]
        $crate::refusal_conversions!(@one $rejection, $crate::api_key::RevokeError);
        $crate::refusal_conversions!(@one $rejection, $crate::token::LogoutError);
        $crate::refusal_conversions!(@one $rejection, $crate::assignments::TenantError);
        $crate::refusal_conversions!(@one $rejection, $crate::assignments::ChangeError);
    };
}
