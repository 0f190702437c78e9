"""Every sentence a person reads from the bot, and the one mapping from a failure to its message.

Slack replies, private notices, button labels, the Home tab, the digest and the terminal CLI all
take their words from here, so wording is changed (or translated) in one place. Layout (blocks,
markup, limits) stays with the surfaces; this module holds words only and imports no Slack code.

Longer than the ~250-line guide on purpose: the rule is one module for every user-facing
string, so it grows with the surfaces; its sections follow them (answering, refusals,
failures, insights, surfaces, people).
"""

from __future__ import annotations

from bot.errors import (
    AskFormatError,
    AskStreamError,
    BotError,
    EmptyQuestion,
    GitBookConnectionError,
    GitBookError,
    GitBookHTTPError,
    GitBookTimeout,
    InsightsFormatError,
    QuestionTooLong,
)

# --- while answering ------------------------------------------------------------------------
PLACEHOLDER = "🔎 Searching the docs…"
WRITING = "✍️ Writing…"
STATUS = "is searching the docs…"  # the thread status: Slack shows "<bot name> is searching…"
# The thread status of a reply waiting behind Slack's per-channel posting limit.
QUEUED_STATUS = "is queued behind Slack's rate limits; the answer follows shortly…"
GENERIC_ERROR = "Sorry, something went wrong while answering. Please try again."
RESTARTED = "The bot restarted before finishing this answer. Please try again."
NO_ANSWER = "I couldn't find an answer to that in the docs."
NO_ANSWER_CLI = "No answer found in the docs."
# The end of an answer cut at Slack's five messages: where to read the rest ({title}, {url}).
READ_THE_REST = "The answer is longer than Slack can show here: read the rest on [{title}]({url})."
TOO_LONG = "The answer is longer than Slack can show here; ask a narrower question for the rest."


def search_yourself(url: str) -> str:
    """After "no answer": a Markdown link to the site's search."""
    return f" You can [search the docs]({url}) yourself."


JUST_NOW = "just now"


def ago(count: int, unit: str) -> str:
    """How old something is: `5 minutes ago` (unit: minute, hour, day)."""
    return f"{count} {unit}{'s' if count != 1 else ''} ago"


def cached_label(age: str) -> str:
    """Under a cached answer."""
    return f"🕘 Cached answer from {age}"


def asked_by(user_ref: str, question: str) -> str:
    """Under a shared answer: who asked what (user_ref is a Slack mention)."""
    return f"Asked by {user_ref}: {question}"


SOURCES_HEADING = "*Sources*"
RELATED_HEADING = "*Related pages*"
HELPFUL_BUTTON = "👍 Helpful"
NOT_HELPFUL_BUTTON = "👎 Not helpful"
REFRESH_BUTTON = "🔄 Refresh"
SHARE_BUTTON = "Share in channel"

# --- refusals and button replies ------------------------------------------------------------
SHARE_EXPIRED = "That answer is no longer available to share. Please ask again."
REFRESH_EXPIRED = "That answer is too old to refresh. Please ask the question again."
NOT_YOURS = "Only the person who asked can use that button."
CANNOT_POST = (
    "I can't post in this channel. Invite me with `/invite @docsbot` and try again, "
    "or mention me in a channel I'm in."
)
FEEDBACK_THANKS = "Thanks for the feedback! It helps the docs team improve the docs."
FEEDBACK_ALREADY = "You already rated this answer."


def rate_limited(per_minute: int) -> str:
    """For a person over the per-user question limit."""
    return (
        f"You're asking faster than I can look things up (limit: {per_minute} a minute). "
        "Please try again shortly."
    )


def command_usage(command: str) -> str:
    """Short help for an empty slash command."""
    return f"Ask me anything about the docs: `{command} how do I rotate an API key?`"


# --- the one mapping from a failure to what the asker reads -----------------------------------
def for_error(error: BaseException | None) -> str:
    """What the asker is told about error (a question refused, GitBook failing, a bug)."""
    if isinstance(error, EmptyQuestion):
        return "Ask me a question about the docs, for example: *How do I rotate an API key?*"
    if isinstance(error, QuestionTooLong):
        return (
            f"That question is {error.length} characters long; the docs assistant accepts at "
            f"most {error.limit}. Please shorten it and ask again."
        )
    if isinstance(error, GitBookError):
        return _gitbook_failure(error)
    if isinstance(error, BotError):
        return "Something went wrong while answering."
    return GENERIC_ERROR


def _gitbook_failure(error: GitBookError) -> str:
    if isinstance(error, GitBookHTTPError):
        return _http_failure(error.status_code)
    if isinstance(error, AskStreamError):
        return "The docs assistant stopped with an error before finishing."
    if isinstance(error, GitBookTimeout):
        return "The docs assistant took too long to answer. Please try again."
    if isinstance(error, GitBookConnectionError):
        return "The connection to the docs assistant was lost before the answer finished."
    if isinstance(error, AskFormatError):
        return "The docs assistant answered in an unexpected format."
    if isinstance(error, InsightsFormatError):
        return "GitBook returned insights in an unexpected format."
    return "The docs assistant ran into a problem."


def _http_failure(status_code: int) -> str:
    if status_code in (401, 403):
        return "The docs assistant refused the bot's credentials; an admin must check the token."
    if status_code == 404:
        return "The docs site could not be found; an admin needs to check the bot's configuration."
    if status_code == 429:
        return "The docs assistant is busy right now (rate limited). Please try again in a minute."
    if status_code >= 500:
        return "The docs assistant is having trouble right now. Please try again in a moment."
    return f"The docs assistant could not take that question (HTTP {status_code})."


# --- docs insights (the docs team's report, Home tab, digest) --------------------------------
INSIGHTS_REFUSAL = (
    "Sorry, docs insights are only available to the docs team. If you need them, ask an admin "
    "to add you (or one of your user groups) to `INSIGHTS_VIEWERS`."
)
INSIGHTS_SOURCE_NOTE = (
    "Counts and origins: GitBook insights (`ask_question` events; questions asked in Slack are "
    "recorded as server-side). No answer, 👎 and escalations: the bot's own records."
)
INSIGHTS_NOT_AVAILABLE = "Docs insights are not available to you."
INSIGHTS_TITLE = "📊 Docs questions"
DIGEST_TITLE = "🗓️ Weekly docs digest"
TOP_QUESTIONS_HEADING = "*Top questions*"
NO_QUESTION_TEXTS = "_No question texts recorded._"
GAPS_HEADING = "*No answer or 👎*"
NO_GAPS = "_None in this range._"
DIGEST_FAILED = "The weekly docs digest could not be built. "


OPEN_LINK = "open"  # the link to an escalation still open


def questions_per(unit: str) -> str:
    """The chart's heading (unit: day or week)."""
    return f"*Questions per {unit}*"


def questions_asked(total: int) -> str:
    """The report's first figure."""
    return f"*{total}* question{'s' if total != 1 else ''} asked"


def no_trend_yet(now: int) -> str:
    """The digest's trend when the week before had no question."""
    return f"The week before: none, so no trend yet ({now} this week)."


def trend(arrow: str, percent: int, before: int) -> str:
    """The digest's trend against the week before."""
    return f"{arrow} {percent}% vs the week before ({before})"


def no_answer_count(count: int) -> str:
    """How often a question found no answer."""
    return f"no answer ×{count}"


def not_helpful_count(count: int) -> str:
    """How often an answer got 👎."""
    return f"👎 ×{count}"


def insights_fallback(label: str, total: int) -> str:
    """The notification text of a report."""
    return f"Docs questions, {label}: {total} asked"


def week_of(day: str) -> str:
    """A chart row of the 3-month report."""
    return f"week of {day}"


def insights_usage(command: str) -> str:
    """How to ask for insights."""
    return f"Usage: `{command} insights [7d|30d|3m]` (the last 7 days by default)."


def home_intro(command: str) -> str:
    """Everyone's Home tab: how to ask."""
    return (
        "👋 I answer questions from the docs: mention me in a channel, send me a direct "
        f"message, or use `{command} your question`."
    )


def home_hint(command: str) -> str:
    """Under a viewer's Home tab figures."""
    return f"Only you see these figures. Longer ranges: `{command} insights 30d` or `3m`."


def insights_empty(label: str) -> str:
    """A range with no questions."""
    return f"No questions were asked in the {label}: nothing to show yet."


def insights_failure(error: GitBookError) -> str:
    """Why the insights could not be read: never a stack trace, always what to do next."""
    status = error.status_code if isinstance(error, GitBookHTTPError) else None
    if status in (401, 403):
        return (
            f"I couldn't read the docs insights: GitBook refused the bot's token (HTTP {status})."
            " An admin needs to give the bot a GitBook token that can read this site's insights."
        )
    if status == 404:
        return (
            "I couldn't read the docs insights: GitBook did not find the site (HTTP 404). "
            "An admin needs to check `GITBOOK_ORGANIZATION_ID` and `GITBOOK_SITE_ID`."
        )
    if status == 429:
        return "GitBook is rate limiting the bot right now. Please try again in a minute."
    if isinstance(error, InsightsFormatError):
        return "GitBook answered the insights query in an unexpected format. Please try later."
    return "I couldn't load the docs insights from GitBook right now. Please try again later."


# --- surfaces: assistant pane, message shortcut, channel scopes -------------------------------
SHARE_IN_THREAD_BUTTON = "Share in thread"
PROMPTS_TITLE = "Ask the docs"  # above the assistant pane's suggested prompts
# The assistant pane's starters when SUGGESTED_PROMPTS is not set (and for everyone outside
# the docs team, who never see other people's questions).
STARTER_PROMPTS = (
    "What can you help me with?",
    "How do I get started?",
    "Where can I find the API reference?",
    "What's new in the docs?",
)
SCOPE_REFUSAL = (
    "Sorry, only the docs team can change which docs a channel searches. Ask an admin to add "
    "you (or one of your user groups) to `INSIGHTS_VIEWERS`."
)
SCOPE_NO_SPACES = "I couldn't list the docs site's spaces from GitBook right now. Please try again."
SCOPE_PICKER_LABEL = "Pick site spaces"
SCOPE_WHOLE_SITE = "the whole docs site"


def scope_summary(spaces: list[str]) -> str:
    """What a channel's questions search (spaces: titles)."""
    if not spaces:
        return f"Questions in this channel search *{SCOPE_WHOLE_SITE}*."
    return "Questions in this channel search only: " + ", ".join(f"*{s}*" for s in spaces) + "."


def scope_help(command: str) -> str:
    """Under the scope picker: the text form."""
    return (
        f"Pick spaces below, or type `{command} scope <space title or id>[, …]`; "
        f"`{command} scope all` searches the whole site again."
    )


def scope_space_line(title: str, site_space_id: str) -> str:
    """One of the site's spaces, in the list under the picker."""
    return f"• {title} (`{site_space_id}`)"


def scope_unknown(unknown: list[str], valid: list[str]) -> str:
    """`/docs scope` named spaces the site does not have."""
    return (
        "I don't know " + ", ".join(f"`{u}`" for u in unknown) + " on this docs site. "
        "Valid spaces: " + ", ".join(f"`{v}`" for v in valid) + "."
    )


def scope_set(spaces: list[str]) -> str:
    """After a scope change."""
    return "Done. " + scope_summary(spaces)


# --- people: Ask a person (escalation) and docs feedback into GitBook -------------------------
ASK_PERSON_BUTTON = "🙋 Ask a person"
RESOLVED_BUTTON = "✅ Resolved"
ESCALATION_ALREADY = "This question is already with people; they'll follow up in the conversation."
ESCALATION_EXPIRED = "That answer is too old to hand to a person. Please ask the question again."
ESCALATION_UNREACHABLE = (
    "I couldn't reach the people who answer questions: I'm not in their channel. An admin needs "
    "to invite me there (`/invite @docsbot`), or check `ESCALATION_CHANNEL`."
)
ESCALATION_ALREADY_RESOLVED = "That question was already marked as resolved."
ESCALATION_ANSWER_HEADING = "*The bot answered:*"
ESCALATION_INSIGHTS_HEADING = "*Escalated to people*"
NO_OPEN_ESCALATIONS = "_None still open._"
FEEDBACK_MODAL_TITLE = "Docs feedback"
FEEDBACK_MODAL_SUBMIT = "Send"
FEEDBACK_MODAL_CLOSE = "Skip"
FEEDBACK_MODAL_INTRO = "Thanks, your 👎 is recorded. What was wrong or missing? (optional)"
FEEDBACK_REASON_LABEL = "What was wrong or missing?"
FEEDBACK_REASON_PLACEHOLDER = "For example: the page is out of date, or it doesn't cover SSO."
FEEDBACK_GOES_TO_GITBOOK = (
    "Your note (not your name) goes to the docs team as a comment on the answer's source page "
    "in GitBook, with a link to this conversation."
)
FEEDBACK_REASON_THANKS = "Thanks! Your note is recorded for the docs team."
FEEDBACK_COMMENTED = "Thanks! Your note was added as a comment on the docs page for the docs team."
COMMENT_HEADING = "👎 Feedback from Slack on an answer that used this page"
COMMENT_QUESTION = "Question:"
COMMENT_REASON = "What was wrong or missing:"
COMMENT_CONVERSATION = "Conversation:"
COMMENT_PRIVATE = "Conversation (answered privately, in this channel):"


def escalation_request(asker_ref: str, question: str) -> str:
    """The escalation message's first line (asker_ref is a Slack mention; question escaped)."""
    return f"🙋 *{asker_ref} asked for a person:*\n>{question}"


def escalation_link(url: str) -> str:
    """Under an escalation: the conversation (a mrkdwn link)."""
    return f"<{url}|Open the conversation>"


def escalation_private(channel_ref: str) -> str:
    """Under an escalation of a private answer: where it was asked (no message to link)."""
    return f"Asked privately (a `/docs` answer only they saw) in {channel_ref}."


def escalated_note(channel_ref: str) -> str:
    """In the asker's thread (or privately): people were asked."""
    return f"🙋 I've asked people in {channel_ref}; someone will follow up with you."


def escalation_resolved(resolver_ref: str, when: str) -> str:
    """On the escalation message once resolved (when is a Slack date token)."""
    return f"✅ Resolved by {resolver_ref} {when}"


def resolved_note(resolver_ref: str, question: str) -> str:
    """To the asker: their escalated question was resolved."""
    return f"✅ {resolver_ref} marked your question as resolved: {question}"


def escalations_summary(count: int, still_open: int) -> str:
    """The insights line: escalations in the range, and how many are still open."""
    plural = "s" if count != 1 else ""
    return f"{count} question{plural} handed to people · {still_open} still open"


def comment_failed(reason: str) -> str:
    """To the person when GitBook refused their comment: the 👎 and the note are kept."""
    return (
        "Thanks, your note is recorded for the docs team. I couldn't add it as a comment in "
        f"GitBook ({reason})."
    )


def comment_failure_reason(status_code: int | None) -> str:
    """Why a comment failed, in words (403: the token cannot write; 404: the page is gone)."""
    if status_code in (401, 403):
        return "the bot's GitBook token has no write access to that space"
    if status_code == 404:
        return "the page no longer exists"
    return "GitBook did not accept it right now"
