//! Exchange rates the secretariat maintains, so that a ticket size in one currency can meet an
//! opportunity's amount in another. Each rate says how many US dollars one unit buys; USD is 1
//! and is not stored. Rates are for comparing orders of magnitude, not for accounting, so
//! they are used as floating point once read.

use std::collections::HashMap;

use entities::exchange_rates;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder};

use crate::auth::Caller;
use crate::domain;
use crate::error::{Error, Result};
use crate::service::audit::{self, Subject};
use crate::service::content::write::now;
use crate::state::AppState;

/// Decimals a rate may have: one Vietnamese dong is about 0.00004 US dollars.
const RATE_MAX_DECIMALS: usize = 12;

/// A rate as the caller gives it: a positive decimal with at most 12 decimals, normalised
/// (`0.000040` → `0.00004`).
pub fn parse_rate(field: &str, value: &str) -> Result<String> {
    let invalid = || {
        Error::bad_input(
            field,
            format!("'{value}' is not a positive decimal rate such as 1.08 or 0.00004"),
        )
    };
    let trimmed = value.trim();
    let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || !digits(whole) || !digits(fraction) {
        return Err(invalid());
    }
    if fraction.len() > RATE_MAX_DECIMALS {
        return Err(Error::bad_input(
            field,
            format!("at most {RATE_MAX_DECIMALS} decimals"),
        ));
    }
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let normalised = match (whole.is_empty(), fraction.is_empty()) {
        (true, true) => return Err(invalid()),
        (true, false) => format!("0.{fraction}"),
        (false, true) => whole.to_owned(),
        (false, false) => format!("{whole}.{fraction}"),
    };
    Ok(normalised)
}

/// Every stored rate, by currency.
pub async fn all(connection: &impl ConnectionTrait) -> Result<Vec<exchange_rates::Model>> {
    Ok(exchange_rates::Entity::find()
        .order_by_asc(exchange_rates::Column::Currency)
        .all(connection)
        .await?)
}

/// US dollars per unit of each currency there is a rate for, USD included.
#[derive(Debug, Clone, Default)]
pub struct Rates(HashMap<String, f64>);

impl Rates {
    pub async fn load(connection: &impl ConnectionTrait) -> Result<Rates> {
        let mut rates: HashMap<String, f64> = all(connection)
            .await?
            .into_iter()
            .filter_map(|row| Some((row.currency, row.usd_per_unit.parse().ok()?)))
            .collect();
        rates.insert("USD".to_owned(), 1.0);
        Ok(Rates(rates))
    }

    /// `amount` of `from` in `to`; `None` when either has no rate.
    pub fn convert(&self, amount: f64, from: &str, to: &str) -> Option<f64> {
        if from == to {
            return Some(amount);
        }
        Some(amount * self.0.get(from)? / self.0.get(to)?)
    }
}

/// Sets the rate of `currency`; the secretariat only. Answers the stored row.
pub async fn set(
    state: &AppState,
    caller: &Caller,
    currency: &str,
    usd_per_unit: &str,
) -> Result<exchange_rates::Model> {
    let user = caller.require_secretariat()?;
    let currency = domain::currency("currency", currency)?;
    if currency == "USD" {
        return Err(Error::bad_input("currency", "USD is 1 by definition"));
    }
    let rate = parse_rate("usdPerUnit", usd_per_unit)?;
    let row = exchange_rates::Model {
        currency: currency.clone(),
        usd_per_unit: rate.clone(),
        updated_by: Some(user.id.clone()),
        updated_at: now(),
    };
    let transaction = state.db.begin_write().await?;
    exchange_rates::Entity::insert(exchange_rates::ActiveModel {
        currency: Set(row.currency.clone()),
        usd_per_unit: Set(row.usd_per_unit.clone()),
        updated_by: Set(row.updated_by.clone()),
        updated_at: Set(row.updated_at),
    })
    .on_conflict(
        OnConflict::column(exchange_rates::Column::Currency)
            .update_columns([
                exchange_rates::Column::UsdPerUnit,
                exchange_rates::Column::UpdatedBy,
                exchange_rates::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&*transaction)
    .await?;
    audit::record(
        &*transaction,
        caller,
        None,
        audit::EXCHANGE_RATE,
        Some(Subject {
            kind: "currency",
            id: &currency,
        }),
        format!("1 {currency} = {rate} USD"),
    )
    .await?;
    transaction.commit().await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_positive_decimals_normalised() {
        assert_eq!(parse_rate("r", "0.000040").unwrap(), "0.00004");
        assert_eq!(parse_rate("r", "1.0800").unwrap(), "1.08");
        assert_eq!(parse_rate("r", "0012").unwrap(), "12");
        for bad in ["0", "0.000", "-1", "1e3", "", ".", "abc", "1.0000000000001"] {
            assert!(parse_rate("r", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn conversion_goes_through_the_dollar() {
        let mut rates = HashMap::new();
        rates.insert("USD".to_owned(), 1.0);
        rates.insert("VND".to_owned(), 0.00004);
        rates.insert("SGD".to_owned(), 0.75);
        let rates = Rates(rates);
        let dollars = rates.convert(25_000_000_000.0, "VND", "USD").unwrap();
        assert!((dollars - 1_000_000.0).abs() < 1e-3);
        let singapore = rates.convert(750.0, "SGD", "VND").unwrap();
        assert!((singapore - 14_062_500.0).abs() < 1e-3);
        assert_eq!(rates.convert(1.0, "THB", "USD"), None);
    }
}
