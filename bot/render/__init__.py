"""Rendering of the bot's messages as discord.py objects, kept apart from the cogs that send them."""
