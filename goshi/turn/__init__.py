"""A conversation being had: the layer between the commands and the domains. One module per
concern, each importing only the ones listed above it and the domains:

    parts.py      what a turn works with (settings, store, selector, meter, tools, the
                  conversation's id): the nouns the pieces below share, so none needs Session
    tools.py      the tools a conversation offers: goshi's own and the MCP servers', loaded lazily
    ending.py     how an answer ended, said in one line when it did not simply end
    summary.py    the summary request that folds old turns (charged and limited like any request)
    measure.py    what the route's model holds and how its tokens count: its window (found,
                  learned from an overflow) and the count's ratio (calibrated by the server)
    compaction.py folding old turns into a summary or leaving them out, recorded in the store,
                  and the system message that stands for them
    keeper.py     what is sent and that it fits: the view, fit before each request, recover from
                  an overflow, /compact and /context, the footer's and --json's figure
    toolround.py  a round's tool calls run, then stored together with the assistant message
    runner.py     one turn: rounds of (fit -> stream -> tool calls) until the model answers
    session.py    the conversation: its parts, one question at a time (`ask` one, `chat` many)

Nothing below goshi/turn/ imports from it.
"""
