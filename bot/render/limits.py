"""Discord's size limits, in one place: every renderer cuts its text to these.

The numbers are Discord's (https://discord.com/developers/docs/resources/message#embed-object-embed-limits
and the component and interaction references); the renderers' own, smaller choices (a teaser, a digest
line) stay with the renderer that makes them.
"""

from __future__ import annotations

MESSAGE_CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR_NAME = 256
#: All the text of one embed together (title, description, fields, footer, author).
EMBED_TOTAL = 6000
THREAD_NAME = 100
BUTTON_LABEL = 80
BUTTON_URL = 512
CUSTOM_ID = 100
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100
