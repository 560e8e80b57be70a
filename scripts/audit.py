"""`make audit`: pip-audit against both lock files; a summary table, and a failure on any untriaged finding.

Findings that were looked at and accepted are listed, with the reason, in
requirements/audit-ignore.txt (one advisory id per line, `# reason` after it) and in the triage
table of docs/security.md. Packages the vulnerability service could not answer for are counted and
named: an audit that could not look is reported as such, never as "no vulnerabilities".
Writes results/audit/<lock>.json (pip-audit's own report) and results/audit/summary.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {"app": ["requirements/app.txt", "requirements/app-nodeps.txt", "requirements/browser.txt"],
         "rasa": ["requirements/rasa.txt"]}
IGNORE_FILE = ROOT / "requirements" / "audit-ignore.txt"


def ignored_ids() -> list[str]:
    """Advisory ids triaged as not applicable (requirements/audit-ignore.txt)."""
    if not IGNORE_FILE.exists():
        return []
    return [line.split("#", 1)[0].strip() for line in IGNORE_FILE.read_text().splitlines()
            if line.split("#", 1)[0].strip()]


def audit(pip_audit: str, name: str, files: list[str], out: Path) -> dict[str, object]:
    """Run pip-audit on one lock (its files together); return counts and the findings."""
    report = out / f"{name}.json"
    argv = [pip_audit, "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json", "-o", str(report)]
    for file in files:
        argv += ["-r", str(ROOT / file)]
    for advisory in ignored_ids():
        argv += ["--ignore-vuln", advisory]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if not report.exists():
        raise SystemExit(f"pip-audit failed on {name} (exit {done.returncode}):\n{done.stderr[-3000:]}")
    dependencies = json.loads(report.read_text())["dependencies"]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    findings = [(d["name"], d["version"], v["id"], ", ".join(v.get("fix_versions") or []) or "none")
                for d in dependencies for v in d.get("vulns") or []]
    return {"lock": name, "packages": len(dependencies), "audited": len(dependencies) - len(skipped),
            "skipped": len(skipped), "findings": findings,
            "skip_example": skipped[0]["skip_reason"] if skipped else ""}


def main() -> int:
    """Audit both locks, print and write the summary; exit 1 on any finding not triaged."""
    pip_audit = sys.argv[1] if len(sys.argv) > 1 else "pip-audit"
    out = ROOT / "results" / "audit"
    out.mkdir(parents=True, exist_ok=True)
    results = [audit(pip_audit, name, files, out) for name, files in LOCKS.items()]
    lines = ["| lock | packages | audited | could not be audited | findings |", "|---|---:|---:|---:|---|"]
    for r in results:
        found = "; ".join(f"{n} {v}: {i} (fixed in {f})" for n, v, i, f in r["findings"]) or "none"  # type: ignore[attr-defined]
        lines.append(f"| {r['lock']} | {r['packages']} | {r['audited']} | {r['skipped']} | {found} |")
    notes = [f"- {r['lock']}: {r['skipped']} packages not audited, e.g. \"{r['skip_example']}\"" for r in results if r["skipped"]]
    summary = "\n".join(["# Dependency audit (pip-audit)", "", *lines, "", *notes,
                         f"- triaged and ignored: {', '.join(ignored_ids()) or 'none'} (requirements/audit-ignore.txt)", ""])
    (out / "summary.md").write_text(summary)
    print(summary)
    if any(r["skipped"] for r in results):
        print("WARNING: the vulnerability service did not answer for some packages; they are NOT audited "
              "(see docs/security.md, Dependency audit).", file=sys.stderr)
    return 1 if any(r["findings"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
