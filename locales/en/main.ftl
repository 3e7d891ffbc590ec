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
    2. I answer by voice 🎙 and below you'll see what I heard, my words (under a spoiler: listen first, then check), your corrections and a score out of 100. Tap ➕ under a word to save it.

    <b>Settings</b>
    /level — your Czech level
    /placement — a 5-minute test that measures your level
    /style — how I talk: friendly, tutor or casual
    /corrections — how picky I am
    /voice_speed — how fast I speak
    /voice — voice replies to your texts on or off
    /language — interface language
    /timezone — your time zone (streaks follow it)
    /register — standard or colloquial Czech (spisovná / obecná)

    <b>Progress</b>
    /stats — streak, scores and a chart
    /saved — your saved words
    /review — review your words and mistakes
    /remind — a daily reminder at your time

    <b>Practice</b>
    /scene — a role-play with a goal: the pub, the doctor's, the immigration office…
    /listen — dictation: I say a sentence, you type it; every third one comes with a quiz
    /shadow — shadowing: say a phrase after me; I compare the words, your pace and your pauses

    <b>Conversation</b>
    /reset — start a new conversation
    /cancel — stop the answer I'm working on
    /start — start over

    <b>Your data</b>
    /privacy — what I store, why and for how long
    /export — download all of it
    /delete_me — delete it

    ⭐ Every turn earns stars (more for a good score), 🔥 your streak grows with every day you practise, and 🏆 five turns a day complete the daily challenge.

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
honzik-text-label = 🗣 Honzík
translation-label = 🔤 Translation
corrections-label = 🛠 Corrections
register-label = 🗣 How Prague says it (a note, not a mistake)
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
audio-damaged = 🩹 Your voice note arrived damaged — I can't play it. Please record it again.
audio-unmeasured = 🎧 I can't tell how long this recording is, so I can't listen to it. Send a voice note (hold the 🎙 button), or an MP3, M4A, WAV or OGG file.
empty-transcript = 🙉 I couldn't make out any words. Try again a bit louder or closer to the microphone.
transcript-unreadable = 🙉 The speech recognition service sent back something I couldn't read, so I don't know what you said. Your voice note is saved — please send it again, or type it.
text-too-short = ✏️ That's a bit short for a chat. Write me a whole sentence in Czech — for example <i>Dnes je hezky.</i>
text-too-long = 📜 That's too long for me — { $max } characters at most, please. Split it into smaller messages.
unsupported-message = 🙂 I understand voice notes and texts in Czech — stickers and pictures, sadly, not yet.
edited-ignored = ✏️ I answer new messages, not edits. Just send it again.
private-only = 🍺 I only chat one-to-one — write to me in private: @{ $bot }
stale-button = ⌛ This button is no longer valid.
button-busy = ⏳ Still busy with your previous taps — press it again in a moment.
one-at-a-time = ✋ One message at a time, please — I'm still answering the previous ones.
slow-down = 🐢 Slow down a little — Honzík needs a moment to catch up. This message stays unanswered; send it again in { $seconds } s.
upstream-busy = 😮‍💨 Honzík is catching his breath — the AI service is busy right now. Your message is saved and he'll answer as soon as he can.
upstream-gave-up = 😔 Honzík couldn't reach the AI service for a long while, so this message stays unanswered. It is saved — please send it again a bit later.
reply-invalid = 🤯 Honzík got confused. Your message is saved — please try again.
download-failed = 📡 I couldn't download your voice note. Please send it again.
internal-error = 🛠 Something went wrong on our side. Your message is saved — please try again in a moment.
unavailable-retrying = ⏳ A hiccup on our side. One moment — I'll try your message again.
unavailable-gave-up = 🛠 Still a problem on our side, so this message stays unanswered. Please send it again in a few minutes.
unavailable-press = ⏳ A hiccup on our side — please press again in a moment.

## Command menu (plain text, no HTML: Telegram shows these in the / menu)

cmd-start = Start over and change settings
cmd-help = How Honzík works
cmd-reset = New conversation (Honzík forgets the context)
reset-done = 🔄 Fresh start! Honzík has forgotten what we talked about — your history, streak and stars stay. Tak co, o čem si povídáme?
cmd-level = Your Czech level
cmd-style = How Honzík talks: friendly, tutor, casual
cmd-corrections = How picky the corrections are
cmd-voice_speed = How fast Honzík speaks
cmd-voice = Voice replies to texts on or off
cmd-language = Interface language
cmd-timezone = Your time zone (for streaks)
cmd-register = Standard or colloquial Czech (spisovná / obecná)
cmd-stats = Your progress and a chart
cmd-saved = Your saved words
cmd-cancel = Stop the answer in progress
cmd-privacy = What is stored and why
cmd-export = Download your data
cmd-delete_me = Delete your data
unknown-command = 🤷 I don't know the command { $command }. /help lists everything I can do.

## Settings

setting-show = { $setting }: <b>{ $value }</b>
setting-changed = ✅ { $setting }: <b>{ $value }</b> — from your next message on.
setting-level = 🎓 Czech level
setting-style = 🎭 Honzík's manner
setting-corrections = 🛠 Corrections
setting-voice_speed = 🐢 Voice speed
setting-voice = 🎙 Voice replies to texts
setting-language = 🌐 Interface language
setting-timezone = 🕰 Time zone
about-level = Honzík picks his words and the length of his answers to match it.
about-style = Friendly — a warm buddy. Tutor — a patient teacher who explains. Casual — a Prague mate in the pub.
about-corrections = Minimal — only what gets in the way of understanding. Balanced — clear grammar and vocabulary errors. Detailed — every slip, with more natural phrasing.
about-voice_speed = How fast Honzík's voice speaks.
about-voice = When you type, Honzík can answer by voice too. Voice notes always get a voice answer.
about-language = Menus, explanations and translations use it.
about-timezone = Streaks and the daily challenge follow your local day. Pick your zone, or tap “Other” and send its name.
style-friendly = 😊 Friendly
style-tutor = 🧑‍🏫 Tutor
style-casual = 🍺 Casual
corrections-minimal = 🤏 Minimal
corrections-balanced = ⚖️ Balanced
corrections-detailed = 🔬 Detailed
voice_speed-very_slow = 🐌 Very slow
voice_speed-slow = 🐢 Slow
voice_speed-normal = 🚶 Normal
voice_speed-native = 🏃 Like a Praguer
setting-register = 🗣 Register
about-register = Spisovná — the standard Czech of books and offices: colloquial forms (velkej, vokno, sem byl) are corrected. Obecná — how Prague really talks: Honzík speaks it too, and colloquial forms get a note, never count as mistakes. Advanced learners get notes either way. Or type /register obecná.
register-spisovna = 📘 Spisovná (standard)
register-obecna = 🍻 Obecná (colloquial)
voice-on = 🔊 On
voice-off = 🔇 Off
tz-value = { $zone } (it's { $time } there now)
tz-other = ✍️ Other…
tz-ask = ✍️ Send me your time zone: a name like <code>Europe/Vienna</code>, a city like <code>Vienna</code>, or an offset like <code>UTC+2</code>. /cancel — never mind.
tz-unknown = 🤔 I don't know the time zone “{ $zone }”. Send a name like <code>Europe/Vienna</code>, a city like <code>Vienna</code> or an offset like <code>UTC+2</code> — or /cancel.

## Conversation

reset-ask = 🔄 Start a new conversation? Honzík forgets what we talked about; your history, streak and stars stay.
reset-yes = 🔄 Yes, start fresh
reset-no = ↩️ No, carry on
reset-kept = 👍 OK, we carry on where we were.
cancel-done = ✋ Stopped. Honzík dropped the answer he was working on — send your next message whenever you like.
cancel-question = 👌 Never mind — everything stays as it was.
cancel-nothing = 🤷 There's nothing to cancel right now.
button-not-yours = 🙅 This button isn't for you.

## Saved words

word-saved = ✅ Saved — see /saved
word-already-saved = 👌 Already in /saved
word-removed = 🗑 Removed
word-gone = 👌 Already removed
saved-title = 📚 <b>Your saved words</b> ({ $total })
saved-page = Page { $page } of { $pages }
saved-empty = 📚 No saved words yet. Tap ➕ under a word in Honzík's answer to keep it here.

## Progress

stats-title = 📊 <b>Your progress</b>
stats-streak = 🔥 Streak: { $days } { $days ->
        [one] day
       *[other] days
    } (best: { $best })
stats-turns = 💬 Turns: { $turns } · 🗣 words said: { $words }
stats-score = 🎯 Average score: { $score }/100
stats-score-none = 🎯 Average score: —
stats-stars = ⭐ Stars: { $stars } · 📚 saved words: { $saved }
stats-challenge = 🏆 Daily challenge: { $turns }/{ $goal } turns today
stats-challenge-done = 🏆 Daily challenge: done today!
stats-placement = 🎓 Placement test ({ $date }): <b>{ $level }</b>
stats-placement-listening = 👂 Listening: { $line }
stats-placement-speaking = 🗣 Speaking: { $line }
stats-placement-grammar = 🧩 Grammar: { $line }
stats-placement-vocabulary = 📚 Vocabulary: { $line }
stats-week = 📅 The last 7 days:
stats-first-turn = Send me your first voice note in Czech and the chart starts growing!
weekday-1 = Mo
weekday-2 = Tu
weekday-3 = We
weekday-4 = Th
weekday-5 = Fr
weekday-6 = Sa
weekday-7 = Su
chart-title = The last 30 days
chart-turns = turns
chart-score = average score
chart-shadowing = shadowing, % of words

## Your data

privacy =
    🔒 <b>What Honzík stores, why, and for how long</b>

    <b>What</b>
    • Your Telegram id, first name, username and language — to know who you are and how to talk to you.
    • Your settings: level, style, corrections, voice, time zone.
    • Your messages — texts, voice notes and their transcripts — and Honzík's answers, corrections and scores. Voice files are kept on our server.
    • Saved words, stars, streaks and daily statistics.
    • A technical record of each Telegram update, so nothing you send is lost if the bot restarts.
    • Cost records: which AI model answered and how many tokens or seconds it used — no content.

    <b>Why</b>
    To correct you, to remember the conversation (Honzík sees your recent messages and a short summary of older ones), to show your progress, and to keep the service within its budget. Your messages and voice notes go to our AI provider to be transcribed and answered; nobody else gets them.

    <b>For how long</b>
    Until you delete them. /export — download everything as a file. /delete_me — erase your messages, voice files, saved words and statistics. Kept after that, because they hold nothing you said: your Telegram id with its status (a ban stays a ban) and the cost records (a day's allowance stays used).
export-caption = 📦 Everything I store about you, as JSON.
export-audio-caption = 🎧 Your voice notes and Honzík's answers, part { $part }. Each file is named by its day and update; the messages in your export name them in audio_path.
nothing-stored = 🤷 I don't store anything about you.
delete-ask =
    ⚠️ <b>Delete all your data?</b>
    This erases your messages and voice notes, Honzík's answers and corrections, saved words, stars, streak and statistics, and resets your settings. It cannot be undone — /export first if you want a copy.
    Kept, because they hold nothing you said: your Telegram id with its status and the cost records.
delete-yes = 🗑 Yes, delete everything
delete-no = ↩️ No, keep it
delete-kept = 👍 Nothing was deleted.
delete-done =
    🗑 Done. Removed:
    • messages: { $messages }
    • voice files: { $audio }
    • saved words: { $words }
    • days of statistics: { $days }
    Kept, with nothing you said in it: your Telegram id with its status and the cost records, so limits still apply.
    /start — begin afresh whenever you like.

## Access, quotas, the spend cap (issue 8)

banned-notice = 🚫 This account can no longer use Honzík. Messages sent here are not read.
access-closed = 🔒 Honzík is open to invited learners only for now. Please ask the person who runs this bot to add you.
spend-cap-resting = 😴 Honzík is resting until tomorrow — he has talked a lot today. Your message is saved; please send it again tomorrow.
spend-cap-admin = ⚠️ Today's spending cap of { $cap } is reached ({ $spent } spent). New turns are refused until midnight UTC; turns already started finish. /spend_cap changes it.
quota-near-turns = { $turns ->
        [1] 💡 This is your last message for today: the daily allowance is nearly used up.
       *[other] 💡 About { $turns } messages of practice are left today, this one included.
    }
quota-near-share = 💡 { $percent }% of today's practice is left.
quota-exhausted = 🌙 That's all the practice for today — your daily allowance is used up. It renews at { $time } ({ $zone }), in { $hours } h { $minutes } min. Your message is saved; send it again then.

## Admin commands

admin-usage = Usage: <code>{ $usage }</code>
admin-negative = ❌ The amount cannot be negative.
admin-not-a-number = ❌ That amount is not a number (write dollars like 0.50, or unlimited).
admin-too-large = ❌ That amount is too large.
admin-too-long = ❌ The text is too long for one Telegram message (4000 characters at most).
admin-no-such-user = 🤷 No learner { $user } is known to the bot.
admin-ban-admin = ⛔ An admin cannot be banned. Remove them from ADMIN_IDS first.
admin-banned = 🚫 Learner { $user } is banned: one notice, then silence.
admin-unbanned = ✅ Learner { $user } is no longer banned.
admin-quota-default = 💰 Default daily allowance: <b>{ $amount }</b> per learner.
admin-quota-user = 💰 Learner { $user } may now spend <b>{ $amount }</b> a day.
admin-spend-cap = 🧯 Daily spending cap: <b>{ $cap }</b> · spent today (UTC): { $spent }
admin-cap-off = none
admin-access-public = 🌍 Access: <b>public</b> — everyone may practise. ({ $count } on the allow-list)
admin-access-allowlist = 🔒 Access: <b>allow-list</b> — only { $count } listed learners and the admins.
admin-allowed = ✅ Learner { $user } is on the allow-list.
admin-denied = ➖ Learner { $user } is off the allow-list.
admin-denied-but-configured = ➖ Learner { $user } is off the list added here, but still in ALLOWED_USERS — change that setting to remove them for good.
admin-user =
    👤 <b>{ $name }</b> · id { $id } · { $status }
    Language { $lang } · level { $level } · { $zone }
    Turns in 7 days: { $turns } · stars: { $stars }
    Spent today: { $spent } · in 7 days: { $week }
    Daily allowance: { $quota }
admin-cost-estimated = { $cost } (estimate)
admin-stats-today =
    📊 <b>Today (UTC)</b>
    Learners: { $active } active, { $new } new
    Turns: { $voice } voice, { $text } text · average score { $score }
    Tokens: { $prompt } in, { $completion } out · speech-to-text { $stt } min · text-to-speech { $tts } chars
    Cost: { $cost } ({ $models })
    Errors: { $errors } · p95 turn { $p95 }
admin-stats-week =
    📈 <b>Last 7 days</b>
    Learners: { $active } active, { $new } new
    Turns: { $voice } voice, { $text } text · average score { $score }
    Tokens: { $prompt } in, { $completion } out · speech-to-text { $stt } min · text-to-speech { $tts } chars
    Cost: { $cost } ({ $models })
    Errors: { $errors } · p95 turn { $p95 }

## Broadcasts

broadcast-audience-all = all learners
broadcast-nobody = 📭 Nobody to send to ({ $audience }): no active learners there. Nothing was stored.
broadcast-preview =
    📣 This goes to <b>{ $count }</b> learners ({ $audience }):

    { $text }
broadcast-caption-too-long = ❌ With a voice, the text is its caption: 1024 characters at most.
broadcast-preview-voice = 🎤 With the voice message this command replies to.
broadcast-confirm = 📣 Send
broadcast-cancel = Cancel
broadcast-cancelled = Broadcast cancelled — nothing was sent.
broadcast-progress = 📣 Sending… { $sent } sent, { $skipped } skipped, { $failed } failed of { $total }
broadcast-done = ✅ Broadcast done: { $sent } sent, { $skipped } skipped (blocked the bot), { $failed } failed, of { $total }.

## Review and reminders

cmd-review = Review your saved words and mistakes
cmd-placement = Placement test: measure your level in 5 minutes
cmd-remind = Daily reminder: /remind 19:30 or /remind off
review-empty = 📭 Nothing to review yet. Save words with ➕ under Honzík's answers — your corrected mistakes come here by themselves.
review-caught-up = 🎉 All caught up: nothing is due today. Honzík will bring your cards back when it is time.
review-start = 🧠 <b>Review</b>: { $total } { $total ->
        [one] card
       *[other] cards
    }. Type or say the answer — or tap “Show answer” and grade yourself. /cancel ends it.
review-card-word = <b>{ $position }/{ $total }</b> · What does <b>{ $question }</b> mean?
review-card-back = <b>{ $position }/{ $total }</b> · How do you say <b>{ $question }</b> in Czech?
review-card-fix = <b>{ $position }/{ $total }</b> · ✏️ Fix your own mistake: <b>{ $question }</b>
review-card-gap =
    <b>{ $position }/{ $total }</b> · ✏️ Your own sentence, now without the mistake — fill in the gap:
    <b>{ $question }</b>
review-hint = 💭 You wrote there: <s>{ $hint }</s>
review-example = 📖 <i>{ $example }</i>
review-you-wrote = ✍️ You wrote: <i>{ $sentence }</i>
review-answer = Answer: <b>{ $answer }</b>
review-note = 💡 { $note }
review-show = 👀 Show answer
review-end = ⏹ End
review-grade-again = 🔁 Again
review-grade-hard = 😬 Hard
review-grade-good = 🙂 Good
review-grade-easy = 😎 Easy
review-right = ✅ Right! <b>{ $answer }</b>
review-accents = ✅ Almost — mind the háčky and čárky: <b>{ $answer }</b>
review-wrong = ❌ Not quite. The answer: <b>{ $answer }</b>
review-graded = Your grade: { $grade }
review-done = 🎉 <b>Review done</b>: { $done } of { $total } · 😎 { $easy } · 🙂 { $good } · 😬 { $hard } · 🔁 { $again }
review-stopped = ⏹ <b>Review ended</b>: { $done } of { $total } · 😎 { $easy } · 🙂 { $good } · 😬 { $hard } · 🔁 { $again }
review-unheard = 🎧 I couldn't make that out. Say it again, type it, or tap “Show answer”.
remind-on = ⏰ Every day at <b>{ $time }</b> ({ $zone }) I'll remind you — only if you haven't practised yet. /remind off turns it off.
remind-offer = ⏰ Shall I remind you every day at <b>{ $time }</b> ({ $zone })? Only on days we haven't talked yet.
remind-offer-yes = ⏰ Yes, at { $time }
remind-offer-no = No, thanks
remind-offer-declined = OK, no reminders. If you change your mind: /remind 19:30.
remind-off = 🔕 Daily reminders are off. /remind 19:30 turns them on (your local time).
remind-current = ⏰ Your daily reminder: <b>{ $time }</b> ({ $zone }). Change it with /remind 08:15, or /remind off.
remind-none = 🔕 No daily reminder. Set one with /remind 19:30 — your local time ({ $zone }).
remind-invalid = 🤔 “{ $value }” is not a time. Try /remind 19:30, or /remind off.
remind-hello = 👋 Ahoj! Honzík here — we haven't talked today. Send me a voice note in Czech?
remind-due = 🧠 { $due } { $due ->
        [one] card is
       *[other] cards are
    } waiting for /review.
remind-streak = 🔥 Your { $days }-day streak ends at midnight — one message keeps it alive!
remind-phrase = 🇨🇿 Phrase of the day:
trend-title = 🔎 <b>Your most frequent mistakes</b> (30 days, per 100 of your words):
trend-line = • { $kind }: { $rate } { $trend }
trend-up = ↗ (up from { $previous })
trend-down = ↘ (down from { $previous })
trend-same = → (as before)
trend-new = 🆕
mistake-category-case_endings = Case endings
mistake-category-gender = Gender
mistake-category-verb_aspect = Verb aspect
mistake-category-vyjmenovana_slova = Vyjmenovaná slova (i/y)
mistake-category-word_order = Word order
mistake-category-spelling = Spelling and diacritics
mistake-category-vocabulary = Vocabulary
mistake-category-other = Other
mistake-category-prepositions = Prepositions (v/na/do)
mistake-category-verb_forms = Verb forms
mistake-category-agreement = Agreement
mistake-category-register = Register (colloquial forms)

## Placement test (/placement)

placement-offer = 🎓 Want to know your level for sure? A short test — two dictations and three spoken answers, about 5 minutes — measures it and sets it for you. You can always take it later with /placement.
placement-offer-take = 🎓 Take the placement (5 min)
placement-offer-skip = Skip
placement-intro =
    🎓 <b>Placement test</b> — about 5 minutes.
    First two dictations: listen to me and type what you heard. Then three questions to answer in voice notes, each a bit harder. Do what you can — it's fine to leave something out.
placement-dictation = ✍️ Dictation { $position } of { $total }: listen and type what you heard, word for word.
placement-speak =
    🗣 Question { $position } of { $total } — answer in a voice note (half a minute to a minute):
    <b>{ $question }</b>
placement-type-it = ✍️ This one is a dictation: type what you heard, as a text message.
placement-say-it = 🎙 This question is answered in a voice note — hold the microphone and speak.
placement-unheard = 🎧 I couldn't make that out. Please say it again in a voice note.
placement-no-voice = 😕 I couldn't record the dictation right now. Send /placement in a little while to carry on.
placement-grade-failed = 😕 I couldn't grade the test just now. Your answers are kept: send /placement in a little while to get the result.
placement-result = 🎓 <b>Your level: { $grade }</b> — in the bot that's “{ $level }”.
placement-result-after = I've set this level for you. You can change it any time with /level, or take the test again with /placement.
placement-under-way = 🎓 You're in the middle of the placement test (question { $position } of { $total }). Carry on, start over, or stop?
placement-resume = ▶️ Carry on
placement-restart = 🔄 Start over
placement-stop = ⏹ Stop the test
placement-stopped = ⏹ Placement test stopped; your level stays as it was. /placement starts it again.
placement-none = 🤔 There's no placement test under way. /placement starts one.

## Practice modes (issue 14): /scene and /listen
cmd-scene = Role-play: a scene with a goal to reach
cmd-listen = Dictation and listening quizzes
cmd-shadow = Shadowing: say a phrase after Honzík
practice-more = 🎭 Another scene: /scene · 🎧 Dictation: /listen · 🗣 Shadowing: /shadow
remind-listen = 🎧 Or just 2 minutes of /listen?
remind-scene = 🎭 Or a quick scene? /scene — order a beer in a Prague pub.
scene-menu = 🎭 <b>Role-play</b>: pick a scene. Honzík — or the very formal paní Nováková — plays the other side, and you have a goal to reach. Speak or type in Czech; I correct your mistakes as usual.
scene-start =
    🎭 <b>{ $title }</b>
    🎯 Your goal: { $target }
    Speak or type in Czech. 💡 Hint suggests a phrase, ⏹ End finishes with a debrief.
scene-opening = 🗣 <b>{ $phrase }</b>
    <tg-spoiler>{ $translation }</tg-spoiler>
scene-hint-button = 💡 Hint
scene-end-button = ⏹ End
scene-hint = 💡 Try saying: <b>{ $phrase }</b>
scene-hint-translated = 💡 Try saying: <b>{ $phrase }</b> — { $translation }
scene-debrief = 🎭 <b>Scene over: { $title }</b>
scene-goal-reached = 🎯 Goal reached: { $target } 🎉
scene-goal-missed = 🎯 Goal not reached this time: { $target }
scene-went-well = 👍 { $good } of { $turns } { $turns ->
        [one] reply
       *[other] replies
    } without mistakes · average score { $score }/100
scene-no-turns = 🤐 You didn't say a word in this scene — next time, just jump in!
scene-no-mistakes = ✏️ No mistakes — výborně!
scene-mistakes = ✏️ <b>Your mistakes</b> (they're waiting in /review):
scene-mistake = • <s>{ $original }</s> → <b>{ $corrected }</b>
scene-phrases = 💬 <b>Useful phrases</b> (added to /review):
scene-phrase = • <b>{ $phrase }</b> — { $translation }
listen-start = 🎧 <b>Dictation</b>: { $total } sentences at your level. Listen and type exactly what you hear — háčky and čárky count. Every third sentence comes with a question instead.
listen-item = 🎧 <b>{ $position }/{ $total }</b> · Type what you hear.
listen-quiz-item = 🎧 <b>{ $position }/{ $total }</b> · Listen, then answer the question below.
listen-end-button = ⏹ End
listen-next-button = ▶️ Next
listen-perfect = ✅ Perfect, word for word! { $score }/100
listen-accents = 🟡 Every word heard — now mind the details: { $score }/100
listen-partly = 🟠 Partly heard: { $score }/100
listen-missed = ❌ Missed this one: { $score }/100
listen-yours = Your answer:
listen-legend = <i>bold — what you missed, struck through — what wasn't said, underlined — a slip inside the word</i>
listen-slips = Watch out for: { $kinds }
listen-slip-hacek = háček (č, ř, š, ž, ě…)
listen-slip-length = vowel length (á, í, ů, ý…)
listen-slip-iy = i or y
listen-said = 🗣 Honzík said: <b>{ $phrase }</b> — <i>{ $translation }</i>
listen-to-review = 🧠 This sentence goes into your /review.
listen-quiz-right = ✅ Right!
listen-quiz-wrong = ❌ Not quite — the answer was: <b>{ $answer }</b>. The sentence goes into your /review.
listen-type-it = ⌨️ This is a dictation: type what you heard, please. ⏹ End or /cancel stops it.
listen-no-voice = 🎧 I can't record the sentence right now. Try /listen again in a moment.
listen-done = 🎧 <b>Dictation done</b>: { $right } of { $total } right. { $missed ->
        [0] Nothing to review — výborně!
       *[other] The ones you missed are waiting in /review.
    }
listen-stopped = ⏹ <b>Dictation ended</b>: { $right } of { $done } right.

## Shadowing (issue 14): /shadow
remind-shadow = 🗣 Or say one phrase after me: /shadow
shadow-start = 🗣 <b>Shadowing</b>: I say a phrase slowly, then at normal speed. Record a voice note saying it after me, as close as you can. I compare the words, your pace and your pauses.
shadow-phrase = 🗣 <b>{ $phrase }</b>
    <tg-spoiler>{ $translation }</tg-spoiler>
shadow-slow = 🐢 Slowly
shadow-normal = ▶️ At normal speed. Now you: record a voice note 🎙
shadow-next-button = ➡️ Another phrase
shadow-end-button = ⏹ End
shadow-accuracy = 🎯 Words said: { $accuracy }%
shadow-all-words = ✅ Every word is there!
shadow-missed = ✂️ Missed: { $list }
shadow-changed = 🔁 Heard differently: { $list }
shadow-extra = ➕ Extra: { $list }
shadow-rate = ⏱ Pace: { $wpm } words/min · Honzík: { $native }
shadow-rate-unknown = ⏱ Pace: not measurable this time · Honzík: { $native } words/min
shadow-pauses = ⏸ Long pauses:
shadow-pause = after «{ $word }» ({ $secs } s)
shadow-no-pauses = ⏸ No long pauses.
shadow-limits = <i>I go by what the transcript and its timing show: words, pace and pauses. Sounds such as ř or vowel length would need a phoneme model, so they aren't measured here.</i>
shadow-again = 🎙 Record it again, or take ➡️ another phrase.
shadow-say-it = 🎙 This is shadowing: please say the phrase in a voice note. ⏹ End or /cancel stops it.
shadow-unheard = 🎙 I couldn't make out any words. Please record it again, a little closer to the microphone.
shadow-no-voice = 🗣 I can't record the phrase right now. Try /shadow again in a moment.
shadow-stopped = ⏹ <b>Shadowing ended.</b> Your accuracy and pace are in /stats.
stats-shadow = 🗣 Shadowing, 30 days: { $attempts } { $attempts ->
        [one] attempt
       *[other] attempts
    } · words { $accuracy }% · pace { $wpm } words/min (Honzík { $native })
