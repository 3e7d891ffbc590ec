//! The series an operator watches besides turns and stages (`ops/grafana`, `ops/prometheus`):
//! circuit breakers, the gate's refusals, spend against its cap, cost by model, the Telegram
//! send budget and the webhook. Registered with the rest by [`super::Metrics::new`], every known
//! series present from the first scrape.
//!
//! - `mluvme_breaker_open{upstream="chat|stt|tts"}`: 1 while that circuit is not closed (set at
//!   scrape time from the circuits themselves).
//! - `mluvme_refusals_total{reason="turn_limit|spend_cap|allowance"}`: requests the gate refused
//!   before anything was paid for.
//! - `mluvme_spend_today_usd`, `mluvme_spend_cap_usd{scope="global"}` (absent while there is
//!   no cap): as the gate last read them.
//! - `mluvme_model_cost_usd_total{model}`: what each model cost (models come from the
//!   configuration, a handful of series).
//! - `mluvme_telegram_sends_total` and `mluvme_telegram_sends_per_second_limit`: sends let out
//!   by the pacer, and the rate it keeps the whole bot under.
//! - `mluvme_webhook_requests_total{outcome="recorded|refused|unreadable|failed"}`.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Why the gate refused a paid request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    TurnLimit = 0,
    SpendCap = 1,
    Allowance = 2,
}

/// What became of one webhook request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    Recorded = 0,
    /// Wrong secret, too large, too slow.
    Refused = 1,
    /// Not an update: acknowledged and dropped.
    Unreadable = 2,
    /// Not recorded (the database): Telegram delivers it again.
    Failed = 3,
}

const BREAKERS: [&str; 3] = ["chat", "stt", "tts"];
const REFUSALS: [&str; 3] = ["turn_limit", "spend_cap", "allowance"];
const WEBHOOK: [&str; 4] = ["recorded", "refused", "unreadable", "failed"];

type GaugeF64 = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabel {
    upstream: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabel {
    scope: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ModelLabel {
    pub(super) model: String,
}

/// Cost by model. Cheap to clone (one shared family), for the meter's counters.
pub(super) type ModelCost = Family<ModelLabel, Counter<f64, AtomicU64>>;

pub struct Operations {
    breakers: [Gauge; 3],
    refusals: [Counter; 3],
    spend_today_usd: GaugeF64,
    spend_cap_usd: Family<ScopeLabel, GaugeF64>,
    pub(super) model_cost: ModelCost,
    /// Handed to the pacer ([`crate::bot::pace::Pacer::count_sends`]).
    pub telegram_sends: Counter,
    pub telegram_send_limit: GaugeF64,
    webhook: [Counter; 4],
}

impl Operations {
    pub(super) fn register(registry: &mut Registry) -> Operations {
        let breaker_family = Family::<UpstreamLabel, Gauge>::default();
        let breakers = BREAKERS
            .map(|upstream| breaker_family.get_or_create_owned(&UpstreamLabel { upstream }));
        registry.register(
            "mluvme_breaker_open",
            "1 while the upstream's circuit breaker is not closed",
            breaker_family,
        );
        let refusal_family = Family::<ReasonLabel, Counter>::default();
        let refusals =
            REFUSALS.map(|reason| refusal_family.get_or_create_owned(&ReasonLabel { reason }));
        registry.register(
            "mluvme_refusals",
            "Paid requests the gate refused, by reason",
            refusal_family,
        );
        let spend_today_usd = GaugeF64::default();
        registry.register(
            "mluvme_spend_today_usd",
            "Spent today (UTC), as the gate last read it",
            spend_today_usd.clone(),
        );
        // A family with no labels in use, so the series is absent, not 0, while there is no cap:
        // an alert on spent / cap must not fire on "no cap".
        let spend_cap_usd = Family::<ScopeLabel, GaugeF64>::default();
        registry.register(
            "mluvme_spend_cap_usd",
            "The global daily spend cap (absent when none)",
            spend_cap_usd.clone(),
        );
        let model_cost = ModelCost::default();
        registry.register(
            "mluvme_model_cost_usd",
            "What the upstream requests cost, by model, in US dollars",
            model_cost.clone(),
        );
        let telegram_sends = Counter::default();
        registry.register(
            "mluvme_telegram_sends",
            "Telegram sends let out by the pacer",
            telegram_sends.clone(),
        );
        let telegram_send_limit = GaugeF64::default();
        registry.register(
            "mluvme_telegram_sends_per_second_limit",
            "The rate the pacer keeps the whole bot under",
            telegram_send_limit.clone(),
        );
        let webhook_family = Family::<OutcomeLabel, Counter>::default();
        let webhook =
            WEBHOOK.map(|outcome| webhook_family.get_or_create_owned(&OutcomeLabel { outcome }));
        registry.register(
            "mluvme_webhook_requests",
            "Webhook requests, by what became of them",
            webhook_family,
        );
        Operations {
            breakers,
            refusals,
            spend_today_usd,
            spend_cap_usd,
            model_cost,
            telegram_sends,
            telegram_send_limit,
            webhook,
        }
    }

    /// Whether each circuit is open, in the order chat, stt, tts.
    pub fn set_breakers(&self, open: [bool; 3]) {
        for (gauge, open) in self.breakers.iter().zip(open) {
            gauge.set(i64::from(open));
        }
    }

    pub fn refused(&self, why: Refusal) {
        self.refusals[why as usize].inc();
    }

    /// The spend and the cap (micro-dollars) the gate just read.
    pub fn spend(&self, cap_micros: Option<i64>, spent_micros: i64) {
        self.spend_today_usd.set(spent_micros as f64 / 1e6);
        match cap_micros {
            Some(cap) => {
                self.spend_cap_usd
                    .get_or_create(&ScopeLabel { scope: "global" })
                    .set(cap as f64 / 1e6);
            }
            None => self.spend_cap_usd.clear(),
        }
    }

    pub fn webhook(&self, outcome: WebhookOutcome) {
        self.webhook[outcome as usize].inc();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::metrics::{Metrics, UpstreamErrors};

    /// Every sample name the bot's `/metrics` can serve: what it renders once a priced request
    /// was made under a spend cap (the two families that have no series before that), plus the
    /// sample names each family's type gives it.
    fn exported() -> BTreeSet<String> {
        let m = Metrics::new(UpstreamErrors::default());
        m.usage_counters().observe("gpt-4o-mini", 10, 2, Some(30));
        m.ops.spend(Some(5_000_000), 30);
        let text = m.encode();
        let mut names = BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                let suffixes: &[&str] = match kind {
                    "counter" => &["_total"],
                    "histogram" => &["_bucket", "_count", "_sum"],
                    _ => &[""],
                };
                names.extend(suffixes.iter().map(|s| format!("{name}{s}")));
            } else if !line.starts_with('#') && !line.is_empty() {
                let end = line.find(['{', ' ']).unwrap_or(line.len());
                names.insert(line[..end].to_owned());
            }
        }
        names
    }

    /// The metric names a PromQL-bearing file uses (every `mluvme_…` word in it).
    fn used(text: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut rest = text;
        while let Some(at) = rest.find("mluvme_") {
            let word: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            rest = &rest[at + word.len()..];
            names.insert(word);
        }
        names
    }

    #[test]
    fn the_dashboard_and_alerts_use_only_exported_metrics() {
        let exported = exported();
        for (file, text) in [
            ("ops/grafana/mluvme.json", include_str!("../../ops/grafana/mluvme.json")),
            ("ops/prometheus/alerts.yml", include_str!("../../ops/prometheus/alerts.yml")),
        ] {
            let used = used(text);
            assert!(used.len() >= 5, "{file} names its metrics: {used:?}");
            let unknown: Vec<_> = used.difference(&exported).collect();
            assert!(unknown.is_empty(), "{file} uses metrics the bot does not export: {unknown:?}");
        }
    }

    #[test]
    fn the_operations_series_show_what_happened() {
        let m = Metrics::new(UpstreamErrors::default());
        m.ops.set_breakers([false, true, false]);
        m.ops.refused(Refusal::Allowance);
        m.ops.webhook(WebhookOutcome::Failed);
        m.ops.spend(Some(5_000_000), 4_500_000);
        m.ops.telegram_sends.inc();
        let text = m.encode();
        for line in [
            "mluvme_breaker_open{upstream=\"stt\"} 1",
            "mluvme_breaker_open{upstream=\"chat\"} 0",
            "mluvme_refusals_total{reason=\"allowance\"} 1",
            "mluvme_refusals_total{reason=\"spend_cap\"} 0",
            "mluvme_webhook_requests_total{outcome=\"failed\"} 1",
            "mluvme_spend_today_usd 4.5",
            "mluvme_spend_cap_usd{scope=\"global\"} 5.0",
            "mluvme_telegram_sends_total 1",
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
        m.ops.spend(None, 4_500_000);
        assert!(!m.encode().contains("mluvme_spend_cap_usd{"), "no cap, no series");
    }
}
