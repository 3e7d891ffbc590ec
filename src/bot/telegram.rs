//! The bot layer's own state, next to `App` in every handler: the way out to Telegram, who the
//! bot is, and what the handlers cache between updates.

use teloxide::prelude::*;
use teloxide::types::Me;
use teloxide::utils::command::BotCommands;

use super::commands::Command;
use super::handlers::access::AccessCache;
use super::labels;
use super::outbox::Outbox;
use super::pace::{Pacer, Rates};
use crate::app::App;
use crate::cache::budget::SharedBudget;
use crate::i18n::Lang;

/// Built once at start-up (`Telegram::connect`) and injected into the handler tree by type.
pub struct Telegram {
    /// Every message, edit and button answer goes out through it.
    pub outbox: Outbox,
    /// The bot's own user (its @name, for groups and the start-up log).
    pub me: Me,
    /// The access mode and today's spend as last read, for a few seconds.
    pub access: AccessCache,
}

impl Telegram {
    /// Reaches Telegram (getMe), so a wrong token stops start-up with a clear message, and sets
    /// up pacing: within the configured rates, shared with the other replicas through Redis
    /// when there is Redis.
    pub async fn connect(app: &App) -> anyhow::Result<Telegram> {
        let config = &app.config;
        let mut bot = Bot::new(config.telegram_token.clone());
        if let Some(url) = &config.telegram_api_url {
            bot = bot.set_api_url(url.clone());
        }
        let me = bot
            .get_me()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach Telegram with this token: {e}"))?;
        let rates = Rates {
            per_second: config.limits.sends_per_second,
            per_chat_per_second: config.limits.chat_sends_per_second,
        };
        let pacer = match (&app.cache.redis, config.limits.pacing) {
            (_, false) => Pacer::unlimited(),
            (None, true) => Pacer::new(rates),
            (Some(redis), true) => {
                let budget = SharedBudget::new(redis.clone(), me.id.0, rates.per_second);
                Pacer::shared(rates, budget, app.replicas.clone())
            }
        };
        app.metrics.ops.telegram_send_limit.set(if config.limits.pacing {
            rates.per_second
        } else {
            0.0
        });
        let pacer = pacer.count_sends(app.metrics.ops.telegram_sends.clone());
        let outbox = Outbox::new(bot, pacer, app.i18n.clone(), app.db.clone(), app.clock.clone());
        Ok(Telegram { outbox, me, access: AccessCache::default() })
    }

    /// Shows the command menu in each interface language, and in English to everyone else.
    pub async fn register_commands(&self) {
        let i18n = self.outbox.i18n();
        let menu = |lang| {
            Command::bot_commands()
                .into_iter()
                .map(|c| {
                    let name = c.command.trim_start_matches('/').to_owned();
                    let description = i18n.tr(lang, &labels::command(&name), &[]);
                    teloxide::types::BotCommand::new(name, description)
                })
                .collect::<Vec<_>>()
        };
        let bot = self.outbox.bot();
        for lang in Lang::ALL {
            if let Err(e) = bot.set_my_commands(menu(lang)).language_code(lang.code()).await {
                tracing::warn!(error = %e, "could not register the command menu");
            }
        }
        if let Err(e) = bot.set_my_commands(menu(Lang::En)).await {
            tracing::warn!(error = %e, "could not register the default command menu");
        }
    }
}
