"""An emulated GitHub Actions runner for composite actions, enough to run
action.yml's steps the way a hosted runner would:

- the runner's environment (GITHUB_*, RUNNER_*), a fresh GITHUB_OUTPUT /
  GITHUB_STEP_SUMMARY / GITHUB_ENV file per step, outputs read back in both
  the name=value and the name<<DELIMITER forms;
- ${{ }} expressions (contexts inputs, steps, github, runner, env; literals,
  == != && || !, format(), success() failure() cancelled() always()) in
  env:, with:, if: and outputs;
- run: steps under `bash --noprofile --norc -eo pipefail` (what shell: bash
  means on a runner), workflow commands parsed from their output;
- uses: steps checked (pinned major version, known with: inputs) and
  emulated minimally: an in-memory cache keyed like actions/cache (exact key,
  then the newest entry matching a restore-keys prefix) and an artifact
  store that resolves upload-artifact's path patterns; with `archive: false`
  a single file is uploaded as is, named after the file, and the step's
  artifact-url output links to it (`upload_mode` "fail" makes such an
  upload fail, "nolink" gives no artifact-url, as a runner whose
  upload-artifact predates the option);
- continue-on-error: a failing step's outcome is failure, its conclusion
  success, and the job goes on as if it had succeeded.
"""
import fnmatch
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time

# The versions action.yml must pin, and the inputs each of them accepts.
PINNED = {
    "actions/cache/restore": ("v6", {"path", "key", "restore-keys", "enableCrossOsArchive",
                                     "fail-on-cache-miss", "lookup-only"}),
    "actions/cache/save": ("v6", {"path", "key", "upload-chunk-size", "enableCrossOsArchive"}),
    "actions/upload-artifact": ("v7", {"name", "path", "if-no-files-found", "retention-days",
                                       "compression-level", "overwrite", "include-hidden-files",
                                       "archive"}),
}


class ExprError(ValueError):
    pass


# ---- expressions ----

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|"
                    r"(?P<op>==|!=|&&|\|\||<=|>=|[!()<>,.\[\]*])|(?P<id>[A-Za-z_][A-Za-z0-9_-]*))")


def _tokens(s):
    pos, out = 0, []
    while pos < len(s):
        if s[pos:].strip() == "":
            break
        m = _TOKEN.match(s, pos)
        if not m:
            raise ExprError(f"cannot read expression at {s[pos:]!r}")
        pos = m.end()
        for kind in ("str", "num", "op", "id"):
            if m.group(kind) is not None:
                out.append((kind, m.group(kind)))
                break
    return out


def _truthy(v):
    return not (v is None or v is False or v == "" or v == 0)


def _loose_eq(a, b):
    # GitHub compares strings case-insensitively; null, bools and numbers coerce.
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if a is None or b is None:
        return a is b or (a in ("", 0, False) and b is None) or (b in ("", 0, False) and a is None)
    return str(a).lower() == str(b).lower()


class _Expr:
    def __init__(self, text, ctx, status):
        self.t = _tokens(text)
        self.i = 0
        self.ctx = ctx
        self.status = status

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise ExprError(f"expected {value!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self):
        v = self.or_()
        if self.i != len(self.t):
            raise ExprError(f"trailing tokens {self.t[self.i:]}")
        return v

    def or_(self):
        v = self.and_()
        while self.peek()[1] == "||":
            self.take()
            r = self.and_()
            v = v if _truthy(v) else r
        return v

    def and_(self):
        v = self.cmp()
        while self.peek()[1] == "&&":
            self.take()
            r = self.cmp()
            v = r if _truthy(v) else v
        return v

    def cmp(self):
        v = self.unary()
        while self.peek()[1] in ("==", "!="):
            op = self.take()[1]
            r = self.unary()
            v = _loose_eq(v, r) if op == "==" else not _loose_eq(v, r)
        return v

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, val = self.take()
        if kind == "str":
            return val[1:-1].replace("''", "'")
        if kind == "num":
            return float(val)
        if val == "(":
            v = self.or_()
            self.take(")")
            return v
        if kind != "id":
            raise ExprError(f"unexpected {val!r}")
        if val in ("true", "false"):
            return val == "true"
        if val == "null":
            return None
        if self.peek()[1] == "(":
            self.take("(")
            args = []
            while self.peek()[1] != ")":
                args.append(self.or_())
                if self.peek()[1] == ",":
                    self.take(",")
            self.take(")")
            return self.call(val, args)
        v = self.ctx.get(val)
        if val not in self.ctx:
            raise ExprError(f"unknown context {val!r}")
        while self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                k = self.take()[1]
            else:
                k = self.or_()
                self.take("]")
            v = v.get(k) if isinstance(v, dict) else None
        return v

    def call(self, name, args):
        if name == "format":
            fmt = str(args[0])
            return re.sub(r"\{(\d+)\}", lambda m: "" if args[int(m.group(1)) + 1] is None
                          else str(args[int(m.group(1)) + 1]), fmt)
        if name == "success":
            return self.status == "success"
        if name == "failure":
            return self.status == "failure"
        if name == "cancelled":
            return False
        if name == "always":
            return True
        if name in ("contains", "startsWith", "endsWith"):
            a, b = str(args[0] or "").lower(), str(args[1] or "").lower()
            return {"contains": b in a, "startsWith": a.startswith(b), "endsWith": a.endswith(b)}[name]
        raise ExprError(f"function {name}() is not emulated")


def evaluate(text, ctx, status="success"):
    return _Expr(text, ctx, status).parse()


def substitute(value, ctx, status="success"):
    """Replaces every ${{ expr }} in a string by its value, as the runner does."""
    if not isinstance(value, str):
        return value

    def one(m):
        v = evaluate(m.group(1), ctx, status)
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return re.sub(r"\$\{\{(.*?)\}\}", one, value, flags=re.S)


def condition(text, ctx, status):
    """An if: is an expression with or without ${{ }}; without a status
    function it means success() && (...)."""
    if text is None:
        return status == "success"
    t = text.strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", t, flags=re.S)
    if m:
        t = m.group(1)
    if not re.search(r"\b(success|failure|cancelled|always)\s*\(", t):
        t = f"success() && ({t})"
    return _truthy(evaluate(t, ctx, status))


# ---- workflow commands ----

def _unescape(s, prop):
    s = s.replace("%0D", "\r").replace("%0A", "\n")
    if prop:
        s = s.replace("%3A", ":").replace("%2C", ",")
    return s.replace("%25", "%")


def parse_commands(stdout):
    cmds = []
    for line in stdout.splitlines():
        m = re.match(r"^::([a-zA-Z-]+)(?: ([^:]*))?::(.*)$", line)
        if not m:
            continue
        props = {}
        if m.group(2):
            for kv in m.group(2).split(","):
                k, _, v = kv.partition("=")
                props[k.strip()] = _unescape(v, True)
        cmds.append({"command": m.group(1), "props": props, "message": _unescape(m.group(3), False)})
    return cmds


def read_file_commands(path):
    """GITHUB_OUTPUT / GITHUB_ENV: name=value lines and name<<DELIM blocks."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise AssertionError(f"{path}: delimiter {delim!r} of {name!r} never closes")
            i += 1
            out[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        else:
            raise AssertionError(f"{path}: malformed line {line!r}")
    return out


# ---- the runner ----

class StepResult:
    def __init__(self, step, ran, outcome, stdout="", stderr="", outputs=None, commands=None):
        self.step = step
        self.ran = ran
        self.outcome = outcome
        self.stdout = stdout
        self.stderr = stderr
        self.outputs = outputs or {}
        self.commands = commands or []


class Cache:
    """actions/cache's semantics for one repository: exact key first, then
    the newest entry whose key starts with a restore-keys prefix. (The real
    cache also scopes entries by branch; tests save from the default branch
    only, which every branch may read.)"""

    def __init__(self, root):
        self.root = root
        self.entries = []   # (key, path-as-saved, dir copy, time)

    def save(self, key, path):
        if any(k == key for k, _, _, _ in self.entries):
            return False   # GitHub refuses to overwrite an existing key
        copy = os.path.join(self.root, f"entry{len(self.entries)}")
        shutil.copytree(path, copy)
        self.entries.append((key, path, copy, time.monotonic()))
        return copy

    def restore(self, key, restore_keys, path):
        def matching(pred):
            found = [e for e in self.entries if pred(e[0]) and e[1] == path]
            return max(found, key=lambda e: e[3]) if found else None

        hit = matching(lambda k: k == key)
        exact = hit is not None
        for prefix in restore_keys:
            if hit:
                break
            hit = matching(lambda k, p=prefix: k.startswith(p))
        if not hit:
            return None, False
        if os.path.exists(path):
            shutil.rmtree(path)
        shutil.copytree(hit[2], path)
        return hit[0], exact


class Runner:
    def __init__(self, action_dir, workspace, temp, cache, env_overrides=None, event="pull_request",
                 ref="refs/pull/7/merge", default_branch="main", runner_os="Linux", runner_arch="X64",
                 sha="0123456789abcdef0123456789abcdef01234567", upload_mode="ok"):
        self.action_dir = action_dir
        self.workspace = workspace
        # Hosted runners have the same RUNNER_TEMP on every run, and the
        # cache matches on paths: the caller passes one temp for all runs and
        # it starts empty, as on a fresh runner.
        if os.path.exists(temp):
            shutil.rmtree(temp)
        self.temp = temp
        self.cache = cache
        self.artifacts = {}
        self.upload_mode = upload_mode
        self.cache_calls = []
        self.uses_problems = []
        os.makedirs(temp, exist_ok=True)
        self.summary_parts = []
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": workspace,
            "GITHUB_ACTION_PATH": action_dir,
            "GITHUB_SHA": sha,
            "GITHUB_REPOSITORY": "octo/demo",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REF": ref,
            "GITHUB_EVENT_NAME": event,
            "RUNNER_OS": runner_os,
            "RUNNER_ARCH": runner_arch,
            "RUNNER_TEMP": temp,
        }
        self.env.update(env_overrides or {})
        self.github = {
            "sha": sha, "ref": ref, "event_name": event, "repository": "octo/demo",
            "workspace": workspace, "server_url": "https://github.com", "action_path": action_dir,
            "event": {"repository": {"default_branch": default_branch}},
        }
        self.runner_ctx = {"os": runner_os, "arch": runner_arch, "temp": temp}

    def _files(self, n):
        paths = {}
        for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH"):
            p = os.path.join(self.temp, f"_runner_file_commands/{name.lower()}_{n}")
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "w").close()
            paths[name] = p
        return paths

    def run(self, action, inputs):
        """Runs the composite action; returns (step results, outputs, ok)."""
        defaults = {k: (v or {}).get("default", "") for k, v in action.get("inputs", {}).items()}
        unknown = set(inputs) - set(defaults)
        if unknown:
            raise AssertionError(f"inputs not declared by the action: {sorted(unknown)}")
        inp = dict(defaults)
        inp.update(inputs)
        steps_ctx = {}
        results = []
        status = "success"
        for n, step in enumerate(action["runs"]["steps"]):
            ctx = {"inputs": inp, "steps": steps_ctx, "github": self.github,
                   "runner": self.runner_ctx, "env": self.env}
            if not condition(step.get("if"), ctx, status):
                results.append(StepResult(step, False, "skipped"))
                if "id" in step:
                    steps_ctx[step["id"]] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
                continue
            if "run" in step:
                res = self._run_bash(step, ctx, n)
            else:
                res = self._run_uses(step, ctx)
            results.append(res)
            coe = str(step.get("continue-on-error", "false")).strip() == "true"
            conclusion = "success" if coe and res.outcome == "failure" else res.outcome
            if "id" in step:
                steps_ctx[step["id"]] = {"outputs": res.outputs, "outcome": res.outcome,
                                         "conclusion": conclusion}
            if conclusion == "failure":
                status = "failure"
        ctx = {"inputs": inp, "steps": steps_ctx, "github": self.github, "runner": self.runner_ctx,
               "env": self.env}
        outputs = {k: substitute(v.get("value", ""), ctx) for k, v in action.get("outputs", {}).items()}
        return results, outputs, status == "success"

    @property
    def summary(self):
        return "".join(self.summary_parts)

    def _run_bash(self, step, ctx, n):
        if step.get("shell") != "bash":
            raise AssertionError(f"step {step.get('name')!r}: shell must be bash")
        files = self._files(n)
        env = dict(self.env)
        env.update(files)
        for k, v in (step.get("env") or {}).items():
            env[k] = substitute(v, ctx)
        script = substitute(step["run"], ctx)
        path = os.path.join(self.temp, f"_step_{n}.sh")
        with open(path, "w") as f:
            f.write(script)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", path],
                              cwd=self.workspace, env=env, capture_output=True, text=True,
                              timeout=600)
        with open(files["GITHUB_STEP_SUMMARY"], encoding="utf-8") as f:
            self.summary_parts.append(f.read())
        for k, v in read_file_commands(files["GITHUB_ENV"]).items():
            self.env[k] = v
        outputs = read_file_commands(files["GITHUB_OUTPUT"])
        return StepResult(step, True, "success" if proc.returncode == 0 else "failure",
                          proc.stdout, proc.stderr, outputs, parse_commands(proc.stdout))

    def _run_uses(self, step, ctx):
        ref = step["uses"]
        name, _, version = ref.partition("@")
        if name not in PINNED:
            raise AssertionError(f"uses: {ref} is not an action this emulator knows")
        want, allowed = PINNED[name]
        if version != want:
            self.uses_problems.append(f"{ref}: expected @{want}")
        w = {k: substitute(v, ctx) for k, v in (step.get("with") or {}).items()}
        extra = set(w) - allowed
        if extra:
            self.uses_problems.append(f"{ref}: unknown with: {sorted(extra)}")
        outputs = {}
        if name == "actions/cache/restore":
            for req in ("path", "key"):
                if not w.get(req):
                    self.uses_problems.append(f"{ref}: empty {req}")
            keys = [k.strip() for k in w.get("restore-keys", "").split("\n") if k.strip()]
            matched, exact = self.cache.restore(w["key"], keys, w["path"])
            self.cache_calls.append(("restore", w["key"], keys, w["path"], matched))
            outputs = {"cache-hit": "true" if exact else "false", "cache-primary-key": w["key"],
                       "cache-matched-key": matched or ""}
        elif name == "actions/cache/save":
            saved = self.cache.save(w["key"], w["path"])
            self.cache_calls.append(("save", w["key"], w["path"], saved))
        elif name == "actions/upload-artifact":
            if w.get("if-no-files-found", "warn") not in ("warn", "error", "ignore"):
                self.uses_problems.append(f"{ref}: bad if-no-files-found")
            rd = w.get("retention-days", "")
            if rd and not (rd.isdigit() and 1 <= int(rd) <= 90):
                self.uses_problems.append(f"{ref}: bad retention-days {rd!r}")
            if w.get("archive", "true") not in ("true", "false"):
                self.uses_problems.append(f"{ref}: bad archive {w.get('archive')!r}")
            if w.get("archive") == "false":
                return self._upload_unzipped(step, w)
            if w["name"] in self.artifacts:
                return StepResult(step, True, "failure", stderr="artifact name already used")
            self.artifacts[w["name"]] = {"files": self._resolve_paths(w["path"]), "with": w}
        return StepResult(step, True, "success", outputs=outputs)

    def _upload_unzipped(self, step, w):
        """archive: false takes exactly one file; the artifact is named after it."""
        files = self._resolve_paths(w["path"])
        if len(files) != 1:
            return StepResult(step, True, "failure",
                              stderr=f"archive: false needs exactly one file, got {files}")
        name = os.path.basename(files[0])
        if self.upload_mode == "fail":
            return StepResult(step, True, "failure", stderr="emulated upload failure")
        if name in self.artifacts:
            return StepResult(step, True, "failure", stderr="artifact name already used")
        self.artifacts[name] = {"files": files, "with": w, "archive": False}
        outputs = {"artifact-id": str(len(self.artifacts))}
        if self.upload_mode != "nolink":
            outputs["artifact-url"] = (f"https://github.com/octo/demo/actions/runs/1/artifacts/"
                                       f"{len(self.artifacts)}")
        return StepResult(step, True, "success", outputs=outputs)

    def _resolve_paths(self, spec):
        """upload-artifact's path list: files, directories (recursively) and
        globs, then !exclusions; relative to the workspace."""
        include, exclude = [], []
        for line in spec.split("\n"):
            line = line.strip()
            if not line:
                continue
            (exclude if line.startswith("!") else include).append(line.lstrip("!"))
        files = set()
        for pat in include:
            pat = os.path.join(self.workspace, pat)
            for m in glob.glob(pat, recursive=True) or []:
                if os.path.isdir(m):
                    for root, _, names in os.walk(m):
                        files.update(os.path.join(root, x) for x in names)
                else:
                    files.add(m)
        for pat in exclude:
            pat = os.path.join(self.workspace, pat)
            files = {f for f in files if not fnmatch.fnmatch(f, pat)}
        return sorted(files)


def make_action_dir(repo_root, binary, dest, tamper=False):
    """action.yml plus a dist/ holding `binary` as csprof-linux-x86_64 and
    its checksum (a wrong one when tamper)."""
    os.makedirs(os.path.join(dest, "dist"), exist_ok=True)
    shutil.copy(os.path.join(repo_root, "action.yml"), os.path.join(dest, "action.yml"))
    target = os.path.join(dest, "dist", "csprof-linux-x86_64")
    shutil.copy(binary, target)
    os.chmod(target, 0o755)
    digest = subprocess.run(["sha256sum", target], capture_output=True, text=True,
                            check=True).stdout.split()[0]
    if tamper:
        digest = ("0" if digest[0] != "0" else "1") + digest[1:]
    with open(os.path.join(dest, "dist", "SHA256SUMS"), "w") as f:
        f.write(f"{digest}  csprof-linux-x86_64\n")
    return dest


def fresh_dirs(prefix="csprof-action-"):
    root = tempfile.mkdtemp(prefix=prefix)
    ws = os.path.join(root, "workspace")
    os.makedirs(ws)
    return root, ws
