"""Crash-safe replies: a journal in Redis of every reply being written, and its hand-over.

Each accepted question is recorded with what finishing it needs (``PendingReply``: where the
reply lives — channel, thread, the reply's ``ts`` once posted, or a ``/docs`` response_url —,
the question and its asker) and owned under a lease that the answering process renews:

    docsbot:reply:{id}     the record (JSON, "v": 1; TTL RECORD_TTL_SECONDS)
    docsbot:lease:{id}     the owner's id, SET PX lease (renewed every lease/3)
    docsbot:replies:due    sorted set: id → when its lease lapses (Redis's clock, ms)

A process that is killed stops renewing; every process's recovery loop asks Redis, in one
Lua script, for the replies whose lease lapsed and takes each over with ``SET NX PX`` on its
lease, so exactly one process gets it (no scan of keys: a range of the due set). The taker
finishes it (cache or a fresh Ask, editing the same message, or replacing it). A reply that
ends normally — answered, or closed with a notice — is removed, if its lease is still ours.
Times come from Redis (``TIME``), so processes' clocks never have to agree.

Why no library: job queues (RQ, arq, Celery, taskiq, redis-py's ``Lock``) run jobs *they*
dispatch; here the work is already running where Slack delivered it, must stay there while
that process lives, and the hand-over has to carry Slack's message ts and response_url and
share the store's Redis connection and circuit breaker. Three short scripts do it.
Over the ~250-line guide: the record, the journal, its entries and its scripts are one
protocol, read together.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Protocol

import redis.asyncio as redis
from redis.exceptions import RedisError

from bot.models import Asker, Question
from bot.slack.delivery.writer import ReplyTarget
from bot.store import REFUSALS, CircuitBreaker
from bot.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

LEASE_SECONDS = 15.0  # a killed process's replies are taken over within about 20 s
RECORD_TTL_SECONDS = 3600  # far past any answer (ANSWER_DEADLINE_SECONDS is 240)
DUE_KEY = "docsbot:replies:due"
TAKE_BATCH = 10


@dataclass(frozen=True, slots=True)
class PendingReply:
    """What another process needs to finish a reply: the question and where it goes."""

    question: Question
    target: ReplyTarget | None = None  # a reply in a channel or DM
    ts: str | None = None  # the reply's message, once posted
    response_url: str | None = None  # a private (/docs) answer
    replace_original: bool = False
    id: str = ""

    def to_json(self) -> str:
        """The record as stored."""
        target = self.target
        return json.dumps(
            {
                "v": 1,
                "id": self.id,
                "question": {
                    "text": self.question.text,
                    "refresh": self.question.refresh,
                    "workspace": self.question.asker.workspace,
                    "user": self.question.asker.user,
                    "conversation": self.question.asker.conversation,
                    "scope": list(self.question.scope),
                    "surface": self.question.surface,
                },
                "target": None
                if target is None
                else {
                    "channel": target.channel,
                    "thread_ts": target.thread_ts,
                    "workspace": target.workspace,
                    "user": target.user,
                    "question_ts": target.question_ts,
                },
                "ts": self.ts,
                "response_url": self.response_url,
                "replace_original": self.replace_original,
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> PendingReply | None:
        """The record, or None if it is not one this version understands."""
        try:
            data = json.loads(raw)
            if data.get("v") != 1:
                return None
            q = data["question"]
            asker = Asker(q["workspace"], q["user"], q.get("conversation"))
            target = data.get("target")
            return cls(
                question=Question(
                    text=q["text"],
                    asker=asker,
                    refresh=bool(q.get("refresh")),
                    scope=tuple(str(s) for s in q.get("scope") or ()),
                    surface=str(q.get("surface") or "resumed"),
                ),
                target=None if target is None else ReplyTarget(**target),
                ts=data.get("ts"),
                response_url=data.get("response_url"),
                replace_original=bool(data.get("replace_original")),
                id=str(data["id"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class Entry(Protocol):
    """One reply in the journal, as its writer sees it."""

    async def posted(self, ts: str) -> None:
        """The reply's first message is ts: a taker edits it instead of posting anew."""
        ...

    async def done(self) -> None:
        """The reply ended (answer or notice): nobody needs to take it over."""
        ...


Resume = Callable[[PendingReply, Entry], Coroutine[Any, Any, None]]


class Journal(Protocol):
    """Where replies in flight are recorded."""

    async def record(self, reply: PendingReply) -> Entry:
        """Record reply as in flight and owned by this process."""
        ...

    def start(self, resume: Resume) -> None:
        """Start renewing leases and taking over replies other processes left."""
        ...

    def quiesce(self) -> None:
        """Take over nothing more (shutting down); leases are still renewed."""
        ...

    async def stop(self) -> None:
        """Stop the loops (replies still recorded stay for a peer or a restart)."""
        ...


class _NoEntry:
    async def posted(self, ts: str) -> None:
        return None

    async def done(self) -> None:
        return None


class NoJournal:
    """Without Redis: nothing is recorded, so a killed process's replies stay as they were."""

    ENTRY: Entry = _NoEntry()

    async def record(self, reply: PendingReply) -> Entry:
        return self.ENTRY

    def start(self, resume: Resume) -> None:
        return None

    def quiesce(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisEntry:
    """A reply this process owns in the Redis journal."""

    def __init__(self, journal: RedisJournal, reply: PendingReply) -> None:
        self._journal = journal
        self.reply = reply

    async def posted(self, ts: str) -> None:
        if self.reply.ts == ts:
            return
        self.reply = replace(self.reply, ts=ts)
        await self._journal.update(self.reply)

    async def done(self) -> None:
        await self._journal.remove(self.reply.id)


class RedisJournal:
    """The journal on Redis: record, renew, take over, remove (see the module docstring)."""

    def __init__(
        self,
        client: redis.Redis,
        breaker: CircuitBreaker,
        tasks: BackgroundTasks,
        *,
        prefix: str = "",
        lease: float = LEASE_SECONDS,
    ) -> None:
        self._redis = client
        self._breaker = breaker
        self._prefix = prefix
        self._lease_ms = max(1, int(lease * 1000))
        self._interval = lease / 3
        self.owner = uuid.uuid4().hex
        self._owned: dict[str, RedisEntry] = {}
        self._scripts = {name: client.register_script(src) for name, src in _SCRIPTS.items()}
        self._tasks = tasks
        self._loop: asyncio.Task[None] | None = None
        self._taking = True
        self._failing = False

    def _keys(self, reply_id: str) -> list[str]:
        p = self._prefix
        return [f"{p}docsbot:reply:{reply_id}", f"{p}docsbot:lease:{reply_id}", p + DUE_KEY]

    async def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script; None when Redis is skipped or fails (the reply is then not journaled)."""
        if self._breaker.open:
            return None
        try:
            result = await self._scripts[script](keys=keys, args=args)
        except REFUSALS as exc:
            self._unjournaled(f"redis refused {script}: {exc}")
        except (RedisError, OSError) as exc:
            self._breaker.failed()
            self._unjournaled(f"redis unavailable for {script}: {exc}")
        else:
            if self._failing:
                logger.warning("reply journal: recording replies again")
            self._failing = False
            return result
        return None

    def _unjournaled(self, why: str) -> None:
        if not self._failing:  # once per spell, not once per question
            logger.warning("reply journal: replies are not crash-safe for now: %s", why)
        self._failing = True

    async def record(self, reply: PendingReply) -> Entry:
        reply = replace(reply, id=uuid.uuid4().hex)
        entry = RedisEntry(self, reply)
        self._owned[reply.id] = entry
        args = [reply.to_json(), self.owner, self._lease_ms, RECORD_TTL_SECONDS * 1000, reply.id]
        await self._run("record", self._keys(reply.id), args)
        return entry

    async def update(self, reply: PendingReply) -> None:
        """Store the reply's record again (its ts changed), if the lease is still ours."""
        await self._run("update", self._keys(reply.id), [reply.to_json(), self.owner])

    async def remove(self, reply_id: str) -> None:
        """Forget a reply that ended, unless another process has taken it over meanwhile."""
        self._owned.pop(reply_id, None)
        await self._run("done", self._keys(reply_id), [self.owner, reply_id])

    async def renew(self) -> None:
        """Extend the leases of every reply this process is writing."""
        if not self._owned:
            return
        p = self._prefix
        ids = list(self._owned)
        keys = [p + DUE_KEY, *(f"{p}docsbot:lease:{i}" for i in ids)]
        lost = await self._run("renew", keys, [self.owner, self._lease_ms, *ids])
        for reply_id in lost or []:
            text = reply_id.decode() if isinstance(reply_id, bytes) else str(reply_id)
            logger.warning("reply %s was taken over by another process", text)
            self._owned.pop(text, None)

    async def take_over(self) -> list[tuple[PendingReply, RedisEntry]]:
        """Take the replies whose lease lapsed; this process now owns them."""
        p = self._prefix
        args = [self.owner, self._lease_ms, TAKE_BATCH, p]
        taken = await self._run("take", [p + DUE_KEY], args) or []
        result = []
        for raw in taken:
            reply = PendingReply.from_json(raw)
            if reply is None:
                logger.warning("reply journal: dropped a record it cannot read")
                continue
            entry = RedisEntry(self, reply)
            self._owned[reply.id] = entry
            result.append((reply, entry))
        return result

    def start(self, resume: Resume) -> None:
        self._loop = asyncio.create_task(self._keep(resume), name="recovery.loop")

    def quiesce(self) -> None:
        self._taking = False

    async def _keep(self, resume: Resume) -> None:
        while True:
            await self.renew()
            for reply, entry in await self.take_over() if self._taking else []:
                logger.warning("taking over reply %s left by a stopped process", reply.id)
                self._tasks.spawn(resume(reply, entry), name="recovery.resume")
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.cancel()
            await asyncio.wait({loop})


_SCRIPTS = {
    # KEYS: record, lease, due. ARGV: json, owner, lease ms, record ttl ms, id.
    "record": """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return 1
""",
    # KEYS: record, lease, due. ARGV: json, owner.
    "update": """
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
return 1
""",
    # KEYS: record, lease, due. ARGV: owner, id. A lapsed lease nobody took is still ours.
    "done": """
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
""",
    # KEYS: due, lease of each id. ARGV: owner, lease ms, ids... Returns the ids lost.
    "renew": """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local lost = {}
for i = 2, #KEYS do
  local id = ARGV[i + 1]
  local holder = redis.call('GET', KEYS[i])
  if holder == ARGV[1] or (not holder and redis.call('ZSCORE', KEYS[1], id)) then
    -- ours, or lapsed (a slow renewal) with nobody having taken it: ours again
    redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), id)
  elseif holder then
    table.insert(lost, id)
  end
end
return lost
""",
    # KEYS: due. ARGV: owner, lease ms, batch, key prefix. Returns the records taken. (It
    # builds the record and lease keys from the due set's ids: fine on one Redis, not on a
    # Redis Cluster, which the bot does not support.)
    "take": """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local taken = {}
for _, id in ipairs(due) do
  local record = redis.call('GET', ARGV[4] .. 'docsbot:reply:' .. id)
  if not record then
    redis.call('ZREM', KEYS[1], id)
  elseif redis.call('SET', ARGV[4] .. 'docsbot:lease:' .. id, ARGV[1], 'NX', 'PX', ARGV[2]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
    table.insert(taken, record)
  end
end
return taken
""",
}
