#!/usr/bin/env bash
# Build the browser side into web_client/build/: the SDK, the widget, the demo page,
# and the sample clips (MP4 and HLS, made with ffmpeg). Rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/../web_client"

if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: install Node.js 18+ (e.g. apt-get install -y nodejs npm)" >&2
  exit 1
fi
lock_stamp="node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)"
if [ ! -f "$lock_stamp" ]; then
  echo "==> installing web client dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$lock_stamp"
fi
echo "==> building the web client"
node build.mjs
rm -rf build/sdk/types # no declarations left over from modules that moved or went
npx --no-install tsc -p . --emitDeclarationOnly --outDir build/sdk/types

media=build/media
clip_stamp="$media/.clips-v2"
if [ ! -f "$clip_stamp" ]; then
  if ! command -v ffmpeg >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing ffmpeg for the sample clips"
    (apt-get update -qq && apt-get install -y -qq ffmpeg >/dev/null) || true
  fi
  if command -v ffmpeg >/dev/null 2>&1; then
    echo "==> generating sample clips"
    mkdir -p "$media/hls"
    seconds=60
    # A moving test pattern with a burnt-in frame counter and a tone: easy to see in sync.
    src=(-f lavfi -i "testsrc2=duration=$seconds:size=480x270:rate=25"
         -f lavfi -i "sine=frequency=440:duration=$seconds")
    text="drawtext=text='%{frame_num}':start_number=0:x=(w-tw)/2:y=h-60:fontsize=32:fontcolor=white:box=1:boxcolor=black@0.6"
    vf=(-vf "$text")
    ffmpeg -loglevel error -y "${src[@]}" "${vf[@]}" -c:v libx264 -preset veryfast -pix_fmt yuv420p \
      -g 25 -keyint_min 25 -sc_threshold 0 -c:a aac -movflags +faststart "$media/clip.mp4" \
      || ffmpeg -loglevel error -y "${src[@]}" -c:v libx264 -preset veryfast -pix_fmt yuv420p \
      -g 25 -keyint_min 25 -sc_threshold 0 -c:a aac -movflags +faststart "$media/clip.mp4"
    ffmpeg -loglevel error -y -i "$media/clip.mp4" -c copy -f hls -hls_time 2 -hls_playlist_type vod \
      -hls_segment_filename "$media/hls/seg%03d.ts" "$media/hls/clip.m3u8"
    cat > "$media/clips.json" <<JSON
{"mp4": {"url": "/media/clip.mp4", "duration": $seconds}, "hls": {"url": "/media/hls/clip.m3u8", "duration": $seconds}}
JSON
    touch "$clip_stamp"
  else
    echo "==> ffmpeg not found: the demo page has no sample clips (paste any video URL instead)" >&2
  fi
fi
