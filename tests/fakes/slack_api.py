"""A protocol-level fake of the Slack Web API and of `response_url` webhooks.

Usage::

    async with FakeSlack() as slack:                  # slack.api_url == "http://127.0.0.1:<port>/api/"
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        slack.rate_limit_next("chat.update", retry_after=1)
        ...
        await slack.wait_until(lambda: slack.calls_to("chat.update"))

Arguments are read from the query string, a form body and a JSON body (merged in that order), like
Slack. Errors follow docs/slack.md §3: HTTP 200 `{"ok": false, "error": ...}`, and HTTP 429 with
`Retry-After` for rate limits. Size rules of docs/slack.md §5 are enforced; refusals are
kept in `refusals`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from multidict import CIMultiDict
from slack_sdk.signature import SignatureVerifier

from tests.support import serve_locally, wait_until

__all__ = [
    "Call",
    "FakeSlack",
    "Refusal",
    "Webhook",
    "block_problem",
    "buttons",
    "sign_slack_request",
    "visible_text",
]

JSON = dict[str, Any]
_JSON_ARGS = ("blocks", "attachments", "metadata", "chunks", "view", "prompts")
_CONTENT_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral"}


# --- records ------------------------------------------------------------------------------------


@dataclass
class Call:
    """One Web API call as received (arguments merged from query, form and JSON)."""

    method: str
    args: JSON
    headers: Mapping[str, str] = field(repr=False)
    status: int = 200
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class Webhook:
    """One POST to a `response_url`."""

    key: str
    body: JSON
    status: int = 200

    @property
    def delete_original(self) -> bool:
        return bool(self.body.get("delete_original"))


@dataclass(frozen=True)
class Refusal:
    """A call refused for breaking a Slack rule (size limit, unknown message, ...)."""

    method: str
    error: str
    detail: str


# --- helpers for assertions ---------------------------------------------------------------------


def visible_text(message: Mapping[str, Any]) -> str:
    """What a user reads: `markdown_text` and the text of markdown/section/header/context/rich_text
    blocks; the plain `text` only when there is neither (it is then the notification fallback).
    """
    parts = [str(message["markdown_text"])] if message.get("markdown_text") else []
    parts += [text for block in message.get("blocks") or [] for text in _block_texts(block)]
    return "\n".join(parts) if parts else str(message.get("text") or "")


def buttons(message: Mapping[str, Any]) -> list[JSON]:
    """Every button element of a message (actions, context_actions, section accessories)."""
    return [
        e for b in message.get("blocks") or [] for e in _elements(b) if e.get("type") == "button"
    ]


def sign_slack_request(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with `body` (HTTP mode request signing, v0)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Signature": signature, "X-Slack-Request-Timestamp": ts}


def _text(obj: object) -> str:
    if isinstance(obj, Mapping):
        return str(obj.get("text") or "")
    return str(obj or "")


def _block_texts(block: Mapping[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind in ("markdown", "header"):
        return [_text(block.get("text") if kind == "header" else block)]
    if kind == "section":
        texts = [_text(block.get("text"))] if block.get("text") else []
        return texts + [_text(f) for f in block.get("fields") or []]
    if kind == "context":
        return [_text(e) for e in block.get("elements") or [] if e.get("type") != "image"]
    if kind == "rich_text":
        return ["".join(_rich_texts(block))]
    return []


def _rich_texts(node: Mapping[str, Any]) -> Iterator[str]:
    if isinstance(node.get("text"), str):
        yield node["text"]
    elif node.get("type") == "link":
        yield str(node.get("url", ""))
    for child in node.get("elements") or []:
        yield from _rich_texts(child)


def _elements(block: Mapping[str, Any]) -> list[JSON]:
    elements = list(block.get("elements") or []) if block.get("type") != "rich_text" else []
    if isinstance(block.get("accessory"), Mapping):
        elements.append(block["accessory"])
    return [e for e in elements if isinstance(e, dict)]


# --- Block Kit limits (docs/slack.md §4 and §5) ------------------------------

_MAX_ELEMENTS = {"actions": 25, "context": 10, "context_actions": 5}


def block_problem(blocks: object, *, max_blocks: int = 50) -> str | None:
    """Why Slack would refuse these blocks with `invalid_blocks`, or None."""
    if not isinstance(blocks, list):
        return "blocks must be an array"
    if len(blocks) > max_blocks:  # messages: "no more than 50 items allowed"; Home tabs: 100
        return f"{len(blocks)} blocks, at most {max_blocks} allowed"
    block_ids: set[str] = set()
    markdown_total = 0
    for i, block in enumerate(blocks):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return f"block {i} has no type"
        problem = _block_id_problem(block, block_ids) or _one_block_problem(block)
        if problem:
            return f"block {i} ({block['type']}): {problem}"
        if block["type"] == "markdown":
            markdown_total += len(_text(block))
    if markdown_total > 12000:  # cumulative over all markdown blocks of one payload
        return f"markdown blocks total {markdown_total} chars, at most 12000"
    return None


def _block_id_problem(block: JSON, seen: set[str]) -> str | None:
    block_id = block.get("block_id")
    if block_id is None:
        return None
    if len(str(block_id)) > 255:
        return "block_id over 255 chars"
    if block_id in seen:
        return f"duplicate block_id {block_id!r}"
    seen.add(block_id)
    return None


def _one_block_problem(block: JSON) -> str | None:
    kind = block["type"]
    if kind == "section":
        if not block.get("text") and not block.get("fields"):
            return "section needs text or fields"
        if len(_text(block.get("text"))) > 3000:  # "must be less than 3001 characters"
            return f"section text {len(_text(block.get('text')))} chars, at most 3000"
        fields = block.get("fields") or []
        if len(fields) > 10 or any(len(_text(f)) > 2000 for f in fields):
            return "section fields: at most 10, each at most 2000 chars"
    elif kind == "header" and len(_text(block.get("text"))) > 150:
        return "header text over 150 chars"
    elif kind == "markdown" and not _text(block):
        return "markdown block without text"
    elif kind in _MAX_ELEMENTS and not 1 <= len(block.get("elements") or []) <= _MAX_ELEMENTS[kind]:
        return f"{kind} needs 1 to {_MAX_ELEMENTS[kind]} elements"
    return _elements_problem(_elements(block))


def _elements_problem(elements: list[JSON]) -> str | None:
    action_ids: set[str] = set()
    for element in elements:
        action_id = element.get("action_id")
        if action_id is not None:
            if len(str(action_id)) > 255:
                return "action_id over 255 chars"
            if action_id in action_ids:  # must be unique within a block
                return f"duplicate action_id {action_id!r}"
            action_ids.add(action_id)
        if element.get("type") in ("static_select", "multi_static_select"):
            problem = _select_problem(element)
            if problem:
                return problem
        if element.get("type") == "button":
            if not 1 <= len(_text(element.get("text"))) <= 75:
                return "button text must be 1 to 75 chars"
            if len(str(element.get("value", ""))) > 2000:
                return "button value over 2000 chars"
            if len(str(element.get("url", ""))) > 3000:
                return "button url over 3000 chars"
    return None


def _select_problem(element: JSON) -> str | None:
    """A static select: 1 to 100 options (text ≤ 75, value ≤ 150); initial ones among them."""
    options = element.get("options") or []
    if not 1 <= len(options) <= 100:
        return "a static select needs 1 to 100 options"
    for option in options:
        if not 1 <= len(_text(option.get("text"))) <= 75:
            return "option text must be 1 to 75 chars"
        if not 1 <= len(str(option.get("value") or "")) <= 150:
            return "option value must be 1 to 150 chars"
    values = {o.get("value") for o in options}
    if any(o.get("value") not in values for o in element.get("initial_options") or []):
        return "initial_options must be among the options"
    return None


# --- the fake -----------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, error: str, detail: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.detail = detail or error


class FakeSlack:
    """Fake Slack Web API (`POST /api/<method>`) and response URLs (`POST /response/<key>`)."""

    def __init__(self, *, user_id: str = "UBOT", bot_id: str = "BBOT", team_id: str = "T1") -> None:
        self.user_id = user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], JSON] = {}
        self.deleted: list[JSON] = []
        self.ephemerals: list[JSON] = []
        self.webhooks: list[Webhook] = []
        self.refusals: list[Refusal] = []
        self.usergroups: dict[str, list[str]] = {}  # user group id → member ids
        self.home_views: dict[str, JSON] = {}  # user id → the Home view last published
        # The assistant pane (docs/slack.md §10). agent_view: the app uses the agent
        # experience, where a setSuggestedPrompts call with thread_ts silently does nothing.
        self.agent_view = True
        self.suggested_prompts: dict[tuple[str, str | None], JSON] = {}  # (channel, thread)
        self.ignored_prompt_calls: list[JSON] = []
        self.thread_titles: dict[tuple[str, str], str] = {}
        self.workspace_domain = "test"  # <domain>.slack.com, as auth.test's url says
        self.opened_views: list[JSON] = []  # modals opened with views.open, as Slack holds them
        self._triggers: dict[str, bool] = {}  # trigger_id → already exchanged for a view
        self.count_429: Counter[str] = Counter()
        self.text_limits: dict[str, int] = {"chat.update": 4000}
        self.response_url_max_uses = 5
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_url: str | None = None  # set: apps.connections.open hands this URL out
        self.envelopes_sent: list[str] = []
        self.socket_acks: list[JSON] = []
        # Slack closes a native stream about 5 minutes after chat.startStream (docs/slack.md
        # §4); None: never.
        self.stream_lifetime: float | None = None
        self._ts_counter = 0
        self._fail_next: dict[str, deque[str]] = {}
        self._limit_next: dict[str, deque[int]] = {}
        self._windows: dict[str, tuple[int, int, float]] = {}
        # chat.postMessage per channel: a bucket of `burst` posts refilled at `rate` a second.
        self._post_bucket: tuple[int, float, int] | None = None
        self._buckets: dict[str, tuple[float, float]] = {}  # channel → (tokens, at)
        self.latency = 0.0  # seconds every Web API call takes (a Slack round trip)
        self._accepted: dict[str, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner, self._port = await serve_locally(app)

    async def close(self) -> None:
        for socket in list(self.sockets):
            await socket.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # Socket Mode: apps.connections.open hands out ws://…/socket, which says hello, carries
    # envelopes to the app and records the app's acks.

    async def send_envelope(self, payload: JSON, kind: str = "events_api") -> str:
        """Send one Socket Mode envelope to the connected app; return its envelope_id."""
        envelope_id = f"env-{len(self.socket_acks) + len(self.envelopes_sent) + 1}"
        self.envelopes_sent.append(envelope_id)
        message = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await self.sockets[-1].send_str(json.dumps(message))
        return envelope_id

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        hello = {
            "type": "hello",
            "num_connections": 1,
            "connection_info": {"app_id": "A1"},
            "debug_info": {"host": "fake"},
        }
        await socket.send_str(json.dumps(hello))
        try:
            async for message in socket:
                if message.type == web.WSMsgType.TEXT:
                    self.socket_acks.append(json.loads(message.data))
        finally:
            self.sockets.remove(socket)
        return socket

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """Web API base URL, for SLACK_API_URL / `AsyncWebClient(base_url=...)`."""
        return f"{self.base_url}/api/"

    def issue_trigger(self) -> str:
        """A fresh `trigger_id` for an interaction payload (views.open takes it once)."""
        trigger = f"{len(self._triggers) + 1}.{self.team_id}.trigger"
        self._triggers[trigger] = False
        return trigger

    def response_url(self, key: str) -> str:
        """A `response_url` for a slash command or button payload; posts land in `webhooks`."""
        return f"{self.base_url}/response/{key}"

    # scripting

    def fail_next(self, method: str, error: str = "not_in_channel", times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        self._fail_next.setdefault(method, deque()).extend([error] * times)

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and `Retry-After`."""
        self._limit_next.setdefault(method, deque()).extend([retry_after] * times)

    def stop_stream_as_user(self, channel: str, ts: str) -> None:
        """The recipient presses Stop on a streaming message: later calls get `stopped_by_user`."""
        message = self.messages[(channel, ts)]
        message["streaming"] = False
        message["stopped_by_user"] = True

    def set_rate_limit(
        self, method: str, per_minute: int, retry_after: int = 1, window: float = 60.0
    ) -> None:
        """Allow `per_minute` accepted calls of `method` per sliding `window` seconds, then 429."""
        self._windows[method] = (per_minute, retry_after, window)

    def set_channel_post_limit(
        self, burst: int = 5, per_second: float = 1.0, retry_after: int = 1
    ) -> None:
        """Limit `chat.postMessage` per channel: `burst` at once, then `per_second`, then 429.

        Slack: "1 message per second per channel, short bursts allowed" (docs/slack.md
        §3), modelled as a token bucket.
        """
        self._post_bucket = (burst, per_second, retry_after)

    # views

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts(self) -> list[Call]:
        """Every call that creates a reply message: `chat.postMessage` and `chat.startStream`."""
        return [c for c in self.calls if c.method in ("chat.postMessage", "chat.startStream")]

    def as_delivered(self, channel: str, ts: str) -> JSON | None:
        """A message as Slack puts it in a payload (e.g. a block_actions `message`), if any."""
        message = self.messages.get((channel, ts))
        return _wire(message) if message is not None else None

    def thread(self, channel: str, thread_ts: str) -> list[JSON]:
        """Visible messages of a thread (its parent too, if the bot posted it), in ts order."""
        found = [
            m
            for (c, ts), m in self.messages.items()
            if c == channel and thread_ts in (ts, m.get("thread_ts"))
        ]
        return sorted(found, key=lambda m: _ts_key(m["ts"]))

    def webhooks_to(self, key: str) -> list[Webhook]:
        return [w for w in self.webhooks if w.key == key]

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a polling deadline, part of the fakes' API
        message: str | None = None,
    ) -> None:
        """Wait (polling) until `predicate()` is true; AssertionError after `timeout` seconds."""
        await wait_until(predicate, timeout, lambda: message or self._describe())

    def _describe(self) -> str:
        calls = ", ".join(c.method + ("" if c.ok else f"({c.error})") for c in self.calls[-15:])
        return f"Slack calls (last 15): [{calls}]; refusals: {self.refusals}"

    # plumbing

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await _read_args(request)
        except ValueError:
            args = {"_invalid_body": await request.text()}
        if self.latency:
            await asyncio.sleep(self.latency)
        call = Call(method, args, CIMultiDict(request.headers))
        self.calls.append(call)
        retry_after = self._rate_limited(method, call)
        if retry_after is not None:
            call.status, call.error = 429, "ratelimited"
            self.count_429[method] += 1
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers={"Retry-After": str(retry_after)})
        try:
            result = self._dispatch(method, call)
        except _Refused as refused:
            call.error = refused.error
            if refused.error not in ("not_authed", "invalid_auth"):
                self.refusals.append(Refusal(method, refused.error, refused.detail))
            result = {"ok": False, "error": refused.error}
            if refused.detail != refused.error:
                result["response_metadata"] = {"messages": [f"[ERROR] {refused.detail}"]}
        return web.json_response(result)

    def _rate_limited(self, method: str, call: Call) -> int | None:
        if _token(call) is None:
            return None
        scripted = self._limit_next.get(method)
        if scripted:
            return scripted.popleft()
        if method == "chat.postMessage" and self._post_bucket is not None:
            limited = self._channel_limited(str(call.args.get("channel")))
            if limited is not None:
                return limited
        if method not in self._windows:
            return None
        per_window, retry_after, window = self._windows[method]
        now = time.monotonic()
        accepted = self._accepted.setdefault(method, deque())
        while accepted and accepted[0] <= now - window:
            accepted.popleft()
        if len(accepted) >= per_window:
            return retry_after
        accepted.append(now)
        return None

    def _channel_limited(self, channel: str) -> int | None:
        assert self._post_bucket is not None
        burst, rate, retry_after = self._post_bucket
        now = time.monotonic()
        tokens, at = self._buckets.get(channel, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) * rate)
        if tokens < 1.0:
            self._buckets[channel] = (tokens, now)
            return retry_after
        self._buckets[channel] = (tokens - 1.0, now)
        return None

    def _dispatch(self, method: str, call: Call) -> JSON:
        token = _token(call)
        if "_invalid_body" in call.args:
            raise _Refused("invalid_json", "the body is not valid JSON")
        if token is None:
            raise _Refused("not_authed")
        if method == "apps.connections.open":
            if not token.startswith("xapp-") or "revoked" in token:
                raise _Refused("invalid_auth")
            url = self.socket_url or self.base_url.replace("http", "ws", 1) + "/socket"
            return {"ok": True, "url": url}
        if not token.startswith("xoxb-"):
            raise _Refused("invalid_auth")
        scripted = self._fail_next.get(method)
        if scripted:
            raise _Refused(scripted.popleft(), f"scripted failure of {method}")
        if method in _CONTENT_METHODS:
            _check_content(method, call.args, self.text_limits.get(method))
        handler = self._handlers().get(method)
        return handler(call.args) if handler else {"ok": True}

    def _handlers(self) -> dict[str, Callable[[JSON], JSON]]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
            "usergroups.users.list": self._usergroup_users,
            "views.publish": self._views_publish,
            "assistant.threads.setSuggestedPrompts": self._set_suggested_prompts,
            "assistant.threads.setTitle": self._set_title,
            "views.open": self._views_open,
            "chat.getPermalink": self._get_permalink,
        }

    def _next_ts(self) -> str:
        self._ts_counter += 1
        seconds, micros = divmod(self._ts_counter, 1_000_000)
        return f"{1700000100 + seconds}.{micros:06d}"

    def _find(self, args: JSON) -> JSON:
        message = self.messages.get((str(args.get("channel")), str(args.get("ts"))))
        if message is None:
            raise _Refused(
                "message_not_found", f"no message {args.get('channel')}/{args.get('ts')}"
            )
        return message

    # methods

    def _auth_test(self, args: JSON) -> JSON:
        return {
            "ok": True,
            "url": f"https://{self.workspace_domain}.slack.com/",
            "team": "Test",
            "user": "docsbot",
            "team_id": self.team_id,
            "user_id": self.user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _new_message(self, args: JSON, **extra: Any) -> JSON:
        channel = args.get("channel")
        if not channel:
            raise _Refused("channel_not_found")
        message: JSON = {
            "channel": str(channel),
            "ts": self._next_ts(),
            "thread_ts": args.get("thread_ts") or None,
            "text": str(args.get("text") or ""),
            "blocks": list(args.get("blocks") or []),
            "markdown_text": args.get("markdown_text"),
            "metadata": args.get("metadata"),
            "user": self.user_id,
            "bot_id": self.bot_id,
            "edits": 0,
            "history": [],
            "streaming": False,
            **extra,
        }
        self.messages[(message["channel"], message["ts"])] = message
        return message

    def _post_message(self, args: JSON) -> JSON:
        message = self._new_message(args)
        return {
            "ok": True,
            "channel": message["channel"],
            "ts": message["ts"],
            "message": _wire(message),
        }

    def _update(self, args: JSON) -> JSON:
        message = self._find(args)
        if message["streaming"]:
            raise _Refused("streaming_state_conflict", "the message is still streaming")
        message["history"].append({k: message[k] for k in ("text", "blocks", "markdown_text")})
        message["edits"] += 1
        message["text"] = str(args.get("text") or "")
        message["blocks"] = list(args.get("blocks") or [])  # text without blocks removes blocks
        message["markdown_text"] = args.get("markdown_text")
        if "metadata" in args:
            message["metadata"] = args["metadata"]
        return {
            "ok": True,
            "channel": message["channel"],
            "ts": message["ts"],
            "text": message["text"],
            "message": _wire(message),
        }

    def _delete(self, args: JSON) -> JSON:
        message = self._find(args)
        del self.messages[(message["channel"], message["ts"])]
        self.deleted.append(message)
        return {"ok": True, "channel": message["channel"], "ts": message["ts"]}

    def _post_ephemeral(self, args: JSON) -> JSON:
        if not args.get("channel"):
            raise _Refused("channel_not_found")
        if not args.get("user"):
            raise _Refused("user_not_found")
        ephemeral: JSON = {
            "channel": str(args["channel"]),
            "user": str(args["user"]),
            "message_ts": self._next_ts(),
            "thread_ts": args.get("thread_ts") or None,
            "text": str(args.get("text") or ""),
            "blocks": list(args.get("blocks") or []),
            "markdown_text": args.get("markdown_text"),
        }
        self.ephemerals.append(ephemeral)
        return {"ok": True, "message_ts": ephemeral["message_ts"]}

    # native streaming (docs/slack.md §4)

    def _start_stream(self, args: JSON) -> JSON:
        if not args.get("thread_ts"):
            raise _Refused("invalid_arguments", "thread_ts is required")
        # docs/slack.md §4: always send both
        for name in ("recipient_user_id", "recipient_team_id"):
            if not args.get(name):
                raise _Refused(f"missing_{name}")
        text = _stream_text(args)
        message = self._new_message(
            {**args, "text": ""}, streaming=True, markdown_text=text, started=time.monotonic()
        )
        return {"ok": True, "channel": message["channel"], "ts": message["ts"]}

    def _streaming(self, args: JSON) -> JSON:
        message = self._find(args)
        if message.get("stopped_by_user"):
            raise _Refused("stopped_by_user", "the recipient stopped the stream")
        lifetime = self.stream_lifetime
        if lifetime is not None and time.monotonic() - message.get("started", 0.0) > lifetime:
            message["streaming"] = False  # expired: Slack closed it
        if not message["streaming"]:
            raise _Refused("message_not_in_streaming_state")
        return message

    def _append_stream(self, args: JSON) -> JSON:
        message = self._streaming(args)
        message["markdown_text"] = (message["markdown_text"] or "") + _stream_text(args)
        return {"ok": True, "channel": message["channel"], "ts": message["ts"]}

    def _stop_stream(self, args: JSON) -> JSON:
        message = self._streaming(args)
        blocks = args.get("blocks")
        if blocks is not None:
            problem = block_problem(blocks)
            if problem:
                raise _Refused("invalid_blocks", problem)
            message["blocks"] = list(blocks)  # shown under the streamed text
        message["markdown_text"] = (message["markdown_text"] or "") + _stream_text(args)
        message["streaming"] = False
        return {"ok": True, "channel": message["channel"], "ts": message["ts"]}

    # user groups and App Home

    def _usergroup_users(self, args: JSON) -> JSON:
        group = str(args.get("usergroup") or "")
        if group not in self.usergroups:
            raise _Refused("no_such_subteam", f"no user group {group!r}")
        return {"ok": True, "users": list(self.usergroups[group])}

    def _views_publish(self, args: JSON) -> JSON:
        user, view = str(args.get("user_id") or ""), args.get("view")
        if not user:
            raise _Refused("invalid_arguments", "user_id is required")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise _Refused("invalid_arguments", "view must be an object of type home")
        problem = block_problem(view.get("blocks") or [], max_blocks=100)  # a Home tab: 100
        if problem:
            raise _Refused("invalid_blocks", problem)
        self.home_views[user] = view
        return {"ok": True, "view": {"id": f"V{len(self.home_views)}", **view}}

    # the assistant pane

    def _set_suggested_prompts(self, args: JSON) -> JSON:
        channel, prompts = str(args.get("channel_id") or ""), args.get("prompts")
        if not channel:
            raise _Refused("channel_not_found", "channel_id is required")
        if not isinstance(prompts, list) or not 1 <= len(prompts) <= 4:  # "up to four"
            raise _Refused("invalid_arguments", "prompts must hold 1 to 4 prompts")
        if any(not (isinstance(p, dict) and p.get("title") and p.get("message")) for p in prompts):
            raise _Refused("invalid_arguments", "each prompt needs a title and a message")
        thread = str(args["thread_ts"]) if args.get("thread_ts") else None
        if thread is not None and self.agent_view:
            # "Including it in a call for an agent app will cause the call to silently fail".
            self.ignored_prompt_calls.append(args)
            return {"ok": True}
        self.suggested_prompts[(channel, thread)] = {"title": args.get("title"), "prompts": prompts}
        return {"ok": True}

    def _set_title(self, args: JSON) -> JSON:
        channel, thread, title = (
            str(args.get(k) or "") for k in ("channel_id", "thread_ts", "title")
        )
        if not channel:
            raise _Refused("channel_not_found", "channel_id is required")
        if not (thread and title):
            raise _Refused("invalid_arguments", "thread_ts and title are required")
        self.thread_titles[(channel, thread)] = title
        return {"ok": True}

    # modals (docs/slack.md §9)

    def _views_open(self, args: JSON) -> JSON:
        trigger, view = str(args.get("trigger_id") or ""), args.get("view")
        if not trigger:
            raise _Refused("invalid_arguments", "trigger_id is required")
        if trigger not in self._triggers:
            raise _Refused("invalid_trigger_id", f"unknown trigger_id {trigger!r}")
        if self._triggers[trigger]:
            raise _Refused("exchanged_trigger_id", f"trigger_id {trigger!r} was already used")
        problem = _modal_problem(view)
        if problem:
            raise _Refused("invalid_arguments", problem)
        assert isinstance(view, dict)
        self._triggers[trigger] = True
        opened: JSON = {
            "id": f"V{len(self.opened_views) + 1:08d}",
            "team_id": self.team_id,
            "type": "modal",
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "hash": f"{len(self.opened_views) + 1}.hash",
            "app_id": "A1",
            "bot_id": self.bot_id,
            **view,
        }
        self.opened_views.append(opened)
        return {"ok": True, "view": opened}

    # permalinks (docs/slack.md §11)

    def _get_permalink(self, args: JSON) -> JSON:
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        if not channel:
            raise _Refused("channel_not_found")
        if not ts:
            raise _Refused("message_not_found", "message_ts is required")
        message = self.messages.get((channel, ts))
        link = (
            f"https://{self.workspace_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        )
        thread = message.get("thread_ts") if message else None
        if thread and thread != ts:  # a reply: the link opens its thread
            link += f"?thread_ts={thread}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": link}

    # response_url

    async def _response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        try:
            body = json.loads(await request.text())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._webhook_refused(key, {}, 400, "invalid_payload")
        if len(self.webhooks_to(key)) >= self.response_url_max_uses:  # at most 5 uses in 30 min
            return self._webhook_refused(key, body, 404, "used_url")
        if "blocks" in body and block_problem(body["blocks"]):
            return self._webhook_refused(
                key, body, 400, "invalid_blocks", block_problem(body["blocks"])
            )
        self.webhooks.append(Webhook(key, body))
        return web.Response(text="ok")

    def _webhook_refused(
        self, key: str, body: JSON, status: int, error: str, detail: str | None = None
    ) -> web.Response:
        self.webhooks.append(Webhook(key, body, status))
        self.refusals.append(Refusal(f"response_url:{key}", error, detail or error))
        return web.Response(status=status, text=error)


def _modal_problem(view: object) -> str | None:
    """Why views.open would refuse this view, or None (Block Kit modal rules)."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return "view must be an object of type modal"
    for name in ("title", "submit", "close"):
        text = view.get(name)
        if text is not None and not (
            isinstance(text, dict)
            and text.get("type") == "plain_text"
            and 1 <= len(_text(text)) <= 24
        ):
            return f"{name} must be plain_text of 1 to 24 characters"
    if view.get("title") is None:
        return "a modal needs a title"
    blocks = view.get("blocks") or []
    problem = block_problem(blocks, max_blocks=100)
    if problem:
        return problem
    inputs = [b for b in blocks if b.get("type") == "input"]
    if inputs and view.get("submit") is None:
        return "a modal with input blocks needs submit"
    for block in inputs:
        if not isinstance(block.get("label"), dict) or not isinstance(block.get("element"), dict):
            return "an input block needs a label and an element"
    if len(str(view.get("private_metadata") or "")) > 3000:
        return "private_metadata over 3000 characters"
    if len(str(view.get("callback_id") or "")) > 255:
        return "callback_id over 255 characters"
    return None


async def _read_args(request: web.Request) -> JSON:
    args: JSON = dict(request.query)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    elif request.content_type == "application/json":
        body = json.loads(await request.text() or "{}")
        if isinstance(body, dict):
            args.update(body)
    for name in _JSON_ARGS:  # form/query callers send these as JSON strings
        if isinstance(args.get(name), str) and args[name][:1] in ("[", "{"):
            args[name] = json.loads(args[name])
    return args


def _token(call: Call) -> str | None:
    auth = call.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ")
    token = call.args.get("token")
    return str(token) if token else None


def _check_content(method: str, args: JSON, text_limit: int | None) -> None:
    text, blocks, markdown = args.get("text"), args.get("blocks"), args.get("markdown_text")
    if markdown is not None and (text or blocks):
        raise _Refused(
            "markdown_text_conflict", "markdown_text cannot be combined with text/blocks"
        )
    if not (text or blocks or markdown or args.get("attachments")):
        raise _Refused("no_text")
    if text_limit is not None and len(str(text or "")) > text_limit:
        raise _Refused("msg_too_long", f"text is {len(str(text))} chars, at most {text_limit}")
    if markdown is not None and len(str(markdown)) > 12000:
        raise _Refused(
            "msg_too_long", f"markdown_text is {len(str(markdown))} chars, at most 12000"
        )
    if blocks is not None:
        problem = block_problem(blocks)
        if problem:
            raise _Refused("invalid_blocks", problem)


def _stream_text(args: JSON) -> str:
    markdown, chunks = args.get("markdown_text"), args.get("chunks")
    if markdown is not None and chunks is not None:
        raise _Refused("cannot_provide_both_markdown_text_and_chunks")
    if markdown is not None:
        if len(str(markdown)) > 12000:
            raise _Refused("msg_too_long", f"markdown_text is {len(str(markdown))} chars")
        return str(markdown)
    pieces = [c for c in chunks or [] if isinstance(c, dict) and c.get("type") == "markdown_text"]
    return "".join(str(c.get("text", "")) for c in pieces)


def _wire(message: JSON) -> JSON:
    wire: JSON = {
        "type": "message",
        "user": message["user"],
        "bot_id": message["bot_id"],
        "ts": message["ts"],
        "text": message["text"],
    }
    if message["blocks"]:
        wire["blocks"] = message["blocks"]
    if message["thread_ts"]:
        wire["thread_ts"] = message["thread_ts"]
    return wire


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)
