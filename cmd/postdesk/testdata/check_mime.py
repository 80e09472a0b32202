"""Parse postdesk's outbound mail with Python's email package.

Every file in the folder given must parse without defects, carry the
headers that keep a thread together, and decode to text. Mail that answers
another (In-Reply-To) must list that parent last in References
(RFC 5322 section 3.6.4). Exits non-zero with the reasons otherwise.
"""
import email
import email.policy
import pathlib
import sys

problems = []
files = sorted(pathlib.Path(sys.argv[1]).glob("*.eml"))
for path in files:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    name = path.name
    for part in msg.walk():
        if part.defects:
            problems.append(f"{name}: defects {part.defects} in {part.get_content_type()}")
    for header in ("From", "To", "Subject", "Date", "Message-ID", "Reply-To", "References"):
        if msg[header] is None:
            problems.append(f"{name}: no {header}")
    refs = str(msg.get("References", "")).split()
    parent = str(msg.get("In-Reply-To", "")).strip()
    if parent and (not refs or refs[-1] != parent):
        problems.append(f"{name}: In-Reply-To {parent} is not the last of References {refs}")
    body = msg.get_body(preferencelist=("plain",))
    if body is None or not body.get_content().strip():
        problems.append(f"{name}: no text/plain body")
    elif "Café" in path.read_text(errors="replace") and "Café" not in body.get_content() and "Caf" in body.get_content():
        problems.append(f"{name}: UTF-8 text did not decode")
    print(f"{name}: {msg['Subject']} | {len(list(msg.walk()))} parts | refs {len(refs)}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(files)} messages parse cleanly")
