//! The contract's scalars: `DateTime` (RFC 3339 in UTC, with a `Z`) and `Date` (YYYY-MM-DD).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, SubsecRound, Utc};

/// An instant, written as RFC 3339 in UTC: `2026-11-26T10:38:36.123Z`. Input may carry any
/// offset; it is converted to UTC, and kept to the microsecond, as every database stores it
/// (SQLite would keep nanoseconds that the search index, and PostgreSQL, round away: lists
/// ordered by the index and by the database must see the same instants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|instant| DateTime(instant.with_timezone(&Utc).trunc_subsecs(6)))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "'{text}' is not an RFC 3339 date-time such as 2026-11-26T09:00:00Z"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(instant: chrono::DateTime<Utc>) -> Self {
        DateTime(instant)
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| {
                    InputValueError::custom(format!("'{text}' is not a date such as 2026-11-26"))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}
