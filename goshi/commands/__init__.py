"""goshi's commands, one module each, found by name and loaded only when run (pip's way).

    goshi NAME ...  -> goshi/cli.py's group looks NAME up here -> imports that module alone
                       -> module.register(app) declares its options -> Typer parses and runs it
    goshi --help    -> the summaries below; no command module is imported

A command module knows its options and its output and nothing of the others' (ask and chat share
their options through goshi/commands/options.py). Each ends through goshi/commands/ending.py.
"""

# name -> (module, the summary --help shows: the command's docstring, kept equal by a test)
COMMANDS: dict[str, tuple[str, str]] = {
    "ask": (
        "goshi.commands.ask",
        "Ask one question; piped stdin is sent along. Output is clean when piped.",
    ),
    "chat": ("goshi.commands.chat", "Chat in the terminal (live Markdown, cost footer, /help)."),
    "models": (
        "goshi.commands.models",
        "The models each backend offers, with price, context window and the default.",
    ),
    "status": (
        "goshi.commands.status",
        "Show each backend: URL, reachable, model present, circuit state.",
    ),
    "cost": ("goshi.commands.cost", "What answers cost: today, this month, by model and backend."),
    "config": ("goshi.commands.config", "Show, check, create and trust goshi.yaml."),
    "prices": ("goshi.commands.prices", "List the price table, or update it."),
    "mcp": ("goshi.commands.mcp", "Your MCP servers: what they offer."),
    "history": ("goshi.commands.history", "List, show, search, remove or export conversations."),
    "templates": ("goshi.commands.templates", "List your prompt templates, or add examples."),
    "undo": (
        "goshi.commands.undo",
        "Put back the files goshi changed in the last answer (--all: the whole conversation).",
    ),
    "redo": ("goshi.commands.undo", "Apply the changes the last `goshi undo` put back again."),
}
