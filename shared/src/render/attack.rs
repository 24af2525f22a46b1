//! MITRE ATT&CK technique ids as other formats want them: OCSF `attacks[]`
//! (technique, sub-technique, tactic) and ASFF `Types`
//! (`namespace/category/classifier`).
//!
//! Detections list technique ids only (`Meta::attack`). The tactic comes from a
//! small table of the techniques cloud detections use, keyed by the parent
//! technique; a technique missing from it still renders (no tactic, ASFF type
//! `TTPs`), so a new detection never breaks a rendering. Where ATT&CK lists a
//! technique under several tactics, the table names the one a CloudTrail
//! detection of it usually evidences.

/// An ATT&CK tactic: id and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tactic {
    pub uid: &'static str,
    pub name: &'static str,
}

const fn t(uid: &'static str, name: &'static str) -> Tactic {
    Tactic { uid, name }
}

pub const INITIAL_ACCESS: Tactic = t("TA0001", "Initial Access");
pub const EXECUTION: Tactic = t("TA0002", "Execution");
pub const PERSISTENCE: Tactic = t("TA0003", "Persistence");
pub const PRIVILEGE_ESCALATION: Tactic = t("TA0004", "Privilege Escalation");
pub const DEFENSE_EVASION: Tactic = t("TA0005", "Defense Evasion");
pub const CREDENTIAL_ACCESS: Tactic = t("TA0006", "Credential Access");
pub const DISCOVERY: Tactic = t("TA0007", "Discovery");
pub const LATERAL_MOVEMENT: Tactic = t("TA0008", "Lateral Movement");
pub const COLLECTION: Tactic = t("TA0009", "Collection");
pub const EXFILTRATION: Tactic = t("TA0010", "Exfiltration");
pub const COMMAND_AND_CONTROL: Tactic = t("TA0011", "Command and Control");
pub const IMPACT: Tactic = t("TA0040", "Impact");
pub const RESOURCE_DEVELOPMENT: Tactic = t("TA0042", "Resource Development");
/// ATT&CK v19 split Defense Evasion: its T1685 (was T1562) went to this new
/// tactic. The detections name both ids, for matrices before and after v19.
pub const DEFENSE_IMPAIRMENT: Tactic = t("TA0112", "Defense Impairment");

/// Parent technique -> the tactic it is filed under here.
const TACTICS: &[(&str, Tactic)] = &[
    ("T1005", COLLECTION),
    ("T1020", EXFILTRATION),
    ("T1021", LATERAL_MOVEMENT),
    ("T1036", DEFENSE_EVASION),
    ("T1037", PERSISTENCE),
    ("T1040", CREDENTIAL_ACCESS),
    ("T1048", EXFILTRATION),
    ("T1059", EXECUTION),
    ("T1069", DISCOVERY),
    ("T1070", DEFENSE_EVASION),
    ("T1071", COMMAND_AND_CONTROL),
    ("T1078", INITIAL_ACCESS),
    ("T1087", DISCOVERY),
    ("T1098", PERSISTENCE),
    ("T1102", COMMAND_AND_CONTROL),
    ("T1110", CREDENTIAL_ACCESS),
    ("T1113", COLLECTION),
    ("T1133", INITIAL_ACCESS),
    ("T1136", PERSISTENCE),
    ("T1185", COLLECTION),
    ("T1190", INITIAL_ACCESS),
    ("T1201", DISCOVERY),
    ("T1204", EXECUTION),
    ("T1484", PRIVILEGE_ESCALATION),
    ("T1485", IMPACT),
    ("T1486", IMPACT),
    ("T1489", IMPACT),
    ("T1490", IMPACT),
    ("T1496", IMPACT),
    ("T1525", PERSISTENCE),
    ("T1526", DISCOVERY),
    ("T1528", CREDENTIAL_ACCESS),
    ("T1529", IMPACT),
    ("T1530", COLLECTION),
    ("T1531", IMPACT),
    ("T1535", DEFENSE_EVASION),
    ("T1537", EXFILTRATION),
    ("T1538", DISCOVERY),
    ("T1546", PERSISTENCE),
    ("T1548", PRIVILEGE_ESCALATION),
    ("T1550", DEFENSE_EVASION),
    ("T1552", CREDENTIAL_ACCESS),
    ("T1555", CREDENTIAL_ACCESS),
    ("T1556", CREDENTIAL_ACCESS),
    ("T1557", CREDENTIAL_ACCESS),
    ("T1562", DEFENSE_EVASION),
    ("T1565", IMPACT),
    ("T1567", EXFILTRATION),
    ("T1572", COMMAND_AND_CONTROL),
    ("T1578", DEFENSE_EVASION),
    ("T1580", DISCOVERY),
    ("T1583", RESOURCE_DEVELOPMENT),
    ("T1584", RESOURCE_DEVELOPMENT),
    ("T1585", RESOURCE_DEVELOPMENT),
    ("T1586", RESOURCE_DEVELOPMENT),
    ("T1599", DEFENSE_EVASION),
    ("T1606", CREDENTIAL_ACCESS),
    ("T1610", EXECUTION),
    ("T1619", DISCOVERY),
    ("T1621", CREDENTIAL_ACCESS),
    ("T1648", EXECUTION),
    ("T1649", CREDENTIAL_ACCESS),
    ("T1651", EXECUTION),
    ("T1666", DEFENSE_EVASION),
    ("T1685", DEFENSE_IMPAIRMENT),
];

/// `T1562.008` -> (`T1562`, Some(`T1562.008`)); `T1110` -> (`T1110`, None).
pub fn split(id: &str) -> (&str, Option<&str>) {
    match id.split_once('.') {
        Some((parent, _)) => (parent, Some(id)),
        None => (id, None),
    }
}

/// The tactic a technique (or sub-technique) id is filed under, if known.
pub fn tactic(id: &str) -> Option<Tactic> {
    let (parent, _) = split(id);
    TACTICS
        .iter()
        .find(|(p, _)| *p == parent)
        .map(|(_, tactic)| *tactic)
}

/// ASFF finding types for a list of technique ids: `TTPs/<tactic>` for the ten
/// tactics ASFF names under `TTPs`, `Effects/Data Destruction` and friends for
/// impact and exfiltration, and `TTPs` alone when no tactic is known. Distinct, in
/// the order of the techniques; never empty.
pub fn asff_types(ids: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let ty = match tactic(id) {
            Some(t) if t == IMPACT => match split(id).0 {
                "T1485" | "T1486" | "T1490" => "Effects/Data Destruction".to_owned(),
                // Account Access Removal locks the owners out, Service Stop and
                // System Shutdown take workloads down: a denial of service.
                "T1489" | "T1529" | "T1531" => "Effects/Denial of Service".to_owned(),
                "T1496" => "Effects/Resource Consumption".to_owned(),
                _ => "Effects".to_owned(),
            },
            Some(t) if t == EXFILTRATION => "Effects/Data Exfiltration".to_owned(),
            // ASFF's classifiers predate the v19 split.
            Some(t) if t == DEFENSE_IMPAIRMENT => "TTPs/Defense Evasion".to_owned(),
            Some(t) if t == RESOURCE_DEVELOPMENT => "TTPs".to_owned(),
            Some(t) => format!("TTPs/{}", t.name),
            None => "TTPs".to_owned(),
        };
        if !out.contains(&ty) {
            out.push(ty);
        }
    }
    // A bare `TTPs` or `Effects` says nothing a more precise type does not.
    if out.len() > 1 {
        out.retain(|t| t != "TTPs");
    }
    if out.iter().any(|t| t.starts_with("Effects/")) {
        out.retain(|t| t != "Effects");
    }
    if out.is_empty() {
        out.push("TTPs".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_techniques_take_their_parent_tactic() {
        assert_eq!(split("T1562.008"), ("T1562", Some("T1562.008")));
        assert_eq!(split("T1110"), ("T1110", None));
        assert_eq!(tactic("T1562.008"), Some(DEFENSE_EVASION));
        assert_eq!(tactic("T9999"), None);
    }

    /// From a review: 26 parent techniques the detections name had no row, so
    /// their findings reached Security Hub and OCSF without a tactic.
    #[test]
    fn every_technique_the_catalogue_names_has_a_tactic() {
        let missing: Vec<(&str, &str)> = crate::catalog::ALL
            .iter()
            .flat_map(|d| d.meta().attack.iter().map(move |id| (d.meta().id, *id)))
            .filter(|(_, id)| tactic(id).is_none())
            .collect();
        assert!(missing.is_empty(), "add a row for {missing:?}");
        assert_eq!(tactic("T1685.002"), Some(DEFENSE_IMPAIRMENT));
        assert_eq!(
            asff_types(&["T1685.002", "T1562.001"]),
            ["TTPs/Defense Evasion"]
        );
        assert_eq!(asff_types(&["T1489"]), ["Effects/Denial of Service"]);
    }

    #[test]
    fn asff_types_are_distinct_and_never_empty() {
        assert_eq!(
            asff_types(&["T1562.001", "T1562.008", "T1530"]),
            ["TTPs/Defense Evasion", "TTPs/Collection"]
        );
        assert_eq!(asff_types(&["T1485"]), ["Effects/Data Destruction"]);
        // From a review: no bare `Effects` beside a precise one.
        assert_eq!(
            asff_types(&["T1565", "T1485"]),
            ["Effects/Data Destruction"]
        );
        assert_eq!(asff_types(&["T1565"]), ["Effects"]);
        assert_eq!(asff_types(&["T1531"]), ["Effects/Denial of Service"]);
        assert_eq!(asff_types(&["T9999", "T1110"]), ["TTPs/Credential Access"]);
        assert_eq!(asff_types(&[]), ["TTPs"]);
        assert_eq!(asff_types(&["T1586"]), ["TTPs"]);
    }
}
