//! A tolerant, borrowed view of one CloudTrail record.
//!
//! Real records differ by service, event type and age: identity fields are missing
//! for failed sign-ins, `requestParameters` is an object, `null`, absent or the
//! "omitted" stub, and test fixtures carry placeholders ("redacted") where times and
//! ids belong. So every field is optional, strings borrow from the input where they
//! can, and scalar fields of an unexpected type are read leniently (a number becomes
//! its text, an array or object is treated as absent). Only `eventSource` and
//! `eventName` must be strings when present: they decide which detections run.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::time::parse_event_time;

/// One CloudTrail record (the `detail` of an EventBridge event, or one element of a
/// log file's `Records`).
///
/// A field added here (or to the structs below) must be added to the command
/// line's plain-record reader (`event/plain.rs`) too, which would otherwise skip
/// it as unknown: its tests and the fuzz harness compare the two readers on the
/// samples, and fail when a sample has the field.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    #[serde(borrow, default, deserialize_with = "strict_str")]
    pub event_source: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "strict_str")]
    pub event_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub event_version: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub event_time: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub event_type: Option<Cow<'a, str>>,
    #[serde(rename = "eventID", borrow, default, deserialize_with = "lenient_str")]
    pub event_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub aws_region: Option<Cow<'a, str>>,
    #[serde(
        rename = "sourceIPAddress",
        borrow,
        default,
        deserialize_with = "lenient_str"
    )]
    pub source_ip_address: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub error_code: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub error_message: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub recipient_account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub vpc_endpoint_id: Option<Cow<'a, str>>,
    /// Set on a record CloudTrail wrote again: late, or with data it lacked
    /// (`reason` `UPDATED_DATA`), naming the call's first record.
    #[serde(borrow, default, deserialize_with = "lenient_struct")]
    pub addendum: Option<Addendum<'a>>,
    /// `Management`, `Data`, or `NetworkActivity` for the record a VPC
    /// endpoint writes of a call through it, beside the call's own.
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub event_category: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_struct")]
    pub user_identity: Option<UserIdentity<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_struct")]
    pub tls_details: Option<TlsDetails<'a>>,
    #[serde(borrow, default)]
    pub request_parameters: LazyValue<'a>,
    #[serde(borrow, default)]
    pub response_elements: LazyValue<'a>,
    #[serde(borrow, default)]
    pub additional_event_data: LazyValue<'a>,
    /// The JSON text the record was read from (set by `from_json`): tuning reads
    /// any field path from it, on the rare records behind a finding.
    #[serde(skip)]
    pub raw: Option<&'a str>,
    /// `eventTime` parsed, on first use: the engine, the windows and the tuning
    /// each ask for it, several times per record.
    #[serde(skip)]
    pub(crate) event_time_parsed: OnceLock<Option<i64>>,
    /// Keys that make a document something else (a `Records` file, an envelope),
    /// read only so that a duplicate fails the parse as it fails the reader's
    /// classifying parse (`Sink::try_record` must take exactly what the reader would).
    #[serde(rename = "Records", default)]
    pub(crate) _records: Option<IgnoredAny>,
    #[serde(rename = "detail", default)]
    pub(crate) _detail: Option<IgnoredAny>,
    #[serde(rename = "detail-type", default)]
    pub(crate) _detail_type: Option<IgnoredAny>,
    /// The keys of the AWS CLI's exports (`Events`, `events`, `CloudTrailEvent`),
    /// mirrored for the same reason (from a review: a detail with two
    /// `CloudTrailEvent` keys, refused by the reader, was taken as a record).
    #[serde(rename = "Events", default)]
    pub(crate) _lookup_events: Option<IgnoredAny>,
    #[serde(rename = "events", default)]
    pub(crate) _log_events: Option<IgnoredAny>,
    #[serde(rename = "logEvents", default)]
    pub(crate) _subscription_log_events: Option<IgnoredAny>,
    #[serde(rename = "CloudTrailEvent", default)]
    pub(crate) _cloudtrail_event: Option<IgnoredAny>,
    /// `"true"` when the call used the temporary credentials of a console session.
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub session_credential_from_console: Option<Cow<'a, str>>,
}

/// A nested JSON value (`requestParameters` and the like) kept as its text until a
/// detection asks for it. Most records that reach the engine are decided on their
/// routing and identity fields alone, and building a `Value` tree (a map per
/// object, a string per key) was a fifth of parsing them.
#[derive(Debug, Default)]
pub struct LazyValue<'a> {
    raw: Option<&'a str>,
    parsed: OnceLock<Option<Value>>,
}

impl LazyValue<'_> {
    /// The value; `None` when absent or `null` (as an eager `Option<Value>` read it).
    pub fn get(&self) -> Option<&Value> {
        self.parsed
            .get_or_init(|| {
                // The text was checked as JSON when the record was read. One that
                // serde_json refuses to build (a lone surrogate escape, a number past
                // `f64`) is read repaired (`event::repair`).
                let v = super::surrogates::parse_value(self.raw?)?;
                (!v.is_null()).then_some(v)
            })
            .as_ref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LazyValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'a RawValue>::deserialize(d)?;
        // Skipping over the text does not count depth: refuse what parsing the
        // record eagerly refused (the record is one level, so 127 are left).
        if super::nesting::deeper_than(raw.get(), MAX_VALUE_DEPTH) {
            return Err(de::Error::custom("recursion limit exceeded"));
        }
        Ok(LazyValue::from_text(raw.get()))
    }
}

impl<'a> LazyValue<'a> {
    /// The value whose JSON text (checked already) is `raw`.
    pub(crate) fn from_text(raw: &'a str) -> LazyValue<'a> {
        LazyValue {
            raw: Some(raw),
            parsed: OnceLock::new(),
        }
    }
}

/// How deep a record's nested values may go: serde_json's recursion limit (128)
/// less the record's own object.
const MAX_VALUE_DEPTH: usize = 127;

/// `userIdentity`: who made the call. See spec section 0.6 for the shapes per `type`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "lenient_str")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub principal_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub access_key_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub user_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub invoked_by: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_struct")]
    pub session_context: Option<SessionContext<'a>>,
    /// The person an `IdentityCenterUser` record acts for: IAM Identity Center
    /// names its users by id here, and has written no `userName` or
    /// `principalId` since July 2025.
    #[serde(borrow, default, deserialize_with = "lenient_struct")]
    pub on_behalf_of: Option<OnBehalfOf<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_struct")]
    pub in_scope_of: Option<InScopeOf<'a>>,
}

/// `addendum`: why CloudTrail wrote a record again, and the call's first
/// record (`originalEventID`).
#[derive(Debug, Default, Deserialize)]
pub struct Addendum<'a> {
    #[serde(
        rename = "originalEventID",
        borrow,
        default,
        deserialize_with = "lenient_str"
    )]
    pub original_event_id: Option<Cow<'a, str>>,
}

/// `userIdentity.inScopeOf`: the resource AWS issued the session's
/// credentials to (a Lambda function, an EC2 instance), which AWS writes and
/// the caller cannot.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InScopeOf<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub issuer_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub credentials_issued_to: Option<Cow<'a, str>>,
}

/// `userIdentity.onBehalfOf`: an IAM Identity Center user, by its id in an
/// identity store.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnBehalfOf<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub user_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub identity_store_arn: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_struct")]
    pub session_issuer: Option<SessionIssuer<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_struct")]
    pub attributes: Option<SessionAttributes<'a>>,
    /// `"true"` on a session AWS Organizations' centralized root access opened
    /// in a member account (`sts:AssumeRoot`).
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub assumed_root: Option<Cow<'a, str>>,
    /// A session opened with a web identity token (`AssumeRoleWithWebIdentity`).
    #[serde(borrow, default, deserialize_with = "lenient_struct")]
    pub web_id_federation_data: Option<WebIdFederationData<'a>>,
}

/// `userIdentity.sessionContext.webIdFederationData`: who issued the token the
/// session was opened with.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebIdFederationData<'a> {
    /// The identity provider, e.g. an EKS cluster's OIDC issuer
    /// (`arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>`)
    /// or `token.actions.githubusercontent.com`.
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub federated_provider: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "lenient_str")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub principal_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub account_id: Option<Cow<'a, str>>,
    // Some producers spell it `username`; both are accepted.
    #[serde(borrow, default, alias = "username", deserialize_with = "lenient_str")]
    pub user_name: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttributes<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub mfa_authenticated: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub creation_date: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsDetails<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub client_provided_host_header: Option<Cow<'a, str>>,
}

/// Treats `""` like an absent value: CloudTrail writes empty strings where it has
/// nothing (`accessKeyId: ""`, `arn: ""` on failed sign-ins).
fn non_empty<'s>(v: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    match v.as_deref() {
        Some("") | None => None,
        Some(s) => Some(s),
    }
}

impl<'a> Record<'a> {
    /// Parses one record from JSON text, borrowing strings where possible.
    pub fn from_json(text: &'a str) -> Result<Self, serde_json::Error> {
        #[cfg(feature = "cli-plain-records")]
        if let Some(mut rec) = super::plain::record(text) {
            rec.raw = Some(text);
            return Ok(rec);
        }
        let mut rec: Record<'a> = serde_json::from_str(text)?;
        rec.raw = Some(text);
        Ok(rec)
    }

    /// [`Record::from_json`], reading a text refused for lone surrogate escapes
    /// or values nested too deep again with them repaired (`event::repair`); the
    /// repaired text is kept in `scratch`, which the record then borrows.
    pub fn from_json_repairing(
        text: &'a str,
        scratch: &'a mut String,
    ) -> Result<Self, serde_json::Error> {
        match Record::from_json(text) {
            Err(e) => match super::repair::repaired(text) {
                Some(fixed) => {
                    *scratch = fixed;
                    let fixed: &'a String = scratch;
                    Record::from_json(fixed)
                }
                None => Err(e),
            },
            parsed => parsed,
        }
    }

    /// The record has an `eventSource` or an `eventName` (what makes a JSON
    /// object a CloudTrail record to the reader).
    pub fn names_an_event(&self) -> bool {
        self.event_source.is_some() || self.event_name.is_some()
    }

    pub fn event_source(&self) -> &str {
        self.event_source.as_deref().unwrap_or("")
    }
    pub fn event_name(&self) -> &str {
        self.event_name.as_deref().unwrap_or("")
    }
    pub fn event_id(&self) -> Option<&str> {
        non_empty(&self.event_id)
    }
    /// The call this record is of: the first record's `eventID` for a record
    /// CloudTrail wrote again (`addendum.originalEventID`: the same call, with
    /// data it lacked), else the record's own. Findings and windows count
    /// calls by it, so that the second record is not a second call.
    pub fn call_id(&self) -> Option<&str> {
        self.addendum
            .as_ref()
            .and_then(|a| non_empty(&a.original_event_id))
            .or_else(|| self.event_id())
    }
    pub fn region(&self) -> Option<&str> {
        non_empty(&self.aws_region)
    }
    pub fn source_ip(&self) -> Option<&str> {
        non_empty(&self.source_ip_address)
    }
    pub fn user_agent(&self) -> Option<&str> {
        non_empty(&self.user_agent)
    }
    pub fn error_code(&self) -> Option<&str> {
        non_empty(&self.error_code)
    }
    pub fn error_message(&self) -> Option<&str> {
        non_empty(&self.error_message)
    }
    pub fn identity(&self) -> Option<&UserIdentity<'a>> {
        self.user_identity.as_ref()
    }
    pub fn identity_type(&self) -> Option<&str> {
        self.identity().and_then(|u| non_empty(&u.kind))
    }
    pub fn user_name(&self) -> Option<&str> {
        self.identity().and_then(|u| non_empty(&u.user_name))
    }
    /// A VPC endpoint's bare record of a call it let through by a caller of
    /// its own account (`eventCategory` `NetworkActivity`, no error, neither
    /// parameters nor response, `userIdentity.accountId` the record's): the
    /// account's trail records the call again as itself, with both. A call the
    /// endpoint refused (`VpceAccessDenied`) has no other record, nor may a
    /// call by another account's credentials (its own record goes to that
    /// account's trail): those are judged, as is a copy that carries the
    /// call's parameters.
    pub fn is_network_activity_let_through(&self) -> bool {
        non_empty(&self.event_category) == Some("NetworkActivity")
            && self.error_code().is_none()
            && self.request_parameters.get().is_none()
            && self.response_elements.get().is_none()
            && self
                .identity()
                .and_then(|u| non_empty(&u.account_id))
                .is_some_and(|caller| Some(caller) == non_empty(&self.recipient_account_id))
    }
    /// The resource `userIdentity.inScopeOf` says the session's credentials
    /// were issued to, when it is of `issuer_type`: written by AWS, not the
    /// caller. `Some("")` when the issuer is named without the resource.
    fn credentials_issued_to(&self, issuer_type: &str) -> Option<&str> {
        let scope = self.identity()?.in_scope_of.as_ref()?;
        (non_empty(&scope.issuer_type) == Some(issuer_type))
            .then(|| non_empty(&scope.credentials_issued_to).unwrap_or(""))
    }
    /// The Lambda function an assumed role's credentials were issued to
    /// (issuer type `AWS::Lambda::Function`).
    pub fn credentials_of_lambda_function(&self) -> Option<&str> {
        self.credentials_issued_to("AWS::Lambda::Function")
            .map(|f| if f.is_empty() { "unknown function" } else { f })
    }
    /// Whether the credentials were issued to an EC2 instance (its role's,
    /// delivered by the instance metadata service).
    pub fn credentials_of_ec2_instance(&self) -> bool {
        self.credentials_issued_to("AWS::EC2::Instance").is_some()
    }
    /// `userIdentity.onBehalfOf.userId`: the IAM Identity Center user a record
    /// acts for.
    pub fn on_behalf_of_user_id(&self) -> Option<&str> {
        non_empty(&self.identity()?.on_behalf_of.as_ref()?.user_id)
    }
    pub fn invoked_by(&self) -> Option<&str> {
        self.identity().and_then(|u| non_empty(&u.invoked_by))
    }
    /// `userIdentity.sessionContext.sessionIssuer`: the role (or user) behind a
    /// session.
    pub fn session_issuer(&self) -> Option<&SessionIssuer<'a>> {
        self.identity()?
            .session_context
            .as_ref()?
            .session_issuer
            .as_ref()
    }
    /// `userIdentity.sessionContext.webIdFederationData.federatedProvider`: the
    /// identity provider of a web identity session.
    pub fn web_identity_provider(&self) -> Option<&str> {
        non_empty(
            &self
                .identity()?
                .session_context
                .as_ref()?
                .web_id_federation_data
                .as_ref()?
                .federated_provider,
        )
    }
    /// `userIdentity.sessionContext.sessionIssuer.arn`.
    pub fn session_issuer_arn(&self) -> Option<&str> {
        non_empty(&self.session_issuer()?.arn)
    }
    /// `userIdentity.sessionContext.sessionIssuer.type`: `Role`, or `IAMUser` and
    /// `Root` for the sessions a user issued (`GetFederationToken`).
    pub fn session_issuer_type(&self) -> Option<&str> {
        non_empty(&self.session_issuer()?.kind)
    }
    pub fn host_header(&self) -> Option<&str> {
        self.tls_details
            .as_ref()
            .and_then(|t| non_empty(&t.client_provided_host_header))
    }

    /// The account the event was delivered to (`recipientAccountId`), else the
    /// caller's account.
    pub fn account_id(&self) -> Option<&str> {
        non_empty(&self.recipient_account_id)
            .or_else(|| self.identity().and_then(|u| non_empty(&u.account_id)))
    }

    /// `sharedEventID`: CloudTrail's one id for a call it writes to two
    /// accounts (a cross-account call: the caller's copy and the resource
    /// owner's, each with its own `eventID`). Read from the record's text on
    /// demand: only the records behind a finding ask, so the readers do not
    /// carry it for every record.
    pub fn shared_event_id(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct Shared<'t> {
            #[serde(
                rename = "sharedEventID",
                borrow,
                default,
                deserialize_with = "lenient_str"
            )]
            id: Option<Cow<'t, str>>,
        }
        let shared: Shared = serde_json::from_str(self.raw?).ok()?;
        shared
            .id
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty())
    }

    /// Success means no `errorCode` and no `errorMessage` (empty strings count as absent).
    pub fn succeeded(&self) -> bool {
        self.error_code().is_none() && self.error_message().is_none()
    }

    /// `eventTime` in milliseconds since the Unix epoch, when it parses.
    pub fn event_time_ms(&self) -> Option<i64> {
        *self
            .event_time_parsed
            .get_or_init(|| self.event_time.as_deref().and_then(parse_event_time))
    }

    /// `requestParameters`, unless absent or `null`.
    pub fn request_parameters(&self) -> Option<&Value> {
        self.request_parameters.get()
    }
    /// `responseElements`, unless absent or `null`.
    pub fn response_elements(&self) -> Option<&Value> {
        self.response_elements.get()
    }
    /// `requestParameters.<key>` when `requestParameters` is an object.
    pub fn request_param(&self, key: &str) -> Option<&Value> {
        self.request_parameters()?.as_object()?.get(key)
    }
    /// `requestParameters.<key>` as a non-empty string.
    pub fn request_param_str(&self, key: &str) -> Option<&str> {
        self.request_param(key)?.as_str().filter(|s| !s.is_empty())
    }
    /// `responseElements.<key>` when `responseElements` is an object.
    pub fn response_element(&self, key: &str) -> Option<&Value> {
        self.response_elements()?.as_object()?.get(key)
    }
    /// `responseElements.<key>` as a non-empty string.
    pub fn response_element_str(&self, key: &str) -> Option<&str> {
        self.response_element(key)?
            .as_str()
            .filter(|s| !s.is_empty())
    }
    /// The call used a console session's credentials (`sessionCredentialFromConsole`
    /// is `true`, as text or boolean, any case).
    pub fn from_console_session(&self) -> bool {
        non_empty(&self.session_credential_from_console)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }
    /// `additionalEventData.<key>` as a string.
    pub fn additional_data_str(&self, key: &str) -> Option<&str> {
        self.additional_data(key)?.as_str()
    }
    /// `additionalEventData.<key>`, whatever its type.
    pub fn additional_data(&self, key: &str) -> Option<&Value> {
        self.additional_event_data.get()?.as_object()?.get(key)
    }
}

/// `eventSource`/`eventName`: a string or null; anything else is a malformed record.
fn strict_str<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    d.deserialize_any(StrVisitor { strict: true })
}

/// A scalar read as text: strings as they are, numbers and booleans as their text,
/// `null`, arrays and objects as absent.
fn lenient_str<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    d.deserialize_any(StrVisitor { strict: false })
}

struct StrVisitor {
    strict: bool,
}

impl StrVisitor {
    fn other<E: de::Error>(
        &self,
        unexpected: de::Unexpected,
        text: String,
    ) -> Result<Option<Cow<'static, str>>, E> {
        if self.strict {
            Err(E::invalid_type(unexpected, self))
        } else {
            Ok(Some(Cow::Owned(text)))
        }
    }
}

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(if self.strict {
            "a string"
        } else {
            "a string or scalar"
        })
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.other(de::Unexpected::Bool(v), v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.other(de::Unexpected::Signed(v), v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.other(de::Unexpected::Unsigned(v), v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.other(de::Unexpected::Float(v), v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        if self.strict {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        while a.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        if self.strict {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        }
        while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// A nested object; `null` or a value of another type is treated as absent.
///
/// The object is read in the same pass (no buffering, so its strings still borrow
/// from the input). Arrays are dropped rather than handed to the struct: serde
/// would otherwise fill a struct from an array by position (`"tlsDetails": ["x"]`
/// becoming a Host header "x"), a value no byte-level reader sees (found by fuzzing
/// the replay prefilter). A duplicate key inside the object makes the record
/// malformed, as one at the top level does.
fn lenient_struct<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct ObjectOnly<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object, or any value read as absent")
        }
        fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(a)).map(Some)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    d.deserialize_any(ObjectOnly(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_object_given_as_an_array_is_absent() {
        // Regression (found by fuzzing): `["x"]` filled the struct by position.
        let r = Record::from_json(
            r#"{"eventSource":"ec2.amazonaws.com","eventName":"CreateTags",
            "tlsDetails":["x"],"userIdentity":["Root","arn:aws:iam::111122223333:root"]}"#,
        )
        .unwrap();
        assert_eq!(r.host_header(), None);
        assert!(r.identity().is_none());
    }

    #[test]
    fn reads_a_failed_console_login_without_arn() {
        let r = Record::from_json(
            r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
            "userIdentity":{"type":"IAMUser","principalId":"AIDA","accountId":"111122223333","accessKeyId":"","userName":"alice"},
            "errorMessage":"Failed authentication","requestParameters":null,
            "responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"Yes"}}"#,
        )
        .unwrap();
        assert_eq!(r.event_name(), "ConsoleLogin");
        assert_eq!(r.user_name(), Some("alice"));
        assert!(r.identity().unwrap().arn.is_none());
        assert_eq!(r.identity().unwrap().access_key_id.as_deref(), Some(""));
        assert!(!r.succeeded());
        assert_eq!(r.additional_data_str("MFAUsed"), Some("Yes"));
        assert_eq!(r.account_id(), Some("111122223333"));
    }

    #[test]
    fn tolerates_odd_types_in_secondary_fields() {
        let r = Record::from_json(
            r#"{"eventSource":"x.amazonaws.com","eventName":"X","userAgent":["a","b"],
            "recipientAccountId":123456789012,"readOnly":"True","userIdentity":null,
            "tlsDetails":"weird","requestParameters":"a string"}"#,
        )
        .unwrap();
        assert_eq!(r.user_agent(), None);
        assert_eq!(r.account_id(), Some("123456789012"));
        assert!(r.identity().is_none());
        assert!(r.host_header().is_none());
        assert_eq!(r.request_param("x"), None);
    }

    #[test]
    fn nested_values_are_refused_past_the_parsers_depth_limit() {
        let nested = |n: usize| {
            format!(
                r#"{{"eventName":"X","requestParameters":{}"a\"[{{"{}}}"#,
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        let text = nested(MAX_VALUE_DEPTH);
        let ok = Record::from_json(&text).unwrap();
        assert!(ok.request_parameters().is_some());
        let e = Record::from_json(&nested(MAX_VALUE_DEPTH + 1)).unwrap_err();
        assert!(e.to_string().starts_with("recursion limit exceeded"), "{e}");
        // Read again with the values past `nesting::KEEP` levels cut.
        let (deep, mut scratch) = (nested(MAX_VALUE_DEPTH + 1), String::new());
        let cut = Record::from_json_repairing(&deep, &mut scratch).unwrap();
        assert_eq!(cut.event_name(), "X");
        let mut v = cut.request_parameters().unwrap();
        for _ in 2..super::super::nesting::KEEP {
            v = &v[0];
        }
        assert_eq!(v[0], "(cut: nested too deep)");
    }

    /// From a review: a number past `f64` inside a nested value no longer makes
    /// the whole value read as absent.
    #[test]
    fn a_number_past_f64_does_not_hide_the_request() {
        let rec = Record::from_json(
            r#"{"eventName":"X","requestParameters":{"MaxEntries":1e400,"Entry":{"Cidr":"0.0.0.0/0"}}}"#,
        )
        .unwrap();
        let params = rec.request_parameters().expect("read repaired");
        assert_eq!(params["Entry"]["Cidr"], "0.0.0.0/0");
        assert_eq!(params["MaxEntries"], "1e400");
    }

    #[test]
    fn rejects_a_non_string_event_name() {
        let e = Record::from_json(r#"{"eventSource":"x","eventName":5}"#).unwrap_err();
        assert!(e.to_string().contains("invalid type"), "{e}");
    }

    #[test]
    fn empty_strings_count_as_absent() {
        let r = Record::from_json(r#"{"eventName":"X","errorCode":"","errorMessage":""}"#).unwrap();
        assert!(r.succeeded());
        assert_eq!(r.error_code(), None);
    }

    /// A lone surrogate escape neither hides a nested value nor rejects the
    /// record: both read with it replaced by U+FFFD (`event::surrogates`).
    #[test]
    fn lone_surrogate_escapes_are_read_as_replacement_characters() {
        let nested = r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy",
            "requestParameters":{"bucketName":"b","policy":{"Statement":[{"Sid":"\ud800"}]}}}"#;
        let rec = Record::from_json(nested).unwrap();
        assert_eq!(rec.request_param_str("bucketName"), Some("b"));
        assert_eq!(
            rec.request_parameters().unwrap()["policy"]["Statement"][0]["Sid"],
            "\u{FFFD}"
        );
        let top = r#"{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","userAgent":"x\udc00y"}"#;
        assert!(Record::from_json(top).is_err());
        let mut scratch = String::new();
        let rec = Record::from_json_repairing(top, &mut scratch).unwrap();
        assert_eq!(rec.user_agent(), Some("x\u{FFFD}y"));
        let owned = crate::event::OwnedRecord::parse(top.to_owned()).unwrap();
        assert_eq!(owned.record().user_agent(), Some("x\u{FFFD}y"));
        // Other errors stay errors.
        let mut scratch = String::new();
        assert!(Record::from_json_repairing(r#"{"eventName":5}"#, &mut scratch).is_err());
    }
}
