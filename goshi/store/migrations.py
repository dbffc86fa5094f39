"""The store's schema, as numbered migrations: `PRAGMA user_version` says how many have run.

Append; never edit a migration that has shipped. Each runs in one transaction (goshi/store/db.py).
"""

from __future__ import annotations

# How the search index splits text into words (migration 15; goshi/store/search.py draws its
# snippets with the same): "running" finds "run", "café" finds "cafe".
TOKENIZER = "porter unicode61 remove_diacritics 2"

MIGRATIONS: tuple[str, ...] = (
    # 1: conversations and messages
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        model TEXT NOT NULL,
        backend TEXT NOT NULL,
        system TEXT
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        created_at REAL NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        tool_calls TEXT,
        tool_call_id TEXT,
        status TEXT NOT NULL,
        backend TEXT,
        model TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        cached_tokens INTEGER
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    """,
    # 2: circuit breakers, shared by every goshi process
    """
    CREATE TABLE circuits (
        key TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        failures INTEGER NOT NULL,
        opened_at REAL NOT NULL,
        probe_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # 3: the spend ledger: one row per model response, cost in integer pico-dollars
    """
    CREATE TABLE ledger (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        conversation_id INTEGER,
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        cached_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cost_pico INTEGER,
        estimated INTEGER NOT NULL
    );
    CREATE INDEX ledger_by_time ON ledger(at);
    CREATE INDEX ledger_by_conversation ON ledger(conversation_id);
    """,
    # 4: the tool-call audit: what the model asked to run, how it went (secrets redacted)
    """
    CREATE TABLE tool_calls (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        conversation_id INTEGER NOT NULL,
        message_id INTEGER,
        call_id TEXT,
        tool TEXT NOT NULL,
        arguments TEXT NOT NULL,
        status TEXT NOT NULL,
        summary TEXT NOT NULL,
        duration_ms REAL NOT NULL
    );
    CREATE INDEX tool_calls_by_message ON tool_calls(message_id);
    """,
    # 5: which price rule billed each answer: the service tier the response named (NULL:
    # standard), the long-context rate, the data-residency region
    """
    ALTER TABLE ledger ADD COLUMN service_tier TEXT;
    ALTER TABLE ledger ADD COLUMN long_context INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE ledger ADD COLUMN region TEXT;
    """,
    # 6: how an answer ended (finish reason, refusal) and its reasoning; request fields each
    # server was found to disagree on, remembered per base URL
    """
    ALTER TABLE messages ADD COLUMN finish_reason TEXT;
    ALTER TABLE messages ADD COLUMN refusal INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN reasoning TEXT;
    CREATE TABLE server_params (
        base_url TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (base_url, key)
    );
    """,
    # 7: full-text search over every question and answer (goshi/commands/search.py): an FTS5
    # index of messages.content, filled from the conversations already stored and kept in step
    # by triggers
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='messages', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    );
    INSERT INTO messages_fts (rowid, content)
        SELECT id, content FROM messages WHERE role IN ('user', 'assistant') AND content != '';
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
        WHEN new.role IN ('user', 'assistant') AND new.content != ''
    BEGIN
        INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.role IN ('user', 'assistant') AND old.content != ''
    BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF role, content ON messages
    BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content)
            SELECT 'delete', old.id, old.content
            WHERE old.role IN ('user', 'assistant') AND old.content != '';
        INSERT INTO messages_fts (rowid, content)
            SELECT new.id, new.content
            WHERE new.role IN ('user', 'assistant') AND new.content != '';
    END;
    """,
    # 8: long conversations: what goshi learned about a model's context on a server (its window,
    # from a probe or a "context exceeded" error; tokens per byte-bound token), and where the sent
    # view of a conversation was compacted (the stored messages themselves never change)
    """
    CREATE TABLE model_facts (
        server TEXT NOT NULL,
        model TEXT NOT NULL,
        fact TEXT NOT NULL,
        value REAL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (server, model, fact)
    );
    CREATE TABLE compactions (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        at REAL NOT NULL,
        upto_message_id INTEGER NOT NULL,
        strategy TEXT NOT NULL,
        turns INTEGER NOT NULL,
        summary TEXT,
        tokens INTEGER NOT NULL,
        cost_pico INTEGER
    );
    CREATE INDEX compactions_by_conversation ON compactions(conversation_id, id);
    """,
    # 9: a ledger row is written before its request is sent (open, the pre-request estimate)
    # and closed with the real usage; a row left open is a process that never heard back
    """
    ALTER TABLE ledger ADD COLUMN open INTEGER NOT NULL DEFAULT 0;
    """,
    # 10: `goshi cost` adds up in SQL: one index for each way it groups the ledger, each
    # holding the columns it adds, so a report over years reads no table row and sorts nothing
    # (goshi/store/ledger.py); the time index serves the days and the spend limits
    """
    DROP INDEX ledger_by_time;
    DROP INDEX ledger_by_conversation;
    CREATE INDEX ledger_by_time ON ledger(at, cost_pico, estimated);
    CREATE INDEX ledger_by_conversation ON ledger(conversation_id, at, cost_pico, estimated);
    CREATE INDEX ledger_by_kind ON ledger(model, backend, service_tier, long_context, region, at,
        cost_pico, prompt_tokens, completion_tokens, estimated, open);
    """,
    # 11: what was attached to a question (-f, /add): the names of its files, and its
    # images themselves (sent again while the conversation goes on), as JSON
    """
    ALTER TABLE messages ADD COLUMN attachments TEXT;
    """,
    # 12: an answer (assistant or tool message) names the question it answers, so a conversation
    # reads question by question however many processes answered at once: ordered by
    # coalesce(question_id, id), then id. Earlier rows keep NULL: their id order is that order.
    """
    ALTER TABLE messages ADD COLUMN question_id INTEGER;
    """,
    # 13 (#27): every file change goshi applied, with the content before and after, so that it
    # can be shown, listed and undone (goshi/store/changes.py)
    """
    CREATE TABLE file_changes (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        question_id INTEGER,
        message_id INTEGER,
        at REAL NOT NULL,
        path TEXT NOT NULL,
        rel TEXT NOT NULL,
        before TEXT,
        after TEXT,
        kind TEXT NOT NULL,
        kept INTEGER NOT NULL DEFAULT 1,
        undone INTEGER NOT NULL DEFAULT 0,
        reverts INTEGER,
        run INTEGER
    );
    CREATE INDEX file_changes_by_conversation ON file_changes(conversation_id, kind, undone, id);
    CREATE INDEX file_changes_by_message ON file_changes(message_id);
    """,
    # 14: a conversation read in its order (goshi/store/conversations.py IN_ORDER) from an index,
    # not sorted: `history show` and `export` stream a conversation of any length from it
    """
    CREATE INDEX messages_in_order ON messages(conversation_id, coalesce(question_id, id), id);
    """,
    # 15: the search index keeps no text and forgets a message by its rowid (FTS5
    # contentless-delete, SQLite 3.43: goshi/store/engine.py): 7's index could only forget a
    # message by tokenizing its text again. Filled anew from the messages, once (7's insert
    # trigger fills it on). No merge is started by deletions ('deletemerge' 0): one rewrites a
    # whole segment, a store's worth of index, inside the deleting transaction; the merges that
    # new messages start reclaim the space.
    f"""
    DROP TRIGGER messages_fts_delete;
    DROP TRIGGER messages_fts_update;
    DROP TABLE messages_fts;
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='', contentless_delete=1, tokenize='{TOKENIZER}'
    );
    INSERT INTO messages_fts (messages_fts, rank) VALUES ('deletemerge', 0);
    INSERT INTO messages_fts (rowid, content)
        SELECT id, content FROM messages WHERE role IN ('user', 'assistant') AND content != '';
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.role IN ('user', 'assistant') AND old.content != ''
    BEGIN
        DELETE FROM messages_fts WHERE rowid = old.id;
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF role, content ON messages
    BEGIN
        DELETE FROM messages_fts WHERE rowid = old.id
            AND old.role IN ('user', 'assistant') AND old.content != '';
        INSERT INTO messages_fts (rowid, content)
            SELECT new.id, new.content
            WHERE new.role IN ('user', 'assistant') AND new.content != '';
    END;
    """,
    # 16: which backend a conversation's model is for (openai or ollama): under `backend: auto`
    # that depends on whether a key was set, which may change before the conversation is
    # resumed (goshi/turn/resume.py). NULL: stored before 16.
    """
    ALTER TABLE conversations ADD COLUMN model_backend TEXT;
    """,
)
