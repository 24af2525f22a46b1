//! The Security Hub adapter of [`Notifier`]: each finding is imported with
//! `BatchImportFindings` as the ASFF that [`render::asff`] builds, into the
//! default product of the function's own account (`TRAILWATCH_SECURITY_HUB`).
//!
//! Importing is idempotent: the ASFF `Id` is the finding id, so a retry after a
//! failure updates the finding instead of adding a second one. A response that
//! reports failed findings (`FailedCount`, `FailedFindings`) is a failure like a
//! failed call: the invocation fails, the claim is released, Lambda retries.

use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{
    Action, ActionRemoteIpDetails, AwsApiCallAction, AwsApiCallActionDomainDetails,
    AwsSecurityFinding, FindingProviderFields, FindingProviderSeverity, Partition, Recommendation,
    RecordState, Remediation, Resource, Severity, SeverityLabel, Workflow, WorkflowStatus,
};

use super::{Notifier, NotifyError};
use crate::finding::Finding;
use crate::render::{self, asff};

/// Imports findings into one account's Security Hub.
#[derive(Clone, Debug)]
pub struct SecurityHubNotifier {
    client: Client,
    product: asff::Product,
}

impl SecurityHubNotifier {
    pub fn new(client: Client, product: asff::Product) -> SecurityHubNotifier {
        SecurityHubNotifier { client, product }
    }

    pub fn product(&self) -> &asff::Product {
        &self.product
    }

    /// Imports one rendered finding.
    pub async fn import(&self, finding: &asff::AsffFinding) -> Result<(), NotifyError> {
        let out = self
            .client
            .batch_import_findings()
            .findings(to_sdk(finding))
            .send()
            .await
            .map_err(|e| {
                NotifyError(format!(
                    "Security Hub BatchImportFindings of {} failed: {}",
                    finding.id,
                    crate::aws_error::short_cause(&e)
                ))
            })?;
        let failed = out.failed_findings();
        if out.failed_count().unwrap_or(0) > 0 || !failed.is_empty() {
            let why: Vec<String> = failed
                .iter()
                .map(|f| {
                    format!(
                        "{}: {} {}",
                        f.id().unwrap_or("?"),
                        f.error_code().unwrap_or("?"),
                        f.error_message().unwrap_or("")
                    )
                })
                .collect();
            return Err(NotifyError(format!(
                "Security Hub refused finding {} ({} failed): {}",
                finding.id,
                out.failed_count().unwrap_or(failed.len() as i32),
                why.join("; ")
            )));
        }
        Ok(())
    }
}

impl Notifier for SecurityHubNotifier {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        self.import(&asff::render(finding, &self.product, render::now_ms()))
            .await
    }
}

/// The SDK's form of an ASFF finding (field for field).
pub fn to_sdk(a: &asff::AsffFinding) -> AwsSecurityFinding {
    let mut b = AwsSecurityFinding::builder()
        .schema_version(a.schema_version)
        .id(&a.id)
        .product_arn(&a.product_arn)
        .generator_id(&a.generator_id)
        .aws_account_id(&a.aws_account_id)
        .region(&a.region)
        .set_first_observed_at(a.first_observed_at.clone())
        .set_last_observed_at(a.last_observed_at.clone())
        .created_at(&a.created_at)
        .updated_at(&a.updated_at)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(a.severity.label))
                .original(a.severity.original)
                .build(),
        )
        .title(&a.title)
        .description(&a.description)
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(&a.remediation.recommendation.text)
                        .build(),
                )
                .build(),
        )
        .set_source_url(a.source_url.clone())
        .finding_provider_fields(
            FindingProviderFields::builder()
                .severity(
                    FindingProviderSeverity::builder()
                        .label(SeverityLabel::from(a.severity.label))
                        .original(a.severity.original)
                        .build(),
                )
                .set_types(Some(a.types.clone()))
                .build(),
        )
        .workflow(
            Workflow::builder()
                .status(WorkflowStatus::from(a.workflow.status))
                .build(),
        )
        .record_state(RecordState::from(a.record_state));
    for t in &a.types {
        b = b.types(t);
    }
    for (k, v) in &a.product_fields {
        b = b.product_fields(k, v);
    }
    for r in &a.resources {
        b = b.resources(
            Resource::builder()
                .r#type(r.kind)
                .id(&r.id)
                .partition(Partition::from(r.partition.as_str()))
                .set_region(r.region.clone())
                .build(),
        );
    }
    if let Some(action) = &a.action {
        let c = &action.aws_api_call_action;
        b = b.action(
            Action::builder()
                .action_type(action.action_type)
                .aws_api_call_action(
                    AwsApiCallAction::builder()
                        .api(&c.api)
                        .caller_type(c.caller_type)
                        .set_remote_ip_details(c.remote_ip_details.as_ref().map(|r| {
                            ActionRemoteIpDetails::builder()
                                .ip_address_v4(&r.ip_address_v4)
                                .build()
                        }))
                        .set_domain_details(c.domain_details.as_ref().map(|d| {
                            AwsApiCallActionDomainDetails::builder()
                                .domain(&d.domain)
                                .build()
                        }))
                        .set_first_seen(c.first_seen.clone())
                        .set_last_seen(c.last_seen.clone())
                        .build(),
                )
                .build(),
        );
    }
    b.build()
}
