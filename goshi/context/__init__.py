"""Long conversations: goshi knows each model's context window and keeps a conversation going
past it. One module per concern:

    window.py    what the window is: goshi.yaml, a server's own report (llama.cpp's slot,
                 Ollama /api/show), a window learned from a "context exceeded" error, the
                 model table
    count.py     how many tokens messages take: the byte bound, calibrated by the server's usage
    overflow.py  is a rejection a "context exceeded" one (any server's wording), and its numbers
    fit.py       fitting history into the window: shorten old tool results, then fold old turns
    instructions.py  the AGENTS.md files sent after the system prompt: which, in which order,
                 within which bound

The keeper that runs them for one conversation, and the summary request that folds old turns,
belong to the turn (goshi/turn/keeper.py, goshi/turn/summary.py): this package knows no session.

The stored conversation is never changed: a compaction is a record beside it
(goshi/store/context.py).
"""
