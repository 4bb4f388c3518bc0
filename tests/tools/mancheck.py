#!/usr/bin/env python3
"""Checks the docs against the binary; prints one "ok"/"not ok" line per check.

mancheck.py WINCH TOP
 - every command has man/winch-CMD.1, and the options its OPTIONS and COMMON OPTIONS
   sections name are exactly the options the command accepts (winch __complete options CMD);
 - man/winch.1's EXIT STATUS and README's "Exit codes" list exactly the codes of the tool's exit-code table;
 - `winch completion SHELL` prints completions/winch.SHELL.
"""
import re, subprocess, sys

winch, top = sys.argv[1], sys.argv[2]
n = 0
def report(ok, what, detail=""):
    global n
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok and detail:
        print("#   " + detail)

def sh(*args):
    return subprocess.run([winch, *args], capture_output=True, text=True).stdout

def section(text, start, stop_at):
    m = re.search(r"^\.SH %s\n(.*?)(?=^\.SH (%s))" % (start, stop_at), text, re.M | re.S)
    return m.group(1) if m else ""

common = section(open(top + "/man/winch.1").read(), "COMMON OPTIONS", "CREDENTIALS")
common_opts = {"--" + o.replace("\\-", "-") for o in re.findall(r"\\-\\-([a-z0-9]+(?:\\-[a-z0-9]+)*)", common)}
common_opts |= {"-" + o for o in re.findall(r"(?<![\\a-z-])\\-([a-z])\b", common)}

for cmd in sh("__complete", "commands").split():
    path = "%s/man/winch-%s.1" % (top, cmd)
    try:
        page = open(path).read()
    except OSError:
        report(False, "man page for %s exists" % cmd, path)
        continue
    text = section(page, "OPTIONS", "SEE ALSO")
    named = {"--" + o.replace("\\-", "-") for o in re.findall(r"\\-\\-([a-z0-9]+(?:\\-[a-z0-9]+)*)", text)}
    named |= {"-" + o for o in re.findall(r"(?<![\\a-z-])\\-([a-z])\b", text)}
    # "-v, -q ... described in winch(1)" stands for those common options
    for o in list(named):
        if o in common_opts:
            named.add(o)
    accepted = set(sh("__complete", "options", cmd).split())
    report(named == accepted, "man page of %s names exactly its options" % cmd,
           "only in the man page: %s; only in winch: %s" % (sorted(named - accepted), sorted(accepted - named)))
    synopsis = re.search(r"^\.SH SYNOPSIS\n\.B winch %s\b" % re.escape(cmd), page, re.M)
    report(bool(synopsis), "man page of %s has its synopsis" % cmd)

exit_sec = section(open(top + "/man/winch.1").read(), "EXIT STATUS", "SEE ALSO")
documented = re.findall(r"^\.B (\d+)\n(.+)$", exit_sec, re.M)
table = [tuple(l.split(" ", 1)) for l in sh("__complete", "exit-codes").splitlines()]
report(documented == table, "man/winch.1 EXIT STATUS lists the exit-code table", "man: %s; winch: %s" % (documented, table))
# README's "Exit codes" table: the same codes, each meaning the tool's (words in brackets may follow)
readme_codes = re.search(r"^## Exit codes\n(.*?)^## ", open(top + "/README.md").read(), re.M | re.S)
rows = re.findall(r"^\| (\d+) \| (.+?) \|$", readme_codes.group(1) if readme_codes else "", re.M)
short = lambda t: t.split(" (")[0]
report([(c, short(m)) for c, m in rows] == [(c, short(m)) for c, m in table],
       "README's exit-code table lists the exit-code table", "README: %s; winch: %s" % (rows, table))

for shell in ("bash", "zsh", "fish"):
    report(sh("completion", shell) == open("%s/completions/winch.%s" % (top, shell)).read(),
           "winch completion %s prints completions/winch.%s" % (shell, shell))

# README: every `winch CMD ...` line in a code block names a real command and options it takes
readme = open(top + "/README.md").read()
commands = set(sh("__complete", "commands").split())
for block in re.findall(r"```\n(.*?)```", readme, re.S):
    for line in block.splitlines():
        for m in re.finditer(r"(?:^|[|(&;]\s*|<\()winch\s+(\S+)([^|&;>#)]*)", line):
            cmd, rest = m.group(1), m.group(2)
            if cmd not in commands:
                report(False, "README: \"%s\" is a winch command" % cmd, line)
                continue
            accepted = set(sh("__complete", "options", cmd).split())
            used = {w.split("=")[0] for w in rest.split() if w.startswith("-") and w != "-"}
            report(used <= accepted, "README: `winch %s%s` uses real options" % (cmd, rest.rstrip()),
                   "unknown: %s" % sorted(used - accepted))
