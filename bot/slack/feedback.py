"""👎 asks why: a modal (``views.open``) whose answer is kept with the 👎 and, when enabled,
becomes a comment on the answer's first page source in GitBook.

The 👎 is recorded when clicked, so closing the modal loses nothing. A submission arrives
without a ``response_url`` (``view_submission``), so the modal carries the click's in its
``private_metadata``, with the answer and the conversation; docs/slack.md §9.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot import notices
from bot.answers.cache import AnswerArchive
from bot.errors import GitBookError, GitBookHTTPError
from bot.insights.feedback import DocsComments, FeedbackLog
from bot.slack.permalinks import Conversation, conversation_link

logger = logging.getLogger(__name__)

REASON_CALLBACK = "docsbot_feedback_reason"
REASON_BLOCK = "docsbot_reason"
REASON_ACTION = "reason"
REASON_LIMIT = 2000
METADATA_VERSION = 1


@dataclass(frozen=True, slots=True)
class RatedAnswer:
    """Which answer got a 👎, from whom, where; what the modal carries to its submission."""

    workspace: str
    answer_id: str
    rater: str
    where: Conversation
    response_url: str | None  # the click's, to tell the person how it went

    def encode(self) -> str:
        """As private_metadata: versioned JSON (Slack allows 3,000 characters)."""
        data = {"v": METADATA_VERSION, **asdict(self)}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> RatedAnswer | None:
        """Read private_metadata back; None when it is not ours or of another version."""
        try:
            data = json.loads(raw)
            if data.pop("v") != METADATA_VERSION:
                return None
            return cls(**{**data, "where": Conversation(**data["where"])})
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def reason_modal(rated: RatedAnswer, *, to_gitbook: bool) -> dict[str, Any]:
    """The modal: what was wrong or missing (optional), and where the note goes."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=notices.FEEDBACK_MODAL_INTRO)),
        InputBlock(
            block_id=REASON_BLOCK,
            label=notices.FEEDBACK_REASON_LABEL,
            optional=True,
            element=PlainTextInputElement(
                action_id=REASON_ACTION,
                multiline=True,
                max_length=REASON_LIMIT,
                placeholder=notices.FEEDBACK_REASON_PLACEHOLDER,
            ),
        ),
    ]
    if to_gitbook:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=notices.FEEDBACK_GOES_TO_GITBOOK)])
        )
    view = View(
        type="modal",
        callback_id=REASON_CALLBACK,
        title=notices.FEEDBACK_MODAL_TITLE,
        submit=notices.FEEDBACK_MODAL_SUBMIT,
        close=notices.FEEDBACK_MODAL_CLOSE,
        private_metadata=rated.encode(),
        blocks=blocks,
    )
    return view.to_dict()


def reason_of(view: dict[str, Any]) -> str:
    """The written reason in a submitted modal ("" when left empty)."""
    values = (view.get("state") or {}).get("values") or {}
    value = ((values.get(REASON_BLOCK) or {}).get(REASON_ACTION) or {}).get("value")
    return str(value or "").strip()[:REASON_LIMIT]


class NotHelpful:
    """Asks a 👎 why, keeps the answer with it, and passes it on to GitBook when enabled."""

    def __init__(
        self,
        slack: AsyncWebClient,
        feedback: FeedbackLog,
        archive: AnswerArchive,
        comments: DocsComments | None,  # None: GITBOOK_FEEDBACK_COMMENTS is off
    ) -> None:
        self._slack = slack
        self._feedback = feedback
        self._archive = archive
        self._comments = comments

    async def ask_why(self, rated: RatedAnswer, trigger_id: str) -> bool:
        """Open the modal; False when Slack refused it (the trigger expired, say)."""
        archived = await self._archive.load(rated.workspace, rated.answer_id)
        to_gitbook = bool(self._comments and archived and archived.answer.top_page)
        try:
            await self._slack.views_open(
                trigger_id=trigger_id, view=reason_modal(rated, to_gitbook=to_gitbook)
            )
        except SlackApiError as exc:
            logger.warning("could not open the feedback modal: %s", exc.response.get("error"))
            return False
        return True

    async def reason_given(self, rated: RatedAnswer, reason: str) -> None:
        """Keep the reason with the 👎, comment in GitBook when enabled, tell the person."""
        if not reason:  # sent empty: the 👎 alone, as recorded at the click
            await self._tell(rated, notices.FEEDBACK_THANKS)
            return
        await self._feedback.add_reason(answer_id=rated.answer_id, rater=rated.rater, reason=reason)
        await self._tell(rated, await self._pass_on(rated, reason))

    async def _pass_on(self, rated: RatedAnswer, reason: str) -> str:
        """Comment in GitBook when enabled and the answer has a page source; say how it went."""
        archived = await self._archive.load(rated.workspace, rated.answer_id)
        page = archived.answer.top_page if archived else None
        if self._comments is None or archived is None or page is None:
            return notices.FEEDBACK_REASON_THANKS
        link = await conversation_link(self._slack, rated.where)
        try:
            await self._comments.post(
                page, archived.answer.question, reason, link, private=rated.where.private
            )
        except GitBookError as exc:
            logger.warning("feedback comment refused for page %s: %s", page.page, exc)
            status = exc.status_code if isinstance(exc, GitBookHTTPError) else None
            return notices.comment_failed(notices.comment_failure_reason(status))
        return notices.FEEDBACK_COMMENTED

    async def _tell(self, rated: RatedAnswer, text: str) -> None:
        if rated.response_url is None:
            return
        respond = AsyncRespond(response_url=rated.response_url)
        response = await respond(text=text, response_type="ephemeral", replace_original=False)
        if response.status_code >= 300:
            logger.warning(
                "could not tell the person about their feedback (HTTP %s)", response.status_code
            )
