"""The design notes are the project's own: no source cites a document outside the repository,
every "docs/design.md §N" names a section that exists, and every README link in the notes
points at a README heading."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
design = (root / "docs/design.md").read_text(encoding="utf-8")
readme = (root / "README.md").read_text(encoding="utf-8")
failures = []

# A document outside the repository: the team's design note or the folder beside the checkout.
outside = re.compile(r"DESIGN\.md|\.\./shared")
sections = set(re.findall(r"^## §(\d+) ", design, re.M))
skip = {"build", ".git", "traces"}
for path in sorted(root.rglob("*")):
    rel = path.relative_to(root)
    if not path.is_file() or rel.parts[0] in skip or rel.parts[0].startswith("build") or rel.parts[:2] == ("tests", "docs"):
        continue
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        continue
    for n, line in enumerate(text.splitlines(), 1):
        if outside.search(line):
            failures.append(f"{rel}:{n}: cites a document outside the repository: {line.strip()}")
        for sec in re.findall(r"docs/design\.md §(\d+)", line):
            if sec not in sections:
                failures.append(f"{rel}:{n}: docs/design.md has no §{sec}")


def slug(heading):
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


anchors = {slug(h) for h in re.findall(r"^#+ (.*)$", readme, re.M)}
for anchor in re.findall(r"\(\.\./README\.md#([^)]+)\)", design):
    if anchor not in anchors:
        failures.append(f"docs/design.md: README has no heading #{anchor}")

for f in failures:
    print("FAIL:", f)
if failures:
    sys.exit(1)
print(f"docs: {len(sections)} sections, all citations and README links resolve")
