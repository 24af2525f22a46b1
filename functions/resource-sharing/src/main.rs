//! The `resource-sharing` Lambda function: Resources shared out: policies and grants opened to other accounts or everyone (DynamoDB, EFS, OpenSearch, S3 access points, Glacier, Lambda, ECR, KMS, SNS, SQS), RAM shares, logs and events streamed to other accounts.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::RESOURCE_SHARING).await
}
