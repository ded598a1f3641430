//! Property tests: `PermissionSet` behaves as the set it models, across all 128 bits' worth of
//! words (the policy here has 100 permissions, so both halves of the bitset are used).

use std::collections::BTreeSet;

use authz_core::{PermissionSet, Policy as _};
use proptest::prelude::*;

authz_core::policy! {
    /// A wide policy.
    pub mod wide {
        permissions {
            "res0:act",
            "res1:act",
            "res2:act",
            "res3:act",
            "res4:act",
            "res5:act",
            "res6:act",
            "res7:act",
            "res8:act",
            "res9:act",
            "res10:act",
            "res11:act",
            "res12:act",
            "res13:act",
            "res14:act",
            "res15:act",
            "res16:act",
            "res17:act",
            "res18:act",
            "res19:act",
            "res20:act",
            "res21:act",
            "res22:act",
            "res23:act",
            "res24:act",
            "res25:act",
            "res26:act",
            "res27:act",
            "res28:act",
            "res29:act",
            "res30:act",
            "res31:act",
            "res32:act",
            "res33:act",
            "res34:act",
            "res35:act",
            "res36:act",
            "res37:act",
            "res38:act",
            "res39:act",
            "res40:act",
            "res41:act",
            "res42:act",
            "res43:act",
            "res44:act",
            "res45:act",
            "res46:act",
            "res47:act",
            "res48:act",
            "res49:act",
            "res50:act",
            "res51:act",
            "res52:act",
            "res53:act",
            "res54:act",
            "res55:act",
            "res56:act",
            "res57:act",
            "res58:act",
            "res59:act",
            "res60:act",
            "res61:act",
            "res62:act",
            "res63:act",
            "res64:act",
            "res65:act",
            "res66:act",
            "res67:act",
            "res68:act",
            "res69:act",
            "res70:act",
            "res71:act",
            "res72:act",
            "res73:act",
            "res74:act",
            "res75:act",
            "res76:act",
            "res77:act",
            "res78:act",
            "res79:act",
            "res80:act",
            "res81:act",
            "res82:act",
            "res83:act",
            "res84:act",
            "res85:act",
            "res86:act",
            "res87:act",
            "res88:act",
            "res89:act",
            "res90:act",
            "res91:act",
            "res92:act",
            "res93:act",
            "res94:act",
            "res95:act",
            "res96:act",
            "res97:act",
            "res98:act",
            "res99:act",
        }
    }
}

type Set = PermissionSet<wide::Policy>;
type Model = BTreeSet<usize>;

fn set_and_model() -> impl Strategy<Value = (Set, Model)> {
    proptest::collection::btree_set(0usize..100, 0..40).prop_map(|model| {
        let set = model.iter().map(|&i| wide::Permission::ALL[i]).collect();
        (set, model)
    })
}

fn indexes(set: Set) -> Model {
    set.iter().map(|p| p.index()).collect()
}

proptest! {
    #[test]
    fn algebra_matches_the_model((a, ma) in set_and_model(), (b, mb) in set_and_model()) {
        prop_assert_eq!(indexes(a), ma.clone());
        prop_assert_eq!(indexes(a.union(b)), &ma | &mb);
        prop_assert_eq!(indexes(a | b), &ma | &mb);
        prop_assert_eq!(indexes(a.intersection(b)), &ma & &mb);
        prop_assert_eq!(indexes(a & b), &ma & &mb);
        prop_assert_eq!(indexes(a.difference(b)), &ma - &mb);
        prop_assert_eq!(indexes(a - b), &ma - &mb);
        prop_assert_eq!(a.is_subset(b), ma.is_subset(&mb));
        prop_assert_eq!(a.is_superset(b), ma.is_superset(&mb));
        prop_assert_eq!(a.intersects(b), !ma.is_disjoint(&mb));
        prop_assert_eq!(a.len(), ma.len());
        prop_assert_eq!(a.is_empty(), ma.is_empty());
        prop_assert_eq!(a == b, ma == mb);
    }

    #[test]
    fn contains_insert_remove((mut a, mut ma) in set_and_model(), i in 0usize..100) {
        let p = wide::Permission::ALL[i];
        prop_assert_eq!(a.contains(p), ma.contains(&i));
        prop_assert_eq!(a.insert(p), ma.insert(i));
        prop_assert!(a.contains(p));
        prop_assert_eq!(a.remove(p), ma.remove(&i));
        prop_assert!(!a.contains(p));
        prop_assert_eq!(indexes(a), ma);
    }

    #[test]
    fn laws((a, _) in set_and_model(), (b, _) in set_and_model(), (c, _) in set_and_model()) {
        prop_assert_eq!(a | b, b | a);
        prop_assert_eq!(a & b, b & a);
        prop_assert_eq!((a | b) | c, a | (b | c));
        prop_assert_eq!(a & (b | c), (a & b) | (a & c));
        prop_assert!((a & b).is_subset(a));
        prop_assert!(a.is_subset(a | b));
        prop_assert_eq!((a - b) & b, Set::EMPTY);
        prop_assert_eq!(a | Set::EMPTY, a);
        prop_assert_eq!(a & Set::all(), a);
    }

    #[test]
    fn text_round_trip((a, _) in set_and_model()) {
        let text = a.to_string();
        let parsed: Set = text
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|name| name.parse::<wide::Permission>().unwrap())
            .collect();
        prop_assert_eq!(parsed, a);
        let json = serde_json::to_string(&a.iter().collect::<Vec<_>>()).unwrap();
        let back: Vec<wide::Permission> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.into_iter().collect::<Set>(), a);
    }
}

#[test]
fn all_holds_every_declared_permission_and_nothing_else() {
    assert_eq!(Set::all().len(), 100);
    assert_eq!(Set::all().bits(), (1u128 << 100) - 1);
    assert_eq!(wide::Policy::PERMISSIONS.len(), 100);
    assert_eq!(wide::Permission::ALL[99].name(), "res99:act");
}

#[test]
fn unknown_names_fail_to_deserialize() {
    let err = serde_json::from_str::<wide::Permission>(r#""res100:act""#).unwrap_err();
    assert!(
        err.to_string()
            .contains("declares no permission named `res100:act`"),
        "{err}"
    );
    assert!(serde_json::from_str::<wide::Permission>("5").is_err());
}
