from __future__ import annotations

from bot.slack.scopes import ChannelScopes
from bot.store import MemoryStore, Store


async def test_a_channel_without_scope_searches_the_whole_site(store: Store) -> None:
    assert await ChannelScopes(store).get("T1", "C1") == ()


async def test_scopes_are_kept_per_workspace_and_channel(store: Store) -> None:
    scopes = ChannelScopes(store)
    await scopes.set("T1", "C1", ["sitesp_2", "sitesp_1", "sitesp_2"])
    assert await scopes.get("T1", "C1") == ("sitesp_2", "sitesp_1")
    assert await scopes.get("T1", "C2") == ()
    assert await scopes.get("T2", "C1") == ()


async def test_an_empty_scope_clears_it(store: Store) -> None:
    scopes = ChannelScopes(store)
    await scopes.set("T1", "C1", ["sitesp_1"])
    await scopes.set("T1", "C1", [])
    assert await scopes.get("T1", "C1") == ()


async def test_scopes_are_versioned_json_and_unreadable_ones_are_ignored() -> None:
    store = MemoryStore()
    await ChannelScopes(store).set("T1", "C1", ["sitesp_1"])
    assert await store.get("docsbot:scope:T1:C1") == '{"v": 1, "site_spaces": ["sitesp_1"]}'
    await store.set("docsbot:scope:T1:C1", '{"v": 2, "site_spaces": ["x"]}', None)
    assert await ChannelScopes(store).get("T1", "C1") == ()
    await store.set("docsbot:scope:T1:C1", "not json", None)
    assert await ChannelScopes(store).get("T1", "C1") == ()
