//! The `monitoring-tamper` Lambda function: Monitoring and network logging silenced: CloudWatch alarms, log groups, streams, metric and subscription filters, EventBridge rules, VPC flow logs, DNS query logging and firewall, WAF logging, Session Manager logging.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::MONITORING_TAMPER).await
}
