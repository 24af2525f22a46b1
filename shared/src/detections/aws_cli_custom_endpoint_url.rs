//! PLACEHOLDER: to be replaced by the real detection (id `aws-cli-custom-endpoint-url`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct AwsCliCustomEndpointUrl;

pub static META: Meta = Meta {
    id: "aws-cli-custom-endpoint-url",
    title: "AWS CLI Command with Custom Endpoint URL",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for AwsCliCustomEndpointUrl {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
