//! Routing: which detections a record is taken to, by its event source and
//! name, its user agent, and whether the root user made it; built once from
//! the detections' triggers (`Meta::triggers`), asked for every record before
//! it is parsed.

use crate::detection::{Detection, Trigger};
use crate::event::Record;

pub(super) struct Routes {
    /// eventName -> (eventSource, detections) for each source that has an event
    /// of that name. Keyed by the name alone: one hash of a short string per
    /// record (every record is looked up before it is parsed), and one name is
    /// rarely shared by two sources.
    pub(super) by_event: foldhash::HashMap<&'static str, Vec<(&'static str, Vec<usize>)>>,
    /// (eventSource, detections that take every event of the source): a short
    /// list, searched in order.
    pub(super) by_source: Vec<(&'static str, Vec<usize>)>,
    /// user-agent prefix -> detections
    by_user_agent: Vec<(&'static str, usize)>,
    /// detections that take every call made as the root user
    by_root: Vec<usize>,
}

impl Routes {
    /// The routes of `detections`, each named by its index there.
    pub(super) fn new(detections: &[&'static dyn Detection]) -> Routes {
        let mut by_event: foldhash::HashMap<_, Vec<(&'static str, Vec<usize>)>> =
            Default::default();
        let mut by_source: Vec<(&'static str, Vec<usize>)> = Vec::new();
        let mut by_user_agent = Vec::new();
        let mut by_root = Vec::new();
        for (i, d) in detections.iter().enumerate() {
            for t in d.meta().triggers {
                match *t {
                    Trigger::Events {
                        source, names: &[], ..
                    } => {
                        let v = list_for(&mut by_source, source);
                        if !v.contains(&i) {
                            v.push(i);
                        }
                    }
                    Trigger::Events { source, names, .. } => {
                        for &n in names {
                            let v = list_for(by_event.entry(n).or_default(), source);
                            if !v.contains(&i) {
                                v.push(i);
                            }
                        }
                    }
                    Trigger::UserAgentPrefix(p) | Trigger::UserAgentMatching { prefix: p, .. } => {
                        by_user_agent.push((p, i))
                    }
                    Trigger::RootIdentity => {
                        if !by_root.contains(&i) {
                            by_root.push(i);
                        }
                    }
                }
            }
        }
        Routes {
            by_event,
            by_source,
            by_user_agent,
            by_root,
        }
    }

    /// True when some detection could match the record.
    pub(super) fn wants(&self, rec: &Record<'_>) -> bool {
        let (source, name) = (rec.event_source(), rec.event_name());
        self.event_route(source, name).is_some()
            || self.source_route(source).is_some()
            || rec
                .user_agent()
                .is_some_and(|ua| self.by_user_agent.iter().any(|(p, _)| ua.starts_with(p)))
            || (!self.by_root.is_empty() && root_call(rec))
    }

    /// The detections records with these fields are routed to (possibly repeated).
    /// `root`: the record may be a call made as the root user.
    pub(super) fn routed<'s>(
        &'s self,
        source: &'s str,
        name: &'s str,
        user_agent: Option<&'s str>,
        root: bool,
    ) -> impl Iterator<Item = usize> + 's {
        let by_event = self.event_route(source, name).into_iter().flatten();
        let by_source = self.source_route(source).into_iter().flatten();
        let by_ua = self
            .by_user_agent
            .iter()
            .filter(move |(p, _)| user_agent.is_some_and(|ua| ua.starts_with(p)))
            .map(|(_, i)| i);
        let by_root = self.by_root.iter().filter(move |_| root);
        by_event
            .chain(by_source)
            .chain(by_ua)
            .chain(by_root)
            .copied()
    }

    fn event_route(&self, source: &str, name: &str) -> Option<&Vec<usize>> {
        route_in(self.by_event.get(name)?, source)
    }

    /// The detections that take every event of `source`.
    fn source_route(&self, source: &str) -> Option<&Vec<usize>> {
        route_in(&self.by_source, source)
    }

    /// The detections a record is routed to, each once, in catalogue order.
    pub(super) fn candidates(&self, rec: &Record<'_>) -> std::borrow::Cow<'_, [usize]> {
        use std::borrow::Cow;
        // A VPC endpoint's copy of a call it let through: the call's own
        // record is judged; this one, without parameters or response, would
        // report the call twice and could be read as a call that asked for
        // nothing (a trail that logs network activity events).
        if rec.is_network_activity_let_through() {
            return Cow::Borrowed(&[]);
        }
        let (source, name, ua) = (rec.event_source(), rec.event_name(), rec.user_agent());
        let by_event = self.event_route(source, name);
        let by_source = self.source_route(source);
        let by_ua = ua.is_some_and(|ua| self.by_user_agent.iter().any(|(p, _)| ua.starts_with(p)));
        let root = !self.by_root.is_empty() && root_call(rec);
        // Most records take one route, whose list is already in order, each once.
        match (by_event, by_source, by_ua || root) {
            (Some(v), None, false) | (None, Some(v), false) => Cow::Borrowed(v),
            (None, None, false) => Cow::Borrowed(&[]),
            _ => {
                let mut out: Vec<usize> = self.routed(source, name, ua, root).collect();
                out.sort_unstable();
                out.dedup();
                Cow::Owned(out)
            }
        }
    }
}

/// A call made as the root user, outside the sign-in service: what
/// [`Trigger::RootIdentity`] takes (the detections check the rest themselves).
fn root_call(rec: &Record<'_>) -> bool {
    rec.identity_type() == Some("Root") && rec.event_source() != "signin.amazonaws.com"
}

/// The detections listed for `source` in a routing list.
fn route_in<'r>(routes: &'r [(&'static str, Vec<usize>)], source: &str) -> Option<&'r Vec<usize>> {
    routes.iter().find(|(s, _)| *s == source).map(|(_, v)| v)
}

/// The list for `source` in a routing list, added empty if it is not there.
fn list_for<'r>(
    routes: &'r mut Vec<(&'static str, Vec<usize>)>,
    source: &'static str,
) -> &'r mut Vec<usize> {
    let at = match routes.iter().position(|(s, _)| *s == source) {
        Some(at) => at,
        None => {
            routes.push((source, Vec::new()));
            routes.len() - 1
        }
    };
    &mut routes[at].1
}
