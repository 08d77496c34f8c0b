"""The first-run scripts (scripts/*.sh), run for real on fakes: apt-get and id on the
PATH, a virtualenv whose python records what pip was asked, a media directory.

Nothing here installs anything or needs root: the fakes say what would have been done.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
BASH = shutil.which("bash") or "/bin/bash"

FAKE_APT_GET = """#!/bin/sh
# Records its arguments; answers "lock held" while the counter in $LOCKED is above 0;
# "installs" a fake-* package by putting its command on the PATH.
echo "$*" >> "$FAKE_DIR/calls"
n=$(cat "$FAKE_DIR/locked" 2>/dev/null || echo 0)
if [ "$n" -gt 0 ]; then
  echo $((n - 1)) > "$FAKE_DIR/locked"
  echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
for arg in "$@"; do
  case "$arg" in
    fake-*) printf '#!/bin/sh\\n' > "$FAKE_DIR/bin/$arg"; chmod +x "$FAKE_DIR/bin/$arg" ;;
  esac
done
exit 0
"""


@pytest.fixture
def fake_apt(tmp_path):
    """run(*specs, uid=0, locked=0, timeout=120) -> (CompletedProcess, apt-get calls)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(FAKE_APT_GET)
    (bin_dir / "apt-get").chmod(0o755)

    def run(
        *specs: str,
        uid: int = 0,
        locked: int = 0,
        timeout: int = 120,
        options: tuple[str, ...] = (),
        deadline: int | None = None,
    ):
        (bin_dir / "id").write_text(f'#!/bin/sh\n[ "$1" = -u ] && echo {uid}\n')
        (bin_dir / "id").chmod(0o755)
        (tmp_path / "locked").write_text(str(locked))
        (tmp_path / "calls").write_text("")
        env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "FAKE_DIR": str(tmp_path),
            "SOCIALSYNC_APT_LOCK_TIMEOUT": str(timeout),
            "SOCIALSYNC_APT_RETRY_S": "0.1",
        }
        if deadline is not None:
            env["SOCIALSYNC_APT_DEADLINE"] = str(deadline)
        done = subprocess.run(
            [BASH, str(SCRIPTS / "apt_install.sh"), *options, *specs],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done, (tmp_path / "calls").read_text().splitlines()

    return run


def test_apt_waits_for_the_lock_then_installs(fake_apt):
    done, calls = fake_apt("fake-tool|fake-tool|the demo lacks the tool", "sh|dash|x", locked=3)
    assert done.returncode == 0, done.stderr
    updates = [c for c in calls if " update" in c]
    installs = [c for c in calls if " install " in c]
    assert len(updates) == 4  # three refused while the lists' lock was held, then one that ran
    assert len(installs) == 1 and installs[0].endswith("install -y -qq fake-tool")  # sh was there
    assert all(c.startswith("-o DPkg::Lock::Timeout=") for c in calls)  # dpkg's lock is waited for
    assert "NOT INSTALLED" not in done.stderr


def test_apt_gives_up_at_its_bound_and_says_what_is_lost(fake_apt):
    started = time.monotonic()
    done, calls = fake_apt(
        "fake-ffmpeg|fake-ffmpeg|the demo page offers no sample clips",
        "fake-chromium|fake-chromium|the browser tests are SKIPPED",
        locked=10_000,
        timeout=1,
    )
    assert time.monotonic() - started < 10
    assert done.returncode == 1
    assert calls and all("Lock::Timeout=" in c for c in calls)
    why = "another apt or dpkg still held the package lock when the wait ran out"
    why += " (SOCIALSYNC_APT_LOCK_TIMEOUT=1 s)"
    lines = [line for line in done.stderr.splitlines() if line.startswith("==> NOT INSTALLED")]
    assert lines == [
        f"==> NOT INSTALLED: fake-ffmpeg ({why}): the demo page offers no sample clips",
        f"==> NOT INSTALLED: fake-chromium ({why}): the browser tests are SKIPPED",
    ]


def test_apt_runs_of_one_command_share_one_wait(fake_apt):
    # test.sh's earlier apt run waited the whole bound already: this one tries once.
    started = time.monotonic()
    done, calls = fake_apt("fake-haproxy|fake-haproxy|x", locked=10_000, deadline=int(time.time()) - 1)
    assert time.monotonic() - started < 5
    assert done.returncode == 1 and len(calls) == 2  # one update, one install


def test_apt_as_another_user_installs_nothing_and_says_how(fake_apt):
    done, calls = fake_apt("fake-haproxy|fake-haproxy|the balancer test is SKIPPED", uid=1000)
    assert calls == []
    assert done.returncode == 1
    assert "NOT INSTALLED: fake-haproxy" in done.stderr
    assert "apt-get install fake-haproxy" in done.stderr and "the balancer test is SKIPPED" in done.stderr


def test_apt_with_everything_there_does_nothing(fake_apt):
    done, calls = fake_apt("sh|dash|x", "bash|bash|y", options=("--no-recommends",))
    assert (done.returncode, calls, done.stdout, done.stderr) == (0, [], "", "")


def test_apt_get_is_called_by_the_helper_only():
    for script in SCRIPTS.glob("*.sh"):
        if script.name != "apt_install.sh":
            code = [line for line in script.read_text().splitlines() if not line.lstrip().startswith("#")]
            assert not any("apt-get " in line and "apt_install" not in line for line in code), script.name


# --- setup.sh: one marker per extra set ------------------------------------------------


@pytest.fixture
def project(tmp_path):
    """A copy of the scripts beside a pyproject.toml and a .venv whose python logs pip's arguments."""
    (tmp_path / "scripts").mkdir()
    for name in ("setup.sh", "apt_install.sh"):
        shutil.copy(SCRIPTS / name, tmp_path / "scripts" / name)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "$*" >> "{tmp_path}/pip.log"\n')
    python.chmod(0o755)

    def setup(*args: str) -> list[str]:
        before = (tmp_path / "pip.log").read_text().splitlines() if (tmp_path / "pip.log").exists() else []
        subprocess.run([BASH, str(tmp_path / "scripts" / "setup.sh"), *args], check=True, capture_output=True)
        after = (tmp_path / "pip.log").read_text().splitlines() if (tmp_path / "pip.log").exists() else []
        return after[len(before) :]

    setup.root = tmp_path  # type: ignore[attr-defined]
    return setup


def test_switching_commands_never_installs_twice(project):
    # test.sh, serve.sh, setup.sh loadtests, and round again.
    assert project("test") == ["-m pip install --quiet -e .[test]"]
    assert project() == []  # the project came with the test extra
    assert project("loadtests") == ["-m pip install --quiet -e .[loadtests]"]
    assert project("test") == []
    assert project() == []
    assert project("loadtests") == []
    assert project("test,loadtests") == []
    markers = sorted(p.name for p in (project.root / ".venv").glob(".installed-*"))
    assert len(markers) == 3 and markers[1].endswith("-loadtests") and markers[2].endswith("-test")


def test_a_changed_pyproject_installs_again_what_is_asked(project):
    project("test")
    with (project.root / "pyproject.toml").open("a") as file:
        file.write("# a new dependency\n")
    assert project() == ["-m pip install --quiet -e ."]
    assert project("test") == ["-m pip install --quiet -e .[test]"]  # the old marker no longer counts
    assert project("test,loadtests") == ["-m pip install --quiet -e .[loadtests]"]
    assert len(list((project.root / ".venv").glob(".installed-*"))) == 3


# --- build_web.sh: the clips' manifest lists what exists -------------------------------


def manifest(media: Path) -> dict | None:
    subprocess.run([BASH, str(SCRIPTS / "build_web.sh"), "--clips-manifest", str(media)], check=True)
    path = media / "clips.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_the_clips_manifest_lists_exactly_the_clips_there(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    assert manifest(media) is None  # no ffmpeg, no clips: no manifest, and the page offers none
    (media / "clip.mp4").write_bytes(b"\0")
    assert manifest(media) == {"mp4": {"url": "/media/clip.mp4", "duration": 60}}
    (media / "hls").mkdir()
    (media / "hls" / "clip.m3u8").write_text("#EXTM3U\n")
    assert set(manifest(media) or {}) == {"mp4", "hls"}
    (media / "clip.mp4").unlink()
    assert manifest(media) == {"hls": {"url": "/media/hls/clip.m3u8", "duration": 60}}
