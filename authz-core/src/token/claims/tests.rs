//! The strict readers, and the one pass against the two passes it stands in for.

use super::*;
use proptest::prelude::*;

fn reg(json: &str) -> Result<RawRegistered<'_>, TokenError> {
    parse_object_seed(
        json.as_bytes(),
        TokenPart::Payload,
        Registered { extra: &[] },
    )
}

fn extra<'j>(json: &'j str, names: &[&'static str]) -> Result<RawRegistered<'j>, TokenError> {
    parse_object_seed(
        json.as_bytes(),
        TokenPart::Payload,
        Registered { extra: names },
    )
}

#[test]
fn wrong_types_name_the_claim() {
    for (json, claim) in [
        (r#"{"exp":"9999999999"}"#, "exp"),
        (r#"{"exp":null}"#, "exp"),
        (r#"{"exp":-1}"#, "exp"),
        (r#"{"nbf":true}"#, "nbf"),
        (r#"{"iat":[1]}"#, "iat"),
        (r#"{"iss":5}"#, "iss"),
        (r#"{"sub":{}}"#, "sub"),
        (r#"{"jti":1}"#, "jti"),
        (r#"{"aud":123}"#, "aud"),
        (r#"{"aud":["a",1]}"#, "aud"),
        (r#"{"aud":null}"#, "aud"),
    ] {
        match reg(json) {
            Err(TokenError::ClaimType(name)) => assert_eq!(name, claim, "{json}"),
            Err(other) => panic!("{json}: {other}"),
            Ok(_) => panic!("{json} accepted"),
        }
    }
}

#[test]
fn accepted_shapes() {
    let r = reg(r#"{"exp":1.9,"aud":"a","iss":"i\u0041","x":[1,{"y":null}]}"#).unwrap();
    assert_eq!(r.exp, Some(1));
    assert_eq!(r.aud.unwrap(), ["a"]);
    assert_eq!(r.iss.as_deref(), Some("iA"));
    let r = reg(r#"{"aud":["a","b"]}"#).unwrap();
    assert_eq!(r.aud.unwrap(), ["a", "b"]);
    assert!(reg("{}").unwrap().exp.is_none());
}

#[test]
fn the_logout_event_is_noticed_in_any_events_shape() {
    for (json, logout) in [
        (
            r#"{"events":{"http://schemas.openid.net/event/backchannel-logout":{}}}"#,
            true,
        ),
        // A non-object event value still marks a logout token (refused as access token).
        (
            r#"{"events":{"x":1,"http://schemas.openid.net/event/backchannel-logout":7}}"#,
            true,
        ),
        // Escaped key: the same member.
        (
            r#"{"events":{"http:\/\/schemas.openid.net\/event\/backchannel-logout":{}}}"#,
            true,
        ),
        (
            r#"{"events":{"http://schemas.openid.net/event/backchannel-logout/x":{}}}"#,
            false,
        ),
        (
            r#"{"events":["http://schemas.openid.net/event/backchannel-logout"]}"#,
            false,
        ),
        (
            r#"{"events":"http://schemas.openid.net/event/backchannel-logout"}"#,
            false,
        ),
        (
            r#"{"events":null,"x":{"http://schemas.openid.net/event/backchannel-logout":{}}}"#,
            false,
        ),
        ("{}", false),
    ] {
        assert_eq!(reg(json).unwrap().logout_event, logout, "{json}");
    }
}

#[test]
fn not_objects_and_duplicates() {
    for json in ["[1]", "1", "\"x\"", "", "{", r#"{"exp":1,"exp":2}"#, "{} x"] {
        assert!(matches!(reg(json), Err(TokenError::Json { .. })), "{json}");
    }
}

#[test]
fn header_crit_and_types() {
    let h: RawHeader<'_> =
        parse_object(br#"{"alg":"RS256","crit":[]}"#, TokenPart::Header).unwrap();
    assert!(h.crit);
    let h: RawHeader<'_> = parse_object(br#"{"alg":"RS256"}"#, TokenPart::Header).unwrap();
    assert!(!h.crit && h.kid.is_none());
    for json in [
        r#"{"alg":1}"#,
        r#"{"kid":"a"}"#,
        r#"{"alg":"RS256","kid":7}"#,
        r#"{"alg":"RS256","typ":null}"#,
    ] {
        assert!(
            parse_object::<RawHeader<'_>>(json.as_bytes(), TokenPart::Header).is_err(),
            "{json}"
        );
    }
}

#[test]
fn extra_claims_in_the_same_pass() {
    let names = ["client_id", "token_use"];
    let r = extra(
        r#"{"client_id":"abc","exp":5,"token_use":"acc\u0065ss","x":{"client_id":1}}"#,
        &names,
    )
    .unwrap();
    assert_eq!(r.exp, Some(5));
    let [
        Some(ClaimValue::Str(client)),
        Some(ClaimValue::Str(token_use)),
    ] = &r.extra[..]
    else {
        panic!("both read as strings");
    };
    assert_eq!((&**client, &**token_use), ("abc", "access"));

    // Absent, and any other JSON type, are told apart from a string without an error.
    for json in [
        r#"{"client_id":null}"#,
        r#"{"client_id":1}"#,
        r#"{"client_id":1.5}"#,
        r#"{"client_id":true}"#,
        r#"{"client_id":["abc"]}"#,
        r#"{"client_id":{"a":[1,{"b":"c"}]}}"#,
    ] {
        let r = extra(json, &names).unwrap();
        assert!(
            matches!(r.extra[..], [Some(ClaimValue::NotAString), None]),
            "{json}"
        );
    }
    assert!(matches!(
        extra(r#"{"client_id":"a","client_id":"b"}"#, &names),
        Err(TokenError::Json {
            reason: "a member appears twice",
            ..
        })
    ));
    // A name not configured is skipped, even twice (as before).
    assert!(extra(r#"{"other":1,"other":2}"#, &names).is_ok());
}

/// An application's claims type of the usual shape: the subject it also reads as a
/// registered claim, its own claims, and members of neither.
#[derive(Deserialize, Debug, PartialEq)]
struct App {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    aud: serde_json::Value,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    exp: Option<f64>,
}

/// What either reader made of a payload, comparable.
fn seen(r: &RawRegistered<'_>) -> String {
    let extra: Vec<_> = r
        .extra
        .iter()
        .map(|v| match v {
            None => "absent".to_owned(),
            Some(ClaimValue::NotAString) => "not a string".to_owned(),
            Some(ClaimValue::Str(s)) => format!("{s:?}"),
        })
        .collect();
    format!(
        "{:?}",
        (
            (r.exp, r.nbf, r.iat),
            (&r.iss, &r.sub, &r.jti, &r.aud, &r.sid),
            r.logout_event,
            extra
        )
    )
}

const NAMES: [&str; 2] = ["client_id", "token_use"];

/// The two readers of before, one after the other, as the validator falls back to.
fn two_passes(json: &str) -> Result<(String, App), String> {
    let reg = extra(json, &NAMES).map_err(|e| format!("registered: {e}"))?;
    let app = serde_json::from_str::<App>(json).map_err(|e| format!("claims: {e}"))?;
    Ok((seen(&reg), app))
}

fn one_pass(json: &str) -> Option<(String, App)> {
    read_payload::<App>(json.as_bytes(), &NAMES).map(|(reg, app)| (seen(&reg), app))
}

#[test]
fn one_pass_reads_what_two_passes_read() {
    for json in [
        r#"{"sub":"alice","exp":5}"#,
        r#"{"iss":"https://idp","sub":"alice","aud":["api","other"],"exp":1.9,"iat":1,"nbf":0,"jti":"j-1","roles":["admin"]}"#,
        // Escapes in a name and in a value: the same member, the same value.
        r#"{"s\u0075b":"al\u0069ce","iss":"i\/j","exp":5}"#,
        r#"{"sub":"a","sid":"s-1","events":{"x":1,"http://schemas.openid.net/event/backchannel-logout":{}}}"#,
        r#"{"sub":"a","sid":7,"events":["x"],"aud":"api"}"#,
        r#"{"sub":"a","client_id":"abc","token_use":{"k":[1,2]},"x":{"sub":"b","exp":"no"}}"#,
        r#"  {"sub":"a","other":1,"other":2,"roles":[]}  "#,
    ] {
        let two = two_passes(json).unwrap();
        assert_eq!(one_pass(json), Some(two), "{json}");
    }
}

#[test]
fn one_pass_gives_way_on_every_error_so_that_two_passes_name_it() {
    for (json, error) in [
        // The registered reader's errors, which the validator reports before any of the
        // claims type's: a wrong type, a member twice, not an object, not JSON.
        (
            r#"{"sub":"a","exp":"5"}"#,
            "registered: the registered claim `exp` has the wrong",
        ),
        (
            r#"{"sub":"a","exp":1,"exp":2}"#,
            "registered: the token's payload is not a valid JSON object (a member appears twice)",
        ),
        (
            r#"{"sub":"a","client_id":"x","client_id":"y"}"#,
            "registered: the token's payload is not a valid JSON object (a member appears twice)",
        ),
        (
            r#"{"exp":1,"sub":1}"#,
            "registered: the registered claim `sub` has the wrong",
        ),
        (
            r#"[{"sub":"a"}]"#,
            "registered: the token's payload is not a valid JSON object (not a JSON object)",
        ),
        (
            r#"{"sub":"a"} {}"#,
            "registered: the token's payload is not a valid JSON object (invalid JSON)",
        ),
        // The claims type's own: a member it needs is absent, or of another type.
        (r#"{"exp":1}"#, "claims: missing field `sub`"),
        (r#"{"sub":"a","roles":"admin"}"#, "claims: invalid type"),
    ] {
        let two = two_passes(json).unwrap_err();
        assert!(two.starts_with(error), "{json}: {two}");
        assert_eq!(one_pass(json), None, "{json}");
    }
}

#[test]
fn a_payload_that_is_not_utf8_is_left_to_the_two_passes() {
    // Not UTF-8 inside a member no reader reads: `serde_json` skips such a string without
    // checking it. The one pass checks the whole payload first and gives way, so the two
    // passes decide, as they did before it.
    let json = b"{\"sub\":\"a\",\"x\":\"\xff\"}";
    assert!(read_payload::<App>(json, &NAMES).is_none());
    let reg = parse_object_seed(json, TokenPart::Payload, Registered { extra: &NAMES });
    assert!(reg.is_ok());
    // In a member a reader reads, it is an error, the same from either parser.
    let json = b"{\"sub\":\"\xff\"}";
    assert!(read_payload::<App>(json, &NAMES).is_none());
    assert!(matches!(
        parse_object_seed(json, TokenPart::Payload, Registered { extra: &NAMES }),
        Err(TokenError::ClaimType("sub"))
    ));
}

#[test]
fn the_one_pass_cuts_out_every_member_the_registered_reader_reads() {
    let collect = Collect::new(&NAMES);
    for name in CLAIMS.iter().chain(&["sid", "events"]).chain(&NAMES) {
        assert!(collect.which(name).is_some(), "{name}");
    }
    for name in ["", "ex", "expp", "roles", "Sub", "event", "client"] {
        assert!(collect.which(name).is_none(), "{name}");
    }
}

fn member() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "exp",
        "nbf",
        "iat",
        "iss",
        "sub",
        "jti",
        "aud",
        "sid",
        "events",
        "client_id",
        "token_use",
        "roles",
        "x",
        "s\\u0075b",
    ]);
    let value = prop::sample::select(vec![
        "1",
        "1.5",
        "-1",
        "\"a\"",
        "\"b\\u0063\"",
        "null",
        "true",
        "[\"a\",\"b\"]",
        "[1]",
        "{}",
        "{\"http://schemas.openid.net/event/backchannel-logout\":{}}",
    ]);
    (name, value).prop_map(|(n, v)| format!("\"{n}\":{v}"))
}

proptest! {
    /// Whenever the two readers of before both accept a payload, the one pass accepts it
    /// with the same values; whenever either refuses it, the one pass gives way.
    #[test]
    fn one_pass_agrees_with_two(members in prop::collection::vec(member(), 0..8)) {
        let json = format!("{{{}}}", members.join(","));
        match two_passes(&json) {
            Ok(two) => prop_assert_eq!(one_pass(&json), Some(two)),
            Err(_) => prop_assert_eq!(one_pass(&json), None),
        }
    }
}
