//! Admin commands, for user ids in `ADMIN_IDS` only. Anyone else sending one gets exactly the
//! unknown-command reply (the tree does not route it here), and none of them is in the command
//! menu `register_commands` publishes, so their existence is not advertised.
//!
//! Every action that changes something is logged (tracing, with the admin's id) and stored in
//! `admin_actions`. Malformed arguments get the command's usage line and change nothing.

use std::sync::Arc;

use chrono::Duration;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use super::misc::{lang_of, reply};
use crate::admin::access::AccessMode;
use crate::admin::args::{self, AccessArgs, QuotaArgs, Refused, SpendCapArgs, UserRef};
use crate::admin::quota::{Allowance, dollars};
use crate::app::App;
use crate::bot::views::{ECHO_MAX, clip};
use crate::bot::{BotError, HandlerResult, Telegram};
use crate::i18n::{Arg, Lang};
use crate::progress::local_day;
use crate::store::{admin as store, learners, quotas};

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "snake_case")]
pub enum AdminCommand {
    Admin,
    User(String),
    Ban(String),
    Unban(String),
    Quota(String),
    SpendCap(String),
    Access(String),
    Broadcast(String),
}

impl AdminCommand {
    /// The usage line (command syntax is not translated).
    fn usage(&self) -> &'static str {
        match self {
            Self::Admin => "/admin",
            Self::User(_) => "/user <id | @username>",
            Self::Ban(_) => "/ban <id | @username>",
            Self::Unban(_) => "/unban <id | @username>",
            Self::Quota(_) => {
                "/quota · /quota default <dollars | unlimited> · /quota <id | @username> <dollars | unlimited | default>"
            }
            Self::SpendCap(_) => "/spend_cap · /spend_cap <dollars per day | off>",
            Self::Access(_) => {
                "/access · /access <public | allowlist> · /access <allow | deny> <id | @username>"
            }
            Self::Broadcast(_) => "/broadcast [all | ru | uk | en] <text>",
        }
    }
}

/// Whether the sender of `msg` is an admin (the tree's filter in front of [`handle`]).
pub fn from_admin(app: Arc<App>, msg: Message) -> bool {
    msg.from.as_ref().is_some_and(|u| app.config.is_admin(u.id.0 as i64))
}

struct Ctx<'a> {
    app: &'a App,
    tg: &'a Telegram,
    msg: &'a Message,
    lang: Lang,
    admin: i64,
}

impl Ctx<'_> {
    async fn say(&self, key: &str, args: &[(&str, Arg<'_>)]) -> HandlerResult {
        reply(self.tg, self.msg, self.app.i18n.tr(self.lang, key, args), None).await
    }

    async fn refuse(&self, cmd: &AdminCommand, r: Refused) -> HandlerResult {
        let mut text =
            r.reason.map(|k| self.app.i18n.tr(self.lang, k, &[]) + "\n").unwrap_or_default();
        text += &self.app.i18n.tr(self.lang, "admin-usage", &[("usage", Arg::from(cmd.usage()))]);
        reply(self.tg, self.msg, text, None).await
    }

    /// Logs and stores an action (never a secret: ids, amounts, modes, a text's length).
    async fn record(&self, action: &str, detail: &str) -> Result<(), BotError> {
        tracing::info!(admin_id = self.admin, action, detail, "admin action");
        store::log_action(&self.app.db, self.admin, action, detail, self.app.clock.now()).await?;
        Ok(())
    }

    /// The learner's id, or a "no such learner" reply (None).
    async fn resolve(&self, who: &UserRef) -> Result<Option<i64>, BotError> {
        let id = match who {
            UserRef::Id(id) => learners::find(&self.app.db, *id).await?.map(|l| l.id),
            UserRef::Username(name) => store::user_by_username(&self.app.db, name).await?,
        };
        if id.is_none() {
            let shown = match who {
                UserRef::Id(id) => id.to_string(),
                UserRef::Username(n) => format!("@{n}"),
            };
            let shown = clip(&shown, ECHO_MAX);
            self.say("admin-no-such-user", &[("user", Arg::from(&shown))]).await?;
        }
        Ok(id)
    }
}

pub async fn handle(
    app: Arc<App>,
    tg: Arc<Telegram>,
    msg: Message,
    cmd: AdminCommand,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else { return Ok(()) };
    let admin = user.id.0 as i64;
    // The admin becomes a known user, so the buttons sent to them (a broadcast's Confirm) work.
    let user_row = learners::TelegramUser {
        id: admin,
        chat_id: msg.chat.id.0,
        first_name: &user.first_name,
        username: user.username.as_deref(),
        language_code: user.language_code.as_deref(),
    };
    learners::find_or_create(&app.db, &user_row, app.clock.now()).await?;
    let ctx = Ctx { app: &app, tg: &tg, msg: &msg, lang: lang_of(&app, Some(user)).await, admin };
    tracing::info!(admin_id = admin, command = ?std::mem::discriminant(&cmd), "admin command");
    let outcome = match &cmd {
        AdminCommand::Admin => return stats(&ctx).await,
        AdminCommand::User(a) => match args::one_user(a) {
            Ok(who) => return show_user(&ctx, &who).await,
            Err(r) => Err(r),
        },
        AdminCommand::Ban(a) => args::one_user(a).map(|who| Op::Ban(who, true)),
        AdminCommand::Unban(a) => args::one_user(a).map(|who| Op::Ban(who, false)),
        AdminCommand::Quota(a) => args::quota(a).map(Op::Quota),
        AdminCommand::SpendCap(a) => args::spend_cap(a).map(Op::SpendCap),
        AdminCommand::Access(a) => args::access(a).map(Op::Access),
        AdminCommand::Broadcast(a) => match args::broadcast(a) {
            Ok(b) => return super::broadcast::preview(&app, &tg, &msg, ctx.lang, admin, b).await,
            Err(r) => Err(r),
        },
    };
    match outcome {
        Ok(op) => run(&ctx, op).await,
        Err(r) => ctx.refuse(&cmd, r).await,
    }
}

enum Op {
    Ban(UserRef, bool),
    Quota(QuotaArgs),
    SpendCap(SpendCapArgs),
    Access(AccessArgs),
}

async fn run(ctx: &Ctx<'_>, op: Op) -> HandlerResult {
    let (app, now) = (ctx.app, ctx.app.clock.now());
    match op {
        Op::Ban(who, ban) => {
            if let UserRef::Id(id) = who
                && app.config.is_admin(id)
            {
                return ctx.say("admin-ban-admin", &[]).await;
            }
            let Some(id) = ctx.resolve(&who).await? else { return Ok(()) };
            if app.config.is_admin(id) {
                return ctx.say("admin-ban-admin", &[]).await;
            }
            store::set_banned(&app.db, id, ban, now).await?;
            if !ban {
                // Banned again later, they are told again.
                store::forget_once(&app.db, &format!("banned:{id}")).await?;
            }
            ctx.record(if ban { "ban" } else { "unban" }, &format!("user={id}")).await?;
            ctx.say(if ban { "admin-banned" } else { "admin-unbanned" }, &[("user", Arg::from(id))])
                .await
        }
        Op::Quota(QuotaArgs::Show) => {
            let default = quotas::default(&app.db, app.config.admin.default_quota).await?;
            ctx.say("admin-quota-default", &[("amount", Arg::from(&default.show()))]).await
        }
        Op::Quota(QuotaArgs::Default(a)) => {
            quotas::set_default(&app.db, a, now).await?;
            ctx.record("quota_default", &a.show()).await?;
            ctx.say("admin-quota-default", &[("amount", Arg::from(&a.show()))]).await
        }
        Op::Quota(QuotaArgs::User(who, a)) => {
            let Some(id) = ctx.resolve(&who).await? else { return Ok(()) };
            quotas::set_own(&app.db, id, a, now).await?;
            let shown = a.map_or_else(|| "default".to_owned(), Allowance::show);
            ctx.record("quota_user", &format!("user={id} quota={shown}")).await?;
            let effective = quotas::effective(&app.db, id, app.config.admin.default_quota).await?;
            ctx.say(
                "admin-quota-user",
                &[("user", Arg::from(id)), ("amount", Arg::from(&effective.show()))],
            )
            .await
        }
        Op::SpendCap(SpendCapArgs::Show) => show_cap(ctx).await,
        Op::SpendCap(SpendCapArgs::Set(cap)) => {
            quotas::set_spend_cap(&app.db, cap, now).await?;
            ctx.tg.access.invalidate();
            ctx.record("spend_cap", &cap.map_or("off".to_owned(), dollars)).await?;
            show_cap(ctx).await
        }
        Op::Access(AccessArgs::Show) => show_access(ctx).await,
        Op::Access(AccessArgs::Mode(mode)) => {
            store::set_setting(&app.db, store::ACCESS_MODE, mode.as_str(), now).await?;
            ctx.tg.access.invalidate();
            ctx.record("access_mode", mode.as_str()).await?;
            show_access(ctx).await
        }
        Op::Access(AccessArgs::Allow(who) | AccessArgs::Deny(who))
            if matches!(who, UserRef::Username(_)) && ctx.resolve(&who).await?.is_none() =>
        {
            Ok(())
        }
        Op::Access(AccessArgs::Allow(who)) => {
            let id = user_id(ctx, &who).await?;
            store::allow(&app.db, id, now).await?;
            ctx.record("allow", &format!("user={id}")).await?;
            ctx.say("admin-allowed", &[("user", Arg::from(id))]).await
        }
        Op::Access(AccessArgs::Deny(who)) => {
            let id = user_id(ctx, &who).await?;
            store::deny(&app.db, id).await?;
            ctx.record("deny", &format!("user={id}")).await?;
            let key = if app.config.admin.allowed_users.contains(&id) {
                "admin-denied-but-configured"
            } else {
                "admin-denied"
            };
            ctx.say(key, &[("user", Arg::from(id))]).await
        }
    }
}

/// An id as given (someone not yet known can be let in before their first message), or the id
/// of a known `@username` (checked by the caller).
async fn user_id(ctx: &Ctx<'_>, who: &UserRef) -> Result<i64, BotError> {
    Ok(match who {
        UserRef::Id(id) => *id,
        UserRef::Username(n) => store::user_by_username(&ctx.app.db, n).await?.unwrap_or_default(),
    })
}

async fn show_cap(ctx: &Ctx<'_>) -> HandlerResult {
    let app = ctx.app;
    let cap = quotas::spend_cap(&app.db, app.config.admin.spend_cap).await?;
    let spent = quotas::spent_since(&app.db, super::access::utc_day_start(app.clock.now())).await?;
    let cap = cap.map_or_else(|| app.i18n.tr(ctx.lang, "admin-cap-off", &[]), dollars);
    ctx.say("admin-spend-cap", &[("cap", Arg::from(&cap)), ("spent", Arg::from(&dollars(spent)))])
        .await
}

async fn show_access(ctx: &Ctx<'_>) -> HandlerResult {
    let app = ctx.app;
    let mode = ctx.tg.access.mode(app).await?;
    let listed = store::allowed_count(&app.db).await? + app.config.admin.allowed_users.len() as i64;
    let key = match mode {
        AccessMode::Public => "admin-access-public",
        AccessMode::AllowList => "admin-access-allowlist",
    };
    ctx.say(key, &[("count", Arg::from(listed))]).await
}

async fn show_user(ctx: &Ctx<'_>, who: &UserRef) -> HandlerResult {
    let app = ctx.app;
    let Some(id) = ctx.resolve(who).await? else { return Ok(()) };
    let Some(l) = learners::find(&app.db, id).await? else { return Ok(()) };
    let now = app.clock.now();
    let today = local_day(now, l.tz);
    let spent = quotas::spent_on(&app.db, id, today).await?;
    let own = quotas::own(&app.db, id).await?;
    let effective = quotas::effective(&app.db, id, app.config.admin.default_quota).await?;
    let week: i64 = crate::store::stats::days(&app.db, id)
        .await?
        .iter()
        .filter(|d| d.day > today - Duration::days(7))
        .map(|d| i64::from(d.turns))
        .sum();
    let cost_week = quotas::spent_since_for(&app.db, id, today - Duration::days(6)).await?;
    let (spent, cost_week) = (dollars(spent), dollars(cost_week));
    let quota = match own {
        Some(a) => a.show(),
        None => format!("{} (default)", effective.show()),
    };
    let args = [
        ("id", Arg::from(id)),
        ("name", Arg::from(&l.first_name)),
        ("status", Arg::from(l.status.as_str())),
        ("lang", Arg::from(l.lang.code())),
        ("level", Arg::from(l.level.as_str())),
        ("zone", Arg::from(l.tz.name())),
        ("turns", Arg::from(week)),
        ("spent", Arg::from(&spent)),
        ("week", Arg::from(&cost_week)),
        ("quota", Arg::from(&quota)),
        ("stars", Arg::from(l.stars_total)),
    ];
    ctx.say("admin-user", &args).await
}

async fn stats(ctx: &Ctx<'_>) -> HandlerResult {
    let app = ctx.app;
    let now = app.clock.now();
    let mut text = String::new();
    for (key, days) in [("admin-stats-today", 0), ("admin-stats-week", 6)] {
        let since = super::access::utc_day_start(now) - Duration::days(days);
        let r = store::report(&app.db, since.date_naive(), since).await?;
        let avg = if r.scored_turns > 0 {
            format!("{:.1}", r.score_sum as f64 / r.scored_turns as f64)
        } else {
            "—".into()
        };
        // A cost counted from the bot's own token counts (the server reported none) says so.
        let cost = |micros: i64, estimated: bool| match estimated {
            true => app.i18n.tr(
                ctx.lang,
                "admin-cost-estimated",
                &[("cost", Arg::from(&dollars(micros)))],
            ),
            false => dollars(micros),
        };
        let costs: Vec<String> = r
            .cost_by_model
            .iter()
            .take(8)
            .map(|m| format!("{} {}", m.model, cost(m.micros, m.estimated)))
            .collect();
        let total = cost(
            r.cost_by_model.iter().map(|m| m.micros).sum(),
            r.cost_by_model.iter().any(|m| m.estimated),
        );
        let p95 = r
            .p95_turn_ms
            .map_or_else(|| "—".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
        let stt_minutes = format!("{:.1}", r.stt_seconds / 60.0);
        let models = costs.join(", ");
        let args = [
            ("active", Arg::from(r.active)),
            ("new", Arg::from(r.new)),
            ("voice", Arg::from(r.voice_turns)),
            ("text", Arg::from(r.text_turns)),
            ("score", Arg::from(&avg)),
            ("prompt", Arg::from(r.prompt_tokens)),
            ("completion", Arg::from(r.completion_tokens)),
            ("stt", Arg::from(&stt_minutes)),
            ("tts", Arg::from(r.tts_chars)),
            ("cost", Arg::from(&total)),
            ("models", Arg::from(&models)),
            ("errors", Arg::from(r.failed_updates + r.failed_turns)),
            ("p95", Arg::from(&p95)),
        ];
        text += &app.i18n.tr(ctx.lang, key, &args);
        text += "\n\n";
    }
    reply(ctx.tg, ctx.msg, text.trim_end().to_owned(), None).await
}
