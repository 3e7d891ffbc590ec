# mluvme — English interface texts (Telegram HTML).
# Keys must match ru/ and uk/ exactly (a unit test checks).

## Onboarding

start-greeting =
    Ahoj, { $name }! I'm <b>Honzík</b> from Prague 🍺
    I love beer, knedlíky and hockey (Sparta, obviously — don't tell my Slavia friends), and even more I love chatting in Czech.
    Send me a voice note or a message in Czech: I'll answer by voice, fix your mistakes and explain them.

    🔒 I keep your messages, voice notes and progress so I can correct you and track your streak. /delete_me erases everything.

    Choose your interface language:
start-known =
    Ahoj, { $name }! We already know each other 😉
    Send me a voice note or a text in Czech and let's talk. /help — how it all works.
choose-level = Which Czech level are you at? Be honest — I won't tell anyone 😉
level-beginner = 🌱 Beginner
level-intermediate = 🌿 Intermediate
level-advanced = 🌳 Advanced
level-native = 🦁 Almost native
lang-name-ru = Русский
lang-name-uk = Українська
lang-name-en = English
language-set = ✅ Interface language: { $language }
onboarding-done =
    Hotovo! Your level: <b>{ $level }</b>.
    Now send me a voice message or a text in Czech — I'll answer by voice 🎙
    For example: <i>Ahoj Honzíku, jak se máš?</i>
onboarding-unfinished = Let's finish setting up first — just tap one of the buttons 👇
help =
    <b>How it works</b>
    1. Send me a voice note (best!) or a text in Czech.
    2. I answer by voice 🎙 and below you'll see what I heard, my words (under a spoiler: listen first, then check), your corrections and a score out of 100.

    <b>Commands</b>
    /start — start over and change settings
    /help — this help

    ⭐ Every turn earns stars (more for a good score), and 🔥 your streak grows with every day you practise.

## Turn rendering

caption-score = 🎯 { $score }/100
caption-streak = 🔥 { $days } { $days ->
        [one] day
       *[other] days
    }
caption-stars = +{ $stars } ⭐
heard-label = 🎧 I heard
you-wrote-label = ✍️ You wrote
honzik-label = 🗣 Honzík (listen first, then peek)
translation-label = 🔤 Translation
corrections-label = 🛠 Corrections
no-mistakes = 👌 No mistakes — výborně!
corrected-label = ✅ The correct version
tip-label = 💡 Tip
new-words-label = 📚 New words
challenge-done = 🏆 Daily challenge done! +{ $stars } ⭐ — na zdraví!
not-czech-nudge = 😉 I understood you, but we're here for Czech! <i>Zkus to česky!</i>

## Notices

voice-too-long = ⏱ Your voice note is { $duration } s long, but I can only listen to { $max } s at a time. Please split it into shorter ones.
file-too-big = 📦 That file is too big for me — { $max_mb } MB at most. Please send a shorter voice note.
not-audio = 🤔 I can't listen to that file. Send a voice note (hold the 🎙 button) or a text in Czech.
empty-transcript = 🙉 I couldn't make out any words. Try again a bit louder or closer to the microphone.
text-too-short = ✏️ That's a bit short for a chat. Write me a whole sentence in Czech — for example <i>Dnes je hezky.</i>
text-too-long = 📜 That's too long for me — { $max } characters at most, please. Split it into smaller messages.
unsupported-message = 🙂 I understand voice notes and texts in Czech — stickers and pictures, sadly, not yet.
edited-ignored = ✏️ I answer new messages, not edits. Just send it again.
stale-button = ⌛ This button is no longer valid.
one-at-a-time = ✋ One message at a time, please — I'm still answering the previous ones.
upstream-busy = 😮‍💨 Honzík is catching his breath — the AI service is busy right now. Your message is saved and he'll answer as soon as he can.
reply-invalid = 🤯 Honzík got confused. Your message is saved — please try again.
download-failed = 📡 I couldn't download your voice note. Please send it again.
internal-error = 🛠 Something went wrong on our side. Your message is saved — please try again in a moment.

## Command menu (plain text, no HTML: Telegram shows these in the / menu)

cmd-start = Start over and change settings
cmd-help = How Honzík works
cmd-reset = New conversation (Honzík forgets the context)
reset-done = 🔄 Fresh start! Honzík has forgotten what we talked about — your history, streak and stars stay. Tak co, o čem si povídáme?
