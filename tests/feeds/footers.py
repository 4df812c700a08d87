"""Item bodies in the shapes hosting platforms publish, written here (no real item is copied).

Each constant is the HTML a feed carries in `description` / `content:encoded`: the episode's own words
(which must survive cleaning) followed, or preceded, by the platform's boilerplate (which must not).
`EPISODE_WORDS` / `NOT_SHOWN` per fixture list what a member must and must not read.
"""

from __future__ import annotations

# Anchor / Spotify for Podcasters: show notes with a "Brought to you by:" sponsor list, then the platform's
# footer after a `--- ` paragraph, its link going through the sponsor-tracking redirect, and the
# "Support this podcast" call to action.
ANCHOR_SPONSOR_REDIRECT = (
    "https://anchor.fm/s/f7cac464/podcast/sponsor/a3bq7k1/url/https%3A%2F%2Fanchor.fm%2Fapp"
)
ANCHOR_PLAY_URL = (
    "https://anchor.fm/s/f7cac464/podcast/play/98765432/"
    "https%3A%2F%2Fd3ctxlq1ktw2nl.cloudfront.net%2Fstaging%2F2025-1-17%2Fsample-audio.mp3"
)
ANCHOR = (
    "<p>Open-weights labs closed most of the gap on coding benchmarks this week, and the closed labs "
    "answered with price cuts.</p>"
    "<p>Read the lab's own write-up: <a href=\"https://example.org/blog/open-coder?utm_source=aidb"
    '&amp;utm_medium=podcast&amp;fbclid=IwAR0abc&amp;id=42">example.org/blog/open-coder</a></p>'
    "<p>Brought to you by:</p>"
    "<p>KPMG – Discover how AI is changing what your firm can do. Listen to the new podcast at "
    '<a href="https://www.kpmg.us/AIpodcasts">https://www.kpmg.us/AIpodcasts</a></p>'
    '<p>Blitzy.com - Go to <a href="https://blitzy.com/">https://blitzy.com/</a> to build software '
    "in days</p>"
    '<p>Vanta - Simplify compliance - <a href="https://vanta.com/nlw">https://vanta.com/nlw</a></p>'
    "<p>The AI Daily Brief helps you understand the most important news in AI.</p>"
    "<p>--- </p>"
    "<p>This episode is sponsored by <br> · Anchor: The easiest way to make a podcast.  "
    f'<a href="{ANCHOR_SPONSOR_REDIRECT}">https://anchor.fm/app</a></p>'
    '<p>Support this podcast: <a href="https://podcasters.spotify.com/pod/show/aidailybrief/support">'
    "https://podcasters.spotify.com/pod/show/aidailybrief/support</a></p>"
)
ANCHOR_WORDS = ("closed most of the gap", "price cuts", "helps you understand the most important news")
ANCHOR_NOT_SHOWN = (
    "sponsored by", "Anchor: The easiest", "anchor.fm", "KPMG", "Blitzy", "Vanta", "Brought to you by",
    "Support this podcast", "utm_", "fbclid", "---",
)  # fmt: skip

# Anchor's plain-text form (itunes:summary, older feeds): the footer glued to the last sentence.
ANCHOR_PLAIN = (
    "We walk through the new chip export rules and what they mean for open models. --- "
    "Send in a voice message: https://anchor.fm/aidailybrief/message"
)

# beehiiv: the issue, then a paragraph holding only a backslash, a rule, and "Powered by beehiiv"
# linking with beehiiv's utm parameters.
BEEHIIV = (
    '<div class="beehiiv"><h2>Agents go to work</h2>'
    "<p>Three enterprise agent launches in one week, and what they say about where budgets go.</p>"
    '<p>Read the announcement <a href="https://example.com/news/agents?utm_source=aidailybrief.beehiiv.com'
    '&amp;utm_medium=newsletter&amp;utm_campaign=agents-go-to-work&amp;_bhlid=8f2e1a">here</a>.</p>'
    "<p>\\</p><hr>"
    '<p>Powered by <a href="https://www.beehiiv.com/?utm_campaign=5f1a2b3c-agents-go-to-work'
    '&amp;utm_medium=post_rss&amp;utm_source=ai_daily_brief">beehiiv</a></p></div>'
)
BEEHIIV_WORDS = ("Agents go to work", "Three enterprise agent launches", "https://example.com/news/agents")
BEEHIIV_NOT_SHOWN = ("Powered by", "beehiiv.com", "utm_", "_bhlid", "\\", "---")

# Substack (podcast episodes of a publication): the "Thank you for subscribing" line with comment/share
# links, and "Get full access" to the publication.
SUBSTACK = (
    "<p>A long conversation about evaluation: why leaderboards saturate and what replaces them.</p>"
    "<p>Thank you for subscribing. "
    '<a href="https://aiweekly.substack.com/p/evals-after-leaderboards/comments?utm_medium=podcast'
    '&amp;utm_campaign=CTA_5">Leave a comment</a> or '
    '<a href="https://aiweekly.substack.com/p/evals-after-leaderboards?utm_source=substack'
    '&amp;utm_medium=podcast&amp;utm_content=share&amp;action=share&amp;token=eyJ1c2VyX2lkIjo">'
    "share this episode</a>.</p>"
    "<p>Get full access to AI Weekly at "
    '<a href="https://aiweekly.substack.com/subscribe?utm_medium=podcast&amp;utm_campaign=CTA_4">'
    "aiweekly.substack.com/subscribe</a></p>"
)
SUBSTACK_WORDS = ("why leaderboards saturate",)
SUBSTACK_NOT_SHOWN = ("Thank you for subscribing", "Get full access", "substack.com", "utm_")

# Buzzsprout: the fan-mail text link on top, "Support the show" at the bottom.
BUZZSPROUT = (
    '<p><a href="https://www.buzzsprout.com/twilio/text_messages/2302487/open_sms">Send us a text</a></p>'
    "<p>Robots in warehouses: which tasks moved first and why picking is still hard.</p>"
    '<p><a href="https://www.buzzsprout.com/2302487/support" rel="payment">Support the show</a></p>'
)
BUZZSPROUT_WORDS = ("Robots in warehouses", "picking is still hard")
BUZZSPROUT_NOT_SHOWN = ("Send us a text", "Support the show", "buzzsprout")

# Libsyn (its AdvertiseCast marketplace line).
LIBSYN = (
    "<p>The state of open-source licensing after the latest model releases.</p>"
    "<p>Advertise on AI Licensing Hour via AdvertiseCast: "
    '<a href="https://www.advertisecast.com/AILicensingHour">https://www.advertisecast.com/AILicensingHour'
    "</a></p>"
)
LIBSYN_WORDS = ("open-source licensing",)
LIBSYN_NOT_SHOWN = ("AdvertiseCast", "advertisecast")

# Megaphone: the ad-choices sentence appended to the last paragraph.
MEGAPHONE = (
    "<p>Data centers and the grid: who pays for the power. "
    'Learn more about your ad choices. Visit <a href="https://megaphone.fm/adchoices">megaphone.fm/adchoices'
    "</a></p>"
)
MEGAPHONE_WORDS = ("Data centers and the grid: who pays for the power.",)
MEGAPHONE_NOT_SHOWN = ("ad choices", "megaphone")

# Transistor: the "Creators & Guests" block listing the people, and the show's subscribe page.
TRANSISTOR = (
    "<p>How small teams ship reasoning models on a budget.</p>"
    "<h3>Creators &amp; Guests</h3><ul>"
    '<li>Host - <a href="https://transistor.fm/people/1">Sam Host</a></li>'
    '<li>Guest - <a href="https://transistor.fm/people/2">Ada Guest</a></li></ul>'
    '<p><a href="https://smallteams.transistor.fm/subscribe">Subscribe to Small Teams</a></p>'
)
TRANSISTOR_WORDS = ("reasoning models on a budget",)
TRANSISTOR_NOT_SHOWN = ("Creators", "Sam Host", "transistor.fm")

PLATFORMS = {
    "anchor": (ANCHOR, ANCHOR_WORDS, ANCHOR_NOT_SHOWN),
    "beehiiv": (BEEHIIV, BEEHIIV_WORDS, BEEHIIV_NOT_SHOWN),
    "substack": (SUBSTACK, SUBSTACK_WORDS, SUBSTACK_NOT_SHOWN),
    "buzzsprout": (BUZZSPROUT, BUZZSPROUT_WORDS, BUZZSPROUT_NOT_SHOWN),
    "libsyn": (LIBSYN, LIBSYN_WORDS, LIBSYN_NOT_SHOWN),
    "megaphone": (MEGAPHONE, MEGAPHONE_WORDS, MEGAPHONE_NOT_SHOWN),
    "transistor": (TRANSISTOR, TRANSISTOR_WORDS, TRANSISTOR_NOT_SHOWN),
}
