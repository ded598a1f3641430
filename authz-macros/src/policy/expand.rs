//! The module `policy!` generates. It names only `#krate::…` and `::core::…` paths, so
//! nothing in the user's scope can change its meaning.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::Attribute;

use super::check::Model;
use super::parse::PolicyInput;

pub(crate) fn expand(input: &PolicyInput, model: &Model) -> TokenStream {
    let PolicyInput {
        attrs, vis, name, ..
    } = input;
    let policy_name = name.to_string();
    let krate = crate::tokens::core_path(input.krate.as_ref());
    let private = quote!(#krate::__private_0_1);

    let p_idents: Vec<_> = model.permissions.iter().map(|p| &p.ident).collect();
    let p_names: Vec<_> = model.permissions.iter().map(|p| &p.name).collect();
    let p_docs: Vec<_> = model
        .permissions
        .iter()
        .map(|p| docs_or(&p.attrs, &format!("The permission `{}`.", p.name)))
        .collect();
    let p_count = model.permissions.len();
    let p_index: Vec<_> = (0..p_count).map(Literal::usize_unsuffixed).collect();

    let r_idents: Vec<_> = model.roles.iter().map(|r| &r.ident).collect();
    let r_names: Vec<_> = model.roles.iter().map(|r| &r.name).collect();
    let r_docs: Vec<_> = model
        .roles
        .iter()
        .map(|r| docs_or(&r.attrs, &format!("The role `{}`.", r.name)))
        .collect();
    let r_count = model.roles.len();
    let r_grants = model.roles.iter().map(|r| Literal::u128_suffixed(r.grants));
    let r_direct = model.roles.iter().map(|r| Literal::u128_suffixed(r.direct));
    let r_parents = model.roles.iter().map(|r| {
        let parents = r.parents.iter().map(|&(p, _)| &model.roles[p].ident);
        quote!(&[#(Self::#parents),*])
    });
    let separated = model.separated.iter().map(|&(a, b)| {
        let (a, b) = (&model.permissions[a].ident, &model.permissions[b].ident);
        quote!((Permission::#a, Permission::#b))
    });

    let r_index: Vec<_> = (0..r_count).map(Literal::usize_unsuffixed).collect();
    let r_lineage = model
        .roles
        .iter()
        .map(|r| Literal::u128_suffixed(r.lineage));

    // Messages for unknown names in `#[require]`, which the compiler shows when a lookup fails.
    let p_hints = p_names
        .iter()
        .map(|n| format!("unknown permission; did you mean `{n}`?"));
    let r_hints = r_names
        .iter()
        .map(|n| format!("unknown role; did you mean `{n}`?"));
    let listing = |names: &[&String]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let p_unknown = format!(
        "unknown permission; the policy `{policy_name}` declares {}",
        listing(&p_names)
    );
    let r_unknown = if r_names.is_empty() {
        format!("unknown role; the policy `{policy_name}` declares no roles")
    } else {
        format!(
            "unknown role; the policy `{policy_name}` declares {}",
            listing(&r_names)
        )
    };

    // An enum with no variants would make `match self {}` bodies of type `!`; give a role-less
    // policy's `Role` enum no impossible arms instead.
    let role_match = |arms: TokenStream| {
        if model.roles.is_empty() {
            quote!(match self {})
        } else {
            quote!(match self { #arms })
        }
    };
    let role_name_body = role_match(quote!(#(Self::#r_idents => #r_names,)*));
    let role_grants_body =
        role_match(quote!(#(Self::#r_idents => #private::permission_set(#r_grants),)*));
    let role_direct_body =
        role_match(quote!(#(Self::#r_idents => #private::permission_set(#r_direct),)*));
    let role_parents_body = role_match(quote!(#(Self::#r_idents => #r_parents,)*));
    let role_index_body = role_match(quote!(#(Self::#r_idents => #r_index,)*));
    let role_lineage_body =
        role_match(quote!(#(Self::#r_idents => #private::role_set(#r_lineage),)*));
    let policy_doc = format!(
        "The policy `{policy_name}`: {p_count} permissions, {r_count} roles. Implements [`authz_core::Policy`]."
    );
    let permission_doc = format!("The permissions of the policy `{policy_name}`.");
    let role_doc = format!("The roles of the policy `{policy_name}`.");
    let perm_mod_doc = format!(
        "One requirement type per permission of `{policy_name}` (a unit struct: also its value), to demand a permission in a type."
    );
    let name_lookup = |ty: TokenStream, names: &[&String], idents: &[&syn::Ident]| {
        quote! {
            match name {
                #(#names => #private::Some(#ty::#idents),)*
                _ => #private::None,
            }
        }
    };
    let permission_lookup = name_lookup(quote!(Self), &p_names, &p_idents);
    let role_lookup = name_lookup(quote!(Self), &r_names, &r_idents);
    // Sorted by the name's hash for the binary search of `#[require]`'s lookups.
    let sorted = |names: &[&String]| {
        let mut pairs: Vec<(u64, usize)> = names
            .iter()
            .map(|name| crate::names::name_hash(name))
            .zip(0..)
            .collect();
        pairs.sort_unstable();
        pairs
            .into_iter()
            .map(|(hash, index)| {
                let (hash, index) = (
                    Literal::u64_suffixed(hash),
                    Literal::usize_unsuffixed(index),
                );
                quote!((#hash, #index))
            })
            .collect::<Vec<_>>()
    };
    let p_sorted = sorted(&p_names);
    let r_sorted = sorted(&r_names);
    let p_keys = p_names.iter().map(|name| crate::names::name_key(name));
    let r_keys = r_names.iter().map(|name| crate::names::name_key(name));
    // A role implies, as a proof, every permission it grants and every role it inherits. The
    // trait and the paths are named through a private `use` in the module: there are as many
    // of these impls as grants, and resolving two absolute paths in each cost the compiler
    // about a sixth of their time.
    //
    // A role implies what one of its parents implies through one generic impl, and only what
    // that parent does not reach (its own grants, what its other parents bring) by an impl
    // each: a chain of thirty roles over 120 permissions is then 120 impls instead of 1,860,
    // each of which the compiler checks in every build. No target gets two paths, or the
    // compiler could not infer which: what the chosen parent reaches, the parent itself
    // included, goes through it only. The parent chosen is the one that reaches most.
    let role_implies = model.roles.iter().enumerate().flat_map(|(index, role)| {
        let this = &role.ident;
        let reach = |r: &super::check::RoleModel| r.grants.count_ones() + r.lineage.count_ones();
        let parent = role
            .parents
            .iter()
            .map(|(parent, _)| &model.roles[*parent])
            .max_by_key(|parent| reach(parent));
        let (grants, ancestors) = match parent {
            Some(parent) => (
                role.grants & !parent.grants,
                role.lineage & !parent.lineage & !(1u128 << index),
            ),
            None => (role.grants, 0),
        };
        let forward = parent.map(|parent| &parent.ident);
        let granted = model
            .permissions
            .iter()
            .enumerate()
            .filter(move |(i, _)| grants & (1u128 << i) != 0)
            .map(|(_, p)| {
                let p = &p.ident;
                quote!(super::perm::#p)
            });
        let inherited = model
            .roles
            .iter()
            .enumerate()
            .filter(move |(i, _)| ancestors & (1u128 << i) != 0)
            .map(|(_, r)| {
                let r = &r.ident;
                quote!(#r)
            });
        let forwarded = forward.map(|parent| {
            quote! {
                #[diagnostic::do_not_recommend]
                impl<__AuthzTarget, __AuthzPath>
                    __AuthzImplies<__AuthzTarget, __AuthzInherited<__AuthzPath>> for #this
                where
                    __AuthzTarget: __AuthzLeaf,
                    #parent: __AuthzImplies<__AuthzTarget, __AuthzPath>,
                {
                }
            }
        });
        granted
            .chain(inherited)
            .map(|target| {
                quote! {
                    #[diagnostic::do_not_recommend]
                    impl __AuthzImplies<#target, __AuthzByRole> for #this {}
                }
            })
            .chain(forwarded)
            .collect::<Vec<_>>()
    });
    // One unit struct per permission and per role, each a requirement met by its bit in the
    // caller's permission or role set. They derive what a marker type is used for (copied,
    // made by `Default`, printed) and not `PartialEq`, `Eq` or `Hash`: every value of a unit
    // struct is equal, and the four impls per name were a seventh of the policy module's check.
    let requirement_type =
        |docs: &TokenStream, ident: &syn::Ident, rule: TokenStream, set: TokenStream, index| {
            quote! {
                #docs
                #[derive(Clone, Copy, Default, Debug)]
                pub struct #ident;

                impl #krate::__private_0_1::Requirement for #ident {
                    type Policy = super::Policy;
                    const RULE: #krate::__private_0_1::Rule = #rule;
                    #[inline]
                    fn is_met(
                        permissions: #krate::__private_0_1::PermissionSet<super::Policy>,
                        roles: #krate::__private_0_1::RoleSet<super::Policy>,
                    ) -> bool {
                        let _ = (permissions, roles);
                        #private::has_bit(#set.bits(), #index)
                    }
                }
                impl #private::Leaf for #ident {}
            }
        };
    let perm_types: Vec<_> = (0..p_count)
        .map(|i| {
            let name = p_names[i];
            requirement_type(
                &p_docs[i],
                p_idents[i],
                quote!(#krate::__private_0_1::Rule::Permission(#name)),
                quote!(permissions),
                &p_index[i],
            )
        })
        .collect();
    let role_types: Vec<_> = (0..r_count)
        .map(|i| {
            let name = r_names[i];
            requirement_type(
                &r_docs[i],
                r_idents[i],
                quote!(#krate::__private_0_1::Rule::Role(#name)),
                quote!(roles),
                &r_index[i],
            )
        })
        .collect();
    let role_implies: Vec<_> = role_implies.collect();
    // Only with impls to name them in: an unused import would warn in the user's crate.
    let implies_use = (!role_implies.is_empty())
        .then(|| quote!(use #private::{ByRole as __AuthzByRole, Implies as __AuthzImplies};));
    let forward_use = model
        .roles
        .iter()
        .any(|role| !role.parents.is_empty())
        .then(|| quote!(use #private::{Inherited as __AuthzInherited, Leaf as __AuthzLeaf};));
    let role_mod_doc = format!(
        "One requirement type per role of `{policy_name}`: met by a caller holding the role or a role that inherits it."
    );
    let set_alias_doc = format!("A set of permissions of the policy `{policy_name}`.");

    quote! {
        #(#attrs)*
        #vis mod #name {
            #[doc = #policy_doc]
            #[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
            pub struct Policy;

            #[doc = #set_alias_doc]
            pub type PermissionSet = #krate::__private_0_1::PermissionSet<Policy>;

            #[doc = #permission_doc]
            #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
            pub enum Permission {
                #( #p_docs #p_idents, )*
            }

            impl Permission {
                /// Every permission, in declaration order.
                pub const ALL: [Self; #p_count] = [#(Self::#p_idents),*];

                /// The stable name, as written in the policy and in tokens.
                pub const fn name(self) -> &'static str {
                    match self { #(Self::#p_idents => #p_names,)* }
                }

                /// The position in declaration order: this permission's bit in a set.
                pub const fn index(self) -> usize {
                    match self { #(Self::#p_idents => #p_index,)* }
                }

                /// The set holding just this permission.
                pub const fn set(self) -> PermissionSet {
                    #private::permission_set(1u128 << self.index())
                }

                /// Looks a name up; `None` for a name the policy does not declare.
                #[inline]
                pub fn from_name(name: &str) -> #private::Option<Self> {
                    #permission_lookup
                }
            }

            impl #krate::__private_0_1::Permission for Permission {
                type Policy = Policy;
                #[inline]
                fn name(self) -> &'static str { Permission::name(self) }
                #[inline]
                fn index(self) -> usize { Permission::index(self) }
                #[inline]
                fn from_name(name: &str) -> #private::Option<Self> { Permission::from_name(name) }
            }

            #[doc = #role_doc]
            #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
            pub enum Role {
                #( #r_docs #r_idents, )*
            }

            impl Role {
                /// Every role, in declaration order.
                pub const ALL: [Self; #r_count] = [#(Self::#r_idents),*];

                /// The stable name, as written in the policy and in tokens.
                pub const fn name(self) -> &'static str {
                    #role_name_body
                }

                /// Every permission the role holds, inherited ones included.
                pub const fn grants(self) -> PermissionSet {
                    #role_grants_body
                }

                /// The permissions the role's own declaration lists.
                pub const fn direct_grants(self) -> PermissionSet {
                    #role_direct_body
                }

                /// The roles this role inherits directly.
                pub const fn parents(self) -> &'static [Self] {
                    #role_parents_body
                }

                /// The position in declaration order: this role's bit in a role set.
                pub const fn index(self) -> usize {
                    #role_index_body
                }

                /// The role and every role it inherits, transitively.
                pub const fn lineage(self) -> #krate::__private_0_1::RoleSet<Policy> {
                    #role_lineage_body
                }

                /// Looks a name up; `None` for a name the policy does not declare.
                #[inline]
                pub fn from_name(name: &str) -> #private::Option<Self> {
                    #role_lookup
                }
            }

            impl #krate::__private_0_1::Role for Role {
                type Policy = Policy;
                #[inline]
                fn name(self) -> &'static str { Role::name(self) }
                #[inline]
                fn grants(self) -> PermissionSet { Role::grants(self) }
                #[inline]
                fn direct_grants(self) -> PermissionSet { Role::direct_grants(self) }
                #[inline]
                fn parents(self) -> &'static [Self] { Role::parents(self) }
                #[inline]
                fn index(self) -> usize { Role::index(self) }
                #[inline]
                fn lineage(self) -> #krate::__private_0_1::RoleSet<Policy> { Role::lineage(self) }
                #[inline]
                fn from_name(name: &str) -> #private::Option<Self> { Role::from_name(name) }
            }

            impl #krate::__private_0_1::Policy for Policy {
                type Permission = Permission;
                type Role = Role;
                const NAME: &'static str = #policy_name;
                const PERMISSIONS: &'static [Permission] = &Permission::ALL;
                const ROLES: &'static [Role] = &Role::ALL;
                const SEPARATED: &'static [(Permission, Permission)] = &[#(#separated),*];
            }

            impl #private::PolicyTables for Policy {
                const SORTED_PERMISSIONS: &'static [(u64, usize)] = &[#(#p_sorted),*];
                const SORTED_ROLES: &'static [(u64, usize)] = &[#(#r_sorted),*];
                const PERMISSION_NAMES: &'static [&'static str] = &[#(#p_names),*];
                const ROLE_NAMES: &'static [&'static str] = &[#(#r_names),*];
                const PERMISSION_KEYS: &'static [#private::NameKey] = &[#(#p_keys),*];
                const ROLE_KEYS: &'static [#private::NameKey] = &[#(#r_keys),*];
                const PERMISSION_HINTS: &'static [&'static str] = &[#(#p_hints),*];
                const ROLE_HINTS: &'static [&'static str] = &[#(#r_hints),*];
                const UNKNOWN_PERMISSION_HINT: &'static str = #p_unknown;
                const UNKNOWN_ROLE_HINT: &'static str = #r_unknown;
            }

            #(
                impl #private::PermissionAt<#p_index> for Policy {
                    type Requirement = perm::#p_idents;
                }
            )*
            #(
                impl #private::RoleAt<#r_index> for Policy {
                    type Requirement = role::#r_idents;
                }
            )*

            #[doc = #perm_mod_doc]
            pub mod perm {
                #(#perm_types)*
            }

            #[doc = #role_mod_doc]
            pub mod role {
                #implies_use
                #forward_use
                #(#role_types)*
                #(#role_implies)*
            }

            #private::impl_name_traits!(Permission, Permission, #policy_name);
            #private::impl_name_traits!(Role, Role, #policy_name);
        }
    }
}

/// The user's doc attributes, or a generated one line doc when there are none.
fn docs_or(attrs: &[Attribute], fallback: &str) -> TokenStream {
    if attrs.iter().any(|a| a.path().is_ident("doc")) {
        quote!(#(#attrs)*)
    } else {
        quote!(#(#attrs)* #[doc = #fallback])
    }
}
