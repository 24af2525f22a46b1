//! The `backtest` Lambda function: the whole catalogue over archived CloudTrail
//! logs in S3, planned and batched by a Step Functions Distributed Map
//! (deploy/backtest.yaml). All logic lives in `trailwatch::lambda::backtest`.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::backtest::run().await
}
