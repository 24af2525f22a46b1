//! The functions' S3 client (`trailwatch::aws::s3`, signed by us) against moto's
//! S3: every call the functions make, the answers they rely on (304, `NoSuchKey`,
//! a size limit), keys that need encoding, and a listing long enough to page.

use trailwatch::aws::s3::{Got, ListPage, S3Client, S3Error};
use trailwatch_tests::moto::Moto;
use trailwatch_tests::one_request::{access_denied, answer_once, assert_signed_header, sdk_at};
use trailwatch_tests::unique;

async fn bucket() -> (S3Client, String, aws_config::SdkConfig) {
    bucket_named(unique("s3client").to_ascii_lowercase()).await
}

async fn bucket_named(name: String) -> (S3Client, String, aws_config::SdkConfig) {
    let sdk = Moto::shared().sdk().await;
    Moto::create_bucket(&sdk, &name).await;
    (S3Client::new(&sdk), name, sdk)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_then_get_round_trips_keys_that_need_encoding_with_conditional_reads() {
    let (s3, bucket, sdk) = bucket().await;
    for key in [
        "plain.toml",
        "AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/01/01/x_y-z~.json.gz",
        "a b/ü?#%+&=;:@$,!'()*[].txt",
    ] {
        let body = format!("body of {key}\n").into_bytes();
        s3.put_object(&bucket, key, &body, "text/plain")
            .await
            .unwrap_or_else(|e| panic!("PutObject {key}: {e}"));
        // The SDK reads back what we wrote, under the same key.
        let sdk_read = Moto::s3(&sdk)
            .get_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("SDK GetObject {key}: {e:?}"));
        assert_eq!(sdk_read.content_type(), Some("text/plain"));
        let Got::Object { body: got, etag } =
            s3.get_object(&bucket, key, None, None, 1024).await.unwrap()
        else {
            panic!("expected the object");
        };
        assert_eq!(got, body, "{key}");
        let etag = etag.expect("an ETag");
        assert_eq!(Some(etag.as_str()), sdk_read.e_tag());
        assert_eq!(
            s3.get_object(&bucket, key, None, Some(&etag), 1024)
                .await
                .unwrap(),
            Got::NotModified,
            "{key}"
        );
        assert!(matches!(
            s3.get_object(&bucket, key, None, Some("\"other\""), 1024)
                .await
                .unwrap(),
            Got::Object { .. }
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_s3_s_code_and_a_size_limit_holds() {
    let (s3, bucket, _) = bucket().await;
    let e = s3
        .get_object(&bucket, "missing", None, None, 1024)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NoSuchKey"), "{e:?}");
    assert_eq!(e.status(), Some(404));
    assert!(e.to_string().starts_with("HTTP 404: NoSuchKey"), "{e}");
    let e = s3
        .get_object("no-such-bucket-here-0", "k", None, None, 1024)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NoSuchBucket"), "{e:?}");

    s3.put_object(
        &bucket,
        "big",
        &vec![b'x'; 4096],
        "application/octet-stream",
    )
    .await
    .unwrap();
    let e = s3
        .get_object(&bucket, "big", None, None, 4095)
        .await
        .unwrap_err();
    assert!(matches!(e, S3Error::TooLarge(_)), "{e:?}");
    assert!(matches!(
        s3.get_object(&bucket, "big", None, None, 4096).await.unwrap(),
        Got::Object { body, .. } if body.len() == 4096
    ));
    // Names that cannot be a bucket are refused before any request.
    let e = s3
        .get_object("Bad Bucket", "k", None, None, 1)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not an S3 bucket name"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_page_and_fold_folders_like_the_sdk() {
    let (s3, bucket, _) = bucket().await;
    // 1,003 keys under one day (more than a page of 1,000), two other folders.
    let sdk_client = Moto::s3(&Moto::shared().sdk().await);
    let day = "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/01/01/";
    let mut keys: Vec<String> = (0..1003)
        .map(|i| format!("{day}f{i:04} x.json.gz"))
        .collect();
    let puts = keys.iter().map(|k| {
        let (c, b, k) = (sdk_client.clone(), bucket.clone(), k.clone());
        tokio::spawn(async move {
            c.put_object()
                .bucket(b)
                .key(k)
                .body(vec![1u8; 3].into())
                .send()
                .await
        })
    });
    for p in puts {
        p.await.unwrap().expect("PutObject");
    }
    for other in [
        "AWSLogs/111122223333/CloudTrail/us-east-1/x",
        "AWSLogs/444455556666/y",
    ] {
        s3.put_object(&bucket, other, b"z", "text/plain")
            .await
            .unwrap();
    }

    let mut listed = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = s3
            .list_objects_v2(&bucket, None, day, None, token.as_deref())
            .await
            .unwrap();
        pages += 1;
        assert!(page.prefixes.is_empty());
        listed.extend(page.objects.iter().map(|(k, size)| {
            assert_eq!(*size, 3);
            k.clone()
        }));
        match page.next {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    keys.sort();
    assert_eq!(listed, keys);
    assert_eq!(pages, 2);

    let folders = s3
        .list_objects_v2(&bucket, None, "AWSLogs/", Some("/"), None)
        .await
        .unwrap();
    assert_eq!(
        folders,
        ListPage {
            objects: vec![],
            prefixes: vec![
                "AWSLogs/111122223333/".into(),
                "AWSLogs/444455556666/".into()
            ],
            next: None,
        }
    );
    let regions = s3
        .list_objects_v2(
            &bucket,
            None,
            "AWSLogs/111122223333/CloudTrail/",
            Some("/"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        regions.prefixes,
        vec![
            "AWSLogs/111122223333/CloudTrail/eu-west-1/".to_owned(),
            "AWSLogs/111122223333/CloudTrail/us-east-1/".to_owned()
        ]
    );
}

/// S3 refuses a PUT without `Content-Length` (411), and moto does not: the
/// request an empty upload sends is read off a socket of our own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_upload_states_its_length() {
    let ok = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_owned();
    let (endpoint, server) = answer_once(ok).await;
    let sdk = sdk_at(&endpoint);
    S3Client::new(&sdk)
        .put_object("b-1", "empty.toml", b"", "application/toml")
        .await
        .unwrap();
    let head = server.await.unwrap();
    assert!(
        head.starts_with("put /b-1/empty.toml http/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\ncontent-length: 0\r\n"), "{head}");
    assert!(head.contains("\r\nx-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\n"), "{head}");
}

/// An older us-east-1 bucket, named with capitals and underscores before S3's
/// 2018 rules (an old trail's, say): written, read back and listed under its
/// name as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_bucket_name_is_read_and_listed() {
    let (s3, name, _) = bucket_named(format!("Old_Trail_{}", unique("logs"))).await;
    let key = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/f.json.gz";
    s3.put_object(&name, key, b"old", "application/gzip")
        .await
        .unwrap();
    let Got::Object { body, .. } = s3.get_object(&name, key, None, None, 1024).await.unwrap()
    else {
        panic!("expected the object");
    };
    assert_eq!(body, b"old");
    let page: ListPage = s3
        .list_objects_v2(&name, None, "AWSLogs/", None, None)
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 1, "{page:?}");
}

/// With an expected owner, a listing names the account in a signed header, and
/// S3's refusal of a bucket another account owns (played here by a server of
/// our own, as moto does not check) is an AccessDenied error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_names_the_expected_owner_and_a_refusal_is_access_denied() {
    let (endpoint, server) = answer_once(access_denied()).await;
    let e = S3Client::new(&sdk_at(&endpoint))
        .list_objects_v2(
            "trail-archive",
            Some("444455556666"),
            "AWSLogs/",
            Some("/"),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"), "{e:?}");
    let head = server.await.unwrap();
    assert_signed_header(&head, "x-amz-expected-bucket-owner", "444455556666");
}
