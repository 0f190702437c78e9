"""The real app, served over HTTP on a free port, driven the way Slack drives it."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.insights.service import Clock
from bot.service import Service
from bot.settings import Settings
from tests.fakes.gitbook import FakeGitBook
from tests.fakes.slack_api import FakeSlack, sign_slack_request

SIGNING_SECRET = "test-signing-secret-0123"
TEAM = "T0TEAM42"
_ids = itertools.count(1)


def bot_env(slack: FakeSlack, gitbook: FakeGitBook, **overrides: str) -> dict[str, str]:
    """The contract's environment, pointed at the fakes."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "GITBOOK_API_TOKEN": "gb-token",
        "GITBOOK_ORGANIZATION_ID": "org_1",
        "GITBOOK_SITE_ID": "site_1",
        "GITBOOK_API_URL": gitbook.url,
        "GITBOOK_TIMEOUT_SECONDS": "2",
        "PORT": "0",
    }
    env.update(overrides)
    return env


def next_ts() -> str:
    """A fresh Slack message timestamp."""
    return f"{int(time.time())}.{next(_ids):06d}"


def mention(
    text: str,
    *,
    channel: str = "C0CHAN9",
    user: str = "U0ASKER7",
    thread_ts: str | None = None,
    ts: str | None = None,
) -> dict[str, Any]:
    """An app_mention event as Slack sends it."""
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT> {text}",
        "ts": ts or next_ts(),
        "channel": channel,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def direct_message(
    text: str, *, channel: str = "D0DM1", user: str = "U0ASKER7", **extra: Any
) -> dict[str, Any]:
    """A message.im event as Slack sends it."""
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": next_ts(),
        "channel": channel,
        **extra,
    }


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API event_callback around event, as Slack sends it (a fresh event_id)."""
    return {
        "type": "event_callback",
        "team_id": TEAM,
        "api_app_id": "A1",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        "event": {**event, "event_ts": event.get("ts") or event.get("event_ts")},
    }


@dataclass
class RunningBot:
    """A served bot and a client that sends it signed requests."""

    service: Service
    client: httpx.AsyncClient
    slack: FakeSlack
    gitbook: FakeGitBook
    sent: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.service.port}"

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: Mapping[str, str] | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        """POST body to /slack/events, signed like Slack unless told otherwise."""
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            all_headers.update(sign_slack_request(body, SIGNING_SECRET))
        return await self.client.post(f"{self.url}/slack/events", content=body, headers=all_headers)

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> httpx.Response:
        """Deliver an Events API event_callback."""
        payload = event_callback(event, event_id=event_id)
        headers = (
            {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
            if retry_num
            else None
        )
        return await self.post(json.dumps(payload), "application/json", headers=headers)

    async def command(
        self, text: str, *, user: str = "U0ASKER7", channel: str = "C0CHAN9", command: str = "/docs"
    ) -> tuple[httpx.Response, str]:
        """Invoke the slash command; return the response and the response_url key."""
        key = f"cmd{next(_ids)}"
        form = {
            "command": command,
            "text": text,
            "user_id": user,
            "user_name": "alice",
            "channel_id": channel,
            "team_id": TEAM,
            "trigger_id": "tr1",
            "response_url": self.slack.response_url(key),
            "api_app_id": "A1",
        }
        response = await self.post(urlencode(form), "application/x-www-form-urlencoded")
        return response, key

    async def click(
        self,
        action: dict[str, Any],
        *,
        channel: str,
        message_ts: str,
        thread_ts: str | None = None,
        ephemeral: bool = False,
        user: str = "U0ASKER7",
    ) -> tuple[httpx.Response, str]:
        """Click a button (as found in a message's blocks); return response and response_url key."""
        key = f"act{next(_ids)}"
        # The clicked message as Slack sends it: the bot's own, with its blocks.
        message: dict[str, Any] = self.slack.as_delivered(channel, message_ts) or {
            "type": "message",
            "ts": message_ts,
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "test"},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A1",
            "token": "legacy",
            "container": {
                "type": "ephemeral_message" if ephemeral else "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "channel": {"id": channel},
            "trigger_id": self.slack.issue_trigger(),
            "response_url": self.slack.response_url(key),
            "actions": [
                {
                    "action_id": action["action_id"],
                    "block_id": "b",
                    "value": action.get("value", ""),
                    "type": "button",
                    "action_ts": str(time.time()),
                }
            ],
        }
        if not ephemeral:
            payload["message"] = message
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded"), key

    async def submit(
        self, view: dict[str, Any], values: Mapping[str, str], *, user: str = "U0ASKER7"
    ) -> httpx.Response:
        """Submit a modal the bot opened (as the fake holds it), with values by action_id."""
        state = {
            block["block_id"]: {
                block["element"]["action_id"]: {
                    "type": block["element"]["type"],
                    "value": values.get(block["element"]["action_id"]),
                }
            }
            for block in view.get("blocks") or []
            if block.get("type") == "input"
        }
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": self.slack.workspace_domain},
            "user": {"id": user, "username": "alice", "name": "alice", "team_id": TEAM},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": self.slack.issue_trigger(),
            "view": {**view, "state": {"values": state}},
            "response_urls": [],
            "is_enterprise_install": False,
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")


@asynccontextmanager
async def running_bot(
    slack: FakeSlack,
    gitbook: FakeGitBook,
    *,
    redis_url: str | None = None,
    key_prefix: str = "",
    edit_interval: float = 0.02,
    clock: Clock | None = None,
    shutdown_grace: float = 5.0,
    **env: str,
) -> AsyncIterator[RunningBot]:
    """Serve the real app against the fakes; shut it down gracefully afterwards."""
    if redis_url:
        env["REDIS_URL"] = redis_url
    settings = Settings.from_env(bot_env(slack, gitbook, **env))
    service = Service(
        settings,
        host="127.0.0.1",
        edit_interval=edit_interval,
        key_prefix=key_prefix,
        shutdown_grace=shutdown_grace,
        clock=clock,
    )
    async with service, httpx.AsyncClient(timeout=10) as client:
        yield RunningBot(service, client, slack, gitbook)
