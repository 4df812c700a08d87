"""Real-style sources written for these tests and the digest quality benchmark (no real episode text).

Each `Sample` is shaped like what publishers actually send: an Anchor-style transcript that opens with
the show-notes header glued to the description, speech-to-text misspellings, spoken sponsor reads, show
notes with a "Brought to you by:" block, a newsletter issue with a sponsored section, and a feed that is
not about AI at all. Each carries hand-written lists of its main beats (cue words a key point covering
the beat would contain), the entities a careful reader would list, and the sponsor brands it mentions.
The brands, people other than well-known public figures, and web addresses are invented.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.digest.models import SourceKind


@dataclass(frozen=True, slots=True)
class Sample:
    """One source with the answers a reader would expect from its digest."""

    name: str
    title: str
    text: str
    kind: SourceKind
    description: str
    #: Each beat is a tuple of cue groups ("a|b" = either word); a point covers it with 2 groups (or all).
    beats: tuple[tuple[str, ...], ...]
    entities: frozenset[str]
    sponsors: tuple[str, ...]
    about_ai: bool = True


ESSAY_TITLE = "Why America Must Win the Open-Source AI Race"

ESSAY_DESCRIPTION = """\
With China's DeepSeek R1 showing that open models can keep pace with the best closed systems, a new \
op-ed argues that America has to win the open-source AI race. NLW reads the piece in full and then \
argues with it: where it is right about standards and trust, and where the race framing breaks down.

Brought to you by:
Ledgerline - Close your books in days, not weeks. Go to https://ledgerline.example/brief
Brightwork - Agents that do the busywork for your finance team: https://brightwork.example/agents
Quillmark - Use code BRIEF for 20% off your first year at https://quillmark.example

Subscribe to the newsletter: https://newsletter.example/aidb
Join our Discord: https://discord.example/aidb
"""

ESSAY = """\
The AI Daily Brief: Artificial Intelligence News and Analysis
Episode: Why America Must Win the Open-Source AI Race
Episode Date: February 17, 2025With China's DeepSeek R1 showing that open models can keep pace with the \
best closed systems, a new op-ed argues that America has to win the open-source AI race.

Today's episode is brought to you by Ledgerline. If your finance team still closes the books with a \
tangle of spreadsheets, you know how painful the last week of every month can be. Ledgerline connects \
to your bank feeds and your accounting system and reconciles everything automatically. Teams using it \
close their books in days instead of weeks. Go to ledgerline.example slash brief to book a demo today.

Welcome back to the AI Daily Brief. Today we are doing something a little different. Instead of a \
normal news episode, I am going to read you an op-ed that has been making the rounds this week, and then \
I am going to argue with it, because I think it gets some very important things right and at least one \
very important thing wrong. The piece is by Tara Whitfield, a policy researcher who has spent the last \
decade studying how technology standards spread between countries. Whitfield writes that the United \
States is about to lose a race it does not even know it is running. So here is the op-ed, lightly \
trimmed for time.

For two years, Whitfield writes, the American conversation about artificial intelligence assumed that \
the frontier belonged to a handful of closed labs in San Francisco. Then DeepSeek released R1, a \
reasoning model whose weights anyone can download, and it matched the best American systems on the \
math and coding benchmarks that the industry uses to keep score. It did so at a fraction of the \
reported training cost. The researchers behind it published a long technical paper explaining how they \
did it. Within days, thousands of developers had the model running on their own hardware. A few weeks \
later the same lab put out Janus Pro, an image model that was also released with open weights.

Whitfield spends a few paragraphs on why this should not have been a surprise. The research behind R1 \
was not secret. Most of the techniques it used had been described in papers by American and European \
researchers over the previous two years, and the DeepSeek team said as much in its own write-up. What \
was new was the willingness to put all of it together, train the result cheaply, and then hand the \
weights to the world under a license that lets anyone build a business on top of them. In her telling, \
that last decision mattered more than any benchmark score. A model that sits behind an interface is a \
product you rent. A model whose weights you can download is a foundation you own.

The reaction in Silicon Valley was close to panic. Mark Andresen called R1 AI's Sputnik moment, and the \
comparison stuck because it captured the feeling of a country that had assumed it was ahead and \
suddenly discovered it was not. Nvidia lost hundreds of billions of dollars of market value in a single \
day as investors wondered whether the world needed quite so many expensive chips. Whitfield argues that \
the market was asking the wrong question. The real question, she writes, is not how cheaply a model can \
be trained. The real question is whose model becomes the default that everyone else builds on.

Here is the heart of her argument. Open models, she writes, are not just products. They are standards. \
When a startup in Jakarta or a hospital in Nairobi or a ministry in Brasilia picks a model to build on, \
they pick the one they can download, inspect, modify and run on their own machines. Every one of those \
choices carries the values, the defaults and the blind spots of the lab that trained the model. The \
country that sets the open standard sets the rules for everyone who builds on top of it. That line is, \
I think, the single most important sentence in the whole piece, and I will come back to it.

Whitfield then turns to Washington. She notes that Dario Amadeh, the chief executive of Anthropic, has \
argued that the answer to DeepSeek is tighter export controls on advanced chips, so that Chinese labs \
cannot train the next generation of models at all. She takes that position seriously. But she argues \
that export controls alone are a defensive strategy, and that a defensive strategy cannot win a \
standards race. You cannot embargo a file that has already been downloaded a million times. Her \
proposal is that the American government should treat open models the way it once treated the early \
internet: fund them, give researchers access to public compute, and make it easy for American labs to \
release weights without fear of liability for every downstream use.

To make the case, Whitfield reaches back into history. She reminds readers that the internet itself \
runs on open protocols that American researchers designed and gave away, and that the country gained \
enormously from having its engineers write the rules everyone else followed. She points to Linux, \
which started as a hobby project and ended up running most of the servers on the planet, and to the \
way Android spread across the developing world because handset makers could adopt it for free. In \
each case, she argues, the winner was not the country with the best closed product but the one whose \
open work became the thing everyone else assumed. Her fear is that in AI, the open foundation of the \
next decade is being poured in Hangzhou rather than in Palo Alto, and that American policy makers are \
too busy arguing about chatbots to notice.

She saves her sharpest words for the closed labs themselves. Whitfield writes that OpenAI, Anthropic \
and Google have spent two years telling Washington that open weights are dangerous, while quietly \
benefiting from the absence of open competition. She points to Meta as the exception, because Llama \
showed that an American company could release a capable open model and still build a business. Her \
conclusion is blunt. If America wants its values inside the world's AI systems, she writes, it has to \
ship those values in the open, because the closed systems will only ever reach the people who can \
afford the subscription.

That is the op-ed. Before I get into where I agree and where I disagree, let's take a quick break to \
thank today's sponsors. Today's episode is also brought to you by Brightwork. Brightwork builds AI agents \
for finance and operations teams. Their agents read your invoices, chase late payments and update your \
ledger while your people focus on the work that actually needs judgment. Companies using Brightwork \
agents report saving twenty hours a week per team. Head to brightwork.example slash agents to see the \
agents in action and start a free pilot.

Okay, so where does Whitfield get it right. I think she is completely right that open models behave \
like standards. We have watched this happen already. Llama became the base for thousands of fine-tuned \
models, and a lot of the research community now reaches for DeepSeek's architecture papers first. When \
a developer downloads an open model, they are not just getting software, they are getting a set of \
assumptions about what a model should refuse, what it should say about history and politics, and what \
it is for. That matters, and anyone who has tested R1 on questions about Tiananmen Square knows exactly \
what I mean.

She is also right that the closed labs have been inconsistent. After R1 came out, Sam Altman said that \
OpenAI had been on the wrong side of history on open source and that the company needed a different \
strategy. It is remarkable to hear the head of the most important closed lab say that out loud. It \
tells you that even the people with the most to lose from open competition see where the wind is \
blowing.

It is also worth saying that the Chinese open ecosystem is not just DeepSeek. Alibaba has been \
releasing its Qwen models with open weights for more than a year, and a lot of the fine-tuned models \
that topped the community leaderboards last autumn were built on them. When developers pick a base \
model, they look at license terms, at how well it handles their language, at how easy it is to run on \
the hardware they already have, and at whether the community has already built tools around it. On \
several of those measures, the Chinese releases have simply been more generous. Meta's Llama license, \
for example, still carries restrictions for very large companies, and that has pushed some builders \
toward alternatives with fewer strings attached.

And then there is the question of what a model like Janus Pro tells us. It is not the most capable \
image model in the world, and the people who have tested it say it is behind the best closed systems \
on quality. But it arrived with open weights, a clear paper, and a permissive license, within weeks of \
R1. The message to developers was that this lab ships, and ships openly, again and again. Consistency \
builds trust in a way that a single big release never does, and I think American labs have \
underestimated how much developers value knowing that the next version will be open too.

But here is where I part ways with her. The race framing does a lot of work in this op-ed, and I do \
not think it holds up. A race implies a finish line, and a winner who takes everything. Open models do \
not work like that. When DeepSeek published R1, American labs read the paper and learned from it within \
a week. When Meta published Llama, Chinese labs did exactly the same thing. Open research flows in every \
direction at once. If you treat it as a race between countries, you end up with policies that try to \
keep your own open models away from the other side, which is a contradiction in terms.

The second problem is that the op-ed underrates how far ahead the closed frontier still is on the \
hardest tasks. OpenAI's O3 is still the model to beat on difficult reasoning problems, and Anthropics \
Clod 3 Opus and its successors remain the default for a huge number of professional coding teams. \
Elon Musk's xAI keeps pushing GROC as well. The people paying for these models are not confused about \
what they are getting. For a lot of real work, the closed systems are simply better today, and any \
honest account of this moment has to start there.

Which brings me back to that line about standards. The country that sets the open standard sets the \
rules. I think the more accurate version is that the labs that ship the most useful open models set \
the defaults, and the defaults are sticky. That is a reason for American labs to release more open \
weights, not because it wins a race, but because trust and cost matter to every company that builds \
on these models. A model you can run on your own hardware is a model you can audit, and that is worth \
a lot.

I want to spend a minute on cost, because I think it is the part of this story that businesses feel \
most directly, and it is mostly missing from the op-ed. Over the last year I have talked to a lot of \
people who run AI projects inside large companies, and the pattern is remarkably consistent. They start \
with a closed model through an interface, because it is the fastest way to get something working. Then \
the pilot succeeds, usage grows, and the monthly bill becomes a line item that the finance department \
asks about. At that point a surprising number of them start experimenting with open models that they \
can host themselves, not because of geopolitics, and not because of values, but because the unit \
economics are better for the narrow tasks they actually run every day. That shift is happening whether \
or not Washington decides to fund anything.

A listener who works at a regional bank sent me a note about this after last week's episode. Her team \
had built a document assistant on a closed model, and it worked well, but their compliance group would \
not sign off on sending customer files to an outside provider. They switched to a Llama model running \
in their own data center, accepted a small drop in quality, and shipped. I hear versions of that story \
every week. None of those teams think of themselves as soldiers in a race with China. They think of \
themselves as people trying to get a project past legal.

There is also a harder version of Whitfield's argument that I think deserves a fair hearing. If most of \
the world's developers build on Chinese open models, then the research agenda of the whole field starts \
to bend toward what those labs find interesting, and the safety norms that come baked into the weights \
are whatever those labs decided they should be. That is a real concern, and it is one reason I would \
like to see American labs publish more, not less. The answer to someone else's open model is a better \
open model, not a rule that says nobody here is allowed to make one.

On export controls, I end up somewhere between Whitfield and Amadeh. I think chip controls have bought \
time, and I think Anthropic is right that compute is the real bottleneck for the next generation of \
models. But Whitfield is right that controls do nothing about weights that are already public. The two \
policies need to be designed together, and right now they are mostly designed by different people who \
do not talk to each other.

One more quick thing before we wrap up, a word from our sponsor Quillmark. Quillmark turns your rough \
meeting notes into clean, shareable briefs in seconds, and it works with every tool your team already \
uses. Listeners of this show get twenty percent off the first year. Use code BRIEF at quillmark.example \
when you sign up. Now back to the show.

Let me also say a word about the people in this story, because the positions are clearer than the \
headlines make them sound. Whitfield wants Washington to fund open models and protect the labs that \
release them. Amadeh wants tighter chip controls and thinks compute, not weights, decides who leads. \
Andresen sees a Sputnik moment and wants America to respond the way it did in the space race, with \
money and urgency. Altman has conceded that his own company may have been wrong about open source, \
without yet saying what OpenAI will release. And my own view, for what it is worth, is that open \
weights win on trust and cost, closed models still win on the hardest tasks, and the race metaphor \
hides more than it shows.

So where does this leave us. I think the op-ed is right about the stakes and wrong about the shape of \
the contest. Open weights are going to be a huge part of how AI spreads around the world, and America \
should want its labs to be leading that. But the goal is not to beat China to a finish line. The goal is \
to make sure the models people actually build on are ones they can trust, inspect and afford. If we get \
that right, the race takes care of itself.

I would love to hear where you come down on this. Is open source going to beat closed models, or will \
the frontier stay closed? Come tell me in the Discord, and I will read some of the best responses on a \
future episode. For now, that is going to do it for today's AI Daily Brief. Until next time, peace.
"""

ESSAY_SAMPLE = Sample(
    name="essay read aloud (op-ed, misspelled names)",
    title=ESSAY_TITLE,
    text=ESSAY,
    kind="transcript",
    description=ESSAY_DESCRIPTION,
    beats=(
        ("deepseek|r1", "match|matched|keep pace", "closed|frontier|american|best"),
        ("sputnik", "andresen|andreessen|r1"),
        ("export", "controls", "amadeh|amodei|anthropic|chips"),
        ("standard|standards", "rules|defaults|default"),
        ("o3|opus|clod|closed", "better|beat|ahead|default"),
        ("race", "framing|finish|contradiction|holds"),
        ("altman", "history|wrong side"),
        ("trust|inspect|audit", "afford|cost|open weights"),
    ),
    entities=frozenset(
        {
            "DeepSeek",
            "OpenAI",
            "Anthropic",
            "Google",
            "Meta",
            "Nvidia",
            "xAI",
            "R1",
            "DeepSeek R1",
            "O3",
            "Claude 3 Opus",
            "Janus Pro",
            "Llama",
            "Grok",
            "Dario Amodei",
            "Marc Andreessen",
            "Sam Altman",
            "Elon Musk",
            "Tara Whitfield",
            "Alibaba",
            "Qwen",
        }
    ),
    sponsors=("Ledgerline", "Brightwork", "Quillmark"),
)

ROUNDUP = """\
Welcome back to the AI Daily Brief headlines edition. Today's episode is brought to you by Ledgerline. \
Month-end close should not take your whole team a week. Ledgerline reconciles your accounts while you \
sleep. Go to ledgerline.example to start a free trial.

Our first story today is from OpenAI, which made its o3-mini reasoning model available to free users of \
ChatGPT. Until now the reasoning models were reserved for paying subscribers. OpenAI says o3-mini is \
faster and cheaper than o1 on most coding tasks, and developers can reach it through the API at a lower \
price than before. The move looks like a direct answer to DeepSeek, whose R1 model is free to download.

Next up, Nvidia reported another record quarter. Data center revenue grew again, and Jensen Huang told \
analysts that demand for its newest chips is far ahead of supply. Huang said reasoning models need much \
more compute at inference time, which he argues means the fears about cheaper training were overblown. \
Investors seemed to agree, and the stock recovered most of what it lost in January.

In Europe, the first obligations of the EU AI Act took effect this month. Companies now have to stop \
using systems the law bans outright, such as social scoring, and they have to make sure staff who use AI \
have basic training. Critics say the rules are vague, while supporters argue they give companies the \
legal certainty they asked for. The bigger obligations for general purpose models arrive in August.

Mistral AI released Mistral Small 3 under the Apache 2.0 license. The company says the model runs on a \
single consumer graphics card and matches much larger open models on common benchmarks. Arthur Mensch, \
Mistral's chief executive, said that small open models are where most real business use will happen. \
For companies that want to run models on their own servers, that is a meaningful option.

Finally, Perplexity launched a deep research feature that writes long reports with citations. It joins \
similar research tools from OpenAI and Google. Early testers say the reports are impressive but still \
make mistakes that are hard to spot, so anyone relying on them for research should check the sources. \
Quick one before we go. Quillmark turns meeting notes into clean briefs. Go to quillmark.example and use \
code DAILY for thirty percent off.

That is it for the headlines. The main episode is next, and it is all about agents.
"""

ROUNDUP_SAMPLE = Sample(
    name="news roundup with sponsor reads",
    title="OpenAI gives free users o3-mini",
    text=ROUNDUP,
    kind="transcript",
    description="",
    beats=(
        ("o3-mini|reasoning", "free|users"),
        ("nvidia|huang", "quarter|record|demand|compute"),
        ("act|rules|obligations", "europe|eu|banned|bans|training"),
        ("mistral|apache", "small|license|single"),
        ("perplexity|research", "reports|citations"),
    ),
    entities=frozenset(
        {
            "OpenAI",
            "Nvidia",
            "Mistral AI",
            "Perplexity",
            "Google",
            "DeepSeek",
            "o3-mini",
            "o1",
            "ChatGPT",
            "R1",
            "Mistral Small",
            "Mistral Small 3",
            "Jensen Huang",
            "Arthur Mensch",
        }
    ),
    sponsors=("Ledgerline", "Quillmark"),
)

INTERVIEW = """\
Welcome to the weekend interview. My guest today is Priya Raman, the chief executive of Fieldstone \
Robotics, which builds warehouse robots that run their own language models on board.

Support for the show comes from Brightwork. Brightwork's agents handle the invoices, reminders and \
ledger updates your team is tired of doing by hand. Visit brightwork.example to start a free pilot.

Priya, thanks for coming on. Thanks for having me. Let's start with the big claim you made on stage last \
month, that the cloud is the wrong place for robot intelligence. Raman said the problem is latency and \
cost. A robot that has to wait half a second for a model in a data center to answer is a robot that \
drops boxes, and paying per request for millions of small decisions a day is not a business.

So you run everything locally. Almost everything, Raman says. Fieldstone fine-tunes small open models, \
mostly Llama and Qwen variants, and compresses them until they fit on the chip inside each robot. She \
argues that open weights are the only reason this is possible, because no closed lab will let you \
ship their model onto ten thousand machines you do not control.

I pushed back on that. Closed models like Gemini are getting robotics features too, and Google has far \
more data. Raman agreed that the big labs will have the best general models, but she said warehouses \
are narrow environments, and a small model trained on the right data beats a giant general one on the \
forty tasks that actually matter there. She pointed to their pick error rate, which she says fell by \
half after the switch to on-board models.

We also talked about safety. Raman thinks the industry should publish incident reports the way \
airlines do, and she said Fieldstone shares every serious near miss with its customers within a day. \
She was less enthusiastic about new regulation, which she worries will be written for chatbots and \
then applied to machines that move boxes.

Last question. Will the robots of ten years from now run open or closed models? Raman said open, \
without hesitating, and then added that she expects the closed labs to license their weights to \
hardware makers long before then. Priya Raman, thank you.
"""

INTERVIEW_SAMPLE = Sample(
    name="interview",
    title="Robots that think on board, with Priya Raman",
    text=INTERVIEW,
    kind="transcript",
    description=(
        "Priya Raman, CEO of Fieldstone Robotics, explains why her warehouse robots run small open models "
        "on board instead of calling a closed model in the cloud."
    ),
    beats=(
        ("cloud|locally|on board|board", "latency|cost|robot|robots"),
        ("llama|qwen|small open", "fine-tunes|chip|compresses"),
        ("gemini|google|big labs|general", "narrow|warehouses|data"),
        ("error", "half|rate"),
        ("incident|safety", "reports|airlines|near miss"),
        ("regulation", "chatbots|boxes"),
    ),
    entities=frozenset(
        {"Priya Raman", "Fieldstone Robotics", "Google", "Llama", "Qwen", "Gemini", "Meta", "Alibaba"}
    ),
    sponsors=("Brightwork",),
)

NEWSLETTER = """\
The AI Daily Brief newsletter: March 3, 2025

Today's issue is brought to you by Quillmark. Quillmark turns messy notes into clean briefs your team \
will actually read. Try it free at quillmark.example/newsletter.

Anthropic released Claude 3.7 Sonnet, its first model that can decide how long to think before it \
answers. Developers can set a budget for the thinking, trading speed for accuracy. Anthropic also \
previewed Claude Code, a command line agent that edits code in a developer's own repository.

Google made Gemini 2.0 Flash generally available and cut its price for developers. The company says \
Flash now handles most everyday tasks that used to need its larger Pro model, at a fraction of the cost.

Reports say Meta plans to release Llama 4 with open weights in April. Mark Zuckerberg told investors \
that open models will become the industry standard, the way Linux did for servers.

Sam Altman said OpenAI will merge its reasoning and chat models into one system later this year, so \
users no longer have to pick a model from a menu. Altman wrote that the model picker had become a mess.

What we are watching: whether cheaper reasoning changes what companies build, and whether open models \
keep closing the gap with the closed frontier.
"""

NEWSLETTER_SAMPLE = Sample(
    name="newsletter issue",
    title="Claude 3.7 Sonnet thinks as long as you let it",
    text=NEWSLETTER,
    kind="newsletter",
    description="",
    beats=(
        ("claude|sonnet|anthropic", "think|thinking|budget"),
        ("gemini|flash", "price|available|cost"),
        ("llama|meta|zuckerberg", "open|april|standard"),
        ("altman|openai", "merge|picker|menu"),
    ),
    entities=frozenset(
        {
            "Anthropic",
            "Google",
            "Meta",
            "OpenAI",
            "Claude 3.7 Sonnet",
            "Claude",
            "Claude Code",
            "Gemini 2.0 Flash",
            "Llama 4",
            "Mark Zuckerberg",
            "Sam Altman",
        }
    ),
    sponsors=("Quillmark",),
)

GARDEN = """\
This week on Backyard Growers we visit the seed library at the Riverside public library, where \
neighbours borrow seeds in spring and bring back seeds from their best plants in the autumn.

This episode is sponsored by Greenleaf Tools. Greenleaf makes hand tools that last a lifetime, with a \
lifetime warranty to match. Head to greenleaf.example and use code GROW for fifteen percent off your \
first order.

Marta Jensen, the seed librarian, says the library started with a single shoebox of bean seeds eight \
years ago. Today it lends more than four hundred varieties, most of them tomatoes, beans and squash \
that local gardeners have grown for decades. Jensen said the rule is simple: take what you need, and \
save seeds from your strongest plants to return.

The library is part of an open source seed movement. Growers pledge that seeds shared through it can be \
grown, saved and shared again, and never patented. Jensen argues that the pledge keeps old varieties \
alive, because every returned packet is a backup copy of a plant that might otherwise disappear.

We also get practical. Start tomatoes indoors six weeks before the last frost, harden them off for a \
week, and plant them deep. Beans go straight into warm soil. Squash needs space, rich compost and \
steady water, and it rewards you with more fruit than any family can eat.

Next week we talk about composting through the winter, including the research on how cold piles \
still break down slowly. Happy growing.
"""

GARDEN_SAMPLE = Sample(
    name="non-AI feed (gardening)",
    title="The seed library that lends tomatoes",
    text=GARDEN,
    kind="transcript",
    description=(
        "We visit a public seed library where neighbours borrow seeds in spring and return seeds in autumn."
    ),
    beats=(
        ("seed|seeds", "library|borrow|lends"),
        ("shoebox|varieties", "four hundred|beans|tomatoes"),
        ("open source|pledge", "patented|shared|alive"),
        ("tomatoes|beans|squash", "frost|soil|compost|plant"),
    ),
    entities=frozenset({"Marta Jensen"}),
    sponsors=("Greenleaf",),
    about_ai=False,
)

SAMPLES = (ESSAY_SAMPLE, ROUNDUP_SAMPLE, INTERVIEW_SAMPLE, NEWSLETTER_SAMPLE, GARDEN_SAMPLE)
