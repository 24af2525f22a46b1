//! What detections ask of a user agent, worked out once per agent and thread.
//!
//! The discovery windows, the offensive-tool detection and their raw checks ask
//! the same questions of the same agent on most discovery records: is it an
//! AWS service or the console, is it infrastructure as code, and does it name an
//! attack tool. The answers
//! depend on the agent's text alone, and an organisation's calls come from few
//! agents (SDKs, the CLI, the console, a handful of tools), so each thread keeps
//! the answers for the agents it saw last: a hash and a comparison instead of a
//! lowercased copy and a dozen substring searches per question.

use std::cell::RefCell;

/// The answers for one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentFacts {
    /// The agent alone makes the caller an AWS service or the console
    /// ([`super::service_or_console_agent`]).
    pub service_or_console: bool,
    /// The attack tool or testing system the agent names, if any
    /// (`offensive-tool-user-agent`).
    pub tool: Option<&'static str>,
    /// The agent names an infrastructure-as-code tool
    /// ([`super::iac_agent`]).
    pub iac: bool,
}

/// Agents remembered per thread; past this many the memory starts afresh.
const MAX_REMEMBERED_AGENTS: usize = 256;

/// Longer agents are worked out every time: the memory stays small whatever
/// the input holds.
const MAX_REMEMBERED_BYTES: usize = 512;

/// One thread's remembered agents and their answers. A hash map, not a table of
/// slots picked by hash: with slots, three of the bench corpus's twelve agents
/// met in one place and one record in five was worked out again. The seed is
/// random per thread: agents are attacker-controlled text.
type Remembered = hashbrown::HashMap<Box<str>, AgentFacts, foldhash::fast::RandomState>;

thread_local! {
    static REMEMBERED: RefCell<Remembered> = RefCell::new(Remembered::default());
}

/// The answers for `ua`, from this thread's memory when it holds them.
pub fn facts(ua: &str) -> AgentFacts {
    if ua.len() > MAX_REMEMBERED_BYTES {
        return work_out(ua);
    }
    REMEMBERED.with_borrow_mut(|memory| {
        if let Some(facts) = memory.get(ua) {
            return *facts;
        }
        let facts = work_out(ua);
        if memory.len() >= MAX_REMEMBERED_AGENTS {
            memory.clear();
        }
        memory.insert(ua.into(), facts);
        facts
    })
}

fn work_out(ua: &str) -> AgentFacts {
    #[cfg(test)]
    tests::WORKED_OUT.set(tests::WORKED_OUT.get() + 1);
    AgentFacts {
        service_or_console: super::agent_names_service_or_console(ua),
        tool: crate::detections::offensive_tool_user_agent::find_tool_word(ua),
        iac: super::agent_names_iac(ua),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// How often this thread worked an agent's answers out.
        pub(super) static WORKED_OUT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Up to `MAX_REMEMBERED_AGENTS` agents asked in turn are each worked out once, whatever
    /// their hashes; more start the memory afresh and are still answered.
    #[test]
    fn each_agent_is_worked_out_once() {
        let agents: Vec<String> = (0..MAX_REMEMBERED_AGENTS)
            .map(|n| format!("Boto3/1.{n} md/Botocore#1.{n}"))
            .collect();
        let before = WORKED_OUT.get();
        for _ in 0..3 {
            for ua in &agents {
                facts(ua);
            }
        }
        assert_eq!(WORKED_OUT.get() - before, MAX_REMEMBERED_AGENTS);
        assert_eq!(facts("Pacu/1.5.2"), work_out("Pacu/1.5.2"));
        assert_eq!(facts(&agents[0]), work_out(&agents[0]));
    }

    /// Remembered answers are the answers: on first sight, on a hit, and after
    /// many more agents than it keeps have started the memory afresh.
    #[test]
    fn remembered_answers_equal_worked_out_ones() {
        let mut agents: Vec<String> = [
            "console.amazonaws.com",
            "AWS Internal",
            "cloudformation.amazonaws.com",
            "aws-internal/3 aws-sdk-java/1.12",
            "Boto3/1.34.69 Python/3.11.8 Linux/6.5.0-kali3-amd64 Botocore/1.34.69",
            "Pacu/1.5.2 Boto3/1.34",
            "Scout Suite/5.14.0",
            "parrots-app/1.0",
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0",
            "",
            " ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for i in 0..3 * MAX_REMEMBERED_AGENTS {
            agents.push(format!("Boto3/1.{i} Linux/6.{i}-kali"));
            agents.push(format!("aws-sdk-go/{i} consolebackend"));
            agents.push(format!("tool-{i}"));
        }
        agents.push("x".repeat(MAX_REMEMBERED_BYTES + 1) + " pacu");
        for _ in 0..2 {
            for ua in &agents {
                // The second asking finds it remembered.
                assert_eq!(facts(ua), work_out(ua), "{ua}");
                assert_eq!(facts(ua), work_out(ua), "{ua}");
            }
        }
        assert_eq!(facts("Pacu/1.5.2").tool, Some("pacu"));
        assert!(facts("console.amazonaws.com").service_or_console);
        assert!(!facts("Boto3/1.34").service_or_console);
        assert!(facts("APN/1.0 HashiCorp/1.0 Terraform/1.9.8").iac);
        assert!(!facts("aws-cli/2.15.30").iac);
    }
}
