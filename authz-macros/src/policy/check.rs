//! The rules of a policy. Every rule that fails becomes an error on the token that broke it;
//! the model keeps what is valid, so the generated module still exists and the user sees the
//! real mistakes rather than a cascade of "cannot find type" errors.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::{Attribute, Ident, LitStr};

use super::parse::{PolicyInput, Term};
use crate::errors::Errors;
use crate::names;

/// The most permissions a policy may declare; the width of `authz_core::PermissionSet`.
const MAX_PERMISSIONS: usize = 128;
/// The most roles a policy may declare; the width of `authz_core::RoleSet`.
const MAX_ROLES: usize = 128;

pub(crate) struct Model {
    pub(crate) permissions: Vec<PermissionModel>,
    pub(crate) roles: Vec<RoleModel>,
    pub(crate) separated: Vec<(usize, usize)>,
}

pub(crate) struct PermissionModel {
    pub(crate) name: String,
    pub(crate) ident: Ident,
    pub(crate) attrs: Vec<Attribute>,
}

pub(crate) struct RoleModel {
    pub(crate) name: String,
    pub(crate) ident: Ident,
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) span: Span,
    pub(crate) direct: u128,
    /// Parent roles, with the literal that named each.
    pub(crate) parents: Vec<(usize, Span)>,
    pub(crate) grants: u128,
    /// This role and every role it inherits, as bits by role index.
    pub(crate) lineage: u128,
}

pub(crate) fn check(input: &PolicyInput) -> (Model, Errors) {
    let mut errors = Errors::default();
    let permissions = check_permissions(input, &mut errors);
    let (mut roles, role_of_decl) = check_role_names(input, &mut errors);
    let permission_index: HashMap<&str, usize> = permissions
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let role_index: HashMap<String, usize> = roles
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.clone(), i))
        .collect();

    // Role bodies: parents and direct grants, matched to the role models by name.
    for (decl, me) in input.roles.iter().zip(role_of_decl) {
        // Invalid and duplicate declarations have been reported and have no model.
        let Some(me) = me else { continue };
        for term in &decl.terms {
            match term {
                Term::Parent(lit) => {
                    let name = lit.value();
                    match role_index.get(&name) {
                        Some(&parent) if roles[me].parents.iter().any(|(p, _)| *p == parent) => {
                            errors.error(
                                lit,
                                format!("role `{}` inherits `{name}` twice", decl.name.value()),
                            );
                        }
                        Some(&parent) => roles[me].parents.push((parent, lit.span())),
                        None => errors.error(
                            lit,
                            format!(
                                "unknown parent role `{name}` in role `{}`; {}",
                                decl.name.value(),
                                names::hint(&name, roles.iter().map(|r| r.name.as_str()))
                            ),
                        ),
                    }
                }
                Term::Grants(lits) => {
                    for lit in lits {
                        let name = lit.value();
                        match permission_index.get(name.as_str()) {
                            Some(&p) if roles[me].direct & (1 << p) != 0 => errors.error(
                                lit,
                                format!(
                                    "permission `{name}` is granted twice to role `{}`",
                                    decl.name.value()
                                ),
                            ),
                            Some(&p) => roles[me].direct |= 1 << p,
                            None => errors.error(
                                lit,
                                format!(
                                    "unknown permission `{name}` in role `{}`; {}",
                                    decl.name.value(),
                                    names::hint(&name, permission_index.keys().copied())
                                ),
                            ),
                        }
                    }
                }
            }
        }
    }

    break_cycles(&mut roles, &mut errors);
    resolve_grants(&mut roles);
    let separated = check_separation(input, &permissions, &permission_index, &roles, &mut errors);
    (
        Model {
            permissions,
            roles,
            separated,
        },
        errors,
    )
}

fn check_permissions(input: &PolicyInput, errors: &mut Errors) -> Vec<PermissionModel> {
    if input.permissions.is_empty() {
        errors.error(
            input.permissions_kw,
            "empty policy: declare at least one permission, like `permissions { \"reports:read\" }`",
        );
    }
    let mut out: Vec<PermissionModel> = Vec::new();
    let mut seen: HashMap<String, &LitStr> = HashMap::new();
    let mut idents: HashMap<String, String> = HashMap::new();
    for decl in &input.permissions {
        let name = decl.name.value();
        if let Err(why) = permission_name_rule(&name) {
            errors.error(
                &decl.name,
                format!("invalid permission name `{name}`: {why}"),
            );
            continue;
        }
        if let Some(first) = seen.get(&name) {
            errors.error(
                &decl.name,
                format!(
                    "permission `{name}` is declared twice (first on line {})",
                    first.span().start().line
                ),
            );
            continue;
        }
        let ident = names::camel_ident(&name);
        if let Some(other) = idents.get(&ident) {
            errors.error(
                &decl.name,
                format!(
                    "permissions `{other}` and `{name}` would both be named `{ident}`; rename one"
                ),
            );
            continue;
        }
        if out.len() == MAX_PERMISSIONS {
            errors.error(
                &decl.name,
                format!(
                    "too many permissions: a policy holds at most {MAX_PERMISSIONS}, and `{name}` is number {}",
                    MAX_PERMISSIONS + 1
                ),
            );
            break;
        }
        seen.insert(name.clone(), &decl.name);
        idents.insert(ident.clone(), name.clone());
        out.push(PermissionModel {
            ident: names::ident(&ident, decl.name.span()),
            name,
            attrs: decl.attrs.clone(),
        });
    }
    out
}

/// `resource:action`, each side of lowercase ASCII letters, digits, `_` and `-`, starting with
/// a letter (so that the generated type name is an identifier).
fn permission_name_rule(name: &str) -> Result<(), String> {
    const FORM: &str = "permission names have the form `resource:action`, with lowercase letters, digits, `_` and `-` on each side of one `:`";
    if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '-' | ':'))
    {
        return Err(format!("`{}` is not allowed; {FORM}", c.escape_debug()));
    }
    let mut sides = name.split(':');
    let (Some(resource), Some(action), None) = (sides.next(), sides.next(), sides.next()) else {
        return Err(format!("it needs exactly one `:`; {FORM}"));
    };
    for (side, what) in [(resource, "resource"), (action, "action")] {
        if !side.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(format!(
                "the {what} must start with a lowercase letter; {FORM}"
            ));
        }
    }
    Ok(())
}

/// The valid roles, and for each declaration the index of its model.
fn check_role_names(
    input: &PolicyInput,
    errors: &mut Errors,
) -> (Vec<RoleModel>, Vec<Option<usize>>) {
    let mut out: Vec<RoleModel> = Vec::new();
    let mut of_decl = vec![None; input.roles.len()];
    let mut idents: HashMap<String, String> = HashMap::new();
    for (i, decl) in input.roles.iter().enumerate() {
        let name = decl.name.value();
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
        if !valid {
            errors.error(
                &decl.name,
                format!(
                    "invalid role name `{name}`: role names start with a letter and use ASCII letters, digits, `_`, `-`, `.` and `:`"
                ),
            );
            continue;
        }
        if let Some(first) = out.iter().find(|r| r.name == name) {
            errors.error(
                &decl.name,
                format!(
                    "role `{name}` is declared twice (first on line {})",
                    first.span.start().line
                ),
            );
            continue;
        }
        let ident = names::camel_ident(&name);
        if ident == "Self" {
            errors.error(
                &decl.name,
                format!("role name `{name}` is reserved; choose another"),
            );
            continue;
        }
        if let Some(other) = idents.get(&ident) {
            errors.error(
                &decl.name,
                format!("roles `{other}` and `{name}` would both be named `{ident}`; rename one"),
            );
            continue;
        }
        if out.len() == MAX_ROLES {
            errors.error(
                &decl.name,
                format!(
                    "too many roles: a policy holds at most {MAX_ROLES}, and `{name}` is number {}",
                    MAX_ROLES + 1
                ),
            );
            break;
        }
        idents.insert(ident.clone(), name.clone());
        of_decl[i] = Some(out.len());
        out.push(RoleModel {
            ident: names::ident(&ident, decl.name.span()),
            name,
            attrs: decl.attrs.clone(),
            span: decl.name.span(),
            direct: 0,
            parents: Vec::new(),
            grants: 0,
            lineage: 0,
        });
    }
    (out, of_decl)
}

/// Reports every inheritance cycle at the parent name that closes it, and removes that edge so
/// that grants can still be resolved for the generated code.
fn break_cycles(roles: &mut [RoleModel], errors: &mut Errors) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        role: usize,
        roles: &mut [RoleModel],
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        errors: &mut Errors,
    ) {
        marks[role] = Mark::OnPath;
        path.push(role);
        let mut i = 0;
        while i < roles[role].parents.len() {
            let (parent, span) = roles[role].parents[i];
            match marks[parent] {
                Mark::OnPath => {
                    let start = path.iter().position(|&r| r == parent).unwrap_or(0);
                    let cycle: Vec<String> = path[start..]
                        .iter()
                        .chain(std::iter::once(&parent))
                        .map(|&r| format!("`{}`", roles[r].name))
                        .collect();
                    let message = if parent == role {
                        format!("role `{}` inherits itself", roles[role].name)
                    } else {
                        format!(
                            "role inheritance cycle: {} (each role inherits the next)",
                            cycle.join(" -> ")
                        )
                    };
                    errors.push(syn::Error::new(span, message));
                    roles[role].parents.remove(i);
                    continue;
                }
                Mark::New => visit(parent, roles, marks, path, errors),
                Mark::Done => {}
            }
            i += 1;
        }
        path.pop();
        marks[role] = Mark::Done;
    }
    let mut marks = vec![Mark::New; roles.len()];
    for role in 0..roles.len() {
        if marks[role] == Mark::New {
            visit(role, roles, &mut marks, &mut Vec::new(), errors);
        }
    }
}

/// Transitive grants and lineage; the graph is acyclic once `break_cycles` has run. Roles past
/// the 128th get no lineage bit (they are an error already).
fn resolve_grants(roles: &mut [RoleModel]) {
    fn grants(role: usize, roles: &mut [RoleModel], done: &mut [bool]) -> (u128, u128) {
        if done[role] {
            return (roles[role].grants, roles[role].lineage);
        }
        let mut all = roles[role].direct;
        let mut lineage = if role < 128 { 1u128 << role } else { 0 };
        for i in 0..roles[role].parents.len() {
            let (g, l) = grants(roles[role].parents[i].0, roles, done);
            all |= g;
            lineage |= l;
        }
        roles[role].grants = all;
        roles[role].lineage = lineage;
        done[role] = true;
        (all, lineage)
    }
    let mut done = vec![false; roles.len()];
    for role in 0..roles.len() {
        grants(role, roles, &mut done);
    }
}

fn check_separation(
    input: &PolicyInput,
    permissions: &[PermissionModel],
    permission_index: &HashMap<&str, usize>,
    roles: &[RoleModel],
    errors: &mut Errors,
) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for decl in &input.separated {
        if decl.names.len() != 2 {
            errors.push(syn::Error::new(
                decl.bracket,
                format!(
                    "a separation-of-duties entry names exactly two permissions, like [\"payments:initiate\", \"payments:approve\"]; this one names {}",
                    decl.names.len()
                ),
            ));
            continue;
        }
        let mut pair = [0usize; 2];
        let mut ok = true;
        for (slot, lit) in pair.iter_mut().zip(&decl.names) {
            match permission_index.get(lit.value().as_str()) {
                Some(&p) => *slot = p,
                None => {
                    ok = false;
                    errors.error(
                        lit,
                        format!(
                            "unknown permission `{}` in separation_of_duties; {}",
                            lit.value(),
                            names::hint(&lit.value(), permission_index.keys().copied())
                        ),
                    );
                }
            }
        }
        if !ok {
            continue;
        }
        if pair[0] == pair[1] {
            errors.error(
                &decl.names[1],
                "a permission cannot be separated from itself",
            );
            continue;
        }
        pairs.push((pair[0], pair[1]));
    }

    for role in roles {
        for &(a, b) in &pairs {
            let both = (1u128 << a) | (1u128 << b);
            if role.grants & both == both {
                let (pa, pb) = (&permissions[a].name, &permissions[b].name);
                errors.push(syn::Error::new(
                    role.span,
                    format!(
                        "role `{}` holds both `{pa}` and `{pb}`, which separation_of_duties keeps apart: `{pa}` {}, `{pb}` {}",
                        role.name,
                        provenance(role, a, roles),
                        provenance(role, b, roles),
                    ),
                ));
            }
        }
    }
    pairs
}

/// How `role` comes to hold `permission`: "directly", or "through editor -> viewer".
fn provenance(role: &RoleModel, permission: usize, roles: &[RoleModel]) -> String {
    let bit = 1u128 << permission;
    let mut path = Vec::new();
    let mut at = role;
    while at.direct & bit == 0 {
        let Some(&(parent, _)) = at.parents.iter().find(|(p, _)| roles[*p].grants & bit != 0)
        else {
            break;
        };
        at = &roles[parent];
        path.push(format!("`{}`", at.name));
    }
    if path.is_empty() {
        "directly".to_owned()
    } else {
        format!("through `{}` -> {}", role.name, path.join(" -> "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn role(i: usize, direct: u128, parents: &[usize]) -> RoleModel {
        RoleModel {
            name: format!("r{i}"),
            ident: names::ident(&format!("R{i}"), Span::call_site()),
            attrs: Vec::new(),
            span: Span::call_site(),
            direct,
            parents: parents.iter().map(|&p| (p, Span::call_site())).collect(),
            grants: 0,
            lineage: 0,
        }
    }

    /// The definition, computed the slow way: iterate to a fixpoint.
    fn fixpoint(roles: &[RoleModel]) -> Vec<u128> {
        let mut grants: Vec<u128> = roles.iter().map(|r| r.direct).collect();
        loop {
            let mut changed = false;
            for (i, r) in roles.iter().enumerate() {
                let all = r
                    .parents
                    .iter()
                    .fold(grants[i], |acc, &(p, _)| acc | grants[p]);
                changed |= all != grants[i];
                grants[i] = all;
            }
            if !changed {
                return grants;
            }
        }
    }

    fn has_cycle(roles: &[RoleModel]) -> bool {
        // A graph is acyclic iff repeatedly removing roles without remaining parents empties it.
        let mut left: Vec<usize> = (0..roles.len()).collect();
        loop {
            let before = left.len();
            let snapshot = left.clone();
            left.retain(|&r| roles[r].parents.iter().any(|(p, _)| snapshot.contains(p)));
            if left.is_empty() {
                return false;
            }
            if left.len() == before {
                return true;
            }
        }
    }

    /// Up to 12 roles, each with random direct grants and up to 3 parents anywhere (so cycles
    /// and self-loops occur).
    fn graphs() -> impl Strategy<Value = Vec<(u128, Vec<usize>)>> {
        (1usize..12).prop_flat_map(|n| {
            proptest::collection::vec((any::<u128>(), proptest::collection::vec(0..n, 0..3)), n)
        })
    }

    proptest! {
        #[test]
        fn grants_are_the_transitive_closure(graph in graphs()) {
            let mut roles: Vec<RoleModel> = graph
                .iter()
                .enumerate()
                .map(|(i, (direct, parents))| {
                    let mut parents = parents.clone();
                    parents.dedup();
                    role(i, *direct, &parents)
                })
                .collect();
            let cyclic = has_cycle(&roles);
            let mut errors = Errors::default();
            break_cycles(&mut roles, &mut errors);
            prop_assert_eq!(!errors.is_empty(), cyclic, "cycles are reported exactly when present");
            prop_assert!(!has_cycle(&roles), "break_cycles leaves an acyclic graph");
            resolve_grants(&mut roles);
            let expected = fixpoint(&roles);
            for (r, want) in roles.iter().zip(expected) {
                prop_assert_eq!(r.grants, want);
                prop_assert_eq!(r.grants & r.direct, r.direct);
            }
        }
    }

    #[test]
    fn permission_names() {
        assert!(permission_name_rule("reports:read_any").is_ok());
        assert!(permission_name_rule("a-b:c2").is_ok());
        for bad in [
            "reports",
            "Reports:read",
            "a:b:c",
            ":read",
            "reports:",
            "2fa:setup",
            "a b:c",
            "",
        ] {
            assert!(
                permission_name_rule(bad).is_err(),
                "{bad} should be refused"
            );
        }
    }
}
