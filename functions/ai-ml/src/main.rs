//! The `ai-ml` Lambda function: AI and machine learning services: Bedrock model access, user keys and guardrails, SageMaker notebook start-up scripts.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::AI_ML).await
}
