"""`python -m bot`: run the bot, migrate the store, sync commands, preview feeds, digest a source, ask.

Every failure a person can cause (a bad setting, an unreachable source, a database from the future) ends
in one clear line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot import __version__
from bot.logs import register_secrets, setup_logging
from bot.settings import Settings, SettingsError, load_settings
from bot.store import Store, StoreError
from bot.store.pg import redact, url_passwords

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOURCE = 3
EXIT_STORE = 4
EXIT_RUN = 5

OFFLINE_NOTICE = """\
DISCORD_TOKEN is not set, so the bot cannot connect to Discord. To run it for real, create an
application at https://discord.com/developers/applications, copy its bot token into a `.env` file
(see `.env.example`) as DISCORD_TOKEN=..., invite it with the scopes `bot applications.commands`,
and run this command again. Until then, here is an offline preview of what it would post for the
configured feeds, with digests from the embedded offline summarizer:
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="The AI Daily Brief community bot: feed announcements, digests, polls, threads.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser(
        "run",
        help="run the bot (without DISCORD_TOKEN: an offline preview)",
        description="Connect to Discord and run. Without DISCORD_TOKEN, print an offline preview instead.",
    )
    sub.add_parser(
        "migrate",
        help="create or upgrade the database, then exit",
        description="Apply every pending migration to the database (DATABASE_URL, else DATABASE_PATH) "
        "and print the schema version.",
    )
    sync = sub.add_parser(
        "sync",
        help="sync the slash commands with Discord",
        description="Register the slash commands with Discord (globally, or in one guild for testing).",
    )
    sync.add_argument(
        "--guild", type=int, metavar="ID", help="sync to this guild only (instant, for testing)"
    )

    preview = sub.add_parser(
        "preview",
        help="print what the bot would do with each item of feeds, and why",
        description=(
            "Fetch and parse feeds and print, per item, what the bot would do (announce, first run, too "
            "old, daily cap, duplicate) and why, without Discord."
        ),
    )
    preview.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="feed URL or local file (default: configured feeds)"
    )
    preview.add_argument("--json", action="store_true", help="one JSON object per item")
    preview.add_argument("--limit", type=int, default=5, metavar="N", help="items per feed (default 5)")
    poll = preview.add_mutually_exclusive_group()
    poll.add_argument(
        "--newest", type=int, default=0, metavar="N", help="first read announcing the newest N (as feed add)"
    )
    poll.add_argument(
        "--followed", action="store_true", help="decide as a later poll of a followed feed, not a first read"
    )

    copy_db = sub.add_parser(
        "copy-db",
        help="copy the SQLite database into an empty PostgreSQL database",
        description="Copy every table of the SQLite database (DATABASE_URL or DATABASE_PATH) into an empty "
        "PostgreSQL database, rebuild its search index and compare row counts. Nothing is copied into a "
        "database that already holds data.",
    )
    copy_db.add_argument("--to", required=True, metavar="URL", help="postgresql://USER:PASSWORD@HOST:PORT/DB")

    digest = sub.add_parser(
        "digest",
        help="summarize a transcript, HTML file, or stored episode",
        description="Print the digest of a local text/HTML/VTT/SRT file or of an episode key from the store.",
    )
    digest.add_argument("source", metavar="SOURCE", help="a local file, or an episode key from the store")
    digest.add_argument("--json", action="store_true", help="print the digest as one JSON object")
    digest.add_argument(
        "--backend", choices=["auto", "llm", "offline"], default="auto", help="which summarizer to use"
    )
    ask = sub.add_parser(
        "ask",
        help="answer a question from the stored archive, with citations",
        description="Answer a question from the transcripts, notes and digests in the database, cited.",
    )
    ask.add_argument("question", metavar="QUESTION", help='e.g. "when did they first talk about Llama 4?"')
    ask.add_argument("--json", action="store_true", help="print the answer and citations as JSON")
    ask.add_argument(
        "--backend", choices=["auto", "llm", "offline"], default="auto", help="who writes the answer"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    setup_logging(settings.log_level)
    register_secrets(
        secret.get_secret_value()
        for secret in (settings.discord_token, settings.openai_api_key, settings.poll_secret)
        if secret is not None
    )
    register_secrets(url_passwords(settings.database_url, getattr(args, "to", None)))
    try:
        return asyncio.run(_dispatch(args, settings))
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import RunError, run_bot, sync_commands

    try:
        if args.command == "run":
            if settings.discord_token is None:
                print(OFFLINE_NOTICE, file=sys.stderr)
                return await _offline_preview(settings)
            await run_bot(settings)
            return EXIT_OK
        if args.command == "migrate":
            from bot.ask.indexer import drain

            store = await Store.open(settings.database, pool_size=settings.database_pool_size)
            try:
                version = await store.schema_version()
                rebuilt = await drain(store.ask)  # the archive becomes /ask passages now, not at start-up
            finally:
                await store.close()
            print(f"database {redact(str(settings.database))} is at schema version {version}")
            if rebuilt:
                print(f"/ask passages built for {rebuilt} episodes and issues")
            return EXIT_OK
        if args.command == "copy-db":
            from bot.store.copy_cli import copy_db_command

            return await copy_db_command(settings, args.to)
        if args.command == "sync":
            count = await sync_commands(settings, args.guild)
            where = f"guild {args.guild}" if args.guild else "all guilds (global)"
            print(f"synced {count} commands to {where}")
            return EXIT_OK
        if args.command == "preview":
            from bot.preview import preview_command
            from bot.preview_decide import PreviewMode

            mode = PreviewMode(followed=args.followed, newest=args.newest)
            return await preview_command(
                settings, args.sources, as_json=args.json, limit=args.limit, mode=mode
            )
        if args.command == "digest":
            from bot.digest.cli import digest_command

            return await digest_command(settings, args.source, as_json=args.json, backend=args.backend)
        if args.command == "ask":
            from bot.ask.cli import ask_command

            return await ask_command(settings, args.question, as_json=args.json, backend=args.backend)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STORE
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RUN
    raise AssertionError(f"unhandled command {args.command}")


async def _offline_preview(settings: Settings) -> int:
    from bot.preview import offline_run

    return await offline_run(settings)
