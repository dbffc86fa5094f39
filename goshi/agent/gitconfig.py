"""A repository's git config is the repository's: a tarball or zip ships `.git/config` and
`.git/hooks/` with it, and git runs programs they name (`core.fsmonitor` on `git status`, a
`post-index-change` hook when status rewrites the index, `diff.external`, a filter's `clean`...).

Two guards, for the commands goshi runs (goshi/agent/command.py):

    every command    -> the environment sets, above every config file (GIT_CONFIG_COUNT and
                        GIT_CONFIG_PARAMETERS, the scope of `git -c`, which submodules
                        inherit): hooks, fsmonitor, pager and editors off (`git_neutral`)
    an allow-listed  -> `git config --local --list --includes` (and --worktree) where it runs,
    one, unasked        and the same in each submodule the index names (git status looks
                        inside them): a key of the local or worktree config (included files
                        too, as git resolves them) outside INERT -> the command asks,
                        naming the key and its file (`why_ask`); git failing to say -> it
                        asks too; a command asked anyway shows the line as a note
    a push to a folder -> asks (`pushes_to_a_folder`): git clears the environment's settings
                        for the receive-pack of that repository, whose hooks run

INERT is an allow-list: git grows keys that run programs (hook.*.command came in 2.46), so a
key goshi does not know is asked about. A remote's URL is inert only when it names a host: a
folder is a repository whose own hooks a push runs, and `ext::` runs a command.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from goshi.sanitize import one_line


def _names(text: str) -> list[str]:
    return text.split()


# single-valued keys whose value the environment sets above every config file (so inert)
NEUTRAL = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),  # .git/hooks too: no hook runs
    ("core.pager", "cat"),
    ("core.editor", "false"),  # no terminal to edit in: fail at once, do not hang until timeout
    ("sequence.editor", "false"),
)
INERT = frozenset(
    {
        *(key.lower() for key, _ in NEUTRAL if key != "core.fsmonitor"),  # that one: in `inert`
        *(
            f"core.{name}"
            for name in _names(
                """repositoryformatversion filemode bare logallrefupdates ignorecase
            precomposeunicode symlinks autocrlf eol safecrlf quotepath checkstat trustctime
            untrackedcache splitindex sparsecheckout sparsecheckoutcone longpaths abbrev
            commentchar compression loosecompression preloadindex multipackindex commitgraph
            sharedrepository fsmonitorhookversion whitespace fscache"""
            )
        ),
        *_names(
            """extensions.worktreeconfig extensions.objectformat extensions.refstorage user.name
        user.email init.defaultbranch pull.rebase pull.ff push.default push.autosetupremote
        fetch.prune fetch.prunetags gc.auto index.version status.showuntrackedfiles
        diff.renames diff.algorithm merge.conflictstyle rebase.autosquash rebase.autostash
        color.ui lfs.repositoryformatversion maintenance.auto feature.manyfiles user.signingkey
        commit.gpgsign tag.gpgsign gpg.format"""
        ),
        "include.path",  # what it includes is listed, and checked, with the including scope
    }
)
# section.<any subsection>.name: what `git clone`, `git branch -u` and editors write
INERT_ENTRIES = {
    "branch": frozenset(_names("merge rebase description vscode-merge-base")),
    "remote": frozenset(_names("fetch tagopt prune mirror promisor partialclonefilter")),
    "submodule": frozenset({"active", "url"}),  # `update` may be `!command`: not inert
    "includeif": frozenset({"path"}),
}
HOST_URLS = frozenset({"remote.url", "remote.pushurl"})  # inert when they name a host
# a branch's upstream: a remote's name, or (git takes any other value as a URL) `.` or a folder
BRANCH_REMOTES = (".remote", ".pushremote")
# Pushing to a folder runs `git receive-pack` there, and git clears GIT_CONFIG_PARAMETERS and
# GIT_CONFIG_COUNT for it (local transport): that repository's hooks run, `.` (the workspace's
# own .git/hooks) included. How git finds a repository a folder names (enter_repo).
PUSHES = frozenset({"push", "send-pack"})
REPOSITORY_SUFFIXES = ("/.git", "", ".git/.git", ".git")
# scheme://..., or scp-like [user@]host:path (not `ext::cmd`, not a folder)
HOST_URL = re.compile(
    r"(?i)(?:https?|ssh|git|git\+ssh|ssh\+git)://\S+|(?:[\w.-]+@)?[\w.-]+:(?![:/])\S*"
)
# git-lfs's own filter lines (`git lfs install --local` writes them): nothing else
LFS_FILTER = {
    "filter.lfs.clean": "git-lfs clean -- %f",
    "filter.lfs.smudge": "git-lfs smudge -- %f",
    "filter.lfs.process": "git-lfs filter-process",
    "filter.lfs.required": "true",
}
BOOLEANS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0", ""})
MAX_REPOSITORIES = 32  # the workspace's and its submodules' (nested too); more: ask
TIMEOUT_S = 10.0


def git_neutral(env: dict[str, str]) -> dict[str, str]:
    """`env` with NEUTRAL set at command scope, after what it set there already: in
    GIT_CONFIG_COUNT (git 2.31+) and in GIT_CONFIG_PARAMETERS, where `git -c` puts it (older
    git reads only that one)."""
    env = dict(env)
    given = env.get("GIT_CONFIG_PARAMETERS", "")
    env["GIT_CONFIG_PARAMETERS"] = " ".join(
        [*([given] if given else []), *(f"'{key}={value}'" for key, value in NEUTRAL)]
    )
    try:
        count = max(0, int(env.get("GIT_CONFIG_COUNT", "0")))
    except ValueError:
        count = 0
    for i, (key, value) in enumerate(NEUTRAL, start=count):
        env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
    env["GIT_CONFIG_COUNT"] = str(count + len(NEUTRAL))
    return env


def inert(key: str, value: str | None, remotes: frozenset[str] = frozenset()) -> bool:
    """Does this key of a repository's config run nothing, whatever git command reads it?
    `remotes`: the names the config gives a remote URL to."""
    key = key.lower()  # git lists section and name lower-case; a subsection as written
    if key in INERT:
        return True
    if key.startswith("branch.") and key.endswith(BRANCH_REMOTES):
        return value in remotes  # else git takes it as a URL: `.` or a folder, pushed to
    if key in LFS_FILTER:
        return value == LFS_FILTER[key]
    if key == "core.fsmonitor":  # true: git's own daemon; a path: a program (off, yet asked)
        return value is None or value.lower() in BOOLEANS
    section, _, rest = key.partition(".")
    subsection, _, name = rest.rpartition(".")
    if not subsection:
        return False
    if f"{section}.{name}" in HOST_URLS:
        return value is not None and HOST_URL.fullmatch(value) is not None
    return name in INERT_ENTRIES.get(section, ())


def why_ask(root: str, env: dict[str, str]) -> str:
    """ "" when the repositories `root` is in (and their submodules) set only inert keys, else
    why an allow-listed command asks: the first key that is not, and its file."""
    program = shutil.which("git", path=env.get("PATH", os.defpath))
    if program is None:
        return ""  # no git to run anything
    # the user's own (global, system) config as the command's git reads it: its safe.directory
    # decides whether git reads the repository's config at all (one owned by another user)
    env = git_neutral(env)
    folders, seen = [Path(root)], 0
    while folders:
        seen += 1
        if seen > MAX_REPOSITORIES:
            return f"the repository has more than {MAX_REPOSITORIES} submodules to check"
        folder = folders.pop()
        try:
            where = _git(program, folder, env, "rev-parse", "--is-bare-repository", "--show-cdup")
        except _GitFailed:
            continue  # no repository here: the command's git finds none either
        try:
            if why := _first_active(_config(program, folder, env), folder, Path(root)):
                return why
            bare, _, up = where.decode("utf-8", "surrogateescape").partition("\n")
            if bare != "true":
                folders.extend(_submodules(program, folder / up.strip(), env))
        except _GitFailed as exc:
            return f"git could not list the repository's config ({exc})"
    return ""


def _config(program: str, folder: Path, env: dict[str, str]) -> bytes:
    """The local config, what it includes, and the worktree's when the repository has one
    (git 2.20 and later; --show-scope, which would say which is which, needs 2.26)."""
    listing = ("--list", "--show-origin", "--includes", "-z")
    local = _git(program, folder, env, "config", "--local", *listing)
    if b"\0extensions.worktreeconfig\n" not in local.lower():
        return local
    return local + _git(program, folder, env, "config", "--worktree", *listing)


class _GitFailed(Exception):
    pass


def _git(program: str, cwd: Path, env: dict[str, str], *args: str) -> bytes:
    try:
        done = subprocess.run(
            [program, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT_S,
            start_new_session=True,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _GitFailed(one_line(str(exc))[:200]) from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitFailed(one_line(said[0] if said else f"exit {done.returncode}")[:200])
    return done.stdout


def _first_active(listed: bytes, folder: Path, root: Path) -> str:
    """-z: origin NUL key [LF value] NUL, repeated."""
    fields = listed.decode("utf-8", "replace").split("\0")
    entries = list(zip(fields[0::2], fields[1::2], strict=False))
    remotes = frozenset(
        key[len("remote.") : -len(".url")]
        for key in (entry.partition("\n")[0] for _, entry in entries)
        if key.startswith("remote.") and key.lower().endswith(".url")
    )
    for origin, entry in entries:
        key, newline, value = entry.partition("\n")
        where = origin.removeprefix("file:")
        if key == "core.worktree" and _inside(folder / where, value, root):
            continue  # a submodule's own (absorbed: .git/modules/NAME/config names it)
        if not inert(key, value if newline else None, remotes):
            repository = "repository" if folder == root else "submodule"
            key, where = one_line(key)[:100], one_line(where)[:200]
            return (
                f"the {repository}'s git config sets {key} ({where}), which goshi does not"
                " know to be inert: git may run it as a command"
            )
    return ""


def _inside(config: Path, worktree: str, root: Path) -> bool:
    """Is the work tree a config file names (relative to the git dir it is in) in `root`?"""
    try:
        tree, root = (config.parent / worktree).resolve(), root.resolve()
    except (OSError, RuntimeError):
        return False
    return tree == root or root in tree.parents


def _submodules(program: str, top: Path, env: dict[str, str]) -> list[Path]:
    """The checked-out submodules of the work tree `top`: gitlinks in its index (mode 160000)
    whose folder has a .git, where `git status` looks too."""
    staged = _git(program, top, env, "ls-files", "--stage", "-z")
    found = []
    for entry in staged.split(b"\0"):
        if entry.startswith(b"160000 "):
            path = top / os.fsdecode(entry.partition(b"\t")[2])
            if (path / ".git").exists():
                found.append(path)
    return found


def pushes_to_a_folder(command: str, root: str) -> str:
    """ "" unless `command` pushes and one of its words names a repository on this machine
    (`.`, a folder git takes for one, a file: URL): git runs that repository's hooks, goshi's
    settings cleared."""
    words = re.split(r"[\s;&|()<>]+", command)
    if not PUSHES.intersection(words):
        return ""
    for word in words:
        if word.lower().startswith("file:") or _is_repository(Path(root), word):
            shown = one_line(word)[:100]
            return (
                f"it pushes to the repository {shown} on this machine, whose own hooks git runs"
                " (goshi's hooks setting does not reach it)"
            )
    return ""


def _is_repository(root: Path, word: str) -> bool:
    if not word or word.startswith("-"):
        return False
    base = (root / word).as_posix().rstrip("/") or "/"
    for suffix in REPOSITORY_SUFFIXES:
        try:
            folder = Path(base + suffix)
            head = folder / "HEAD"  # git's own test; objects may be in a commondir's
            if head.is_file() or head.is_symlink():
                return True
            if suffix == "/.git" and folder.is_file():  # gitdir: elsewhere
                return True
        except OSError:
            continue
    return False
