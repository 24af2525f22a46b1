//! Setting the table up: created with the one schema and TTL, or checked
//! against it (`trailwatch replay --create-table`, the tests).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};

use super::{schema, sdk_error};
use crate::state::StoreError;

/// What [`ensure_table`] found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCheck {
    /// The table was created by this call.
    pub created: bool,
    /// TTL is enabled (or being enabled) on [`schema::TTL_ATTRIBUTE`]. When false,
    /// items never expire: reads still ignore them, but the table keeps growing.
    pub ttl_enabled: bool,
}

/// Creates the table with the one schema (PAY_PER_REQUEST), waits until it is
/// active, and enables TTL on [`schema::TTL_ATTRIBUTE`].
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let build = |e: aws_sdk_dynamodb::error::BuildError| {
        StoreError::new(format!(
            "DynamoDB CreateTable on table {table}: cannot build the request: {e}"
        ))
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(build)
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(build)
    };
    client
        .create_table()
        .table_name(table)
        .attribute_definitions(attr(schema::PARTITION_KEY)?)
        .attribute_definitions(attr(schema::SORT_KEY)?)
        .key_schema(key(schema::PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key(schema::SORT_KEY, KeyType::Range)?)
        .billing_mode(BillingMode::from(schema::BILLING_MODE))
        .send()
        .await
        .map_err(|e| sdk_error("CreateTable", table, e))?;
    wait_active(client, table).await?;
    enable_ttl(client, table).await
}

async fn wait_active(client: &Client, table: &str) -> Result<(), StoreError> {
    // Real DynamoDB takes seconds; give it a few minutes.
    for _ in 0..600 {
        let d = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| sdk_error("DescribeTable", table, e))?;
        if d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(StoreError::new(format!(
        "DynamoDB table {table} did not become ACTIVE within 5 minutes"
    )))
}

async fn enable_ttl(client: &Client, table: &str) -> Result<(), StoreError> {
    let spec = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(schema::TTL_ATTRIBUTE)
        .build()
        .map_err(|e| {
            StoreError::new(format!(
                "DynamoDB UpdateTimeToLive on table {table}: cannot build the request: {e}"
            ))
        })?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(spec)
        .send()
        .await
        .map_err(|e| sdk_error("UpdateTimeToLive", table, e))?;
    Ok(())
}

/// Checks that `table` exists with the schema's keys; creates it (with TTL) when
/// missing and `create` is set. A missing table without `create`, or a table with
/// other keys, is an error that says what to do.
pub async fn ensure_table(
    client: &Client,
    table: &str,
    create: bool,
) -> Result<TableCheck, StoreError> {
    let described = client.describe_table().table_name(table).send().await;
    let desc = match described {
        Ok(d) => d,
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_resource_not_found_exception()) =>
        {
            if !create {
                return Err(StoreError::new(format!(
                    "DynamoDB table {table} does not exist (pass --create-table to create it, \
                     or deploy template.yaml)"
                )));
            }
            create_table(client, table).await?;
            return Ok(TableCheck {
                created: true,
                ttl_enabled: true,
            });
        }
        Err(e) => return Err(sdk_error("DescribeTable", table, e)),
    };
    let keys: Vec<(String, String)> = desc
        .table()
        .map(|t| t.key_schema())
        .unwrap_or_default()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_owned(),
                k.key_type().as_str().to_owned(),
            )
        })
        .collect();
    let want = vec![
        (schema::PARTITION_KEY.to_owned(), "HASH".to_owned()),
        (schema::SORT_KEY.to_owned(), "RANGE".to_owned()),
    ];
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| a.1.cmp(&b.1));
    if sorted != want {
        return Err(StoreError::new(format!(
            "DynamoDB table {table} has the key schema {keys:?}; trailwatch needs \
             {} (HASH, string) and {} (RANGE, string)",
            schema::PARTITION_KEY,
            schema::SORT_KEY
        )));
    }
    if desc.table().and_then(|t| t.table_status()) != Some(&TableStatus::Active) {
        wait_active(client, table).await?;
    }
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| sdk_error("DescribeTimeToLive", table, e))?;
    let mut ttl_enabled = ttl.time_to_live_description().is_some_and(|d| {
        d.attribute_name() == Some(schema::TTL_ATTRIBUTE)
            && matches!(
                d.time_to_live_status(),
                Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
            )
    });
    if !ttl_enabled && create {
        enable_ttl(client, table).await?;
        ttl_enabled = true;
    }
    Ok(TableCheck {
        created: false,
        ttl_enabled,
    })
}
