//! Where a message answers and what buttons it carries, set alike on every kind of message the
//! outbox sends (text, voice, photo, document, quiz), so a new kind cannot forget the reply-to.

use teloxide::payloads::{SendDocument, SendMessage, SendPhoto, SendPoll, SendVoice};
use teloxide::requests::HasPayload;
use teloxide::types::{InlineKeyboardMarkup, ReplyMarkup, ReplyParameters};

use super::To;

/// A message payload with a reply-to and a keyboard: every send has both, under the same names,
/// but Telegram's payloads share no type that says so.
pub(super) trait Addressable {
    fn slots(&mut self) -> (&mut Option<ReplyParameters>, &mut Option<ReplyMarkup>);
}

macro_rules! addressable {
    ($($payload:ty),*) => {$(
        impl Addressable for $payload {
            fn slots(&mut self) -> (&mut Option<ReplyParameters>, &mut Option<ReplyMarkup>) {
                (&mut self.reply_parameters, &mut self.reply_markup)
            }
        }
    )*};
}

addressable!(SendMessage, SendPhoto, SendDocument, SendVoice, SendPoll);

/// `req` shown as a reply where `to` says so, with `keyboard` under it when there is one.
pub(super) fn addressed<R>(mut req: R, to: &To, keyboard: Option<&InlineKeyboardMarkup>) -> R
where
    R: HasPayload,
    R::Payload: Addressable,
{
    let (reply, markup) = req.payload_mut().slots();
    *reply = to.reply_parameters();
    *markup = keyboard.cloned().map(ReplyMarkup::from);
    req
}
