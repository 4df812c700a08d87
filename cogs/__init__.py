"""Thin Discord adapters: each module turns events and slash commands into calls on the core in `bot/`.

Every public module here is loaded as an extension at start-up (see `bot.client.extension_names`).
"""
