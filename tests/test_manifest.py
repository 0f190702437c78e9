"""manifest.yml against the code: the events, command, scopes and URLs the app really uses."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import yaml
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import create_app
from bot.deps import Deps, build_deps, make_slack_client
from bot.gitbook.client import make_http_client
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack import feedback
from bot.slack.web import EVENTS_PATH
from handlers import (
    app_home,
    assistant,
    auto_answer,
    direct_message,
    mention,
    shortcut,
    slash_command,
)
from tests.e2e.harness import SIGNING_SECRET, TEAM, bot_env, event_callback
from tests.e2e.harness import direct_message as dm_event
from tests.e2e.harness import mention as mention_event
from tests.fakes.gitbook import FakeGitBook
from tests.fakes.slack_api import FakeSlack, sign_slack_request, visible_text

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "manifest.yml"
REQUIRED_SCOPES = {
    "app_mentions:read",
    "chat:write",
    "chat:write.public",
    "im:history",
    "commands",
    "usergroups:read",  # INSIGHTS_VIEWERS user groups
    "assistant:write",  # suggested prompts, thread titles
    "channels:history",  # message.channels (AUTO_ANSWER_CHANNELS)
    "groups:history",  # message.groups (AUTO_ANSWER_CHANNELS)
}
AUTO_ANSWER_CHANNELS = "C0CHAN9 G0PRIV1"


def load_manifest() -> dict[str, Any]:
    with MANIFEST_PATH.open(encoding="utf-8") as f:
        manifest: dict[str, Any] = yaml.safe_load(f)
    return manifest


MANIFEST = load_manifest()
MANIFEST_EVENTS: list[str] = list(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


# --- the manifest alone ---------------------------------------------------------------------------


def test_bot_events_are_exactly_the_events_the_code_handles() -> None:
    handled = {
        mention.EVENT,
        direct_message.MANIFEST_EVENT,
        app_home.EVENT,
        assistant.THREAD_STARTED,
        *auto_answer.MANIFEST_EVENTS,
    }
    assert sorted(MANIFEST_EVENTS) == sorted(handled)
    assert len(MANIFEST_EVENTS) == len(set(MANIFEST_EVENTS))


def test_slash_command_is_the_one_the_code_answers() -> None:
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [slash_command.COMMAND]


def test_message_shortcut_is_the_one_the_code_answers() -> None:
    (entry,) = MANIFEST["features"]["shortcuts"]
    assert entry["type"] == "message"
    assert entry["callback_id"] == shortcut.CALLBACK_ID
    assert entry["name"] == "Ask the docs"
    assert len(entry["description"]) <= 80


@pytest.mark.parametrize(
    ("view", "description"),
    [
        pytest.param("agent_view", "agent_description", id="agent"),
        pytest.param("assistant_view", "assistant_description", id="legacy"),
    ],
)
def test_assistant_pane_has_a_description_and_at_most_four_prompts(
    view: str, description: str
) -> None:
    pane = MANIFEST["features"][view]
    assert pane[description]
    prompts = pane["suggested_prompts"]
    assert 1 <= len(prompts) <= 4
    assert all(p["title"] and p["message"] for p in prompts)


def test_interactivity_is_enabled() -> None:
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True


def test_scopes_are_exactly_what_the_code_needs() -> None:
    scopes = MANIFEST["oauth_config"]["scopes"]["bot"]
    assert set(scopes) == REQUIRED_SCOPES
    assert len(scopes) == len(set(scopes))
    assert "user" not in MANIFEST["oauth_config"]["scopes"]  # no user token is ever used


def test_every_request_url_is_the_events_endpoint() -> None:
    urls = [
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
        MANIFEST["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in MANIFEST["features"]["slash_commands"]),
    ]
    assert all(url.startswith("https://") and url.endswith(EVENTS_PATH) for url in urls), urls


def test_display_information_fits_slacks_limits() -> None:
    info = MANIFEST["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert 1 <= len(info["description"]) <= 140


def test_direct_messages_can_be_sent_to_the_bot() -> None:
    # message.im is only delivered when people can write in the app's Messages tab.
    home = MANIFEST["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False


def test_home_tab_is_enabled_for_the_app_home_view() -> None:
    # app_home_opened only arrives for the Home tab if the manifest turns the tab on.
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


# --- the manifest against the real Bolt app -------------------------------------------------------


@dataclass
class BuiltApp:
    app: AsyncApp
    deps: Deps
    slack: FakeSlack

    async def dispatch(self, body: str, content_type: str) -> int:
        headers = {"content-type": content_type, **sign_slack_request(body, SIGNING_SECRET)}
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        return int(response.status)

    async def event(self, event: dict[str, Any]) -> int:
        return await self.dispatch(json.dumps(event_callback(event)), "application/json")

    async def command(self, command: str, text: str, key: str) -> int:
        form = {
            "command": command,
            "text": text,
            "user_id": "U0ASKER7",
            "channel_id": "C0CHAN9",
            "team_id": TEAM,
            "trigger_id": "tr1",
            "response_url": self.slack.response_url(key),
            "api_app_id": "A1",
        }
        return await self.dispatch(urlencode(form), "application/x-www-form-urlencoded")

    async def shortcut(self, callback_id: str, key: str) -> int:
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "team": {"id": TEAM, "domain": "test"},
            "user": {"id": "U0ASKER7", "team_id": TEAM},
            "channel": {"id": "C0CHAN9", "name": "general"},
            "message": {
                "type": "message",
                "user": "U0OTHER",
                "text": "how do I start?",
                "ts": "1700000000.000200",
            },
            "trigger_id": "tr1",
            "response_url": self.slack.response_url(key),
            "api_app_id": "A1",
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.dispatch(body, "application/x-www-form-urlencoded")

    async def click(self, action_id: str, value: str, key: str) -> int:
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "test"},
            "user": {"id": "U0ASKER7", "team_id": TEAM},
            "api_app_id": "A1",
            "container": {
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": "C0CHAN9",
                "is_ephemeral": False,
            },
            "channel": {"id": "C0CHAN9"},
            "message": {"type": "message", "ts": "1700000000.000100"},
            "trigger_id": "tr1",
            "response_url": self.slack.response_url(key),
            "actions": [
                {"action_id": action_id, "block_id": "b", "value": value, "type": "button"}
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.dispatch(body, "application/x-www-form-urlencoded")


@pytest.fixture
async def built(fake_slack: FakeSlack, fake_gitbook: FakeGitBook) -> AsyncIterator[BuiltApp]:
    fake_gitbook.add_site_space("space_1", "https://docs.example.com/")
    fake_gitbook.add_page("space_1", "page_1", "Getting started", "getting-started")
    env = bot_env(fake_slack, fake_gitbook, AUTO_ANSWER_CHANNELS=AUTO_ANSWER_CHANNELS)
    settings = Settings.from_env(env)
    async with make_http_client(settings.gitbook) as http, aiohttp.ClientSession() as session:
        metrics = Metrics()
        deps = build_deps(
            settings,
            http=http,
            slack=make_slack_client(settings, session, metrics=metrics),
            redis_client=None,
            edit_interval=0.02,
            metrics=metrics,
        )
        yield BuiltApp(create_app(settings, deps), deps, fake_slack)
        await deps.replies.drain(5.0)
        await deps.tasks.join(grace_seconds=2.0)


def _event_for(name: str) -> dict[str, Any]:
    """A person's event of the manifest's kind (`message.im` is a `message` in an IM)."""
    if name == "app_mention":
        return mention_event("how do I start?")
    if name == "message.im":
        return dm_event("how do I start?")
    if name == "app_home_opened":
        ts = f"{int(time.time())}.000001"
        return {"type": name, "user": "U0ASKER7", "channel": "D0DM1", "tab": "home", "event_ts": ts}
    if name in ("message.channels", "message.groups"):
        channel, kind = (
            ("C0CHAN9", "channel") if name == "message.channels" else ("G0PRIV1", "group")
        )
        return {**dm_event("how do I start?"), "channel": channel, "channel_type": kind}
    if name == "assistant_thread_started":
        ts = f"{int(time.time())}.000002"
        thread = {"user_id": "U0ASKER7", "channel_id": "D0DM1", "thread_ts": ts}
        return {"type": name, "assistant_thread": thread, "event_ts": ts}
    raise AssertionError(f"no sample payload for manifest event {name!r}")


def _handled(slack: FakeSlack, event: dict[str, Any]) -> bool:
    """Whether the bot did what the event asks: publish the Home view, or answer."""
    if event["type"] == "app_home_opened":
        return any(c.args.get("user_id") == event["user"] for c in slack.calls_to("views.publish"))
    if event["type"] == "assistant_thread_started":
        return bool(slack.calls_to("assistant.threads.setSuggestedPrompts"))
    return any(
        "Sources" in visible_text(m) and m["channel"] == event["channel"]
        for m in slack.messages.values()
    )


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in MANIFEST_EVENTS])
async def test_each_manifest_event_is_handled_and_answered(built: BuiltApp, name: str) -> None:
    event = _event_for(name)
    assert await built.event(event) == 200
    await built.slack.wait_until(lambda: _handled(built.slack, event))


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(
            {
                "type": "reaction_added",
                "user": "U0ASKER7",
                "reaction": "thumbsup",
                "item": {"type": "message", "channel": "C0CHAN9", "ts": "1700000000.000100"},
                "event_ts": "1700000001.000100",
            },
            id="reaction_added",
        ),
        pytest.param(
            {"type": "member_joined_channel", "user": "U0ASKER7", "channel": "C0CHAN9"},
            id="member_joined_channel",
        ),
    ],
)
async def test_event_outside_the_manifest_is_acknowledged_but_not_answered(
    built: BuiltApp, event: dict[str, Any]
) -> None:
    # The contract: every event type, known or not, is acknowledged with 200 (a 404 would
    # be a failed delivery, retried and counted against the app, docs/slack.md §1).
    assert event["type"] not in {e.split(".")[0] for e in MANIFEST_EVENTS}
    event.setdefault("event_ts", f"{int(time.time())}.000001")
    # Acknowledged (CONTRACT: every event type, known or not, gets 200), and nothing else.
    assert await built.event(event) == 200
    assert built.slack.messages == {} and built.slack.calls_to("chat.postMessage") == []


async def test_manifest_slash_command_is_handled_and_another_is_not(built: BuiltApp) -> None:
    (command,) = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert await built.command(command, "how do I start?", "cmd-manifest") == 200
    await built.slack.wait_until(lambda: len(built.slack.webhooks_to("cmd-manifest")) == 1)
    assert "Hello world" in visible_text(built.slack.webhooks_to("cmd-manifest")[0].body)
    assert await built.command("/not-in-manifest", "how do I start?", "cmd-other") == 404


async def test_manifest_message_shortcut_is_handled_and_another_is_not(built: BuiltApp) -> None:
    (entry,) = MANIFEST["features"]["shortcuts"]
    assert await built.shortcut(entry["callback_id"], "sc-manifest") == 200
    await built.slack.wait_until(lambda: len(built.slack.webhooks_to("sc-manifest")) == 1)
    assert "Hello world" in visible_text(built.slack.webhooks_to("sc-manifest")[0].body)
    assert await built.shortcut("not_in_manifest", "sc-other") == 404


async def test_interactivity_reaches_the_button_handlers(built: BuiltApp) -> None:
    # Share of an answer the bot no longer has: handled (200), answered with a notice.
    assert await built.click("docsbot_share", "no-such-answer", "act-share") == 200
    await built.slack.wait_until(lambda: len(built.slack.webhooks_to("act-share")) == 1)
    assert await built.click("not_a_docsbot_button", "x", "act-other") == 404


async def test_interactivity_reaches_the_feedback_modal_and_no_other(built: BuiltApp) -> None:
    def submission(callback_id: str) -> str:
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "test"},
            "user": {"id": "U0ASKER7", "team_id": TEAM},
            "api_app_id": "A1",
            "trigger_id": "tr2",
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": "",
                "state": {"values": {}},
            },
        }
        return urlencode({"payload": json.dumps(payload)})

    content_type = "application/x-www-form-urlencoded"
    assert await built.dispatch(submission(feedback.REASON_CALLBACK), content_type) == 200
    assert await built.dispatch(submission("not_a_docsbot_modal"), content_type) == 404
