#!/usr/bin/env bash
# Build the browser side into web_client/build/: the SDK, the widget, the demo page,
# and the sample clips (MP4 and HLS, made with ffmpeg) with their manifest.
# Rebuilds only what changed: npm ci when package-lock.json changed, the bundles when
# a source is newer than the last build, the clips when they are missing.
#
#   bash scripts/build_web.sh                           everything
#   bash scripts/build_web.sh --clips-manifest DIR      only (re)write DIR/clips.json
#
# The manifest (media/clips.json) lists exactly the clips that exist, and is absent
# when none does: the demo page offers only those (and a URL field always), so a build
# where ffmpeg could not be installed never offers a sample that cannot play.
# (Self-contained but for scripts/apt_install.sh, which only a machine missing npm or
# ffmpeg needs: the Dockerfile copies this one script.)
set -euo pipefail
scripts="$(cd "$(dirname "$0")" && pwd)"
seconds=60

write_manifest() { # write_manifest MEDIA_DIR
  local media="$1" entries=()
  if [ -s "$media/clip.mp4" ]; then
    entries+=("\"mp4\": {\"url\": \"/media/clip.mp4\", \"duration\": $seconds}")
  fi
  if [ -s "$media/hls/clip.m3u8" ]; then
    entries+=("\"hls\": {\"url\": \"/media/hls/clip.m3u8\", \"duration\": $seconds}")
  fi
  if [ "${#entries[@]}" -eq 0 ]; then
    rm -f "$media/clips.json"
    return
  fi
  mkdir -p "$media"
  (IFS=,; printf '{%s}\n' "${entries[*]}") >"$media/clips.json.part"
  mv "$media/clips.json.part" "$media/clips.json"
}

if [ "${1:-}" = --clips-manifest ]; then
  write_manifest "$2"
  exit 0
fi

make_mp4() { # make_mp4 MEDIA_DIR
  local media="$1"
  # A moving test pattern with a burnt-in frame counter and a tone: easy to see in sync.
  local src=(-f lavfi -i "testsrc2=duration=$seconds:size=480x270:rate=25"
             -f lavfi -i "sine=frequency=440:duration=$seconds")
  local text="drawtext=text='%{frame_num}':start_number=0:x=(w-tw)/2:y=h-60:fontsize=32:fontcolor=white:box=1:boxcolor=black@0.6"
  local out=(-c:v libx264 -preset veryfast -pix_fmt yuv420p -g 25 -keyint_min 25 -sc_threshold 0
             -c:a aac -movflags +faststart -f mp4 "$media/clip.mp4.part")
  # Without drawtext (an ffmpeg built without fonts), the pattern alone.
  ffmpeg -loglevel error -y "${src[@]}" -vf "$text" "${out[@]}" \
    || ffmpeg -loglevel error -y "${src[@]}" "${out[@]}" || return 1
  mv "$media/clip.mp4.part" "$media/clip.mp4"
}

make_hls() { # make_hls MEDIA_DIR
  local media="$1"
  rm -rf "$media/hls.part"
  mkdir -p "$media/hls.part"
  ffmpeg -loglevel error -y -i "$media/clip.mp4" -c copy -f hls -hls_time 2 -hls_playlist_type vod \
    -hls_segment_filename "$media/hls.part/seg%03d.ts" "$media/hls.part/clip.m3u8" || return 1
  rm -rf "$media/hls"
  mv "$media/hls.part" "$media/hls"
}

cd "$scripts/../web_client"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  bash "$scripts/apt_install.sh" \
    "node|nodejs|the web client (demo page, SDK, widget, moderation panel) cannot be built" \
    "npm|npm|the web client (demo page, SDK, widget, moderation panel) cannot be built" \
    || { echo "==> install Node.js 18+ and npm, then run this again" >&2; exit 1; }
fi
lock_stamp="node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)"
if [ ! -f "$lock_stamp" ]; then
  echo "==> installing web client dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$lock_stamp"
fi

# Built again when any file of web_client/ but node_modules/ and build/ (src, widget,
# demo, moderation, ui, apidocs, build.mjs...) is newer than the last build, or after npm ci.
build_stamp="build/.built"
changed=""
if [ ! -f "$build_stamp" ] || [ ! -f build/demo/index.html ]; then
  changed=yes
else
  changed="$(find . \( -path ./node_modules -o -path ./build \) -prune -o -newer "$build_stamp" -type f -print -quit
             find "$lock_stamp" -newer "$build_stamp" -print)"
fi
if [ -n "$changed" ]; then
  echo "==> building the web client"
  mkdir -p build
  touch "$build_stamp.part" # before: a source changed during the build is built again next time
  node build.mjs
  rm -rf build/sdk/types # no declarations left over from modules that moved or went
  npx --no-install tsc -p . --emitDeclarationOnly --outDir build/sdk/types
  mv "$build_stamp.part" "$build_stamp"
else
  echo "==> web client up to date (web_client/build)"
fi

media=build/media
clip_stamp="$media/.clips-v2" # what the clips are made of: another version makes them again
if [ ! -f "$clip_stamp" ] || [ ! -s "$media/clip.mp4" ] || [ ! -s "$media/hls/clip.m3u8" ]; then
  bash "$scripts/apt_install.sh" "ffmpeg|ffmpeg|the demo page offers no sample clips (paste a video URL instead), and the browser tests that play them are SKIPPED (under CI=true they fail)" || true
  if command -v ffmpeg >/dev/null 2>&1; then
    echo "==> generating sample clips"
    mkdir -p "$media"
    [ -f "$clip_stamp" ] || rm -rf "$media/clip.mp4" "$media/hls"
    if { [ -s "$media/clip.mp4" ] || make_mp4 "$media"; } && { [ -s "$media/hls/clip.m3u8" ] || make_hls "$media"; }; then
      touch "$clip_stamp"
    else
      echo "==> ffmpeg could not make every sample clip: the demo page offers only those that exist" >&2
    fi
  fi
fi
write_manifest "$media"
