#!/usr/bin/env python3
"""Generates two applications with the same handlers, one on authz and one on plain axum, to
measure what authz's macros cost the compiler (scripts/compile-time/measure.sh runs it).

    gen.py OUT_DIR PERMISSIONS ROLES HANDLERS WORKSPACE_ROOT

Each handler is `async fn hN(Path(id): Path<u32>) -> String`; on authz it carries
`#[require(permission = ...)]` (every fifth: two permissions; every seventh: a role) and is
routed on the deny-by-default router. The policy has PERMISSIONS permissions and ROLES roles,
each role inheriting the previous one and granting a few permissions of its own.
"""
import os
import sys

out, n_perm, n_role, n_handlers, root = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5]
perms = [f"res{i // 4}:act{i % 4}" for i in range(n_perm)]
roles = [f"role{i}" for i in range(n_role)]


def cargo_toml(name, authz):
    deps = [
        'axum = { version = "0.8", default-features = false, features = ["tokio", "http1", "json"] }',
        'serde = { version = "1", features = ["derive"] }',
        'tokio = { version = "1", features = ["rt", "macros", "net"] }',
    ]
    if authz:
        deps += [
            f'authz-core = {{ path = "{root}/authz-core" }}',
            f'authz-axum = {{ path = "{root}/authz-axum" }}',
        ]
    return f"""[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
{chr(10).join(deps)}
"""


def authz_main():
    lines = ["use authz_axum::{Gate, Router, get};", "use authz_core::require;",
             "use axum::extract::Path;", "", "authz_core::policy! {", "    pub mod app {",
             "        permissions {"]
    lines += [f'            "{p}",' for p in perms]
    lines += ["        }", "        roles {"]
    for i, r in enumerate(roles):
        own = ", ".join(f'"{perms[(i * 3 + k) % n_perm]}"' for k in range(3))
        parent = f'"{roles[i - 1]}" + ' if i else ""
        lines.append(f'            "{r}" = {parent}[{own}],')
    lines += ["        }", "    }", "}", "",
              "#[derive(serde::Deserialize, authz_core::Claims)]",
              "struct Token { sub: String, #[claims(roles)] roles: Vec<String> }", "",
              "type Authz = authz_axum::Authz<app::Policy, Token>;", ""]
    for h in range(n_handlers):
        if h % 7 == 6:
            rule = f'role = "{roles[h % n_role]}"'
        elif h % 5 == 4:
            rule = f'permission = "{perms[h % n_perm]}", permission = "{perms[(h + 1) % n_perm]}"'
        else:
            rule = f'permission = "{perms[h % n_perm]}"'
        lines += [f"#[require({rule})]",
                  f"async fn h{h}(Path(id): Path<u32>) -> String {{ format!(\"{h} {{id}}\") }}", ""]
    lines += ["pub fn router() -> axum::Router<Gate> {", "    Router::new()"]
    lines += [f'        .route("/h{h}/{{id}}", get(h{h}))' for h in range(n_handlers)]
    lines += ["        .into_axum()", "}", "", "fn main() { let _ = router(); }", ""]
    return "\n".join(lines)


def plain_main():
    lines = ["use axum::{Router, extract::Path, routing::get};", ""]
    for h in range(n_handlers):
        lines += [f"async fn h{h}(Path(id): Path<u32>) -> String {{ format!(\"{h} {{id}}\") }}", ""]
    lines += ["pub fn router() -> Router {", "    Router::new()"]
    lines += [f'        .route("/h{h}/{{id}}", get(h{h}))' for h in range(n_handlers)]
    lines += ["}", "", "fn main() { let _ = router(); }", ""]
    return "\n".join(lines)


for name, authz, main in (("app-authz", True, authz_main()), ("app-plain", False, plain_main())):
    os.makedirs(f"{out}/{name}/src", exist_ok=True)
    with open(f"{out}/{name}/Cargo.toml", "w") as f:
        f.write(cargo_toml(name, authz))
    with open(f"{out}/{name}/src/main.rs", "w") as f:
        f.write(main)
