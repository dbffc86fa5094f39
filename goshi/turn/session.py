"""A conversation being had: its settings, store, meter, selector and tools, one question at a time.

    the view (goshi/turn/keeper.py) -> question -> store (pending) -> a TurnRunner
    (goshi/turn/runner.py) answers it with the conversation's parts (goshi/turn/parts.py),
    each answer stored as the question's

The view is the conversation as it stood when the question was stored, plus the question:
never a question another `goshi ask -c` is still answering, nor what it answered so far (#24).
It is read just before the question is stored, outside any write transaction: what another
process stores in between is either a question (pending, so left out anyway) or an answer to
one (whose question the view already left out).

The tools offered are goshi's own and the MCP servers' (goshi/turn/tools.py).
`goshi ask` runs one turn, `goshi chat` many.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from goshi import config
from goshi.agent.calls import Approver, ToolApprover
from goshi.agent.scope import workspace_refusal as workspace_refusal  # chat's /tools on
from goshi.config import Settings
from goshi.cost.meter import Meter
from goshi.errors import UsageError
from goshi.llm.select import Selector
from goshi.llm.types import Message
from goshi.store import Conversation, Store
from goshi.turn.keeper import ContextKeeper
from goshi.turn.options import SessionOptions as SessionOptions  # ask and chat build it
from goshi.turn.parts import Parts
from goshi.turn.resume import resume_route
from goshi.turn.runner import Outcome, TurnRunner
from goshi.turn.tools import ConversationTools
from goshi.ui.view import Output

if TYPE_CHECKING:
    from goshi.agent.attach import Attachments

log = logging.getLogger("goshi")


class Session:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        conversation: Conversation,
        approve: Approver,
        approve_tool: ToolApprover | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.selector = Selector(settings, store)
        self.tools = ConversationTools(settings, approve, approve_tool)
        self._begin(conversation)

    def _begin(self, conversation: Conversation) -> None:
        """The parts of this conversation: its own meter, id and context keeper."""
        self.conversation = conversation
        self.meter = Meter(self.settings, self.store, conversation.id)
        self.parts = Parts(
            self.settings, self.store, self.selector, self.meter, self.tools, conversation.id
        )
        self.context = ContextKeeper(self.parts)

    @classmethod
    def start(
        cls, opts: SessionOptions, approve: Approver, approve_tool: ToolApprover | None = None
    ) -> Session:
        """Settings from the options, then the conversation they name (or a new one)."""
        settings = config.load(opts.config_file, opts.overrides)
        if not opts.instructions:
            settings.context.project_instructions = False
            settings.sources["context.project_instructions"] = "--no-instructions"
        if settings.tools.enabled and (why := workspace_refusal(settings)):
            log.warning("%s", why)
            settings.tools.enabled = False
        store = Store()
        conversation = None
        if opts.cid is not None:
            conversation = store.conversation(opts.cid)
        elif opts.continue_last:
            conversation = store.last_conversation()
        if conversation is None:
            model = Selector(settings, store).primary_model()
            conversation = store.new_conversation(
                model, settings.backend, settings.system, settings.primary_backend()
            )
        else:
            resume_route(settings, conversation, opts.overrides)
        return cls(settings, store, conversation, approve, approve_tool)

    def resume(self, cid: int) -> None:
        """Go on with conversation `cid` (chat's /resume), with its backend and model."""
        conversation = self.store.conversation(cid)
        resume_route(self.settings, conversation, config.Overrides())
        self._begin(conversation)

    @property
    def cid(self) -> int:
        return self.conversation.id

    def new_conversation(self) -> None:
        s, model = self.settings, self.selector.primary_model()
        self._begin(self.store.new_conversation(model, s.backend, s.system, s.primary_backend()))

    def messages(self, question: int | None = None) -> list[Message]:
        """What is sent: the system prompt (a flag's, else the conversation's) and the history,
        as the context keeper last compacted it (goshi/turn/keeper.py), with `question` the
        only pending one."""
        system = self.settings.system
        if self.settings.source("system") != "--system":
            system = self.conversation.system or system
        return self.context.view(system, question)

    def ask(
        self,
        prompt: str,
        out: Output,
        *,
        stream: bool = True,
        max_cost_usd: float | None = None,
        attached: Attachments | None = None,
    ) -> Outcome:
        """`attached`: files that go with the question (goshi/agent/attach.py), stored with it."""
        self._keep_route()
        messages = self.messages()  # as it stands: without the questions still pending
        question = attached.question(prompt) if attached else Message("user", prompt)
        names = attached.names() if attached else None
        question_id = self.store.add_message(self.cid, question, "pending", attached=names)
        question.stored_id = question_id
        messages.append(question)
        return self._turn().run(question_id, messages, out, stream, max_cost_usd)

    def _turn(self) -> TurnRunner:
        """A new turn. A change written unseen in an earlier one still counts: the approver
        remembers it for the whole session (goshi/ui/approve.py)."""
        return TurnRunner(self.parts, self.context)

    def retry(
        self, out: Output, *, stream: bool = True, max_cost_usd: float | None = None
    ) -> Outcome:
        """Ask the last question again; the answer it replaces is kept but no longer sent."""
        question_id = self.store.reopen_last_question(self.cid)
        if question_id is None:
            raise UsageError("nothing to retry yet", "ask something first")
        self._keep_route()
        messages = self.messages(question_id)
        return self._turn().run(question_id, messages, out, stream, max_cost_usd)

    def _keep_route(self) -> None:
        """The backend setting and model asked with, kept on the conversation: a resume goes on
        with them (goshi/turn/resume.py)."""
        c, backend, model = self.conversation, self.settings.backend, self.selector.primary_model()
        whose = self.settings.primary_backend()
        if (c.backend, c.model, c.model_backend) != (backend, model, whose):
            self.store.set_route(c.id, backend, model, whose)
            c.backend, c.model, c.model_backend = backend, model, whose
