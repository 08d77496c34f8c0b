"""Dependency audit for scripts/test.sh: fails only on known vulnerabilities that have
a fix available (pip-audit over the installed Python packages; npm audit, high and
critical, over web_client). Needs the package registries' advisory services."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def python_findings() -> list[str]:
    run = subprocess.run(
        [
            str(ROOT / ".venv/bin/pip-audit"),
            "--format",
            "json",
            "--skip-editable",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if not run.stdout.strip():
        raise SystemExit(f"pip-audit failed: {run.stderr.strip()[-500:]}")
    found = []
    for dep in json.loads(run.stdout).get("dependencies", []):
        for vuln in dep.get("vulns", []):
            if vuln.get("fix_versions"):
                found.append(
                    f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(vuln['fix_versions'])})"
                )
    return found


def npm_findings() -> list[str]:
    run = subprocess.run(
        ["npm", "audit", "--audit-level=high", "--json"],
        cwd=ROOT / "web_client",
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        report = {"error": run.stderr.strip()[-300:]}
    if "error" in report or "message" in report:
        # The advisory service refused (a registry mirror without the audit endpoint
        # answers 405): say so loudly; strict mode (CI with the real registry) fails.
        why = report.get("message") or report.get("error")
        if os.environ.get("SOCIALSYNC_AUDIT_STRICT") == "1":
            raise SystemExit(f"npm audit failed: {why}")
        print(f"==> npm audit SKIPPED: the advisory service did not answer ({why})")
        return []
    return [
        f"{name}: {v['severity']} (fix available)"
        for name, v in report.get("vulnerabilities", {}).items()
        if v.get("severity") in ("high", "critical") and v.get("fixAvailable") not in (False, None)
    ]


def main() -> int:
    found = python_findings() + npm_findings()
    for line in found:
        print(f"vulnerable: {line}")
    print(f"dependency audit: {len(found)} fixable known vulnerabilities")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
